//! Turning a submit request into a message: one validation path for single, batch and (later)
//! Kannel-compatible submissions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::config::{Config, ConsentConfig, HumanDuration, MessagesConfig};
use crate::consent::{self, CapTally, Refused};
use crate::dispatch::Router;
use crate::gsm::{SegmentOptions, count_parts};
use crate::model::{
    AddressError, Attempt, MessageId, Msisdn, NumberPlan, OutboundMessage, Part, Priority, Sender,
    Status, Timestamp,
};
use crate::store::Store;
use crate::webhook::egress::EgressPolicy;

/// Longest client reference kept.
pub const MAX_REFERENCE_LEN: usize = 256;

/// How far ahead `send_at` may be: a year covers annual reminders; further is a client bug.
pub const MAX_SCHEDULE_AHEAD: Duration = Duration::from_secs(366 * 86_400);

/// `POST /v1/messages` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Recipient, in international (`+358…`, `00358…`) or national form.
    pub to: String,
    /// UTF-8 text; the encoding (GSM 7-bit or UCS-2) is chosen to need the fewest parts.
    pub text: String,
    /// Sender number or alphanumeric name (≤ 11 characters).
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339 time not to send before.
    #[serde(default)]
    pub send_at: Option<String>,
    /// How long to keep trying: `"30m"`, `"2d"`, or seconds as a number.
    #[serde(default)]
    pub validity: Option<Validity>,
    /// `low`, `normal` (default) or `high`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// The client's own reference, returned with the message and its events.
    #[serde(default)]
    pub reference: Option<String>,
    /// Force a route by name instead of the prefix rules.
    #[serde(default)]
    pub route: Option<String>,
    /// Send from this modem (SIM) of a modem-pool route, and no other; the route is the
    /// modem's pool when `route` is absent.
    #[serde(default)]
    pub modem: Option<String>,
    /// An http(s) URL that receives this message's `message.status` events (signed with the
    /// `[callbacks]` secret). Refused when the gateway has no `[callbacks]` table.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Which status changes go to `callback_url` (e.g. `["delivered", "undelivered",
    /// "failed", "expired"]`); every change when absent. Needs `callback_url`.
    #[serde(default)]
    pub callback_events: Option<Vec<Status>>,
    /// The client waits for an answer (opens a conversation for reply matching and sticky
    /// senders); `[conversations] expects_reply` when absent.
    #[serde(default)]
    pub expects_reply: Option<bool>,
    /// Send even in the recipient's quiet hours.
    #[serde(default)]
    pub urgent: bool,
    /// A message the recipient needs whatever their consent (one-time code, receipt): not
    /// counted against frequency caps, and sent to opted-out numbers where
    /// `consent.allow_transactional_to_opted_out` allows.
    #[serde(default)]
    pub transactional: bool,
}

/// Longest accepted `callback_url`.
pub const MAX_CALLBACK_URL_LEN: usize = 2048;

/// A validity as text (`"2d"`) or seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Validity {
    /// Seconds.
    Seconds(u64),
    /// Human duration.
    Text(String),
}

/// The answer to an accepted submission.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The message id.
    pub id: MessageId,
    /// `queued` or `scheduled` (or the current status for a repeated idempotency key).
    pub status: crate::model::Status,
    /// Number of SMS parts.
    pub parts: usize,
    /// `gsm7` or `ucs2`.
    pub encoding: String,
}

impl Accepted {
    /// The summary of a stored message.
    pub fn of(m: &OutboundMessage) -> Self {
        Self {
            id: m.id,
            status: m.status,
            parts: m.parts.len(),
            encoding: m.encoding.clone(),
        }
    }
}

