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
        (&Method::POST, "/v1/inbox/ack") => Scope::Read,
        (&Method::GET | &Method::HEAD, _) => Scope::Read,
        _ => Scope::Admin,
    }
}

/// Requires `Authorization: Bearer <token>` with a configured token holding the scope the
/// route needs, unless no tokens are configured (loopback-only set-ups, enforced by config
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
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .or_else(|| page_token(&req));
    let matched = presented.and_then(|p| {
        state.tokens.iter().enumerate().fold(None, |found, (i, t)| {
            let eq = constant_time_eq(t.secret.0.as_bytes(), p.as_bytes());
            if eq && found.is_none() {
                Some((i, t))
            } else {
                found
            }
        })
    });
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
            "send a configured token as `Authorization: Bearer <token>`",
        )
        .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return resp;
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
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
    // Who it is, for the audit trail and message histories: the token's name, or its place
    // in `server.tokens` — never the secret.
    let actor = Actor(
        token
            .name
            .clone()
            .unwrap_or_else(|| format!("server.tokens[{index}]")),
    );
    run_as(actor, req, next).await
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

fn scope_name(s: Scope) -> &'static str {
    match s {
        Scope::Send => "send",
        Scope::Read => "read",
        Scope::Admin => "admin",
    }
}

/// The status page (`GET /`) may carry its token as `?access_token=` (RFC 6750 §2.3), since a
/// browser cannot send a bearer header when navigating; nowhere else is a token in a URL
/// accepted.
fn page_token(req: &Request) -> Option<&str> {
    if req.method() != Method::GET || req.uri().path() != "/" {
        return None;
    }
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("access_token="))
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
