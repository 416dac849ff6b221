//! Durable webhook state: per-target cursor into the event log, pending deliveries and the
//! dead-letter list.
//!
//! A target's worker reads the event log after its cursor and writes one [`Delivery`] per event
//! it wants, moving the cursor in the **same batch**: an event is either before the cursor and
//! queued for the target, or after it and read again. A delivery is removed when the receiver
//! acknowledged it (a lost removal means one more delivery: at least once). Keys:
//!
//! | key | value |
//! |---|---|
//! | `W c name` | cursor: u64 seq of the last event fanned out |
//! | `W q name 0 seq` | pending [`Delivery`] (JSON) |
//! | `W d name 0 seq` | dead [`Delivery`] (JSON), after `retry_for` ran out |

use super::wal::Batch;
use serde::{Deserialize, Serialize};

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{EventKind, InboundMessage, MessageId, Timestamp};

/// Sub-tag of a target's cursor key.
const CURSOR: u8 = b'c';
/// Sub-tag of pending deliveries.
const QUEUED: u8 = b'q';
/// Sub-tag of dead letters.
const DEAD: u8 = b'd';

/// One event on its way to one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's sequence number: its id for receivers, and the order of deliveries.
    pub seq: u64,
    /// What the event is.
    pub kind: EventKind,
    /// The message it is about: one message's deliveries go one at a time, in `seq` order.
    pub message_id: MessageId,
    /// The target URL when it is per message (`callback_url`); the webhook's own URL otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The event document, built when the event was read so that it reports the state of then.
    pub payload: serde_json::Value,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the first attempt was made: `retry_for` counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt_at: Option<Timestamp>,
    /// Not before this time.
    pub next_at: Timestamp,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn cursor_key(target: &str) -> Vec<u8> {
    let mut k = vec![keys::WEBHOOK, CURSOR];
    k.extend_from_slice(target.as_bytes());
    k
}

fn list_prefix(tag: u8, target: &str) -> Vec<u8> {
    let mut k = vec![keys::WEBHOOK, tag];
    k.extend_from_slice(target.as_bytes());
    k.push(0);
    k
}

fn item_key(tag: u8, target: &str, seq: u64) -> Vec<u8> {
    let mut k = list_prefix(tag, target);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

impl Store {
    /// Reads a received message (for the documents of `message.received` events).
    pub fn get_inbound(&self, id: MessageId) -> Result<Option<InboundMessage>, StoreError> {
        let key = keys::inbound(id);
        match self.tree.get(key)? {
            Some(v) => decode(&key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// `target`'s cursor; for a target not started yet, the newest event (where
    /// [`Store::start_webhook_cursor`] would put it).
    pub fn webhook_cursor(&self, target: &str) -> Result<u64, StoreError> {
        match self.stored_webhook_cursor(target)? {
            Some(c) => Ok(c),
            None => self.last_event_seq(),
        }
    }

    fn stored_webhook_cursor(&self, target: &str) -> Result<Option<u64>, StoreError> {
        let key = cursor_key(target);
        let Some(v) = self.tree.get(&key)? else {
            return Ok(None);
        };
        v.as_ref()
            .try_into()
            .map(|b| Some(u64::from_be_bytes(b)))
            .map_err(|_| StoreError::Corrupt {
                key: hex::encode(&key),
                reason: "webhook cursor is not 8 bytes".into(),
            })
    }

    /// Gives `target` its cursor if it has none: after the newest event, so a webhook added
    /// to a running gateway is not flooded with history. Returns the cursor.
    pub fn start_webhook_cursor(&self, target: &str) -> Result<u64, StoreError> {
        if let Some(c) = self.stored_webhook_cursor(target)? {
            return Ok(c);
        }
        let head = self.last_event_seq()?;
        self.tree.insert(cursor_key(target), &head.to_be_bytes())?;
        Ok(head)
    }

    /// Queues `deliveries` for `target` and moves its cursor to `cursor`, atomically.
    pub fn webhook_enqueue(
        &self,
        target: &str,
        deliveries: &[Delivery],
        cursor: u64,
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        for d in deliveries {
            // The cursor moves past `d.seq` in this batch, so a target queues an event once.
            batch.insert_new(item_key(QUEUED, target, d.seq), encode(d)?);
        }
        batch.insert(cursor_key(target), &cursor.to_be_bytes());
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Every pending delivery of `target`, oldest event first.
    pub fn webhook_pending(&self, target: &str) -> Result<Vec<Delivery>, StoreError> {
        self.webhook_list(QUEUED, target, usize::MAX)
    }

    /// Up to `limit` dead letters of `target`, oldest event first.
    pub fn webhook_dead(&self, target: &str, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.webhook_list(DEAD, target, limit)
    }

    /// How many deliveries of `target` are pending and dead.
    pub fn webhook_counts(&self, target: &str) -> Result<(u64, u64), StoreError> {
        let pending = self.tree.scan_prefix(list_prefix(QUEUED, target)).count() as u64;
        let dead = self.tree.scan_prefix(list_prefix(DEAD, target)).count() as u64;
        Ok((pending, dead))
    }

    /// Dead letters of `target`, counted up to `cap` (the console's overview asks often).
    pub fn webhook_dead_count(&self, target: &str, cap: usize) -> usize {
        self.tree
            .scan_prefix(list_prefix(DEAD, target))
            .take(cap)
            .count()
    }

    fn webhook_list(
        &self,
        tag: u8,
        target: &str,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(list_prefix(tag, target)).take(limit) {
            let (k, v) = kv?;
            out.push(decode(&k, &v)?);
        }
        Ok(out)
    }

    /// Records a failed attempt (new `attempts`, `next_at`, `last_error`).
    pub fn webhook_retry_later(&self, target: &str, d: &Delivery) -> Result<(), StoreError> {
        self.tree
            .insert(item_key(QUEUED, target, d.seq), encode(d)?)?;
        Ok(())
    }

    /// Removes acknowledged deliveries (those a worker saw answered since its last call).
    pub fn webhook_done(&self, target: &str, seqs: &[u64]) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        for &seq in seqs {
            batch.remove(item_key(QUEUED, target, seq));
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Moves a delivery whose retries ran out to the dead-letter list.
    pub fn webhook_bury(&self, target: &str, d: &Delivery) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.remove(item_key(QUEUED, target, d.seq));
        batch.insert(item_key(DEAD, target, d.seq), encode(d)?);
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Moves dead letters back to the pending list with fresh retries: the one with `seq`, or
    /// all of them. Returns the revived deliveries.
    pub fn webhook_revive(
        &self,
        target: &str,
        seq: Option<u64>,
        now: Timestamp,
    ) -> Result<Vec<Delivery>, StoreError> {
        let dead = match seq {
            Some(s) => match self.tree.get(item_key(DEAD, target, s))? {
                Some(v) => vec![decode::<Delivery>(&item_key(DEAD, target, s), &v)?],
                None => Vec::new(),
            },
            None => self.webhook_list(DEAD, target, usize::MAX)?,
        };
        let mut batch = Batch::default();
        let mut out = Vec::with_capacity(dead.len());
        for mut d in dead {
            batch.remove(item_key(DEAD, target, d.seq));
            d.attempts = 0;
            d.first_attempt_at = None;
            d.next_at = now;
            batch.insert(item_key(QUEUED, target, d.seq), encode(&d)?);
            out.push(d);
        }
        self.tree.apply_batch(batch)?;
        Ok(out)
    }
}
