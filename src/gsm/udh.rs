//! The user data header (TS 23.040 §9.2.3.24): a length octet (UDHL) and information
//! elements. Concatenation, application ports and national language shifts are typed; any
//! other element is kept as raw bytes so that nothing is dropped on the way through.

use nom::Parser;
use nom::bytes::complete::take;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::Serialize;

use super::alphabet::{Gsm7Charset, NationalLanguage};
use super::error::{NomError, PResult};

/// IEI of the 8-bit reference concatenation element (TS 23.040 §9.2.3.24.1).
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of the 8-bit application port element (TS 23.040 §9.2.3.24.3).
pub const IEI_PORTS_8: u8 = 0x04;
/// IEI of the 16-bit application port element (TS 23.040 §9.2.3.24.4).
pub const IEI_PORTS_16: u8 = 0x05;
/// IEI of the 16-bit reference concatenation element (TS 23.040 §9.2.3.24.8).
pub const IEI_CONCAT_16: u8 = 0x08;
/// IEI of the national language single shift element (TS 23.040 §9.2.3.24.15).
pub const IEI_SINGLE_SHIFT: u8 = 0x24;
/// IEI of the national language locking shift element (TS 23.040 §9.2.3.24.16).
pub const IEI_LOCKING_SHIFT: u8 = 0x25;

/// One information element of a user data header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InformationElement {
    /// Concatenated short message (TS 23.040 §9.2.3.24.1 with an 8-bit reference,
    /// §9.2.3.24.8 with a 16-bit one).
    Concat(Concat),
    /// Application port addressing (TS 23.040 §9.2.3.24.3 8-bit, §9.2.3.24.4 16-bit), used
    /// by WAP push, vCards and the like.
    Ports {
        /// Destination port.
        destination: u16,
        /// Originator port.
        source: u16,
        /// Whether the 16-bit form (IEI 0x05) is used.
        sixteen_bit: bool,
    },
    /// National language single shift (TS 23.040 §9.2.3.24.15).
    SingleShift(NationalLanguage),
    /// National language locking shift (TS 23.040 §9.2.3.24.16).
    LockingShift(NationalLanguage),
    /// Any other element (or a known one with a length or value the spec says to ignore),
    /// kept as it came.
    Other {
        /// The IEI.
        iei: u8,
        /// The element data.
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
}

/// Concatenation information (TS 23.040 §9.2.3.24.1/§9.2.3.24.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Concat {
    /// The reference shared by all parts of one message.
    pub reference: u16,
    /// Total number of parts (1..=255).
    pub total: u8,
    /// This part's number, 1-based.
    pub sequence: u8,
    /// Whether the reference is 16-bit (IEI 0x08) rather than 8-bit (IEI 0x00).
    pub sixteen_bit: bool,
}

impl InformationElement {
    /// Encoded size: IEI, IEDL and data.
    pub fn encoded_len(&self) -> usize {
        2 + match self {
            Self::Concat(c) if c.sixteen_bit => 4,
            Self::Concat(_) => 3,
            Self::Ports { sixteen_bit, .. } => {
                if *sixteen_bit {
                    4
                } else {
                    2
                }
            }
            Self::SingleShift(_) | Self::LockingShift(_) => 1,
            Self::Other { data, .. } => data.len(),
        }
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Self::Concat(c) if c.sixteen_bit => {
                let [hi, lo] = c.reference.to_be_bytes();
                out.extend_from_slice(&[IEI_CONCAT_16, 4, hi, lo, c.total, c.sequence]);
            }
            Self::Concat(c) => {
                out.extend_from_slice(&[IEI_CONCAT_8, 3, c.reference as u8, c.total, c.sequence]);
            }
            Self::Ports {
                destination,
                source,
                sixteen_bit: true,
            } => {
                out.extend_from_slice(&[IEI_PORTS_16, 4]);
                out.extend_from_slice(&destination.to_be_bytes());
                out.extend_from_slice(&source.to_be_bytes());
            }
            Self::Ports {
                destination,
                source,
                sixteen_bit: false,
            } => out.extend_from_slice(&[IEI_PORTS_8, 2, *destination as u8, *source as u8]),
            Self::SingleShift(l) => out.extend_from_slice(&[IEI_SINGLE_SHIFT, 1, l.id()]),
            Self::LockingShift(l) => out.extend_from_slice(&[IEI_LOCKING_SHIFT, 1, l.id()]),
            Self::Other { iei, data } => {
                out.push(*iei);
                out.push(data.len() as u8);
                out.extend_from_slice(data);
            }
        }
    }

    /// Types an element from its IEI and data; unknown or ill-formed ones stay raw.
    fn from_raw(iei: u8, data: &[u8]) -> Self {
        let concat = |reference, total: u8, sequence: u8, sixteen_bit| {
            // §9.2.3.24.1: a zero total or sequence, or sequence > total, means "ignore the IE".
            if total == 0 || sequence == 0 || sequence > total {
                None
            } else {
                Some(Self::Concat(Concat {
                    reference,
                    total,
                    sequence,
                    sixteen_bit,
                }))
            }
        };
        let typed = match (iei, data) {
            (IEI_CONCAT_8, &[r, t, s]) => concat(u16::from(r), t, s, false),
            (IEI_CONCAT_16, &[r1, r2, t, s]) => concat(u16::from_be_bytes([r1, r2]), t, s, true),
            (IEI_PORTS_8, &[d, s]) => Some(Self::Ports {
                destination: u16::from(d),
                source: u16::from(s),
                sixteen_bit: false,
            }),
            (IEI_PORTS_16, &[d1, d2, s1, s2]) => Some(Self::Ports {
                destination: u16::from_be_bytes([d1, d2]),
                source: u16::from_be_bytes([s1, s2]),
                sixteen_bit: true,
            }),
            (IEI_SINGLE_SHIFT, &[id]) => NationalLanguage::from_id(id).map(Self::SingleShift),
            (IEI_LOCKING_SHIFT, &[id]) => NationalLanguage::from_id(id).map(Self::LockingShift),
            _ => None,
        };
        typed.unwrap_or_else(|| Self::Other {
            iei,
            data: data.to_vec(),
        })
    }
}

