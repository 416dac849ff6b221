//! The event log (outbox): what webhooks, long polls and the activity metrics read.
//!
//! A write that reports changes collects its events in a [`Writes`] and stores them as a few
//! grouped values, `E | first sequence` → up to [`GROUP_MAX`] events, rather than one key per
//! event: sled's cost is per key written (about 5 µs on the reference machine, whatever the
//! value's size), and the dispatcher, the outcome writer and the receipt writer each change
//! hundreds of messages per write. Sequence numbers stay per event, so readers' cursors are
//! unchanged; a cursor may point inside a group, and reading resumes after it.
//!
//! Stores written before grouping hold one event per key; a group of one reads the same.

use std::ops::{Deref, DerefMut};

use super::wal::Batch;

use super::due_index;
use super::status_counts::{self, StatusDelta};
use super::value::{decode_list_or_one, encode_item, encode_list};
use super::{Store, StoreError, keys};
use crate::model::{Event, Timestamp};

/// Events per stored group: enough that a batch of changes costs few keys.
pub const GROUP_MAX: usize = 64;

/// Encoded bytes per stored group (most groups stop here, at 15–30 events). sled keeps up to
/// 17 entries in a leaf, copies the leaf on every change and rewrites it whole now and then:
/// bigger groups make each new group dearer, and a leaf over 128 KiB is written to a file of
/// its own (sled's blob threshold).
pub const GROUP_BYTES: usize = 4 * 1024;

/// The events stored under one key: a group, or one event from an older store.
fn decode_events(key: &[u8], bytes: &[u8]) -> Result<Vec<Event>, StoreError> {
    decode_list_or_one(key, bytes)
}

/// What pruning reads of an event: events are stored as named fields, so the rest (parts,
/// reasons) is skipped, not built. A start after a large fill prunes a million of them.
#[derive(serde::Deserialize)]
struct Stamp {
    seq: u64,
    at: Timestamp,
}

/// One atomic write: the sled batch and the events it reports, which [`Store::apply`] adds to
/// the batch as groups. Derefs to the batch, for the keys that are not events.
#[derive(Default)]
pub(crate) struct Writes {
    batch: Batch,
    events: Vec<Event>,
    /// Status index entries added and removed ([`super::status_counts`]).
    pub(crate) statuses: StatusDelta,
}

impl Writes {
    /// Adds an event; its sequence number must come from [`Store::next_event_seq`] under the
    /// write lock, so that the log's order is write order.
    pub(crate) fn push_event(&mut self, event: Event) {
        self.events.push(event);
    }
}

impl Deref for Writes {
    type Target = Batch;
    fn deref(&self) -> &Batch {
        &self.batch
    }
}

impl DerefMut for Writes {
    fn deref_mut(&mut self) -> &mut Batch {
        &mut self.batch
    }
}

impl Store {
    /// Applies `writes` atomically, its events grouped, and wakes event readers. Returns how
    /// many events it wrote. Call with the write lock held.
    pub(crate) fn apply(&self, writes: Writes) -> Result<u64, StoreError> {
        let Writes {
            mut batch,
            events,
            statuses,
        } = writes;
        let mut group: Vec<Vec<u8>> = Vec::new();
        let mut group_bytes = 0;
        let mut first_seq = 0;
        for event in &events {
            let item = encode_item(event)?;
            if !group.is_empty()
                && (group.len() == GROUP_MAX || group_bytes + item.len() > GROUP_BYTES)
            {
                let full = std::mem::take(&mut group);
                // Sequence numbers are never handed out twice, so neither is a group key.
                batch.insert_new(
                    &keys::event(first_seq),
                    encode_list(full.iter().map(Vec::as_slice)),
                );
                group_bytes = 0;
            }
            if group.is_empty() {
                first_seq = event.seq;
            }
            group_bytes += item.len();
            group.push(item);
        }
        if !group.is_empty() {
            batch.insert_new(
                &keys::event(first_seq),
                encode_list(group.iter().map(Vec::as_slice)),
            );
        }
        if let Some(newest) = events.iter().map(|e| e.seq).max() {
            // In the same record as the events: a start continues after it, even when
            // retention has removed every event since.
            batch.insert(keys::EVENT_SEQ_KEY, &newest.to_be_bytes());
        }
        // The new status totals go in the same batch (`store::status_counts`).
        let totals = (!statuses.is_empty()).then(|| self.status_counts.after(&statuses));
        if let Some(t) = &totals {
            batch.insert(keys::STATUS_COUNTS_KEY, status_counts::encode(t));
        }
        let due = due_index::DueIndex::changes_of(batch.ops());
        self.tree.apply_batch(batch)?;
        if let Some(t) = &totals {
            self.status_counts.set_all(t);
        }
        self.due_index.apply(due);
        let n = events.len() as u64;
        if n > 0 {
            // Before readers are woken, so the ones that keep up find them in memory.
            self.recent_events.push(events);
            self.events_written.send_modify(|w| *w += n);
        }
        Ok(n)
    }

