//! `GET|POST /cgi-bin/sendsms`: Kannel's smsbox sendsms interface, so that scripts and
//! applications written for Kannel (playSMS, RapidPro, home-grown scripts) submit through
//! smsgw unchanged and get the answers they parse.
//!
//! The answers are Kannel's protocol strings with Kannel's status codes (smsbox's delayed
//! reply: `0: Accepted for delivery` and `3: Queued for later delivery` with 202, `Not
//! routable. Do not try again.` 403, `Temporal failure, try again later.` 503, and the
//! `… misformed, rejected` 400s). Where smsgw refuses what Kannel would pass on (an invalid
//! number format, binary messages), the text follows Kannel's style and says smsgw. Every
//! accepted message's id is in the `X-Smsgw-Message-Id` header (comma-separated for several
//! receivers). What is and is not supported is listed in the README ("Kannel compatibility").

use axum::body::Bytes;
use std::net::{IpAddr, SocketAddr};

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::constant_time_eq;
use super::auth_limit::Failure;
use super::kannel_params::{Params, decode_text};
use super::submit::{SubmitRequest, Validity};
use crate::config::KannelUser;
use crate::dispatch::Readiness;
use crate::model::{Actor, DlrRequest, MessageId, Priority, Timestamp};
use crate::store::{Inserted, NewMessage};

/// smsbox's answer when bearerbox accepted the message.
pub const ACCEPTED: &str = "0: Accepted for delivery";
/// smsbox's answer when bearerbox stored it because no SMSC could take it now.
pub const QUEUED: &str = "3: Queued for later delivery";
/// Bad credentials (403).
pub const AUTH_FAILED: &str = "Authorization failed for sendsms";
/// Too many failed logins from this address (smsgw only: Kannel does not limit them).
pub const TOO_MANY_FAILURES: &str = "Too many failed authorizations, try again later";
/// No `to` (400).
pub const MISSING_RECEIVER: &str = "Missing receiver number, rejected";
/// `to=` empty (400).
pub const EMPTY_RECEIVER: &str = "Empty receiver number not allowed, rejected";
/// Every receiver refused (400).
pub const ALL_DENIED: &str = "Number(s) has/have been denied by white- and/or black-lists.";
/// The `smsc` names no route (403).
pub const NOT_ROUTABLE: &str = "Not routable. Do not try again.";
/// Back-pressure or a store that cannot write (503).
pub const TEMPORARY: &str = "Temporal failure, try again later.";

/// The response header with smsgw's message ids.
pub const MESSAGE_ID_HEADER: &str = "x-smsgw-message-id";

fn answer(status: StatusCode, text: &str, ids: &[MessageId]) -> Response {
    let mut resp = (status, text.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if !ids.is_empty() {
        let list = ids
            .iter()
            .map(MessageId::to_string)
            .collect::<Vec<_>>()
            .join(",");
        if let Ok(v) = HeaderValue::from_str(&list) {
            h.insert(MESSAGE_ID_HEADER, v);
        }
    }
    resp
}

fn rejected(text: &str) -> Response {
    answer(StatusCode::BAD_REQUEST, text, &[])
}

fn temporary(retry_after: u32) -> Response {
    let mut r = answer(StatusCode::SERVICE_UNAVAILABLE, TEMPORARY, &[]);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

/// Reads the request's variables: the query string, then a form body, or (for a plain-text
/// POST) the body as `text` with the `X-Kannel-*` headers.
fn params(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> (Params, Option<String>) {
    let mut p = Params::default();
    if let Some(q) = uri.query() {
        p.add_form(q.as_bytes());
    }
    let mut charset = None;
    if method == Method::POST {
        let ctype = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        charset = ctype
            .split(';')
            .filter_map(|s| s.trim().strip_prefix("charset="))
            .map(|s| s.trim_matches('"').to_string())
            .next();
        if ctype.starts_with("application/x-www-form-urlencoded") {
            p.add_form(body);
        } else {
            p.add_kannel_headers(headers);
            if !body.is_empty() {
                p.add("text", body.to_vec());
            }
        }
    }
    (p, charset)
}

fn authorise<'a>(users: &'a [KannelUser], p: &Params) -> Option<&'a KannelUser> {
    let name = p.text(&["username", "user"])?;
    let pass = p.text(&["password", "pass"])?;
    // Every user's password is compared, so timing does not tell which names exist.
    users.iter().fold(None, |found, u| {
        let ok = constant_time_eq(u.password.0.as_bytes(), pass.as_bytes()) && u.username == name;
        if ok && found.is_none() {
            Some(u)
        } else {
            found
        }
    })
}

/// Options smsgw does not implement, with the values Kannel 1.4.5 accepts for them: a value
/// in range is refused as not supported rather than silently ignored; one out of range, or
/// not a number, is misformed as in Kannel.
const UNSUPPORTED: [(&str, &str, i64); 6] = [
    ("mclass", "MClass", 3),
    ("pid", "PID", 255),
    ("rpi", "RPI", 2),
    ("alt-dcs", "Alt-DCS", 1),
    ("mwi", "MWI", 7),
    ("compress", "Compress", 1),
];

fn misformed(name: &str) -> Response {
    rejected(&format!("{name} field misformed, rejected"))
}

/// A number variable; `Err` for a value that is not a whole number. Kannel
/// reads these with `sscanf("%d")` and silently drops what does not parse (`dlr-mask=abc`
/// asks for no reports, `priority=high` is normal): smsgw refuses them with Kannel's own
/// `… field misformed` text instead, so a typo does not go unnoticed.
/// `Err` carries the field's name for [`misformed`].
fn number<'a>(p: &Params, names: &[&str], field: &'a str) -> Result<Option<i64>, &'a str> {
    p.number(names).map_err(|_| field)
}

