//! The due queue in memory: every `D` key of the store (priority, due time, id), kept sorted
//! beside the tree, so the dispatcher reads what is due without walking the tree.
//!
//! Why: the tree's reads merge the changes not yet checkpointed over sled's own, and a
//! message handed over within the last few seconds leaves a removal of its due key in that
//! overlay until the next checkpoint. Under load the dispatcher's scan (one per wake-up, each
//! submission wakes it) walked thousands of such removals to find the few keys still there:
//! an eighth of the gateway's CPU in the profile of the side-by-side benchmark.
//!
//! The keys stay in the tree too (they are the durable truth and what a start reads back);
//! this copy follows every applied write that touches them ([`super::events`] hands it the
//! due keys of each batch after the batch is applied), in the writer's order. Memory: about
//! 40 bytes per waiting message (26-byte keys in a B-tree), 40 MB for a million queued.

use std::collections::BTreeSet;

use parking_lot::RwLock;

use super::StoreError;
use super::keys;
use super::wal::{self, ops::Op};
use crate::model::{MessageId, Priority, Timestamp};

/// A due key: `D | priority rank | due ms | id` ([`keys::due`]).
type DueKey = [u8; 26];

/// The due keys of the store.
#[derive(Debug, Default)]
pub(crate) struct DueIndex {
    keys: RwLock<BTreeSet<DueKey>>,
}

/// The due keys one batch adds (`true`) or removes, in the batch's order.
pub(crate) type DueChanges = Vec<(DueKey, bool)>;

impl DueIndex {
    /// Reads every due key of `tree` (once, at open, after the journal's replay and any
    /// migration, before anything else writes).
    pub(crate) fn load(tree: &wal::Tree) -> Result<DueIndex, StoreError> {
        let mut set = BTreeSet::new();
        for k in tree.scan_prefix([keys::DUE]).keys() {
            let k = k?;
            match DueKey::try_from(k.as_ref()) {
                Ok(key) => {
                    set.insert(key);
                }
                // Not a key this build writes: left alone in the tree, not dispatched.
                Err(_) => tracing::warn!(target: "smsgw::store", key = %hex::encode(&k),
                    "a due-index entry of the wrong length is ignored"),
            }
        }
        Ok(DueIndex {
            keys: RwLock::new(set),
        })
    }

    /// The due keys among `ops`, for [`DueIndex::apply`] once the batch is applied.
    pub(crate) fn changes_of(ops: &[Op]) -> DueChanges {
        ops.iter()
            .filter(|(k, _)| k.first() == Some(&keys::DUE))
            .filter_map(|(k, v)| Some((DueKey::try_from(k.as_ref()).ok()?, v.is_some())))
            .collect()
    }

    /// Follows an applied batch.
    pub(crate) fn apply(&self, changes: DueChanges) {
        if changes.is_empty() {
            return;
        }
        let mut set = self.keys.write();
        for (key, present) in changes {
            if present {
                set.insert(key);
            } else {
                set.remove(&key);
            }
        }
    }

    /// Up to `limit` ids due at `now`, most urgent priority first, then oldest.
    pub(crate) fn due(&self, now: Timestamp, limit: usize) -> Vec<MessageId> {
        self.due_after(now, None, limit)
            .iter()
            .filter_map(|k| keys::parse_due(k).map(|(_, id)| id))
            .collect()
    }

    /// Up to `limit` keys due at `now` after `after` (from the start without), in dispatch
    /// order: key order is priority rank, then due time, then id.
    fn due_after(&self, now: Timestamp, after: Option<DueKey>, limit: usize) -> Vec<DueKey> {
        use std::ops::Bound::{Excluded, Included};
        let set = self.keys.read();
        let mut out = Vec::new();
        for p in Priority::MOST_URGENT_FIRST {
            let lo = match after {
                Some(a) if a[1] > p.rank() => continue,
                Some(a) if a[1] == p.rank() => Excluded(a),
                _ => Included(bound(p, 0, 0)),
            };
            let hi = Included(bound(p, now.as_millis(), 0xff));
            if matches!((lo, hi), (Excluded(l), Included(h)) if l >= h) {
                continue;
            }
            for k in set.range((lo, hi)) {
                if out.len() >= limit {
                    return out;
                }
                out.push(*k);
            }
        }
        out
    }

    /// The ids due at `now` in dispatch order, read a few at a time: the dispatcher stops as
    /// soon as its routes are full, and the index is not held between reads.
    pub(crate) fn iter(&self, now: Timestamp) -> DueIter<'_> {
        DueIter {
            index: self,
            now,
            last: None,
            read: Vec::new().into_iter(),
            done: false,
        }
    }

    /// The earliest due time after `now` of any waiting message.
    pub(crate) fn next_after(&self, now: Timestamp) -> Option<Timestamp> {
        let set = self.keys.read();
        let later = now.as_millis().saturating_add(1);
        Priority::MOST_URGENT_FIRST
            .into_iter()
            .filter_map(|p| {
                let range = bound(p, later, 0)..=bound(p, u64::MAX, 0xff);
                set.range(range).next().and_then(|k| keys::parse_due(k))
            })
            .map(|(due, _)| due)
            .min()
    }

    /// Messages waiting, due or not.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.read().len()
    }
}

