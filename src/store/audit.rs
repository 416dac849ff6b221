//! The audit trail: every write made through the API, newest listed first, removed with the
//! messages after `[store] retention`.
//!
//! `L | id of the first entry` → the entries of one write, as a list (stores written before
//! grouping: one entry per key, which reads as a list of one). Under load every submission
//! brings an entry and the writer joins those of one wake-up into one write; a key each was a
//! sled key per message for sled to write at every checkpoint, more than the message's own
//! index entries. Ids rise across entries and groups, so groups never overlap and a cursor (an
//! entry's id) may point inside one.
//!
//! Entries are appended after the request was answered and flushed by the next group commit,
//! not waited for: an audit record never delays a submission. A crash within the flush
//! interval can lose the newest entries, never a message.

use super::events::{GROUP_BYTES, GROUP_MAX};
use super::value::{decode_list_or_one, encode_item, encode_list};
use super::{Store, StoreError, keys};
use crate::model::{AuditEntry, MessageId, Timestamp};

impl Store {
    /// Appends `entry`, giving it an id after every earlier entry (whatever the clock did).
    pub fn append_audit(&self, mut entry: AuditEntry) -> Result<AuditEntry, StoreError> {
        self.append_audits(std::slice::from_mut(&mut entry))?;
        Ok(entry)
    }

    /// Appends `entries` in one write, in order, giving each its id, in as few groups as
    /// [`GROUP_MAX`] and [`GROUP_BYTES`] allow (the writer joins the entries of one wake-up).
    pub fn append_audits(&self, entries: &mut [AuditEntry]) -> Result<(), StoreError> {
        let mut last = self.last_audit.lock();
        if last.is_none() {
            *last = self.newest_audit_id()?;
        }
        let mut newest = *last;
        // Each group: the id of its first entry (its key), its encoded entries, their bytes.
        let mut groups: Vec<(MessageId, Vec<Vec<u8>>, usize)> = Vec::new();
        for entry in entries.iter_mut() {
            entry.id = MessageId::new_after(entry.at.as_millis(), newest);
            newest = Some(entry.id);
            let item = encode_item(&*entry)?;
            match groups.last_mut() {
                Some((_, items, bytes))
                    if items.len() < GROUP_MAX && *bytes + item.len() <= GROUP_BYTES =>
                {
                    *bytes += item.len();
                    items.push(item);
                }
                _ => groups.push((entry.id, vec![item.clone()], item.len())),
            }
        }
        let mut batch = super::wal::Batch::default();
        for (first, items, _) in &groups {
            // Not `insert_new`: an entry lives for the retention period, never removed before
            // the next checkpoint.
            batch.insert(
                &audit_key(*first),
                encode_list(items.iter().map(Vec::as_slice)),
            );
        }
        self.tree.apply_batch(batch)?;
        *last = newest;
        Ok(())
    }

    /// The id of the newest entry stored (the last of the last group).
    fn newest_audit_id(&self) -> Result<Option<MessageId>, StoreError> {
        let Some((k, v)) = self
            .tree
            .scan_prefix([keys::AUDIT])
            .next_back()
            .transpose()?
        else {
            return Ok(None);
        };
        match decode_list_or_one::<AuditEntry>(&k, &v) {
            Ok(group) => Ok(group.last().map(|e| e.id)),
            // A damaged last group must not stop every later write: its key names its first
            // entry, and the next ids rise from there.
            Err(e) => {
                tracing::warn!(error = %e, "audit entries unreadable; numbering after their key");
                Ok(MessageId::from_slice(&k[1..]))
            }
        }
    }

