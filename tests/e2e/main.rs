//! End-to-end tests: the real `smsgw` binary in a temporary directory, killed and restarted.
#![allow(clippy::unwrap_used)]

mod cli;
mod console;
#[path = "../support/eventually.rs"]
mod eventually;
mod harness;
mod modems;
mod openapi_fuzz;
#[path = "../support/peer.rs"]
mod peer;
mod restart;
mod tls;
#[path = "../support/webhook_receiver.rs"]
mod webhook_receiver;
mod webhooks;
