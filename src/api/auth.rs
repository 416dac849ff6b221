//! Bearer-token authentication with scopes.
//!
//! The scope a request needs follows from its method and route ([`required_scope`]), so a
//! route added later is covered without touching this file: reads need `read`, writes
//! `admin`, unless listed here.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use tracing::warn;

use super::AppState;
use super::auth_limit::Failure;
use super::error::ApiError;
use crate::config::Scope;
use crate::model::Actor;

/// The scope a request needs: submitting and canceling need `send`; webhook administration
/// `admin`; any other read (and acknowledging the inbox) `read`; any other write `admin`.
pub fn required_scope(method: &Method, route: &str) -> Scope {
    match (method, route) {
        (&Method::POST, "/v1/messages" | "/v1/messages/batch")
        | (&Method::DELETE, "/v1/messages/{id}" | "/v1/messages")
        | (_, "/cgi-bin/sendsms") => Scope::Send,
        (_, r) if r.starts_with("/v1/webhooks") || r == "/v1/audit" => Scope::Admin,
        (&Method::POST, "/v1/inbox/ack")
        | (&Method::PUT, "/v1/conversations/{number}/marks")
        | (&Method::POST, "/v1/console/sign-out") => Scope::Read,
        (&Method::GET | &Method::HEAD, _) => Scope::Read,
        _ => Scope::Admin,
    }
}

/// Requires `Authorization: Bearer <token>` with a configured token holding the scope the
/// route needs — or, without that header, a console session cookie whose sign-in holds it
/// (and, for a write, the session's CSRF token) — unless no tokens are configured (loopback-only set-ups, enforced by config
/// validation). Every configured token is compared, in constant time, whatever matches, and
/// no token is ever logged.
///
/// Failures are counted and limited per client address ([`super::auth_limit`]): a client that
/// failed too often gets `429 too_many_auth_failures` with `Retry-After` before its token is
/// looked at. Refusals are logged with the client and the route, never the token.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.tokens.is_empty() {
        return run_as(Actor(OPEN_API_ACTOR.into()), req, next).await;
    }
    let client = client_address(&req);
    let now = std::time::Instant::now();
    if let Err(wait) = state.auth_failures.admit(client, now) {
        warn!(%client, path = req.uri().path(), "refused: too many failed authentications");
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_auth_failures",
            "too many requests with a missing or unknown token from this address; retry later",
        )
        .into_response();
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from(wait.as_secs().max(1)),
        );
        return resp;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // A browser signed in to the console carries a session cookie instead of a token; a
    // bearer header, when present, wins (API clients never depend on cookies).
    if bearer.is_none()
        && let Some((id, session)) = state.console.sessions.from_headers(req.headers(), now)
    {
        return run_session(&state, (id, session), client, now, req, next).await;
    }
    let presented = bearer;
    let matched = presented.and_then(|p| find_token(&state.tokens, p));
    let Some((index, token)) = matched else {
        let failure = if presented.is_some() {
            Failure::UnknownToken
        } else {
            Failure::MissingToken
        };
        state.auth_failures.record(client, failure, now);
        warn!(%client, path = req.uri().path(), reason = failure.label(), "refused: no valid token");
        let mut resp = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a configured token as `Authorization: Bearer <token>`, or sign in to the console at /console/sign-in",
        )
        .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return resp;
    };
    let route = matched_route(&req);
    let needed = required_scope(req.method(), &route);
    if !token.allows(needed) {
        state
            .auth_failures
            .record(client, Failure::MissingScope, now);
        warn!(%client, path = req.uri().path(), token = token.name.as_deref().unwrap_or("unnamed"), "refused: token lacks the scope");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this token lacks the `{}` scope that {} {route} needs",
                scope_name(needed),
                req.method()
            ),
        )
        .into_response();
    }
    run_as(actor_of(token, index), req, next).await
}

