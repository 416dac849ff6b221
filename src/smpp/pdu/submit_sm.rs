//! submit_sm (SMPP 3.4 §4.4.1) and the message-id response shared by submit_sm_resp,
//! deliver_sm_resp and data_sm_resp (§4.4.2, §4.6.2, §4.7.2).

use bytes::{BufMut, Bytes, BytesMut};

use super::address::Address;
use super::error::EncodeError;
use super::fields::{
    COctetString, OctetString, PResult, cstr, put_cstr, put_short_message, put_time, short_message,
    time, u8f,
};
use super::tlv::{Tlvs, parse_tlvs};

/// Body of submit_sm (§4.4.1) and, with the same layout, deliver_sm (§4.6.1).
/// `sm_length` is not a field: it is derived from `short_message` on encode.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubmitSm {
    /// SMS application service, usually empty (max 6, §5.2.11).
    pub service_type: COctetString,
    /// Originator (address max 21).
    pub source: Address,
    /// Recipient (address max 21).
    pub dest: Address,
    /// Messaging mode, message type, UDHI (§5.2.12, see [`super::values::esm_class`]).
    pub esm_class: u8,
    /// GSM TP-PID (§5.2.13).
    pub protocol_id: u8,
    /// Priority 0–3 (§5.2.14).
    pub priority_flag: u8,
    /// Empty for immediate delivery, else an SMPP time of 16 characters (§7.1).
    pub schedule_delivery_time: COctetString,
    /// Empty for the SMSC default, else an SMPP time (§7.1).
    pub validity_period: COctetString,
    /// Receipt request (§5.2.17, see [`super::values::registered_delivery`]).
    pub registered_delivery: u8,
    /// Replace a pending message with the same source/dest/service_type (§5.2.18).
    pub replace_if_present_flag: u8,
    /// Coding of `short_message` (§5.2.19, see [`super::values::data_coding`]).
    pub data_coding: u8,
    /// Index of a canned message, 0 if unused (§5.2.20).
    pub sm_default_msg_id: u8,
    /// Up to 254 octets of user data (§5.2.22); longer content goes in `message_payload`.
    pub short_message: OctetString,
    /// Optional parameters (SAR, message_payload, receipted_message_id in receipts…).
    pub tlvs: Tlvs,
}

impl SubmitSm {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, SubmitSm> {
        let (i, service_type) = cstr(src, "service_type", 6)(i)?;
        let (i, source) = Address::parse(src, "source_addr", 21, i)?;
        let (i, dest) = Address::parse(src, "destination_addr", 21, i)?;
        let (i, esm_class) = u8f("esm_class")(i)?;
        let (i, protocol_id) = u8f("protocol_id")(i)?;
        let (i, priority_flag) = u8f("priority_flag")(i)?;
        let (i, schedule_delivery_time) = time(src, "schedule_delivery_time")(i)?;
        let (i, validity_period) = time(src, "validity_period")(i)?;
        let (i, registered_delivery) = u8f("registered_delivery")(i)?;
        let (i, replace_if_present_flag) = u8f("replace_if_present_flag")(i)?;
        let (i, data_coding) = u8f("data_coding")(i)?;
        let (i, sm_default_msg_id) = u8f("sm_default_msg_id")(i)?;
        let (i, short_message) = short_message(src)(i)?;
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((
            i,
            SubmitSm {
                service_type,
                source,
                dest,
                esm_class,
                protocol_id,
                priority_flag,
                schedule_delivery_time,
                validity_period,
                registered_delivery,
                replace_if_present_flag,
                data_coding,
                sm_default_msg_id,
                short_message,
                tlvs,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        // Fixed-size runs are written as one slice: per-octet puts dominated the profile.
        dst.reserve(48 + self.short_message.0.len());
        put_cstr(dst, "service_type", 6, &self.service_type)?;
        self.source.put(dst, "source_addr", 21)?;
        self.dest.put(dst, "destination_addr", 21)?;
        dst.put_slice(&[self.esm_class, self.protocol_id, self.priority_flag]);
        put_time(dst, "schedule_delivery_time", &self.schedule_delivery_time)?;
        put_time(dst, "validity_period", &self.validity_period)?;
        dst.put_slice(&[
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding,
            self.sm_default_msg_id,
        ]);
        put_short_message(dst, &self.short_message)?;
        self.tlvs.encode(dst)
    }

    /// The user data wherever the peer put it: `message_payload` when present (§5.3.2.32 says
    /// the two are exclusive), else `short_message`.
    pub fn payload(&self) -> &[u8] {
        self.tlvs
            .message_payload()
            .unwrap_or(self.short_message.as_bytes())
    }
}

/// Body of submit_sm_resp, deliver_sm_resp and data_sm_resp: the SMSC's message id
/// (max 65, §5.2.23; unused and empty in deliver_sm_resp) and, in SMPP 5.0, optional parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SmResp {
    /// The id the SMSC gave the message; receipts refer to it.
    pub message_id: COctetString,
    /// Optional parameters (data_sm_resp: delivery_failure_reason, network_error_code…).
    pub tlvs: Tlvs,
}

impl SmResp {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, SmResp> {
        if i.is_empty() {
            // §4.4.2: the body is not returned when command_status is not ESME_ROK.
            return Ok((i, SmResp::default()));
        }
        let (i, message_id) = cstr(src, "message_id", 65)(i)?;
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((i, SmResp { message_id, tlvs }))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "message_id", 65, &self.message_id)?;
        self.tlvs.encode(dst)
    }
}