    /// Up to `limit` entries older than `before` (all when `None`), newest first. Entries
    /// are recorded without waiting: the daemon reads through [`super::Writer::list_audit`].
    pub(crate) fn list_audit(
        &self,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // A group whose first entry is `before` holds nothing older; one that starts before
        // it may still hold `before` and newer, skipped below.
        let end = before.map_or_else(|| vec![keys::AUDIT + 1], |id| audit_key(id).to_vec());
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        for kv in self.tree.range(vec![keys::AUDIT]..end).rev() {
            let (k, v) = kv?;
            // One damaged value must not hide every entry behind it from the listing.
            let group: Vec<AuditEntry> = match decode_list_or_one(&k, &v) {
                Ok(group) => group,
                Err(e) => {
                    tracing::warn!(error = %e, "audit entries unreadable; skipped in the listing");
                    continue;
                }
            };
            for entry in group.into_iter().rev() {
                if before.is_some_and(|b| entry.id >= b) {
                    continue;
                }
                out.push(entry);
                if out.len() == limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// Removes the entries from before `cutoff`; returns how many. A group is removed whole
    /// once its newest entry is before `cutoff` (entries of one write are milliseconds apart).
    /// A group that cannot be read, whose first entry is before `cutoff`, counts as old: kept,
    /// it would fail every purge after and the trail would never shrink again.
    pub fn purge_audit_before(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut end = vec![keys::AUDIT];
        end.extend_from_slice(&MessageId::new_at(cutoff.as_millis()).to_bytes()[..6]);
        let mut old = Vec::new();
        let mut entries = 0;
        for kv in self.tree.range(vec![keys::AUDIT]..end) {
            let (k, v) = kv?;
            match decode_list_or_one::<AuditEntry>(&k, &v) {
                Ok(group)
                    if group
                        .last()
                        .is_some_and(|e| e.id.timestamp_ms() >= cutoff.as_millis()) =>
                {
                    break;
                }
                Ok(group) => entries += group.len(),
                Err(e) => {
                    tracing::warn!(error = %e, "audit entries unreadable; removed as past retention");
                    entries += 1;
                }
            }
            old.push(k);
        }
        self.remove_in_chunks(old.into_iter().map(Ok))?;
        Ok(entries)
    }
}

fn audit_key(id: MessageId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = keys::AUDIT;
    k[1..].copy_from_slice(&id.to_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at_ms: u64, path: &str) -> AuditEntry {
        AuditEntry {
            id: MessageId::new_at(0),
            at: Timestamp(at_ms),
            actor: "crm".into(),
            client: "127.0.0.1".into(),
            method: "DELETE".into(),
            path: path.into(),
            status: 200,
            detail: None,
        }
    }

    #[test]
    fn entries_should_list_newest_first_page_by_page_even_within_one_millisecond() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        for i in 0..5 {
            store
                .append_audit(entry(1_000, &format!("/v1/messages/{i}")))
                .unwrap();
        }
        let first = store.list_audit(None, 3).unwrap();
        let paths: Vec<&str> = first.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/v1/messages/4", "/v1/messages/3", "/v1/messages/2"]
        );
        let rest = store.list_audit(Some(first[2].id), 10).unwrap();
        let paths: Vec<&str> = rest.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/v1/messages/1", "/v1/messages/0"]);
    }

    #[test]
    fn entries_should_survive_a_reopen_and_continue_after_the_last_one() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.append_audit(entry(5_000, "/a")).unwrap();
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        // A clock stepped back still sorts after what is there.
        store.append_audit(entry(1_000, "/b")).unwrap();
        let paths: Vec<String> = store
            .list_audit(None, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/b", "/a"]);
    }

    /// Every entry, newest first, read `page` at a time with each page's last id as cursor.
    fn all_by_pages(store: &Store, page: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        loop {
            let next = store.list_audit(out.last().map(|e| e.id), page).unwrap();
            let done = next.len() < page;
            out.extend(next);
            if done {
                return out;
            }
        }
    }

    #[test]
    fn entries_of_one_write_should_share_few_keys_and_page_through_them_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut entries: Vec<AuditEntry> = (0..100)
            .map(|i| entry(1_000 + i / 10, &format!("/v1/messages/{i}")))
            .collect();
        store.append_audits(&mut entries).unwrap();
        let groups = store.tree.scan_prefix([keys::AUDIT]).count();
        assert!((2..=10).contains(&groups), "{groups} keys for 100 entries");
        for page in [1, 3, 7, 100, 500] {
            let listed = all_by_pages(&store, page);
            let paths: Vec<String> = listed.into_iter().map(|e| e.path).collect();
            let expected: Vec<String> = (0..100)
                .rev()
                .map(|i| format!("/v1/messages/{i}"))
                .collect();
            assert_eq!(paths, expected, "pages of {page}");
        }
    }

