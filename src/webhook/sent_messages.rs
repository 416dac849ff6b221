//! The outbound messages a target's recent events are about, decoded once.
//!
//! A message with receipts has four status events (queued, sending, sent, delivered), and
//! building each one's delivery read and decoded the whole message from the store: 4% of all
//! CPU in the side-by-side bench's receipts round. What a delivery takes from the message
//! (its id, numbers, reference, encoding, creation time, callback URL and statuses, Kannel
//! DLR URL and mask) is fixed when it is accepted, so a copy read for one event serves the
//! next ones as it is; what changes (status, parts, attempts) comes from the event.

use std::collections::HashMap;

use crate::model::{MessageId, OutboundMessage};
use crate::store::StoreError;

/// Messages kept; the map is emptied when it reaches this (a batch of events is 256).
const KEPT: usize = 2048;

/// The messages of recent events, by id.
#[derive(Debug, Default)]
pub struct SentMessages {
    by_id: HashMap<MessageId, Option<OutboundMessage>>,
}

impl SentMessages {
    /// The message `id`, from memory or else from `read` (`None`: no such message).
    pub fn get(
        &mut self,
        id: MessageId,
        read: impl FnOnce() -> Result<Option<OutboundMessage>, StoreError>,
    ) -> Result<Option<&OutboundMessage>, StoreError> {
        if !self.by_id.contains_key(&id) {
            let m = read()?;
            if self.by_id.len() >= KEPT {
                self.by_id.clear();
            }
            self.by_id.insert(id, m);
        }
        Ok(self.by_id.get(&id).and_then(Option::as_ref))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_should_be_read_once_and_errors_not_kept() {
        let mut kept = SentMessages::default();
        let id = MessageId::new_at(1);
        let mut reads = 0;
        let mut read = || {
            reads += 1;
            Ok(None)
        };
        assert!(kept.get(id, &mut read).unwrap().is_none());
        assert!(kept.get(id, &mut read).unwrap().is_none());
        assert_eq!(reads, 1);
        let other = MessageId::new_at(2);
        assert!(
            kept.get(other, || Err(StoreError::Closed)).is_err(),
            "an error is the caller's"
        );
        let mut again = 0;
        let _ = kept.get(other, || {
            again += 1;
            Ok(None)
        });
        assert_eq!(again, 1, "a failed read is tried again");
    }
}
