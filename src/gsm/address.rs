//! Addresses: TP-OA/TP-DA/TP-RA (TS 23.040 §9.1.2.5, lengths in semi-octets, alphanumeric
//! senders as packed GSM 7-bit) and the SMSC address that prefixes a TPDU in AT PDU mode
//! (TS 27.005 §3.1 `<pdu>`, TS 24.011 §8.2.5.2, length in octets).

use nom::Parser;
use nom::bytes::complete::take;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::{Deserialize, Serialize};

use super::alphabet::Gsm7Charset;
use super::error::{GsmError, NomError, PResult};
use super::septet;

/// Type of number, bits 6..4 of the type-of-address octet (TS 23.040 §9.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeOfNumber {
    /// 000: the network applies its own numbering plan.
    Unknown,
    /// 001: international number, country code first (shown with `+`).
    International,
    /// 010: national number.
    National,
    /// 011: network specific (short codes of some operators).
    NetworkSpecific,
    /// 100: subscriber number.
    Subscriber,
    /// 101: alphanumeric, GSM 7-bit packed (TS 23.038 §6.2.1).
    Alphanumeric,
    /// 110: abbreviated number.
    Abbreviated,
    /// 111: reserved for extension.
    Reserved,
}

impl TypeOfNumber {
    fn from_bits(b: u8) -> Self {
        match (b >> 4) & 7 {
            0 => Self::Unknown,
            1 => Self::International,
            2 => Self::National,
            3 => Self::NetworkSpecific,
            4 => Self::Subscriber,
            5 => Self::Alphanumeric,
            6 => Self::Abbreviated,
            _ => Self::Reserved,
        }
    }

    fn bits(self) -> u8 {
        (self as u8) << 4
    }
}

/// Numbering plan "ISDN/telephone" (E.164), the usual NPI of phone numbers.
pub const NPI_ISDN: u8 = 1;

/// Longest alphanumeric address: 11 characters fill the 10 octets TS 23.040 §9.1.2.5 allows.
pub const MAX_ALPHANUMERIC: usize = 11;

/// Longest numeric TP address: 20 digits in 10 octets (TS 23.040 §9.1.2.5).
pub const MAX_DIGITS: usize = 20;

/// An address: a number (digits and `*#abc`) or an alphanumeric name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// Type of number.
    pub ton: TypeOfNumber,
    /// Numbering plan identification (bits 3..0), [`NPI_ISDN`] for phone numbers.
    pub npi: u8,
    /// Digits without `+` for numbers; the text for alphanumeric addresses.
    pub value: String,
}

impl Address {
    /// An international number (`digits` without the `+`).
    pub fn international(digits: &str) -> Self {
        Self::numeric(TypeOfNumber::International, digits)
    }

    /// A national number.
    pub fn national(digits: &str) -> Self {
        Self::numeric(TypeOfNumber::National, digits)
    }

    /// A number of unknown type: the network applies its numbering plan.
    pub fn unknown(digits: &str) -> Self {
        Self::numeric(TypeOfNumber::Unknown, digits)
    }

    /// An alphanumeric sender name.
    pub fn alphanumeric(name: &str) -> Self {
        Self {
            ton: TypeOfNumber::Alphanumeric,
            npi: 0,
            value: name.to_string(),
        }
    }

    fn numeric(ton: TypeOfNumber, digits: &str) -> Self {
        Self {
            ton,
            npi: NPI_ISDN,
            value: digits.to_string(),
        }
    }

    /// Reads what a person types: `+` and digits → international; digits (and `*#`) →
    /// unknown type; anything else → alphanumeric. Spaces and dashes in numbers are ignored.
    pub fn from_user(s: &str) -> Self {
        let s = s.trim();
        let cleaned: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let is_digits = |d: &str| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        };
        match cleaned.strip_prefix('+') {
            Some(d) if is_digits(d) => Self::international(d),
            None if is_digits(&cleaned) => Self::unknown(&cleaned),
            _ => Self::alphanumeric(s),
        }
    }

    /// The address as people write it: `+` before international numbers.
    pub fn display(&self) -> String {
        match self.ton {
            TypeOfNumber::International => format!("+{}", self.value),
            _ => self.value.clone(),
        }
    }

    fn toa(&self) -> u8 {
        0x80 | self.ton.bits() | (self.npi & 0x0F)
    }

    /// Appends the address as a TP address field (TS 23.040 §9.1.2.5).
    pub fn encode_tp_into(&self, out: &mut Vec<u8>) -> Result<(), GsmError> {
        if self.ton == TypeOfNumber::Alphanumeric {
            if self.value.chars().count() > MAX_ALPHANUMERIC {
                return Err(GsmError::Unencodable {
                    what: "address",
                    reason: "an alphanumeric address has at most 11 characters",
                });
            }
            let mut septets = Vec::with_capacity(MAX_ALPHANUMERIC);
            Gsm7Charset::DEFAULT.encode_into(&self.value, &mut septets)?;
            let packed = septet::pack(&septets, 0);
            out.push((septets.len() * 7).div_ceil(4) as u8);
            out.push(self.toa());
            out.extend_from_slice(&packed);
            return Ok(());
        }
        let len = self.value.len();
        if len > MAX_DIGITS {
            return Err(GsmError::Unencodable {
                what: "address",
                reason: "a number has at most 20 digits",
            });
        }
        out.push(len as u8);
        out.push(self.toa());
        encode_bcd(&self.value, out)
    }

    /// Appends the address as the SMSC prefix of AT PDU mode (length in octets, type octet
    /// included; TS 24.011 §8.2.5.2).
    pub fn encode_smsc_into(&self, out: &mut Vec<u8>) -> Result<(), GsmError> {
        if self.ton == TypeOfNumber::Alphanumeric || self.value.len() > MAX_DIGITS {
            return Err(GsmError::Unencodable {
                what: "SMSC address",
                reason: "an SMSC address is a number of at most 20 digits",
            });
        }
        out.push((1 + self.value.len().div_ceil(2)) as u8);
        out.push(self.toa());
        encode_bcd(&self.value, out)
    }
}

