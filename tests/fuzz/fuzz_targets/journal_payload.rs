#![no_main]
//! Feeds arbitrary bytes to the reader of a journal record's changes, as a start meets them
//! in a record whose checksum held (plain, or compressed by LZ4 or zstd): refused or read, never a panic
//! or an allocation past the record limit; and checks that changes made of the data, plain
//! or compressed by their size, read back as written.

use libfuzzer_sys::fuzz_target;
use smsgw::store::wal::ops::{self, Op};

fuzz_target!(|data: &[u8]| {
    let _ = ops::decode(data);
    // Changes cut from the data: keys and values of the lengths its bytes give.
    let mut changes: Vec<Op> = Vec::new();
    let mut rest = data;
    while let Some((&n, after)) = rest.split_first() {
        let n = usize::from(n % 64).min(after.len());
        let (key, after) = after.split_at(n);
        let value = (n % 3 != 0).then(|| sled::IVec::from(after.get(..n).unwrap_or(after)));
        rest = after.get(n..).unwrap_or_default();
        changes.push((sled::IVec::from(key), value));
    }
    // Repeated, so a record large enough to be compressed is tried too.
    let repeated: Vec<Op> = changes.iter().cycle().take(changes.len() * 8).cloned().collect();
    for ops_in in [changes, repeated] {
        assert_eq!(ops::decode(&ops::encode(&ops_in)).ok(), Some(ops_in));
    }
});
