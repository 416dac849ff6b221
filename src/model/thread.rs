//! A customer's thread in the operator console: everything sent to and received from one
//! number. What is kept of it is the console's marks; the messages are the store's own.

use serde::{Deserialize, Serialize};

use super::{MessageId, Timestamp};

/// What people at the console marked on a thread: how far it was read, and whether it is
/// handled (nothing more to do until the customer writes again).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMarks {
    /// The newest received message someone read; those after it are unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_upto: Option<MessageId>,
    /// Marked handled; a message received after `handled_upto` makes it open again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_upto: Option<MessageId>,
    /// Who marked last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
}

impl ThreadMarks {
    /// Whether it is handled, given the newest received message of the thread.
    pub fn handled(&self, newest_received: Option<MessageId>) -> bool {
        match (self.handled_upto, newest_received) {
            (Some(h), Some(n)) => n <= h,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_should_open_again_when_the_customer_writes_after_it_was_handled() {
        let (a, b) = (MessageId::new_at(1_000), MessageId::new_at(2_000));
        let marks = ThreadMarks {
            handled_upto: Some(a),
            ..ThreadMarks::default()
        };
        assert!(marks.handled(Some(a)));
        assert!(!marks.handled(Some(b)));
        assert!(!ThreadMarks::default().handled(Some(a)));
    }
}
