//! submit_multi and submit_multi_resp (SMPP 3.4 §4.5.1–4.5.2): one message to up to 254
//! SME addresses or distribution lists.

use bytes::{BufMut, Bytes, BytesMut};

use super::address::Address;
use super::error::{DecodeErrorKind, EncodeError};
use super::fields::{
    COctetString, OctetString, PResult, cstr, fail, put_cstr, put_short_message, put_time,
    short_message, time, u8f, u32f,
};
use super::status::CommandStatus;
use super::tlv::{Tlvs, parse_tlvs};

/// The largest `number_of_dests` (§4.5.1: "maximum of 254 destinations").
pub const MAX_DESTINATIONS: usize = 254;

/// One entry of `dest_address` (§4.5.1.1), selected by `dest_flag`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestAddress {
    /// dest_flag 1: an SME address (address max 21).
    Sme(Address),
    /// dest_flag 2: a distribution list name (max 21).
    DistributionList(COctetString),
}

/// A destination the SMSC refused (§4.5.2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UnsuccessSme {
    /// The refused address (max 21).
    pub address: Address,
    /// Why (§5.1.3 values).
    pub error_status_code: CommandStatus,
}

/// Body of submit_multi (§4.5.1). `number_of_dests` and `sm_length` are derived on encode.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubmitMulti {
    /// As in submit_sm (max 6).
    pub service_type: COctetString,
    /// Originator (address max 21).
    pub source: Address,
    /// 1..=254 destinations.
    pub dest_addresses: Vec<DestAddress>,
    /// As in submit_sm (§5.2.12).
    pub esm_class: u8,
    /// As in submit_sm (§5.2.13).
    pub protocol_id: u8,
    /// As in submit_sm (§5.2.14).
    pub priority_flag: u8,
    /// As in submit_sm (§7.1).
    pub schedule_delivery_time: COctetString,
    /// As in submit_sm (§7.1).
    pub validity_period: COctetString,
    /// As in submit_sm (§5.2.17).
    pub registered_delivery: u8,
    /// As in submit_sm (§5.2.18).
    pub replace_if_present_flag: u8,
    /// As in submit_sm (§5.2.19).
    pub data_coding: u8,
    /// As in submit_sm (§5.2.20).
    pub sm_default_msg_id: u8,
    /// Up to 254 octets (§5.2.22).
    pub short_message: OctetString,
    /// Optional parameters.
    pub tlvs: Tlvs,
}

/// Grammar: `dest_flag:u8 (1: ton npi addr | 2: dl_name)`.
fn dest_address<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, DestAddress> {
    let (rest, flag) = u8f("dest_flag")(i)?;
    match flag {
        1 => {
            let (rest, a) = Address::parse(src, "destination_addr", 21, rest)?;
            Ok((rest, DestAddress::Sme(a)))
        }
        2 => {
            let (rest, n) = cstr(src, "dl_name", 21)(rest)?;
            Ok((rest, DestAddress::DistributionList(n)))
        }
        v => fail(
            i,
            DecodeErrorKind::InvalidValue {
                field: "dest_flag",
                value: u32::from(v),
            },
        ),
    }
}

impl SubmitMulti {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, SubmitMulti> {
        let (i, service_type) = cstr(src, "service_type", 6)(i)?;
        let (i, source) = Address::parse(src, "source_addr", 21, i)?;
        let at = i;
        let (mut i, n) = u8f("number_of_dests")(i)?;
        if n == 0 || usize::from(n) > MAX_DESTINATIONS {
            return fail(
                at,
                DecodeErrorKind::InvalidValue {
                    field: "number_of_dests",
                    value: u32::from(n),
                },
            );
        }
        let mut dest_addresses = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let (rest, d) = dest_address(src, i)?;
            dest_addresses.push(d);
            i = rest;
        }
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
            SubmitMulti {
                service_type,
                source,
                dest_addresses,
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
        put_cstr(dst, "service_type", 6, &self.service_type)?;
        self.source.put(dst, "source_addr", 21)?;
        let count = self.dest_addresses.len();
        if count == 0 || count > MAX_DESTINATIONS {
            return Err(EncodeError::Destinations { count });
        }
        dst.put_u8(count as u8); // ≤ 254, checked above
        for d in &self.dest_addresses {
            match d {
                DestAddress::Sme(a) => {
                    dst.put_u8(1);
                    a.put(dst, "destination_addr", 21)?;
                }
                DestAddress::DistributionList(n) => {
                    dst.put_u8(2);
                    put_cstr(dst, "dl_name", 21, n)?;
                }
            }
        }
        dst.put_u8(self.esm_class);
        dst.put_u8(self.protocol_id);
        dst.put_u8(self.priority_flag);
        put_time(dst, "schedule_delivery_time", &self.schedule_delivery_time)?;
        put_time(dst, "validity_period", &self.validity_period)?;
        dst.put_u8(self.registered_delivery);
        dst.put_u8(self.replace_if_present_flag);
        dst.put_u8(self.data_coding);
        dst.put_u8(self.sm_default_msg_id);
        put_short_message(dst, &self.short_message)?;
        self.tlvs.encode(dst)
    }
}

/// Body of submit_multi_resp (§4.5.2). `no_unsuccess` is derived on encode.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubmitMultiResp {
    /// The SMSC's id for the message (max 65).
    pub message_id: COctetString,
    /// Destinations the SMSC refused.
    pub unsuccess_smes: Vec<UnsuccessSme>,
    /// Optional parameters (SMPP 5.0).
    pub tlvs: Tlvs,
}

impl SubmitMultiResp {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, SubmitMultiResp> {
        if i.is_empty() {
            return Ok((i, SubmitMultiResp::default()));
        }
        let (i, message_id) = cstr(src, "message_id", 65)(i)?;
        let (mut i, n) = u8f("no_unsuccess")(i)?;
        let mut unsuccess_smes = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let (rest, address) = Address::parse(src, "unsuccess_sme", 21, i)?;
            let (rest, code) = u32f("error_status_code")(rest)?;
            unsuccess_smes.push(UnsuccessSme {
                address,
                error_status_code: CommandStatus::from_u32(code),
            });
            i = rest;
        }
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((
            i,
            SubmitMultiResp {
                message_id,
                unsuccess_smes,
                tlvs,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "message_id", 65, &self.message_id)?;
        let n =
            u8::try_from(self.unsuccess_smes.len()).map_err(|_| EncodeError::TooManyEntries {
                field: "unsuccess_sme",
                count: self.unsuccess_smes.len(),
            })?;
        dst.put_u8(n);
        for u in &self.unsuccess_smes {
            u.address.put(dst, "unsuccess_sme", 21)?;
            dst.put_u32(u.error_status_code.as_u32());
        }
        self.tlvs.encode(dst)
    }
}
