//! A customer's thread for the operator console: the messages received from one number (by
//! the `J` sender index, written with each received message), the recent threads (the inbox
//! read from its newest end), and the console's marks (`G`, written only when someone marks).
//! Messages sent to the number come from the recipient index (`Store::list`).

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{InboundMessage, MessageId, ThreadMarks};

/// One thread in the list of recent ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    /// The customer's number (as received messages give it).
    pub number: String,
    /// Its newest received message (none: the customer never wrote).
    pub newest: Option<InboundMessage>,
    /// Received messages after the read mark, counted up to [`UNREAD_COUNTED`].
    pub unread: usize,
    /// The console's marks.
    pub marks: ThreadMarks,
}

/// Unread messages are counted up to this many per thread ("99+").
pub const UNREAD_COUNTED: usize = 99;

impl Store {
    /// Messages received from `number`, newest first, before `before` when given.
    pub fn received_from(
        &self,
        number: &str,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<InboundMessage>, StoreError> {
        let prefix = keys::text_prefix(keys::SENDER, number);
        let end = match before {
            Some(id) => keys::sender(number, id),
            None => keys::prefix_end(&prefix),
        };
        let mut out = Vec::with_capacity(limit.min(256));
        for kv in self.tree.range(prefix..end).rev() {
            if out.len() >= limit {
                break;
            }
            let (k, _) = kv?;
            let Some(id) = keys::trailing_id(&k) else {
                continue;
            };
            let key = keys::inbound(id);
            // An index entry whose message retention removed: skipped.
            if let Some(v) = self.tree.get(key)? {
                out.push(decode(&key, &v)?);
            }
        }
        Ok(out)
    }

    /// The threads with the newest received messages, newest first: up to `limit` distinct
    /// senders among the newest `scan` received messages.
    pub fn recent_threads(
        &self,
        limit: usize,
        scan: usize,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let mut out: Vec<ThreadSummary> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let end = keys::prefix_end(&[keys::INBOX]);
        for kv in self.tree.range(vec![keys::INBOX]..end).rev().take(scan) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = kv?;
            let m: InboundMessage = decode(&k, &v)?;
            if seen.insert(m.from.clone()) {
                out.push(self.summary_with(m.from.clone(), Some(m))?);
            }
        }
        Ok(out)
    }

    /// `number`'s thread summary, whether or not the customer ever wrote.
    pub fn thread_summary(&self, number: &str) -> Result<ThreadSummary, StoreError> {
        // Marks and count first, the newest message after them (the reads are not one
        // snapshot): a reply counted as unread is then the newest, and the thread is not
        // shown handled with a reply it has not seen.
        let marks = self.thread_marks(number)?;
        let unread = self.unread_from(number, marks.read_upto)?;
        let newest = self.received_from(number, None, 1)?.into_iter().next();
        Ok(ThreadSummary {
            number: number.to_string(),
            newest,
            unread,
            marks,
        })
    }

    fn summary_with(
        &self,
        number: String,
        newest: Option<InboundMessage>,
    ) -> Result<ThreadSummary, StoreError> {
        let marks = self.thread_marks(&number)?;
        let unread = self.unread_from(&number, marks.read_upto)?;
        Ok(ThreadSummary {
            number,
            newest,
            unread,
            marks,
        })
    }

    /// Received messages from `number` after `read_upto`, up to [`UNREAD_COUNTED`].
    pub fn unread_from(
        &self,
        number: &str,
        read_upto: Option<MessageId>,
    ) -> Result<usize, StoreError> {
        let prefix = keys::text_prefix(keys::SENDER, number);
        let start = match read_upto {
            Some(id) => {
                let mut k = keys::sender(number, id);
                k.push(0);
                k
            }
            None => prefix.clone(),
        };
        let end = keys::prefix_end(&prefix);
        let mut n = 0;
        for kv in self.tree.range(start..end).take(UNREAD_COUNTED) {
            kv?;
            n += 1;
        }
        Ok(n)
    }

    /// The console's marks on `number`'s thread (none yet: the default).
    pub fn thread_marks(&self, number: &str) -> Result<ThreadMarks, StoreError> {
        let key = keys::thread_marks(number);
        match self.tree.get(&key)? {
            Some(v) => decode(&key, &v),
            None => Ok(ThreadMarks::default()),
        }
    }

    /// Replaces the marks on `number`'s thread. Through the writer
    /// ([`super::writer::Writer::mark_thread`]).
    pub fn set_thread_marks(&self, number: &str, marks: &ThreadMarks) -> Result<(), StoreError> {
        self.tree
            .insert(keys::thread_marks(number), encode(marks)?)?;
        Ok(())
    }

    /// Builds the sender index of every stored received message (a store from before
    /// schema 5 has none).
    pub(super) fn build_sender_index(&self) -> Result<usize, StoreError> {
        let mut batch = super::wal::Batch::default();
        let mut n = 0;
        for kv in self.tree.scan_prefix([keys::INBOX]) {
            let (k, v) = kv?;
            let m: InboundMessage = decode(&k, &v)?;
            batch.insert(keys::sender(&m.from, m.id), &[]);
            n += 1;
            if n % 1024 == 0 {
                self.tree.apply_batch(std::mem::take(&mut batch))?;
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(n)
    }
}
