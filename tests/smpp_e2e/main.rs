//! End to end over SMPP: the daemon in-process (HTTP API, store, dispatcher, SMPP link) against
//! hw-sim's simulated SMSC on 127.0.0.1. Messages in over HTTP, submit_sm out, receipts back,
//! statuses through the API; MO to the inbox; long messages in the three long-message modes;
//! and faults (dropped links, throttling, malformed PDUs, bad credentials). Every wait is a
//! bounded poll of the API or the simulator, never a bet on timing.
#![allow(clippy::unwrap_used)]

mod delivery;
#[path = "../support/eventually.rs"]
mod eventually;
mod faults;
mod harness;
mod node_peer;
#[path = "../support/peer.rs"]
mod peer;
