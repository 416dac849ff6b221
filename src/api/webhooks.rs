//! `/v1/webhooks`: each target's backlog, and its dead-letter list (list and replay).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::json::serde_error;
use super::messages::page_limit;
use crate::model::Timestamp;

/// `GET /v1/webhooks`: every target with its pending and dead counts.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut out = Vec::new();
    for t in state.webhooks.targets() {
        let (pending, dead) = state.store.webhook_counts(&t.name)?;
        let s = &t.stats;
        out.push(json!({
            "name": t.name,
            "pending": pending,
            "dead": dead,
            "delivered": s.delivered.load(std::sync::atomic::Ordering::Relaxed),
            "failed_attempts": s.failed_attempts.load(std::sync::atomic::Ordering::Relaxed),
        }));
    }
    Ok(Json(json!({ "webhooks": out })).into_response())
}

fn no_such_webhook() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no webhook with this name",
    )
}

/// Query of the dead-letter listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadQuery {
    limit: Option<usize>,
}

/// `GET /v1/webhooks/{name}/dead-letters?limit=`: events that ran out of retries, oldest first,
/// with their last error.
pub async fn dead_letters(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<DeadQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    if !state.webhooks.targets().iter().any(|t| t.name == name) {
        return Err(no_such_webhook());
    }
    let limit = page_limit(q.limit)?;
    let dead = state.store.webhook_dead(&name, limit)?;
    Ok(Json(json!({ "dead_letters": dead })).into_response())
}

/// `POST /v1/webhooks/{name}/dead-letters/replay`: every dead letter goes back to the queue with
/// fresh retries.
pub async fn replay_all(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let revived = state
        .webhooks
        .replay(&state.store, &name, None, Timestamp::now())
        .await?
        .ok_or_else(no_such_webhook)?;
    state.store.durable().await?;
    Ok(Json(json!({ "replayed": revived.len() })).into_response())
}

/// `POST /v1/webhooks/{name}/dead-letters/{event}/replay`: one dead letter back to the queue.
pub async fn replay_one(
    State(state): State<AppState>,
    Path((name, event)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let seq: u64 = event
        .parse()
        .map_err(|_| ApiError::not_found("dead letter"))?;
    let revived = state
        .webhooks
        .replay(&state.store, &name, Some(seq), Timestamp::now())
        .await?
        .ok_or_else(no_such_webhook)?;
    if revived.is_empty() {
        return Err(ApiError::not_found("dead letter"));
    }
    state.store.durable().await?;
    Ok(Json(json!({ "replayed": revived.len() })).into_response())
}
