//! `/v1/messages`: submit (single and batch), read, list, cancel.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::json::{ApiJson, serde_error};
use super::submit::{Accepted, SubmitRequest};
use crate::consent::CapTally;
use crate::model::{Actor, MessageId, Msisdn, Status, Timestamp};
use crate::store::{Inserted, ListFilter, NewMessage};

/// Most messages in one batch.
pub const MAX_BATCH: usize = 1000;

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

/// Default and largest page sizes of listings.
pub const DEFAULT_PAGE: usize = 50;
/// See [`DEFAULT_PAGE`].
pub const MAX_PAGE: usize = 500;

/// The page size of a listing's `limit`: [`DEFAULT_PAGE`] when absent, at most [`MAX_PAGE`]
/// (more is cut to it). `limit=0` is refused with 400 `invalid_limit`: a page of nothing is
/// a client bug, and answering one item instead (as before) hid it.
pub fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(0) => Err(ApiError::field(
            "invalid_limit",
            "limit",
            format!("limit is a page size from 1 to {MAX_PAGE}"),
        )),
        Some(n) => Ok(n.min(MAX_PAGE)),
    }
}

/// Where a newest-first listing continues: the `next_cursor` of the previous page (an id),
/// or the start when absent or empty.
pub fn page_cursor(cursor: Option<&str>) -> Result<Option<MessageId>, ApiError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(c) => c.parse::<MessageId>().map(Some).map_err(|_| {
            ApiError::field(
                "invalid_cursor",
                "cursor",
                "use the next_cursor of the previous page",
            )
        }),
    }
}

/// `POST /v1/messages`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Response, ApiError> {
    let started = std::time::Instant::now();
    let key = idempotency_key(&headers)?;
    state.pressure.admit(1)?;
    let now = Timestamp::now();
    let mut message = state
        .rules
        .validate(req, now, |r| state.dispatch.has_route(r))?;
    state
        .rules
        .admit(&state.store, &mut message, &mut CapTally::default(), now)?;
    let store = state.store.clone();
    let mut inserted = store
        .writer()
        .insert_outbound(vec![NewMessage {
            message,
            idempotency_key: key,
        }])
        .wait()
        .await?;
    state.pressure.accepted(1);
    store.durable().await?;
    state.metrics.submit_latency.observe(started.elapsed());
    state.dispatch.notify();
    let (message, repeated) = match inserted.pop() {
        Some(Inserted::New(m)) => (m, false),
        Some(Inserted::Existing(m)) => (m, true),
        None => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "nothing was stored",
            ));
        }
    };
    let mut resp = (StatusCode::ACCEPTED, Json(Accepted::of(&message))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/v1/messages/{}", message.id)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    if repeated {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY_LEN)
        .ok_or_else(|| {
            ApiError::field(
                "invalid_idempotency_key",
                "Idempotency-Key",
                format!("the key is 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
            )
        })?;
    Ok(Some(key.to_string()))
}

/// `POST /v1/messages/batch` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Up to [`MAX_BATCH`] submissions, each checked on its own.
    pub messages: Vec<Value>,
}

/// `POST /v1/messages/batch`: every valid item is stored in one atomic write and one flush;
/// each item gets its own result, in order.
pub async fn submit_batch(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<Response, ApiError> {
    if req.messages.is_empty() || req.messages.len() > MAX_BATCH {
        return Err(ApiError::field(
            "invalid_batch",
            "messages",
            format!(
                "a batch has 1 to {MAX_BATCH} messages (got {})",
                req.messages.len()
            ),
        ));
    }
    state.pressure.admit(req.messages.len() as u64)?;
    let now = Timestamp::now();
    let mut results: Vec<Option<Value>> = Vec::with_capacity(req.messages.len());
    let mut valid = Vec::new();
    let mut slots = Vec::new();
    let mut tally = CapTally::default();
    for (i, item) in req.messages.into_iter().enumerate() {
        let checked = serde_json::from_value::<SubmitRequest>(item)
            .map_err(|e| serde_error(&e.to_string()))
            .and_then(|r| {
                let mut m = state
                    .rules
                    .validate(r, now, |n| state.dispatch.has_route(n))?;
                state.rules.admit(&state.store, &mut m, &mut tally, now)?;
                Ok(m)
            });
        match checked {
            Ok(message) => {
                valid.push(NewMessage {
                    message,
                    idempotency_key: None,
                });
                slots.push(i);
                results.push(None);
            }
            Err(e) => results.push(Some(e.body())),
        }
    }
    let accepted = valid.len();
    if !valid.is_empty() {
        let inserted = state.store.writer().insert_outbound(valid).wait().await?;
        state.pressure.accepted(accepted as u64);
        state.store.durable().await?;
        state.dispatch.notify();
        for (slot, ins) in slots.into_iter().zip(inserted) {
            let m = match ins {
                Inserted::New(m) | Inserted::Existing(m) => m,
            };
            results[slot] = Some(serde_json::to_value(Accepted::of(&m)).unwrap_or(Value::Null));
        }
    }
    let ids: Vec<&str> = results
        .iter()
        .filter_map(|r| r.as_ref()?.get("id")?.as_str())
        .collect();
    let detail = super::audit::AuditDetail(format!(
        "{accepted} accepted of {}: {}",
        results.len(),
        ids.join(",")
    ));
    let body = json!({
        "accepted": accepted,
        "rejected": results.len() - accepted,
        "results": results,
    });
    let mut resp = (StatusCode::ACCEPTED, Json(body)).into_response();
    resp.extensions_mut().insert(detail);
    Ok(resp)
}

fn parse_id(id: &str) -> Result<MessageId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("message"))
}

