//! `/v1/inbox`: received messages, oldest first from a cursor.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::json::serde_error;
use super::messages::{DEFAULT_PAGE, MAX_PAGE};
use crate::model::MessageId;

/// Query of `GET /v1/inbox`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    cursor: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/inbox?cursor=&limit=`: messages received after `cursor`, oldest first. A client
/// keeps the last `next_cursor` (or the last id it processed) and asks again from there.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(c.parse::<MessageId>().map_err(|_| {
            ApiError::field(
                "invalid_cursor",
                "cursor",
                "use an id or next_cursor from a previous page",
            )
        })?),
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let page = state.store.list_inbox(after, limit)?;
    let cursor = page.items.last().map(|m| m.id).or(after);
    Ok(Json(json!({
        "messages": page.items,
        "next_cursor": cursor,
        "more": page.next_cursor.is_some(),
    }))
    .into_response())
}
