//! The one error type of the codec, and the nom error adapter that carries byte offsets.

use nom::error::{ContextError, ErrorKind, ParseError};

/// Everything that can go wrong while parsing or building SMS data.
///
/// Parse errors carry the byte offset (from the start of the buffer handed to the parser)
/// where the problem was detected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GsmError {
    /// The input ended before a field was complete.
    #[error("truncated input at byte {offset}: {what} incomplete")]
    Truncated {
        /// Byte offset where the missing data should have started.
        offset: usize,
        /// The field being read.
        what: &'static str,
    },
    /// A field had a value the specification does not allow.
    #[error("invalid {what} at byte {offset}")]
    Invalid {
        /// Byte offset of the offending field.
        offset: usize,
        /// The field being read.
        what: &'static str,
    },
    /// Bytes were left after a complete TPDU.
    #[error("{len} unexpected trailing byte(s) at byte {offset}")]
    TrailingData {
        /// Offset of the first unexpected byte.
        offset: usize,
        /// How many bytes were left.
        len: usize,
    },
    /// The data is well formed but uses a feature this codec does not implement
    /// (e.g. TS 23.042 compression, reserved message types).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported.
        what: &'static str,
    },
    /// A value given to a builder cannot be encoded.
    #[error("cannot encode {what}: {reason}")]
    Unencodable {
        /// The field being built.
        what: &'static str,
        /// Why it cannot be encoded.
        reason: &'static str,
    },
    /// A hex string (AT PDU mode, CLI) held a non-hex character or an odd number of digits.
    #[error("invalid hex at character {offset}")]
    InvalidHex {
        /// Offset of the offending character (or the string length when it is odd).
        offset: usize,
    },
    /// The text needs more than 255 parts, the limit of the concatenation IE.
    #[error("text needs {parts} parts, more than the 255 a concatenated SMS can carry")]
    TooManyParts {
        /// Parts the text would need.
        parts: usize,
    },
}

/// Internal nom error: remembers where parsing stopped and which field was being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NomError<'a> {
    /// Remaining input at the failure point.
    pub input: &'a [u8],
    /// Field name given by the innermost `context`, if any.
    pub what: Option<&'static str>,
    /// Whether the input ran out (as opposed to holding a bad value).
    pub truncated: bool,
}

impl<'a> NomError<'a> {
    /// A semantic error (bad value) at `input`.
    pub(crate) fn invalid(input: &'a [u8], what: &'static str) -> nom::Err<Self> {
        nom::Err::Error(NomError {
            input,
            what: Some(what),
            truncated: false,
        })
    }

    /// Converts to the public error, computing the offset against the whole buffer. The
    /// failing slice always points into `whole` (sub-parsers get sub-slices), so the
    /// offset is the address difference, which stays right inside length-limited fields.
    pub(crate) fn into_gsm(self, whole: &[u8], base: usize) -> GsmError {
        let start = whole.as_ptr() as usize;
        let at = self.input.as_ptr() as usize;
        let offset = base + at.saturating_sub(start).min(whole.len());
        let what = self.what.unwrap_or("field");
        if self.truncated {
            GsmError::Truncated { offset, what }
        } else {
            GsmError::Invalid { offset, what }
        }
    }
}

impl<'a> ParseError<&'a [u8]> for NomError<'a> {
    fn from_error_kind(input: &'a [u8], kind: ErrorKind) -> Self {
        NomError {
            input,
            what: None,
            truncated: kind == ErrorKind::Eof || input.is_empty(),
        }
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<&'a [u8]> for NomError<'a> {
    fn add_context(_input: &'a [u8], ctx: &'static str, mut other: Self) -> Self {
        if other.what.is_none() {
            other.what = Some(ctx);
        }
        other
    }
}

/// Result type of the internal nom parsers.
pub(crate) type PResult<'a, O> = nom::IResult<&'a [u8], O, NomError<'a>>;

/// Turns a nom failure into a [`GsmError`] relative to `whole`.
pub(crate) fn finish<O>(
    whole: &[u8],
    base: usize,
    r: PResult<'_, O>,
) -> Result<(usize, O), GsmError> {
    match r {
        Ok((rest, o)) => Ok((whole.len() - rest.len(), o)),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_gsm(whole, base)),
        Err(nom::Err::Incomplete(_)) => Err(GsmError::Truncated {
            offset: base + whole.len(),
            what: "input",
        }),
    }
}
