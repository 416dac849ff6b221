//! The event document POSTed to webhooks (unless a template makes another body):
//!
//! ```json
//! {"id": 42, "type": "message.status", "created_at": "2026-11-23T08:00:00.123Z",
//!  "data": {"id": "01J…", "status": "sent", "to": "+358401234567", "parts": [...], ...}}
//! ```
//! `id` is the event's store sequence number: unique per gateway, increasing, the key receivers
//! deduplicate on. `data` for `message.status` is the message as it was at that change;
//! for `message.received` it is the received message.

use serde_json::{Value, json};

use crate::model::{Event, EventKind, InboundMessage, OutboundMessage};

/// The `type` string of an event kind.
pub fn type_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::MessageStatus => "message.status",
        EventKind::MessageReceived => "message.received",
    }
}

/// The document of a `message.status` event. Immutable fields (number, sender, text length,
/// reference) come from the message; the status, reason, parts and attempts from the event,
/// which snapshotted them in the batch that changed them (so one copy of the message serves
/// all its events: `webhook::sent_messages`).
pub fn status_document(event: &Event, m: &OutboundMessage) -> Value {
    json!({
        "id": event.seq,
        "type": type_name(event.kind),
        "created_at": event.at,
        "data": {
            "id": m.id,
            "status": event.status,
            "reason": event.reason,
            "to": m.to,
            "from": m.from,
            "reference": m.reference,
            "encoding": m.encoding,
            "parts": event.parts,
            "attempts": event.attempts,
            "created_at": m.created_at,
            "updated_at": event.at,
        }
    })
}

/// The document of a `message.received` event.
pub fn received_document(event: &Event, m: &InboundMessage) -> Value {
    json!({
        "id": event.seq,
        "type": type_name(event.kind),
        "created_at": event.at,
        "data": m,
    })
}
