//! `/v1/suppressions`: the suppression list (issue 7 item 3). Numbers on it get no
//! non-transactional message (from anyone, or from one sender when the entry's `scope` is a
//! sender). Reading needs the `read` scope, changing it `admin`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::json::serde_error;
use super::messages::page_limit;
use crate::consent::csv;
use crate::model::{GLOBAL_SCOPE, Msisdn, Suppression, SuppressionSource, Timestamp};

/// Largest CSV import body.
pub const MAX_CSV_BODY: usize = 8 * 1024 * 1024;

/// `?scope=` of the single-entry routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeQuery {
    scope: Option<String>,
}

/// `PUT /v1/suppressions/{number}` body (optional).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PutBody {
    /// `global` (default) or a sender.
    #[serde(default)]
    scope: Option<String>,
    /// Free text kept with the entry.
    #[serde(default)]
    note: Option<String>,
}

/// Query of `GET /v1/suppressions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    cursor: Option<String>,
    limit: Option<usize>,
}

fn number(state: &AppState, raw: &str) -> Result<String, ApiError> {
    Msisdn::parse(raw, &state.rules.plan)
        .map(|n| n.as_str().to_string())
        .map_err(|e| ApiError::field("invalid_number", "number", e.to_string()))
}

fn scope(state: &AppState, raw: Option<&str>) -> Result<String, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(GLOBAL_SCOPE.to_string()),
        Some(s) => csv::check_scope(s, &state.rules.plan)
            .map_err(|e| ApiError::field("invalid_scope", "scope", e)),
    }
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

/// `GET /v1/suppressions?cursor=&limit=`: entries by scope, then number.
pub async fn list(
    State(state): State<AppState>,
    query: QueryResult<ListQuery>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let limit = page_limit(q.limit)?;
    let (items, next) = state
        .store
        .list_suppressions(q.cursor.as_deref().filter(|c| !c.is_empty()), limit)?;
    Ok(Json(json!({ "suppressions": items, "next_cursor": next })).into_response())
}

/// `GET /v1/suppressions/{number}?scope=`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    query: QueryResult<ScopeQuery>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let (n, s) = (number(&state, &raw)?, scope(&state, q.scope.as_deref())?);
    match state.store.suppression(&s, &n)? {
        Some(e) => Ok(Json(e).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{n} is not on the suppression list in scope {s:?}"),
        )),
    }
}

/// `PUT /v1/suppressions/{number}`: adds (201) or replaces (200) an entry.
pub async fn put_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: PutBody = if body.iter().all(u8::is_ascii_whitespace) {
        PutBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| serde_error(&e.to_string()))?
    };
    let entry = Suppression {
        number: number(&state, &raw)?,
        scope: scope(&state, body.scope.as_deref())?,
        source: SuppressionSource::Api,
        word: None,
        note: body.note.filter(|n| !n.is_empty()),
        created_at: Timestamp::now(),
    };
    let new = state
        .store
        .writer()
        .put_suppressions(vec![entry.clone()])
        .wait()
        .await?;
    state.store.durable().await?;
    let status = if new > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(entry)).into_response())
}

/// `DELETE /v1/suppressions/{number}?scope=`: 204, or 404 when there was no entry.
pub async fn delete_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    query: QueryResult<ScopeQuery>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| serde_error(&e.body_text()))?;
    let (n, s) = (number(&state, &raw)?, scope(&state, q.scope.as_deref())?);
    if !state
        .store
        .writer()
        .remove_suppression(&s, &n)
        .wait()
        .await?
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{n} is not on the suppression list in scope {s:?}"),
        ));
    }
    state.store.durable().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/suppressions.csv`: the whole list as CSV (`text/csv`, header row first).
pub async fn export(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut out = format!("{}\r\n", csv::HEADER);
    let mut cursor = None;
    loop {
        let (items, next) = state.store.list_suppressions(cursor.as_deref(), 1000)?;
        csv::write_rows(&mut out, &items);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}

/// `POST /v1/suppressions.csv`: imports CSV rows (number first; `scope` and `note` columns
/// when the header names them) in one atomic write. Any bad row refuses the whole file with
/// 422 `invalid_csv` listing every bad line.
pub async fn import(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            "the CSV file is not UTF-8",
        )
    })?;
    let entries = csv::parse(text, &state.rules.plan, Timestamp::now()).map_err(|errors| {
        let lines: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            format!(
                "{} bad row(s), nothing imported: {}",
                errors.len(),
                lines.join("; ")
            ),
        )
    })?;
    let imported = entries.len();
    let new = state
        .store
        .writer()
        .put_suppressions(entries)
        .wait()
        .await?;
    state.store.durable().await?;
    Ok(Json(json!({ "imported": imported, "new": new })).into_response())
}
