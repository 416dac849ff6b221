//! The GSM modem driver: one task per serial port, the start-up sequence, sending with
//! `AT+CMGS`, receiving (store durably, then delete from the SIM), status reports, health
//! with a recovery ladder, and modem pools as dispatcher routes.
//!
//! It talks AT through [`crate::at`] (never its own parser) and TPDUs through the
//! [`codec::TpduCodec`] seam over [`crate::gsm`]. It reaches the store only through
//! [`crate::store::Store`] methods. It must not make routing or retry decisions: it reports
//! per-part outcomes and the dispatcher decides.
//!
//! # Contents
//! - [`port`]: the task that owns a port (mpsc + oneshot, per-command timeouts, URC fan-out).
//! - [`quirks`]: vendor quirks as a data table.
//! - [`init`]: start-up sequence, identity, registration and network reads.
//! - [`codec`]: the TPDU seam; [`gsm_codec`]: its implementation over [`crate::gsm`].
//! - [`send`]: `AT+CMGS` per part, outcome and modem effect per CMS class.
//! - [`receive`]: read → store durably → delete; sweep; `+CDSI` with `SR` fallback; `+CNMA`.
//! - [`health`]: the recovery ladder (ESC → re-init → reopen → CFUN → dead).
//! - [`status`]: the per-modem view shown by `GET /v1/modems`.
//! - [`open`]: exclusive serial open, other-opener detection, re-find by IMEI.
//! - [`driver`]: the modem task tying these together.
//! - [`pool`]: `ModemPool`, a dispatcher `Route` with per-SIM shaping and failover.
//! - [`build`]: pools from the configuration; [`probe`]: `smsgw modem probe`.

pub mod build;
pub mod codec;
pub mod driver;
pub mod gsm_codec;
pub mod health;
pub mod init;
pub mod open;
pub mod pool;
pub mod port;
pub mod probe;
pub mod quirks;
pub mod receive;
#[cfg(test)]
mod scenarios;
pub mod send;
pub mod status;
#[cfg(test)]
pub(crate) mod testing;
