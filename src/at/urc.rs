//! Unsolicited result codes: typed values and line recognition.
//!
//! Standard URCs come from TS 27.005 §3.4.1 (`+CMTI`, `+CMT`, `+CDSI`, `+CDS`)
//! and TS 27.007 (`+CREG` §7.2, `+CGREG` §10.1.19, `+CEREG` §10.1.22, `+CUSD`
//! §7.15, `+CLIP` §7.6, `+CRING`/`RING` §6.11/V.250); vendor ones from the
//! SIMCom SIM800, Quectel EC25 and Huawei MU509/ME909 manuals.

use super::fields::{Field, split, strip_prefix};
use super::registration::{self, RegKind, Registration};
use super::response::sim::PinState;

/// A recognised unsolicited result code. Unknown ones are kept as [`Urc::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Urc {
    /// `+CMTI: <mem>,<index>[,…]` — a new message was stored (TS 27.005 §3.4.1).
    NewMessage {
        /// Storage, e.g. `SM`, `ME`, `MT`.
        storage: String,
        /// Location in that storage (may be 0).
        index: u32,
    },
    /// `+CDSI: <mem>,<index>` — a status report was stored (TS 27.005 §3.4.1).
    NewStatusReport {
        /// Storage, e.g. `SR`.
        storage: String,
        /// Location in that storage.
        index: u32,
    },
    /// `+CMT: [<alpha>],<length><CR><LF><pdu>` — a message routed directly (TS 27.005 §3.4.1).
    Message {
        /// Phonebook alpha of the originator, if any.
        alpha: Option<String>,
        /// TPDU length in octets (excluding the SMSC address).
        length: u16,
        /// The PDU as hex.
        pdu: String,
    },
    /// `+CDS: <length><CR><LF><pdu>` — a status report routed directly (TS 27.005 §3.4.1).
    StatusReport {
        /// TPDU length in octets.
        length: u16,
        /// The PDU as hex.
        pdu: String,
    },
    /// `+CREG`/`+CGREG`/`+CEREG` registration change.
    Registration(Registration),
    /// `+CUSD: <m>[,<str>[,<dcs>]]` — USSD answer (TS 27.007 §7.15).
    Ussd {
        /// `<m>`: 0 no further action, 1 further action required, 2 terminated …
        status: u8,
        /// `<str>` as sent (text or hex depending on `dcs`).
        text: Option<String>,
        /// `<dcs>` (TS 23.038 cell broadcast DCS).
        dcs: Option<u16>,
    },
    /// `RING` — incoming call (V.250 §6.2.6).
    Ring,
    /// `+CRING: <type>` — incoming call with type (TS 27.007 §6.11).
    CallRing(String),
    /// `+CLIP: <number>,<type>[,…]` — calling line identity (TS 27.007 §7.6).
    CallingLine {
        /// Caller number.
        number: String,
        /// Type of address (129/145), if given.
        kind: Option<u16>,
    },
    /// `+CPIN: <code>` after reset or SIM change (TS 27.007 §8.3).
    SimStatus(PinState),
    /// `+CFUN: <fun>` after start-up (SIMCom, Quectel).
    Functionality(u8),
    /// `Call Ready` (SIMCom SIM800).
    CallReady,
    /// `SMS Ready` (SIMCom SIM800).
    SmsReady,
    /// `RDY` — module started (SIMCom, Quectel).
    Ready,
    /// `+PBREADY` — phonebook loaded (SIMCom SIM7600).
    PhonebookReady,
    /// `+QIND: …` — Quectel indication (e.g. `SMS DONE`, `PB DONE`), parameters raw.
    QuectelIndication(String),
    /// A Huawei `^…` URC.
    Huawei(HuaweiUrc),
    /// Anything not recognised, as received (never dropped).
    Other(String),
}

/// Huawei `^` URCs (Huawei MU509/ME909 AT Command Interface Specification).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HuaweiUrc {
    /// `^MODE: <sys_mode>[,<sys_submode>]`.
    Mode {
        /// System mode (0 none, 3 GSM, 5 WCDMA, 7 LTE …).
        sys_mode: u8,
        /// Sub-mode, if given.
        sub_mode: Option<u8>,
    },
    /// `^RSSI: <rssi>` (0..31, 99 unknown — same scale as `+CSQ`).
    Rssi(u8),
    /// `^BOOT: …` periodic boot/keep-alive noise, raw parameters.
    Boot(String),
    /// `^SRVST: <srv_status>` (0 none, 1 restricted, 2 valid, 3 restricted regional, 4 sleep).
    ServiceState(u8),
    /// `^SIMST: <sim_state>[,<lock_state>]`.
    SimState {
        /// SIM state (1 valid, 255 absent …).
        state: u8,
        /// Lock state, if given.
        lock: Option<u8>,
    },
    /// `^HCSQ: <sysmode>,<values…>`, raw parameters.
    Hcsq(String),
    /// Any other `^TAG: …` (e.g. `^DSFLOWRPT`, `^CURC`), raw.
    Other {
        /// The tag without `^`, e.g. `DSFLOWRPT`.
        tag: String,
        /// The parameters after `:`.
        params: String,
    },
}

