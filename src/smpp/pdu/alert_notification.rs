//! alert_notification (SMPP 3.4 §4.12.1): the SMSC tells the ESME that an MS became
//! available. It has no response PDU.

use bytes::{Bytes, BytesMut};

use super::address::Address;
use super::error::EncodeError;
use super::fields::PResult;
use super::tlv::{Tlvs, parse_tlvs};

/// Body of alert_notification (§4.12.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlertNotification {
    /// The MS that became available (address max 65).
    pub source: Address,
    /// The ESME that asked to be alerted (address max 65).
    pub esme: Address,
    /// Optional: ms_availability_status.
    pub tlvs: Tlvs,
}

impl AlertNotification {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, AlertNotification> {
        let (i, source) = Address::parse(src, "source_addr", 65, i)?;
        let (i, esme) = Address::parse(src, "esme_addr", 65, i)?;
        let (i, tlvs) = parse_tlvs(src)(i)?;
        Ok((i, AlertNotification { source, esme, tlvs }))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        self.source.put(dst, "source_addr", 65)?;
        self.esme.put(dst, "esme_addr", 65)?;
        self.tlvs.encode(dst)
    }
}
