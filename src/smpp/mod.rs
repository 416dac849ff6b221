//! SMPP 3.4 / 5.0 (ESME side, and the pieces hw-sim's SMSC reuses).
//!
//! - [`pdu`]: SANS-IO PDU codec: header, every 3.4 operation, TLVs of 3.4 and 5.0, statuses.
//! - [`codec`]: length framing for byte streams (tokio-util `Decoder`/`Encoder`), delegating to
//!   [`pdu`]; malformed bodies are reported per frame so a session can `generic_nack` and go on.
//! - [`receipt`]: pure parsing of delivery-receipt text and SMSC message-id normalisation.
//! - [`encode`]: an outbound message as submit_sm bodies (segmentation, coding, TON/NPI). Pure.
//! - [`session`]: the link's connection tasks (bind, window, enquire_link, reconnect, throttle pacing).
//! - [`inbound`]: deliver_sm / data_sm → receipts (correlation, parking) and MO to the inbox.
//! - [`route`]: the link as a dispatcher route, its metrics, and [`route::start`].
pub mod codec;
pub mod encode;
pub mod inbound;
pub mod pdu;
pub mod receipt;
pub mod route;
pub mod session;
