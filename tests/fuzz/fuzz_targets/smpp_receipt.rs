#![no_main]
//! Feeds arbitrary bytes to the delivery-receipt text parser (the short_message of a
//! deliver_sm an SMSC sends) and to the SMSC id normalisation applied to what it finds.

use libfuzzer_sys::fuzz_target;
use smsgw::smpp::receipt;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = receipt::parse_bytes(data) {
        let id = receipt::canonical_id(&r.id);
        let _ = receipt::alternate_ids(&id);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = receipt::parse(text);
        let _ = receipt::ReceiptDate::parse(text);
    }
});
