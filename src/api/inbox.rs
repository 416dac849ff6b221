//! `/v1/inbox`: received messages, oldest first from a cursor; long polls; explicit
//! acknowledgement of how far a consumer got.

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::json::{ApiJson, serde_error};
use super::messages::page_limit;
use crate::config::HumanDuration;
use crate::model::MessageId;

/// The longest a long poll waits: below common proxy and client idle timeouts.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// Longest consumer name.
pub const MAX_CONSUMER_LEN: usize = 64;

/// The consumer whose acknowledged cursor is used when a request names none.
pub const DEFAULT_CONSUMER: &str = "default";

/// Query of `GET /v1/inbox`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    cursor: Option<String>,
    limit: Option<usize>,
    wait: Option<String>,
    consumer: Option<String>,
}

fn parse_cursor(c: Option<&str>) -> Result<Option<MessageId>, ApiError> {
    match c {
        None | Some("") => Ok(None),
        Some(c) => c.parse::<MessageId>().map(Some).map_err(|_| {
            ApiError::field(
                "invalid_cursor",
                "cursor",
                "use an id or next_cursor from a previous page",
            )
        }),
    }
}

fn parse_consumer(c: Option<&str>) -> Result<&str, ApiError> {
    let c = c.unwrap_or(DEFAULT_CONSUMER);
    let ok = !c.is_empty()
        && c.len() <= MAX_CONSUMER_LEN
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
    if ok {
        Ok(c)
    } else {
        Err(ApiError::field(
            "invalid_consumer",
            "consumer",
            format!("1 to {MAX_CONSUMER_LEN} letters, digits, - or _"),
        ))
    }
}

fn parse_wait(w: Option<&str>) -> Result<Duration, ApiError> {
    let Some(w) = w.filter(|w| !w.is_empty()) else {
        return Ok(Duration::ZERO);
    };
    let d = match w.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => w
            .parse::<HumanDuration>()
            .map_err(|e| ApiError::field("invalid_wait", "wait", e))?
            .get(),
    };
    if d > MAX_WAIT {
        return Err(ApiError::field(
            "invalid_wait",
            "wait",
            format!("wait at most {}", humantime::format_duration(MAX_WAIT)),
        ));
    }
    Ok(d)
}

/// `GET /v1/inbox?cursor=&limit=&wait=&consumer=`: messages received after `cursor` (or, when
/// there is none, after what `consumer` acknowledged), oldest first. With `wait` (`"30s"` or
/// seconds) and nothing to return yet, the request is held until a message arrives or the
/// time is up. Reading never moves the acknowledged cursor: `POST /v1/inbox/ack` does.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let consumer = parse_consumer(q.consumer.as_deref())?;
    let after = match parse_cursor(q.cursor.as_deref())? {
        Some(c) => Some(c),
        None => state.store.inbox_cursor(consumer)?,
    };
    let wait = parse_wait(q.wait.as_deref())?;
    let limit = page_limit(q.limit)?;
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribe before reading, so a message stored between the read and the wait wakes us.
    let mut events = state.store.subscribe_events();
    let page = loop {
        events.borrow_and_update();
        let page = state.store.list_inbox(after, limit)?;
        if !page.items.is_empty() || tokio::time::Instant::now() >= deadline {
            break page;
        }
        tokio::select! {
            changed = events.changed() => if changed.is_err() { break page },
            _ = tokio::time::sleep_until(deadline) => {}
            _ = state.stop.cancelled() => break page,
        }
    };
    if !page.items.is_empty() {
        // Only what is on disk is shown: a crash cannot take back a message a client saw.
        state.store.durable().await?;
    }
    let cursor = page.items.last().map(|m| m.id).or(after);
    Ok(Json(json!({
        "messages": page.items,
        "next_cursor": cursor,
        "more": page.next_cursor.is_some(),
    }))
    .into_response())
}

/// `POST /v1/inbox/ack` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// The last message the consumer has processed (a `next_cursor` or message id).
    cursor: String,
    /// Who acknowledges; `default` when absent.
    #[serde(default)]
    consumer: Option<String>,
}

/// `POST /v1/inbox/ack`: records durably that `consumer` processed the inbox up to `cursor`;
/// its later polls without a cursor continue after it.
pub async fn ack(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AckRequest>,
) -> Result<Response, ApiError> {
    let consumer = parse_consumer(req.consumer.as_deref())?;
    let Some(cursor) = parse_cursor(Some(&req.cursor))? else {
        return Err(ApiError::field(
            "invalid_cursor",
            "cursor",
            "give the next_cursor of the page you processed",
        ));
    };
    state
        .store
        .writer()
        .ack_inbox(consumer, cursor)
        .wait()
        .await?;
    state.store.durable().await?;
    Ok(Json(json!({ "consumer": consumer, "cursor": cursor })).into_response())
}
