//! The audit trail: every write made through the API (submit, cancel, suppression changes,
//! dead-letter replay, inbox acknowledgements, Kannel `sendsms`) is recorded with who made
//! it, from where, and how it was answered; `GET /v1/audit` lists it (admin scope).
//!
//! One middleware around the whole router does the recording, so a write route added later
//! (console actions) is covered without touching its handler. Who made the request comes from
//! the response: the token check ([`super::auth`]) and the Kannel handler put an [`Actor`]
//! there. A response without one was refused before anyone was identified (counted by the
//! authentication metrics instead), and is not recorded.

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::kannel::MESSAGE_ID_HEADER;
use crate::model::{Actor, AuditEntry, MessageId, Timestamp};

/// What a handler created, when the path and the `Location` header do not say (a batch's
/// message ids).
#[derive(Debug, Clone)]
pub struct AuditDetail(pub String);

/// Records the request once it was answered, if it changed (or tried to change) something.
pub async fn record_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let client = super::auth::client_address(&req);
    let resp = next.run(req).await;
    let Some(actor) = resp.extensions().get::<Actor>().cloned() else {
        return resp;
    };
    let is_write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let kannel = uri.path() == "/cgi-bin/sendsms";
    if !is_write && !kannel {
        return resp;
    }
    // The query names what was changed only for a cancel by reference; elsewhere it is left
    // out, so a Kannel password (a request parameter) is never written down.
    let path = match uri.query() {
        Some(q) if uri.path() == "/v1/messages" && method == Method::DELETE => {
            format!("{}?{q}", uri.path())
        }
        _ => uri.path().to_string(),
    };
    let headers = resp.headers();
    let detail = resp
        .extensions()
        .get::<AuditDetail>()
        .map(|d| d.0.clone())
        .or_else(|| {
            headers
                .get(header::LOCATION)
                .or_else(|| headers.get(MESSAGE_ID_HEADER))
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
    let entry = AuditEntry {
        id: MessageId::new_at(0),
        at: Timestamp::now(),
        actor: actor.0,
        client: client.to_string(),
        method: method.to_string(),
        path,
        status: resp.status().as_u16(),
        detail,
    };
    state.store.writer().record_audit(entry);
    resp
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    cursor: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/audit?cursor=&limit=`: the audit trail, newest first.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| super::json::serde_error(&e.body_text()))?;
    let before = super::messages::page_cursor(q.cursor.as_deref())?;
    let limit = super::messages::page_limit(q.limit)?;
    // Entries are recorded without the request waiting (`Writer::record_audit`); the writer
    // reads the trail after those of every request answered before.
    let items = state
        .store
        .writer()
        .list_audit(before, limit)
        .wait()
        .await?;
    let next_cursor = (items.len() == limit)
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(json!({ "items": items, "next_cursor": next_cursor })).into_response())
}
