//! SMPP codec tests: published vectors, property round trips for every PDU type, decoding
//! arbitrary bytes, stream framing, receipt texts, interop with the third-party `rusmpp`
//! crate, and the `smsgw smpp decode` command.
#![allow(clippy::unwrap_used)]

mod cli;
mod framing;
mod interop;
mod props;
mod receipts;
mod smsc;
mod strategies;
mod vectors;
