//! The PDU body: one variant per SMPP 3.4 operation (§4), each knowing its `command_id`.

use bytes::{Bytes, BytesMut};

use super::alert_notification::AlertNotification;
use super::bind::{Bind, BindResp, Outbind};
use super::cancel_sm::CancelSm;
use super::command_id::CommandId;
use super::data_sm::DataSm;
use super::error::{DecodeErrorKind, EncodeError};
use super::fields::{PResult, end, fail};
use super::query_sm::{QuerySm, QuerySmResp};
use super::replace_sm::ReplaceSm;
use super::submit_multi::{SubmitMulti, SubmitMultiResp};
use super::submit_sm::{SmResp, SubmitSm};

/// Every SMPP 3.4 operation. Bodiless operations are unit variants.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// §4.1.1.
    BindTransmitter(Bind),
    /// §4.1.2.
    BindTransmitterResp(BindResp),
    /// §4.1.3.
    BindReceiver(Bind),
    /// §4.1.4.
    BindReceiverResp(BindResp),
    /// §4.1.5.
    BindTransceiver(Bind),
    /// §4.1.6.
    BindTransceiverResp(BindResp),
    /// §4.1.7.
    Outbind(Outbind),
    /// §4.2.1.
    Unbind,
    /// §4.2.2.
    UnbindResp,
    /// §4.3.1: the header (status, sequence number) says everything.
    GenericNack,
    /// §4.4.1.
    SubmitSm(SubmitSm),
    /// §4.4.2.
    SubmitSmResp(SmResp),
    /// §4.5.1.
    SubmitMulti(SubmitMulti),
    /// §4.5.2.
    SubmitMultiResp(SubmitMultiResp),
    /// §4.6.1 (same layout as submit_sm).
    DeliverSm(SubmitSm),
    /// §4.6.2.
    DeliverSmResp(SmResp),
    /// §4.7.1.
    DataSm(DataSm),
    /// §4.7.2.
    DataSmResp(SmResp),
    /// §4.8.1.
    QuerySm(QuerySm),
    /// §4.8.2.
    QuerySmResp(QuerySmResp),
    /// §4.9.1.
    CancelSm(CancelSm),
    /// §4.9.2.
    CancelSmResp,
    /// §4.10.1.
    ReplaceSm(ReplaceSm),
    /// §4.10.2.
    ReplaceSmResp,
    /// §4.11.1.
    EnquireLink,
    /// §4.11.2.
    EnquireLinkResp,
    /// §4.12.1.
    AlertNotification(AlertNotification),
}

impl Body {
    /// The `command_id` this body is sent under (SMPP 3.4 §5.1.2.1).
    pub fn command_id(&self) -> CommandId {
        use CommandId as C;
        match self {
            Body::BindTransmitter(_) => C::BindTransmitter,
            Body::BindTransmitterResp(_) => C::BindTransmitterResp,
            Body::BindReceiver(_) => C::BindReceiver,
            Body::BindReceiverResp(_) => C::BindReceiverResp,
            Body::BindTransceiver(_) => C::BindTransceiver,
            Body::BindTransceiverResp(_) => C::BindTransceiverResp,
            Body::Outbind(_) => C::Outbind,
            Body::Unbind => C::Unbind,
            Body::UnbindResp => C::UnbindResp,
            Body::GenericNack => C::GenericNack,
            Body::SubmitSm(_) => C::SubmitSm,
            Body::SubmitSmResp(_) => C::SubmitSmResp,
            Body::SubmitMulti(_) => C::SubmitMulti,
            Body::SubmitMultiResp(_) => C::SubmitMultiResp,
            Body::DeliverSm(_) => C::DeliverSm,
            Body::DeliverSmResp(_) => C::DeliverSmResp,
            Body::DataSm(_) => C::DataSm,
            Body::DataSmResp(_) => C::DataSmResp,
            Body::QuerySm(_) => C::QuerySm,
            Body::QuerySmResp(_) => C::QuerySmResp,
            Body::CancelSm(_) => C::CancelSm,
            Body::CancelSmResp => C::CancelSmResp,
            Body::ReplaceSm(_) => C::ReplaceSm,
            Body::ReplaceSmResp => C::ReplaceSmResp,
            Body::EnquireLink => C::EnquireLink,
            Body::EnquireLinkResp => C::EnquireLinkResp,
            Body::AlertNotification(_) => C::AlertNotification,
        }
    }

