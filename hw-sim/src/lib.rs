//! hw-sim: simulated GSM modems on pseudo-terminals and a simulated SMPP SMSC.
//!
//! The library is what smsgw's own tests drive in-process; the `hw-sim` binary exposes the same
//! simulators to people and to third-party software.

pub mod smsc;