/// What validation needs besides the request.
#[derive(Debug, Clone)]
pub struct SubmitRules {
    /// Limits and defaults.
    pub messages: MessagesConfig,
    /// How national numbers are read.
    pub plan: NumberPlan,
    /// Alphabet choices for part counting.
    pub segment: SegmentOptions,
    /// Where a submission's `callback_url` may point; `None` when no `[callbacks]` table is
    /// configured (a `callback_url` is then refused).
    pub callbacks: Option<Arc<EgressPolicy>>,
    /// Where a Kannel `dlr-url` may point (`[kannel] dlr_allow` and public addresses).
    pub dlr_egress: Arc<EgressPolicy>,
    /// `expects_reply` of a submission that does not say (`[conversations] expects_reply`).
    pub expects_reply_default: bool,
    /// The consent policy (suppression list, frequency caps) of [`SubmitRules::admit`].
    pub consent: Arc<ConsentConfig>,
    /// Per route, its sender identity rules (issue 7 item 7).
    pub senders: Arc<HashMap<String, RouteSenders>>,
    /// The prefix rules, to tell whether a message without a forced route has a route that
    /// can carry its brand-name sender.
    pub router: Arc<Router>,
    /// Each configured modem's route (pool), for a submission's `modem`.
    pub modem_routes: Arc<HashMap<String, String>>,
}

/// What senders a route can carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteSenders {
    /// Brand names are possible: SMPP links whose operator allows them. Modems always send
    /// from their SIM's number (a TS 23.040 SMS-SUBMIT has no originator address).
    pub alphanumeric: bool,
    /// The sender used when a message has none (`[[smpp]] default_sender`).
    pub default: Option<String>,
}

impl SubmitRules {
    /// Rules from the configuration.
    pub fn new(messages: &MessagesConfig) -> Self {
        Self {
            plan: messages.number_plan(),
            segment: SegmentOptions::default(),
            messages: messages.clone(),
            callbacks: None,
            dlr_egress: Arc::new(EgressPolicy::default()),
            expects_reply_default: false,
            consent: Arc::new(ConsentConfig::default()),
            senders: Arc::new(HashMap::new()),
            router: Arc::new(Router::default()),
            modem_routes: Arc::new(HashMap::new()),
        }
    }

    /// Rules from the whole configuration: messages, callbacks, consent and route senders.
    pub fn from_config(config: &Config) -> Self {
        let mut senders = HashMap::new();
        for r in &config.routes {
            let link = config.smpp.iter().find(|l| l.route == r.name);
            senders.insert(
                r.name.clone(),
                RouteSenders {
                    alphanumeric: config.route_carries_brands(&r.name),
                    default: link.and_then(|l| l.default_sender.clone()),
                },
            );
        }
        Self {
            callbacks: config
                .callbacks
                .as_ref()
                .map(|cb| Arc::new(EgressPolicy::new(&cb.allow))),
            dlr_egress: Arc::new(EgressPolicy::new(&config.kannel.dlr_allow)),
            expects_reply_default: config.conversations.expects_reply,
            consent: Arc::new(config.consent.clone()),
            senders: Arc::new(senders),
            router: Arc::new(Router::new(&config.rules)),
            modem_routes: Arc::new(
                config
                    .modems
                    .iter()
                    .map(|m| (m.name.clone(), m.route.clone()))
                    .collect(),
            ),
            ..Self::new(&config.messages)
        }
    }