/// `GET|POST /cgi-bin/sendsms`.
pub async fn sendsms(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Wrong passwords are counted and limited per client address like bad bearer tokens
    // (`api::auth_limit`): Kannel passwords are often short, so guessing must not be free.
    let client = connect.map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.0.ip());
    let now = std::time::Instant::now();
    if let Err(wait) = state.auth_failures.admit(client, now) {
        tracing::warn!(target: "smsgw::api", %client, "kannel sendsms refused: too many failed logins");
        let mut resp = answer(StatusCode::TOO_MANY_REQUESTS, TOO_MANY_FAILURES, &[]);
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return resp;
    }
    let (p, body_charset) = params(&method, &uri, &headers, &body);
    let Some(user) = authorise(&state.kannel.users, &p) else {
        state
            .auth_failures
            .record(client, Failure::KannelPassword, now);
        tracing::warn!(target: "smsgw::api", %client, "kannel sendsms refused: unknown user or password");
        return answer(StatusCode::FORBIDDEN, AUTH_FAILED, &[]);
    };
    let mut resp = submit_as(&state, user, &p, body_charset).await;
    // The audit trail records the Kannel user as who made the request (`api::audit`).
    resp.extensions_mut()
        .insert(Actor(format!("kannel:{}", user.username)));
    resp
}

