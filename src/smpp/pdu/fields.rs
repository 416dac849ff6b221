//! Field types and the nom primitives every PDU body is built from (SMPP 3.4 §3.1).
//!
//! Bodies are parsed from a `&[u8]` that lies inside a [`Bytes`] frame; strings are returned as
//! zero-copy slices of that frame (`Bytes::slice_ref`), so decoding a PDU allocates only for
//! TLV lists and destination lists.

use bytes::{BufMut, Bytes, BytesMut};
use nom::IResult;

use super::error::{DecodeErrorKind, EncodeError};

/// A C-Octet String (SMPP 3.4 §3.1): octets without NUL; the NUL terminator is added on encode.
/// Maximum sizes are per field and checked when decoding and encoding.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct COctetString(Bytes);

impl COctetString {
    /// The empty string (a lone NUL on the wire), SMPP's "NULL" value.
    pub const EMPTY: COctetString = COctetString(Bytes::new());

    /// Wraps octets; refuses an embedded NUL, which would end the string early on the wire.
    pub fn new(octets: impl Into<Bytes>) -> Result<Self, EncodeError> {
        let b = octets.into();
        if b.contains(&0) {
            return Err(EncodeError::EmbeddedNul);
        }
        Ok(COctetString(b))
    }

    /// The octets, without the terminator.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as text when it is UTF-8 (SMPP strings are ASCII in practice).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The value as text, replacing invalid UTF-8.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// Octets without the terminator.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the NULL (empty) string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<&str> for COctetString {
    type Error = EncodeError;
    fn try_from(s: &str) -> Result<Self, EncodeError> {
        COctetString::new(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl TryFrom<String> for COctetString {
    type Error = EncodeError;
    fn try_from(s: String) -> Result<Self, EncodeError> {
        COctetString::new(s.into_bytes())
    }
}

impl std::fmt::Debug for COctetString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl serde::Serialize for COctetString {
    /// Text when UTF-8, otherwise `{"hex": "..."}` so nothing is hidden from whoever debugs.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.as_str() {
            Some(t) => s.serialize_str(t),
            None => OctetString(self.0.clone()).serialize(s),
        }
    }
}

/// An Octet String (SMPP 3.4 §3.1): arbitrary octets whose length is carried elsewhere
/// (`sm_length`, a TLV length). Serialised as hex for JSON.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct OctetString(pub Bytes);

impl OctetString {
    /// The octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for OctetString {
    fn from(b: &[u8]) -> Self {
        OctetString(Bytes::copy_from_slice(b))
    }
}

impl From<Vec<u8>> for OctetString {
    fn from(b: Vec<u8>) -> Self {
        OctetString(Bytes::from(b))
    }
}

impl std::fmt::Debug for OctetString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", hex::encode(&self.0))
    }
}

impl serde::Serialize for OctetString {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("hex", &hex::encode(&self.0))?;
        m.end()
    }
}

// ---- decoding -------------------------------------------------------------------------------

/// nom error: where (octets left) and what.
#[derive(Debug)]
pub(crate) struct PErr {
    /// Input length left when the error was raised; the caller turns it into an offset.
    pub remaining: usize,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl<'a> nom::error::ParseError<&'a [u8]> for PErr {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        PErr {
            remaining: input.len(),
            kind: DecodeErrorKind::Truncated { field: "?" },
        }
    }
    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result type of the body parsers.
pub(crate) type PResult<'a, O> = IResult<&'a [u8], O, PErr>;

/// Raises `kind` at `input`.
pub(crate) fn fail<O>(input: &[u8], kind: DecodeErrorKind) -> PResult<'_, O> {
    Err(nom::Err::Error(PErr {
        remaining: input.len(),
        kind,
    }))
}

