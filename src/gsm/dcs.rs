//! TP-DCS, the data coding scheme (TS 23.038 §4; TS 23.040 §9.2.3.10): which alphabet the
//! user data uses, the message class, compression and message-waiting indications.

use serde::{Deserialize, Serialize};

/// The alphabet of the user data (TS 23.038 §4 "character set" bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// GSM 7-bit default alphabet, possibly with national shift tables (TS 23.038 §6.2.1).
    Gsm7,
    /// UCS-2, in practice UTF-16 with surrogate pairs (TS 23.038 §6.2.3).
    Ucs2,
    /// 8-bit data (TS 23.038 §4, "8 bit data"), carried unchanged.
    Binary,
}

/// Message class (TS 23.038 §4): where the receiving phone should put the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageClass {
    /// Class 0: shown immediately, not stored ("flash SMS").
    Class0,
    /// Class 1: ME-specific.
    Class1,
    /// Class 2: SIM-specific.
    Class2,
    /// Class 3: TE-specific.
    Class3,
}

impl MessageClass {
    fn from_bits(b: u8) -> Self {
        match b & 3 {
            0 => Self::Class0,
            1 => Self::Class1,
            2 => Self::Class2,
            _ => Self::Class3,
        }
    }

    fn bits(self) -> u8 {
        self as u8
    }
}

/// The coding group of a DCS octet (TS 23.038 §4, bits 7..4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "group", rename_all = "snake_case")]
pub enum DcsGroup {
    /// `00xx` general data coding, or `01xx` the same with automatic deletion.
    General {
        /// Whether the message is marked for automatic deletion (`01xx`).
        auto_delete: bool,
    },
    /// `1100`/`1101`/`1110` message waiting indication group.
    MessageWaiting {
        /// `1100`: the message may be discarded after the indication is updated.
        discard: bool,
        /// Indication sense: set or cleared.
        active: bool,
        /// Indication type: 0 voicemail, 1 fax, 2 e-mail, 3 other.
        kind: u8,
    },
    /// `1111` data coding / message class group.
    DataClass,
    /// `1000`..`1011`, reserved; the user data is read as GSM 7-bit (TS 23.038 §4).
    Reserved,
}

/// A TP-DCS octet. Kept as the raw octet so that decode → encode gives the same byte; the
/// meaning is read through the methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataCoding(pub u8);

impl DataCoding {
    /// `0x00`: GSM 7-bit, no class.
    pub const GSM7: DataCoding = DataCoding(0x00);
    /// `0x08`: UCS-2, no class.
    pub const UCS2: DataCoding = DataCoding(0x08);
    /// `0x04`: 8-bit data, no class.
    pub const BINARY: DataCoding = DataCoding(0x04);

    /// The general-group DCS for `encoding`, with an optional class (TS 23.038 §4 `00xx`).
    pub fn new(encoding: Encoding, class: Option<MessageClass>) -> Self {
        let alphabet = match encoding {
            Encoding::Gsm7 => 0,
            Encoding::Binary => 1,
            Encoding::Ucs2 => 2,
        } << 2;
        let class = class.map_or(0, |c| 0x10 | c.bits());
        Self(alphabet | class)
    }

    /// The coding group.
    pub fn group(self) -> DcsGroup {
        let b = self.0;
        match b >> 4 {
            0x0..=0x3 => DcsGroup::General { auto_delete: false },
            0x4..=0x7 => DcsGroup::General { auto_delete: true },
            0xC..=0xE => DcsGroup::MessageWaiting {
                discard: b >> 4 == 0xC,
                active: b & 0x08 != 0,
                kind: b & 0x03,
            },
            0xF => DcsGroup::DataClass,
            _ => DcsGroup::Reserved,
        }
    }

    /// The alphabet. Reserved alphabets and groups read as GSM 7-bit, as TS 23.038 §4
    /// requires of a receiving entity.
    pub fn encoding(self) -> Encoding {
        let b = self.0;
        match b >> 4 {
            0x0..=0x7 => match (b >> 2) & 3 {
                1 => Encoding::Binary,
                2 => Encoding::Ucs2,
                _ => Encoding::Gsm7,
            },
            0xE => Encoding::Ucs2,
            0xF if b & 0x04 != 0 => Encoding::Binary,
            _ => Encoding::Gsm7,
        }
    }

    /// The message class, when the DCS gives one.
    pub fn class(self) -> Option<MessageClass> {
        let b = self.0;
        match b >> 4 {
            0x0..=0x7 if b & 0x10 != 0 => Some(MessageClass::from_bits(b)),
            0xF => Some(MessageClass::from_bits(b)),
            _ => None,
        }
    }

    /// Whether the text is compressed (TS 23.042). This codec does not implement the
    /// compression algorithm, so such user data is reported as unsupported, never garbled.
    pub fn compressed(self) -> bool {
        self.0 >> 4 <= 0x7 && self.0 & 0x20 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_group_bytes_should_read_as_documented() {
        assert_eq!(DataCoding(0x00).encoding(), Encoding::Gsm7);
        assert_eq!(DataCoding(0x08).encoding(), Encoding::Ucs2);
        assert_eq!(DataCoding(0x04).encoding(), Encoding::Binary);
        assert_eq!(DataCoding(0x10).class(), Some(MessageClass::Class0));
        assert_eq!(DataCoding(0x18).encoding(), Encoding::Ucs2);
        assert!(DataCoding(0x20).compressed());
        assert_eq!(DataCoding(0x00).class(), None);
    }

    #[test]
    fn data_class_and_waiting_groups_should_read_as_documented() {
        assert_eq!(DataCoding(0xF0).class(), Some(MessageClass::Class0));
        assert_eq!(DataCoding(0xF6).encoding(), Encoding::Binary);
        assert_eq!(DataCoding(0xE8).encoding(), Encoding::Ucs2);
        assert_eq!(
            DataCoding(0xC8).group(),
            DcsGroup::MessageWaiting {
                discard: true,
                active: true,
                kind: 0
            }
        );
        assert_eq!(DataCoding(0x85).encoding(), Encoding::Gsm7);
        assert!(!DataCoding(0xF0).compressed());
    }

    #[test]
    fn new_should_build_general_group_octets() {
        assert_eq!(DataCoding::new(Encoding::Ucs2, None), DataCoding::UCS2);
        assert_eq!(
            DataCoding::new(Encoding::Gsm7, Some(MessageClass::Class0)),
            DataCoding(0x10)
        );
    }
}
