//! Optional parameters: Tag-Length-Value fields after the mandatory body (SMPP 3.4 §3.2.4,
//! §5.3; SMPP 5.0 §4.8).
//!
//! Known tags decode into the typed shape their definition gives ([`TlvValue`]); unknown tags
//! keep their raw octets, so a PDU with vendor TLVs still decodes and re-encodes unchanged.
//! - [`tag`]: the tag table and each tag's value shape.

pub mod tag;

use bytes::{BufMut, Bytes, BytesMut};

pub use tag::{TlvKind, TlvTag};

use super::error::{DecodeErrorKind, EncodeError};
use super::fields::{COctetString, OctetString, PResult, fail};
use super::values::MessageState;

/// A TLV value in the shape its tag prescribes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum TlvValue {
    /// A 1-octet integer.
    U8(u8),
    /// A 2-octet integer.
    U16(u16),
    /// A 4-octet integer.
    U32(u32),
    /// A C-Octet String (the NUL is added on encode).
    Text(COctetString),
    /// Raw octets (octet-string TLVs and every unknown tag).
    Octets(OctetString),
    /// network_error_code (SMPP 3.4 §5.3.2.31).
    NetworkErrorCode {
        /// 1 ANSI-136, 2 IS-95, 3 GSM, 4 reserved… (§5.3.2.31).
        network_type: u8,
        /// The network's own error code.
        error_code: u16,
    },
}

/// One optional parameter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tlv {
    /// The tag.
    pub tag: TlvTag,
    /// The value; its shape must match `tag.kind()` or encoding fails.
    pub value: TlvValue,
}

impl Tlv {
    /// receipted_message_id (SMPP 3.4 §5.3.2.12): which submitted message a receipt is about.
    pub fn receipted_message_id(id: COctetString) -> Tlv {
        Tlv {
            tag: TlvTag::ReceiptedMessageId,
            value: TlvValue::Text(id),
        }
    }

    /// message_state (SMPP 3.4 §5.3.2.35).
    pub fn message_state(state: MessageState) -> Tlv {
        Tlv {
            tag: TlvTag::MessageState,
            value: TlvValue::U8(state.as_u8()),
        }
    }

    /// message_payload (SMPP 3.4 §5.3.2.32): a body longer than `short_message` allows.
    pub fn message_payload(payload: impl Into<Bytes>) -> Tlv {
        Tlv {
            tag: TlvTag::MessagePayload,
            value: TlvValue::Octets(OctetString(payload.into())),
        }
    }

    /// A tag with a 1-octet value (`sar_total_segments`, `sc_interface_version`…).
    pub fn u8(tag: TlvTag, v: u8) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::U8(v),
        }
    }

    /// A tag with a 2-octet value (`sar_msg_ref_num`, `source_port`…).
    pub fn u16(tag: TlvTag, v: u16) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::U16(v),
        }
    }

    /// Any tag from its wire octets, typed as decoding would type it. A known tag whose
    /// octets do not fit its definition is kept raw, and encoding it then fails.
    pub fn raw(tag: u16, value: impl Into<Bytes>) -> Tlv {
        let tag = TlvTag::from_u16(tag);
        let b = value.into();
        let value = typed(tag, &b, &b).unwrap_or(TlvValue::Octets(OctetString(b)));
        Tlv { tag, value }
    }

    fn value_len(&self) -> Result<usize, EncodeError> {
        let bad = EncodeError::TlvValue {
            tag: self.tag.as_u16(),
        };
        let len = match (self.tag.kind(), &self.value) {
            (TlvKind::U8, TlvValue::U8(_)) => 1,
            (TlvKind::U16, TlvValue::U16(_)) => 2,
            (TlvKind::U32, TlvValue::U32(_)) => 4,
            (TlvKind::NetworkErrorCode, TlvValue::NetworkErrorCode { .. }) => 3,
            (TlvKind::Text(max), TlvValue::Text(s)) if s.len() < max => s.len() + 1,
            (TlvKind::Octets { min, max }, TlvValue::Octets(o))
                if (min..=max).contains(&o.0.len()) =>
            {
                o.0.len()
            }
            _ => return Err(bad),
        };
        Ok(len)
    }

    /// Writes tag, length and value (SMPP 3.4 §3.2.4.1); the length is derived.
    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let len = self.value_len()?;
        let len16 = u16::try_from(len).map_err(|_| EncodeError::TlvValue {
            tag: self.tag.as_u16(),
        })?;
        dst.put_u16(self.tag.as_u16());
        dst.put_u16(len16);
        match &self.value {
            TlvValue::U8(v) => dst.put_u8(*v),
            TlvValue::U16(v) => dst.put_u16(*v),
            TlvValue::U32(v) => dst.put_u32(*v),
            TlvValue::Text(s) => {
                dst.put_slice(s.as_bytes());
                dst.put_u8(0);
            }
            TlvValue::Octets(o) => dst.put_slice(&o.0),
            TlvValue::NetworkErrorCode {
                network_type,
                error_code,
            } => {
                dst.put_u8(*network_type);
                dst.put_u16(*error_code);
            }
        }
        Ok(())
    }
}