    /// The next event sequence number (events start at 1, so that a reader's cursor 0 means
    /// "from the beginning"). Kept by the store, not by sled's id generator: sled persists
    /// that only with its own flushes, which the journal made rare, and after a crash it
    /// could hand out again numbers of events the journal had kept — a new event would
    /// overwrite an old one and readers' cursors would pass over it.
    pub(crate) fn next_event_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .last_event
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel)
            + 1)
    }

    /// Where event numbering resumes at open: after the newest number handed out, as stored
    /// with the events, or for stores from before that key, after the newest event and
    /// every id sled's generator handed out (which those stores flushed at every write).
    pub(crate) fn load_event_seq(&self) -> Result<(), StoreError> {
        let stored = match self.tree.get(keys::EVENT_SEQ_KEY)? {
            Some(v) => Some(u64::from_be_bytes(v.as_ref().try_into().map_err(|_| {
                StoreError::Corrupt {
                    key: hex::encode(keys::EVENT_SEQ_KEY),
                    reason: "event sequence is not 8 bytes".into(),
                }
            })?)),
            None => None,
        };
        let last = match stored {
            Some(s) => s.max(self.last_event_seq()?),
            None => self.last_event_seq()?.max(self.db.generate_id()? + 1),
        };
        self.last_event
            .store(last, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Events with a sequence number above `after`, oldest first, at most `limit`.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let floor = self.event_floor();
        let from = after.saturating_add(1).max(floor);
        match self.recent_events.from(from, limit) {
            Some(events) => Ok(events),
            None => self.events_in_tree(floor, from, limit),
        }
    }

    /// Events from sequence number `from` (at or above the prune `floor`) on, read from the
    /// tree: for readers behind the events in memory.
    fn events_in_tree(
        &self,
        floor: u64,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        // The group holding `from`, if any, starts at or before it (and at the floor or
        // after: there is none below).
        let first = match self
            .tree
            .range(keys::event(floor).as_slice()..=keys::event(from).as_slice())
            .next_back()
        {
            Some(kv) => kv?.0.to_vec(),
            None => keys::event(from).to_vec(),
        };
        let end = keys::prefix_end(&[keys::EVENT]);
        let mut out = Vec::new();
        for kv in self.tree.range(first..end) {
            let (k, v) = kv?;
            for event in decode_events(&k, &v)? {
                if out.len() == limit {
                    return Ok(out);
                }
                if event.seq >= from {
                    out.push(event);
                }
            }
        }
        Ok(out)
    }

    /// The sequence number of the newest event (0 when there is none).
    pub fn last_event_seq(&self) -> Result<u64, StoreError> {
        let Some(kv) = self.tree.scan_prefix([keys::EVENT]).next_back() else {
            return Ok(0);
        };
        let (k, v) = kv?;
        Ok(decode_events(&k, &v)?
            .iter()
            .map(|e| e.seq)
            .max()
            .unwrap_or(0))
    }

    /// The lowest sequence number an event group key may have: 1 after open, then past the
    /// newest event pruned.
    fn event_floor(&self) -> u64 {
        self.event_floor.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Removes events with a sequence number up to `upto` that happened before `before`;
    /// returns how many. A group goes only when all of its events may go. Callers pass the
    /// lowest cursor of the running targets, so no target loses an event it has not read.
    /// All in one call (tests, tools); the daemon goes a step at a time
    /// ([`Store::prune_events_step`]).
    pub fn prune_events(&self, upto: u64, before: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        loop {
            let step = self.prune_events_step(upto, before)?;
            n += step.events;
            if !step.more {
                return Ok(n);
            }
        }
    }

    /// One write of [`Store::prune_events`]: up to [`PRUNE_STEP`] groups. The daemon runs
    /// each as a writer job of its own, so a start after a large fill (a million events to
    /// prune) does not hold back the writes queued behind it.
    pub fn prune_events_step(
        &self,
        upto: u64,
        before: Timestamp,
    ) -> Result<EventsPruned, StoreError> {
        let end = keys::event(upto.saturating_add(1));
        let mut events = 0;
        let mut groups = 0;
        // The newest sequence number of the groups removed: every group left starts after it.
        let mut newest = 0;
        let old = self
            .tree
            .range(keys::event(self.event_floor()).as_slice()..end.as_slice())
            .take(PRUNE_STEP)
            .map_while(|kv| {
                let (k, v) = match kv {
                    Ok(kv) => kv,
                    Err(e) => return Some(Err(e.into())),
                };
                match decode_list_or_one::<Stamp>(&k, &v) {
                    Ok(stamps) if stamps.iter().all(|e| e.seq <= upto && e.at < before) => {
                        events += stamps.len();
                        groups += 1;
                        newest = stamps.iter().map(|e| e.seq).fold(newest, u64::max);
                        Some(Ok(k))
                    }
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                }
            });
        self.remove_in_chunks(old)?;
        if newest > 0 {
            // Pruning is a writer job, one at a time, so the floor only rises.
            self.event_floor.fetch_max(
                newest.saturating_add(1),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        Ok(EventsPruned {
            events,
            more: groups == PRUNE_STEP,
        })
    }
}

/// Event groups (one per write that had events) removed per step of pruning: one batch.
pub const PRUNE_STEP: usize = 1024;

/// What one step of pruning removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventsPruned {
    /// Events removed.
    pub events: usize,
    /// Whether there may be more to remove.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, MessageId};

    fn event(seq: u64, at: u64) -> Event {
        Event {
            seq,
            at: Timestamp(at),
            kind: EventKind::MessageReceived,
            message_id: MessageId::new_at(at),
            status: None,
            reason: None,
            parts: Vec::new(),
            attempts: 0,
            asks: None,
        }
    }

    fn store() -> (tempfile::TempDir, std::sync::Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        (dir, store)
    }

    /// Writes events `seqs` in one write, as the store's writers do.
    fn write(store: &Store, seqs: std::ops::RangeInclusive<u64>, at: u64) {
        let mut w = Writes::default();
        for seq in seqs {
            w.push_event(event(seq, at));
        }
        store.apply(w).unwrap();
    }

    /// The store's answer, which must be the tree's: readers that keep up are answered from
    /// memory (`store::recent_events`), the others from the tree.
    fn events_after(store: &Store, after: u64, limit: usize) -> Vec<Event> {
        let served = store.events_after(after, limit).unwrap();
        let floor = store.event_floor();
        let tree = store
            .events_in_tree(floor, after.saturating_add(1).max(floor), limit)
            .unwrap();
        assert_eq!(
            served, tree,
            "memory and tree disagree after {after} (limit {limit})"
        );
        served
    }

    fn seqs(events: &[Event]) -> Vec<u64> {
        events.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_reader_that_keeps_up_should_be_answered_from_memory_and_after_a_start_from_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        write(&store, 1..=10, 10);
        // What the store applies goes to the window: a reader after 5 is answered there.
        let in_memory = store.recent_events.from(6, 100).unwrap();
        assert_eq!(seqs(&in_memory), (6..=10).collect::<Vec<_>>());
        assert_eq!(seqs(&events_after(&store, 5, 100)), seqs(&in_memory));
        store.flush_blocking().unwrap();
        drop(store);
        // A start has an empty window: the same read goes to the tree and gets the same.
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert!(store.recent_events.from(6, 100).is_none());
        assert_eq!(seqs(&events_after(&store, 5, 100)), seqs(&in_memory));
    }

    #[test]
    fn a_write_of_many_events_should_cost_one_key_per_group() {
        let (_dir, store) = store();
        write(&store, 1..=150, 10);
        let keys = store.tree.scan_prefix([keys::EVENT]).count();
        assert_eq!(keys, 150usize.div_ceil(GROUP_MAX));
        assert_eq!(
            seqs(&events_after(&store, 0, 1000)),
            (1..=150).collect::<Vec<_>>()
        );
        assert_eq!(store.last_event_seq().unwrap(), 150);
    }

    #[test]
    fn large_events_should_be_grouped_by_size() {
        let (_dir, store) = store();
        let mut w = Writes::default();
        for seq in 1..=10 {
            let mut e = event(seq, 10);
            e.reason = Some("x".repeat(GROUP_BYTES / 3));
            w.push_event(e);
        }
        store.apply(w).unwrap();
        for kv in store.tree.scan_prefix([keys::EVENT]) {
            let (k, v) = kv.unwrap();
            assert!(v.len() <= GROUP_BYTES + 64, "{} bytes", v.len());
            assert!(decode_events(&k, &v).unwrap().len() <= 2);
        }
        assert_eq!(
            seqs(&events_after(&store, 0, 100)),
            (1..=10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_cursor_inside_a_group_should_resume_after_it_and_limits_should_hold() {
        let (_dir, store) = store();
        write(&store, 1..=5, 10);
        write(&store, 6..=9, 20);
        assert_eq!(seqs(&events_after(&store, 2, 2)), vec![3, 4]);
        assert_eq!(seqs(&events_after(&store, 4, 3)), vec![5, 6, 7]);
        assert_eq!(seqs(&events_after(&store, 7, 10)), vec![8, 9]);
        assert!(events_after(&store, 9, 10).is_empty());
        assert!(events_after(&store, 0, 0).is_empty());
    }

    #[test]
    fn pruning_should_go_a_batch_of_groups_at_a_time_and_say_when_there_is_more() {
        let (_dir, store) = store();
        let groups = PRUNE_STEP as u64 + 10;
        for g in 0..groups {
            write(&store, 2 * g + 1..=2 * g + 2, 5);
        }
        let head = 2 * groups;
        let first = store.prune_events_step(head, Timestamp(10)).unwrap();
        assert_eq!((first.events, first.more), (2 * PRUNE_STEP, true));
        let second = store.prune_events_step(head, Timestamp(10)).unwrap();
        assert_eq!((second.events, second.more), (20, false));
        assert!(events_after(&store, 0, 10).is_empty());
    }

    /// Reads after pruning start past the pruned groups (the floor): a cursor inside a group
    /// still resumes inside it, a cursor from before the floor gets the oldest left, and events
    /// written later are read and pruned as before.
    #[test]
    fn reads_after_pruning_should_start_at_the_oldest_group_left() {
        let (_dir, store) = store();
        write(&store, 1..=4, 5);
        write(&store, 5..=8, 5);
        write(&store, 9..=12, 50);
        assert_eq!(store.prune_events(8, Timestamp(10)).unwrap(), 8);
        assert_eq!(store.event_floor(), 9);
        assert_eq!(seqs(&events_after(&store, 0, 10)), vec![9, 10, 11, 12]);
        assert_eq!(seqs(&events_after(&store, 3, 10)), vec![9, 10, 11, 12]);
        assert_eq!(seqs(&events_after(&store, 10, 10)), vec![11, 12]);
        // Reads start at the floor: a key planted below it (which the store never writes)
        // is not reached.
        store
            .put_raw(
                &keys::event(2),
                &crate::store::value::encode(&event(2, 5)).unwrap(),
            )
            .unwrap();
        assert_eq!(seqs(&events_after(&store, 0, 1)), vec![9]);
        store.tree.remove(keys::event(2)).unwrap();
        // A group only partly read by every target stays, and so does the floor.
        assert_eq!(store.prune_events(10, Timestamp(100)).unwrap(), 0);
        assert_eq!(store.event_floor(), 9);
        write(&store, 13..=14, 60);
        assert_eq!(store.prune_events(14, Timestamp(100)).unwrap(), 6);
        assert_eq!(store.event_floor(), 15);
        assert!(events_after(&store, 0, 10).is_empty());
        write(&store, 15..=16, 70);
        assert_eq!(seqs(&events_after(&store, 0, 10)), vec![15, 16]);
        assert_eq!(seqs(&events_after(&store, 15, 10)), vec![16]);
    }

    #[test]
    fn events_stored_one_per_key_by_older_builds_should_still_read_and_prune() {
        use crate::store::value::encode;
        let (_dir, store) = store();
        for seq in 1..=3 {
            store
                .put_raw(&keys::event(seq), &encode(&event(seq, 10)).unwrap())
                .unwrap();
        }
        write(&store, 4..=6, 20);
        assert_eq!(seqs(&events_after(&store, 1, 10)), vec![2, 3, 4, 5, 6]);
        assert_eq!(store.last_event_seq().unwrap(), 6);
        assert_eq!(store.prune_events(6, Timestamp(15)).unwrap(), 3);
        assert_eq!(seqs(&events_after(&store, 0, 10)), vec![4, 5, 6]);
    }

    #[test]
    fn pruning_should_keep_a_group_that_holds_an_unread_or_recent_event() {
        let (_dir, store) = store();
        write(&store, 1..=3, 10);
        write(&store, 4..=6, 10);
        // Event 5 is not read by every target yet: its group stays whole.
        assert_eq!(store.prune_events(5, Timestamp(100)).unwrap(), 3);
        assert_eq!(seqs(&events_after(&store, 0, 10)), vec![4, 5, 6]);
        // Recent events stay whatever the cursors.
        assert_eq!(store.prune_events(6, Timestamp(10)).unwrap(), 0);
        assert_eq!(store.prune_events(6, Timestamp(11)).unwrap(), 3);
        assert_eq!(store.last_event_seq().unwrap(), 0);
    }
}
