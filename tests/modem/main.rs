//! End-to-end tests of the modem side: the real daemon in-process, its HTTP API on
//! 127.0.0.1:0, and hw-sim modems over real pseudo-terminals, with the simulator's faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod send;
