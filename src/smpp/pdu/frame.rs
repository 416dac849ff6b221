//! A whole PDU: header fields plus [`Body`], decoded from and encoded to one frame
//! (SMPP 3.4 §3.2). `command_length` and `command_id` are never stored: they are derived from
//! the body on encode, so they cannot disagree with it.

use bytes::{BufMut, Bytes, BytesMut};

use super::body::Body;
use super::command_id::CommandId;
use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::header::{HEADER_LEN, Header, MAX_PDU_LEN};
use super::status::CommandStatus;

/// One SMPP PDU.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pdu {
    /// Outcome in responses, `ESME_ROK` in requests (§5.1.3).
    pub command_status: CommandStatus,
    /// Correlates a response with its request (§3.2).
    pub sequence_number: u32,
    /// The operation and its fields.
    pub body: Body,
}

impl Pdu {
    /// A request (or any PDU) with status `ESME_ROK`.
    pub fn new(sequence_number: u32, body: Body) -> Pdu {
        Pdu {
            command_status: CommandStatus::Ok,
            sequence_number,
            body,
        }
    }

    /// A response with an explicit status.
    pub fn with_status(sequence_number: u32, command_status: CommandStatus, body: Body) -> Pdu {
        Pdu {
            command_status,
            sequence_number,
            body,
        }
    }

    /// The generic_nack a session sends for a frame it could not decode (§4.3.1): it echoes
    /// the sequence number when the header was readable.
    pub fn generic_nack_for(err: &DecodeError) -> Pdu {
        Pdu::with_status(err.sequence_number(), err.nack_status(), Body::GenericNack)
    }

    /// The command_id, derived from the body.
    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// Decodes one complete frame, copying it once into a shared buffer that all string
    /// fields then borrow from. Never panics; every failure is a [`DecodeError`] with an offset.
    pub fn decode(frame: &[u8]) -> Result<Pdu, DecodeError> {
        if frame.len() > MAX_PDU_LEN {
            // Refuse before copying, so an oversized slice costs nothing.
            let header = Header::peek(frame);
            let kind = match header {
                Some(h) => check_length(h.command_length, frame.len()).err(),
                None => None,
            };
            return Err(DecodeError {
                header,
                offset: 0,
                kind: kind.unwrap_or(DecodeErrorKind::ShortHeader { len: frame.len() }),
            });
        }
        Pdu::decode_bytes(Bytes::copy_from_slice(frame))
    }

    /// Decodes one complete frame without copying (the framer hands over its buffer).
    pub fn decode_bytes(frame: Bytes) -> Result<Pdu, DecodeError> {
        let Some(header) = Header::peek(&frame) else {
            return Err(DecodeError {
                header: None,
                offset: 0,
                kind: DecodeErrorKind::ShortHeader { len: frame.len() },
            });
        };
        let err = |offset, kind| DecodeError {
            header: Some(header),
            offset,
            kind,
        };
        if let Err(kind) = check_length(header.command_length, frame.len()) {
            return Err(err(0, kind));
        }
        let body_bytes = &frame[HEADER_LEN..];
        match Body::parse(header.command_id, &frame, body_bytes) {
            Ok((_, body)) => Ok(Pdu {
                command_status: header.command_status,
                sequence_number: header.sequence_number,
                body,
            }),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                Err(err(frame.len().saturating_sub(e.remaining), e.kind))
            }
            Err(nom::Err::Incomplete(_)) => Err(err(
                frame.len(),
                DecodeErrorKind::Truncated { field: "body" },
            )),
        }
    }

    /// Appends the encoded PDU to `dst`. `command_length` is computed from what was written.
    /// On error `dst` is left as it was.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let start = dst.len();
        dst.reserve(HEADER_LEN + 64);
        let mut header = [0u8; HEADER_LEN]; // command_length (0..4) is patched below
        header[4..8].copy_from_slice(&self.command_id().as_u32().to_be_bytes());
        header[8..12].copy_from_slice(&self.command_status.as_u32().to_be_bytes());
        header[12..16].copy_from_slice(&self.sequence_number.to_be_bytes());
        dst.put_slice(&header);
        let omit = self.command_status != CommandStatus::Ok && self.body.is_empty_response();
        if !omit {
            if let Err(e) = self.body.encode(dst) {
                dst.truncate(start);
                return Err(e);
            }
        }
        let len = dst.len() - start;
        if len > MAX_PDU_LEN {
            dst.truncate(start);
            return Err(EncodeError::PduTooLong {
                len,
                max: MAX_PDU_LEN,
            });
        }
        // len ≤ MAX_PDU_LEN < u32::MAX.
        dst[start..start + 4].copy_from_slice(&(len as u32).to_be_bytes());
        Ok(())
    }

    /// Encodes into a fresh vector.
    pub fn to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut b = BytesMut::new();
        self.encode(&mut b)?;
        Ok(b.to_vec())
    }
}

/// `command_length` must be within `HEADER_LEN..=MAX_PDU_LEN` and equal the frame's size.
fn check_length(command_length: u32, actual: usize) -> Result<(), DecodeErrorKind> {
    let len = command_length as usize;
    if !(HEADER_LEN..=MAX_PDU_LEN).contains(&len) {
        return Err(DecodeErrorKind::CommandLength {
            command_length,
            min: HEADER_LEN,
            max: MAX_PDU_LEN,
        });
    }
    if len != actual {
        return Err(DecodeErrorKind::LengthMismatch {
            command_length,
            actual,
        });
    }
    Ok(())
}