    #[test]
    fn entries_stored_one_per_key_by_an_older_build_should_read_with_the_groups() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            for (i, at) in [1_000, 2_000].into_iter().enumerate() {
                let mut e = entry(at, &format!("/old/{i}"));
                e.id = MessageId::new_at(at);
                store
                    .put_raw(&audit_key(e.id), &super::super::value::encode(&e).unwrap())
                    .unwrap();
            }
            store.flush_blocking().unwrap();
        }
        // Reopened: the next id follows the newest single entry.
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut new = vec![entry(500, "/new/0"), entry(500, "/new/1")];
        store.append_audits(&mut new).unwrap();
        let paths: Vec<String> = all_by_pages(&store, 1)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/new/1", "/new/0", "/old/1", "/old/0"]);
        assert_eq!(store.purge_audit_before(Timestamp(1_500)).unwrap(), 1);
        let paths: Vec<String> = all_by_pages(&store, 10)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/new/1", "/new/0", "/old/1"]);
    }

    #[test]
    fn a_write_whose_newest_entry_is_after_the_cutoff_should_be_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut old = vec![entry(1_000, "/a"), entry(1_001, "/b")];
        store.append_audits(&mut old).unwrap();
        let mut straddling = vec![entry(4_000, "/c"), entry(6_000, "/d")];
        store.append_audits(&mut straddling).unwrap();
        assert_eq!(store.purge_audit_before(Timestamp(5_000)).unwrap(), 2);
        let paths: Vec<String> = all_by_pages(&store, 10)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/d", "/c"]);
        assert_eq!(store.purge_audit_before(Timestamp(7_000)).unwrap(), 2);
        assert!(store.list_audit(None, 10).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_group_should_be_skipped_when_listing_purged_when_old_and_numbered_after() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut old = vec![entry(1_000, "/a"), entry(1_001, "/b")];
        store.append_audits(&mut old).unwrap();
        store
            .put_raw(&audit_key(MessageId::new_at(2_000)), b"\xffdamaged")
            .unwrap();
        store.append_audit(entry(3_000, "/c")).unwrap();
        let paths: Vec<String> = all_by_pages(&store, 1)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/c", "/b", "/a"]);
        // The damaged group is past retention like the one before it; the newer one is kept.
        assert_eq!(store.purge_audit_before(Timestamp(2_500)).unwrap(), 3);
        assert_eq!(store.tree.scan_prefix([keys::AUDIT]).count(), 1);
        assert_eq!(store.purge_audit_before(Timestamp(2_500)).unwrap(), 0);

        // Damaged as the newest group, it still gives the next id a floor after a reopen.
        let damaged = MessageId::new_at(9_000);
        store.put_raw(&audit_key(damaged), b"\xffdamaged").unwrap();
        store.flush_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let next = store.append_audit(entry(4_000, "/d")).unwrap();
        assert!(next.id > damaged);
        let paths: Vec<String> = all_by_pages(&store, 10)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/d", "/c"]);
    }

    #[test]
    fn purging_should_remove_only_entries_before_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        store.append_audit(entry(1_000, "/old")).unwrap();
        store.append_audit(entry(9_000, "/new")).unwrap();
        assert_eq!(store.purge_audit_before(Timestamp(5_000)).unwrap(), 1);
        let left = store.list_audit(None, 10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].path, "/new");
    }
}
