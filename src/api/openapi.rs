//! `GET /v1/openapi.json`: the API described in OpenAPI 3.1.
//!
//! Written out here rather than generated: the request and response types live in `model/`,
//! which depends on nothing of ours, and their JSON is shaped by hand-written serde impls
//! (ids, numbers, timestamps) that a generator would describe wrongly. The document is kept
//! true by tests (`tests/spine/openapi.rs`): every route in the router is in it with its
//! methods, every example validates against its schema, and real answers of a running
//! gateway validate against the schemas of their routes.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `GET /v1/openapi.json`.
pub async fn openapi() -> Response {
    Json(document()).into_response()
}

/// The error answers of an operation. Every operation that takes a token (401) may also be
/// refused with 429 `too_many_auth_failures` (api/auth_limit.rs).
fn error_responses(codes: &[u16]) -> Value {
    let mut m = serde_json::Map::new();
    let mut codes = codes.to_vec();
    if codes.contains(&401) && !codes.contains(&429) {
        codes.push(429);
    }
    for c in &codes {
        m.insert(
            c.to_string(),
            json!({ "$ref": format!("#/components/responses/E{c}") }),
        );
    }
    Value::Object(m)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// What a client can do next with a message it submitted (OpenAPI links: they tell generated
/// clients and stateful API testers how one answer feeds the next request).
fn message_links() -> Value {
    let id = json!({ "id": "$response.body#/id" });
    json!({
        "GetMessage": { "operationId": "getMessage", "parameters": id, "description": "Follow the message." },
        "CancelMessage": { "operationId": "cancelMessage", "parameters": id, "description": "Cancel it while it waits." }
    })
}

/// What a client can do next with a suppression entry it put.
fn suppression_links() -> Value {
    let number = json!({ "number": "$request.path.number" });
    json!({
        "GetSuppression": { "operationId": "getSuppression", "parameters": number, "description": "Read the entry." },
        "DeleteSuppression": { "operationId": "deleteSuppression", "parameters": number, "description": "Remove the entry." }
    })
}

/// What a client can do with the first webhook target of the list.
fn webhook_links() -> Value {
    let name = json!({ "name": "$response.body#/webhooks/0/name" });
    json!({
        "ListDeadLetters": { "operationId": "listDeadLetters", "parameters": name, "description": "Its dead letters." },
        "ReplayDeadLetters": { "operationId": "replayDeadLetters", "parameters": name, "description": "Queue them again." }
    })
}

fn json_body(schema: &str, example: Value) -> Value {
    json!({ "content": { "application/json": {
        "schema": { "$ref": format!("#/components/schemas/{schema}") },
        "example": example,
    }}})
}

fn ok(description: &str, schema: &str, example: Value) -> Value {
    with(
        json!({ "description": description }),
        json_body(schema, example),
    )
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

const ID: &str = "01JD8X3Q9M2V7C4K5T6R8W0Y1Z";

/// A ULID (Crockford base 32, 26 characters) or nothing.
const ULID_OR_EMPTY: &str = "^([0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26})?$";

fn message_example() -> Value {
    json!({
        "id": ID, "to": "+358401234567", "text": "Muistutus: aika huomenna klo 10.00",
        "encoding": "gsm7", "expires_at": "2026-11-25T08:00:00Z", "priority": "normal",
        "reference": "appt-1", "status": "sent",
        "parts": [{"index": 1, "status": "sent", "route": "sims", "remote_id": "17"}],
        "history": [
            {"status": "queued", "at": "2026-11-23T08:00:00Z"},
            {"status": "sending", "at": "2026-11-23T08:00:01Z"},
            {"status": "sent", "at": "2026-11-23T08:00:03Z"}
        ],
        "attempts": {"count": 1},
        "created_at": "2026-11-23T08:00:00Z", "updated_at": "2026-11-23T08:00:03Z"
    })
}

fn inbound_example() -> Value {
    json!({
        "id": ID, "from": "+358401234567", "text": "Kyllä, tulen.", "route": "sims",
        "received_at": "2026-11-23T09:00:00Z", "parts": 1
    })
}

fn schemas() -> Value {
    let ts = json!({ "type": "string", "format": "date-time" });
    let status = json!({ "type": "string", "enum": [
        "scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed", "expired", "canceled"
    ]});
    let mut all = json!({
        "Error": {
            "type": "object", "required": ["error"], "additionalProperties": false,
            "properties": { "error": {
                "type": "object", "required": ["code", "message"], "additionalProperties": false,
                "properties": {
                    "code": { "type": "string", "description": "Stable machine-readable code." },
                    "message": { "type": "string" },
                    "field": { "type": ["string", "null"] }
                }
            }}
        },
        "Status": status,
        "SubmitRequest": {
            "type": "object", "required": ["to", "text"], "additionalProperties": false,
            "properties": {
                "to": { "type": "string", "minLength": 3, "maxLength": 32, "pattern": "^[+0-9][0-9 ()./-]*$", "description": "Recipient, international or national form." },
                "text": { "type": "string", "minLength": 1 },
                "from": { "type": ["string", "null"] },
                "send_at": { "type": ["string", "null"], "format": "date-time" },
                "validity": { "type": ["string", "integer", "null"], "description": "\"30m\", \"2d\" or seconds." },
                "priority": { "type": ["string", "null"], "enum": ["low", "normal", "high", null] },
                "reference": { "type": ["string", "null"], "maxLength": 256 },
                "route": { "type": ["string", "null"] },
                "modem": { "type": ["string", "null"], "description": "Send from this modem (SIM) of a modem pool and no other, e.g. a reply from the number the customer wrote to; the route is its pool." },
                "callback_url": { "type": ["string", "null"], "format": "uri" },
                "callback_events": { "type": ["array", "null"], "minItems": 1, "items": { "$ref": "#/components/schemas/Status" }, "description": "Which status changes go to callback_url (e.g. the final ones); every change when absent. Needs callback_url." },
                "expects_reply": { "type": ["boolean", "null"], "description": "Opens a conversation: replies match it, and a modem pool sends the next one to the same number from another SIM. Default from [conversations]." },
                "urgent": { "type": "boolean", "description": "Send even during the recipient's quiet hours." },
                "transactional": { "type": "boolean", "description": "Needed whatever the recipient's consent (one-time code, receipt): exempt from frequency caps; reaches opted-out numbers only when consent.allow_transactional_to_opted_out is set." }
            }
        },
        "Accepted": {
            "type": "object", "required": ["id", "status", "parts", "encoding"], "additionalProperties": false,
            "properties": {
                "id": { "type": "string" }, "status": { "$ref": "#/components/schemas/Status" },
                "parts": { "type": "integer", "minimum": 1 }, "encoding": { "type": "string", "enum": ["gsm7", "ucs2", "binary"] }
            }
        },
        "BatchRequest": {
            "type": "object", "required": ["messages"], "additionalProperties": false,
            "properties": { "messages": { "type": "array", "minItems": 1, "maxItems": 1000,
                "items": { "$ref": "#/components/schemas/SubmitRequest" } } }
        },
        "BatchResult": {
            "type": "object", "required": ["accepted", "rejected", "results"], "additionalProperties": false,
            "properties": {
                "accepted": { "type": "integer" }, "rejected": { "type": "integer" },
                "results": { "type": "array", "items": { "oneOf": [
                    { "$ref": "#/components/schemas/Accepted" }, { "$ref": "#/components/schemas/Error" }
                ]}}
            }
        },
        "Part": {
            "type": "object", "required": ["index", "status"], "additionalProperties": false,
            "properties": {
                "index": { "type": "integer", "minimum": 1, "maximum": 255 },
                "status": { "type": "string", "enum": ["pending", "sent", "delivered", "undelivered", "failed", "unknown"] },
                "route": { "type": "string" }, "remote_id": { "type": "string" }, "error": { "type": "string" },
                "modem": { "type": "string", "description": "The modem (SIM) of a pool that sent this part." },
                "possible_duplicate": { "type": "boolean" },
                "receipt": { "type": "string", "description": "The last delivery report for this part as received: an SMPP receipt's text (or its fields when the SMSC sent TLVs only)." }
            }
        },
        "Message": {
            "type": "object", "additionalProperties": false,
            "required": ["id", "to", "text", "encoding", "expires_at", "status", "parts", "history", "created_at", "updated_at"],
            "properties": {
                "id": { "type": "string" }, "to": { "type": "string" }, "from": { "type": "string" },
                "to_original": { "type": "string", "description": "The recipient as the client wrote it, when that differs from `to`." },
                "text": { "type": "string" }, "encoding": { "type": "string" },
                "send_at": ts.clone(), "expires_at": ts.clone(),
                "priority": { "type": "string", "enum": ["low", "normal", "high"] },
                "reference": { "type": "string" }, "route": { "type": "string" }, "modem": { "type": "string" },
                "callback_url": { "type": "string" },
                "callback_events": { "type": "array", "items": { "$ref": "#/components/schemas/Status" } },
                "expects_reply": { "type": "boolean" },
                "reply_received": { "type": "boolean", "description": "A reply was matched to this message (its conversation is closed)." },
                "urgent": { "type": "boolean" },
                "transactional": { "type": "boolean" },
                "dlr": { "type": "object", "required": ["url", "mask"], "properties": {
                    "url": { "type": "string" }, "mask": { "type": "integer" }, "user": { "type": "string" } } },
                "status": { "$ref": "#/components/schemas/Status" },
                "parts": { "type": "array", "items": { "$ref": "#/components/schemas/Part" } },
                "history": { "type": "array", "items": {
                    "type": "object", "required": ["status", "at"], "additionalProperties": false,
                    "properties": { "status": { "$ref": "#/components/schemas/Status" }, "at": ts.clone(), "reason": { "type": "string" } }
                }},
                "attempts": { "type": "object", "additionalProperties": false, "properties": {
                    "count": { "type": "integer" }, "next_at": ts.clone(),
                    "failed_routes": { "type": "array", "items": { "type": "string" } },
                    "last_error": { "type": "string" } } },
                "created_at": ts.clone(), "updated_at": ts.clone()
            }
        },
        "MessagePage": {
            "type": "object", "required": ["messages", "next_cursor"], "additionalProperties": false,
            "properties": {
                "messages": { "type": "array", "items": { "$ref": "#/components/schemas/Message" } },
                "next_cursor": { "type": ["string", "null"] }
            }
        },
        "InboundMessage": {
            "type": "object", "required": ["id", "from", "text", "route", "received_at"], "additionalProperties": false,
            "properties": {
                "id": { "type": "string" },
                "from": { "type": "string", "description": "E.164 when it is a number smsgw could read (with the type of number the network gave and default_country), else as the network gave it (an alphanumeric name, a service number)." },
                "from_original": { "type": "string", "description": "`from` as the network gave it, when that differs (0401001101)." },
                "to": { "type": "string", "description": "The number it was sent to, read like `from`." },
                "to_original": { "type": "string", "description": "`to` as the network gave it, when that differs." },
                "text": { "type": "string" }, "route": { "type": "string" }, "sent_at": ts.clone(),
                "received_at": ts.clone(), "parts": { "type": "integer" }, "incomplete": { "type": "boolean" },
                "modem": { "type": "string", "description": "The modem or SMPP link it came in on." },
                "in_reply_to": { "type": "object", "required": ["id"], "additionalProperties": false,
                    "properties": { "id": { "type": "string" }, "reference": { "type": "string" } } },
                "matched_by": { "type": "object", "required": ["rule", "confidence"], "additionalProperties": false,
                    "properties": { "rule": { "type": "string", "enum": ["sticky-sender", "latest", "none"] },
                        "confidence": { "type": "number", "minimum": 0, "maximum": 1 } } },
                "inbound_rule": { "type": "string", "description": "The [[inbound_routes]] rule that chose its webhook." },
                "keyword": { "$ref": "#/components/schemas/KeywordHit" }
            }
        },
        "InboxPage": {
            "type": "object", "required": ["messages", "next_cursor", "more"], "additionalProperties": false,
            "properties": {
                "messages": { "type": "array", "items": { "$ref": "#/components/schemas/InboundMessage" } },
                "next_cursor": { "type": ["string", "null"] }, "more": { "type": "boolean" }
            }
        },
        "AckRequest": {
            "type": "object", "required": ["cursor"], "additionalProperties": false,
            "properties": { "cursor": { "type": "string", "pattern": "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$" },
                "consumer": { "type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]{1,64}$" } }
        },
        "AckResult": {
            "type": "object", "required": ["consumer", "cursor"], "additionalProperties": false,
            "properties": { "consumer": { "type": "string" }, "cursor": { "type": "string" } }
        },
        "WebhookList": {
            "type": "object", "required": ["webhooks"], "additionalProperties": false,
            "properties": { "webhooks": { "type": "array", "items": {
                "type": "object", "required": ["name", "pending", "dead", "delivered", "failed_attempts"], "additionalProperties": false,
                "properties": { "name": { "type": "string" }, "pending": { "type": "integer" }, "dead": { "type": "integer" },
                    "delivered": { "type": "integer" }, "failed_attempts": { "type": "integer" } }
            }}}
        },
        "DeadLetters": {
            "type": "object", "required": ["dead_letters"], "additionalProperties": false,
            "properties": { "dead_letters": { "type": "array", "items": {
                "type": "object", "required": ["seq", "kind", "message_id", "payload", "next_at"],
                "properties": { "seq": { "type": "integer" }, "kind": { "type": "string" }, "message_id": { "type": "string" },
                    "url": { "type": "string" }, "payload": { "$ref": "#/components/schemas/WebhookEvent" },
                    "attempts": { "type": "integer" }, "first_attempt_at": ts.clone(), "next_at": ts.clone(),
                    "last_error": { "type": "string" } }
            }}}
        },
        "Replayed": {
            "type": "object", "required": ["replayed"], "additionalProperties": false,
            "properties": { "replayed": { "type": "integer" } }
        },
        "WebhookEvent": {
            "type": "object", "required": ["id", "type", "created_at", "data"], "additionalProperties": false,
            "properties": {
                "id": { "type": "integer", "description": "Unique, increasing: deduplicate on it." },
                "type": { "type": "string", "enum": ["message.status", "message.received"] },
                "created_at": ts.clone(), "data": { "type": "object" }
            }
        },
        "Health": {
            "type": "object", "required": ["status"], "properties": { "status": { "type": "string" } }
        },
        "Ready": {
            "type": "object", "required": ["ready", "store", "queue_loaded", "routes", "reason"], "additionalProperties": false,
            "properties": { "ready": { "type": "boolean" }, "store": { "type": "boolean" },
                "queue_loaded": { "type": "boolean", "description": "The queue has been read back since start: until then messages are accepted, none are sent." },
                "routes": { "type": "array", "items": { "type": "object" } }, "reason": { "type": ["string", "null"] } }
        },
        "StatusSummary": {
            "type": "object", "required": ["at", "queue", "rates", "recent", "routes", "modems", "links", "webhooks"], "additionalProperties": false,
            "properties": {
                "at": ts.clone(),
                "queue": { "type": "object", "additionalProperties": { "type": "integer" } },
                "rates": { "type": "array", "items": { "type": "object", "required": ["minute", "sent", "receipts", "received"],
                    "properties": { "minute": ts.clone(), "sent": { "type": "integer" }, "receipts": { "type": "integer" }, "received": { "type": "integer" } } } },
                "recent": { "type": "array", "items": { "$ref": "#/components/schemas/Message" } },
                "routes": { "type": "array", "items": { "type": "object" } },
                "modems": { "type": "array", "items": { "type": "object" } },
                "links": { "type": "array", "items": { "type": "object" } },
                "webhooks": { "type": "array", "items": { "type": "object", "required": ["name", "backlog", "dead"],
                    "properties": { "name": { "type": "string" }, "backlog": { "type": "integer" }, "dead": { "type": "integer" },
                        "delivered": { "type": "integer" }, "failed_attempts": { "type": "integer" },
                        "failing_since": { "oneOf": [ts.clone(), { "type": "null" }] }, "last_error": { "type": ["string", "null"] } } } }
            }
        },
        "ConsoleSession": {
            "type": "object", "required": ["actor", "scopes", "csrf", "sign_in_needed"],
            "properties": {
                "actor": { "type": "string" },
                "scopes": { "type": "array", "items": { "enum": ["send", "read", "admin"] } },
                "csrf": { "type": ["string", "null"], "description": "Echo it in `X-CSRF-Token` on writes made with the session cookie; null for bearer tokens." },
                "sign_in_needed": { "type": "boolean" }
            }
        },
        "ThreadMarks": {
            "type": "object",
            "properties": { "read_upto": { "type": "string" }, "handled_upto": { "type": "string" }, "by": { "type": "string" }, "at": ts.clone() }
        },
        "ConversationList": {
            "type": "object", "required": ["conversations"],
            "properties": { "conversations": { "type": "array", "items": { "type": "object", "required": ["number", "unread", "handled", "marks"],
                "properties": { "number": { "type": "string" }, "unread": { "type": "integer" }, "handled": { "type": "boolean" },
                    "marks": { "$ref": "#/components/schemas/ThreadMarks" },
                    "newest": { "oneOf": [{ "$ref": "#/components/schemas/InboundMessage" }, { "type": "null" }] } } } } }
        },
        "Conversation": {
            "type": "object", "required": ["number", "marks", "handled", "unread", "items"],
            "properties": {
                "number": { "type": "string" }, "marks": { "$ref": "#/components/schemas/ThreadMarks" },
                "handled": { "type": "boolean" }, "unread": { "type": "integer" },
                "reply_route": { "type": ["string", "null"] }, "reply_modem": { "type": ["string", "null"] },
                "items": { "type": "array", "items": { "type": "object", "required": ["direction", "message"],
                    "properties": { "direction": { "enum": ["out", "in"] }, "message": { "type": "object" } } } }
            }
        },
        "MarkRequest": {
            "type": "object", "additionalProperties": false,
            "properties": { "read": { "type": "boolean" }, "handled": { "type": "boolean" } }
        },
        "MarkResult": {
            "type": "object", "required": ["number", "marks", "handled"],
            "properties": { "number": { "type": "string" }, "marks": { "$ref": "#/components/schemas/ThreadMarks" }, "handled": { "type": "boolean" } }
        }
    });
    // Added apart: one more entry would pass serde_json's macro recursion limit.
    all["ModemList"] = modem_list_schema();
    all["AuditList"] = audit_list_schema();
    all
}

fn audit_list_schema() -> Value {
    json!({
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": false,
        "properties": {
            "items": { "type": "array", "items": {
                "type": "object", "required": ["id", "at", "actor", "client", "method", "path", "status"],
                "additionalProperties": false,
                "properties": { "id": { "type": "string" }, "at": { "type": "string", "format": "date-time" },
                    "actor": { "type": "string", "description": "Token name (or its place in server.tokens), `kannel:<user>`, or the open loopback API." },
                    "client": { "type": "string" }, "method": { "type": "string" },
                    "path": { "type": "string" }, "status": { "type": "integer" },
                    "detail": { "type": "string", "description": "What was created: a Location, message ids." } } } },
            "next_cursor": { "type": ["string", "null"] }
        }
    })
}

fn modem_list_schema() -> Value {
    json!({
        "type": "object", "required": ["modems"], "additionalProperties": false,
        "properties": { "modems": { "type": "array", "items": {
            "type": "object", "required": ["name", "route", "device", "state", "busy", "counters", "urcs_dropped"],
            "properties": { "name": { "type": "string" }, "route": { "type": "string" }, "device": { "type": "string" },
                "state": { "type": "string", "enum": ["starting", "ready", "not_registered", "probing", "recovering", "down", "dead"] },
                "detail": { "description": "What went unanswered (probing), the recovery step (recovering) or the reason (down, dead)." },
                "health": { "type": ["string", "null"], "description": "What the health ladder is doing and why (probing, escaping, re-initialising, re-opening)." },
                "storages": { "type": "array", "items": { "type": "object", "properties": { "memory": { "type": "string" }, "used": { "type": "integer" }, "total": { "type": "integer" } } } },
                "storage_full": { "type": ["string", "null"], "description": "Why the receive storage counts as full (+CPMS, or a vendor notice such as ^SMMEMFULL), while it is." },
                "out_of_rotation": { "type": ["object", "null"], "description": "Set while repeated send failures keep the modem out of its pool's rotation.",
                    "properties": { "reason": { "type": "string" }, "since": { "type": "string" }, "until": { "type": "string" } } },
                "identity": { "type": ["object", "null"], "properties": { "manufacturer": { "type": "string" }, "model": { "type": "string" },
                    "imei": { "type": ["string", "null"] }, "imsi": { "type": ["string", "null"] }, "iccid": { "type": ["string", "null"] },
                    "own_number": { "type": ["string", "null"] } } },
                "quirks": { "type": ["string", "null"] }, "signal_rssi": { "type": ["integer", "null"] }, "signal_dbm": { "type": ["integer", "null"] },
                "registration": { "type": ["string", "null"] }, "operator": { "type": ["string", "null"] }, "storage": { "type": ["string", "null"] },
                "cnmi": { "type": ["array", "null"], "items": { "type": "integer" } }, "busy": { "type": "boolean" },
                "counters": { "type": "object", "additionalProperties": { "type": "integer" } },
                "last_error": { "type": ["string", "null"] }, "last_error_at": { "type": ["string", "null"] }, "urcs_dropped": { "type": "integer" } }
        }}}
    })
}

fn responses() -> Value {
    let e = |d: &str, code: &str, msg: &str| {
        ok(
            d,
            "Error",
            json!({ "error": { "code": code, "message": msg } }),
        )
    };
    json!({
        "E400": e("Invalid request; `field` names the culprit.", "invalid_number", "the number contains 'x', which is not a digit"),
        "E401": e("No or unknown bearer token.", "unauthorized", "send a configured token as `Authorization: Bearer <token>`"),
        "E403": e("The token lacks the scope.", "forbidden", "this token lacks the `send` scope that POST /v1/messages needs"),
        "E404": e("No such thing.", "not_found", "no message with this id"),
        "E409": e("Too late for that.", "not_cancelable", "the message is sent and can no longer be canceled"),
        "E413": e("Body too large.", "body_too_large", "the request body is larger than this endpoint accepts"),
        "E415": e("Not JSON.", "unsupported_media_type", "send the body as JSON with `Content-Type: application/json`"),
        "E429": e("Queue limit reached (queue_full), or too many missing or unknown tokens from this address (too_many_auth_failures); see Retry-After.", "queue_full", "200000 messages are waiting to be sent and the limit is 200000; nothing was accepted, retry later"),
        "E422": e("Refused by policy: recipient_opted_out (the number is on the suppression list), frequency_cap (too many messages to this number), invalid_sender (an alphanumeric sender over 11 characters or outside the accepted characters), sender_not_allowed (the forced route cannot send from a name), invalid_csv.", "recipient_opted_out", "+358401234567 opted out of messages on 2026-11-23T08:00:00Z; only transactional messages may be sent"),
        "E503": e("Store or disk cannot take it now; see Retry-After.", "store_unavailable", "the message store cannot take this request now; nothing was accepted, retry later")
    })
}

/// The whole document.
pub fn document() -> Value {
    let cursor = query(
        "cursor",
        "Continue from a previous page's next_cursor (a message id).",
        json!({ "type": "string", "pattern": ULID_OR_EMPTY }),
    );
    let limit = query(
        "limit",
        "Page size, default 50; more than 500 is cut to 500; 0 is refused (invalid_limit).",
        json!({ "type": "integer", "minimum": 1, "maximum": u64::MAX }),
    );
    let sec = json!([{ "bearer": [] }]);
    let submit_errors = error_responses(&[400, 401, 403, 413, 415, 422, 429, 503]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "smsgw",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "On-premise SMS gateway: submit messages, follow them, read the inbox. Errors are {\"error\": {\"code\", \"message\", \"field\"?}} with stable codes."
        },
        "servers": [{ "url": "/" }],
        "security": sec,
        "paths": {
            "/v1/messages": {
                "post": {
                    "summary": "Submit one message", "operationId": "submitMessage",
                    "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 200 } }],
                    "requestBody": with(json!({ "required": true }), json_body("SubmitRequest", json!({"to": "040 123 4567", "text": "Muistutus: aika huomenna klo 10.00", "reference": "appt-1"}))),
                    "responses": with(json!({ "202": with(ok("Stored on disk; Location names the message.", "Accepted",
                        json!({"id": ID, "status": "queued", "parts": 1, "encoding": "gsm7"})),
                        json!({ "headers": { "Location": { "schema": { "type": "string" } } },
                                "links": message_links() })) }), submit_errors.clone())
                },
                "get": {
                    "summary": "List messages, newest first", "operationId": "listMessages",
                    "parameters": [query("status", "Only this status.", json!({ "$ref": "#/components/schemas/Status" })),
                        query("to", "Only this recipient.", json!({ "type": "string" })),
                        query("reference", "Every message with this client reference, newest first (other filters are ignored; one page).", json!({ "type": "string" })),
                        query("route", "Only messages asked for or sent through this route (a page may come back short, with a cursor, after 20,000 messages looked at).", json!({ "type": "string" })),
                        query("since", "Only messages created at or after this RFC 3339 time.", json!({ "type": "string", "format": "date-time" })),
                        query("until", "Only messages created at or before this RFC 3339 time.", json!({ "type": "string", "format": "date-time" })),
                        cursor.clone(), limit.clone()],
                    "responses": with(json!({ "200": ok("A page.", "MessagePage", json!({"messages": [message_example()], "next_cursor": null})) }),
                        error_responses(&[400, 401, 403, 503]))
                },
                "delete": {
                    "summary": "Cancel every waiting message with a client reference", "operationId": "cancelByReference",
                    "description": "Cancels the messages with this reference that are still scheduled or queued (e.g. the reminders of a moved appointment) and lists those that could not be canceled (sending or past it).",
                    "parameters": [with(query("reference", "The client reference.", json!({ "type": "string", "minLength": 1 })), json!({ "required": true }))],
                    "responses": with(json!({ "200": ok("What was canceled and what was not.", "CancelByReference",
                        json!({"reference": "appt-1", "canceled": [{"id": ID, "status": "canceled"}], "not_cancelable": []})) }),
                        error_responses(&[400, 401, 403, 503]))
                }
            },
            "/v1/suppressions": { "get": {
                "summary": "List the suppression list by scope, then number", "operationId": "listSuppressions",
                "parameters": [query("cursor", "next_cursor of the previous page.", json!({ "type": "string" })), limit.clone()],
                "responses": with(json!({ "200": ok("A page.", "SuppressionPage", json!({"suppressions": [suppression_example()], "next_cursor": null})) }),
                    error_responses(&[400, 401, 403, 503]))
            }},
            "/v1/suppressions.csv": {
                "get": { "summary": "Export the suppression list as CSV", "operationId": "exportSuppressions",
                    "responses": with(json!({ "200": { "description": "number,scope,source,word,note,created_at rows after a header row.",
                        "content": { "text/csv": { "schema": { "type": "string" }, "example": "number,scope,source,word,note,created_at\r\n+358401234567,global,keyword,STOP,,2026-11-23T08:00:00Z\r\n" } } } }),
                        error_responses(&[401, 403, 503])) },
                "post": { "summary": "Import CSV rows (number first; scope and note columns by header) in one write", "operationId": "importSuppressions",
                    "requestBody": { "required": true, "content": { "text/csv": { "schema": { "type": "string" }, "example": "number,scope,note\n+358401234567,global,asked by phone\n" } } },
                    "responses": with(json!({ "200": ok("How many rows were imported, and how many were new.", "ImportResult", json!({"imported": 1, "new": 1})) }),
                        error_responses(&[401, 403, 413, 422, 503])) }
            },
            "/v1/suppressions/{number}": {
                "get": { "summary": "One entry", "operationId": "getSuppression",
                    "parameters": [path_param("number", "The number, any accepted form."), query("scope", "global (default) or a sender.", json!({ "type": "string" }))],
                    "responses": with(json!({ "200": ok("The entry.", "Suppression", suppression_example()) }), error_responses(&[400, 401, 403, 404, 503])) },
                "put": { "summary": "Add or replace an entry (body optional)", "operationId": "putSuppression",
                    "parameters": [path_param("number", "The number, any accepted form.")],
                    "requestBody": with(json!({ "required": false }), json_body("SuppressionRequest", json!({"scope": "global", "note": "asked by phone"}))),
                    "responses": with(json!({ "201": with(ok("Added.", "Suppression", suppression_example()), json!({ "links": suppression_links() })),
                        "200": with(ok("Replaced.", "Suppression", suppression_example()), json!({ "links": suppression_links() })) }),
                        error_responses(&[400, 401, 403, 503])) },
                "delete": { "summary": "Remove an entry (the number may get messages again)", "operationId": "deleteSuppression",
                    "parameters": [path_param("number", "The number, any accepted form."), query("scope", "global (default) or a sender.", json!({ "type": "string" }))],
                    "responses": with(json!({ "204": { "description": "Removed." } }), error_responses(&[400, 401, 403, 404, 503])) }
            },
            "/v1/messages/batch": { "post": {
                "summary": "Submit up to 1000 messages in one write", "operationId": "submitBatch",
                "requestBody": with(json!({ "required": true }), json_body("BatchRequest", json!({"messages": [{"to": "+358401234567", "text": "A"}, {"to": "+999", "text": "B"}]}))),
                "responses": with(json!({ "202": ok("Each item's result, in order.", "BatchResult", json!({"accepted": 1, "rejected": 1, "results": [
                    {"id": ID, "status": "queued", "parts": 1, "encoding": "gsm7"},
                    {"error": {"code": "invalid_number", "message": "a number has 7 to 15 digits in international form (got 3)", "field": "to"}}]})) }),
                    submit_errors)
            }},
            "/v1/messages/{id}": {
                "get": { "summary": "One message with parts and history", "operationId": "getMessage",
                    "parameters": [path_param("id", "Message id.")],
                    "responses": with(json!({ "200": ok("The message.", "Message", message_example()) }), error_responses(&[401, 403, 404, 503])) },
                "delete": { "summary": "Cancel a message not yet handed to a route", "operationId": "cancelMessage",
                    "parameters": [path_param("id", "Message id.")],
                    "responses": with(json!({ "200": ok("The canceled message.", "Message", with(message_example(), json!({"status": "canceled", "parts": [{"index": 1, "status": "failed", "error": "not sent: the message is canceled"}]}))) }),
                        error_responses(&[401, 403, 404, 409, 503])) }
            },
            "/v1/inbox": { "get": {
                "summary": "Received messages after a cursor; long poll with wait", "operationId": "listInbox",
                "parameters": [cursor, limit.clone(),
                    query("wait", "Hold an empty answer until a message arrives, up to this long (\"30s\" or seconds, at most 120 s).", json!({ "type": "string", "pattern": "^([0-9]{1,3}|[0-9]{1,3}(ms|s|m))?$" })),
                    query("consumer", "Whose acknowledged cursor to start from when no cursor is given.", json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" }))],
                "responses": with(json!({ "200": ok("A page.", "InboxPage", json!({"messages": [inbound_example()], "next_cursor": ID, "more": false})) }),
                    error_responses(&[400, 401, 403, 503]))
            }},
            "/v1/inbox/ack": { "post": {
                "summary": "Acknowledge how far a consumer has processed the inbox", "operationId": "ackInbox",
                "requestBody": with(json!({ "required": true }), json_body("AckRequest", json!({"cursor": ID, "consumer": "crm"}))),
                "responses": with(json!({ "200": ok("Recorded on disk.", "AckResult", json!({"consumer": "crm", "cursor": ID})) }),
                    error_responses(&[400, 401, 403, 413, 415, 503]))
            }},
            "/v1/modems": { "get": {
                "summary": "Every configured modem: state, identity, signal, counters, last error", "operationId": "listModems",
                "responses": with(json!({ "200": ok("Modems.", "ModemList", json!({"modems": [{"name": "sim1", "route": "modems", "device": "/dev/ttyUSB0", "state": "ready", "busy": false, "counters": {"parts_sent": 12}, "urcs_dropped": 0}]})) }),
                    error_responses(&[401, 403]))
            }},
            "/v1/audit": { "get": {
                "summary": "The audit trail: every write made through the API, newest first (admin scope)", "operationId": "listAudit",
                "parameters": [cursor, limit],
                "responses": with(json!({ "200": ok("Entries.", "AuditList", json!({"items": [{"id": ID, "at": "2026-11-23T08:00:00Z", "actor": "booking",
                    "client": "127.0.0.1", "method": "POST", "path": "/v1/messages", "status": 202, "detail": "/v1/messages/01JD8X3Q9M2V7C4K5T6R8W0Y1Z"}], "next_cursor": null})) }),
                    error_responses(&[400, 401, 403, 429, 503]))
            }},
            "/v1/webhooks": { "get": {
                "summary": "Webhook targets with their backlog", "operationId": "listWebhooks",
                "responses": with(json!({ "200": with(ok("Targets.", "WebhookList", json!({"webhooks": [{"name": "crm", "pending": 0, "dead": 1, "delivered": 42, "failed_attempts": 3}]})),
                    json!({ "links": webhook_links() })) }),
                    error_responses(&[401, 403, 503]))
            }},
            "/v1/webhooks/{name}/dead-letters": { "get": {
                "summary": "Events that ran out of retries", "operationId": "listDeadLetters",
                "parameters": [path_param("name", "Webhook name."), limit],
                "responses": with(json!({ "200": ok("Dead letters, oldest first.", "DeadLetters", json!({"dead_letters": [{"seq": 7, "kind": "message.status", "message_id": ID,
                    "payload": {"id": 7, "type": "message.status", "created_at": "2026-11-23T08:00:03Z", "data": {"id": ID, "status": "sent"}},
                    "attempts": 12, "first_attempt_at": "2026-11-23T08:00:03Z", "next_at": "2026-11-24T08:00:03Z", "last_error": "HTTP 503"}]})) }),
                    error_responses(&[400, 401, 403, 404, 503]))
            }},
            "/v1/webhooks/{name}/dead-letters/replay": { "post": {
                "summary": "Put every dead letter back in the queue", "operationId": "replayDeadLetters",
                "parameters": [path_param("name", "Webhook name.")],
                "responses": with(json!({ "200": ok("How many.", "Replayed", json!({"replayed": 3})) }), error_responses(&[401, 403, 404, 503]))
            }},
            "/v1/webhooks/{name}/dead-letters/{event}/replay": { "post": {
                "summary": "Put one dead letter back in the queue", "operationId": "replayDeadLetter",
                "parameters": [path_param("name", "Webhook name."), path_param("event", "Event id.")],
                "responses": with(json!({ "200": ok("Replayed.", "Replayed", json!({"replayed": 1})) }), error_responses(&[401, 403, 404, 503]))
            }},
            "/v1/conversations": { "get": {
                "summary": "Threads with the newest replies first (the console's conversations)", "operationId": "listConversations",
                "parameters": [query("q", "A number (its thread) or a client reference (the threads of its messages).", json!({ "type": "string", "maxLength": 256 })), limit.clone()],
                "responses": with(json!({ "200": ok("Threads.", "ConversationList", json!({"conversations": [{"number": "+358401234567", "unread": 1, "handled": false, "marks": {}, "newest": inbound_example()}]})) }),
                    error_responses(&[400, 401, 403, 503]))
            }},
            "/v1/conversations/{number}": { "get": {
                "summary": "One customer's thread: both directions, oldest first", "operationId": "getConversation",
                "parameters": [path_param("number", "The customer's number (or sender name)."), limit.clone()],
                "responses": with(json!({ "200": ok("The thread.", "Conversation", json!({"number": "+358401234567", "marks": {}, "handled": false, "unread": 1,
                    "reply_route": "sims", "reply_modem": "sim1", "items": [{"direction": "out", "message": message_example()}, {"direction": "in", "message": inbound_example()}]})) }),
                    error_responses(&[400, 401, 403, 503]))
            }},
            "/v1/conversations/{number}/marks": { "put": {
                "summary": "Mark a thread read and/or handled (kept in the store)", "operationId": "markConversation",
                "parameters": [path_param("number", "The customer's number (or sender name).")],
                "requestBody": with(json!({ "required": true }), json_body("MarkRequest", json!({"read": true, "handled": true}))),
                "responses": with(json!({ "200": ok("The marks as stored.", "MarkResult", json!({"number": "+358401234567", "handled": true, "marks": {"read_upto": ID, "handled_upto": ID, "by": "front desk", "at": "2026-11-23T08:00:00Z"}})) }),
                    error_responses(&[400, 401, 403, 413, 415, 503]))
            }},
            "/v1/console/session": { "get": {
                "summary": "Who the caller is, its scopes, and the CSRF token of its console session", "operationId": "consoleSession",
                "responses": with(json!({ "200": ok("The session.", "ConsoleSession", json!({"actor": "front desk", "scopes": ["read", "send"], "csrf": "9f2c…", "sign_in_needed": true})) }),
                    error_responses(&[401, 403]))
            }},
            "/v1/console/sign-out": { "post": {
                "summary": "End the console session and clear its cookie", "operationId": "consoleSignOut",
                "responses": with(json!({ "204": { "description": "Signed out." } }), error_responses(&[401, 403]))
            }},
            "/v1/console/stream": { "get": {
                "summary": "The console's live feed (server-sent events: overview, message, lagged)", "operationId": "consoleStream",
                "responses": with(json!({ "200": { "description": "`event: overview` (a StatusSummary without `recent`) at once and every 3 s; `event: message` per store event ({seq, at, kind, message_id, status}); `event: lagged` when the reader fell behind.",
                    "content": { "text/event-stream": { "schema": { "type": "object", "required": ["data"],
                        "properties": { "event": { "enum": ["overview", "message", "lagged"] }, "data": { "type": "string" }, "id": { "type": "string" } } } } } } }), error_responses(&[401, 403]))
            }},
            "/console/sign-in": {
                "get": { "summary": "The console's sign-in form (HTML)", "operationId": "consoleSignInForm", "security": [],
                    "responses": { "200": { "description": "The form.", "content": { "text/html": { "schema": { "type": "string" } } } },
                        "303": { "description": "No tokens configured: no sign-in needed." } } },
                "post": { "summary": "Sign in with a token; sets an HttpOnly, SameSite=Strict session cookie", "operationId": "consoleSignIn", "security": [],
                    "requestBody": { "required": true, "content": { "application/x-www-form-urlencoded": { "schema": { "type": "object", "properties": { "token": { "type": "string" } } } } } },
                    "responses": { "303": { "description": "Signed in (Set-Cookie), to the console." },
                        "401": { "description": "The form again, saying the token is not accepted.", "content": { "text/html": { "schema": { "type": "string" } } } },
                        "403": { "description": "Posted from another site.", "content": { "text/html": { "schema": { "type": "string" } } } },
                        "429": { "description": "Too many failed attempts from this address.", "content": { "text/html": { "schema": { "type": "string" } } } },
                        "503": { "description": "No session could be opened.", "content": { "text/html": { "schema": { "type": "string" } } } } } }
            },
            "/console/app.js": { "get": { "summary": "The console's script", "operationId": "consoleScript", "security": [],
                "responses": { "200": { "description": "JavaScript.", "content": { "text/javascript": { "schema": { "type": "string" } } } } } } },
            "/console/app.css": { "get": { "summary": "The console's style sheet", "operationId": "consoleStyle", "security": [],
                "responses": { "200": { "description": "CSS.", "content": { "text/css": { "schema": { "type": "string" } } } } } } },
            "/v1/status": { "get": {
                "summary": "What the console's overview shows, with the last messages, as JSON", "operationId": "status",
                "responses": with(json!({ "200": ok("Queue depths, rates over the last hour, recent messages, routes, modems, links.", "StatusSummary",
                    json!({"at": "2026-11-23T08:00:30Z", "queue": {"queued": 3, "sending": 1}, "rates": [{"minute": "2026-11-23T08:00:00Z", "sent": 12, "receipts": 10, "received": 2}],
                        "recent": [message_example()], "routes": [{"name": "sims", "ready": true}], "modems": [], "links": [],
                        "webhooks": [{"name": "crm", "backlog": 0, "dead": 1, "delivered": 42, "failed_attempts": 3}]})) }),
                    error_responses(&[401, 403, 503]))
            }},
            "/metrics": { "get": {
                "summary": "Prometheus text metrics", "operationId": "metrics",
                "responses": with(json!({ "200": { "description": "Exposition format 0.0.4.",
                    "content": { "text/plain": { "schema": { "type": "string" }, "example": "# TYPE smsgw_messages gauge\nsmsgw_messages{status=\"queued\"} 3\n" } } } }),
                    error_responses(&[401, 403, 503]))
            }},
            "/": { "get": {
                "summary": "The operator console (HTML; signs in first when tokens are configured)", "operationId": "console", "security": [],
                "responses": { "200": { "description": "The page shell; its data comes from the API.", "content": { "text/html": { "schema": { "type": "string" } } } } }
            }},
            "/v1/openapi.json": { "get": {
                "summary": "This document", "operationId": "openapi", "security": [],
                "responses": { "200": { "description": "OpenAPI 3.1.", "content": { "application/json": { "schema": { "type": "object" } } } } }
            }},
            "/healthz": { "get": {
                "summary": "The process answers", "operationId": "healthz", "security": [],
                "responses": { "200": ok("Alive.", "Health", json!({"status": "ok"})) }
            }},
            "/readyz": { "get": {
                "summary": "The store answers and a route is up", "operationId": "readyz", "security": [],
                "responses": {
                    "200": ok("Ready.", "Ready", json!({"ready": true, "store": true, "queue_loaded": true, "routes": [{"name": "sims", "ready": true, "free": 2}], "reason": null})),
                    "503": ok("Not ready, with the reason.", "Ready", json!({"ready": false, "store": true, "queue_loaded": true, "routes": [], "reason": "no routes are configured: messages are accepted and queued, none are sent"}))
                }
            }},
            "/cgi-bin/sendsms": {
                "get": kannel_op("kannelSendsmsGet"),
                "post": kannel_op("kannelSendsmsPost")
            }
        },
        "webhooks": {
            "event": { "post": {
                "summary": "An event POSTed to a configured webhook or a message's callback_url",
                "description": "Signed: X-Smsgw-Timestamp and X-Smsgw-Signature = v1=hex(HMAC-SHA256(secret, timestamp + \".\" + body)). Any 2xx acknowledges.",
                "requestBody": json_body("WebhookEvent", json!({"id": 42, "type": "message.status", "created_at": "2026-11-23T08:00:03Z",
                    "data": {"id": ID, "status": "sent", "to": "+358401234567", "parts": [{"index": 1, "status": "sent"}]}})),
                "responses": { "204": { "description": "Acknowledged." } }
            }}
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": with(schemas(), consent_schemas()),
            "responses": responses()
        }
    })
}

fn kannel_op(id: &str) -> Value {
    let text = |d: &str, ex: &str| json!({ "description": d, "content": { "text/html": { "schema": { "type": "string" }, "example": ex } } });
    json!({
        "summary": "Kannel-compatible sendsms (only when [kannel] enabled = true)", "operationId": id, "security": [],
        "parameters": [
            query("username", "Kannel user (also `user`).", json!({ "type": "string" })),
            query("password", "Its password (also `pass`).", json!({ "type": "string" })),
            query("to", "Receivers separated by spaces.", json!({ "type": "string" })),
            query("text", "The text in `charset`.", json!({ "type": "string" })),
            query("from", "Sender.", json!({ "type": "string" })),
            query("charset", "UTF-8, ISO-8859-1 or UTF-16BE.", json!({ "type": "string" })),
            query("coding", "0 or 2.", json!({ "type": "integer" })),
            query("smsc", "Route name.", json!({ "type": "string" })),
            query("dlr-mask", "Report types wanted (1, 2, 8, 16).", json!({ "type": "integer" })),
            query("dlr-url", "URL fetched with GET on matching status changes, with %d %p %P %I … escapes.", json!({ "type": "string" })),
            query("validity", "Minutes.", json!({ "type": "integer" })),
            query("deferred", "Minutes.", json!({ "type": "integer" })),
            query("priority", "0–3.", json!({ "type": "integer" }))
        ],
        "responses": {
            "202": text("Accepted; X-Smsgw-Message-Id lists the ids.", "0: Accepted for delivery"),
            "400": text("A field is misformed.", "DLR-Mask field misformed, rejected"),
            "403": text("Bad credentials or no such smsc.", "Authorization failed for sendsms"),
            "404": { "$ref": "#/components/responses/E404" },
            "503": text("Try later.", "Temporal failure, try again later.")
        }
    })
}

fn suppression_example() -> Value {
    json!({"number": "+358401234567", "scope": "global", "source": "keyword", "word": "STOP", "created_at": "2026-11-23T08:00:00Z"})
}

/// Schemas of the consent features (issue 7): suppression list, keyword hits, cancel by reference.
fn consent_schemas() -> Value {
    let ts = json!({ "type": "string", "format": "date-time" });
    let brief = json!({ "type": "object", "required": ["id", "status"], "additionalProperties": false,
        "properties": { "id": { "type": "string" }, "status": { "$ref": "#/components/schemas/Status" } } });
    json!({
        "KeywordHit": {
            "type": "object", "required": ["action", "word", "language", "scope"], "additionalProperties": false,
            "description": "The whole reply was an opt-out or opt-in keyword; the suppression list changed accordingly.",
            "properties": {
                "action": { "type": "string", "enum": ["opt_out", "opt_in"] },
                "word": { "type": "string" }, "language": { "type": "string" },
                "scope": { "type": "string", "description": "global, or the sender the opt-out concerns." }
            }
        },
        "Suppression": {
            "type": "object", "required": ["number", "scope", "created_at"], "additionalProperties": false,
            "properties": {
                "number": { "type": "string" }, "scope": { "type": "string" },
                "source": { "type": "string", "enum": ["keyword", "api", "import"] },
                "word": { "type": "string" }, "note": { "type": "string" }, "created_at": ts
            }
        },
        "SuppressionRequest": {
            "type": "object", "additionalProperties": false,
            "properties": { "scope": { "type": ["string", "null"] }, "note": { "type": ["string", "null"] } }
        },
        "SuppressionPage": {
            "type": "object", "required": ["suppressions", "next_cursor"], "additionalProperties": false,
            "properties": {
                "suppressions": { "type": "array", "items": { "$ref": "#/components/schemas/Suppression" } },
                "next_cursor": { "type": ["string", "null"] }
            }
        },
        "ImportResult": {
            "type": "object", "required": ["imported", "new"], "additionalProperties": false,
            "properties": { "imported": { "type": "integer" }, "new": { "type": "integer" } }
        },
        "CancelByReference": {
            "type": "object", "required": ["reference", "canceled", "not_cancelable"], "additionalProperties": false,
            "properties": {
                "reference": { "type": "string" },
                "canceled": { "type": "array", "items": brief.clone() },
                "not_cancelable": { "type": "array", "items": brief }
            }
        }
    })
}
