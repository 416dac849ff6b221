//! The HTTP control endpoint of a simulated modem (loopback only): inject incoming messages,
//! inject and clear faults, read what was sent, read the state.
//!
//! | method | path | body / answer |
//! |---|---|---|
//! | GET | `/status` | [`ModemStatus`](super::status::ModemStatus) |
//! | POST | `/inject` | `{"from": "+4917...", "text": "hi", "ucs2": false, "reverse": false}` or `{"tpdu": "HEX"}` → `{"parts": n}` |
//! | POST | `/faults` | a [`Fault`] as JSON, e.g. `{"kind": "cms_error", "code": 500, "probability": 0.3}` |
//! | DELETE | `/faults` | clears all faults |
//! | GET | `/sent` | `{"parts": [...], "messages": [...]}` (decoded) |

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::faults::Fault;
use super::handle::{ModemControl, SimError};

/// Body of `POST /inject`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectRequest {
    /// Sender (international with `+`, national, or alphanumeric).
    #[serde(default)]
    pub from: Option<String>,
    /// Text to encode.
    #[serde(default)]
    pub text: Option<String>,
    /// Force UCS-2.
    #[serde(default)]
    pub ucs2: bool,
    /// Deliver parts last first.
    #[serde(default)]
    pub reverse: bool,
    /// A raw SMS-DELIVER TPDU in hex instead of `from`/`text`.
    #[serde(default)]
    pub tpdu: Option<String>,
}

/// The routes, over one modem.
pub fn router(control: ModemControl) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/inject", axum::routing::post(inject))
        .route(
            "/faults",
            axum::routing::post(add_fault).delete(clear_faults),
        )
        .route("/sent", get(sent))
        .with_state(control)
}

fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({"error": {"message": message}})),
    )
        .into_response()
}

fn sim_error(e: SimError) -> Response {
    let status = match e {
        SimError::Pdu(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, e.to_string())
}

async fn status(State(c): State<ModemControl>) -> Response {
    match c.status().await {
        Ok(s) => Json(s).into_response(),
        Err(e) => sim_error(e),
    }
}

async fn inject(State(c): State<ModemControl>, Json(req): Json<InjectRequest>) -> Response {
    if let Some(hex_tpdu) = req.tpdu {
        let Ok(tpdu) = hex::decode(hex_tpdu.trim()) else {
            return error(StatusCode::BAD_REQUEST, "tpdu is not hex".into());
        };
        return match c.inject_tpdu(tpdu).await {
            Ok(()) => Json(serde_json::json!({"parts": 1})).into_response(),
            Err(e) => sim_error(e),
        };
    }
    let (Some(from), Some(text)) = (req.from, req.text) else {
        return error(
            StatusCode::BAD_REQUEST,
            "give from and text, or tpdu".into(),
        );
    };
    match c.inject_text(&from, &text, req.ucs2, req.reverse).await {
        Ok(parts) => Json(serde_json::json!({"parts": parts})).into_response(),
        Err(e) => sim_error(e),
    }
}

async fn add_fault(State(c): State<ModemControl>, Json(fault): Json<Fault>) -> Response {
    match c.fault(fault).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => sim_error(e),
    }
}

async fn clear_faults(State(c): State<ModemControl>) -> Response {
    match c.clear_faults().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => sim_error(e),
    }
}

async fn sent(State(c): State<ModemControl>) -> Response {
    Json(serde_json::json!({
        "parts": c.sent_parts(),
        "messages": c.sent_messages(),
    }))
    .into_response()
}
