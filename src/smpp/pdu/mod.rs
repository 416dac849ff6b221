//! SANS-IO SMPP PDU codec. No I/O, no async.
