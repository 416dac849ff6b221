//! SMS-DELIVER (TS 23.040 §9.2.2.1): a message the service centre hands to the phone.

use nom::Parser;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::Serialize;

use super::{FLAG_LP, FLAG_MMS, FLAG_RP, FLAG_UDHI, MTI_DELIVER};
use crate::gsm::address::{self, Address};
use crate::gsm::dcs::DataCoding;
use crate::gsm::error::{GsmError, PResult};
use crate::gsm::time::{self, Timestamp};
use crate::gsm::user_data::{self, UserData};

/// TP-SRI, bit 5 (TS 23.040 §9.2.3.4).
const FLAG_SRI: u8 = 0x20;

/// An SMS-DELIVER. TP-MTI, TP-UDHI and TP-UDL are derived from the fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deliver {
    /// TP-MMS inverted: more messages are waiting at the SC (bit clear on the wire).
    pub more_messages: bool,
    /// TP-LP: loop prevention (TS 23.040 §9.2.3.28).
    pub loop_prevention: bool,
    /// TP-SRI: the sender asked for a status report.
    pub status_report_indication: bool,
    /// TP-RP: a reply path exists.
    pub reply_path: bool,
    /// TP-OA, the sender (may be alphanumeric).
    pub originator: Address,
    /// TP-PID.
    pub protocol_id: u8,
    /// TP-DCS.
    pub dcs: DataCoding,
    /// TP-SCTS, when the SC received the message.
    pub timestamp: Timestamp,
    /// TP-UD with its header.
    pub user_data: UserData,
}

impl Deliver {
    /// Appends the TPDU to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), GsmError> {
        let mut first = MTI_DELIVER;
        if !self.more_messages {
            first |= FLAG_MMS;
        }
        if self.loop_prevention {
            first |= FLAG_LP;
        }
        if self.status_report_indication {
            first |= FLAG_SRI;
        }
        if self.user_data.header.is_some() {
            first |= FLAG_UDHI;
        }
        if self.reply_path {
            first |= FLAG_RP;
        }
        out.push(first);
        self.originator.encode_tp_into(out)?;
        out.push(self.protocol_id);
        out.push(self.dcs.0);
        self.timestamp.encode_into(out);
        self.user_data.encode_into(self.dcs, out)
    }

    /// The TPDU as bytes.
    pub fn encode(&self) -> Result<Vec<u8>, GsmError> {
        let mut out = Vec::with_capacity(176);
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

/// `deliver = first:u8 oa pid:u8 dcs:u8 scts:7 ud`.
pub(crate) fn parse(input: &[u8]) -> PResult<'_, Deliver> {
    let (rest, first) = context("first octet", be_u8).parse(input)?;
    let (rest, originator) = address::parse_tp(rest)?;
    let (rest, protocol_id) = context("TP-PID", be_u8).parse(rest)?;
    let (rest, dcs) = context("TP-DCS", be_u8).parse(rest)?;
    let (rest, timestamp) = time::parse_timestamp(rest)?;
    let dcs = DataCoding(dcs);
    let (rest, user_data) = user_data::parse(rest, dcs, first & FLAG_UDHI != 0)?;
    Ok((
        rest,
        Deliver {
            more_messages: first & FLAG_MMS == 0,
            loop_prevention: first & FLAG_LP != 0,
            status_report_indication: first & FLAG_SRI != 0,
            reply_path: first & FLAG_RP != 0,
            originator,
            protocol_id,
            dcs,
            timestamp,
            user_data,
        },
    ))
}
