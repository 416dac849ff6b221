//! Typed errors of the SMPP PDU codec.
//!
//! Decoding errors carry the byte offset (from the start of the frame, header included) where
//! the problem was found and, once the 16-octet header could be read, the header itself: a
//! session needs its `sequence_number` to answer `generic_nack` (SMPP 3.4 §4.3) and go on.

use super::header::Header;
use super::status::CommandStatus;

/// Why a frame could not be decoded. `#[non_exhaustive]`: new checks may be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Fewer than 16 octets: not even a header (SMPP 3.4 §3.2).
    #[error("frame of {len} octets is shorter than the 16-octet header")]
    ShortHeader {
        /// Octets available.
        len: usize,
    },
    /// `command_length` is below 16 or above the limit we accept ([`super::MAX_PDU_LEN`]).
    #[error("command_length {command_length} is outside {min}..={max}")]
    CommandLength {
        /// The length the peer announced.
        command_length: u32,
        /// Smallest legal value (the header size).
        min: usize,
        /// Largest value we accept.
        max: usize,
    },
    /// `command_length` disagrees with the frame we were given.
    #[error("command_length {command_length} but the frame holds {actual} octets")]
    LengthMismatch {
        /// The length the peer announced.
        command_length: u32,
        /// The octets actually present.
        actual: usize,
    },
    /// A `command_id` this codec does not know (SMPP 3.4 §5.1.2.1).
    #[error("unknown command_id {0:#010x}")]
    UnknownCommandId(u32),
    /// The body ended in the middle of a mandatory field.
    #[error("body ends inside `{field}`")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// A C-Octet String had no NUL within its maximum size (SMPP 3.4 §3.1).
    #[error("`{field}` is not NUL-terminated within {max} octets")]
    CStringTooLong {
        /// The field being read.
        field: &'static str,
        /// Maximum size including the NUL.
        max: usize,
    },
    /// A fixed-size C-Octet String (times, SMPP 3.4 §7.1) was neither empty nor 16 characters.
    #[error("`{field}` has {len} characters; it must have 0 or {expected}")]
    FixedLength {
        /// The field being read.
        field: &'static str,
        /// Characters found.
        len: usize,
        /// Characters required when not empty.
        expected: usize,
    },
    /// A field value the spec does not allow (e.g. `dest_flag` other than 1 or 2).
    #[error("`{field}` has the invalid value {value}")]
    InvalidValue {
        /// The field being read.
        field: &'static str,
        /// The value found.
        value: u32,
    },
    /// `sm_length` exceeds 254 or overruns the body (SMPP 3.4 §5.2.21).
    #[error("sm_length {len} is invalid")]
    SmLength {
        /// The announced length.
        len: usize,
    },
    /// A TLV header or value runs past the end of the body (SMPP 3.4 §3.2.4).
    #[error("TLV stream is truncated")]
    TlvTruncated,
    /// A known TLV has a value length its definition does not allow (SMPP 3.4 §5.3.2).
    #[error("TLV {tag:#06x} has length {len}, expected {expected}")]
    TlvLength {
        /// The TLV tag.
        tag: u16,
        /// The length found.
        len: usize,
        /// What the definition allows, in words.
        expected: &'static str,
    },
    /// Octets after the last field of a PDU that carries no optional parameters.
    #[error("{len} unexpected octets after the last field")]
    TrailingBytes {
        /// How many octets were left.
        len: usize,
    },
}

/// A frame that could not be decoded, with where and (if readable) which PDU it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SMPP decode error at offset {offset}: {kind}")]
pub struct DecodeError {
    /// The header, when at least 16 octets were present: its `sequence_number` is what a
    /// `generic_nack` must echo.
    pub header: Option<Header>,
    /// Offset from the start of the frame (header included) of the offending octets.
    pub offset: usize,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// The sequence number to echo in a `generic_nack`, or 0 when the header was unreadable
    /// (SMPP 3.4 §4.3.1 leaves nothing better).
    pub fn sequence_number(&self) -> u32 {
        self.header.map_or(0, |h| h.sequence_number)
    }

    /// The `command_status` a peer should be answered with (SMPP 3.4 §5.1.3), so sessions do
    /// not each invent a mapping.
    pub fn nack_status(&self) -> CommandStatus {
        match &self.kind {
            DecodeErrorKind::ShortHeader { .. }
            | DecodeErrorKind::CommandLength { .. }
            | DecodeErrorKind::LengthMismatch { .. }
            | DecodeErrorKind::TrailingBytes { .. } => CommandStatus::InvalidCommandLength,
            DecodeErrorKind::UnknownCommandId(_) => CommandStatus::InvalidCommandId,
            DecodeErrorKind::SmLength { .. } => CommandStatus::InvalidMessageLength,
            DecodeErrorKind::TlvTruncated => CommandStatus::InvalidOptionalParameterStream,
            DecodeErrorKind::TlvLength { .. } => CommandStatus::InvalidParameterLength,
            DecodeErrorKind::InvalidValue {
                field: "dest_flag", ..
            } => CommandStatus::InvalidDestFlag,
            DecodeErrorKind::InvalidValue {
                field: "number_of_dests",
                ..
            } => CommandStatus::InvalidNumberOfDestinations,
            DecodeErrorKind::Truncated { .. }
            | DecodeErrorKind::CStringTooLong { .. }
            | DecodeErrorKind::FixedLength { .. }
            | DecodeErrorKind::InvalidValue { .. } => CommandStatus::InvalidCommandLength,
        }
    }
}

/// Why a PDU could not be encoded. Encoding refuses what a conforming peer would reject, so
/// we never put an invalid PDU on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A C-Octet String is longer than its field allows (SMPP 3.4 §4, "max" column).
    #[error("`{field}` has {len} octets; at most {max} fit (NUL included)")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length without the NUL.
        len: usize,
        /// The maximum size including the NUL.
        max: usize,
    },
    /// A time field must be empty or exactly 16 characters (SMPP 3.4 §7.1).
    #[error("`{field}` must be empty or 16 characters, not {len}")]
    FixedLength {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// `short_message` is limited to 254 octets (SMPP 3.4 §5.2.22); use `message_payload`.
    #[error("short_message has {len} octets; at most 254 are allowed")]
    ShortMessageTooLong {
        /// Its length.
        len: usize,
    },
    /// submit_multi carries 1..=254 destinations (SMPP 3.4 §4.5.1, `number_of_dests`).
    #[error("{count} destinations; submit_multi allows 1 to 254")]
    Destinations {
        /// How many were given.
        count: usize,
    },
    /// A list field holds more entries than its one-octet counter can express.
    #[error("`{field}` has {count} entries; at most 255 fit")]
    TooManyEntries {
        /// The field.
        field: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A TLV's value does not have the shape its tag requires, or is longer than 65,535.
    #[error("TLV {tag:#06x} has a value its definition does not allow")]
    TlvValue {
        /// The tag.
        tag: u16,
    },
    /// The whole PDU would exceed [`super::MAX_PDU_LEN`].
    #[error("PDU of {len} octets exceeds the maximum of {max}")]
    PduTooLong {
        /// The size it would have.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A C-Octet String value contains a NUL octet, which would end it early (SMPP 3.4 §3.1).
    #[error("C-Octet String contains a NUL octet")]
    EmbeddedNul,
}
