//! SANS-IO SMPP PDU codec (SMPP 3.4, with the TLVs and statuses of SMPP 5.0).
//!
//! Owns the bytes ⇄ values mapping for one framed PDU: [`Pdu::decode`] / [`Pdu::decode_bytes`]
//! take exactly one frame (nom `complete` parsers), [`Pdu::encode`] appends one to a
//! `BytesMut`. Length fields (`command_length`, `sm_length`, `number_of_dests`, TLV lengths) are
//! derived on encode and never stored. Decoding never panics: failures are [`DecodeError`]s with
//! the offset and, when readable, the header, so a session can answer `generic_nack` with the
//! right sequence number ([`Pdu::generic_nack_for`]).
//!
//! Must not: do I/O, await, or log above `debug` (framing for byte streams lives in
//! [`crate::smpp::codec`]; sessions decide what a peer's garbage means).
//!
//! - [`header`]: the 16-octet header, [`HEADER_LEN`], [`MAX_PDU_LEN`].
//! - [`command_id`], [`status`]: the id and status tables, unknown values kept.
//! - [`fields`]: C-Octet / Octet strings and the nom primitives.
//! - [`address`]: the `(ton, npi, addr)` triple.
//! - [`values`]: meanings of one-octet fields (esm_class, message_state, data_coding, TON/NPI).
//! - [`tlv`]: optional parameters of 3.4 and 5.0, typed when known, raw when not.
//! - One PDU family per file: [`bind`] (+ outbind), [`submit_sm`] (+ the message-id
//!   responses), [`deliver_sm`], [`submit_multi`], [`data_sm`], [`query_sm`], [`cancel_sm`],
//!   [`replace_sm`], [`alert_notification`]; bodiless operations (unbind, generic_nack,
//!   enquire_link and their responses) are unit variants of [`Body`].
//! - [`body`]: the [`Body`] enum and dispatch by command_id; [`frame`]: the whole [`Pdu`] of one frame.
//! - [`validate`]: reserved bits and restricted values ([`Body::check_values`]), kept apart
//!   from decoding so an ESME never drops a receipt over an odd flag.
//! - [`error`]: [`DecodeError`] and [`EncodeError`].

pub mod address;
pub mod alert_notification;
pub mod bind;
pub mod body;
pub mod cancel_sm;
pub mod command_id;
pub mod data_sm;
pub mod deliver_sm;
pub mod error;
pub mod fields;
pub mod frame;
pub mod header;
pub mod query_sm;
pub mod replace_sm;
pub mod status;
pub mod submit_multi;
pub mod submit_sm;
pub mod tlv;
pub mod validate;
pub mod values;

pub use address::Address;
pub use alert_notification::AlertNotification;
pub use bind::{Bind, BindResp, Outbind};
pub use body::Body;
pub use cancel_sm::CancelSm;
pub use command_id::CommandId;
pub use data_sm::DataSm;
pub use deliver_sm::DeliverSm;
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use fields::{COctetString, OctetString};
pub use frame::Pdu;
pub use header::{HEADER_LEN, Header, MAX_PDU_LEN};
pub use query_sm::{QuerySm, QuerySmResp};
pub use replace_sm::ReplaceSm;
pub use status::CommandStatus;
pub use submit_multi::{DestAddress, MAX_DESTINATIONS, SubmitMulti, SubmitMultiResp, UnsuccessSme};
pub use submit_sm::{SmResp, SubmitSm};
pub use tlv::{Tlv, TlvKind, TlvTag, TlvValue, Tlvs};
pub use values::MessageState;