/// `sendsms` for an authenticated `user`.
async fn submit_as(
    state: &AppState,
    user: &KannelUser,
    p: &Params,
    body_charset: Option<String>,
) -> Response {
    let Some(to) = p.text(&["to"]) else {
        return rejected(MISSING_RECEIVER);
    };
    if to.trim().is_empty() {
        return rejected(EMPTY_RECEIVER);
    }
    if p.raw("udh").is_some_and(|u| !u.is_empty()) {
        return rejected("UDH field is not supported by smsgw, rejected");
    }
    for (key, name, max) in UNSUPPORTED {
        match number(p, &[key], name) {
            Err(f) => return misformed(f),
            Ok(None | Some(-1)) => {}
            Ok(Some(v)) if (0..=max).contains(&v) => {
                return rejected(&format!("{name} field is not supported by smsgw, rejected"));
            }
            Ok(Some(_)) => return misformed(name),
        }
    }
    let dlr_url = p.text(&["dlr-url", "dlrurl"]).filter(|u| !u.is_empty());
    if let Some(u) = &dlr_url {
        let lower = u.to_ascii_lowercase();
        if u.len() < 8 || !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return rejected("DLR-URL field misformed, rejected");
        }
        // Kannel fetches any URL; smsgw only public addresses and `[kannel] dlr_allow`
        // (`webhook::egress`), so a client cannot make the gateway call into its network.
        if let Err(e) = state.rules.dlr_egress.check(u) {
            return rejected(&format!(
                "DLR-URL field not allowed ({e}; [kannel] dlr_allow), rejected"
            ));
        }
    }
    let dlr_mask = match number(p, &["dlr-mask", "dlrmask"], "DLR-Mask") {
        Err(f) => return misformed(f),
        // Kannel 1.4.5's smsbox takes -1 to 66 (measured: 67 and up, and -2, are misformed);
        // bits smsgw has no report for (4 queued on SMSC, 32, 64) simply never fire.
        Ok(m) if m.is_some_and(|m| !(-1..=66).contains(&m)) => return misformed("DLR-Mask"),
        Ok(m) => m,
    };
    let coding = match number(p, &["coding"], "Coding") {
        Err(f) => return misformed(f),
        Ok(c) => c.unwrap_or(-1),
    };
    if !(-1..=2).contains(&coding) {
        return misformed("Coding");
    }
    if coding == 1 {
        return rejected("8-bit coding is not supported by smsgw, rejected");
    }
    let validity = match number(p, &["validity"], "Validity") {
        Err(f) => return misformed(f),
        Ok(v) if v.is_some_and(|v| v < -1) => return misformed("Validity"),
        Ok(v) => v,
    };
    let deferred = match number(p, &["deferred"], "Deferred") {
        Err(f) => return misformed(f),
        Ok(v) if v.is_some_and(|v| v < -1) => return misformed("Deferred"),
        Ok(v) => v,
    };
    let priority = match number(p, &["priority"], "Priority") {
        Err(f) => return misformed(f),
        Ok(None | Some(-1)) => None,
        Ok(Some(0)) => Some(Priority::Low),
        Ok(Some(1)) => Some(Priority::Normal),
        Ok(Some(2 | 3)) => Some(Priority::High),
        Ok(Some(_)) => return misformed("Priority"),
    };
    let charset = p
        .text(&["charset"])
        .or(body_charset)
        .unwrap_or_else(|| if coding == 2 { "UTF-16BE" } else { "UTF-8" }.to_string());
    let raw_text = p.raw("text").unwrap_or_default();
    let Some(text) = decode_text(raw_text, &charset) else {
        return rejected("Charset or body misformed, rejected");
    };
    let from = p
        .text(&["from"])
        .filter(|f| !f.trim().is_empty())
        .or_else(|| user.default_sender.clone());
    let smsc = p.text(&["smsc"]).filter(|s| !s.is_empty());
    let now = Timestamp::now();
    let send_at = deferred.filter(|&d| d > 0).map(|d| {
        now.plus(std::time::Duration::from_secs(d as u64 * 60))
            .to_rfc3339()
    });
    let dlr = match (dlr_url, dlr_mask) {
        (Some(url), Some(mask)) if mask > 0 => Some(DlrRequest {
            url,
            mask: mask as u8,
            user: Some(user.username.clone()),
        }),
        // "No reports": kept, so an SMPP link that honours dlr-mask asks the SMSC for none
        // (a mask of 0 is never called back).
        (url, Some(0)) => Some(DlrRequest {
            url: url.unwrap_or_default(),
            mask: 0,
            user: Some(user.username.clone()),
        }),
        _ => None,
    };

    let receivers: Vec<&str> = to.split_whitespace().collect();
    if let Err(e) = state.pressure.admit(receivers.len() as u64) {
        return temporary(e.retry_after.unwrap_or(30));
    }
    let mut messages = Vec::with_capacity(receivers.len());
    let mut tally = crate::consent::CapTally::default();
    for r in &receivers {
        let req = SubmitRequest {
            to: (*r).to_string(),
            text: text.clone(),
            from: from.clone(),
            send_at: send_at.clone(),
            validity: validity
                .filter(|&v| v > 0)
                .map(|v| Validity::Seconds(v as u64 * 60)),
            priority,
            reference: None,
            route: smsc.clone(),
            modem: None,
            callback_url: None,
            callback_events: None,
            expects_reply: None,
            urgent: false,
            transactional: false,
        };
        match state
            .rules
            .validate(req, now, |n| state.dispatch.has_route(n))
        {
            Ok(mut m) => {
                // Consent as for /v1/messages; a refused receiver is skipped like an
                // invalid one (Kannel answers for the whole request).
                match state.rules.admit(&state.store, &mut m, &mut tally, now) {
                    Ok(()) => {}
                    Err(e) if e.code == "recipient_opted_out" || e.code == "frequency_cap" => {
                        continue;
                    }
                    Err(_) => return temporary(5),
                }
                m.dlr = dlr.clone();
                messages.push(NewMessage {
                    message: m,
                    idempotency_key: None,
                });
            }
            Err(e) => match e.code {
                "invalid_number" => {}
                "unknown_route" => return answer(StatusCode::FORBIDDEN, NOT_ROUTABLE, &[]),
                "invalid_sender" => return rejected("Sender field misformed, rejected"),
                "empty_text" => return rejected("Empty text not allowed, rejected"),
                "too_many_parts" => return rejected("Text too long, rejected"),
                "invalid_validity" => return rejected("Validity field misformed, rejected"),
                "invalid_send_at" => return rejected("Deferred field misformed, rejected"),
                _ => return rejected(&format!("{}, rejected", e.message)),
            },
        }
    }
    if messages.is_empty() {
        return rejected(ALL_DENIED);
    }
    let count = messages.len() as u64;
    let inserted = match state.store.writer().insert_outbound(messages).wait().await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(target: "smsgw::api", cause = %e, "kannel sendsms: store error");
            return temporary(5);
        }
    };
    state.pressure.accepted(count);
    if let Err(e) = state.store.durable().await {
        tracing::error!(target: "smsgw::api", cause = %e, "kannel sendsms: flush failed");
        return temporary(5);
    }
    state.dispatch.notify();
    let ids: Vec<MessageId> = inserted
        .into_iter()
        .map(|i| match i {
            Inserted::New(m) | Inserted::Existing(m) => m.id,
        })
        .collect();
    let any_route_up = state
        .dispatch
        .readiness()
        .iter()
        .any(|(_, r)| matches!(r, Readiness::Ready { .. }));
    let text = if any_route_up { ACCEPTED } else { QUEUED };
    answer(StatusCode::ACCEPTED, text, &ids)
}
