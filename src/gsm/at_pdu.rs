//! AT PDU mode framing (TS 27.005 §3.1 `<pdu>`, §3.5.1 `+CMGS=<length>`): the hex string a
//! modem takes or returns is an optional SMSC address (TS 24.011 §8.2.5.2; `00` for "use the
//! SIM's") followed by the TPDU, and `<length>` counts the TPDU octets only.

use serde::Serialize;

use super::address::{self, Address};
use super::error::{GsmError, finish};
use super::tpdu::{self, Direction, Tpdu};

/// One PDU ready for `AT+CMGS=<tpdu_len>` followed by `hex` and Ctrl-Z.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtPdu {
    /// TPDU octets, without the SMSC prefix: the `<length>` of `AT+CMGS`/`AT+CMGW`.
    pub tpdu_len: usize,
    /// SMSC prefix and TPDU in upper-case hex.
    pub hex: String,
}

/// A PDU as a modem reports it in `+CMGR`, `+CMGL`, `+CMT` or `+CDS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedPdu {
    /// The SMSC address of the prefix; `None` for an empty (`00`) prefix.
    pub smsc: Option<Address>,
    /// TPDU octets (to check against the `<length>` the modem printed).
    pub tpdu_len: usize,
    /// The TPDU.
    pub tpdu: Tpdu,
}

/// Frames `tpdu` for AT PDU mode: the SMSC prefix (`00` when `smsc` is `None`) and the TPDU.
pub fn encode_pdu_hex(smsc: Option<&Address>, tpdu: &Tpdu) -> Result<AtPdu, GsmError> {
    let mut bytes = Vec::with_capacity(192);
    match smsc {
        Some(a) => a.encode_smsc_into(&mut bytes)?,
        None => bytes.push(0),
    }
    let prefix = bytes.len();
    tpdu.encode_into(&mut bytes)?;
    Ok(AtPdu {
        tpdu_len: bytes.len() - prefix,
        hex: hex::encode_upper(&bytes),
    })
}

/// Decodes the hex `<pdu>` of `+CMGR`/`+CMGL`/`+CMT`/`+CDS`, SMSC prefix included.
/// `direction` is `None` when unknown (see [`Tpdu::decode_any`]). Error offsets count octets
/// from the start of the PDU, prefix included.
pub fn decode_pdu_hex(hex: &str, direction: Option<Direction>) -> Result<ReceivedPdu, GsmError> {
    let bytes = decode_hex(hex.trim())?;
    let (used, smsc) = finish(&bytes, 0, address::parse_smsc(&bytes))?;
    let tpdu = tpdu::decode_at(&bytes[used..], used, direction)?;
    Ok(ReceivedPdu {
        smsc,
        tpdu_len: bytes.len() - used,
        tpdu,
    })
}

/// Hex to bytes, either case, with the offset of the first bad character.
pub(crate) fn decode_hex(s: &str) -> Result<Vec<u8>, GsmError> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return Err(GsmError::InvalidHex { offset: b.len() });
    }
    let nibble = |i: usize| -> Result<u8, GsmError> {
        let c = b[i];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(GsmError::InvalidHex { offset: i }),
        }
    };
    (0..b.len() / 2)
        .map(|i| Ok(nibble(2 * i)? << 4 | nibble(2 * i + 1)?))
        .collect()
}
