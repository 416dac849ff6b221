//! The one seam through which policies see every received message as it is stored.
//!
//! Every path that puts a message in the inbox ([`Store::insert_inbound`],
//! [`Store::receive_part`], [`Store::release_incomplete`]) calls the installed
//! [`InboundHook`] while it builds the atomic batch, so what the hook writes (a suppression
//! entry, a confirmation to send, an annotation on the inbox entry such as its keyword) lands
//! in the same batch as the inbox entry and its `message.received` event: a webhook never sees
//! the message without what the hook decided, and a crash never keeps one without the other.
//! Drivers (modem, SMPP) need no call of their own.

use super::wal::Batch;

use super::value::encode;
use super::{Store, StoreError, keys};
use crate::model::{InboundMessage, OutboundMessage, Suppression, Timestamp};

/// A policy run on every received message inside the store's write (consent keywords today;
/// reply matching can join through the same seam).
pub trait InboundHook: Send + Sync + std::fmt::Debug {
    /// Called with the store's write lock held, before `msg` is written: annotate `msg` and
    /// add writes through `tx`. Must not block or call other `Store` writers (that would
    /// deadlock on the write lock); reads through `tx` are fine.
    fn on_received(
        &self,
        tx: &mut InboundTx<'_>,
        msg: &mut InboundMessage,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Called after the batch holding `msg` is applied, outside the lock (e.g. to wake the
    /// dispatcher for a queued confirmation).
    fn committed(&self, _msg: &InboundMessage) {}
}

/// Writes an [`InboundHook`] adds to the batch that stores a received message.
#[derive(Debug)]
pub struct InboundTx<'a> {
    pub(super) store: &'a Store,
    pub(super) batch: &'a mut Batch,
    /// Outbound messages to insert after the inbox entry's event (so events read in cause
    /// order: the opt-out first, then the confirmation).
    pub(super) queued: Vec<OutboundMessage>,
}

impl InboundTx<'_> {
    /// The suppression entry for `number` in `scope`, as stored before this batch.
    pub fn suppression(
        &self,
        scope: &str,
        number: &str,
    ) -> Result<Option<Suppression>, StoreError> {
        self.store.suppression(scope, number)
    }

    /// Adds or replaces a suppression entry in this batch.
    pub fn put_suppression(&mut self, s: &Suppression) -> Result<(), StoreError> {
        let key = keys::suppression(&s.scope, &s.number);
        self.store.suppressed_keys.note(&key);
        self.batch.insert(key, encode(s)?);
        Ok(())
    }

    /// Removes a suppression entry in this batch.
    pub fn remove_suppression(&mut self, scope: &str, number: &str) {
        self.batch.remove(keys::suppression(scope, number));
    }

    /// Queues an outbound message (already validated) in this batch, with its indexes and
    /// `message.status` event. It is not counted against frequency caps: hooks send
    /// transactional answers only.
    pub fn queue(&mut self, msg: OutboundMessage) {
        self.queued.push(msg);
    }
}

impl Store {
    /// Runs the hook on `msg` (write lock held) and returns what it queued.
    pub(super) fn run_inbound_hook(
        &self,
        batch: &mut Batch,
        msg: &mut InboundMessage,
    ) -> Result<Vec<OutboundMessage>, StoreError> {
        let Some(hook) = self.inbound_hook.as_ref() else {
            return Ok(Vec::new());
        };
        let mut tx = InboundTx {
            store: self,
            batch,
            queued: Vec::new(),
        };
        hook.on_received(&mut tx, msg, msg.received_at)?;
        Ok(tx.queued)
    }

    /// Tells the hook that `msgs` are applied.
    pub(super) fn inbound_committed<'m>(&self, msgs: impl IntoIterator<Item = &'m InboundMessage>) {
        if let Some(hook) = self.inbound_hook.as_ref() {
            for m in msgs {
                hook.committed(m);
            }
        }
    }
}
