#![no_main]
//! The GSM TPDU decoder must never panic on any bytes, and whatever it decodes must encode
//! back to a TPDU that decodes to the same value. Run: `cargo fuzz run --fuzz-dir tests/fuzz gsm_tpdu`.
use libfuzzer_sys::fuzz_target;
use smsgw::gsm::{Tpdu, decode_pdu_hex};

fuzz_target!(|data: &[u8]| {
    if let Ok(tpdu) = Tpdu::decode_any(data) {
        let bytes = tpdu.encode().expect("a decoded TPDU re-encodes");
        let again = Tpdu::decode_any(&bytes).expect("a re-encoded TPDU decodes");
        assert_eq!(again, tpdu);
    }
    let hex: String = data.iter().map(|b| format!("{b:02X}")).collect();
    let _ = decode_pdu_hex(&hex, None);
});