/// Grammar: one octet (SMPP 3.4 §3.1 Integer, 1 octet).
pub(crate) fn u8f(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u8> {
    move |i| match i.split_first() {
        Some((&b, rest)) => Ok((rest, b)),
        None => fail(i, DecodeErrorKind::Truncated { field }),
    }
}

/// Grammar: 4-octet big-endian integer.
pub(crate) fn u32f(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u32> {
    move |i| {
        nom::number::complete::be_u32::<_, PErr>(i)
            .or_else(|_| fail(i, DecodeErrorKind::Truncated { field }))
    }
}

/// Grammar: `octet{0,max-1} NUL`, a C-Octet String of at most `max` octets including the NUL.
pub(crate) fn cstr<'a>(
    src: &'a Bytes,
    field: &'static str,
    max: usize,
) -> impl Fn(&'a [u8]) -> PResult<'a, COctetString> {
    move |i: &'a [u8]| {
        let window = &i[..i.len().min(max)];
        match window.iter().position(|&b| b == 0) {
            Some(n) => Ok((&i[n + 1..], COctetString(src.slice_ref(&i[..n])))),
            None if i.len() < max => fail(i, DecodeErrorKind::Truncated { field }),
            None => fail(i, DecodeErrorKind::CStringTooLong { field, max }),
        }
    }
}

/// Grammar: `NUL | octet{16} NUL`: an absolute or relative time (SMPP 3.4 §7.1).
pub(crate) fn time<'a>(
    src: &'a Bytes,
    field: &'static str,
) -> impl Fn(&'a [u8]) -> PResult<'a, COctetString> {
    move |i: &'a [u8]| {
        let (rest, s) = cstr(src, field, 17)(i)?;
        if !s.is_empty() && s.len() != 16 {
            return fail(
                i,
                DecodeErrorKind::FixedLength {
                    field,
                    len: s.len(),
                    expected: 16,
                },
            );
        }
        Ok((rest, s))
    }
}

/// Grammar: `sm_length octet{sm_length}` with `sm_length <= 254` (SMPP 3.4 §5.2.21–22).
pub(crate) fn short_message<'a>(src: &'a Bytes) -> impl Fn(&'a [u8]) -> PResult<'a, OctetString> {
    move |i: &'a [u8]| {
        let (rest, len) = u8f("sm_length")(i)?;
        let len = usize::from(len);
        if len > 254 || rest.len() < len {
            return fail(i, DecodeErrorKind::SmLength { len });
        }
        Ok((&rest[len..], OctetString(src.slice_ref(&rest[..len]))))
    }
}

/// Fails with `TrailingBytes` unless the body is fully consumed (for PDUs without TLVs).
pub(crate) fn end(i: &[u8]) -> PResult<'_, ()> {
    if i.is_empty() {
        Ok((i, ()))
    } else {
        fail(i, DecodeErrorKind::TrailingBytes { len: i.len() })
    }
}

// ---- encoding -------------------------------------------------------------------------------

/// Writes a C-Octet String and its NUL, refusing one longer than `max` (NUL included).
pub(crate) fn put_cstr(
    dst: &mut BytesMut,
    field: &'static str,
    max: usize,
    s: &COctetString,
) -> Result<(), EncodeError> {
    if s.len() + 1 > max {
        return Err(EncodeError::FieldTooLong {
            field,
            len: s.len(),
            max,
        });
    }
    dst.extend_from_slice(&s.0);
    dst.put_u8(0);
    Ok(())
}

/// Writes a time field: empty or exactly 16 characters (SMPP 3.4 §7.1).
pub(crate) fn put_time(
    dst: &mut BytesMut,
    field: &'static str,
    s: &COctetString,
) -> Result<(), EncodeError> {
    if !s.is_empty() && s.len() != 16 {
        return Err(EncodeError::FixedLength {
            field,
            len: s.len(),
        });
    }
    put_cstr(dst, field, 17, s)
}

/// Writes `sm_length` and `short_message` (at most 254 octets, SMPP 3.4 §5.2.22).
pub(crate) fn put_short_message(dst: &mut BytesMut, sm: &OctetString) -> Result<(), EncodeError> {
    let len = sm.0.len();
    let Ok(l) = u8::try_from(len) else {
        return Err(EncodeError::ShortMessageTooLong { len });
    };
    if l > 254 {
        return Err(EncodeError::ShortMessageTooLong { len });
    }
    dst.put_u8(l);
    dst.extend_from_slice(&sm.0);
    Ok(())
}
