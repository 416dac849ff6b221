//! replace_sm (SMPP 3.4 §4.10.1): replace a pending message. Its response has no body
//! (§4.10.2).

use bytes::{BufMut, Bytes, BytesMut};

use super::address::Address;
use super::error::EncodeError;
use super::fields::{
    COctetString, OctetString, PResult, cstr, put_cstr, put_short_message, put_time, short_message,
    time, u8f,
};
use super::tlv::{Tlvs, parse_tlvs};

/// Body of replace_sm (§4.10.1). SMPP 5.0 allows a message_payload TLV after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplaceSm {
    /// The SMSC's id of the message to replace (max 65).
    pub message_id: COctetString,
    /// Must match the original originator (address max 21).
    pub source: Address,
    /// New schedule, or empty (§7.1).
    pub schedule_delivery_time: COctetString,
    /// New validity, or empty (§7.1).
    pub validity_period: COctetString,
    /// New receipt request (§5.2.17).
    pub registered_delivery: u8,
    /// Canned message index (§5.2.20).
    pub sm_default_msg_id: u8,
    /// New user data, up to 254 octets.
    pub short_message: OctetString,
    /// Optional parameters (5.0: message_payload).
    pub tlvs: Tlvs,
}

impl ReplaceSm {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, ReplaceSm> {
        let (i, message_id) = cstr(src, "message_id", 65)(i)?;
        let (i, source) = Address::parse(src, "source_addr", 21, i)?;
        let (i, schedule_delivery_time) = time(src, "schedule_delivery_time")(i)?;
        let (i, validity_period) = time(src, "validity_period")(i)?;
        let (i, registered_delivery) = u8f("registered_delivery")(i)?;
        let (i, sm_default_msg_id) = u8f("sm_default_msg_id")(i)?;
        let (i, short_message) = short_message(src)(i)?;
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((
            i,
            ReplaceSm {
                message_id,
                source,
                schedule_delivery_time,
                validity_period,
                registered_delivery,
                sm_default_msg_id,
                short_message,
                tlvs,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "message_id", 65, &self.message_id)?;
        self.source.put(dst, "source_addr", 21)?;
        put_time(dst, "schedule_delivery_time", &self.schedule_delivery_time)?;
        put_time(dst, "validity_period", &self.validity_period)?;
        dst.put_u8(self.registered_delivery);
        dst.put_u8(self.sm_default_msg_id);
        put_short_message(dst, &self.short_message)?;
        self.tlvs.encode(dst)
    }
}