    /// Parses the body of a PDU with this `command_id`; the whole input must be consumed.
    pub(crate) fn parse<'a>(id: CommandId, src: &'a Bytes, i: &'a [u8]) -> PResult<'a, Body> {
        use CommandId as C;
        fn unit(i: &[u8], b: Body) -> PResult<'_, Body> {
            let (i, ()) = end(i)?;
            Ok((i, b))
        }
        let (rest, body) = match id {
            C::BindTransmitter => {
                Bind::parse(src, i).map(|(r, b)| (r, Body::BindTransmitter(b)))?
            }
            C::BindReceiver => Bind::parse(src, i).map(|(r, b)| (r, Body::BindReceiver(b)))?,
            C::BindTransceiver => {
                Bind::parse(src, i).map(|(r, b)| (r, Body::BindTransceiver(b)))?
            }
            C::BindTransmitterResp => {
                BindResp::parse(src, i).map(|(r, b)| (r, Body::BindTransmitterResp(b)))?
            }
            C::BindReceiverResp => {
                BindResp::parse(src, i).map(|(r, b)| (r, Body::BindReceiverResp(b)))?
            }
            C::BindTransceiverResp => {
                BindResp::parse(src, i).map(|(r, b)| (r, Body::BindTransceiverResp(b)))?
            }
            C::Outbind => Outbind::parse(src, i).map(|(r, b)| (r, Body::Outbind(b)))?,
            C::Unbind => unit(i, Body::Unbind)?,
            C::UnbindResp => unit(i, Body::UnbindResp)?,
            C::GenericNack => unit(i, Body::GenericNack)?,
            C::SubmitSm => SubmitSm::parse(src, i).map(|(r, b)| (r, Body::SubmitSm(b)))?,
            C::SubmitSmResp => SmResp::parse(src, i).map(|(r, b)| (r, Body::SubmitSmResp(b)))?,
            C::SubmitMulti => SubmitMulti::parse(src, i).map(|(r, b)| (r, Body::SubmitMulti(b)))?,
            C::SubmitMultiResp => {
                SubmitMultiResp::parse(src, i).map(|(r, b)| (r, Body::SubmitMultiResp(b)))?
            }
            C::DeliverSm => SubmitSm::parse(src, i).map(|(r, b)| (r, Body::DeliverSm(b)))?,
            C::DeliverSmResp => SmResp::parse(src, i).map(|(r, b)| (r, Body::DeliverSmResp(b)))?,
            C::DataSm => DataSm::parse(src, i).map(|(r, b)| (r, Body::DataSm(b)))?,
            C::DataSmResp => SmResp::parse(src, i).map(|(r, b)| (r, Body::DataSmResp(b)))?,
            C::QuerySm => QuerySm::parse(src, i).map(|(r, b)| (r, Body::QuerySm(b)))?,
            C::QuerySmResp => QuerySmResp::parse(src, i).map(|(r, b)| (r, Body::QuerySmResp(b)))?,
            C::CancelSm => CancelSm::parse(src, i).map(|(r, b)| (r, Body::CancelSm(b)))?,
            C::CancelSmResp => unit(i, Body::CancelSmResp)?,
            C::ReplaceSm => ReplaceSm::parse(src, i).map(|(r, b)| (r, Body::ReplaceSm(b)))?,
            C::ReplaceSmResp => unit(i, Body::ReplaceSmResp)?,
            C::EnquireLink => unit(i, Body::EnquireLink)?,
            C::EnquireLinkResp => unit(i, Body::EnquireLinkResp)?,
            C::AlertNotification => {
                AlertNotification::parse(src, i).map(|(r, b)| (r, Body::AlertNotification(b)))?
            }
            C::Other(v) => return fail(i, DecodeErrorKind::UnknownCommandId(v)),
        };
        let (rest, ()) = end(rest)?;
        Ok((rest, body))
    }

    /// True for a response whose fields are all empty: with a non-OK status its body is
    /// omitted on the wire, as SMPP 3.4 §4.1.2 and §4.4.2 prescribe.
    pub(crate) fn is_empty_response(&self) -> bool {
        match self {
            Body::BindTransmitterResp(b)
            | Body::BindReceiverResp(b)
            | Body::BindTransceiverResp(b) => *b == BindResp::default(),
            Body::SubmitSmResp(b) | Body::DeliverSmResp(b) | Body::DataSmResp(b) => {
                *b == SmResp::default()
            }
            Body::SubmitMultiResp(b) => *b == SubmitMultiResp::default(),
            Body::QuerySmResp(b) => *b == QuerySmResp::default(),
            _ => false,
        }
    }

    /// Writes the body (no header).
    pub(crate) fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            Body::BindTransmitter(b) | Body::BindReceiver(b) | Body::BindTransceiver(b) => {
                b.encode(dst)
            }
            Body::BindTransmitterResp(b)
            | Body::BindReceiverResp(b)
            | Body::BindTransceiverResp(b) => b.encode(dst),
            Body::Outbind(b) => b.encode(dst),
            Body::SubmitSm(b) | Body::DeliverSm(b) => b.encode(dst),
            Body::SubmitSmResp(b) | Body::DeliverSmResp(b) | Body::DataSmResp(b) => b.encode(dst),
            Body::SubmitMulti(b) => b.encode(dst),
            Body::SubmitMultiResp(b) => b.encode(dst),
            Body::DataSm(b) => b.encode(dst),
            Body::QuerySm(b) => b.encode(dst),
            Body::QuerySmResp(b) => b.encode(dst),
            Body::CancelSm(b) => b.encode(dst),
            Body::ReplaceSm(b) => b.encode(dst),
            Body::AlertNotification(b) => b.encode(dst),
            Body::Unbind
            | Body::UnbindResp
            | Body::GenericNack
            | Body::CancelSmResp
            | Body::ReplaceSmResp
            | Body::EnquireLink
            | Body::EnquireLinkResp => Ok(()),
        }
    }
}