/// `GET /v1/messages/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let m = state
        .store
        .get(id)?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(Json(m).into_response())
}

/// Query of `GET /v1/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
    reference: Option<String>,
    route: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

/// An RFC 3339 time of a listing's `since`/`until`.
fn list_time(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => Timestamp::parse_rfc3339(t).map(Some).ok_or_else(|| {
            ApiError::field(
                "invalid_time",
                field,
                format!("{t:?} is not an RFC 3339 time (2026-12-06T09:30:00+02:00)"),
            )
        }),
    }
}

/// `GET /v1/messages?status=&to=&cursor=&limit=`, newest first.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let limit = page_limit(q.limit)?;
    if let Some(r) = q.reference.as_deref().filter(|r| !r.is_empty()) {
        // By client reference, from the `N` index: every message with it, newest first like
        // every listing (a reference holds a few messages: one page, no cursor).
        let messages = state.store.by_reference(r)?;
        return Ok(Json(json!({ "messages": messages, "next_cursor": null })).into_response());
    }
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::field(
                "invalid_status",
                "status",
                format!("{s:?} is not a status; use one of scheduled, queued, sending, sent, delivered, undelivered, failed, expired, canceled"),
            )
        })?),
    };
    let to = match q.to.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            Msisdn::parse(t, &state.rules.plan)
                .map_err(|e| ApiError::field("invalid_number", "to", e.to_string()))?
                .as_str()
                .to_string(),
        ),
    };
    let cursor = page_cursor(q.cursor.as_deref())?;
    let since = list_time("since", q.since.as_deref())?;
    // Up to `until`: ids before the first one of the next millisecond.
    let until = list_time("until", q.until.as_deref())?
        .map(|t| MessageId::first_at(t.as_millis().saturating_add(1)));
    let before = match (cursor, until) {
        (Some(c), Some(u)) => Some(c.min(u)),
        (c, u) => c.or(u),
    };
    let route = q
        .route
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let page = state.store.list(&ListFilter {
        status,
        to,
        before,
        since,
        route,
        limit,
    })?;
    Ok(Json(json!({
        "messages": page.items,
        "next_cursor": page.next_cursor,
    }))
    .into_response())
}

/// `DELETE /v1/messages/{id}`: cancels a message that has not been handed to a route.
pub async fn cancel(
    State(state): State<AppState>,
    actor: Option<Extension<Actor>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let reason = format!("canceled by {}", who(actor.as_ref()));
    let id = parse_id(&id)?;
    let now = Timestamp::now();
    let (was, m) = state
        .store
        .writer()
        .cancel(id, now, reason)
        .wait()
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    match was {
        // Canceling twice is harmless: answer with the canceled message.
        Status::Canceled => return Ok(Json(m).into_response()),
        s if s.is_cancelable() => {}
        _ => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_cancelable",
                format!(
                    "the message is {} and can no longer be canceled",
                    m.status.as_str()
                ),
            ));
        }
    }
    state.store.durable().await?;
    Ok(Json(m).into_response())
}

/// Who canceled, for the message's history: the token's name (the audit trail has the rest).
fn who(actor: Option<&Extension<Actor>>) -> &str {
    actor
        .map(|a| a.0.0.as_str())
        .filter(|a| *a != super::auth::OPEN_API_ACTOR)
        .unwrap_or("the client")
}

/// Query of `DELETE /v1/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelQuery {
    reference: Option<String>,
}

/// `DELETE /v1/messages?reference=…`: cancels every message with this client reference that
/// is still waiting (`scheduled`, `queued`), e.g. the reminders of an appointment that moved.
/// Answers 200 with what was canceled and what could not be (already sending or past it).
pub async fn cancel_by_reference(
    State(state): State<AppState>,
    actor: Option<Extension<Actor>>,
    query: Result<Query<CancelQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let Some(reference) = q.reference.filter(|r| !r.is_empty()) else {
        return Err(ApiError::field(
            "missing_reference",
            "reference",
            "DELETE /v1/messages needs ?reference=; cancel one message with DELETE /v1/messages/{id}",
        ));
    };
    let now = Timestamp::now();
    let done = state
        .store
        .writer()
        .cancel_by_reference(
            &reference,
            now,
            &format!(
                "canceled by {} with reference {reference:?}",
                who(actor.as_ref())
            ),
        )
        .wait()
        .await?;
    if !done.canceled.is_empty() {
        state.store.durable().await?;
    }
    let brief = |m: &crate::model::OutboundMessage| json!({"id": m.id, "status": m.status});
    Ok(Json(json!({
        "reference": reference,
        "canceled": done.canceled.iter().map(brief).collect::<Vec<_>>(),
        "not_cancelable": done.not_cancelable.iter().map(brief).collect::<Vec<_>>(),
    }))
    .into_response())
}
