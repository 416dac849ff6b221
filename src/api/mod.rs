//! The local HTTP API (axum): submit messages, follow them, read the inbox, check health.
//!
//! Handlers validate and translate; they own no state. Message state lives in the store and
//! dispatch decisions in the dispatcher, reached through [`AppState`]. Every error is JSON
//! `{"error": {"code", "message", "field"?}}` ([`error::ApiError`]).

mod audit;
mod auth;
pub mod auth_limit;
pub mod backpressure;
pub mod console;
pub mod error;
mod health;
mod inbox;
mod json;
pub mod kannel;
pub mod kannel_params;
mod messages;
mod metrics;
mod modems;
pub mod openapi;
pub mod submit;
mod suppressions;
pub mod tls;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::dispatch::DispatchHandle;
use crate::store::Store;
use submit::SubmitRules;

/// Largest body of a single submission: a 255-part message is ~40 KiB of text in JSON.
pub const MAX_BODY: usize = 64 * 1024;
/// Largest body of a batch: 1000 messages of a few parts each.
pub const MAX_BATCH_BODY: usize = 8 * 1024 * 1024;

/// What handlers share, behind one `Arc`: axum clones the state for every extractor and
/// middleware of a request, and cloning a dozen `Arc`s each time (their counts bouncing
/// between cores) was 2% of the daemon's CPU under load.
#[derive(Debug, Clone)]
pub struct AppState(Arc<AppShared>);

impl AppState {
    /// The state over `shared`.
    pub fn new(shared: AppShared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppShared;

    fn deref(&self) -> &AppShared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct AppShared {
    /// The store.
    pub store: Arc<Store>,
    /// The dispatcher's handle.
    pub dispatch: DispatchHandle,
    /// Validation rules for submissions.
    pub rules: Arc<SubmitRules>,
    /// Accepted bearer tokens (empty: no authentication).
    pub tokens: Arc<Vec<crate::config::ApiToken>>,
    /// Failed authentications, counted and limited per client address.
    pub auth_failures: Arc<auth_limit::AuthFailures>,
    /// The running webhook targets (backlog, dead-letter replay).
    pub webhooks: Arc<crate::webhook::Webhooks>,
    /// The Kannel-compatible interface's settings (its route exists only when enabled).
    pub kannel: Arc<crate::config::KannelConfig>,
    /// The metrics registry (collectors, submit latency).
    pub metrics: Arc<crate::metrics::Registry>,
    /// Recent activity from the event log (the console's rates and live feed).
    pub activity: Arc<crate::metrics::activity::Activity>,
    /// Queue limit and disk floor for submissions.
    pub pressure: Arc<backpressure::Pressure>,
    /// Cancelled at shutdown: long polls return at once instead of holding shutdown up.
    pub stop: tokio_util::sync::CancellationToken,
    /// The modem pools, for `GET /v1/modems`.
    pub modems: crate::modem::build::ModemRegistry,
    /// The operator console's sessions and signal history.
    pub console: Arc<console::Console>,
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route(
            "/v1/messages",
            post(messages::submit)
                .get(messages::list)
                .delete(messages::cancel_by_reference)
                .layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .route(
            "/v1/messages/batch",
            post(messages::submit_batch).layer(DefaultBodyLimit::max(MAX_BATCH_BODY)),
        )
        .route(
            "/v1/messages/{id}",
            get(messages::get_one).delete(messages::cancel),
        )
        .route("/v1/inbox", get(inbox::list))
        .route("/v1/inbox/ack", post(inbox::ack))
        .route("/v1/webhooks", get(webhooks::list))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/v1/webhooks/{name}/dead-letters",
            get(webhooks::dead_letters),
        )
        .route(
            "/v1/webhooks/{name}/dead-letters/replay",
            post(webhooks::replay_all),
        )
        .route(
            "/v1/webhooks/{name}/dead-letters/{event}/replay",
            post(webhooks::replay_one),
        )
        .route("/v1/modems", get(modems::list))
        .route("/v1/audit", get(audit::list))
        .route("/v1/suppressions", get(suppressions::list))
        .route(
            "/v1/suppressions.csv",
            get(suppressions::export)
                .post(suppressions::import)
                .layer(DefaultBodyLimit::max(suppressions::MAX_CSV_BODY)),
        )
        .route(
            "/v1/suppressions/{number}",
            get(suppressions::get_one)
                .put(suppressions::put_one)
                .delete(suppressions::delete_one),
        )
        .merge(console::protected_routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    let mut open = Router::new()
        .merge(console::open_routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/openapi.json", get(openapi::openapi));
    if state.kannel.enabled {
        // Kannel clients authenticate with username/password parameters, not bearer tokens.
        open = open.route(
            "/cgi-bin/sendsms",
            get(kannel::sendsms)
                .post(kannel::sendsms)
                .layer(DefaultBodyLimit::max(MAX_BODY)),
        );
    }
    open.merge(protected)
        .fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record_writes,
        ))
        .with_state(state)
}
