//! SMS-SUBMIT (TS 23.040 §9.2.2.2): what a phone or modem sends to the service centre.

use nom::Parser;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::Serialize;

use super::{FLAG_RP, FLAG_UDHI, MTI_SUBMIT};
use crate::gsm::address::{self, Address};
use crate::gsm::dcs::DataCoding;
use crate::gsm::error::{GsmError, PResult};
use crate::gsm::time::{self, ValidityPeriod};
use crate::gsm::user_data::{self, UserData};

/// TP-RD, bit 2 (TS 23.040 §9.2.3.25).
const FLAG_RD: u8 = 0x04;
/// TP-SRR, bit 5 (TS 23.040 §9.2.3.5).
const FLAG_SRR: u8 = 0x20;

/// An SMS-SUBMIT. TP-MTI, TP-VPF, TP-UDHI and TP-UDL are derived from the fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submit {
    /// TP-RD: ask the SC to reject a duplicate (same TP-MR and TP-DA) still held.
    pub reject_duplicates: bool,
    /// TP-SRR: ask for a status report.
    pub status_report_request: bool,
    /// TP-RP: a reply path is requested.
    pub reply_path: bool,
    /// TP-MR (TS 23.040 §9.2.3.6); most modems overwrite it with their own counter.
    pub message_reference: u8,
    /// TP-DA, the recipient.
    pub destination: Address,
    /// TP-PID (TS 23.040 §9.2.3.9); 0 for plain person-to-person messages.
    pub protocol_id: u8,
    /// TP-DCS.
    pub dcs: DataCoding,
    /// TP-VP; `None` leaves the SC's default validity.
    pub validity: Option<ValidityPeriod>,
    /// TP-UD with its header.
    pub user_data: UserData,
}

impl Submit {
    /// Appends the TPDU to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), GsmError> {
        let mut first = MTI_SUBMIT | ValidityPeriod::vpf_bits(self.validity.as_ref()) << 3;
        if self.reject_duplicates {
            first |= FLAG_RD;
        }
        if self.status_report_request {
            first |= FLAG_SRR;
        }
        if self.user_data.header.is_some() {
            first |= FLAG_UDHI;
        }
        if self.reply_path {
            first |= FLAG_RP;
        }
        out.push(first);
        out.push(self.message_reference);
        self.destination.encode_tp_into(out)?;
        out.push(self.protocol_id);
        out.push(self.dcs.0);
        if let Some(vp) = &self.validity {
            vp.encode_into(out);
        }
        self.user_data.encode_into(self.dcs, out)
    }

    /// The TPDU as bytes.
    pub fn encode(&self) -> Result<Vec<u8>, GsmError> {
        let mut out = Vec::with_capacity(176);
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

/// `submit = first:u8 mr:u8 da pid:u8 dcs:u8 vp(vpf) ud`.
pub(crate) fn parse(input: &[u8]) -> PResult<'_, Submit> {
    let (rest, first) = context("first octet", be_u8).parse(input)?;
    let (rest, message_reference) = context("TP-MR", be_u8).parse(rest)?;
    let (rest, destination) = address::parse_tp(rest)?;
    let (rest, protocol_id) = context("TP-PID", be_u8).parse(rest)?;
    let (rest, dcs) = context("TP-DCS", be_u8).parse(rest)?;
    let (rest, validity) = time::parse_validity(rest, first >> 3)?;
    let dcs = DataCoding(dcs);
    let (rest, user_data) = user_data::parse(rest, dcs, first & FLAG_UDHI != 0)?;
    Ok((
        rest,
        Submit {
            reject_duplicates: first & FLAG_RD != 0,
            status_report_request: first & FLAG_SRR != 0,
            reply_path: first & FLAG_RP != 0,
            message_reference,
            destination,
            protocol_id,
            dcs,
            validity,
            user_data,
        },
    ))
}
