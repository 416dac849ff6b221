//! `/healthz` (the process answers) and `/readyz` (the store is open, its queue read back, and a
//! route can send).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::dispatch::Readiness;

/// `GET /healthz`: alive.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Each route's readiness as JSON: `{name, ready: true, free}` or `{name, ready: false,
/// reason}` (`/readyz` and the console's overview).
pub(super) fn route_states(state: &AppState) -> Vec<serde_json::Value> {
    state
        .dispatch
        .readiness()
        .into_iter()
        .map(|(name, r)| match r {
            Readiness::Ready { free } => json!({ "name": name, "ready": true, "free": free }),
            Readiness::Down(why) => json!({ "name": name, "ready": false, "reason": why }),
        })
        .collect()
}

/// `GET /readyz`: 200 when the store answers and at least one route is up; 503 otherwise,
/// with each route's state so an operator sees why.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store_ok = state.store.answers().is_ok();
    let routes = route_states(&state);
    let any_route = routes.iter().any(|r| r["ready"] == true);
    let queue_loaded = state.store.due_queue_loaded();
    let ready = store_ok && queue_loaded && any_route;
    let reason = if !store_ok {
        Some("the store is not answering")
    } else if !queue_loaded {
        Some(
            "the queue is being read back after the start: messages are accepted, sending starts when it is in",
        )
    } else if routes.is_empty() {
        Some("no routes are configured: messages are accepted and queued, none are sent")
    } else if !any_route {
        Some("no route is up")
    } else {
        None
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "ready": ready, "store": store_ok, "queue_loaded": queue_loaded, "routes": routes, "reason": reason })),
    )
        .into_response()
}