/// How a line that looks unsolicited should be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrcLine {
    /// A complete one-line URC.
    Single(Urc),
    /// The header of a two-line URC (`+CMT`, PDU-mode `+CDS`); the body follows.
    Header,
}

/// Recognise a known URC line. `None` means "not a known URC".
pub(crate) fn recognise(line: &str) -> Option<UrcLine> {
    let t = line.trim();
    let single = |u| Some(UrcLine::Single(u));
    match t {
        "RING" => return single(Urc::Ring),
        "Call Ready" => return single(Urc::CallReady),
        "SMS Ready" => return single(Urc::SmsReady),
        "RDY" => return single(Urc::Ready),
        "+PBREADY" => return single(Urc::PhonebookReady),
        _ => {}
    }
    if strip_prefix(t, "+CMT:").is_some() {
        return Some(UrcLine::Header);
    }
    if PLAIN_URCS.iter().any(|p| t.starts_with(p)) {
        return single(Urc::Other(t.to_owned()));
    }
    if let Some(p) = strip_prefix(t, "+CDS:") {
        // PDU mode has a single <length>; text mode is a one-line report.
        return if split(p).len() == 1 {
            Some(UrcLine::Header)
        } else {
            single(Urc::Other(t.to_owned()))
        };
    }
    if let Some(p) = strip_prefix(t, "+CMTI:") {
        return storage_index(p)
            .map(|(storage, index)| UrcLine::Single(Urc::NewMessage { storage, index }));
    }
    if let Some(p) = strip_prefix(t, "+CDSI:") {
        return storage_index(p)
            .map(|(storage, index)| UrcLine::Single(Urc::NewStatusReport { storage, index }));
    }
    if let Some((kind, p)) = RegKind::from_line(t) {
        return registration::parse(kind, p, registration::is_solicited_form(p))
            .map(|r| UrcLine::Single(Urc::Registration(r)));
    }
    if let Some(p) = strip_prefix(t, "+CUSD:") {
        let f = split(p);
        let status = f.first()?.number()?;
        let text = f.get(1).and_then(Field::text).map(str::to_owned);
        let dcs = f.get(2).and_then(Field::number);
        return single(Urc::Ussd { status, text, dcs });
    }
    if let Some(p) = strip_prefix(t, "+CRING:") {
        return single(Urc::CallRing(p.to_owned()));
    }
    if let Some(p) = strip_prefix(t, "+CLIP:") {
        let f = split(p);
        let number = f.first()?.text()?.to_owned();
        return single(Urc::CallingLine {
            number,
            kind: f.get(1).and_then(Field::number),
        });
    }
    if let Some(p) = strip_prefix(t, "+CPIN:") {
        return single(Urc::SimStatus(PinState::parse(p)));
    }
    if let Some(p) = strip_prefix(t, "+CFUN:") {
        return p
            .trim()
            .parse()
            .ok()
            .map(|f| UrcLine::Single(Urc::Functionality(f)));
    }
    if let Some(p) = strip_prefix(t, "+QIND:") {
        return single(Urc::QuectelIndication(p.to_owned()));
    }
    if let Some(rest) = t.strip_prefix('^') {
        return huawei(rest).map(|h| UrcLine::Single(Urc::Huawei(h)));
    }
    None
}

/// Plain-text (unprefixed) URCs listed in the SIMCom SIM800 AT Command Manual
/// V1.09 §"Unsolicited result codes" and the Quectel EC25 manual; recognised so
/// that they are not taken for an answer line of the command in flight.
const PLAIN_URCS: &[&str] = &[
    "DST:",
    "NORMAL POWER DOWN",
    "UNDER-VOLTAGE",
    "OVER-VOLTAGE",
    "CHARGE-ONLY MODE",
    "MO RING",
    "MO CONNECTED",
    "POWERED DOWN",
];

