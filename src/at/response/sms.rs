//! SMS answers in PDU mode: `+CMGS` (TS 27.005 §3.5.1), `+CMGR` (§3.4.3),
//! `+CMGL` (§3.4.2), `+CMGF?` (§3.2.3) and `+CMMS?` (§3.5.6).

use super::{ensure_ok, first, malformed};
use crate::at::digest::is_hex;
use crate::at::error::ParseError;
use crate::at::event::Response;
use crate::at::fields::{Field, split, strip_prefix};

/// `<stat>` in PDU mode (TS 27.005 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageStatus {
    /// 0: received unread.
    ReceivedUnread,
    /// 1: received read.
    ReceivedRead,
    /// 2: stored unsent.
    StoredUnsent,
    /// 3: stored sent.
    StoredSent,
    /// 4 is "all" in `+CMGL`; anything else is kept as is.
    Other(u8),
}

impl MessageStatus {
    /// Map the numeric `<stat>`.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => MessageStatus::ReceivedUnread,
            1 => MessageStatus::ReceivedRead,
            2 => MessageStatus::StoredUnsent,
            3 => MessageStatus::StoredSent,
            n => MessageStatus::Other(n),
        }
    }
}

/// A stored message as read by `+CMGR` or listed by `+CMGL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// `<index>` (only for `+CMGL`; `+CMGR` answers carry none). May be 0.
    pub index: Option<u32>,
    /// `<stat>`.
    pub status: MessageStatus,
    /// `<alpha>`, the phonebook name, if any.
    pub alpha: Option<String>,
    /// `<length>`: TPDU octets, excluding the SMSC address.
    pub length: u16,
    /// The PDU in hex, including the SMSC address.
    pub pdu: String,
}

/// Parse the answer to `AT+CMGS` in PDU mode: `+CMGS: <mr>[,<ackpdu>]` → `<mr>`.
pub fn parse_cmgs(r: &Response) -> Result<u8, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+CMGS:")?;
    split(p)
        .first()
        .and_then(Field::number)
        .ok_or_else(|| malformed("+CMGS", p))
}

/// Parse the answer to `AT+CMGR=<index>`: `+CMGR: <stat>,[<alpha>],<length>` + PDU line.
/// `Ok(None)` for an empty location (a bare `OK`, or a header with length 0 and no PDU).
pub fn parse_cmgr(r: &Response) -> Result<Option<StoredMessage>, ParseError> {
    ensure_ok(r)?;
    let Some(pos) = r
        .lines
        .iter()
        .position(|l| strip_prefix(l, "+CMGR:").is_some())
    else {
        return Ok(None);
    };
    let header = r.lines.get(pos).map(String::as_str).unwrap_or_default();
    let p = strip_prefix(header, "+CMGR:").unwrap_or_default();
    let f = split(p);
    let status = f
        .first()
        .and_then(Field::number)
        .map(MessageStatus::from_code);
    let length = f.last().and_then(Field::number);
    let (Some(status), Some(length)) = (status, length) else {
        return Err(malformed("+CMGR", header));
    };
    let alpha = if f.len() >= 3 {
        f.get(1).and_then(Field::text).map(str::to_owned)
    } else {
        None
    };
    match r.lines.get(pos + 1) {
        Some(pdu) if is_hex(pdu) => Ok(Some(StoredMessage {
            index: None,
            status,
            alpha,
            length,
            pdu: pdu.clone(),
        })),
        _ if length == 0 => Ok(None),
        _ => Err(malformed("+CMGR PDU", header)),
    }
}

/// Parse the answer to `AT+CMGL=<stat>`: pairs of `+CMGL: <index>,<stat>,[<alpha>],<length>` and PDU lines.
pub fn parse_cmgl(r: &Response) -> Result<Vec<StoredMessage>, ParseError> {
    ensure_ok(r)?;
    let mut out = Vec::new();
    let mut lines = r.lines.iter().peekable();
    while let Some(line) = lines.next() {
        let Some(p) = strip_prefix(line, "+CMGL:") else {
            continue;
        };
        let f = split(p);
        let index = f.first().and_then(Field::number);
        let status = f
            .get(1)
            .and_then(Field::number)
            .map(MessageStatus::from_code);
        let length = f.last().and_then(Field::number);
        let (Some(index), Some(status), Some(length)) = (index, status, length) else {
            return Err(malformed("+CMGL", line));
        };
        let alpha = if f.len() >= 4 {
            f.get(2).and_then(Field::text).map(str::to_owned)
        } else {
            None
        };
        let pdu = match lines.peek() {
            Some(next) if is_hex(next) => lines.next().cloned().unwrap_or_default(),
            _ => return Err(malformed("+CMGL PDU", line)),
        };
        out.push(StoredMessage {
            index: Some(index),
            status,
            alpha,
            length,
            pdu,
        });
    }
    Ok(out)
}

/// Parse the answer to `AT+CMGF?`: `+CMGF: <mode>` (0 PDU, 1 text) → true when PDU mode.
pub fn parse_cmgf(r: &Response) -> Result<bool, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+CMGF:")?;
    match p.trim() {
        "0" => Ok(true),
        "1" => Ok(false),
        _ => Err(malformed("+CMGF", p)),
    }
}

/// Parse the answer to `AT+CMMS?`: `+CMMS: <n>` (0 disabled, 1 keep until timeout, 2 keep always).
pub fn parse_cmms(r: &Response) -> Result<u8, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+CMMS:")?;
    p.trim().parse().map_err(|_| malformed("+CMMS", p))
}
