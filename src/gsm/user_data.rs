//! TP-UDL + TP-UD (TS 23.040 §9.2.3.16 and §9.2.3.24): the optional header and the body,
//! decoded according to TP-DCS. The length field is derived on encode, never stored.

use nom::Parser;
use nom::bytes::complete::take;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::Serialize;

use super::dcs::{DataCoding, Encoding};
use super::error::{GsmError, NomError, PResult};
use super::udh::{self, UserDataHeader};
use super::{septet, ucs2};

/// Most octets TP-UD may hold (TS 23.040 §9.2.3.24: 140 octets, i.e. 160 septets).
pub const MAX_USER_DATA_OCTETS: usize = 140;

/// The message body once decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Body {
    /// Text from GSM 7-bit or UCS-2 user data.
    Text(String),
    /// 8-bit data.
    Binary(#[serde(serialize_with = "hex_upper")] Vec<u8>),
    /// TS 23.042 compressed data, which this codec does not decompress: reported as
    /// unsupported rather than shown as garbage.
    Compressed(#[serde(serialize_with = "hex_upper")] Vec<u8>),
}

fn hex_upper<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(v))
}

/// TP-UD with its optional header (TP-UDHI is set exactly when `header` is `Some`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserData {
    /// The user data header.
    pub header: Option<UserDataHeader>,
    /// The body.
    pub body: Body,
}

impl UserData {
    /// A text body without header.
    pub fn text(text: &str) -> Self {
        Self {
            header: None,
            body: Body::Text(text.to_string()),
        }
    }

    /// The text, if the body is text.
    pub fn as_text(&self) -> Option<&str> {
        match &self.body {
            Body::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Appends TP-UDL and TP-UD coded per `dcs`. Fails when the body does not fit in
    /// [`MAX_USER_DATA_OCTETS`], cannot be written in the alphabet, or does not match it.
    pub fn encode_into(&self, dcs: DataCoding, out: &mut Vec<u8>) -> Result<(), GsmError> {
        let hdr_len = self.header.as_ref().map_or(0, UserDataHeader::encoded_len);
        let too_long = || GsmError::Unencodable {
            what: "user data",
            reason: "more than 140 octets",
        };
        let mismatch = || GsmError::Unencodable {
            what: "user data",
            reason: "the body does not match the data coding scheme",
        };
        let encoding = if dcs.compressed() {
            Encoding::Binary
        } else {
            dcs.encoding()
        };
        let len_at = out.len();
        out.push(0);
        if let Some(h) = &self.header {
            h.encode_into(out);
        }
        let udl = match (&self.body, encoding) {
            (Body::Text(t), Encoding::Gsm7) => {
                let charset = self
                    .header
                    .as_ref()
                    .map(UserDataHeader::charset)
                    .unwrap_or_default();
                let mut septets = Vec::with_capacity(t.len() + 8);
                charset.encode_into(t, &mut septets)?;
                let fill = septet::fill_bits(hdr_len);
                let udl = if hdr_len == 0 {
                    septets.len()
                } else {
                    septet::udh_septets(hdr_len) + septets.len()
                };
                if septet::packed_len(udl, 0) > MAX_USER_DATA_OCTETS {
                    out.truncate(len_at);
                    return Err(too_long());
                }
                septet::pack_into(&septets, if hdr_len == 0 { 0 } else { fill }, out);
                udl
            }
            (Body::Text(t), Encoding::Ucs2) => {
                ucs2::encode_into(t, out);
                out.len() - len_at - 1
            }
            (Body::Binary(b), Encoding::Binary) | (Body::Compressed(b), Encoding::Binary) => {
                out.extend_from_slice(b);
                out.len() - len_at - 1
            }
            _ => {
                out.truncate(len_at);
                return Err(mismatch());
            }
        };
        if out.len() - len_at - 1 > MAX_USER_DATA_OCTETS {
            out.truncate(len_at);
            return Err(too_long());
        }
        out[len_at] = udl as u8;
        Ok(())
    }
}

/// `ud = UDL:u8 data` where data is `ceil(UDL*7/8)` octets for 7-bit and `UDL` octets
/// otherwise; with UDHI the header opens the data (TS 23.040 §9.2.3.16, §9.2.3.24).
pub(crate) fn parse(input: &[u8], dcs: DataCoding, udhi: bool) -> PResult<'_, UserData> {
    let (rest, udl) = context("TP-UDL", be_u8).parse(input)?;
    let udl = usize::from(udl);
    let seven_bit = dcs.encoding() == Encoding::Gsm7 && !dcs.compressed();
    let octet_len = if seven_bit {
        septet::packed_len(udl, 0)
    } else {
        udl
    };
    if octet_len > MAX_USER_DATA_OCTETS {
        return Err(NomError::invalid(input, "TP-UDL (more than 140 octets)"));
    }
    let (rest, data) = context("TP-UD", take(octet_len)).parse(rest)?;
    let (header, hdr_len) = if udhi {
        let (_, h) = udh::parse(data)?;
        let len = h.encoded_len();
        (Some(h), len)
    } else {
        (None, 0)
    };
    let after = data.get(hdr_len..).unwrap_or(&[]);
    let body = if dcs.compressed() {
        Body::Compressed(after.to_vec())
    } else {
        match dcs.encoding() {
            Encoding::Gsm7 => {
                let (fill, hdr_septets) = if hdr_len == 0 {
                    (0, 0)
                } else {
                    (septet::fill_bits(hdr_len), septet::udh_septets(hdr_len))
                };
                let count = udl
                    .checked_sub(hdr_septets)
                    .ok_or_else(|| NomError::invalid(input, "TP-UDL shorter than the header"))?;
                let septets = septet::unpack(after, fill, count)
                    .ok_or_else(|| NomError::invalid(input, "TP-UD"))?;
                let charset = header
                    .as_ref()
                    .map(UserDataHeader::charset)
                    .unwrap_or_default();
                Body::Text(charset.decode(&septets))
            }
            Encoding::Ucs2 => Body::Text(ucs2::decode(after)),
            Encoding::Binary => Body::Binary(after.to_vec()),
        }
    };
    Ok((rest, UserData { header, body }))
}
