//! data_sm (SMPP 3.4 §4.7.1): message transfer with the content in TLVs (`message_payload`),
//! used both ways; its response is [`super::SmResp`] (§4.7.2).

use bytes::{BufMut, Bytes, BytesMut};

use super::address::Address;
use super::error::EncodeError;
use super::fields::{COctetString, PResult, cstr, put_cstr, u8f};
use super::tlv::{Tlvs, parse_tlvs};

/// Body of data_sm (§4.7.1). Addresses may be up to 65 octets here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DataSm {
    /// As in submit_sm (max 6).
    pub service_type: COctetString,
    /// Originator (address max 65).
    pub source: Address,
    /// Recipient (address max 65).
    pub dest: Address,
    /// As in submit_sm (§5.2.12); receipt bits mark a receipt.
    pub esm_class: u8,
    /// As in submit_sm (§5.2.17).
    pub registered_delivery: u8,
    /// Coding of `message_payload` (§5.2.19).
    pub data_coding: u8,
    /// Optional parameters, usually message_payload.
    pub tlvs: Tlvs,
}

impl DataSm {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, DataSm> {
        let (i, service_type) = cstr(src, "service_type", 6)(i)?;
        let (i, source) = Address::parse(src, "source_addr", 65, i)?;
        let (i, dest) = Address::parse(src, "destination_addr", 65, i)?;
        let (i, esm_class) = u8f("esm_class")(i)?;
        let (i, registered_delivery) = u8f("registered_delivery")(i)?;
        let (i, data_coding) = u8f("data_coding")(i)?;
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((
            i,
            DataSm {
                service_type,
                source,
                dest,
                esm_class,
                registered_delivery,
                data_coding,
                tlvs,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "service_type", 6, &self.service_type)?;
        self.source.put(dst, "source_addr", 65)?;
        self.dest.put(dst, "destination_addr", 65)?;
        dst.put_u8(self.esm_class);
        dst.put_u8(self.registered_delivery);
        dst.put_u8(self.data_coding);
        self.tlvs.encode(dst)
    }
}
