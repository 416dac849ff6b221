//! # smsgw — an on-premise SMS gateway
//!
//! One process that accepts messages over a local HTTP API, keeps them durably in a sled store,
//! and sends them through routes (GSM modem pools over AT commands, SMPP links to operators),
//! while taking incoming messages and delivery reports back into the same store.
//!
//! # Layout
//! Dependencies point down this list only; codecs at the bottom know nothing of I/O.
//!
//! - [`cli`]: command-line parsing and the small client commands (`send`, `check-config`, `pdu`, `smpp`).
//! - [`daemon`]: wiring and process life: opens the store, spawns tasks, handles shutdown and systemd.
//! - [`api`]: the axum HTTP API; validates requests and talks to the store and dispatcher.
//! - [`dispatch`]: what goes next: due time, priority, routing by prefix with failover, shaping, retries.
//! - [`store`]: sled trees, keys, group commit; the single source of truth for message state.
//! - [`metrics`]: a small metrics registry (Prometheus text) that drivers add collectors to.
//! - [`modem`]: the GSM modem driver: port tasks, start-up, send, receive, health, pools as routes.
//! - [`model`]: plain data types shared by every layer (ids, numbers, messages, statuses).
//! - [`consent`]: opt-out keywords, the suppression list and frequency caps (respectful sending).
//! - [`config`]: the strict TOML configuration, human units and collect-all-errors validation.
//! - [`gsm`]: SANS-IO TS 23.038/23.040 codec: alphabets, segmentation, TPDUs.
//! - [`at`]: SANS-IO TS 27.005/27.007 AT response digester and command builders.
//! - [`smpp`]: SANS-IO SMPP 3.4/5.0 PDU codec and framing.
//! - [`telemetry`]: tracing subscriber set-up.
//! - [`webhook`]: events from the store's outbox POSTed to HTTP targets, signed, retried, dead-lettered.
// The OpenAPI document is one `serde_json::json!` literal per section; the schemas section
// nests deeper than the macro's default recursion allows.
#![recursion_limit = "256"]

pub mod api;
pub mod at;
pub mod cli;
pub mod config;
pub mod consent;
pub mod daemon;
pub mod dispatch;
pub mod gsm;
pub mod metrics;
pub mod model;
pub mod modem;
pub mod smpp;
pub mod store;
pub mod telemetry;
pub mod webhook;
