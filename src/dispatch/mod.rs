//! The dispatcher: decides what goes next and through which route.
//!
//! It owns the ready decision for every queued message: due time, priority, expiry, routing
//! by prefix with failover, per-route shaping (token bucket and daily cap) and retries with
//! backoff. It reads due messages from the store (the store's `due` index is the queue; nothing
//! here survives a restart except through the store), hands them to [`Route`]s, and writes each
//! outcome back. It never polls: it sleeps until the next due time, the next token, or a wake-up
//! from the API (new message) or a route (capacity freed).
//!
//! Modules: [`route`] (the trait routes implement), [`shaper`], [`router`], [`retry`],
//! [`clock`], [`quiet`] (the recipient's sending window, with [`zones`]), and `outcome` (how
//! a send's report changes a message).

pub mod clock;
mod outcome;
pub mod quiet;
pub mod retry;
pub mod route;
pub mod router;
pub mod shaper;
pub mod zones;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

pub use clock::{Clock, SystemClock, TokioClock};
pub use retry::RetryPolicy;
pub use route::{BoxFuture, PartOutcome, Readiness, Route, SendJob, SendReport};
pub use router::Router;
pub use shaper::{Denied, Shaper};

use crate::config::Config;
use crate::model::{MessageId, OutboundMessage, PartStatus, Timestamp};
use crate::store::{Handing, Setback, Store, StoreError};
use outcome::Finished;

/// How many due messages one pass looks at. Messages whose routes are all throttled stay in
/// the queue; a pass never reads more than this many, so a huge backlog costs a bounded amount
/// per wake-up. (A backlog of more than this many messages for throttled routes can delay
/// messages for other routes behind it until the throttled ones drain: see ARCHITECTURE.md.)
pub const SCAN_LIMIT: usize = 2048;

/// The longest the dispatcher sleeps without a reason: a safety net for a route that forgets
/// to wake it. Not needed for correctness; it costs one pass a minute.
pub const SAFETY_WAKE: Duration = Duration::from_secs(60);

/// While every route is full, down or out of shaping tokens, the queue is scanned (for
/// messages to expire or fail) at most this often; a route with room again wakes the
/// dispatcher at once.
pub const IDLE_SCAN_EVERY: Duration = Duration::from_secs(1);

/// Keeps a finished send's report for [`record`]; a send task that panicked or
/// was aborted leaves its message `sending`, requeued at the next start.
fn collect(done: Result<Finished, tokio::task::JoinError>, finished: &mut Vec<Finished>) {
    match done {
        Ok(f) => finished.push(f),
        Err(e) => error!(target: "smsgw::dispatch", cause = %e, "send task failed"),
    }
}

/// Hands the outcomes of the sends that ended since the last call to the outcome writer,
/// which writes them in one batch.
fn record(
    writer: &tokio::sync::mpsc::UnboundedSender<Vec<Finished>>,
    finished: &mut Vec<Finished>,
) {
    if finished.is_empty() {
        return;
    }
    if writer.send(std::mem::take(finished)).is_err() {
        error!(target: "smsgw::dispatch", "the outcome writer has stopped; these messages stay `sending` and are requeued at the next start");
    }
}

/// One route and its shaping state.
#[derive(Debug)]
struct RouteSlot {
    route: Arc<dyn Route>,
    shaper: Shaper,
    /// Messages handed over to this route whose hand-over is not durable yet, so not sent to
    /// the route yet: they count against its free slots.
    handing: Arc<AtomicUsize>,
    /// The configuration says this route cannot send from a brand name (a modem pool, a
    /// link with `alphanumeric_senders = false`): messages from one are not handed to it.
    no_brands: bool,
}

/// A cheap handle for the API: wake the dispatcher, look at routes.
#[derive(Debug, Clone)]
pub struct DispatchHandle {
    wake: Arc<Notify>,
    routes: Arc<Vec<Arc<dyn Route>>>,
    scans: Arc<AtomicU64>,
}

impl DispatchHandle {
    /// Tells the dispatcher that something new is due (a message was stored).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Whether a route of this name exists.
    pub fn has_route(&self, name: &str) -> bool {
        self.routes.iter().any(|r| r.name() == name)
    }

    /// How many passes have scanned the queue since start: it should grow with the work
    /// done, not with the submissions waiting for a full route.
    pub fn queue_scans(&self) -> u64 {
        self.scans.load(Ordering::Relaxed)
    }

    /// Every route with its readiness.
    pub fn readiness(&self) -> Vec<(String, Readiness)> {
        self.routes
            .iter()
            .map(|r| (r.name().to_string(), r.readiness()))
            .collect()
    }
}

impl crate::metrics::Collector for DispatchHandle {
    fn collect(&self, out: &mut crate::metrics::Exposition) {
        out.counter(
            "smsgw_dispatch_queue_scans_total",
            "Dispatcher passes that scanned the send queue.",
            &[],
            self.queue_scans() as f64,
        );
    }
}

