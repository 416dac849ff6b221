//! How many messages are in each status, kept beside the status index.
//!
//! Metrics scrapes, the console and back-pressure ask for these counts all the time;
//! walking the status index for them cost a walk of every message kept (millions in a store
//! that has run for months) per scrape, and once at start. Every write that moves status index
//! entries ([`super::events::Writes`] carries the changes) also writes the new totals under one
//! meta key, in the same atomic batch, so the stored totals always agree with the index, even
//! after a crash; the store reads them when it opens (walking the index only when they are
//! missing: a store from before schema 3) and keeps them in memory.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::Status;

/// Slots by status code (codes run from 1 to `Status::ALL.len()`).
const SLOTS: usize = Status::ALL.len() + 1;

/// The live counts.
#[derive(Debug, Default)]
pub(crate) struct StatusCounts([AtomicU64; SLOTS]);

/// The changes of one write, applied together once it is applied.
#[derive(Debug, Default, Clone)]
pub(crate) struct StatusDelta([i64; SLOTS]);

fn slot(s: Status) -> usize {
    usize::from(s.code()).min(SLOTS - 1)
}

impl StatusDelta {
    /// One more message in `s`.
    pub(crate) fn add(&mut self, s: Status) {
        self.0[slot(s)] += 1;
    }

    /// One message fewer in `s`.
    pub(crate) fn remove(&mut self, s: Status) {
        self.0[slot(s)] -= 1;
    }
}

/// Totals by slot, as stored.
pub(crate) type Totals = [u64; SLOTS];

/// The stored form of totals: big-endian u64 per slot.
pub(crate) fn encode(totals: &Totals) -> Vec<u8> {
    totals.iter().flat_map(|n| n.to_be_bytes()).collect()
}

/// Totals from their stored form; `None` if they are not [`encode`]'s.
pub(crate) fn decode(bytes: &[u8]) -> Option<Totals> {
    if bytes.len() != SLOTS * 8 {
        return None;
    }
    let mut out = [0u64; SLOTS];
    for (n, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        *n = u64::from_be_bytes(chunk.try_into().ok()?);
    }
    Some(out)
}

impl StatusDelta {
    /// Whether it changes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|&d| d == 0)
    }
}

impl StatusCounts {
    /// Sets the count of `s` (when the store opens).
    pub(crate) fn set(&self, s: Status, n: u64) {
        self.0[slot(s)].store(n, Ordering::Relaxed);
    }

    /// Sets every count.
    pub(crate) fn set_all(&self, totals: &Totals) {
        for (count, &n) in self.0.iter().zip(totals.iter()) {
            count.store(n, Ordering::Relaxed);
        }
    }

    /// Every count.
    pub(crate) fn totals(&self) -> Totals {
        let mut out = [0u64; SLOTS];
        for (n, count) in out.iter_mut().zip(self.0.iter()) {
            *n = count.load(Ordering::Relaxed);
        }
        out
    }

    /// The totals once `delta` is applied (never below zero). Writers hold the store's write
    /// lock from this to [`StatusCounts::set_all`], so no change comes in between.
    pub(crate) fn after(&self, delta: &StatusDelta) -> Totals {
        let mut out = self.totals();
        for (n, &d) in out.iter_mut().zip(delta.0.iter()) {
            *n = if d >= 0 {
                n.saturating_add(d.unsigned_abs())
            } else {
                n.saturating_sub(d.unsigned_abs())
            };
        }
        out
    }

    /// The count of `s`.
    pub(crate) fn get(&self, s: Status) -> u64 {
        self.0[slot(s)].load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_should_round_trip_and_garbage_be_refused() {
        let mut t = [0u64; SLOTS];
        t[2] = 7;
        t[SLOTS - 1] = u64::MAX;
        assert_eq!(decode(&encode(&t)), Some(t));
        assert_eq!(decode(b"short"), None);
        assert_eq!(decode(&[]), None);
    }

    #[test]
    fn a_store_without_stored_totals_should_count_its_index_once_and_keep_them() {
        use crate::model::MessageId;
        use crate::store::{Store, keys};
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            for ms in 1..=3 {
                let entry = keys::status(Status::Delivered, MessageId::new_at(ms));
                store.put_raw(&entry, &[]).unwrap();
            }
            // As a store from before schema 3 has it: index entries, no totals.
            store.tree.remove(keys::STATUS_COUNTS_KEY).unwrap();
            store.flush_blocking().unwrap();
        }
        // sled's threads may hold the lock for a moment after the last handle.
        let store = (0..100)
            .find_map(|_| {
                let opened = Store::open(dir.path(), 1 << 20).ok();
                if opened.is_none() {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                opened
            })
            .unwrap();
        assert_eq!(store.count_in_status(Status::Delivered), 3);
        let stored = store.tree.get(keys::STATUS_COUNTS_KEY).unwrap().unwrap();
        assert_eq!(
            decode(&stored).unwrap()[usize::from(Status::Delivered.code())],
            3
        );
    }

    #[test]
    fn a_delta_should_move_the_totals_and_never_below_zero() {
        let counts = StatusCounts::default();
        counts.set(Status::Queued, 2);
        let mut d = StatusDelta::default();
        assert!(d.is_empty());
        d.remove(Status::Queued);
        d.remove(Status::Queued);
        d.remove(Status::Queued);
        d.add(Status::Sending);
        let after = counts.after(&d);
        counts.set_all(&after);
        assert_eq!(counts.get(Status::Queued), 0);
        assert_eq!(counts.get(Status::Sending), 1);
    }
}
