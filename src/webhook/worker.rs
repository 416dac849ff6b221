//! One task per target: reads the event log after its cursor, keeps the target's deliveries,
//! and sends them — at most `max_in_flight` at once, one at a time per message, in event order —
//! retrying with backoff until `retry_for` runs out.
//!
//! The worker never touches the dispatcher: a slow or dead target only grows its own backlog.
//! In memory it holds at most [`MAX_IN_MEMORY`] deliveries; beyond that the events simply wait
//! in the log after the cursor.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::backoff;
use super::kannel_dlr;
use super::payload::{received_document, status_document, type_name};
use super::queue::Queue;
use super::sign::{EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use super::transport::{HttpMethod, HttpRequest, Transport};
use crate::config::{DeliveryConfig, Template};
use crate::dispatch::Clock;
use crate::model::{Event, EventKind, MessageId, Status, Timestamp};
use crate::store::webhook::Delivery;
use crate::store::{Pending, Store, StoreError};

/// Events read from the log per store read.
const FAN_OUT_BATCH: usize = 256;
/// Deliveries one worker keeps in memory; more wait in the log (bounded memory for a target
/// that is down for hours under load).
pub const MAX_IN_MEMORY: usize = 10_000;
/// Pause after a store error before trying again (the store is the truth; nothing is lost).
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// One place events go.
#[derive(Clone)]
pub struct Target {
    /// Store name of the target (cursor, queue, dead letters) and its metrics label.
    pub name: String,
    /// Where to POST; `None` for the per-message callback target (each delivery has its URL).
    pub url: Option<String>,
    /// HMAC key.
    pub secret: Vec<u8>,
    /// Which events it wants.
    pub events: Vec<EventKind>,
    /// What kind of target it is.
    pub kind: TargetKind,
    /// Body template, when the target wants a ready-made body.
    pub template: Option<Template>,
    /// Which received messages it takes (`[[inbound_routes]]` naming it), and their templates.
    pub inbound: super::inbound_routes::InboundFilter,
    /// Timeouts and retry pacing.
    pub delivery: DeliveryConfig,
    /// For targets whose URLs clients chose (callbacks, Kannel `dlr-url`): what they may
    /// reach. `None` for operator-configured webhooks, which may target anything.
    pub egress: Option<Arc<super::egress::EgressPolicy>>,
}

impl std::fmt::Debug for Target {
    // The secret is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// Where a target's deliveries go and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A configured webhook: POST the event document (or its template) to `url`.
    Webhook,
    /// Each message's own `callback_url`: POST the event document there.
    Callback,
    /// Each message's Kannel `dlr-url`: GET it with the escapes filled, for the report types
    /// its `dlr-mask` asks for.
    KannelDlr,
}

/// Live figures of one target, for metrics and the API.
#[derive(Debug, Default)]
pub struct TargetStats {
    /// Deliveries waiting (in memory; the log may hold more when this reaches the cap).
    pub backlog: AtomicU64,
    /// Acknowledged deliveries since start.
    pub delivered: AtomicU64,
    /// Failed attempts since start.
    pub failed_attempts: AtomicU64,
    /// Deliveries moved to the dead-letter list since start.
    pub dead_lettered: AtomicU64,
    /// Since when (ms since the epoch) every attempt failed; 0 while the target answers
    /// ("down since noon" on the console).
    pub failing_since: AtomicU64,
    /// The last failure's reason, while `failing_since` is set.
    pub last_error: parking_lot::Mutex<Option<String>>,
}

impl TargetStats {
    /// A delivery was acknowledged: the target answers.
    fn answered(&self) {
        self.failing_since.store(0, Ordering::Relaxed);
        *self.last_error.lock() = None;
    }

    /// An attempt failed at `now` with `error`.
    fn failed(&self, now: Timestamp, error: &str) {
        let _ = self.failing_since.compare_exchange(
            0,
            now.as_millis().max(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        *self.last_error.lock() = Some(error.to_string());
    }

    /// Since when the target has been failing, if it is.
    pub fn failing(&self) -> Option<(Timestamp, Option<String>)> {
        match self.failing_since.load(Ordering::Relaxed) {
            0 => None,
            ms => Some((Timestamp(ms), self.last_error.lock().clone())),
        }
    }
}

/// The delivery loop of one target.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The store (event log, cursor, deliveries).
    pub store: Arc<Store>,
    /// The target.
    pub target: Arc<Target>,
    /// How requests go out.
    pub transport: Arc<dyn Transport>,
    /// Wall time (tokio-driven in tests).
    pub clock: Arc<dyn Clock>,
    /// Figures.
    pub stats: Arc<TargetStats>,
    /// Told when dead letters were revived, to reload the queue from the store.
    pub reload: Arc<Notify>,
}

type Attempt = (Delivery, Result<(), String>, Timestamp);

/// Events read from the log, on their way into the target's queue: the log position they
/// reach and their deliveries, once queued in the store and durable.
type Staged = Result<(u64, Vec<Delivery>), StoreError>;

struct State {
    /// The log position whose events are all queued (durably) or not for this target.
    cursor: u64,
    pending: Queue,
    tasks: JoinSet<Attempt>,
    task_message: HashMap<tokio::task::Id, (u64, MessageId)>,
    /// The batch being queued and made durable, while requests go on: at most one at a time,
    /// so batches enter the queue in log order.
    staging: Option<tokio::task::JoinHandle<Staged>>,
    /// The messages of recent events, so each is decoded once for all its events.
    messages: super::sent_messages::SentMessages,
}

impl Worker {
    /// Runs until `stop`. Requests in flight at that moment are abandoned: they were not
    /// acknowledged, so they are sent again after the restart (at least once).
    /// `started` is the fixing of the target's cursor ([`crate::store::Writer::webhook_start`]).
    pub async fn run(self, started: Pending<u64>, stop: CancellationToken) {
        if let Err(e) = started.wait().await {
            warn!(target: "smsgw::webhook", webhook = %self.target.name, cause = %e, "cannot fix the webhook cursor");
        }
        let mut events = self.store.subscribe_events();
        let mut state = loop {
            match self.load() {
                Ok(s) => break s,
                Err(e) => {
                    warn!(target: "smsgw::webhook", webhook = %self.target.name, cause = %e, "cannot read webhook state");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(STORE_ERROR_PAUSE) => continue,
                    }
                }
            }
        };
        loop {
            events.borrow_and_update();
            let mut pause = None;
            if state.staging.is_none() {
                match self.read_new(&mut state) {
                    Ok(Some((last, deliveries))) => {
                        state.staging = Some(tokio::spawn(self.clone().stage(last, deliveries)));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        warn!(target: "smsgw::webhook", webhook = %self.target.name, cause = %e, "cannot read events");
                        pause = Some(STORE_ERROR_PAUSE);
                    }
                }
            }
            let wake_at = self.start_due(&mut state);
            self.stats
                .backlog
                .store(state.pending.len() as u64, Ordering::Relaxed);
            let sleep = pause.or(wake_at.map(|t| self.clock.now().until(t)));
            tokio::select! {
                _ = stop.cancelled() => break,
                changed = events.changed() => if changed.is_err() { break },
                _ = self.reload.notified() => self.reload_from_store(&mut state),
                staged = staged(&mut state.staging) => {
                    state.staging = None;
                    match staged {
                        Ok(Ok((last, deliveries))) => {
                            state.cursor = last;
                            for d in deliveries {
                                state.pending.insert(d);
                            }
                        }
                        Ok(Err(e)) => {
                            warn!(target: "smsgw::webhook", webhook = %self.target.name, cause = %e, "cannot queue events");
                            tokio::select! {
                                _ = stop.cancelled() => break,
                                _ = tokio::time::sleep(STORE_ERROR_PAUSE) => {}
                            }
                        }
                        Err(e) => warn!(target: "smsgw::webhook", webhook = %self.target.name, cause = %e, "queueing events stopped"),
                    }
                }
                Some(joined) = state.tasks.join_next_with_id(), if !state.tasks.is_empty() => {
                    // Every request that ended meanwhile is taken in this same turn: one
                    // bookkeeping write for all that went through, and free places are
                    // filled at once (a turn per request capped the rate at
                    // max_in_flight per turn).
                    let mut done = Vec::new();
                    done.extend(self.finish(&mut state, joined));
                    while let Some(joined) = state.tasks.try_join_next_with_id() {
                        done.extend(self.finish(&mut state, joined));
                    }
                    if !done.is_empty() {
                        warn_if_unwritten(
                            self.store.writer().webhook_done(&self.target.name, done),
                            &self.target.name,
                            "cannot record deliveries; they will be sent again",
                        );
                    }
                }
                _ = sleep_for(sleep) => {}
            }
        }
        state.tasks.abort_all();
        if let Some(staging) = state.staging {
            staging.abort();
        }
    }

    fn load(&self) -> Result<State, StoreError> {
        let cursor = self.store.webhook_cursor(&self.target.name)?;
        let mut pending = Queue::default();
        for d in self
            .store
            .webhook_pending(&self.target.name)?
            .into_iter()
            .take(MAX_IN_MEMORY)
        {
            pending.insert(d);
        }
        Ok(State {
            cursor,
            pending,
            tasks: JoinSet::new(),
            task_message: HashMap::new(),
            staging: None,
            messages: Default::default(),
        })
    }

    fn reload_from_store(&self, state: &mut State) {
        match self.store.webhook_pending(&self.target.name) {
            Ok(all) => {
                // A batch still being made durable is left to its staging: nothing is sent
                // before a crash could no longer undo it.
                for d in all
                    .into_iter()
                    .filter(|d| d.seq <= state.cursor)
                    .take(MAX_IN_MEMORY)
                {
                    state.pending.insert(d);
                }
            }
            Err(e) => {
                warn!(target: "smsgw::webhook", webhook = %self.target.name, cause = %e, "cannot reload deliveries")
            }
        }
    }

    /// New events after the cursor, as this target's deliveries, and the log position they
    /// reach; `None` when there are none or the queue in memory is full.
    fn read_new(&self, state: &mut State) -> Result<Option<(u64, Vec<Delivery>)>, StoreError> {
        if state.pending.len() >= MAX_IN_MEMORY {
            return Ok(None);
        }
        let events = self.store.events_after(state.cursor, FAN_OUT_BATCH)?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mut deliveries = Vec::new();
        for e in &events {
            if let Some(d) = self.delivery_for(e, now, &mut state.messages)? {
                deliveries.push(d);
            }
        }
        Ok(Some((last, deliveries)))
    }

    /// Queues `deliveries` in the store with the cursor moved to `last`, durably: never
    /// announce a change that a crash could still undo.
    async fn stage(self, last: u64, deliveries: Vec<Delivery>) -> Staged {
        let any = !deliveries.is_empty();
        let deliveries = self
            .store
            .writer()
            .webhook_enqueue(&self.target.name, deliveries, last)
            .wait()
            .await?;
        if any {
            self.store.durable().await?;
        }
        Ok((last, deliveries))
    }

    fn delivery_for(
        &self,
        e: &Event,
        now: Timestamp,
        messages: &mut super::sent_messages::SentMessages,
    ) -> Result<Option<Delivery>, StoreError> {
        if !self.target.events.contains(&e.kind) {
            return Ok(None);
        }
        let (payload, url) = match e.kind {
            EventKind::MessageStatus => {
                let asked = match self.target.kind {
                    TargetKind::Webhook => true,
                    TargetKind::Callback => e.may_ask(Event::ASKS_CALLBACK),
                    TargetKind::KannelDlr => e.may_ask(Event::ASKS_DLR),
                };
                if !asked {
                    return Ok(None);
                }
                let Some(m) = messages.get(e.message_id, || self.store.get(e.message_id))? else {
                    return Ok(None);
                };
                let url = match self.target.kind {
                    TargetKind::Webhook => None,
                    TargetKind::Callback => match &m.callback_url {
                        Some(u) if asked_for(&m.callback_events, e.status) => Some(u.clone()),
                        _ => return Ok(None),
                    },
                    TargetKind::KannelDlr => match kannel_dlr_url(e, m) {
                        Some(u) => Some(u),
                        None => return Ok(None),
                    },
                };
                (status_document(e, m), url)
            }
            EventKind::MessageReceived => {
                if self.target.kind != TargetKind::Webhook {
                    return Ok(None);
                }
                let Some(m) = self.store.get_inbound(e.message_id)? else {
                    return Ok(None);
                };
                if !self.target.inbound.takes(m.inbound_rule.as_deref()) {
                    return Ok(None);
                }
                (received_document(e, &m), None)
            }
        };
        Ok(Some(Delivery {
            seq: e.seq,
            kind: e.kind,
            message_id: e.message_id,
            url,
            payload,
            attempts: 0,
            first_attempt_at: None,
            next_at: now,
            last_error: None,
        }))
    }

    /// Starts every delivery that may go now; returns when the next waiting one is due.
    fn start_due(&self, state: &mut State) -> Option<Timestamp> {
        let room = self
            .target
            .delivery
            .max_in_flight
            .saturating_sub(state.tasks.len());
        let (starting, wake) = state.pending.start_due(self.clock.now(), room);
        for d in starting {
            let (seq, message) = (d.seq, d.message_id);
            let handle = state.tasks.spawn(attempt(
                self.target.clone(),
                self.transport.clone(),
                self.clock.clone(),
                d,
            ));
            state.task_message.insert(handle.id(), (seq, message));
        }
        wake
    }

    /// Takes one ended request; the event's sequence number when it went through (its
    /// bookkeeping is the caller's, batched).
    fn finish(
        &self,
        state: &mut State,
        joined: Result<(tokio::task::Id, Attempt), tokio::task::JoinError>,
    ) -> Option<u64> {
        let (id, outcome) = match joined {
            Ok((id, a)) => (id, Some(a)),
            Err(e) => (e.id(), None),
        };
        let (seq, message) = state.task_message.remove(&id)?;
        let name = &self.target.name;
        let (result, started) = match outcome {
            Some((_, r, started)) => (r, started),
            None => (
                Err("the delivery task stopped unexpectedly".to_string()),
                self.clock.now(),
            ),
        };
        match result {
            Ok(()) => {
                state.pending.finish(seq);
                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                self.stats.answered();
                debug!(target: "smsgw::webhook", webhook = %name, event = seq, "delivered");
                Some(seq)
            }
            Err(err) => {
                self.stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                let now = self.clock.now();
                self.stats.failed(now, &err);
                let cfg = &self.target.delivery;
                let mut gave_up = false;
                let Some(d) = state.pending.retry(seq, |d| {
                    d.attempts += 1;
                    let first = *d.first_attempt_at.get_or_insert(started);
                    d.last_error = Some(err.clone());
                    gave_up = backoff::exhausted(cfg, first, now);
                    if !gave_up {
                        d.next_at = now.plus(backoff::delay(cfg, d.attempts, fastrand::f64()));
                    }
                }) else {
                    // Not held any more (reloaded away): its message may go on all the same.
                    state.pending.release(message);
                    return None;
                };
                if gave_up {
                    warn!(target: "smsgw::webhook", webhook = %name, event = seq, attempts = d.attempts, cause = %err,
                        "giving up on an event after retry_for; it is in the dead-letter list");
                    let dead = state.pending.finish(seq);
                    self.stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    if let Some(dead) = dead {
                        warn_if_unwritten(
                            self.store.writer().webhook_bury(name, dead),
                            name,
                            "cannot move an event to the dead-letter list",
                        );
                    }
                } else {
                    info!(target: "smsgw::webhook", webhook = %name, event = seq, attempts = d.attempts, cause = %err,
                        retry_in = %crate::telemetry::Short(now.until(d.next_at)), "webhook delivery failed");
                    warn_if_unwritten(
                        self.store.writer().webhook_retry_later(name, d.clone()),
                        name,
                        "cannot record a failed attempt",
                    );
                }
                None
            }
        }
    }
}

/// Logs a delivery's bookkeeping write that failed, without holding the worker's loop for
/// it: the writer applies changes in the order they were queued, and a lost one only means
/// the event is sent again.
fn warn_if_unwritten(write: Pending<()>, webhook: &str, what: &'static str) {
    let webhook = webhook.to_string();
    tokio::spawn(async move {
        if let Err(e) = write.wait().await {
            warn!(target: "smsgw::webhook", webhook = %webhook, cause = %e, "{what}");
        }
    });
}

/// The staging batch's end; never, while there is none.
async fn staged(
    staging: &mut Option<tokio::task::JoinHandle<Staged>>,
) -> Result<Staged, tokio::task::JoinError> {
    match staging {
        Some(h) => h.await,
        None => std::future::pending().await,
    }
}

async fn sleep_for(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Whether a message's `callback_events` (empty: every change) ask for an event of `status`.
fn asked_for(events: &[Status], status: Option<Status>) -> bool {
    events.is_empty() || status.is_some_and(|s| events.contains(&s))
}

/// The `dlr-url` to fetch for this status event, if the message asked for this report type.
fn kannel_dlr_url(e: &Event, m: &crate::model::OutboundMessage) -> Option<String> {
    let dlr = m.dlr.as_ref()?;
    let t = e.status.and_then(kannel_dlr::dlr_type)?;
    if dlr.mask & t == 0 {
        return None;
    }
    let first = e.parts.first();
    let status = e.status.map(|s| s.as_str()).unwrap_or_default();
    let reason = e
        .reason
        .as_deref()
        .or_else(|| first.and_then(|p| p.error.as_deref()))
        .unwrap_or(status);
    let reply = kannel_dlr::report_text(t, first.and_then(|p| p.receipt.as_deref()), reason);
    let id = m.id.to_string();
    let sender = m.from.as_ref().map(|f| f.as_str()).unwrap_or_default();
    let values = kannel_dlr::DlrValues {
        dlr_type: t,
        reply: &reply,
        smsc: first.and_then(|p| p.route.as_deref()).unwrap_or_default(),
        id: &id,
        foreign_id: first
            .and_then(|p| p.remote_id.as_deref())
            .unwrap_or_default(),
        handset: m.to.as_str(),
        sender,
        at: e.at,
        user: dlr.user.as_deref().unwrap_or_default(),
    };
    Some(kannel_dlr::substitute(&dlr.url, &values))
}

/// One request: render, sign, POST (or GET a Kannel `dlr-url`). Any 2xx acknowledges.
async fn attempt(
    target: Arc<Target>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    d: Delivery,
) -> Attempt {
    let started = clock.now();
    // A received message routed by a rule with its own template uses that one.
    let rule_template = (d.kind == EventKind::MessageReceived)
        .then(|| {
            target
                .inbound
                .template(d.payload["data"]["inbound_rule"].as_str())
        })
        .flatten();
    let body = match rule_template.or(target.template.as_ref()) {
        Some(t) => t.render(&d.payload).into_bytes(),
        None => serde_json::to_vec(&d.payload).unwrap_or_default(),
    };
    let Some(url) = d.url.clone().or_else(|| target.url.clone()) else {
        return (d, Err("no URL for this delivery".into()), started);
    };
    // A client-chosen URL is checked again here, not only at submit: the allow-list may have
    // changed since, and a delivery may be older than this build's rules.
    let public_only = match target.egress.as_ref().map(|p| p.check(&url)) {
        None | Some(Ok(super::egress::Egress::Allowed)) => false,
        Some(Ok(super::egress::Egress::PublicOnly)) => true,
        Some(Err(e)) => return (d, Err(e.to_string()), started),
    };
    let ts = started.as_millis() / 1000;
    if target.kind == TargetKind::KannelDlr {
        let req = HttpRequest {
            method: HttpMethod::Get,
            url,
            headers: Vec::new(),
            body: Vec::new(),
            timeout: target.delivery.timeout,
            public_only,
        };
        return (d, outcome(&target, transport, req).await, started);
    }
    let req = HttpRequest {
        method: HttpMethod::Post,
        url,
        headers: vec![
            ("content-type", "application/json".to_string()),
            (EVENT_ID_HEADER, d.seq.to_string()),
            (EVENT_TYPE_HEADER, type_name(d.kind).to_string()),
            (TIMESTAMP_HEADER, ts.to_string()),
            (SIGNATURE_HEADER, sign(&target.secret, ts, &body)),
        ],
        body,
        timeout: target.delivery.timeout,
        public_only,
    };
    (d, outcome(&target, transport, req).await, started)
}

async fn outcome(
    target: &Target,
    transport: Arc<dyn Transport>,
    req: HttpRequest,
) -> Result<(), String> {
    // The transport has its own timeout; this one also bounds a transport that forgets it.
    let limit = target.delivery.timeout + Duration::from_secs(1);
    match tokio::time::timeout(limit, transport.send(req)).await {
        Ok(Ok(code)) if (200..300).contains(&code) => Ok(()),
        Ok(Ok(code)) => Err(format!("HTTP {code}")),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!(
            "no answer within {}",
            crate::telemetry::Short(limit)
        )),
    }
}
