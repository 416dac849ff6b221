//! TPDUs of TS 23.040 §9.2.2: [`Submit`] (MS → SC), [`Deliver`] and [`StatusReport`]
//! (SC → MS). Parsing is nom `complete` over one framed TPDU; building derives every length
//! and flag from the fields.
//!
//! - `submit.rs`, `deliver.rs`, `status_report.rs`: one TPDU type each.
//! - here: the message type indicator and the entry points that pick the type.

mod deliver;
mod status_report;
mod submit;

pub use deliver::Deliver;
pub use status_report::{DeliveryState, StatusReport, TpStatus};
pub use submit::Submit;

use serde::Serialize;

use super::error::{GsmError, NomError, PResult, finish};

/// TP-MTI of SMS-DELIVER (SC → MS) and SMS-DELIVER-REPORT (MS → SC) (TS 23.040 §9.2.3.1).
pub(crate) const MTI_DELIVER: u8 = 0b00;
/// TP-MTI of SMS-SUBMIT (MS → SC) and SMS-SUBMIT-REPORT (SC → MS).
pub(crate) const MTI_SUBMIT: u8 = 0b01;
/// TP-MTI of SMS-STATUS-REPORT (SC → MS) and SMS-COMMAND (MS → SC).
pub(crate) const MTI_STATUS_REPORT: u8 = 0b10;
/// TP-MMS, bit 2: set when no more messages are waiting (TS 23.040 §9.2.3.2).
pub(crate) const FLAG_MMS: u8 = 0x04;
/// TP-LP, bit 3 (TS 23.040 §9.2.3.28).
pub(crate) const FLAG_LP: u8 = 0x08;
/// TP-UDHI, bit 6 (TS 23.040 §9.2.3.23).
pub(crate) const FLAG_UDHI: u8 = 0x40;
/// TP-RP, bit 7 (TS 23.040 §9.2.3.17).
pub(crate) const FLAG_RP: u8 = 0x80;

/// Which way a TPDU travels; TP-MTI means different things each way (TS 23.040 §9.2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Service centre to mobile: DELIVER, SUBMIT-REPORT, STATUS-REPORT.
    ToMobile,
    /// Mobile to service centre: SUBMIT, DELIVER-REPORT, COMMAND.
    FromMobile,
}

/// One decoded TPDU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tpdu {
    /// SMS-DELIVER.
    Deliver(Deliver),
    /// SMS-SUBMIT.
    Submit(Submit),
    /// SMS-STATUS-REPORT.
    StatusReport(StatusReport),
}

impl Tpdu {
    /// Decodes a whole TPDU travelling in `direction`. Report and command TPDUs that this
    /// codec does not model are [`GsmError::Unsupported`]; bytes after the TPDU are
    /// [`GsmError::TrailingData`].
    pub fn decode(bytes: &[u8], direction: Direction) -> Result<Tpdu, GsmError> {
        decode_at(bytes, 0, Some(direction))
    }

    /// Decodes a TPDU whose direction is not known (a message read from SIM storage):
    /// MTI 00 → DELIVER, 01 → SUBMIT, 10 → STATUS-REPORT. This matches what +CMGR/+CMGL
    /// return: received messages are DELIVER or STATUS-REPORT, stored outgoing ones SUBMIT.
    pub fn decode_any(bytes: &[u8]) -> Result<Tpdu, GsmError> {
        decode_at(bytes, 0, None)
    }

    /// Appends the encoded TPDU to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), GsmError> {
        match self {
            Self::Deliver(d) => d.encode_into(out),
            Self::Submit(s) => s.encode_into(out),
            Self::StatusReport(r) => r.encode_into(out),
        }
    }

    /// The encoded TPDU.
    pub fn encode(&self) -> Result<Vec<u8>, GsmError> {
        let mut out = Vec::with_capacity(176);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// The direction this TPDU travels.
    pub fn direction(&self) -> Direction {
        match self {
            Self::Submit(_) => Direction::FromMobile,
            _ => Direction::ToMobile,
        }
    }
}

/// Decodes `bytes` as one TPDU; error offsets are reported relative to `base` (the length
/// of an SMSC prefix that came before).
pub(crate) fn decode_at(
    bytes: &[u8],
    base: usize,
    direction: Option<Direction>,
) -> Result<Tpdu, GsmError> {
    let Some(&first) = bytes.first() else {
        return Err(GsmError::Truncated {
            offset: base,
            what: "first octet",
        });
    };
    let mti = first & 0b11;
    let parsed: PResult<'_, Tpdu> = match (mti, direction) {
        (MTI_DELIVER, Some(Direction::ToMobile) | None) => {
            deliver::parse(bytes).map(|(r, d)| (r, Tpdu::Deliver(d)))
        }
        (MTI_SUBMIT, Some(Direction::FromMobile) | None) => {
            submit::parse(bytes).map(|(r, s)| (r, Tpdu::Submit(s)))
        }
        (MTI_STATUS_REPORT, Some(Direction::ToMobile) | None) => {
            status_report::parse(bytes).map(|(r, s)| (r, Tpdu::StatusReport(s)))
        }
        (0b11, _) => Err(NomError::invalid(bytes, "TP-MTI (reserved value 11)")),
        (_, _) => {
            return Err(GsmError::Unsupported {
                what: "SMS-DELIVER-REPORT, SMS-SUBMIT-REPORT and SMS-COMMAND TPDUs",
            });
        }
    };
    let (used, tpdu) = finish(bytes, base, parsed)?;
    if used < bytes.len() {
        return Err(GsmError::TrailingData {
            offset: base + used,
            len: bytes.len() - used,
        });
    }
    Ok(tpdu)
}
