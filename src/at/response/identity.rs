//! Identity answers: `+CGMI` (TS 27.007 §5.1), `+CGMM` (§5.2), `+CGSN` (§5.4),
//! `+CIMI` (§5.6), ICCID (`+CCID`/`+ICCID`/`^ICCID`/`+QCCID`, vendor) and `+CNUM` (§7.1).

use super::{ensure_ok, malformed};
use crate::at::error::ParseError;
use crate::at::event::Response;
use crate::at::fields::{Field, split, strip_prefix};

/// Prefixes that modems put in front of identity answers (all optional).
pub const IDENTITY_PREFIXES: &[&str] = &[
    "+CGMI:", "+CGMM:", "+CGSN:", "+CIMI:", "+CCID:", "+ICCID:", "^ICCID:", "+QCCID:", "+GSN:",
];

/// The single text line of an identity answer, any known prefix and quotes removed.
///
/// Leading spaces are trimmed (old Wavecom answers `AT+CGMI` with ` WAVECOM MODEM`).
pub fn parse_text(r: &Response) -> Result<String, ParseError> {
    ensure_ok(r)?;
    let line = r
        .lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .ok_or(ParseError::Missing { prefix: "" })?;
    let body = IDENTITY_PREFIXES
        .iter()
        .find_map(|p| strip_prefix(line, p))
        .unwrap_or(line);
    Ok(body.trim().trim_matches('"').trim().to_owned())
}

/// IMEI from `AT+CGSN`: 14–17 digits (TS 23.003 §6.2).
pub fn parse_imei(r: &Response) -> Result<String, ParseError> {
    digits(r, 14..=17, "IMEI")
}

/// IMSI from `AT+CIMI`: 6–15 digits (TS 23.003 §2.2).
pub fn parse_imsi(r: &Response) -> Result<String, ParseError> {
    digits(r, 6..=15, "IMSI")
}

/// ICCID from `AT+CCID`/`AT+ICCID`/`AT^ICCID?`/`AT+QCCID`: 18–22 characters,
/// digits plus a trailing `F` filler on some SIMs (ITU-T E.118).
pub fn parse_iccid(r: &Response) -> Result<String, ParseError> {
    let t = parse_text(r)?;
    let ok = (18..=22).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'F' || b == b'f');
    if ok {
        Ok(t)
    } else {
        Err(malformed("ICCID", &t))
    }
}

fn digits(
    r: &Response,
    len: std::ops::RangeInclusive<usize>,
    what: &'static str,
) -> Result<String, ParseError> {
    let t = parse_text(r)?;
    if len.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t)
    } else {
        Err(malformed(what, &t))
    }
}

/// One subscriber number from `+CNUM: [<alpha>],<number>,<type>` (TS 27.007 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberNumber {
    /// `<alpha1>`, if any.
    pub alpha: Option<String>,
    /// `<number1>`.
    pub number: String,
    /// `<type1>` (145 international, 129 unknown).
    pub kind: Option<u16>,
}

/// Parse the answer to `AT+CNUM` (possibly empty: many SIMs do not store it).
pub fn parse_cnum(r: &Response) -> Result<Vec<SubscriberNumber>, ParseError> {
    ensure_ok(r)?;
    r.with_prefix("+CNUM:")
        .map(|p| {
            let f = split(p);
            let number = f
                .get(1)
                .and_then(Field::text)
                .ok_or_else(|| malformed("+CNUM", p))?;
            Ok(SubscriberNumber {
                alpha: f.first().and_then(Field::text).map(str::to_owned),
                number: number.to_owned(),
                kind: f.get(2).and_then(Field::number),
            })
        })
        .collect()
}
