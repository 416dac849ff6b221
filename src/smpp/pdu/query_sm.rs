//! query_sm and query_sm_resp (SMPP 3.4 §4.8.1–4.8.2): ask the state of a submitted message.

use bytes::{BufMut, Bytes, BytesMut};

use super::address::Address;
use super::error::EncodeError;
use super::fields::{COctetString, PResult, cstr, end, put_cstr, put_time, time, u8f};

/// Body of query_sm (§4.8.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QuerySm {
    /// The SMSC's id of the message to query (max 65).
    pub message_id: COctetString,
    /// Must match the original originator (address max 21).
    pub source: Address,
}

impl QuerySm {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, QuerySm> {
        let (i, message_id) = cstr(src, "message_id", 65)(i)?;
        let (i, source) = Address::parse(src, "source_addr", 21, i)?;
        let (i, ()) = end(i)?;
        Ok((i, QuerySm { message_id, source }))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "message_id", 65, &self.message_id)?;
        self.source.put(dst, "source_addr", 21)
    }
}

/// Body of query_sm_resp (§4.8.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QuerySmResp {
    /// Echo of the queried id (max 65).
    pub message_id: COctetString,
    /// When the message reached its final state, empty if not final (§7.1).
    pub final_date: COctetString,
    /// State (§5.2.28, see [`super::values::MessageState`]).
    pub message_state: u8,
    /// Network error code, 0 if none (§5.2.31).
    pub error_code: u8,
}

impl QuerySmResp {
    pub(crate) fn parse<'a>(src: &'a Bytes, i: &'a [u8]) -> PResult<'a, QuerySmResp> {
        if i.is_empty() {
            return Ok((i, QuerySmResp::default()));
        }
        let (i, message_id) = cstr(src, "message_id", 65)(i)?;
        let (i, final_date) = time(src, "final_date")(i)?;
        let (i, message_state) = u8f("message_state")(i)?;
        let (i, error_code) = u8f("error_code")(i)?;
        let (i, ()) = end(i)?;
        Ok((
            i,
            QuerySmResp {
                message_id,
                final_date,
                message_state,
                error_code,
            },
        ))
    }

    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstr(dst, "message_id", 65, &self.message_id)?;
        put_time(dst, "final_date", &self.final_date)?;
        dst.put_u8(self.message_state);
        dst.put_u8(self.error_code);
        Ok(())
    }
}
