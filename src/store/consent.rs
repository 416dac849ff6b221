//! Consent state in the store: the suppression list (`O`), per-recipient daily counters for
//! frequency caps (`F`) and the client-reference index (`N`). Issue 7 items 3, 5 and 6.
//!
//! The policy (what is suppressed, what a cap allows) lives in `crate::consent`; this file
//! only keeps the data and answers point lookups and prefix ranges: nothing here scans the
//! messages.

use std::collections::BTreeMap;

use super::wal::Batch;

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{GLOBAL_SCOPE, MessageId, OutboundMessage, Status, Suppression, Timestamp};

/// Where a suppression listing continues: the key after `O` of the last entry shown, hex.
pub type SuppressionCursor = String;

/// What [`Store::cancel_by_reference`] did.
#[derive(Debug, Clone, Default)]
pub struct CancelByReference {
    /// Messages that were still waiting (`scheduled`, `queued`) and are now `canceled`.
    pub canceled: Vec<OutboundMessage>,
    /// Messages with the reference that were past waiting (sending, sent, …, or canceled before).
    pub not_cancelable: Vec<OutboundMessage>,
}

/// Counts of one `insert_outbound` batch, so two messages to one recipient in one batch both
/// count.
#[derive(Debug, Default)]
pub(super) struct FrequencyTally(BTreeMap<Vec<u8>, u64>);

impl FrequencyTally {
    /// Counts `msg` on the UTC day it is due.
    pub(super) fn count(&mut self, store: &Store, msg: &OutboundMessage) -> Result<(), StoreError> {
        let key = keys::frequency(msg.to.as_str(), msg.due_at().utc_day());
        let n = match self.0.get(&key) {
            Some(n) => *n,
            None => read_u64(store.tree.get(&key)?.as_deref()),
        };
        self.0.insert(key, n.saturating_add(1));
        Ok(())
    }

    /// Takes back the count of `msg`, which was canceled before it was sent: a message that
    /// never left does not use up the recipient's cap. The day is the one `count` used (a
    /// new message's due day: `send_at`, else its creation).
    pub(super) fn uncount(
        &mut self,
        store: &Store,
        msg: &OutboundMessage,
    ) -> Result<(), StoreError> {
        let day = msg.send_at.unwrap_or(msg.created_at).utc_day();
        let key = keys::frequency(msg.to.as_str(), day);
        let n = match self.0.get(&key) {
            Some(n) => *n,
            None => read_u64(store.tree.get(&key)?.as_deref()),
        };
        self.0.insert(key, n.saturating_sub(1));
        Ok(())
    }

    /// Adds the counters to `batch`.
    pub(super) fn write(self, batch: &mut Batch) {
        for (k, n) in self.0 {
            batch.insert(k, &n.to_be_bytes());
        }
    }
}