/// The configured token `presented` is, and its place in `server.tokens`. Every token is
/// compared, in constant time, whatever matches.
pub(super) fn find_token<'a>(
    tokens: &'a [crate::config::ApiToken],
    presented: &str,
) -> Option<(usize, &'a crate::config::ApiToken)> {
    tokens.iter().enumerate().fold(None, |found, (i, t)| {
        let eq = constant_time_eq(t.secret.0.as_bytes(), presented.as_bytes());
        if eq && found.is_none() {
            Some((i, t))
        } else {
            found
        }
    })
}

/// Who a token is, for the audit trail and message histories: its name, or its place in
/// `server.tokens` — never the secret.
pub(super) fn actor_of(token: &crate::config::ApiToken, index: usize) -> Actor {
    Actor(
        token
            .name
            .clone()
            .unwrap_or_else(|| format!("server.tokens[{index}]")),
    )
}

/// Runs a request made with a console session: the session's scopes apply, and a write must
/// echo the session's CSRF token in `X-CSRF-Token` (a page of another site cannot read it).
async fn run_session(
    state: &AppState,
    (id, session): (String, super::console::session::Session),
    client: IpAddr,
    now: std::time::Instant,
    mut req: Request,
    next: Next,
) -> Response {
    let route = matched_route(&req);
    let needed = required_scope(req.method(), &route);
    if !session.allows(needed) {
        state
            .auth_failures
            .record(client, Failure::MissingScope, now);
        warn!(%client, path = req.uri().path(), actor = %session.actor.0, "refused: console session lacks the scope");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "your console sign-in lacks the `{}` scope that {} {route} needs",
                scope_name(needed),
                req.method()
            ),
        )
        .into_response();
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let echoed = req
        .headers()
        .get(super::console::session::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| constant_time_eq(v.as_bytes(), session.csrf.as_bytes()));
    if !safe && !echoed {
        warn!(%client, path = req.uri().path(), actor = %session.actor.0, "refused: console write without its CSRF token");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_token_mismatch",
            "a write made with the console's session cookie must carry the session's `X-CSRF-Token`",
        )
        .into_response();
    }
    req.extensions_mut()
        .insert(super::console::session::SignedIn(id));
    run_as(session.actor, req, next).await
}

/// The route pattern the request matched (`/v1/messages/{id}`), else its path.
fn matched_route(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string())
}

/// Who made a request on an API without tokens (loopback only, enforced by validation).
pub const OPEN_API_ACTOR: &str = "open API (no tokens configured)";

/// Runs the request as `actor`: handlers find it in the request, the audit trail
/// ([`super::audit`]) in the response.
async fn run_as(actor: Actor, mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(actor.clone());
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(actor);
    resp
}

/// The peer's address, as the server recorded it (`ConnectInfo`); the unspecified address for
/// a request that came in without one (in-process tests calling the router directly).
pub(super) fn client_address(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

pub(super) fn scope_name(s: Scope) -> &'static str {
    match s {
        Scope::Send => "send",
        Scope::Read => "read",
        Scope::Admin => "admin",
    }
}

/// Compares without an early exit, so timing does not reveal how much of a token matched.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tokens_should_match_and_others_not() {
        assert!(constant_time_eq(b"secret-token-123", b"secret-token-123"));
        assert!(!constant_time_eq(b"secret-token-123", b"secret-token-124"));
        assert!(!constant_time_eq(b"short", b"longer"));
    }

    #[test]
    fn routes_should_need_the_documented_scopes() {
        assert_eq!(required_scope(&Method::POST, "/v1/messages"), Scope::Send);
        assert_eq!(
            required_scope(&Method::DELETE, "/v1/messages/{id}"),
            Scope::Send
        );
        assert_eq!(
            required_scope(&Method::GET, "/v1/messages/{id}"),
            Scope::Read
        );
        assert_eq!(required_scope(&Method::GET, "/metrics"), Scope::Read);
        assert_eq!(required_scope(&Method::POST, "/v1/inbox/ack"), Scope::Read);
        assert_eq!(
            required_scope(&Method::GET, "/v1/webhooks/{name}/dead-letters"),
            Scope::Admin
        );
        assert_eq!(
            required_scope(&Method::POST, "/v1/modems/{id}/reset"),
            Scope::Admin
        );
    }
}
