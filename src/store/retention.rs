//! Retention: messages that reached a final status, and received messages, are removed once
//! they are older than the configured retention (`[store] retention`), so the store does not
//! grow for ever. Nothing that may still be sent or reported on is touched: only final
//! statuses, and only messages whose last change is older than the cutoff as well.
//!
//! The status index is ordered by id, and ids by creation time, so each pass reads only the
//! old end of each final status's range and stops at the first id newer than the cutoff.

use super::events::Writes;
use super::value::decode;
use super::{Store, StoreError, keys};
use crate::model::{InboundMessage, MessageId, OutboundMessage, Status, Timestamp};

/// Messages removed per write (each write holds the store's write lock).
const CHUNK: usize = 500;

/// What one step of retention removed ([`Store::purge_step`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeStep {
    /// Outbound messages removed.
    pub outbound: usize,
    /// Received messages removed.
    pub inbound: usize,
    /// Whether there may be more to remove: call again.
    pub more: bool,
}

impl Store {
    /// Removes outbound messages in a final status created and last changed before `cutoff`,
    /// with their index entries, and received messages from before it. Returns how many of
    /// each it removed.
    pub fn purge_before(&self, cutoff: Timestamp) -> Result<(usize, usize), StoreError> {
        let (mut outbound, mut inbound) = (0, 0);
        loop {
            let step = self.purge_step(cutoff)?;
            outbound += step.outbound;
            inbound += step.inbound;
            if !step.more {
                return Ok((outbound, inbound));
            }
        }
    }

    /// One write of retention: up to [`CHUNK`] outbound messages of one final status, or,
    /// once none of those is left, up to [`CHUNK`] received messages. The writer runs one
    /// step per job, so a long purge never holds back the changes queued behind it.
    pub fn purge_step(&self, cutoff: Timestamp) -> Result<PurgeStep, StoreError> {
        for status in Status::ALL.into_iter().filter(|s| s.is_final()) {
            let n = self.purge_chunk(status, cutoff)?;
            if n > 0 {
                return Ok(PurgeStep {
                    outbound: n,
                    inbound: 0,
                    more: true,
                });
            }
        }
        let mut end = vec![keys::INBOX];
        end.extend_from_slice(&MessageId::new_at(cutoff.as_millis()).to_bytes()[..6]);
        let mut inbound = 0;
        // Each received message goes with its sender-index entry (an unreadable one alone).
        let with_index = self
            .tree
            .range(vec![keys::INBOX]..end)
            .take(CHUNK)
            .flat_map(|kv| -> Vec<Result<sled::IVec, StoreError>> {
                match kv {
                    Err(e) => vec![Err(e.into())],
                    Ok((k, v)) => {
                        inbound += 1;
                        match decode::<InboundMessage>(&k, &v) {
                            Ok(m) => vec![Ok(k), Ok(keys::sender(&m.from, m.id).into())],
                            Err(_) => vec![Ok(k)],
                        }
                    }
                }
            });
        self.remove_in_chunks(with_index)?;
        Ok(PurgeStep {
            outbound: 0,
            inbound,
            more: inbound == CHUNK,
        })
    }

    /// One write of [`Store::purge_before`] for `status`: up to [`CHUNK`] messages.
    fn purge_chunk(&self, status: Status, cutoff: Timestamp) -> Result<usize, StoreError> {
        let _guard = self.write_lock.lock();
        let mut batch = Writes::default();
        let mut n = 0;
        for kv in self.tree.scan_prefix(keys::status_prefix(status)) {
            let (k, _) = kv?;
            let Some(id) = keys::trailing_id(&k) else {
                continue;
            };
            if id.timestamp_ms() >= cutoff.as_millis() || n == CHUNK {
                break;
            }
            let key = keys::message(id);
            let message = match self.tree.get(key)? {
                Some(v) => decode::<OutboundMessage>(&key, &v)?,
                // An index entry without its message: only the entry goes.
                None => {
                    batch.remove(k);
                    continue;
                }
            };
            if message.status != status || message.updated_at >= cutoff {
                continue;
            }
            batch.remove(&key);
            self.index_remove(&mut batch, &message);
            n += 1;
        }
        self.apply(batch)?;
        Ok(n)
    }
}
