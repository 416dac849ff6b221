//! `GET /metrics`: Prometheus text. Queue depth by status (walking the store's status index),
//! status changes by route and received messages (from the event log), submit latency, webhook
//! backlog, back-pressure figures, and whatever collectors the drivers registered.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::metrics::Exposition;

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let counts = tokio::task::spawn_blocking(move || store.count_by_status())
        .await
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                e.to_string(),
            )
        })??;
    let mut out = Exposition::new();
    for (status, n) in counts {
        out.gauge(
            "smsgw_messages",
            "Messages in the store by status (queue depth for scheduled, queued and sending).",
            &[("status", status.as_str())],
            n as f64,
        );
    }
    for t in state.webhooks.targets() {
        let s = &t.stats;
        let l = [("webhook", t.name.as_str())];
        out.gauge(
            "smsgw_webhook_backlog",
            "Events waiting to be delivered to a webhook target.",
            &l,
            s.backlog.load(Ordering::Relaxed) as f64,
        );
        out.counter(
            "smsgw_webhook_delivered_total",
            "Events acknowledged by a webhook target since start.",
            &l,
            s.delivered.load(Ordering::Relaxed) as f64,
        );
        out.counter(
            "smsgw_webhook_failed_attempts_total",
            "Failed delivery attempts to a webhook target since start.",
            &l,
            s.failed_attempts.load(Ordering::Relaxed) as f64,
        );
        out.counter(
            "smsgw_webhook_dead_lettered_total",
            "Events moved to a webhook target's dead-letter list since start.",
            &l,
            s.dead_lettered.load(Ordering::Relaxed) as f64,
        );
    }
    out.gauge(
        "smsgw_waiting_messages",
        "Messages queued or sending, as back-pressure counts them.",
        &[],
        state.pressure.waiting() as f64,
    );
    for (name, r) in state.dispatch.readiness() {
        let up = matches!(r, crate::dispatch::Readiness::Ready { .. });
        // A pool counts its modems that are up: one hung SIM of two shows as 1, not as up.
        let value = match state.modems.up_in(&name) {
            Some(n) => n as f64,
            None if up => 1.0,
            None => 0.0,
        };
        out.gauge(
            "smsgw_route_up",
            "Whether the route can take messages now: 1 or 0 for an SMPP link, the number of modems up (ready and in rotation) for a modem pool.",
            &[("route", &name)],
            value,
        );
    }
    state.metrics.collect(&mut out);
    let mut resp = out.render().into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(resp)
}
