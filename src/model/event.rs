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
    /// The notifications the message asks for itself (`message.status`), as bits
    /// ([`Event::ASKS_CALLBACK`], [`Event::ASKS_DLR`]): the workers of per-message targets pass
    /// over the events of a message that asked for none without reading the message (for
    /// every message sent, that read was 6% of the daemon's CPU). `None` in events written
    /// before it was recorded: the message says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asks: Option<u8>,
}

impl Event {
    /// The message has a `callback_url`.
    pub const ASKS_CALLBACK: u8 = 1;
    /// The message has a Kannel delivery report request (`dlr-url`).
    pub const ASKS_DLR: u8 = 2;

    /// What `m` asks for itself, as [`Event::asks`] records it.
    pub fn asks_of(m: &super::OutboundMessage) -> u8 {
        let mut asks = 0;
        if m.callback_url.is_some() {
            asks |= Self::ASKS_CALLBACK;
        }
        if m.dlr.is_some() {
            asks |= Self::ASKS_DLR;
        }
        asks
    }

    /// Whether the message may ask for `what` (one of the `ASKS_` bits): `false` only when
    /// the event says it does not.
    pub fn may_ask(&self, what: u8) -> bool {
        self.asks.is_none_or(|asks| asks & what != 0)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
