//! The operator console: pages for the people who read the replies, watch the SIMs and fix
//! what went wrong, served by the daemon itself (no CDN, nothing fetched from elsewhere).
//!
//! - [`assets`]: the page, its script and its style sheet (plain files compiled in; no build
//!   step), served with a strict Content-Security-Policy (no inline script).
//! - [`sign_in`]: a form that takes a token and sets a session cookie ([`session`]); no token
//!   is ever in a URL.
//! - [`overview`]: what the overview shows (queues, routes, modems with their signal history,
//!   SMPP links, webhook backlogs, per-minute rates), also `GET /v1/status`.
//! - [`stream`]: the live feed (server-sent events): every event the store records, and the
//!   overview again every few seconds.
//! - [`threads`]: a customer's conversation, and the list of recent ones with their marks.
//!
//! Everything the pages do goes through the same API and scopes as any client.

pub mod assets;
pub mod overview;
pub mod password;
pub mod session;
pub mod sign_in;
pub mod signals;
pub mod stream;
pub mod threads;

use axum::Router;
use axum::routing::{get, post, put};

use super::AppState;

/// What the console keeps: open sessions, who may sign in by name, and the modems' signal
/// history.
#[derive(Debug, Default)]
pub struct Console {
    /// Signed-in browsers.
    pub sessions: session::Sessions,
    /// The API is served over TLS: session cookies are `Secure`.
    pub secure: bool,
    /// `[[console.users]]`: name and password sign-ins.
    pub users: std::sync::Arc<Vec<crate::config::ConsoleUser>>,
    /// Each modem's recent signal readings.
    pub signals: std::sync::Arc<signals::SignalHistory>,
}

impl Console {
    /// A console for an API served over TLS (`secure`) or plain HTTP, with these users.
    pub fn new(secure: bool, users: Vec<crate::config::ConsoleUser>) -> Self {
        Self {
            secure,
            users: std::sync::Arc::new(users),
            ..Self::default()
        }
    }
}

/// Routes anyone may open: the page shell and its files, and signing in.
pub fn open_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(assets::page))
        .route("/console/app.js", get(assets::script))
        .route("/console/app.css", get(assets::style))
        .route("/console/sign-in", get(sign_in::form).post(sign_in::submit))
}

/// Routes behind authentication (a bearer token or a console session).
pub fn protected_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/console/session", get(sign_in::whoami))
        .route("/v1/console/sign-out", post(sign_in::sign_out))
        .route("/v1/console/stream", get(stream::stream))
        .route("/v1/status", get(overview::status))
        .route("/v1/conversations", get(threads::list))
        .route("/v1/conversations/{number}", get(threads::thread))
        .route("/v1/conversations/{number}/marks", put(threads::mark))
}
