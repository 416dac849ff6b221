//! The audit trail (`L | entry id`): every write made through the API, newest listed first,
//! removed with the messages after `[store] retention`.
//!
//! Entries are appended after the request was answered and flushed by the next group commit,
//! not waited for: an audit record never delays a submission. A crash within the flush
//! interval can lose the newest entries, never a message.

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{AuditEntry, MessageId, Timestamp};

impl Store {
    /// Appends `entry`, giving it an id after every earlier entry (whatever the clock did).
    pub fn append_audit(&self, mut entry: AuditEntry) -> Result<AuditEntry, StoreError> {
        self.append_audits(std::slice::from_mut(&mut entry))?;
        Ok(entry)
    }

    /// Appends `entries` in one write, in order, giving each its id (the writer joins the
    /// entries of one wake-up: under load every submission brings one).
    pub fn append_audits(&self, entries: &mut [AuditEntry]) -> Result<(), StoreError> {
        let mut last = self.last_audit.lock();
        if last.is_none() {
            *last = self
                .tree
                .scan_prefix([keys::AUDIT])
                .keys()
                .next_back()
                .transpose()?
                .and_then(|k| MessageId::from_slice(&k[1..]));
        }
        let mut batch = super::wal::Batch::default();
        let mut newest = *last;
        for entry in entries.iter_mut() {
            entry.id = MessageId::new_after(entry.at.as_millis(), newest);
            batch.insert(&audit_key(entry.id), encode(&*entry)?);
            newest = Some(entry.id);
        }
        self.tree.apply_batch(batch)?;
        *last = newest;
        Ok(())
    }

    /// Up to `limit` entries older than `before` (all when `None`), newest first. Entries
    /// are recorded without waiting: the daemon reads through [`super::Writer::list_audit`].
    pub(crate) fn list_audit(
        &self,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let end = before.map_or_else(|| vec![keys::AUDIT + 1], |id| audit_key(id).to_vec());
        self.tree
            .range(vec![keys::AUDIT]..end)
            .rev()
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                decode(&k, &v)
            })
            .collect()
    }

    /// Removes the entries from before `cutoff`; returns how many.
    pub fn purge_audit_before(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut end = vec![keys::AUDIT];
        end.extend_from_slice(&MessageId::new_at(cutoff.as_millis()).to_bytes()[..6]);
        self.remove_in_chunks(self.tree.range(vec![keys::AUDIT]..end).map(|kv| Ok(kv?.0)))
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