/// Types a TLV value from its octets according to the tag's definition.
fn typed(tag: TlvTag, src: &Bytes, v: &[u8]) -> Option<TlvValue> {
    Some(match tag.kind() {
        TlvKind::U8 => TlvValue::U8(*single(v)?),
        TlvKind::U16 => TlvValue::U16(u16::from_be_bytes(v.try_into().ok()?)),
        TlvKind::U32 => TlvValue::U32(u32::from_be_bytes(v.try_into().ok()?)),
        TlvKind::NetworkErrorCode => match v {
            [t, a, b] => TlvValue::NetworkErrorCode {
                network_type: *t,
                error_code: u16::from_be_bytes([*a, *b]),
            },
            _ => return None,
        },
        TlvKind::Text(max) => {
            // Lenient on purpose: some SMSCs omit the NUL or pad with several (seen on
            // receipted_message_id); the text ends at the first NUL or at the value's end.
            let n = v.iter().position(|&b| b == 0).unwrap_or(v.len());
            if n + 1 > max {
                return None;
            }
            TlvValue::Text(COctetString::new(src.slice_ref(&v[..n])).ok()?)
        }
        TlvKind::Octets { min, max } => {
            if !(min..=max).contains(&v.len()) {
                return None;
            }
            TlvValue::Octets(OctetString(src.slice_ref(v)))
        }
    })
}

fn single(v: &[u8]) -> Option<&u8> {
    match v {
        [b] => Some(b),
        _ => None,
    }
}

fn expected(kind: TlvKind) -> &'static str {
    match kind {
        TlvKind::U8 => "1",
        TlvKind::U16 => "2",
        TlvKind::U32 => "4",
        TlvKind::NetworkErrorCode => "3",
        TlvKind::Text(_) => "a C-Octet String within its maximum",
        TlvKind::Octets { .. } => "within the definition's bounds",
    }
}

/// The optional parameters of one PDU, in wire order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Tlvs(pub Vec<Tlv>);

impl Tlvs {
    /// No optional parameters.
    pub fn new() -> Tlvs {
        Tlvs(Vec::new())
    }

    /// Appends one.
    pub fn push(&mut self, tlv: Tlv) {
        self.0.push(tlv);
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first value with this tag (SMPP 3.4 §3.2.4 lets each appear once).
    pub fn get(&self, tag: TlvTag) -> Option<&TlvValue> {
        self.0.iter().find(|t| t.tag == tag).map(|t| &t.value)
    }

    /// A 1-octet value by tag.
    pub fn get_u8(&self, tag: TlvTag) -> Option<u8> {
        match self.get(tag)? {
            TlvValue::U8(v) => Some(*v),
            _ => None,
        }
    }

    /// A 2-octet value by tag.
    pub fn get_u16(&self, tag: TlvTag) -> Option<u16> {
        match self.get(tag)? {
            TlvValue::U16(v) => Some(*v),
            _ => None,
        }
    }

    /// receipted_message_id (§5.3.2.12), the preferred key for receipt correlation.
    pub fn receipted_message_id(&self) -> Option<&COctetString> {
        match self.get(TlvTag::ReceiptedMessageId)? {
            TlvValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// message_state (§5.3.2.35), preferred over the receipt text's `stat:`.
    pub fn message_state(&self) -> Option<MessageState> {
        self.get_u8(TlvTag::MessageState).map(MessageState::from_u8)
    }

    /// message_payload (§5.3.2.32).
    pub fn message_payload(&self) -> Option<&[u8]> {
        match self.get(TlvTag::MessagePayload)? {
            TlvValue::Octets(o) => Some(o.as_bytes()),
            _ => None,
        }
    }

    /// network_error_code (§5.3.2.31) as (network type, error code).
    pub fn network_error_code(&self) -> Option<(u8, u16)> {
        match self.get(TlvTag::NetworkErrorCode)? {
            TlvValue::NetworkErrorCode {
                network_type,
                error_code,
            } => Some((*network_type, *error_code)),
            _ => None,
        }
    }

    /// SAR concatenation parameters (§5.3.2.22–24): (reference, total, sequence number).
    pub fn sar(&self) -> Option<(u16, u8, u8)> {
        Some((
            self.get_u16(TlvTag::SarMsgRefNum)?,
            self.get_u8(TlvTag::SarTotalSegments)?,
            self.get_u8(TlvTag::SarSegmentSeqnum)?,
        ))
    }

    /// Writes all, in order.
    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        self.0.iter().try_for_each(|t| t.encode(dst))
    }
}

impl FromIterator<Tlv> for Tlvs {
    fn from_iter<I: IntoIterator<Item = Tlv>>(iter: I) -> Self {
        Tlvs(iter.into_iter().collect())
    }
}

/// Grammar: `(tag:u16 length:u16 value:octet{length})*` until the body ends (SMPP 3.4 §3.2.4).
pub(crate) fn parse_tlvs<'a>(src: &'a Bytes) -> impl Fn(&'a [u8]) -> PResult<'a, Tlvs> {
    move |mut i: &'a [u8]| {
        let mut out = Vec::new();
        while !i.is_empty() {
            let (Some(h), rest) = (i.get(..4), i.get(4..).unwrap_or_default()) else {
                return fail(i, DecodeErrorKind::TlvTruncated);
            };
            let tag = TlvTag::from_u16(u16::from_be_bytes([h[0], h[1]]));
            let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
            let Some(v) = rest.get(..len) else {
                return fail(i, DecodeErrorKind::TlvTruncated);
            };
            let Some(value) = typed(tag, src, v) else {
                return fail(
                    i,
                    DecodeErrorKind::TlvLength {
                        tag: tag.as_u16(),
                        len,
                        expected: expected(tag.kind()),
                    },
                );
            };
            out.push(Tlv { tag, value });
            i = &rest[len..];
        }
        Ok((i, Tlvs(out)))
    }
}
