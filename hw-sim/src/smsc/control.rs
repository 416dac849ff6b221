//! HTTP control endpoint (loopback only): read what was submitted, inject MO messages and
//! faults, read counters. The same operations are methods of [`super::SmscHandle`].
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/submitted` | submitted messages, decoded (recipient, sender, text, coding…) |
//! | DELETE | `/submitted` | forget them |
//! | GET | `/delivered` | deliver_sm sent (MO parts, receipts), each with the ESME's answer and whether it was a redelivery |
//! | POST | `/mo` | inject an MO message `{"from","to","text","system_id"?}` |
//! | GET/PUT | `/faults` | read / replace the faults in force |
//! | POST | `/drop` | drop every connection now |
//! | POST | `/malformed` | send one malformed deliver_sm to each receiving bind |
//! | GET | `/stats` | counters |

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::config::Faults;
use super::{Mo, SmscHandle};

/// The control router over a handle.
pub fn router(handle: Arc<SmscHandle>) -> Router {
    Router::new()
        .route("/submitted", get(submitted).delete(clear))
        .route("/delivered", get(delivered))
        .route("/mo", post(mo))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/drop", post(drop_all))
        .route("/malformed", post(malformed))
        .route("/stats", get(stats))
        .with_state(handle)
}

async fn submitted(State(h): State<Arc<SmscHandle>>) -> Response {
    Json(h.submitted()).into_response()
}

async fn delivered(State(h): State<Arc<SmscHandle>>) -> Response {
    Json(h.delivered()).into_response()
}

async fn clear(State(h): State<Arc<SmscHandle>>) -> StatusCode {
    h.clear_submitted();
    StatusCode::NO_CONTENT
}

async fn mo(State(h): State<Arc<SmscHandle>>, Json(mo): Json<Mo>) -> Response {
    match h.inject_mo(&mo) {
        Ok(session) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "session": session })),
        )
            .into_response(),
        Err(e) => (
            StatusCode::CONFLICT,
            Json(
                serde_json::json!({ "error": { "code": "no_receiver", "message": e.to_string() } }),
            ),
        )
            .into_response(),
    }
}

async fn get_faults(State(h): State<Arc<SmscHandle>>) -> Response {
    Json(h.faults()).into_response()
}

async fn put_faults(State(h): State<Arc<SmscHandle>>, Json(f): Json<Faults>) -> StatusCode {
    h.set_faults(f);
    StatusCode::NO_CONTENT
}

async fn drop_all(State(h): State<Arc<SmscHandle>>) -> Response {
    Json(serde_json::json!({ "dropped": h.drop_connections() })).into_response()
}

async fn malformed(State(h): State<Arc<SmscHandle>>) -> Response {
    Json(serde_json::json!({ "sent": h.send_malformed() })).into_response()
}

async fn stats(State(h): State<Arc<SmscHandle>>) -> Response {
    Json(h.stats()).into_response()
}
