//! Values of one-octet fields that sessions and receipts interpret (SMPP 3.4 §5.2).
//!
//! The PDU structs keep these fields as plain `u8` so that any value a peer sends survives a
//! decode/encode round trip; the helpers here give them meaning.

/// message_state values (SMPP 3.4 §5.2.28; `SKIPPED` from SMPP 5.0 §4.7.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageState {
    /// 0 in 5.0: scheduled, not yet sent.
    Scheduled,
    /// 1: in transit.
    Enroute,
    /// 2: delivered to the destination.
    Delivered,
    /// 3: validity period expired.
    Expired,
    /// 4: deleted.
    Deleted,
    /// 5: undeliverable.
    Undeliverable,
    /// 6: accepted (read by a user on the SMSC's behalf).
    Accepted,
    /// 7: state unknown.
    Unknown,
    /// 8: rejected.
    Rejected,
    /// 9 (5.0): skipped.
    Skipped,
    /// Any other value, kept.
    Other(u8),
}

impl MessageState {
    /// Maps a wire value; never fails.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Scheduled,
            1 => Self::Enroute,
            2 => Self::Delivered,
            3 => Self::Expired,
            4 => Self::Deleted,
            5 => Self::Undeliverable,
            6 => Self::Accepted,
            7 => Self::Unknown,
            8 => Self::Rejected,
            9 => Self::Skipped,
            o => Self::Other(o),
        }
    }

    /// The wire value.
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::Scheduled => 0,
            Self::Enroute => 1,
            Self::Delivered => 2,
            Self::Expired => 3,
            Self::Deleted => 4,
            Self::Undeliverable => 5,
            Self::Accepted => 6,
            Self::Unknown => 7,
            Self::Rejected => 8,
            Self::Skipped => 9,
            Self::Other(o) => o,
        }
    }

    /// True when no further change is expected (everything but scheduled/enroute/unknown).
    pub const fn is_final(self) -> bool {
        !matches!(
            self,
            Self::Scheduled | Self::Enroute | Self::Unknown | Self::Other(_)
        )
    }
}

/// esm_class bits (SMPP 3.4 §5.2.12).
pub mod esm_class {
    /// Bits 5..2: message type.
    pub const TYPE_MASK: u8 = 0b0011_1100;
    /// Message type "SMSC delivery receipt" (deliver_sm).
    pub const DELIVERY_RECEIPT: u8 = 0b0000_0100;
    /// Message type "SME delivery acknowledgement".
    pub const DELIVERY_ACK: u8 = 0b0000_1000;
    /// Message type "SME manual/user acknowledgement".
    pub const MANUAL_ACK: u8 = 0b0001_0000;
    /// Message type "conversation abort" (Korean CDMA).
    pub const CONVERSATION_ABORT: u8 = 0b0001_1000;
    /// Message type "intermediate delivery notification".
    pub const INTERMEDIATE_NOTIFICATION: u8 = 0b0010_0000;
    /// Bit 6: UDH indicator (`short_message` starts with a user data header).
    pub const UDHI: u8 = 0b0100_0000;
    /// Bit 7: reply path.
    pub const REPLY_PATH: u8 = 0b1000_0000;

    /// True when a deliver_sm/data_sm carries a receipt or notification rather than an MO
    /// message (any of the receipt/acknowledgement/notification types).
    pub const fn is_receipt(esm_class: u8) -> bool {
        matches!(
            esm_class & TYPE_MASK,
            DELIVERY_RECEIPT | DELIVERY_ACK | MANUAL_ACK | INTERMEDIATE_NOTIFICATION
        )
    }
}

/// registered_delivery bits (SMPP 3.4 §5.2.17).
pub mod registered_delivery {
    /// Bits 1..0: SMSC delivery receipt requested on success and failure.
    pub const RECEIPT_ALWAYS: u8 = 0b01;
    /// Bits 1..0: receipt on failure only.
    pub const RECEIPT_ON_FAILURE: u8 = 0b10;
    /// Bit 4: intermediate notification requested.
    pub const INTERMEDIATE: u8 = 0b1_0000;
    /// Bits 7..5 are reserved and must be 0.
    pub const RESERVED_MASK: u8 = 0b1110_0000;
}

/// data_coding values used by smsgw (SMPP 3.4 §5.2.19).
pub mod data_coding {
    /// SMSC default alphabet (GSM 7-bit on most SMSCs).
    pub const SMSC_DEFAULT: u8 = 0x00;
    /// IA5 / ASCII.
    pub const IA5: u8 = 0x01;
    /// 8-bit binary.
    pub const BINARY: u8 = 0x02;
    /// ISO-8859-1 (Latin-1).
    pub const LATIN1: u8 = 0x03;
    /// 8-bit binary (second code point).
    pub const BINARY_2: u8 = 0x04;
    /// UCS-2 (UTF-16BE).
    pub const UCS2: u8 = 0x08;
}

/// Type of number (SMPP 3.4 §5.2.5).
pub mod ton {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// International (E.164 without `+`).
    pub const INTERNATIONAL: u8 = 1;
    /// National.
    pub const NATIONAL: u8 = 2;
    /// Network specific (short codes on many networks).
    pub const NETWORK_SPECIFIC: u8 = 3;
    /// Subscriber number.
    pub const SUBSCRIBER: u8 = 4;
    /// Alphanumeric sender.
    pub const ALPHANUMERIC: u8 = 5;
    /// Abbreviated.
    pub const ABBREVIATED: u8 = 6;
}

/// Numbering plan indicator (SMPP 3.4 §5.2.6).
pub mod npi {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// ISDN (E.163/E.164).
    pub const ISDN: u8 = 1;
    /// National.
    pub const NATIONAL: u8 = 8;
    /// Private.
    pub const PRIVATE: u8 = 9;
}

/// interface_version values (SMPP 3.4 §5.2.4).
pub mod interface_version {
    /// SMPP 3.3 or earlier.
    pub const V33: u8 = 0x33;
    /// SMPP 3.4.
    pub const V34: u8 = 0x34;
    /// SMPP 5.0.
    pub const V50: u8 = 0x50;
}
