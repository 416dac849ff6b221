#![no_main]
//! Feeds arbitrary text to the configuration loader: the recovering parser that reports every
//! problem (it edits the TOML tree and parses again), secret resolution and validation.

use libfuzzer_sys::fuzz_target;
use smsgw::config::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::from_toml(text);
    }
});
