//! Events: what someone outside must hear about (webhooks, long polls).

use serde::{Deserialize, Serialize};

use super::{MessageId, Part, Status, Timestamp};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// An outbound message changed status.
    #[serde(rename = "message.status")]
    MessageStatus,
    /// A message came in.
    #[serde(rename = "message.received")]
    MessageReceived,
}

/// One entry of the store's outbox, written in the same atomic batch as the change it reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Store-wide sequence number: receivers deduplicate and order by it.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// The message it is about (outbound or inbound).
    pub message_id: MessageId,
    /// The new status, for `message.status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Why, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The parts as they were at this change (`message.status`): a webhook delivered hours
    /// later still reports the state that caused the event, not the state at delivery.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    /// Delivery attempts made so far, at this change.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
