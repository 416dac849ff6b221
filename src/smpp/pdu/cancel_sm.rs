//! cancel_sm (SMPP 3.4 §4.9.1): cancel pending messages. Its response has no body (§4.9.2).

use bytes::{Bytes, BytesMut};

use super::address::Address;
use super::error::EncodeError;
use super::fields::{COctetString, PResult, cstr, end, put_cstr};

/// Body of cancel_sm (§4.9.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CancelSm {
    /// Service type; with an empty `message_id`, cancels all matching messages (max 6).
    pub service_type: COctetString,
    /// The SMSC's id of the message to cancel, or empty (max 65).
    pub message_id: COctetString,
    /// Originator (address max 21).
    pub source: Address,
    /// Recipient (address max 21).
    pub dest: Address,
}

impl CancelSm {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, CancelSm> {
        let (i, service_type) = cstr(src, "service_type", 6)(i)?;
        let (i, message_id) = cstr(src, "message_id", 65)(i)?;
        let (i, source) = Address::parse(src, "source_addr", 21, i)?;
        let (i, dest) = Address::parse(src, "destination_addr", 21, i)?;
        let (i, ()) = end(i)?;
        Ok((
            i,
            CancelSm {
                service_type,
                message_id,
                source,
                dest,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "service_type", 6, &self.service_type)?;
        put_cstr(dst, "message_id", 65, &self.message_id)?;
        self.source.put(dst, "source_addr", 21)?;
        self.dest.put(dst, "destination_addr", 21)
    }
}