/// Whether a two-line URC header announces a PDU body (PDU mode: `+CMT: [<alpha>],<length>`
/// or `+CDS: <length>`); text-mode headers carry more fields and a text body.
pub(crate) fn header_wants_pdu(header: &str) -> bool {
    let t = header.trim();
    strip_prefix(t, "+CMT:").is_some_and(|p| split(p).len() == 2)
        || strip_prefix(t, "+CDS:").is_some_and(|p| split(p).len() == 1)
}

/// Build a two-line URC from its header and body lines.
pub(crate) fn two_line(header: &str, body: &str) -> Urc {
    let header = header.trim();
    let pdu = body.trim().to_owned();
    if let Some(p) = strip_prefix(header, "+CMT:") {
        let f = split(p);
        if f.len() == 2 {
            if let Some(length) = f.get(1).and_then(Field::number) {
                let alpha = f.first().and_then(Field::text).map(str::to_owned);
                return Urc::Message { alpha, length, pdu };
            }
        }
    } else if let Some(p) = strip_prefix(header, "+CDS:") {
        if let Ok(length) = p.trim().parse() {
            return Urc::StatusReport { length, pdu };
        }
    }
    Urc::Other(format!("{header}\r\n{pdu}"))
}

/// `<mem>,<index>[,…]` as in `+CMTI`/`+CDSI`; extra fields (sent by some modems) ignored.
fn storage_index(params: &str) -> Option<(String, u32)> {
    let f = split(params);
    let storage = f.first()?.text()?.to_owned();
    let index = f.get(1)?.number()?;
    Some((storage, index))
}

/// A Huawei `^TAG:params` line (the `^` already removed).
fn huawei(rest: &str) -> Option<HuaweiUrc> {
    let (tag, params) = match rest.split_once(':') {
        Some((t, p)) => (t.trim(), p.trim()),
        None => (rest.trim(), ""),
    };
    if tag.is_empty() {
        return None;
    }
    let f = split(params);
    let num = |i: usize| f.get(i).and_then(Field::number::<u8>);
    let parsed = match tag.to_ascii_uppercase().as_str() {
        "MODE" => num(0).map(|sys_mode| HuaweiUrc::Mode {
            sys_mode,
            sub_mode: num(1),
        }),
        "RSSI" => num(0).map(HuaweiUrc::Rssi),
        "BOOT" => Some(HuaweiUrc::Boot(params.to_owned())),
        "SRVST" => num(0).map(HuaweiUrc::ServiceState),
        "SIMST" => num(0).map(|state| HuaweiUrc::SimState {
            state,
            lock: num(1),
        }),
        "HCSQ" => Some(HuaweiUrc::Hcsq(params.to_owned())),
        _ => None,
    };
    Some(parsed.unwrap_or_else(|| HuaweiUrc::Other {
        tag: tag.to_owned(),
        params: params.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Urc {
        match recognise(line) {
            Some(UrcLine::Single(u)) => u,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn cmti_with_extra_fields_should_parse() {
        assert_eq!(
            one(r#"+CMTI: "ME",0,"extra""#),
            Urc::NewMessage {
                storage: "ME".into(),
                index: 0
            }
        );
    }

    #[test]
    fn cusd_should_parse_status_text_and_dcs() {
        assert_eq!(
            one(r#"+CUSD: 0,"Balance 5.00",15"#),
            Urc::Ussd {
                status: 0,
                text: Some("Balance 5.00".into()),
                dcs: Some(15)
            }
        );
    }

    #[test]
    fn huawei_noise_should_be_typed() {
        assert_eq!(one("^RSSI:17"), Urc::Huawei(HuaweiUrc::Rssi(17)));
        assert_eq!(
            one("^MODE:5,4"),
            Urc::Huawei(HuaweiUrc::Mode {
                sys_mode: 5,
                sub_mode: Some(4)
            })
        );
        assert!(matches!(
            one("^DSFLOWRPT:1,2"),
            Urc::Huawei(HuaweiUrc::Other { .. })
        ));
    }

    #[test]
    fn pdu_mode_cmt_and_cds_should_be_two_line_headers() {
        assert_eq!(recognise("+CMT: ,24"), Some(UrcLine::Header));
        assert_eq!(recognise("+CDS: 25"), Some(UrcLine::Header));
        assert_eq!(
            two_line("+CMT: \"Bob\",24", "07911326"),
            Urc::Message {
                alpha: Some("Bob".into()),
                length: 24,
                pdu: "07911326".into()
            }
        );
    }
}