/// A user data header: the ordered information elements (UDHL is derived on encode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserDataHeader {
    /// The elements in order of appearance.
    pub elements: Vec<InformationElement>,
}

impl UserDataHeader {
    /// Splits a header off the front of user data octets (8-bit or UCS-2 user data, as SMPP
    /// carries with `esm_class` UDHI): the header and the octets after it. A header whose
    /// UDHL or element lengths run past the data is an error.
    pub fn split(user_data: &[u8]) -> Result<(UserDataHeader, &[u8]), crate::gsm::GsmError> {
        let (used, header) = super::error::finish(user_data, 0, parse(user_data))?;
        Ok((header, user_data.get(used..).unwrap_or(&[])))
    }

    /// Octets of the encoded header, UDHL included.
    pub fn encoded_len(&self) -> usize {
        1 + self
            .elements
            .iter()
            .map(InformationElement::encoded_len)
            .sum::<usize>()
    }

    /// Appends UDHL and the elements to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push((self.encoded_len() - 1) as u8);
        for ie in &self.elements {
            ie.encode_into(out);
        }
    }

    /// The concatenation element, if any (the first one wins, TS 23.040 §9.2.3.24 says an
    /// element should not repeat).
    pub fn concat(&self) -> Option<Concat> {
        self.elements.iter().find_map(|ie| match ie {
            InformationElement::Concat(c) => Some(*c),
            _ => None,
        })
    }

    /// The 7-bit charset the national language elements select (defaults otherwise).
    pub fn charset(&self) -> Gsm7Charset {
        let mut cs = Gsm7Charset::DEFAULT;
        for ie in &self.elements {
            match ie {
                InformationElement::SingleShift(l) => cs.single = Some(*l),
                InformationElement::LockingShift(l) => cs.locking = Some(*l),
                _ => {}
            }
        }
        cs
    }
}

/// `udh = UDHL:u8 *(IEI:u8 IEDL:u8 data:IEDL)` filling exactly UDHL octets.
pub(crate) fn parse(input: &[u8]) -> PResult<'_, UserDataHeader> {
    let (rest, udhl) = context("UDHL", be_u8).parse(input)?;
    let (rest, mut body) = context("user data header", take(udhl)).parse(rest)?;
    let mut elements = Vec::new();
    while !body.is_empty() {
        let (r, iei) = context("IEI", be_u8).parse(body)?;
        let (r, len) = context("IEDL", be_u8).parse(r)?;
        if usize::from(len) > r.len() {
            return Err(NomError::invalid(body, "information element length"));
        }
        let (r, data) = context("IE data", take(len)).parse(r)?;
        elements.push(InformationElement::from_raw(iei, data));
        body = r;
    }
    Ok((rest, UserDataHeader { elements }))
}

/// Serialises bytes as an upper-case hex string (for the CLI's JSON).
mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_and_unknown_elements_should_survive_a_round_trip() {
        let h = UserDataHeader {
            elements: vec![
                InformationElement::Concat(Concat {
                    reference: 0x1234,
                    total: 3,
                    sequence: 2,
                    sixteen_bit: true,
                }),
                InformationElement::Other {
                    iei: 0x70,
                    data: vec![1, 2],
                },
                InformationElement::LockingShift(NationalLanguage::Turkish),
            ],
        };
        let mut buf = Vec::new();
        h.encode_into(&mut buf);
        assert_eq!(buf.len(), h.encoded_len());
        let (rest, back) = parse(&buf).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, h);
    }

    #[test]
    fn concat_with_sequence_zero_should_be_kept_raw() {
        let (_, h) = parse(&[5, 0, 3, 7, 2, 0]).unwrap();
        assert_eq!(h.concat(), None);
        assert!(matches!(
            h.elements[0],
            InformationElement::Other { iei: 0, .. }
        ));
    }

    #[test]
    fn element_overrunning_the_header_should_be_an_error() {
        assert!(parse(&[3, 0, 5, 1]).is_err());
    }
}
