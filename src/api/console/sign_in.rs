//! Signing in to the console: `GET /console/sign-in` shows a form, `POST` takes a token
//! (form field `token`), or a `[[console.users]]` name and password (`name` and `token`), and
//! answers with a session cookie and a redirect to the console, so the secret is typed once
//! and never travels in a URL. `GET /v1/console/session` tells the
//! page who it is and the CSRF token its writes echo; `POST /v1/console/sign-out` ends it.
//!
//! Failed sign-ins count against the client's budget like failed bearer tokens
//! ([`crate::api::auth_limit`]); a form posted from another site is refused (a signed-in
//! browser must not be switched to someone else's session behind its back).

use std::net::SocketAddr;

use axum::Form;
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tracing::{info, warn};

use super::super::AppState;
use super::super::auth::{find_token, scope_name};
use super::super::auth_limit::Failure;
use super::assets;
use super::session;
use crate::model::Actor;

/// The form's fields.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    /// A console user's name; empty to sign in with a token.
    #[serde(default)]
    name: String,
    /// The token (as configured in `server.tokens`), or the user's password.
    #[serde(default)]
    token: String,
}

/// Who signs in: the actor and scopes of the token or user that matched.
fn matched(
    state: &AppState,
    name: &str,
    secret: &str,
) -> Option<(Actor, Vec<crate::config::Scope>)> {
    if name.is_empty() {
        return find_token(&state.tokens, secret)
            .map(|(i, t)| (super::super::auth::actor_of(t, i), t.scopes.clone()));
    }
    super::password::sign_in(&state.console.users, name, secret)
        .map(|u| (Actor(format!("console:{}", u.name)), u.scopes.clone()))
}

/// `GET /console/sign-in`.
pub async fn form(State(state): State<AppState>) -> Response {
    if state.tokens.is_empty() {
        // No tokens: the API (loopback only) needs no sign-in.
        return redirect_home(None);
    }
    assets::sign_in_page(StatusCode::OK, None)
}

/// `POST /console/sign-in`.
pub async fn submit(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    form: Result<Form<SignIn>, FormRejection>,
) -> Response {
    if state.tokens.is_empty() {
        return redirect_home(None);
    }
    let client = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let now = std::time::Instant::now();
    if cross_site(&headers) {
        warn!(%client, "refused: console sign-in posted from another site");
        return assets::sign_in_page(
            StatusCode::FORBIDDEN,
            Some("This sign-in came from another site and was refused. Sign in from this page."),
        );
    }
    if let Err(wait) = state.auth_failures.admit(client, now) {
        warn!(%client, "refused console sign-in: too many failed authentications");
        let mut resp = assets::sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed sign-ins from this address. Try again in {} s.",
                wait.as_secs().max(1)
            )),
        );
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return resp;
    }
    let (name, presented) = form
        .map(|Form(f)| (f.name.trim().to_string(), f.token.trim().to_string()))
        .unwrap_or_default();
    let by_name = !name.is_empty();
    let who = if presented.is_empty() {
        None
    } else {
        // A password check is Argon2 (tens of milliseconds): off the runtime.
        let (s, n, p) = (state.clone(), name.clone(), presented.clone());
        tokio::task::spawn_blocking(move || matched(&s, &n, &p))
            .await
            .ok()
            .flatten()
    };
    let Some((actor, scopes)) = who else {
        let failure = match (presented.is_empty(), by_name) {
            (true, _) => Failure::MissingToken,
            (false, true) => Failure::ConsolePassword,
            (false, false) => Failure::UnknownToken,
        };
        state.auth_failures.record(client, failure, now);
        warn!(%client, reason = failure.label(), "refused console sign-in");
        return assets::sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some(match (presented.is_empty(), by_name) {
                (true, true) => "Enter your password.",
                (true, false) => "Enter a token, or your name and password.",
                (false, true) => {
                    "That name and password are not accepted. Check them and try again."
                }
                (false, false) => "That token is not accepted. Check it and try again.",
            }),
        );
    };
    match state.console.sessions.open(actor, scopes, now) {
        Ok((id, s)) => {
            info!(%client, actor = %s.actor.0, "console sign-in");
            redirect_home(Some(session::set_cookie(&id, state.console.secure)))
        }
        Err(e) => {
            warn!(cause = %e, "cannot open a console session");
            assets::sign_in_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(
                    "The gateway cannot open a session now (its random source failed). See its log.",
                ),
            )
        }
    }
}

/// Whether the browser says the request came from another site. Fetch Metadata
/// (`Sec-Fetch-Site`, sent by every current browser) decides when present; else an `Origin`
/// naming another host than the one the request was sent to. (A form posted from this very
/// page may carry `Origin: null` under a strict referrer policy: that alone is not refused.)
fn cross_site(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site != "same-origin" && site != "none";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some("null") | None, _) | (_, None) => false,
        (Some(origin), Some(host)) => {
            let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
            authority != host
        }
    }
}

fn redirect_home(cookie: Option<String>) -> Response {
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn session_of(state: &AppState, headers: &HeaderMap) -> Option<(String, session::Session)> {
    state
        .console
        .sessions
        .from_headers(headers, std::time::Instant::now())
}

/// `GET /v1/console/session`: who the page acts as, what it may do, and the CSRF token its
/// writes carry (`null` for a bearer-token client, whose writes need none).
pub async fn whoami(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
) -> Response {
    let open = state.tokens.is_empty();
    let (scopes, csrf) = match session_of(&state, &headers) {
        Some((_, s)) => (
            s.scopes.iter().map(|s| scope_name(*s)).collect::<Vec<_>>(),
            Some(s.csrf),
        ),
        None if open => (vec!["send", "read", "admin"], None),
        None => {
            // A bearer token: its scopes are the one that matched.
            let scopes = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(|p| find_token(&state.tokens, p.trim()))
                .map(|(_, t)| t.scopes.iter().map(|s| scope_name(*s)).collect())
                .unwrap_or_default();
            (scopes, None)
        }
    };
    let mut resp = Json(json!({
        "actor": actor.0,
        "scopes": scopes,
        "csrf": csrf,
        "sign_in_needed": !open,
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `POST /v1/console/sign-out`: ends the session and clears its cookie.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some((id, s)) = session_of(&state, &headers) {
        state.console.sessions.close(&id);
        info!(actor = %s.actor.0, "console sign-out");
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(c) = HeaderValue::from_str(&session::clear_cookie(state.console.secure)) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_sign_in_from_another_site_should_be_told_apart_from_one_from_this_page() {
        assert!(!cross_site(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(cross_site(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!cross_site(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(
            !cross_site(&headers(&[])),
            "a script without a browser: nothing to go by"
        );
    }
}
