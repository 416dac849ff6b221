//! The status page: `GET /` serves one self-contained HTML page (inline CSS and script, no
//! CDN, no build step) that fetches `GET /v1/status` every few seconds and draws queue depths,
//! routes, modems and SMPP links (from the metrics registry's panels), send and receive rates
//! over the last hour as a small SVG chart, and the last messages.
//!
//! With tokens configured, open the page as `/?access_token=<token>` (RFC 6750 §2.3); the
//! page sends the token as a bearer header on its own requests.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::ApiError;
use crate::dispatch::Readiness;
use crate::model::{Status, Timestamp};
use crate::store::ListFilter;

/// How many recent messages the page lists.
pub const RECENT: usize = 10;

/// `GET /v1/status`: what the page shows.
pub async fn status(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let (queue, recent) = tokio::task::spawn_blocking(move || {
        let mut queue = Map::new();
        for s in [Status::Scheduled, Status::Queued, Status::Sending] {
            queue.insert(s.as_str().to_string(), json!(store.count_in_status(s)));
        }
        let recent = store.list(&ListFilter {
            limit: RECENT,
            ..ListFilter::default()
        });
        (queue, recent)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    let recent = recent?.items;
    let routes: Vec<Value> = state
        .dispatch
        .readiness()
        .into_iter()
        .map(|(name, r)| match r {
            Readiness::Ready { free } => json!({ "name": name, "ready": true, "free": free }),
            Readiness::Down(why) => json!({ "name": name, "ready": false, "reason": why }),
        })
        .collect();
    let panels = state.metrics.panels();
    let section = |s: &str| -> Vec<Value> {
        panels
            .iter()
            .filter(|p| p.section == s)
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect()
    };
    Ok(Json(json!({
        "queue": queue,
        "rates": state.activity.rates(Timestamp::now()),
        "recent": recent,
        "routes": routes,
        "modems": section("modems"),
        "links": section("links"),
    }))
    .into_response())
}

/// `GET /`: the page.
pub async fn page() -> Response {
    let mut resp = PAGE.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Nothing from elsewhere: the page is whole by itself.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
        ),
    );
    resp
}

const PAGE: &str = include_str!("status_page.html");
