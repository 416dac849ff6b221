//! What the console's overview shows, from memory only (status totals, readiness, modem and
//! link views, webhook backlogs, per-minute rates): cheap enough to push to every open
//! console every few seconds. `GET /v1/status` is the same, with the last messages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::super::AppState;
use super::super::error::ApiError;
use crate::model::{Status, Timestamp};
use crate::store::ListFilter;

/// How many recent messages `GET /v1/status` lists.
pub const RECENT: usize = 10;
/// Dead letters counted per target, at most ("1000+").
const DEAD_COUNTED: usize = 1000;

/// The overview, as of now. Reads the store's dead-letter lists: call off the runtime.
pub fn overview(state: &AppState) -> Value {
    let now = Timestamp::now();
    let mut queue = Map::new();
    for s in Status::ALL {
        queue.insert(
            s.as_str().to_string(),
            json!(state.store.count_in_status(s)),
        );
    }
    let routes = super::super::health::route_states(state);
    let modems: Vec<Value> = state
        .modems
        .views()
        .into_iter()
        .filter_map(|v| {
            let history = state.console.signals.of(&v.name);
            let mut value = serde_json::to_value(&v).ok()?;
            if let Some(obj) = value.as_object_mut() {
                obj.insert("state_name".into(), json!(v.state_name()));
                obj.insert("up".into(), json!(v.is_up()));
                obj.insert("signal_history".into(), json!(history));
            }
            Some(value)
        })
        .collect();
    let links: Vec<Value> = state
        .metrics
        .panels()
        .iter()
        .filter(|p| p.section == "links")
        .filter_map(|p| serde_json::to_value(p).ok())
        .collect();
    let webhooks: Vec<Value> = state
        .webhooks
        .targets()
        .iter()
        .map(|t| {
            let s = &t.stats;
            let load =
                |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
            let failing = s.failing();
            json!({
                "name": t.name,
                "failing_since": failing.as_ref().map(|f| f.0),
                "last_error": failing.and_then(|f| f.1),
                "backlog": load(&s.backlog),
                "delivered": load(&s.delivered),
                "failed_attempts": load(&s.failed_attempts),
                "dead": state.store.webhook_dead_count(&t.name, DEAD_COUNTED),
            })
        })
        .collect();
    json!({
        "at": now,
        "queue": queue,
        "routes": routes,
        "modems": modems,
        "links": links,
        "webhooks": webhooks,
        "rates": state.activity.rates(now),
    })
}

/// `GET /v1/status`: the overview and the last [`RECENT`] messages.
pub async fn status(State(state): State<AppState>) -> Result<Response, ApiError> {
    let body = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let mut view = overview(&state);
        let recent = state.store.list(&ListFilter {
            limit: RECENT,
            ..ListFilter::default()
        })?;
        if let Some(obj) = view.as_object_mut() {
            obj.insert("recent".into(), json!(recent.items));
        }
        Ok(view)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    Ok(Json(body).into_response())
}
