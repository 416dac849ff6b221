//! Integration tests of the GSM codec: published vectors (`tests/vectors/gsm/`), property
//! tests, and the `smsgw pdu` command line.
#![allow(clippy::unwrap_used)] // Test helpers panic on purpose: a broken vector file must fail loudly.

mod cli;
mod props;
mod vectors;
