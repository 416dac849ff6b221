//! Two-way conversations (issue 7, items 1, 4 and 8): sticky senders and reply matching
//! through the real daemon and hw-sim modems on pseudo-terminals, quiet hours in the
//! dispatcher on tokio's paused clock, and inbound routing to webhook receivers on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../support/eventually.rs"]
mod eventually;
#[allow(dead_code)]
#[path = "../support/fake_route.rs"]
mod fake_route;
#[allow(dead_code)]
#[path = "../modem/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../smpp_e2e/harness.rs"]
mod smpp_harness;
#[allow(dead_code)]
#[path = "../spine/support.rs"]
mod support;
#[path = "../support/webhook_receiver.rs"]
mod webhook_receiver;

mod numbers;
mod quiet;
mod routing;
mod smpp;
mod sticky;
