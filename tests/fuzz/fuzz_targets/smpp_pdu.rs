#![no_main]
// Placeholder: filled in by the codec this target exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