fn digit_nibble(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(0xA),
        '#' => Some(0xB),
        'a' | 'A' => Some(0xC),
        'b' | 'B' => Some(0xD),
        'c' | 'C' => Some(0xE),
        _ => None,
    }
}

fn nibble_digit(n: u8) -> Option<char> {
    match n {
        0..=9 => Some(char::from(b'0' + n)),
        0xA => Some('*'),
        0xB => Some('#'),
        0xC => Some('a'),
        0xD => Some('b'),
        0xE => Some('c'),
        _ => None,
    }
}

/// Semi-octet (swapped nibble) digits, `F` filling an odd last octet (TS 23.040 §9.1.2.3).
fn encode_bcd(digits: &str, out: &mut Vec<u8>) -> Result<(), GsmError> {
    let bad = || GsmError::Unencodable {
        what: "address",
        reason: "a number may hold only digits, '*', '#', 'a', 'b' and 'c'",
    };
    let mut chars = digits.chars();
    while let Some(lo) = chars.next() {
        let lo = digit_nibble(lo).ok_or_else(bad)?;
        let hi = match chars.next() {
            Some(c) => digit_nibble(c).ok_or_else(bad)?,
            None => 0xF,
        };
        out.push(hi << 4 | lo);
    }
    Ok(())
}

fn decode_bcd(octets: &[u8], digits: usize) -> String {
    octets
        .iter()
        .flat_map(|b| [b & 0x0F, b >> 4])
        .take(digits)
        .filter_map(nibble_digit)
        .collect()
}

/// `tp-address = len:u8 (semi-octets) toa:u8 value:ceil(len/2)` (TS 23.040 §9.1.2.5).
pub(crate) fn parse_tp(input: &[u8]) -> PResult<'_, Address> {
    let (rest, len) = context("address length", be_u8).parse(input)?;
    if usize::from(len) > MAX_DIGITS {
        return Err(NomError::invalid(
            input,
            "address length (more than 20 semi-octets)",
        ));
    }
    let (rest, toa) = context("type of address", be_u8).parse(rest)?;
    let (rest, value) = context("address", take(usize::from(len).div_ceil(2))).parse(rest)?;
    let ton = TypeOfNumber::from_bits(toa);
    let value = if ton == TypeOfNumber::Alphanumeric {
        let count = usize::from(len) * 4 / 7;
        let septets = septet::unpack(value, 0, count)
            .ok_or_else(|| NomError::invalid(input, "alphanumeric address"))?;
        Gsm7Charset::DEFAULT.decode(&septets)
    } else {
        decode_bcd(value, usize::from(len))
    };
    Ok((
        rest,
        Address {
            ton,
            npi: toa & 0x0F,
            value,
        },
    ))
}

/// `smsc = len:u8 (octets) [toa:u8 value:len-1]`; `len = 0` means "none" (TS 27.005 §3.1).
pub(crate) fn parse_smsc(input: &[u8]) -> PResult<'_, Option<Address>> {
    let (rest, len) = context("SMSC length", be_u8).parse(input)?;
    if len == 0 {
        return Ok((rest, None));
    }
    if usize::from(len) > 1 + MAX_DIGITS / 2 {
        return Err(NomError::invalid(
            input,
            "SMSC address length (more than 11 octets)",
        ));
    }
    let (rest, body) = context("SMSC address", take(len)).parse(rest)?;
    let toa = body[0];
    let digits = &body[1..];
    let count = digits.len() * 2 - usize::from(digits.last().is_some_and(|b| b >> 4 == 0xF));
    Ok((
        rest,
        Some(Address {
            ton: TypeOfNumber::from_bits(toa),
            npi: toa & 0x0F,
            value: decode_bcd(digits, count),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_number_should_encode_swapped_with_filler() {
        let mut out = Vec::new();
        Address::international("46708251358")
            .encode_tp_into(&mut out)
            .unwrap();
        assert_eq!(hex::encode_upper(&out), "0B916407281553F8");
        let (_, back) = parse_tp(&out).unwrap();
        assert_eq!(back.display(), "+46708251358");
    }

    #[test]
    fn alphanumeric_sender_should_round_trip() {
        let mut out = Vec::new();
        Address::alphanumeric("InfoText")
            .encode_tp_into(&mut out)
            .unwrap();
        let (_, back) = parse_tp(&out).unwrap();
        assert_eq!(back, Address::alphanumeric("InfoText"));
    }

    #[test]
    fn empty_smsc_should_parse_as_none() {
        let (rest, smsc) = parse_smsc(&[0x00, 0x11]).unwrap();
        assert_eq!((rest, smsc), (&[0x11][..], None));
    }

    #[test]
    fn user_input_should_pick_the_type() {
        assert_eq!(
            Address::from_user("+358 40 123").ton,
            TypeOfNumber::International
        );
        assert_eq!(Address::from_user("0401234").ton, TypeOfNumber::Unknown);
        assert_eq!(Address::from_user("Shop").ton, TypeOfNumber::Alphanumeric);
    }
}