/// The dispatcher task's state.
#[derive(Debug)]
pub struct Dispatcher {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    router: Router,
    retry: RetryPolicy,
    slots: Vec<RouteSlot>,
    by_name: HashMap<String, usize>,
    wake: Arc<Notify>,
    /// `[quiet_hours]`, when configured.
    quiet: Option<quiet::QuietHours>,
    /// When a pass last scanned the queue while no route had room (see [`IDLE_SCAN_EVERY`]).
    last_idle_scan: Option<Timestamp>,
    /// Passes that scanned the queue, shared with [`DispatchHandle::queue_scans`].
    scans: Arc<AtomicU64>,
}

/// A message chosen in a pass, with the route and the parts it was charged for.
struct Pick {
    message: OutboundMessage,
    slot: usize,
    parts: u32,
}

impl Dispatcher {
    /// Builds the dispatcher over `routes`, loading today's per-route usage from the store so
    /// daily caps hold across restarts.
    pub fn new(
        store: Arc<Store>,
        routes: Vec<Arc<dyn Route>>,
        config: &Config,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, DispatchHandle), StoreError> {
        let now = clock.now();
        let wake = Arc::new(Notify::new());
        let scans = Arc::new(AtomicU64::new(0));
        let mut slots = Vec::with_capacity(routes.len());
        let mut by_name = HashMap::new();
        for route in &routes {
            let rc = config.route(route.name());
            let mut shaper = Shaper::new(
                rc.and_then(|r| r.rate),
                rc.map_or(1, |r| r.burst),
                rc.and_then(|r| r.daily_limit),
                now,
            );
            shaper.sent_today(shaper.day(), store.usage(route.name(), shaper.day())?);
            route.set_waker(wake.clone());
            by_name.insert(route.name().to_string(), slots.len());
            slots.push(RouteSlot {
                route: route.clone(),
                shaper,
                handing: Arc::default(),
                no_brands: rc.is_some() && !config.route_carries_brands(route.name()),
            });
        }
        let m = &config.messages;
        let dispatcher = Dispatcher {
            store,
            clock,
            router: Router::new(&config.rules),
            retry: RetryPolicy {
                max_attempts: m.max_attempts,
                base: m.retry_base.get(),
                max: m.retry_max.get(),
            },
            slots,
            by_name,
            wake: wake.clone(),
            quiet: config.quiet_hours.as_ref().map(quiet::QuietHours::new),
            last_idle_scan: None,
            scans: scans.clone(),
        };
        let handle = DispatchHandle {
            wake,
            routes: Arc::new(routes),
            scans,
        };
        Ok((dispatcher, handle))
    }

