//! How many messages are in each status, kept in memory beside the status index.
//!
//! Metrics scrapes, the status page and back-pressure ask for these counts all the time;
//! walking the status index for them cost a walk of every message ever kept (millions in a
//! store that has run for months) per scrape. The counts are taken from the index once when
//! the store opens, before anything writes, and then moved by every write that moves a status
//! index entry, after the write is applied ([`super::events::Writes`] carries the changes).

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

impl StatusCounts {
    /// Sets the count of `s` (when the store opens).
    pub(crate) fn set(&self, s: Status, n: u64) {
        self.0[slot(s)].store(n, Ordering::Relaxed);
    }

    /// The count of `s`.
    pub(crate) fn get(&self, s: Status) -> u64 {
        self.0[slot(s)].load(Ordering::Relaxed)
    }

    /// Applies the changes of a write that was applied.
    pub(crate) fn apply(&self, delta: &StatusDelta) {
        for (count, &d) in self.0.iter().zip(delta.0.iter()) {
            if d > 0 {
                count.fetch_add(d.unsigned_abs(), Ordering::Relaxed);
            } else if d < 0 {
                // Never below zero, whatever happens.
                let _ = count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                    Some(c.saturating_sub(d.unsigned_abs()))
                });
            }
        }
    }
}
