//! Acknowledged inbox positions: a consumer says explicitly how far it has processed the
//! inbox, and a long poll without a cursor continues from there. Kept under the meta prefix:
//! `X inbox_cursor/<consumer>` → message id (16 bytes).

use super::{Store, StoreError, keys};
use crate::model::MessageId;

fn key(consumer: &str) -> Vec<u8> {
    let mut k = vec![keys::META];
    k.extend_from_slice(b"inbox_cursor/");
    k.extend_from_slice(consumer.as_bytes());
    k
}

impl Store {
    /// The last inbox message `consumer` acknowledged, if any.
    pub fn inbox_cursor(&self, consumer: &str) -> Result<Option<MessageId>, StoreError> {
        Ok(self
            .tree
            .get(key(consumer))?
            .and_then(|v| MessageId::from_slice(&v)))
    }

    /// Records that `consumer` has processed the inbox up to and including `id` (not yet
    /// durable: call [`Store::durable`]).
    pub fn ack_inbox(&self, consumer: &str, id: MessageId) -> Result<(), StoreError> {
        self.tree.insert(key(consumer), &id.to_bytes())?;
        Ok(())
    }
}
