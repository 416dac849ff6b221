#![no_main]
//! Feeds arbitrary bytes to the Kannel `sendsms` request reader: form decoding, the strict
//! integers of number fields and the charset conversions of `text`. The first byte picks the
//! charset; the rest is a query string or form body.

use libfuzzer_sys::fuzz_target;
use smsgw::api::kannel_params::{Params, decode_text};

const CHARSETS: [&str; 6] = [
    "utf-8",
    "iso-8859-1",
    "utf-16be",
    "ucs-2",
    "windows-1252",
    "x",
];
const NUMBERS: [&str; 8] = [
    "dlr-mask", "coding", "validity", "deferred", "priority", "mclass", "pid", "mwi",
];

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let mut p = Params::default();
    p.add_form(rest);
    for name in NUMBERS {
        let _ = p.number(&[name]);
    }
    for name in ["to", "from", "text", "dlr-url", "username", "charset"] {
        let _ = p.text(&[name]);
    }
    let charset = CHARSETS[usize::from(head) % CHARSETS.len()];
    if let Some(raw) = p.raw("text") {
        let _ = decode_text(raw, charset);
    }
    let _ = decode_text(rest, charset);
});
