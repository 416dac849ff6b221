//! Integration tests of the GSM codec: published vectors (`tests/vectors/gsm/`), property
//! tests, and the `smsgw pdu` command line.

mod cli;
mod props;
mod vectors;