/// Lazily read due ids ([`DueIndex::iter`]). Like the tree's iterators, not a snapshot: a
/// message queued while it runs may or may not be seen.
#[derive(Debug)]
pub struct DueIter<'a> {
    index: &'a DueIndex,
    now: Timestamp,
    last: Option<DueKey>,
    read: std::vec::IntoIter<DueKey>,
    done: bool,
}

/// Keys read from the index at a time.
const ITER_CHUNK: usize = 64;

impl Iterator for DueIter<'_> {
    type Item = MessageId;

    fn next(&mut self) -> Option<MessageId> {
        loop {
            if let Some(k) = self.read.next() {
                self.last = Some(k);
                match keys::parse_due(&k) {
                    Some((_, id)) => return Some(id),
                    None => continue,
                }
            }
            if self.done {
                return None;
            }
            let chunk = self.index.due_after(self.now, self.last, ITER_CHUNK);
            self.done = chunk.len() < ITER_CHUNK;
            if chunk.is_empty() {
                return None;
            }
            self.read = chunk.into_iter();
        }
    }
}

/// The lowest (`fill` 0) or highest (`fill` 0xff) due key of priority `p` due at `ms`.
fn bound(p: Priority, ms: u64, fill: u8) -> DueKey {
    let mut k = [fill; 26];
    k[0] = keys::DUE;
    k[1] = p.rank();
    k[2..10].copy_from_slice(&ms.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> MessageId {
        let mut b = [0u8; 16];
        b[15] = n;
        MessageId::from_slice(&b).unwrap()
    }

    fn put(p: Priority, due: u64, n: u8) -> (DueKey, bool) {
        (keys::due(p, Timestamp(due), id(n)), true)
    }

    #[test]
    fn due_should_list_the_most_urgent_first_then_the_oldest_up_to_now() {
        let index = DueIndex::default();
        index.apply(vec![
            put(Priority::Normal, 100, 1),
            put(Priority::High, 300, 2),
            put(Priority::Low, 50, 3),
            put(Priority::Normal, 90, 4),
            put(Priority::High, 900, 5),
        ]);
        assert_eq!(
            index.due(Timestamp(300), 10),
            vec![id(2), id(4), id(1), id(3)]
        );
        assert_eq!(index.due(Timestamp(300), 2), vec![id(2), id(4)]);
        assert_eq!(
            index.iter(Timestamp(300)).collect::<Vec<_>>(),
            vec![id(2), id(4), id(1), id(3)]
        );
        assert_eq!(index.next_after(Timestamp(300)), Some(Timestamp(900)));
        assert_eq!(index.next_after(Timestamp(900)), None);
    }

    #[test]
    fn iter_should_read_past_its_chunks_across_priorities() {
        let index = DueIndex::default();
        let mut want = Vec::new();
        let mut changes = Vec::new();
        for (p, base) in [
            (Priority::High, 0u8),
            (Priority::Normal, 100),
            (Priority::Low, 200),
        ] {
            for n in 0..(ITER_CHUNK as u8 / 2 + 3) {
                changes.push(put(p, 10 + u64::from(n), base + n));
                want.push(id(base + n));
            }
        }
        changes.push(put(Priority::Normal, 5_000, 255));
        index.apply(changes);
        assert_eq!(index.iter(Timestamp(1_000)).collect::<Vec<_>>(), want);
        assert_eq!(index.due(Timestamp(1_000), 1_000), want);
    }

    #[test]
    fn apply_should_follow_removals_in_the_batch_order() {
        let index = DueIndex::default();
        let (k, _) = put(Priority::Normal, 100, 1);
        index.apply(vec![(k, true), (k, false)]);
        assert_eq!(index.len(), 0);
        index.apply(vec![(k, false), (k, true)]);
        assert_eq!(index.due(Timestamp(100), 10), vec![id(1)]);
    }

    #[test]
    fn changes_of_should_take_only_due_keys() {
        let (k, _) = put(Priority::High, 7, 9);
        let ops: Vec<Op> = vec![
            (
                keys::message(id(9)).to_vec().into(),
                Some(b"{}".to_vec().into()),
            ),
            (k.to_vec().into(), Some(Vec::new().into())),
            (b"Dshort".to_vec().into(), None),
            (k.to_vec().into(), None),
        ];
        assert_eq!(DueIndex::changes_of(&ops), vec![(k, true), (k, false)]);
    }
}
