//! bind_transmitter / bind_receiver / bind_transceiver (SMPP 3.4 §4.1.1–4.1.6), their
//! responses, and outbind (§4.1.7). The three binds share one layout; which one it is lives in
//! the [`super::Body`] variant.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::EncodeError;
use super::fields::{COctetString, PResult, cstr, end, put_cstr, u8f};
use super::tlv::{Tlvs, parse_tlvs};

/// Body of bind_transmitter, bind_receiver and bind_transceiver (§4.1.1, §4.1.3, §4.1.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Bind {
    /// Identifies the ESME to the SMSC (max 16 octets with NUL).
    pub system_id: COctetString,
    /// Authenticates the ESME (max 9).
    pub password: COctetString,
    /// Category of ESME, often empty (max 13).
    pub system_type: COctetString,
    /// SMPP version the ESME speaks (§5.2.4; 0x34 for 3.4).
    pub interface_version: u8,
    /// TON of `address_range` (§5.2.5).
    pub addr_ton: u8,
    /// NPI of `address_range` (§5.2.6).
    pub addr_npi: u8,
    /// Addresses this ESME serves, a regular expression or empty (max 41).
    pub address_range: COctetString,
}

impl Bind {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, Bind> {
        let (i, system_id) = cstr(src, "system_id", 16)(i)?;
        let (i, password) = cstr(src, "password", 9)(i)?;
        let (i, system_type) = cstr(src, "system_type", 13)(i)?;
        let (i, interface_version) = u8f("interface_version")(i)?;
        let (i, addr_ton) = u8f("addr_ton")(i)?;
        let (i, addr_npi) = u8f("addr_npi")(i)?;
        let (i, address_range) = cstr(src, "address_range", 41)(i)?;
        let (i, ()) = end(i)?;
        Ok((
            i,
            Bind {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "system_id", 16, &self.system_id)?;
        put_cstr(dst, "password", 9, &self.password)?;
        put_cstr(dst, "system_type", 13, &self.system_type)?;
        dst.put_u8(self.interface_version);
        dst.put_u8(self.addr_ton);
        dst.put_u8(self.addr_npi);
        put_cstr(dst, "address_range", 41, &self.address_range)
    }
}

/// Body of the three bind responses (§4.1.2, §4.1.4, §4.1.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BindResp {
    /// Identifies the SMSC (max 16).
    pub system_id: COctetString,
    /// Optional: `sc_interface_version` tells which SMPP version the SMSC supports.
    pub tlvs: Tlvs,
}

impl BindResp {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, BindResp> {
        if i.is_empty() {
            // §4.1.2: the body is omitted when command_status is not ESME_ROK.
            return Ok((i, BindResp::default()));
        }
        let (i, system_id) = cstr(src, "system_id", 16)(i)?;
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((i, BindResp { system_id, tlvs }))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "system_id", 16, &self.system_id)?;
        self.tlvs.encode(dst)
    }
}

/// Body of outbind (§4.1.7): the SMSC invites the ESME to bind as a receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outbind {
    /// Identifies the SMSC (max 16).
    pub system_id: COctetString,
    /// Password the ESME checks (max 9).
    pub password: COctetString,
}

impl Outbind {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, Outbind> {
        let (i, system_id) = cstr(src, "system_id", 16)(i)?;
        let (i, password) = cstr(src, "password", 9)(i)?;
        let (i, ()) = end(i)?;
        Ok((
            i,
            Outbind {
                system_id,
                password,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "system_id", 16, &self.system_id)?;
        put_cstr(dst, "password", 9, &self.password)
    }
}
