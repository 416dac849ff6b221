//! `GET /v1/modems`: every modem's state, identity, network, counters and last error.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

/// `GET /v1/modems`: `{"modems": [...]}`, one entry per configured modem (see
/// [`crate::modem::status::ModemView`] for the fields).
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "modems": state.modems.views() }))
}
