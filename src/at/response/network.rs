//! Network answers: `+CSQ` (TS 27.007 §8.5), `+CREG?`/`+CGREG?`/`+CEREG?`
//! (§7.2, §10.1.19, §10.1.22), `+COPS?` (§7.3) and `+CSCA?` (TS 27.005 §3.3.1).

use super::{ensure_ok, first, malformed};
use crate::at::error::ParseError;
use crate::at::event::Response;
use crate::at::fields::{Field, split};
use crate::at::registration::{self, RegKind, Registration};

/// Signal quality from `+CSQ: <rssi>,<ber>` (TS 27.007 §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalQuality {
    /// 0..=31, 99 = not known.
    pub rssi: u8,
    /// 0..=7, 99 = not known.
    pub ber: u8,
}

impl SignalQuality {
    /// Received power in dBm: 0 → -113, 31 → -51 (2 dB steps); `None` for 99 or out of range.
    pub fn dbm(&self) -> Option<i16> {
        (self.rssi <= 31).then(|| -113 + 2 * i16::from(self.rssi))
    }
}

/// Parse the answer to `AT+CSQ`.
pub fn parse_csq(r: &Response) -> Result<SignalQuality, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+CSQ:")?;
    let f = split(p);
    match (
        f.first().and_then(Field::number),
        f.get(1).and_then(Field::number),
    ) {
        (Some(rssi), Some(ber)) => Ok(SignalQuality { rssi, ber }),
        _ => Err(malformed("+CSQ", p)),
    }
}

/// Parse the answer to `AT+CREG?`, `AT+CGREG?` or `AT+CEREG?` (`<n>,<stat>[,<lac>,<ci>[,<AcT>]]`).
pub fn parse_registration(r: &Response, kind: RegKind) -> Result<Registration, ParseError> {
    ensure_ok(r)?;
    let p = r
        .with_prefix(kind.prefix())
        .find(|p| registration::is_solicited_form(p))
        .ok_or(ParseError::Missing {
            prefix: kind.prefix(),
        })?;
    registration::parse(kind, p, true).ok_or_else(|| malformed("registration", p))
}

/// Current operator from `+COPS: <mode>[,<format>,<oper>[,<AcT>]]` (TS 27.007 §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `<mode>`: 0 automatic, 1 manual, 2 deregistered …
    pub mode: u8,
    /// `<format>`: 0 long alphanumeric, 1 short, 2 numeric.
    pub format: Option<u8>,
    /// `<oper>` in that format.
    pub name: Option<String>,
    /// `<AcT>`.
    pub act: Option<u8>,
}

/// Parse the answer to `AT+COPS?`.
pub fn parse_cops(r: &Response) -> Result<Operator, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+COPS:")?;
    let f = split(p);
    let mode = f
        .first()
        .and_then(Field::number)
        .ok_or_else(|| malformed("+COPS", p))?;
    Ok(Operator {
        mode,
        format: f.get(1).and_then(Field::number),
        name: f.get(2).and_then(Field::text).map(str::to_owned),
        act: f.get(3).and_then(Field::number),
    })
}

/// Service centre address from `+CSCA: <sca>,<tosca>` (TS 27.005 §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCentre {
    /// `<sca>` as sent (may be UCS2 hex if `+CSCS="UCS2"`).
    pub address: String,
    /// `<tosca>`: 145 international, 129 unknown.
    pub kind: Option<u16>,
}

/// Parse the answer to `AT+CSCA?`. `Ok(None)` when the modem has no SMSC set
/// (python-gsmmodem records a bare `OK` for this case).
pub fn parse_csca(r: &Response) -> Result<Option<ServiceCentre>, ParseError> {
    ensure_ok(r)?;
    let Some(p) = r.with_prefix("+CSCA:").next() else {
        return Ok(None);
    };
    let f = split(p);
    let address = f
        .first()
        .and_then(Field::text)
        .unwrap_or_default()
        .to_owned();
    if address.is_empty() {
        return Ok(None);
    }
    Ok(Some(ServiceCentre {
        address,
        kind: f.get(1).and_then(Field::number),
    }))
}