    /// The consent checks of a validated message, before it is stored: a suppressed
    /// recipient is refused (422 `recipient_opted_out`) unless transactional messages may
    /// reach it; a recipient over a frequency cap is refused (422 `frequency_cap`) or the
    /// message deferred. `tally` carries the counts of earlier messages of the same request.
    pub fn admit(
        &self,
        store: &Store,
        msg: &mut OutboundMessage,
        tally: &mut CapTally,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let route_default = match (&msg.from, &msg.route) {
            (None, Some(r)) => self.senders.get(r).and_then(|s| s.default.clone()),
            _ => None,
        };
        let mut view = None;
        if let Some(d) = route_default.and_then(|d| Sender::parse(&d, &self.plan).ok()) {
            // Check against the sender the route will use, without storing it on the message.
            let mut m = msg.clone();
            m.from = Some(d);
            view = Some(m);
        }
        let result = match view.as_mut() {
            Some(m) => consent::admit(store, &self.consent, m, tally, now).map(|()| {
                msg.send_at = m.send_at;
                msg.expires_at = m.expires_at;
                msg.status = m.status;
                msg.history = m.history.clone();
            }),
            None => consent::admit(store, &self.consent, msg, tally, now),
        };
        result.map_err(|e| match e {
            Refused::OptedOut(..) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..ApiError::field("recipient_opted_out", "to", e.to_string())
            },
            Refused::FrequencyCap(_) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..ApiError::field("frequency_cap", "to", e.to_string())
            },
            Refused::Store(e) => e.into(),
        })
    }

    /// Validates `req` into a new message created at `now`. `route_exists` tells whether a
    /// route name is configured.
    pub fn validate(
        &self,
        req: SubmitRequest,
        now: Timestamp,
        route_exists: impl Fn(&str) -> bool,
    ) -> Result<OutboundMessage, ApiError> {
        let to = Msisdn::parse(&req.to, &self.plan)
            .map_err(|e| ApiError::field("invalid_number", "to", e.to_string()))?;
        let from = match req.from.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(f) => Some(Sender::parse(f, &self.plan).map_err(|e| {
                let status = if matches!(e, AddressError::BadAlphanumeric(_)) {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::BAD_REQUEST
                };
                ApiError {
                    status,
                    ..ApiError::field("invalid_sender", "from", e.to_string())
                }
            })?),
        };
        if let (Some(Sender::Alphanumeric(name)), None) = (&from, &req.route) {
            // The rules' routes for this number: the dispatcher only hands a brand-name
            // message to those that can carry it, so at least one must.
            let routes = self.router.candidates(to.as_str(), &[]);
            let carries = |r: &String| self.senders.get(r).is_none_or(|s| s.alphanumeric);
            if !routes.is_empty() && !routes.iter().any(carries) {
                return Err(ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    ..ApiError::field(
                        "sender_not_allowed",
                        "from",
                        format!(
                            "no route for {to} can send from the name {name:?} (routes: {}): \
                             modems send from their SIM's number, and SMPP links with \
                             alphanumeric_senders = false only from numbers; leave `from` out \
                             or give a number",
                            routes.join(", ")
                        ),
                    )
                });
            }
        }
        if let (Some(Sender::Alphanumeric(name)), Some(route)) = (&from, &req.route) {
            if self.senders.get(route).is_some_and(|s| !s.alphanumeric) {
                return Err(ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    ..ApiError::field(
                        "sender_not_allowed",
                        "from",
                        format!(
                            "route {route:?} cannot send from the name {name:?}: modems send from \
                             their SIM's number, and this SMPP link's operator does not allow \
                             alphanumeric senders; leave `from` out or give a number"
                        ),
                    )
                });
            }
        }
        if req.text.trim().is_empty() {
            // White space alone is no message: a handset would show an empty SMS.
            return Err(ApiError::field(
                "empty_text",
                "text",
                "the text is empty or only white space",
            ));
        }
        let count = count_parts(&req.text, &self.segment);
        if count.parts > self.messages.max_parts {
            return Err(ApiError::field(
                "too_many_parts",
                "text",
                format!(
                    "the text needs {} SMS parts in {}; at most {} are allowed",
                    count.parts,
                    encoding_name(count.encoding),
                    self.messages.max_parts
                ),
            ));
        }
        let send_at = match req.send_at.as_deref() {
            None => None,
            Some(s) => {
                let t = Timestamp::parse_rfc3339(s).ok_or_else(|| {
                    ApiError::field(
                        "invalid_send_at",
                        "send_at",
                        format!("{s:?} is not an RFC 3339 time like 2026-11-23T10:00:00+02:00"),
                    )
                })?;
                if t > now.plus(MAX_SCHEDULE_AHEAD) {
                    return Err(ApiError::field(
                        "invalid_send_at",
                        "send_at",
                        "send_at is more than a year ahead",
                    ));
                }
                // A time in the past means "now"; keeping it would only reorder the queue.
                (t > now).then_some(t)
            }
        };
        let validity = match req.validity {
            None => self.messages.default_validity.get(),
            Some(v) => {
                let d = match v {
                    Validity::Seconds(s) => Duration::from_secs(s),
                    Validity::Text(t) => t
                        .parse::<HumanDuration>()
                        .map_err(|e| ApiError::field("invalid_validity", "validity", e))?
                        .get(),
                };
                if d.is_zero() || d > self.messages.max_validity.get() {
                    return Err(ApiError::field(
                        "invalid_validity",
                        "validity",
                        format!(
                            "validity must be between 1s and {}",
                            self.messages.max_validity
                        ),
                    ));
                }
                d
            }
        };
        if let Some(r) = &req.reference {
            if r.contains('\0') {
                return Err(ApiError::field(
                    "invalid_reference",
                    "reference",
                    "a reference cannot contain NUL characters",
                ));
            }
            if r.len() > MAX_REFERENCE_LEN {
                return Err(ApiError::field(
                    "invalid_reference",
                    "reference",
                    format!("a reference has at most {MAX_REFERENCE_LEN} bytes"),
                ));
            }
        }
        if let Some(route) = &req.route {
            if !route_exists(route) {
                return Err(ApiError::field(
                    "unknown_route",
                    "route",
                    format!("no route is named {route:?}"),
                ));
            }
        }
        let route = match (&req.modem, req.route) {
            (None, route) => route,
            (Some(modem), route) => {
                let Some(pool) = self.modem_routes.get(modem) else {
                    return Err(ApiError::field(
                        "unknown_modem",
                        "modem",
                        format!("no modem is named {modem:?}"),
                    ));
                };
                if route.as_ref().is_some_and(|r| r != pool) {
                    return Err(ApiError::field(
                        "modem_not_in_route",
                        "modem",
                        format!("modem {modem:?} serves route {pool:?}, not the route asked for"),
                    ));
                }
                Some(pool.clone())
            }
        };
        if let Some(url) = &req.callback_url {
            let Some(egress) = &self.callbacks else {
                return Err(ApiError::field(
                    "callbacks_disabled",
                    "callback_url",
                    "this gateway has no [callbacks] table, so it does not call per-message URLs",
                ));
            };
            if url.len() > MAX_CALLBACK_URL_LEN || !crate::config::is_http_url(url) {
                return Err(ApiError::field(
                    "invalid_callback_url",
                    "callback_url",
                    format!("an http:// or https:// URL of at most {MAX_CALLBACK_URL_LEN} bytes"),
                ));
            }
            if let Err(e) = egress.check(url) {
                return Err(ApiError::field(
                    "invalid_callback_url",
                    "callback_url",
                    format!("{e} ([callbacks] allow)"),
                ));
            }
        }
        let callback_events = match req.callback_events {
            None => Vec::new(),
            Some(_) if req.callback_url.is_none() => {
                return Err(ApiError::field(
                    "callback_events_without_url",
                    "callback_events",
                    "callback_events says which events go to callback_url; give a callback_url",
                ));
            }
            Some(events) if events.is_empty() => {
                return Err(ApiError::field(
                    "invalid_callback_events",
                    "callback_events",
                    "name at least one status, or leave callback_events out for every change",
                ));
            }
            Some(mut events) => {
                events.sort();
                events.dedup();
                events
            }
        };
        let starts = send_at.unwrap_or(now);
        let status = if send_at.is_some() {
            Status::Scheduled
        } else {
            Status::Queued
        };
        let parts = (1..=count.parts.max(1))
            .map(|i| Part::pending(i as u8))
            .collect();
        let original = req.to.trim();
        let mut message = OutboundMessage {
            id: MessageId::new_at(now.as_millis()),
            to_original: (original != to.as_str()).then(|| original.to_string()),
            to,
            from,
            text: req.text,
            encoding: encoding_name(count.encoding).to_string(),
            send_at,
            expires_at: starts.plus(validity),
            priority: req.priority.unwrap_or_default(),
            reference: req.reference,
            route,
            modem: req.modem,
            callback_url: req.callback_url,
            callback_events,
            dlr: None,
            expects_reply: req.expects_reply.unwrap_or(self.expects_reply_default),
            reply_received: false,
            urgent: req.urgent,
            transactional: req.transactional,
            status,
            parts,
            history: Vec::new(),
            attempts: Attempt::default(),
            created_at: now,
            updated_at: now,
        };
        message.set_status(status, now, None);
        Ok(message)
    }
}

/// The API name of an encoding.
pub fn encoding_name(e: crate::gsm::Encoding) -> &'static str {
    match e {
        crate::gsm::Encoding::Gsm7 => "gsm7",
        crate::gsm::Encoding::Ucs2 => "ucs2",
        _ => "binary",
    }
}
