//! Length framing of SMPP over a byte stream (SMPP 3.4 §3.2: every PDU starts with its
//! 4-octet `command_length`), as a tokio-util [`Decoder`]/[`Encoder`].
//!
//! The framer only frames: it reads `command_length`, rejects values below 16 or above the
//! configured maximum (both numbers in the error) before reserving anything, waits for the whole
//! frame, then hands it without copying to the pure decoder [`Pdu::decode_bytes`].
//!
//! A frame whose *body* is malformed is not a stream error: the decoder yields
//! `Ok(Some(Err(DecodeError)))` and stays usable, so the session can answer `generic_nack` with
//! the frame's sequence number ([`Pdu::generic_nack_for`]) and go on. Only a `command_length`
//! out of bounds is fatal ([`FrameError::Length`]): the next frame boundary is then unknown.

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::pdu::{DecodeError, EncodeError, HEADER_LEN, Header, MAX_PDU_LEN, Pdu};

/// What the decoder yields per frame: the PDU, or why its contents could not be decoded.
pub type Decoded = Result<Pdu, DecodeError>;

/// Stream-level failures: after one of these the connection should be closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Reading or writing the transport failed.
    #[error("SMPP transport: {0}")]
    Io(#[from] std::io::Error),
    /// The peer announced a `command_length` outside `min..=max`; framing is lost. Answer
    /// `generic_nack` with `ESME_RINVCMDLEN` (echoing `sequence_number` if known) and close.
    #[error("command_length {command_length} is outside {min}..={max}")]
    Length {
        /// The announced length.
        command_length: u32,
        /// Smallest legal length (the header size).
        min: usize,
        /// Largest length this codec accepts.
        max: usize,
        /// The frame's sequence number, if its header had arrived.
        sequence_number: Option<u32>,
    },
    /// A PDU to send could not be encoded (a field too long…); nothing was written.
    #[error("SMPP encode: {0}")]
    Encode(#[from] EncodeError),
}

/// SMPP framing codec. Cheap to construct; holds only the size limit.
#[derive(Debug, Clone, Copy)]
pub struct SmppCodec {
    max_len: usize,
}

impl Default for SmppCodec {
    fn default() -> Self {
        SmppCodec::new()
    }
}

impl SmppCodec {
    /// A codec accepting PDUs up to [`MAX_PDU_LEN`].
    pub fn new() -> SmppCodec {
        SmppCodec {
            max_len: MAX_PDU_LEN,
        }
    }

    /// A codec with a smaller limit (clamped to `HEADER_LEN..=MAX_PDU_LEN`), for links whose
    /// operator documents a lower maximum.
    pub fn with_max_len(max_len: usize) -> SmppCodec {
        SmppCodec {
            max_len: max_len.clamp(HEADER_LEN, MAX_PDU_LEN),
        }
    }

    /// The largest `command_length` accepted.
    pub fn max_len(&self) -> usize {
        self.max_len
    }
}

impl Decoder for SmppCodec {
    type Item = Decoded;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Decoded>, FrameError> {
        let Some(len_bytes) = src.get(..4) else {
            return Ok(None);
        };
        let command_length =
            u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let len = command_length as usize;
        if !(HEADER_LEN..=self.max_len).contains(&len) {
            return Err(FrameError::Length {
                command_length,
                min: HEADER_LEN,
                max: self.max_len,
                sequence_number: Header::peek(src).map(|h| h.sequence_number),
            });
        }
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        let frame = src.split_to(len).freeze();
        Ok(Some(Pdu::decode_bytes(frame)))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Decoded>, FrameError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => {
                let n = src.remaining();
                src.clear();
                Err(FrameError::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("connection closed inside a PDU ({n} octets buffered)"),
                )))
            }
        }
    }
}

impl Encoder<&Pdu> for SmppCodec {
    type Error = FrameError;

    fn encode(&mut self, pdu: &Pdu, dst: &mut BytesMut) -> Result<(), FrameError> {
        let start = dst.len();
        pdu.encode(dst)?;
        if dst.len() - start > self.max_len {
            let len = dst.len() - start;
            dst.truncate(start);
            return Err(FrameError::Encode(EncodeError::PduTooLong {
                len,
                max: self.max_len,
            }));
        }
        Ok(())
    }
}

impl Encoder<Pdu> for SmppCodec {
    type Error = FrameError;

    fn encode(&mut self, pdu: Pdu, dst: &mut BytesMut) -> Result<(), FrameError> {
        <Self as Encoder<&Pdu>>::encode(self, &pdu, dst)
    }
}
