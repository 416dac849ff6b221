//! The store engine's own ceiling: how many keys per second sled 0.34 applies, and so how many
//! messages per second a given number of keys per message allows.
//!
//! Not a criterion benchmark: it writes `SMSGW_BENCH_MESSAGES` (default 200,000) messages in
//! batches of 100 into a fresh sled database configured as the store configures it (high
//! throughput mode, 256 MiB cache), a flush every 20 batches, once for each number of keys per
//! message from 1 to 5 (the value, then a due, a status and a recipient index entry and an
//! event, shaped like the store's), and prints the medians of `SMSGW_BENCH_ROUNDS` rounds.
//!
//! Then what sled writes to disk per message for the keys the store's checkpoints hand it:
//! the mix per message that the side-by-side bench's receipts round measured
//! (`smsgw_store_checkpoint_*_total` by kind, BENCHMARKS.md), applied as checkpoints apply it
//! (sorted, in batches of 2,048, a flush per checkpoint), whole and without some kinds, so
//! the bytes each kind costs inside sled show, against the bytes handed to it.
//!
//!   cargo bench --bench sled_keys
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;
use support::{env_num, median, proc_field};

const BATCH: u64 = 100;

/// sled in `dir` configured as the store configures it (`store::sled_config`), its 256 MiB
/// default cache, and the store's tree.
fn open_as_the_store(dir: &std::path::Path) -> (sled::Db, sled::Tree) {
    let db = smsgw::store::sled_config(dir)
        .cache_capacity(256 << 20)
        .open()
        .unwrap();
    let tree = db.open_tree("smsgw").unwrap();
    (db, tree)
}

/// Messages per second writing `keys` keys per message, values of `value_len` bytes.
fn round(messages: u64, keys: usize, value_len: usize) -> f64 {
    let dir = tempfile::tempdir_in(".").unwrap();
    let (db, tree) = open_as_the_store(dir.path());
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

/// One kind of key in a message's share of a checkpoint: its prefix, how many per message
/// (in hundredths), and its value's length.
#[derive(Clone, Copy)]
struct Kind {
    prefix: u8,
    per_100_messages: u64,
    value_len: usize,
}

/// The receipts round's mix (set keys per message and bytes per key, 2026-12-06): the message
/// (M), its events (E), the audit entry of its submission (L), its conversation (C), the SMSC
/// ids of its parts (R), its status and recipient index entries (S, T).
const STORE_MIX: &[Kind] = &[
    Kind {
        prefix: b'M',
        per_100_messages: 100,
        value_len: 915,
    },
    Kind {
        prefix: b'E',
        per_100_messages: 134,
        value_len: 815,
    },
    Kind {
        prefix: b'L',
        per_100_messages: 100,
        value_len: 185,
    },
    Kind {
        prefix: b'C',
        per_100_messages: 100,
        value_len: 75,
    },
    Kind {
        prefix: b'R',
        per_100_messages: 167,
        value_len: 45,
    },
    Kind {
        prefix: b'S',
        per_100_messages: 100,
        value_len: 0,
    },
    Kind {
        prefix: b'T',
        per_100_messages: 100,
        value_len: 0,
    },
];

/// Bytes this process has caused to be written to disk so far.
fn written() -> u64 {
    proc_field(std::process::id(), "io", "write_bytes:")
}

/// Writes `messages` messages' keys of `mix` as checkpoints of `per_checkpoint` messages
/// would; returns (bytes handed to sled, bytes written to disk) per message.
fn checkpoints(messages: u64, per_checkpoint: u64, mix: &[Kind]) -> (f64, f64) {
    let dir = tempfile::tempdir_in(".").unwrap();
    let (db, tree) = open_as_the_store(dir.path());
    db.flush().unwrap();
    // Values that do not compress, as msgpack with text and ids mostly does not either.
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let (before, mut handed) = (written(), 0u64);
    let mut seq = 0u64;
    let mut n = 0u64;
    while n < messages {
        let mut layer: BTreeMap<Vec<u8>, &[u8]> = BTreeMap::new();
        for m in n..(n + per_checkpoint).min(messages) {
            let id = ((u128::from(1_700_000_000_000 + m / 5) << 80) | u128::from(m)).to_be_bytes();
            for k in mix {
                let count = (
                    m * k.per_100_messages / 100,
                    (m + 1) * k.per_100_messages / 100,
                );
                for j in count.0..count.1 {
                    let key = match k.prefix {
                        b'E' => {
                            seq += 1;
                            [&[b'E'][..], &seq.to_be_bytes()].concat()
                        }
                        b'T' | b'C' => {
                            let number = format!("+3584{:08}\0", m % 100_000);
                            [&[k.prefix][..], number.as_bytes(), &id].concat()
                        }
                        b'R' => format!("Rop\0{:016x}", j).into_bytes(),
                        b'S' => [&[b'S', 5][..], &id].concat(),
                        p => [&[p][..], &id].concat(),
                    };
                    let at = (m as usize * 31) % (noise.len() - k.value_len.max(1));
                    let value = &noise[at..at + k.value_len];
                    handed += (key.len() + value.len()) as u64;
                    layer.insert(key, value);
                }
            }
        }
        let mut changes = layer.into_iter().peekable();
        while changes.peek().is_some() {
            let mut batch = sled::Batch::default();
            for (k, v) in changes.by_ref().take(2048) {
                batch.insert(k, v);
            }
            tree.apply_batch(batch).unwrap();
        }
        db.flush().unwrap();
        n += per_checkpoint;
    }
    drop(tree);
    drop(db);
    let disk = written() - before;
    (
        handed as f64 / messages as f64,
        disk as f64 / messages as f64,
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let checkpoint_messages = env_num("SMSGW_BENCH_CHECKPOINT_MESSAGES", 60_000);
    let per_checkpoint = env_num("SMSGW_BENCH_PER_CHECKPOINT", 15_000);
    let without = |drop: &[u8]| -> Vec<Kind> {
        STORE_MIX
            .iter()
            .copied()
            .filter(|k| !drop.contains(&k.prefix))
            .collect()
    };
    let smaller_message: Vec<Kind> = STORE_MIX
        .iter()
        .map(|k| match k.prefix {
            b'M' => Kind {
                value_len: k.value_len / 2,
                ..*k
            },
            _ => *k,
        })
        .collect();
    let variants: [(&str, Vec<Kind>); 6] = [
        ("the store's mix", STORE_MIX.to_vec()),
        ("without events (E)", without(b"E")),
        ("without events and audit (E, L)", without(b"EL")),
        ("without E, L, C", without(b"ELC")),
        ("the mix, message values halved", smaller_message),
        ("the message alone (M)", without(b"ELCRST")),
    ];
    println!(
        "sled 0.34, checkpoints of {per_checkpoint} messages, {checkpoint_messages} messages, \
         bytes per message handed to sled / written to disk (median of 3):"
    );
    for (name, mix) in variants {
        let runs: Vec<(f64, f64)> = (0..3)
            .map(|_| checkpoints(checkpoint_messages, per_checkpoint, &mix))
            .collect();
        let handed = median(runs.iter().map(|r| r.0).collect());
        let disk = median(runs.iter().map(|r| r.1).collect());
        println!(
            "  {name:<34} {handed:>6.0} B handed, {disk:>7.0} B written ({:.1}×)",
            disk / handed.max(1.0)
        );
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