fn read_u64(v: Option<&[u8]>) -> u64 {
    v.and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// Most messages listed or canceled by one reference in one call.
pub const MAX_PER_REFERENCE: usize = 10_000;

impl Store {
    /// The entry for `number` in `scope`, if any.
    pub fn suppression(
        &self,
        scope: &str,
        number: &str,
    ) -> Result<Option<Suppression>, StoreError> {
        let key = keys::suppression(scope, number);
        if !self.suppressed_keys.may_hold(&key) {
            return Ok(None);
        }
        match self.tree.get(&key)? {
            Some(v) => decode(&key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// The entry that stops a message from `sender` (if any) to `number`: the global one
    /// first, then the sender's own.
    pub fn suppressed(
        &self,
        number: &str,
        sender: Option<&str>,
    ) -> Result<Option<Suppression>, StoreError> {
        if let Some(s) = self.suppression(GLOBAL_SCOPE, number)? {
            return Ok(Some(s));
        }
        match sender {
            Some(sender) if sender != GLOBAL_SCOPE => self.suppression(sender, number),
            _ => Ok(None),
        }
    }

    /// Adds or replaces entries in one atomic write (not yet durable: call
    /// [`Store::durable`]). Returns how many were new.
    pub fn put_suppressions(&self, entries: &[Suppression]) -> Result<usize, StoreError> {
        let _guard = self.write_lock.lock();
        let mut batch = Batch::default();
        let mut new = 0;
        for s in entries {
            let key = keys::suppression(&s.scope, &s.number);
            if !self.tree.contains_key(&key)? {
                new += 1;
            }
            self.suppressed_keys.note(&key);
            batch.insert(key, encode(s)?);
        }
        self.tree.apply_batch(batch)?;
        Ok(new)
    }

    /// Removes the entry for `number` in `scope`; whether there was one.
    pub fn remove_suppression(&self, scope: &str, number: &str) -> Result<bool, StoreError> {
        let _guard = self.write_lock.lock();
        Ok(self
            .tree
            .remove(keys::suppression(scope, number))?
            .is_some())
    }

    /// Up to `limit` entries in key order (scope, then number), after `cursor`.
    pub fn list_suppressions(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Suppression>, Option<SuppressionCursor>), StoreError> {
        let limit = limit.max(1);
        let start = match cursor.and_then(|c| hex::decode(c).ok()) {
            Some(tail) => {
                let mut k = vec![keys::SUPPRESSION];
                k.extend_from_slice(&tail);
                k.push(0);
                k
            }
            None => vec![keys::SUPPRESSION],
        };
        let end = keys::prefix_end(&[keys::SUPPRESSION]);
        let mut items = Vec::with_capacity(limit);
        let mut last_key = None;
        let mut more = false;
        for kv in self.tree.range(start..end) {
            let (k, v) = kv?;
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(decode::<Suppression>(&k, &v)?);
            last_key = Some(k);
        }
        let next = if more {
            last_key.map(|k| hex::encode(&k[1..]))
        } else {
            None
        };
        Ok((items, next))
    }

    /// Non-transactional messages accepted for `recipient` that are due on UTC day `day`.
    pub fn frequency(&self, recipient: &str, day: u32) -> Result<u64, StoreError> {
        Ok(read_u64(
            self.tree.get(keys::frequency(recipient, day))?.as_deref(),
        ))
    }

    /// Removes frequency counters of days before `before_day`; returns how many. The `F`
    /// family holds at most a few weeks of days per recipient, so this walk is bounded.
    pub fn purge_frequency(&self, before_day: u32) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.tree.scan_prefix([keys::FREQUENCY]) {
            let (k, _) = kv?;
            let day = k
                .len()
                .checked_sub(4)
                .and_then(|at| k.get(at..))
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes);
            if day.is_some_and(|d| d < before_day) {
                self.tree.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Ids of messages with client `reference`, newest first (the newest
    /// [`MAX_PER_REFERENCE`]), from the `N` index.
    pub fn ids_by_reference(&self, reference: &str) -> Result<Vec<MessageId>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree
            .scan_prefix(keys::text_prefix(keys::REFERENCE, reference))
            .rev()
            .take(MAX_PER_REFERENCE)
        {
            let (k, _) = kv?;
            if let Some(id) = keys::trailing_id(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Messages with client `reference`, newest first.
    pub fn by_reference(&self, reference: &str) -> Result<Vec<OutboundMessage>, StoreError> {
        let mut out = Vec::new();
        for id in self.ids_by_reference(reference)? {
            if let Some(m) = self.get(id)? {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Cancels every message with client `reference` that is still waiting (`scheduled` or
    /// `queued`); the others are reported as they are. Not yet durable: call
    /// [`Store::durable`].
    pub fn cancel_by_reference(
        &self,
        reference: &str,
        now: Timestamp,
        reason: &str,
    ) -> Result<CancelByReference, StoreError> {
        let mut out = CancelByReference::default();
        for id in self.ids_by_reference(reference)? {
            let mut canceled = false;
            let after = self.update(id, |m| {
                if !m.status.is_cancelable() {
                    return false;
                }
                m.set_status(Status::Canceled, now, Some(reason.to_string()));
                canceled = true;
                true
            })?;
            match after {
                Some(m) if canceled => out.canceled.push(m),
                Some(m) => out.not_cancelable.push(m),
                None => {}
            }
        }
        Ok(out)
    }

    /// Schema 1 → 2: writes the `N` entry of every stored message that has a reference.
    pub(super) fn build_reference_index(&self) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        for kv in self.tree.scan_prefix([keys::MESSAGE]) {
            let (k, v) = kv?;
            let m: OutboundMessage = decode(&k, &v)?;
            if let Some(r) = &m.reference {
                batch.insert(keys::reference(r, m.id), &[]);
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(scope: &str, number: &str) -> Suppression {
        Suppression {
            number: number.into(),
            scope: scope.into(),
            source: Default::default(),
            word: None,
            note: None,
            created_at: Timestamp(1),
        }
    }

    /// The consent check skips the tree for keys never written (`store::suppressed_keys`):
    /// what is written, what a reopened store holds, and an entry put again after an opt-in
    /// are all still found.
    #[test]
    fn suppressions_should_be_found_when_put_after_an_opt_in_and_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let (a, b) = ("+358401234567", "+358401234568");
        assert!(store.suppressed(a, None).unwrap().is_none());
        store
            .put_suppressions(&[entry(GLOBAL_SCOPE, a), entry("Clinic", b)])
            .unwrap();
        assert!(store.suppressed(a, None).unwrap().is_some());
        assert!(store.suppressed(b, None).unwrap().is_none());
        assert!(store.suppressed(b, Some("Clinic")).unwrap().is_some());
        assert!(store.remove_suppression(GLOBAL_SCOPE, a).unwrap());
        assert!(store.suppressed(a, None).unwrap().is_none());
        store.put_suppressions(&[entry(GLOBAL_SCOPE, a)]).unwrap();
        assert!(store.suppressed(a, None).unwrap().is_some());
        store.flush_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert!(store.suppressed(a, None).unwrap().is_some());
        assert!(store.suppressed(b, Some("Clinic")).unwrap().is_some());
        assert!(store.suppressed(b, Some("Garage")).unwrap().is_none());
        // And the skip is real: the keys found at open are held, a key never written is not.
        let held = |scope, number| {
            store
                .suppressed_keys
                .may_hold(&keys::suppression(scope, number))
        };
        assert!(held(GLOBAL_SCOPE, a) && held("Clinic", b));
        assert!(!held("Garage", b) && !held(GLOBAL_SCOPE, b));
        // A check of a key not held does not look in the tree: an entry planted behind the
        // store's back (never noted) is not seen, where a lookup would find it.
        let planted = entry("Garage", b);
        store
            .put_raw(&keys::suppression("Garage", b), &encode(&planted).unwrap())
            .unwrap();
        assert!(store.suppressed(b, Some("Garage")).unwrap().is_none());
        assert!(
            store
                .tree
                .contains_key(keys::suppression("Garage", b))
                .unwrap()
        );
    }
}
