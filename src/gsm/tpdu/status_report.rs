//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): the SC's answer to TP-SRR, telling whether a
//! submitted message reached its recipient.

use nom::Parser;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::Serialize;

use super::{FLAG_LP, FLAG_MMS, FLAG_UDHI, MTI_STATUS_REPORT};
use crate::gsm::address::{self, Address};
use crate::gsm::dcs::DataCoding;
use crate::gsm::error::{GsmError, PResult};
use crate::gsm::time::{self, Timestamp};
use crate::gsm::user_data::{self, UserData};

/// TP-SRQ, bit 5 (TS 23.040 §9.2.3.26).
const FLAG_SRQ: u8 = 0x20;
/// TP-PI bits (TS 23.040 §9.2.3.27).
const PI_PID: u8 = 0x01;
const PI_DCS: u8 = 0x02;
const PI_UDL: u8 = 0x04;
const PI_EXTENSION: u8 = 0x80;

/// What a TP-ST value means for the message (TS 23.040 §9.2.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// 0x00..=0x1F: the transaction completed (delivered, forwarded, or replaced).
    Delivered,
    /// 0x20..=0x3F: temporary error, the SC is still trying.
    Temporary,
    /// 0x40..=0x7F: permanent error, or a temporary one the SC gave up on (0x60..=0x7F);
    /// reserved values ≥ 0x80 are read as permanent too. The SC will not try again.
    Permanent,
}

/// TP-ST, the status of the submitted message (TS 23.040 §9.2.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TpStatus(pub u8);

impl TpStatus {
    /// The broad outcome.
    pub fn state(self) -> DeliveryState {
        match self.0 {
            0x00..=0x1F => DeliveryState::Delivered,
            0x20..=0x3F => DeliveryState::Temporary,
            _ => DeliveryState::Permanent,
        }
    }

    /// Whether the SC will send no further report for this message.
    pub fn is_final(self) -> bool {
        self.state() != DeliveryState::Temporary
    }
}

/// An SMS-STATUS-REPORT. TP-MTI, TP-PI, TP-UDHI and TP-UDL are derived from the fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// TP-MMS inverted: more messages are waiting at the SC.
    pub more_messages: bool,
    /// TP-LP: loop prevention.
    pub loop_prevention: bool,
    /// TP-SRQ: this reports on an SMS-COMMAND rather than an SMS-SUBMIT.
    pub qualifier_command: bool,
    /// TP-MR of the SMS-SUBMIT this report is about.
    pub message_reference: u8,
    /// TP-RA, the recipient of that message.
    pub recipient: Address,
    /// TP-SCTS of that message.
    pub timestamp: Timestamp,
    /// TP-DT, when the status was reached (discharge time).
    pub discharge_time: Timestamp,
    /// TP-ST.
    pub status: TpStatus,
    /// TP-PID, if TP-PI says it is present.
    pub protocol_id: Option<u8>,
    /// TP-DCS, if TP-PI says it is present.
    pub dcs: Option<DataCoding>,
    /// TP-UD, if TP-PI says TP-UDL is present.
    pub user_data: Option<UserData>,
}

impl StatusReport {
    /// Appends the TPDU to `out`. TP-PI is written only when an optional field is present.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), GsmError> {
        let mut first = MTI_STATUS_REPORT;
        if !self.more_messages {
            first |= FLAG_MMS;
        }
        if self.loop_prevention {
            first |= FLAG_LP;
        }
        if self.qualifier_command {
            first |= FLAG_SRQ;
        }
        if self.user_data.as_ref().is_some_and(|u| u.header.is_some()) {
            first |= FLAG_UDHI;
        }
        out.push(first);
        out.push(self.message_reference);
        self.recipient.encode_tp_into(out)?;
        self.timestamp.encode_into(out);
        self.discharge_time.encode_into(out);
        out.push(self.status.0);
        let mut pi = 0;
        if self.protocol_id.is_some() {
            pi |= PI_PID;
        }
        if self.dcs.is_some() {
            pi |= PI_DCS;
        }
        if self.user_data.is_some() {
            pi |= PI_UDL;
        }
        if pi == 0 {
            return Ok(());
        }
        out.push(pi);
        if let Some(pid) = self.protocol_id {
            out.push(pid);
        }
        if let Some(dcs) = self.dcs {
            out.push(dcs.0);
        }
        if let Some(ud) = &self.user_data {
            ud.encode_into(self.dcs.unwrap_or(DataCoding::GSM7), out)?;
        }
        Ok(())
    }

    /// The TPDU as bytes.
    pub fn encode(&self) -> Result<Vec<u8>, GsmError> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

/// `report = first:u8 mr:u8 ra scts:7 dt:7 st:u8 [pi:u8 *(pi-ext:u8) [pid] [dcs] [ud]]`.
pub(crate) fn parse(input: &[u8]) -> PResult<'_, StatusReport> {
    let (rest, first) = context("first octet", be_u8).parse(input)?;
    let (rest, message_reference) = context("TP-MR", be_u8).parse(rest)?;
    let (rest, recipient) = address::parse_tp(rest)?;
    let (rest, timestamp) = time::parse_timestamp(rest)?;
    let (rest, discharge_time) = time::parse_timestamp(rest)?;
    let (mut rest, status) = context("TP-ST", be_u8).parse(rest)?;
    let mut report = StatusReport {
        more_messages: first & FLAG_MMS == 0,
        loop_prevention: first & FLAG_LP != 0,
        qualifier_command: first & FLAG_SRQ != 0,
        message_reference,
        recipient,
        timestamp,
        discharge_time,
        status: TpStatus(status),
        protocol_id: None,
        dcs: None,
        user_data: None,
    };
    if rest.is_empty() {
        return Ok((rest, report));
    }
    let (r, pi) = context("TP-PI", be_u8).parse(rest)?;
    rest = r;
    // Extension octets carry only reserved bits: skip them (TS 23.040 §9.2.3.27).
    let mut ext = pi;
    while ext & PI_EXTENSION != 0 {
        let (r, e) = context("TP-PI extension", be_u8).parse(rest)?;
        rest = r;
        ext = e;
    }
    if pi & PI_PID != 0 {
        let (r, pid) = context("TP-PID", be_u8).parse(rest)?;
        report.protocol_id = Some(pid);
        rest = r;
    }
    if pi & PI_DCS != 0 {
        let (r, dcs) = context("TP-DCS", be_u8).parse(rest)?;
        report.dcs = Some(DataCoding(dcs));
        rest = r;
    }
    if pi & PI_UDL != 0 {
        let dcs = report.dcs.unwrap_or(DataCoding::GSM7);
        let (r, ud) = user_data::parse(rest, dcs, first & FLAG_UDHI != 0)?;
        report.user_data = Some(ud);
        rest = r;
    }
    Ok((rest, report))
}
