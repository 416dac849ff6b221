//! SMPP 3.4 / 5.0: the SANS-IO PDU codec lives in [`pdu`]; framing for byte streams in `codec`.
pub mod pdu;
