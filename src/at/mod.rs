//! SANS-IO AT command layer (3GPP TS 27.005 / 27.007). No I/O, no async.
