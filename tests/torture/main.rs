//! Crash torture (issue 14 item 2): the real `smsgw` binary with an SMPP link to hw-sim's
//! SMSC and a pool of two hw-sim modems, SIGKILLed at random (seeded) moments while messages
//! flow both ways, restarted on the same data directory each time, then reconciled against
//! what the simulators recorded. Also: kills inside a SIM read-then-delete and a multipart
//! reassembly, and power cuts (a loop-mounted store whose unflushed writes are dropped).
//!
//! `SMSGW_TORTURE_KILLS` (default 5) sets the number of kills, `SMSGW_TORTURE_SEED` replays a
//! run (the seed is printed), `SMSGW_TORTURE_CUTS` (default 2) the number of power cuts.
//! The full run: `SMSGW_TORTURE_KILLS=20 cargo test --release --test torture -- --nocapture`.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)] // the e2e helpers this binary does not use
#[path = "../e2e/harness.rs"]
mod harness;
mod kills;
mod ledger;
mod multipart;
#[path = "../support/peer.rs"]
mod peer;
mod power_cut;
mod reconcile;
mod rig;
mod tokens;
#[path = "../support/webhook_receiver.rs"]
mod webhook_receiver;
