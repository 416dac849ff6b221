//! hw-sim: simulated GSM modems on pseudo-terminals and a simulated SMPP SMSC.
//!
//! The library is what smsgw's own tests drive in-process; the `hw-sim` binary exposes the same
//! simulators to people and to third-party software.
//!
//! - [`modem`]: simulated modems ([`SimModem::start`] with a [`ModemConfig`]).
//! - [`smsc`]: a simulated SMPP SMSC ([`smsc::start`] with a [`smsc::SmscConfig`]).
//! - [`demo`]: simulators for what an smsgw configuration names, and the gateway with them.

pub mod demo;
pub mod modem;
pub mod smsc;

pub use modem::{
    Fault, Identity, ModemConfig, ModemControl, ModemStatus, Profile, SimError, SimModem,
};
