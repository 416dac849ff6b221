//! End-to-end tests of the modem side: the real daemon in-process, its HTTP API on
//! 127.0.0.1:0, and hw-sim modems over real pseudo-terminals, with the simulator's faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
#[allow(dead_code)] // receive tests use the rest once the simulator encodes SMS-DELIVERs
mod harness;
mod health;
mod send;
