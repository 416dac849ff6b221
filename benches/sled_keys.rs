//! The store engine's own ceiling: how many keys per second sled 0.34 applies, and so how many
//! messages per second a given number of keys per message allows.
//!
//! Not a criterion benchmark: it writes `SMSGW_BENCH_MESSAGES` (default 200,000) messages in
//! batches of 100 into a fresh sled database configured as the store configures it (high
//! throughput mode, 256 MiB cache), a flush every 20 batches, once for each number of keys per
//! message from 1 to 5 (the value, then a due, a status and a recipient index entry and an
//! event, shaped like the store's), and prints the medians of `SMSGW_BENCH_ROUNDS` rounds.
//!
//!   cargo bench --bench sled_keys
#![allow(clippy::unwrap_used)]

use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;
use support::{env_num, median};

const BATCH: u64 = 100;

/// Messages per second writing `keys` keys per message, values of `value_len` bytes.
fn round(messages: u64, keys: usize, value_len: usize) -> f64 {
    let dir = tempfile::tempdir_in(".").unwrap();
    let db = sled::Config::new()
        .path(dir.path())
        .cache_capacity(256 << 20)
        .mode(sled::Mode::HighThroughput)
        .open()
        .unwrap();
    let tree = db.open_tree("smsgw").unwrap();
    let value = vec![7u8; value_len];
    let start = Instant::now();
    let mut seq = 0u64;
    for b in 0..messages / BATCH {
        let mut batch = sled::Batch::default();
        for i in 0..BATCH {
            // A time-ordered id, like a ULID: new messages append at the end of each range.
            let ms = 1_700_000_000_000u64 + start.elapsed().as_millis() as u64;
            let id = ((u128::from(ms) << 80) | u128::from(b * BATCH + i)).to_be_bytes();
            let with = |prefix: &[u8], tail: &[u8]| [prefix, tail].concat();
            batch.insert(with(b"M", &id), value.as_slice());
            let recipient = format!("+3584{i:08}\0");
            let index: [Vec<u8>; 3] = [
                with(b"D\x02", &[&ms.to_be_bytes()[..], &id[..]].concat()),
                with(b"S\x01", &id),
                with(b"T", &[recipient.as_bytes(), &id[..]].concat()),
            ];
            for k in index.iter().take(keys.saturating_sub(1)) {
                batch.insert(k.as_slice(), &[]);
            }
            if keys >= 5 {
                seq += 1;
                batch.insert(
                    with(b"E", &seq.to_be_bytes()),
                    &value[..value.len().min(200)],
                );
            }
        }
        tree.apply_batch(batch).unwrap();
        if b % 20 == 19 {
            db.flush().unwrap();
        }
    }
    db.flush().unwrap();
    messages as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let messages = env_num("SMSGW_BENCH_MESSAGES", 200_000);
    let rounds = env_num("SMSGW_BENCH_ROUNDS", 3);
    println!("sled 0.34, batches of {BATCH}, {messages} messages, {rounds} rounds, medians:");
    for value_len in [8, 360, 1000] {
        let rate = median((0..rounds).map(|_| round(messages, 1, value_len)).collect());
        println!("  1 key per message, {value_len:>4}-byte values: {rate:>9.0} msg/s = keys/s");
    }
    for keys in 2..=5 {
        let rate = median((0..rounds).map(|_| round(messages, keys, 360)).collect());
        println!(
            "  {keys} keys per message,  360-byte values: {rate:>9.0} msg/s, {:>9.0} keys/s",
            rate * keys as f64
        );
    }
}
