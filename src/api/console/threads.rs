//! `/v1/conversations`: a customer's thread (both directions, oldest first, each reply with
//! the message it answers), the recent threads with unread counts, and the console's marks
//! (read, handled) kept in the store.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::AppState;
use super::super::error::ApiError;
use super::super::json::{ApiJson, serde_error};
use super::super::messages::page_limit;
use crate::model::{Actor, MessageId, Msisdn, Timestamp};
use crate::store::ListFilter;
use crate::store::threads::ThreadSummary;

/// Received messages looked at, at most, to list recent threads.
pub const SCAN: usize = 5000;

/// Runs store reads off the runtime.
async fn reading<T: Send + 'static>(
    state: &AppState,
    read: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || read(&state))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

/// A number as threads are kept: E.164 when it reads as one (as submissions and received
/// messages are stored), else as given (an alphanumeric sender).
fn thread_number(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 64 {
        return Err(ApiError::field(
            "invalid_number",
            "number",
            "a thread is named by a phone number or sender name of 1 to 64 characters",
        ));
    }
    Ok(Msisdn::parse(raw, &state.rules.plan)
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|_| raw.to_string()))
}

fn summary(t: ThreadSummary) -> Value {
    let handled = t.marks.handled(t.newest.as_ref().map(|m| m.id));
    json!({
        "number": t.number,
        "newest": t.newest,
        "unread": t.unread,
        "handled": handled,
        "marks": t.marks,
    })
}

/// Query of `GET /v1/conversations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A number (that customer's thread) or a client reference (the threads of its messages).
    q: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/conversations?q=&limit=`: threads with the newest replies first; with `q`, the
/// thread of that number, or of the recipients of messages with that reference.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let limit = page_limit(q.limit)?;
    let wanted = q.q.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let threads = reading(&state, move |state| {
        let Some(wanted) = wanted else {
            let threads = state.store.recent_threads(limit, SCAN)?;
            return Ok(threads.into_iter().map(summary).collect::<Vec<_>>());
        };
        let mut numbers: Vec<String> = Vec::new();
        if let Ok(n) = Msisdn::parse(&wanted, &state.rules.plan) {
            numbers.push(n.as_str().to_string());
        }
        for m in state.store.by_reference(&wanted)? {
            let n = m.to.as_str().to_string();
            if !numbers.contains(&n) {
                numbers.push(n);
            }
        }
        if numbers.is_empty() {
            numbers.push(wanted);
        }
        let mut out = Vec::new();
        for number in numbers.into_iter().take(limit) {
            out.push(summary(state.store.thread_summary(&number)?));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(json!({ "conversations": threads })).into_response())
}

/// Query of `GET /v1/conversations/{number}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadQuery {
    limit: Option<usize>,
}

/// `GET /v1/conversations/{number}?limit=`: the newest `limit` messages each way, merged
/// oldest first; each item is `{"direction": "out" | "in", "message": …}`. `reply_route`
/// and `reply_modem` (a modem only, not an SMPP link) say where the customer last wrote to,
/// for answering through it.
pub async fn thread(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    query: Result<Query<ThreadQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let limit = page_limit(q.limit)?;
    let number = thread_number(&state, &raw)?;
    let body = reading(&state, move |state| {
        // The reads are not one snapshot: the marks and the unread count go first, so the
        // messages read after them are at least as new (a reply counted as unread is in the
        // list, and the thread reads as not handled).
        let marks = state.store.thread_marks(&number)?;
        let unread = state.store.unread_from(&number, marks.read_upto)?;
        let sent = state.store.list(&ListFilter {
            to: Some(number.clone()),
            limit,
            ..ListFilter::default()
        })?;
        let received = state.store.received_from(&number, None, limit)?;
        let newest_in = received.first().map(|m| m.id);
        let reply_route = received.first().map(|m| m.route.clone());
        // The SIM it came in on, when it came through a modem (not an SMPP link): the reply
        // is pinned to it, so it comes from the number the customer wrote to.
        let modems = state.modems.views();
        let reply_modem = received
            .first()
            .and_then(|m| m.modem.clone())
            .filter(|name| modems.iter().any(|v| &v.name == name));
        let mut items: Vec<(MessageId, Value)> = Vec::new();
        for m in sent.items {
            items.push((m.id, json!({ "direction": "out", "message": m })));
        }
        for m in received {
            items.push((m.id, json!({ "direction": "in", "message": m })));
        }
        items.sort_by_key(|(id, _)| *id);
        Ok(json!({
            "number": number,
            "marks": marks,
            "handled": marks.handled(newest_in),
            "unread": unread,
            "reply_route": reply_route,
            "reply_modem": reply_modem,
            "items": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(Json(body).into_response())
}

/// Body of `PUT /v1/conversations/{number}/marks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    /// Everything received so far is read (`true`), or unread again (`false`).
    #[serde(default)]
    read: Option<bool>,
    /// Handled up to the newest received message (`true`), or open again (`false`).
    #[serde(default)]
    handled: Option<bool>,
}

/// `PUT /v1/conversations/{number}/marks`: `{"read": true, "handled": true}`; the marks as
/// stored.
pub async fn mark(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MarkBody>,
) -> Result<Response, ApiError> {
    if body.read.is_none() && body.handled.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "nothing_to_mark",
            "send `read` and/or `handled` (true or false)",
        ));
    }
    let number = thread_number(&state, &raw)?;
    let (mut marks, newest) = {
        let number = number.clone();
        reading(&state, move |state| {
            let marks = state.store.thread_marks(&number)?;
            let newest = state
                .store
                .received_from(&number, None, 1)?
                .first()
                .map(|m| m.id);
            Ok((marks, newest))
        })
        .await?
    };
    match body.read {
        Some(true) => marks.read_upto = newest.or(marks.read_upto),
        Some(false) => marks.read_upto = None,
        None => {}
    }
    match body.handled {
        Some(true) => {
            // Handled covers what was received so far; nothing received: the thread itself.
            marks.handled_upto =
                Some(newest.unwrap_or_else(|| MessageId::new_at(Timestamp::now().as_millis())));
        }
        Some(false) => marks.handled_upto = None,
        None => {}
    }
    marks.by = Some(actor.0);
    marks.at = Some(Timestamp::now());
    state
        .store
        .writer()
        .mark_thread(&number, marks.clone())
        .wait()
        .await?;
    let handled = marks.handled(newest);
    Ok(Json(json!({ "number": number, "marks": marks, "handled": handled })).into_response())
}