    /// Runs until `shutdown`; then stops taking messages and gives sends already handed to a
    /// route up to `grace` to finish. Sends still running after that stay `sending` in the
    /// store and are requeued at the next start.
    pub async fn run(mut self, shutdown: CancellationToken, grace: Duration) {
        let mut in_flight: JoinSet<Finished> = JoinSet::new();
        let mut finished = Vec::new();
        let (outcomes, rx) = tokio::sync::mpsc::unbounded_channel();
        let writer = tokio::spawn(outcome::writer(
            self.store.clone(),
            self.clock.clone(),
            self.retry,
            self.wake.clone(),
            rx,
        ));
        // The queue is read back on a thread of its own after a start (`store::due_index`);
        // until then a pass would wait for it on this runtime thread.
        let stopped = tokio::select! {
            _ = shutdown.cancelled() => true,
            _ = self.store.due_loaded() => false,
        };
        if !stopped {
            loop {
                while let Some(done) = in_flight.try_join_next() {
                    collect(done, &mut finished);
                }
                record(&outcomes, &mut finished);
                let now = self.clock.now();
                let next = match self.pass(now, &mut in_flight).await {
                    Ok(next) => next,
                    Err(e) => {
                        error!(target: "smsgw::dispatch", cause = %e, "dispatch pass failed; retrying in 1 s");
                        Some(now.plus(Duration::from_secs(1)))
                    }
                };
                let sleep = next.map_or(SAFETY_WAKE, |t| now.until(t).min(SAFETY_WAKE));
                debug!(target: "smsgw::dispatch", ?sleep, in_flight = in_flight.len(), "dispatcher sleeping");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(sleep) => {}
                    Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                        collect(done, &mut finished);
                    }
                }
            }
        }
        if !in_flight.is_empty() {
            info!(target: "smsgw::dispatch", sends = in_flight.len(), ?grace, "waiting for sends in flight");
            let drained = tokio::time::timeout(grace, async {
                while let Some(done) = in_flight.join_next().await {
                    collect(done, &mut finished);
                }
            })
            .await;
            if drained.is_err() {
                warn!(
                    target: "smsgw::dispatch",
                    sends = in_flight.len(),
                    "sends still running after the grace period; they stay `sending` and are requeued at the next start"
                );
                in_flight.abort_all();
            }
        }
        record(&outcomes, &mut finished);
        // Every outcome handed over is written before the dispatcher is done.
        drop(outcomes);
        if let Err(e) = writer.await {
            error!(target: "smsgw::dispatch", cause = %e, "the outcome writer failed; messages it had not written stay `sending` and are requeued at the next start");
        }
    }

    /// One pass: hands every due message that has a ready route to it. Returns when the next
    /// pass is needed (next due message or next shaping token), if known.
    async fn pass(
        &mut self,
        now: Timestamp,
        in_flight: &mut JoinSet<Finished>,
    ) -> Result<Option<Timestamp>, StoreError> {
        let mut next = self.store.next_due_after(now);
        let mut earliest = |t: Timestamp| next = Some(next.map_or(t, |n: Timestamp| n.min(t)));
        // A route out of shaping tokens can take nothing now either: it counts as full until
        // its next token.
        let mut free: Vec<usize> = Vec::with_capacity(self.slots.len());
        for slot in &mut self.slots {
            // Read before the route's own count: a job moves from `handing` to the route by
            // being sent first, so a job is never missed by both (at worst counted twice).
            let handing = slot.handing.load(Ordering::SeqCst);
            free.push(match slot.route.readiness() {
                Readiness::Ready { free } if free > handing => match slot.shaper.check(now) {
                    Ok(()) => free - handing,
                    Err(denied) => {
                        earliest(denied.retry_at());
                        0
                    }
                },
                Readiness::Ready { .. } | Readiness::Down(_) => 0,
            });
        }
        // With no route able to take anything, a scan would only find expired or unroutable
        // messages: do that at most every IDLE_SCAN_EVERY. Every submission wakes the
        // dispatcher, and a full scan per wake-up under heavy intake starved the sends.
        if free.iter().all(|&f| f == 0) {
            if let Some(last) = self.last_idle_scan
                && now < last.plus(IDLE_SCAN_EVERY)
            {
                earliest(last.plus(IDLE_SCAN_EVERY));
                return Ok(next);
            }
            self.last_idle_scan = Some(now);
        }
        self.scans.fetch_add(1, Ordering::Relaxed);
        let mut picks = Vec::new();
        for id in self.store.due_iter(now).take(SCAN_LIMIT) {
            if free.iter().all(|&f| f == 0) && !picks.is_empty() {
                break;
            }
            let Some(message) = self.store.get(id)? else {
                continue;
            };
            if !message.status.is_cancelable() {
                continue;
            }
            if message.expires_at <= now {
                self.expire(id, now).await?;
                continue;
            }
            if let Some(q) = self.quiet.as_ref().filter(|_| !message.urgent) {
                if let Some(closed) = q.check(message.to.as_str(), now) {
                    let reason = format!(
                        "quiet_hours: outside {} in {}; waits until {}",
                        q.window_text(),
                        closed.zone,
                        closed.opens_at
                    );
                    self.defer(id, closed.opens_at, now, reason).await?;
                    earliest(closed.opens_at);
                    continue;
                }
            }
            let candidates = match &message.route {
                Some(r) => vec![r.clone()],
                None => self
                    .router
                    .candidates(message.to.as_str(), &message.attempts.failed_routes),
            };
            if candidates.is_empty() {
                if self.router.is_empty() {
                    // No routes at all (a fresh install, the demo before drivers): keep the
                    // message queued until a route exists or it expires.
                    earliest(message.expires_at);
                } else {
                    self.fail(id, now, format!("no routing rule matches {}", message.to))
                        .await?;
                }
                continue;
            }
            let parts = pending_parts(&message).len() as u32;
            let brand = message.route.is_none()
                && matches!(message.from, Some(crate::model::Sender::Alphanumeric(_)));
            if brand
                && candidates.iter().all(|n| {
                    self.by_name
                        .get(n)
                        .is_some_and(|&s| self.slots[s].no_brands)
                })
            {
                // The API refuses these; one stored before that, or before the rules changed.
                self.fail(
                    id,
                    now,
                    format!(
                        "no route for {} can send from a brand name ({})",
                        message.to,
                        candidates.join(", ")
                    ),
                )
                .await?;
                continue;
            }
            let mut chosen = None;
            for name in &candidates {
                let Some(&slot) = self.by_name.get(name) else {
                    continue;
                };
                if brand && self.slots[slot].no_brands {
                    // A modem (or a link without brand names) would send it from a number.
                    continue;
                }
                if free[slot] == 0 {
                    continue;
                }
                match self.slots[slot].shaper.try_take(now, parts.max(1)) {
                    Ok(()) => {
                        chosen = Some(slot);
                        break;
                    }
                    Err(denied) => earliest(denied.retry_at()),
                }
            }
            match chosen {
                Some(slot) => {
                    free[slot] -= 1;
                    picks.push(Pick {
                        message,
                        slot,
                        parts: parts.max(1),
                    });
                }
                // Waiting for a route: look again when it would expire at the latest.
                None => earliest(message.expires_at),
            }
        }
        if picks.is_empty() {
            return Ok(next);
        }
        self.hand_over(picks, now, in_flight).await?;
        Ok(next)
    }

    /// Marks the picks `sending` durably, then hands each to its route.
    async fn hand_over(
        &mut self,
        picks: Vec<Pick>,
        now: Timestamp,
        in_flight: &mut JoinSet<Finished>,
    ) -> Result<(), StoreError> {
        // One batch for every pick: per-message writes would cost more than sending them.
        let ids: Vec<MessageId> = picks.iter().map(|p| p.message.id).collect();
        let names: Vec<String> = picks
            .iter()
            .map(|p| self.slots[p.slot].route.name().to_string())
            .collect();
        let handing: Vec<Handing> = ids
            .iter()
            .zip(names)
            .map(|(&id, route)| Handing { id, route })
            .collect();
        let updated = self.store.writer().hand_over(handing, now).wait().await?;
        let mut jobs = Vec::with_capacity(picks.len());
        let mut usage: HashMap<usize, u64> = HashMap::new();
        for (pick, updated) in picks.into_iter().zip(updated) {
            match updated {
                Some(message) => {
                    *usage.entry(pick.slot).or_default() += u64::from(pick.parts);
                    jobs.push((pick.slot, message));
                }
                None => self.slots[pick.slot].shaper.refund(pick.parts),
            }
        }
        for (slot, parts) in usage {
            let day = self.slots[slot].shaper.day();
            self.store
                .writer()
                .count_usage(self.slots[slot].route.name(), day, parts);
        }
        // The hand-over is durable before any route sees the message: after a crash, a
        // message that may have reached a route is `sending` and is requeued as a possible
        // duplicate rather than silently sent twice. Each send waits for that flush in its
        // own task, so the dispatcher goes on with the next pass meanwhile.
        let durable = self.store.durable_ticket();
        for (slot, message) in jobs {
            let route = self.slots[slot].route.clone();
            let handing = self.slots[slot].handing.clone();
            handing.fetch_add(1, Ordering::SeqCst);
            let parts = pending_parts(&message);
            let id = message.id;
            let job = SendJob { message, parts };
            let durable = durable.clone();
            // The dispatcher records the report (joining this task wakes it), batched with
            // the others that ended meanwhile.
            in_flight.spawn(async move {
                let route_name = route.name().to_string();
                let report = match durable.wait().await {
                    Ok(()) => {
                        let sending = route.send(job);
                        handing.fetch_sub(1, Ordering::SeqCst);
                        sending.await
                    }
                    Err(e) => {
                        handing.fetch_sub(1, Ordering::SeqCst);
                        SendReport {
                            parts: job
                                .parts
                                .iter()
                                .map(|&i| {
                                    let reason =
                                        format!("the hand-over could not be made durable: {e}");
                                    (i, PartOutcome::Temporary { reason })
                                })
                                .collect(),
                        }
                    }
                };
                Finished {
                    id,
                    route: route_name,
                    report,
                }
            });
        }
        Ok(())
    }

    async fn expire(&self, id: MessageId, now: Timestamp) -> Result<(), StoreError> {
        self.store
            .writer()
            .set_back(id, Setback::Expire, now)
            .wait()
            .await
    }

    /// Puts a message back to `scheduled` until `until` (quiet hours), saying why.
    async fn defer(
        &self,
        id: MessageId,
        until: Timestamp,
        now: Timestamp,
        reason: String,
    ) -> Result<(), StoreError> {
        debug!(target: "smsgw::dispatch", %id, %reason, "message deferred");
        self.store
            .writer()
            .set_back(id, Setback::Defer(until, reason), now)
            .wait()
            .await
    }

    async fn fail(&self, id: MessageId, now: Timestamp, reason: String) -> Result<(), StoreError> {
        warn!(target: "smsgw::dispatch", %id, %reason, "message failed");
        self.store
            .writer()
            .set_back(id, Setback::Fail(reason), now)
            .wait()
            .await
    }
}

/// The parts that still have to go: pending ones, and unknown ones (sent again, marked).
fn pending_parts(m: &OutboundMessage) -> Vec<u8> {
    m.parts
        .iter()
        .filter(|p| matches!(p.status, PartStatus::Pending | PartStatus::Unknown))
        .map(|p| p.index)
        .collect()
}
