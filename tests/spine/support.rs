//! Shared set-up for the in-process tests.

use std::sync::Arc;

use smsgw::api::submit::{SubmitRequest, SubmitRules};
use smsgw::config::Config;
use smsgw::model::{OutboundMessage, Timestamp};
use smsgw::store::{Inserted, NewMessage, Store};

/// A store in a fresh temporary directory (kept alive by the returned guard). In-process
/// tests run on tokio's paused clock, which must not jump while the store's writer works.
pub fn temp_store() -> (tempfile::TempDir, Arc<Store>) {
    smsgw::store::writer::hold_paused_clock_while_writing();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 16 << 20).unwrap();
    (dir, store)
}

/// Reopens the store in `dir` (after the previous handle was dropped; the open waits for the
/// lock the last handle may still be letting go of).
pub fn reopen(dir: &tempfile::TempDir) -> Arc<Store> {
    smsgw::store::writer::hold_paused_clock_while_writing();
    Store::open(&dir.path().join("db"), 16 << 20).unwrap()
}

/// Opens the store's sled database itself (to write what another build would have), waiting
/// for its lock like [`reopen`].
pub fn raw_sled(dir: &tempfile::TempDir) -> sled::Db {
    smsgw::store::open_sled(&dir.path().join("db"), 16 << 20).unwrap()
}

/// A configuration from TOML text.
pub fn config(toml: &str) -> Config {
    Config::from_toml(toml).unwrap_or_else(|e| panic!("test config invalid: {e}"))
}

/// A validated message to `to` with `text`, created at `now`.
pub fn message(config: &Config, to: &str, text: &str, now: Timestamp) -> OutboundMessage {
    let json = serde_json::json!({ "to": to, "text": text });
    message_from(config, json, now)
}

/// A validated message from a JSON submit body.
pub fn message_from(config: &Config, body: serde_json::Value, now: Timestamp) -> OutboundMessage {
    let req: SubmitRequest = serde_json::from_value(body).unwrap();
    SubmitRules::new(&config.messages)
        .validate(req, now, |_| true)
        .unwrap()
}

/// Inserts messages (not waiting for durability).
pub fn insert(store: &Store, msgs: Vec<OutboundMessage>) -> Vec<OutboundMessage> {
    store
        .insert_outbound(
            msgs.into_iter()
                .map(|message| NewMessage {
                    message,
                    idempotency_key: None,
                })
                .collect(),
        )
        .unwrap()
        .into_iter()
        .map(|i| match i {
            Inserted::New(m) | Inserted::Existing(m) => m,
        })
        .collect()
}

/// A received message from +358401234567 on `route` at `at`.
pub fn received(route: &str, text: &str, at: Timestamp) -> smsgw::model::InboundMessage {
    smsgw::model::InboundMessage {
        id: smsgw::model::MessageId::new_at(at.as_millis()),
        from: "+358401234567".into(),
        from_original: None,
        to: None,
        to_original: None,
        text: text.into(),
        route: route.into(),
        sent_at: None,
        received_at: at,
        parts: 1,
        incomplete: false,
        modem: None,
        in_reply_to: None,
        matched_by: None,
        inbound_rule: None,
        keyword: None,
    }
}
