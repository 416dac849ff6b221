//! A modem pool as a dispatcher [`Route`]: it spreads messages over its ready modems, shapes
//! each SIM on its own (`rate`, `daily_limit`: operators block SIMs, not pools), skips modems
//! that are starting, recovering or dead, and reports `Down` when none can send so the
//! dispatcher fails over to the next route.
//!
//! A part that did not go out (no prompt, a `+CMS ERROR`, a modem that refused it) is sent at
//! once through another ready modem of the pool, so it goes out exactly once and a healthy
//! SIM takes over from a failing one. Each modem has a circuit breaker ([`Breaker`]):
//! [`BREAKER_FAILURES`] failed sends in a row take it out of rotation for its
//! `out_of_rotation` time, then one send probes it (success puts it back, failure doubles the
//! time); its view says why (`out_of_rotation`). A part whose PDU was written but never
//! answered follows the modem's `unknown_outcome` policy: `resend` sends it again at once
//! through another modem and marks it a possible duplicate (or, with no other modem free,
//! reports `Unknown` so the dispatcher resends it later, marked); `wait_for_report` parks it
//! as `unknown` until its status report or the end of its validity.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};
use tracing::warn;

use super::codec::TpduCodec;
use super::driver::{Job, ModemShared, WakeSlot};
use super::send::{ModemEffect, PartResult};
use super::status::{ModemState, ModemView};
use crate::dispatch::{BoxFuture, PartOutcome, Readiness, Route, SendJob, SendReport};
use crate::metrics::{Collector, Exposition, Panel};
use crate::model::Timestamp;
use crate::store::Store;

/// Failed sends in a row that take a modem out of its pool's rotation. Three: one failure is
/// noise (a congested cell), three in a row with another SIM free is a SIM or modem problem.
pub const BREAKER_FAILURES: u32 = 3;

/// The longest time out of rotation, as a multiple of the configured one (probes that keep
/// failing double it up to this).
const BREAKER_MAX_FACTOR: u32 = 10;

/// A modem's circuit breaker, kept by its pool: closed (in rotation), open (out until a
/// time), or half-open (that time passed: the next send is the probe).
#[derive(Debug, Clone)]
pub struct Breaker {
    failures: u32,
    open_until: Option<Timestamp>,
    base: Duration,
    cooldown: Duration,
}

impl Breaker {
    /// A closed breaker that opens for `cooldown` (at first).
    pub fn new(cooldown: Duration) -> Self {
        Breaker {
            failures: 0,
            open_until: None,
            base: cooldown,
            cooldown,
        }
    }

    /// Whether a send may go to the modem at `now` (closed, or half-open for its probe).
    pub fn allows(&self, now: Timestamp) -> bool {
        self.open_until.is_none_or(|t| now >= t)
    }

    /// Until when it is open, if it is and that time has not come.
    pub fn open_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.open_until.filter(|t| now < *t)
    }

    /// A send went out: closed again. Returns whether it was open (the probe succeeded).
    pub fn success(&mut self) -> bool {
        let was = self.open_until.is_some();
        self.failures = 0;
        self.open_until = None;
        self.cooldown = self.base;
        was
    }

    /// A send failed at `now`; returns the time out of rotation when this opens it (again).
    pub fn failure(&mut self, now: Timestamp) -> Option<Timestamp> {
        self.failures += 1;
        let probe_failed = self.open_until.is_some_and(|t| now >= t);
        if probe_failed {
            self.cooldown = (self.cooldown * 2).min(self.base * BREAKER_MAX_FACTOR);
        } else if self.failures < BREAKER_FAILURES || self.open_until.is_some() {
            return None;
        }
        let until = now.plus(self.cooldown);
        self.open_until = Some(until);
        Some(until)
    }

    /// Failed sends in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}
/// The key under which a modem's daily count is kept in the store's usage table (kept apart
/// from route names, which cannot contain `/`).
pub fn usage_key(modem: &str) -> String {
    format!("modem/{modem}")
}

/// A pool of modems serving one route.
#[derive(Debug)]
pub struct ModemPool {
    name: String,
    modems: Vec<Arc<ModemShared>>,
    codec: Arc<dyn TpduCodec>,
    store: Arc<Store>,
    next: AtomicUsize,
    wake: WakeSlot,
    /// A wake-up timer is pending for this time (ms), so shaping waits do not spawn many.
    wake_at: Arc<Mutex<Option<u64>>>,
    /// Send a message that expects a reply from a SIM with no open conversation with the
    /// recipient, when one is free (`[conversations] sticky_senders`).
    sticky_senders: bool,
}

impl ModemPool {
    /// A pool over `modems`, which must have been spawned with `wake` as their wake slot.
    pub fn new(
        name: &str,
        modems: Vec<Arc<ModemShared>>,
        codec: Arc<dyn TpduCodec>,
        store: Arc<Store>,
        wake: WakeSlot,
    ) -> Self {
        ModemPool {
            name: name.to_string(),
            modems,
            codec,
            store,
            next: AtomicUsize::new(0),
            wake,
            wake_at: Arc::new(Mutex::new(None)),
            sticky_senders: true,
        }
    }

    /// Turns sticky senders on or off (on by default).
    pub fn set_sticky_senders(&mut self, on: bool) {
        self.sticky_senders = on;
    }

    /// The modems this message should avoid: those holding another open conversation with
    /// its recipient (only for a message that expects a reply, with sticky senders on).
    fn busy_in_conversation(
        &self,
        m: &crate::model::OutboundMessage,
        now: Timestamp,
    ) -> Vec<String> {
        if !self.sticky_senders || !m.expects_reply {
            return Vec::new();
        }
        match self.store.conversations_with(m.to.as_str(), now) {
            Ok(cs) => cs
                .into_iter()
                .filter(|c| c.id != m.id && c.open && c.expects_reply)
                .map(|c| c.via)
                .collect(),
            Err(e) => {
                warn!(target: "smsgw::modem", cause = %e, "cannot read open conversations; sending without sticky senders");
                Vec::new()
            }
        }
    }

    /// Snapshots of every modem, for `GET /v1/modems`.
    pub fn views(&self) -> Vec<ModemView> {
        self.modems
            .iter()
            .map(|m| {
                let mut v = m.view.lock().clone();
                v.busy = m.busy.load(Ordering::Acquire);
                let (sent, limit) = m.shaper.lock().today(Timestamp::now());
                v.today = Some(crate::modem::status::DailyUse { sent, limit });
                v
            })
            .collect()
    }

    /// Modems that are up (ready and in rotation).
    pub fn up_count(&self) -> usize {
        self.modems.iter().filter(|m| m.view.lock().is_up()).count()
    }

    /// Ready, idle modems whose shaper allows a message now, in round-robin order; and the
    /// earliest time a shaped modem allows one.
    fn usable(&self, now: Timestamp) -> (Vec<Arc<ModemShared>>, Option<Timestamp>) {
        let n = self.modems.len();
        let start = self.next.load(Ordering::Relaxed);
        let mut out = Vec::new();
        let mut earliest: Option<Timestamp> = None;
        for i in 0..n {
            let m = &self.modems[(start + i) % n];
            if !m.is_usable() {
                continue;
            }
            match m.shaper.lock().check(now) {
                Ok(()) => out.push(m.clone()),
                Err(d) => {
                    let t = d.retry_at();
                    earliest = Some(earliest.map_or(t, |e| e.min(t)));
                }
            }
        }
        (out, earliest)
    }

    /// Wakes the dispatcher at `at` (one timer at a time).
    fn wake_later(&self, at: Timestamp, now: Timestamp) {
        let mut w = self.wake_at.lock();
        if w.is_some_and(|t| t <= at.as_millis()) {
            return;
        }
        *w = Some(at.as_millis());
        let slot = self.wake.clone();
        let pending = self.wake_at.clone();
        let delay = now.until(at) + Duration::from_millis(1);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            *pending.lock() = None;
            if let Some(n) = slot.lock().as_ref() {
                n.notify_one();
            }
        });
    }
}

impl Route for ModemPool {
    fn name(&self) -> &str {
        &self.name
    }

    fn readiness(&self) -> Readiness {
        let now = Timestamp::now();
        let (usable, earliest) = self.usable(now);
        if !usable.is_empty() {
            return Readiness::Ready { free: usable.len() };
        }
        let mut alive = false;
        let mut why = Vec::new();
        let mut back_at: Option<Timestamp> = None;
        for m in &self.modems {
            let st = m.view.lock().state.clone();
            let out = m.breaker.lock().open_until(now);
            match (st, out) {
                (ModemState::Ready, None) => alive = true,
                (ModemState::Ready, Some(until)) => {
                    back_at = Some(back_at.map_or(until, |b| b.min(until)));
                    let reason = m
                        .view
                        .lock()
                        .out_of_rotation
                        .as_ref()
                        .map(|o| o.reason.clone())
                        .unwrap_or_default();
                    why.push(format!(
                        "{}: out of rotation until {until} ({reason})",
                        m.name
                    ));
                }
                (st, _) => why.push(format!("{}: {}", m.name, describe(&st))),
            }
        }
        if let Some(at) = back_at {
            // The dispatcher asks again when a modem is due for its probe send.
            self.wake_later(at, now);
        }
        if alive {
            if let Some(at) = earliest {
                self.wake_later(at, now);
            }
            return Readiness::Ready { free: 0 };
        }
        if self.modems.is_empty() {
            return Readiness::Down("the pool has no modems".into());
        }
        Readiness::Down(format!("no modem is ready ({})", why.join("; ")))
    }

    fn send(&self, job: SendJob) -> BoxFuture<SendReport> {
        let n = job.parts.len() as u32;
        let pool = PoolRef {
            modems: self.modems.clone(),
            store: self.store.clone(),
        };
        let now = Timestamp::now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        // A message pinned to one SIM (`modem`: a reply from the number the customer wrote
        // to) goes from it or waits for it; no other SIM takes it.
        let pinned = job.message.modem.clone();
        let first = if let Some(only) = &pinned {
            pool.take_named(n, only)
        } else {
            let avoid = self.busy_in_conversation(&job.message, now);
            // Sticky senders: another SIM when one is free, else any (the reply then matches
            // by `latest` among the conversations open on that SIM).
            if avoid.is_empty() {
                pool.take(n, &[], start)
            } else {
                pool.take(n, &avoid, start)
                    .or_else(|| pool.take(n, &[], start))
            }
        };
        let codec = self.codec.clone();
        let reference = {
            let b = job.message.id.to_bytes();
            u16::from_be_bytes([b[14], b[15]])
        };
        let encoded = codec.encode_submit(&job.message, &job.parts, reference);
        let name = self.name.clone();
        Box::pin(async move {
            let Some(modem) = first else {
                return report_all(&job.parts, |_| PartOutcome::Temporary {
                    reason: match &pinned {
                        Some(only) => format!(
                            "{name}: {only}, the SIM this message must leave from, is not free"
                        ),
                        None => format!("{name}: no modem free"),
                    },
                });
            };
            let parts = match encoded {
                Ok(p) => p,
                Err(e) => {
                    modem.busy.store(false, Ordering::Release);
                    return report_all(&job.parts, |_| PartOutcome::Permanent {
                        reason: format!("cannot encode the message: {e}"),
                    });
                }
            };
            let to = job.message.to.as_str().to_string();
            let mut results = run_job(&modem, job.message.id, &to, parts.clone()).await;
            judge(&modem, &results);
            // Which modem each result came from (kept aligned with `results`).
            let mut via: Vec<String> = vec![modem.name.clone(); results.len()];
            let mut tried = vec![modem.name.clone()];
            let mut resent_unknown: Vec<(u8, String, String)> = Vec::new();
            // Parts that did not go out (no prompt, an error answer, a refusal, a hung or lost
            // modem) go out through another one, now; so do parts whose outcome is unknown on
            // a modem with the `resend` policy (those are marked possible duplicates), and the
            // parts after one parked by `wait_for_report`.
            while let Some(pos) = results.iter().position(|r| {
                !matches!(
                    r.outcome,
                    PartOutcome::Sent { .. } | PartOutcome::Unconfirmed { .. }
                )
            }) {
                let failed = &results[pos];
                // A temporary outcome never left the modem: safe to send elsewhere.
                let not_sent = matches!(failed.outcome, PartOutcome::Temporary { .. });
                let unknown =
                    failed.written && matches!(failed.outcome, PartOutcome::Unknown { .. });
                if !(not_sent || unknown) || pinned.is_some() {
                    // A pinned message's parts are retried later from its own SIM.
                    break;
                }
                let unknown_index = unknown.then_some(failed.index);
                // `results` stays aligned with `parts`: each retry replaces a tail with a tail.
                let rest: Vec<_> = parts[pos..].to_vec();
                let Some(other) = pool.take(rest.len() as u32, &tried, 0) else {
                    break;
                };
                let from = tried.last().cloned().unwrap_or_default();
                warn!(target: "smsgw::modem", %from, to = %other.name, unknown = unknown_index.is_some(), "sending parts again through another modem");
                if let Some(i) = unknown_index {
                    resent_unknown.push((i, from, other.name.clone()));
                }
                tried.push(other.name.clone());
                let again = run_job(&other, job.message.id, &to, rest).await;
                judge(&other, &again);
                results.truncate(pos);
                via.truncate(pos);
                via.extend(std::iter::repeat_n(other.name.clone(), again.len()));
                results.extend(again);
            }
            // Each part names the SIM it left from (or was written to).
            let senders: Vec<(u8, String)> = results
                .iter()
                .zip(&via)
                .filter(|(r, _)| {
                    r.written
                        || matches!(
                            r.outcome,
                            PartOutcome::Sent { .. } | PartOutcome::Unconfirmed { .. }
                        )
                })
                .map(|(r, v)| (r.index, v.clone()))
                .collect();
            if !resent_unknown.is_empty() || !senders.is_empty() {
                // Queued before the report goes to the dispatcher, so its outcome write,
                // queued after, finds these fields and keeps them.
                pool.store.writer().record_senders(
                    job.message.id,
                    senders,
                    resent_unknown,
                    Timestamp::now(),
                );
            }
            SendReport {
                parts: results
                    .into_iter()
                    .zip(via)
                    .map(|(r, v)| (r.index, name_modem(r.outcome, &v)))
                    .collect(),
            }
        })
    }

    fn set_waker(&self, waker: Arc<Notify>) {
        *self.wake.lock() = Some(waker);
    }
}

/// What a send (and its future) needs of the pool to take modems.
#[derive(Debug, Clone)]
struct PoolRef {
    modems: Vec<Arc<ModemShared>>,
    store: Arc<Store>,
}

impl PoolRef {
    /// Takes a usable modem for `parts` SMS, looking from `start` round the list: its shaper
    /// is charged (and the daily count persisted) and it is marked busy, synchronously, so the
    /// next readiness answer already counts this job.
    /// Takes the modem named `only`, if it is usable, idle and its shaper allows `parts`.
    fn take_named(&self, parts: u32, only: &str) -> Option<Arc<ModemShared>> {
        let at = self.modems.iter().position(|m| m.name == only)?;
        let others: Vec<String> = self
            .modems
            .iter()
            .filter(|m| m.name != only)
            .map(|m| m.name.clone())
            .collect();
        self.take(parts, &others, at)
    }

    fn take(&self, parts: u32, except: &[String], start: usize) -> Option<Arc<ModemShared>> {
        let now = Timestamp::now();
        let n = self.modems.len();
        for i in 0..n {
            let m = &self.modems[(start + i) % n];
            if except.contains(&m.name) || !m.is_usable() {
                continue;
            }
            if m.busy
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                continue;
            }
            if m.shaper.lock().try_take(now, parts).is_err() {
                m.busy.store(false, Ordering::Release);
                continue;
            }
            self.store
                .writer()
                .count_usage(&usage_key(&m.name), now.utc_day(), u64::from(parts));
            return Some(m.clone());
        }
        None
    }
}

async fn run_job(
    modem: &Arc<ModemShared>,
    id: crate::model::MessageId,
    to: &str,
    parts: Vec<super::codec::OutgoingPart>,
) -> Vec<PartResult> {
    let (reply, rx) = oneshot::channel();
    let indexes: Vec<u8> = parts.iter().map(|p| p.index).collect();
    let job = Job {
        id,
        to: to.to_string(),
        parts,
        reply,
    };
    if modem.jobs.send(job).await.is_err() {
        modem.busy.store(false, Ordering::Release);
        return indexes
            .into_iter()
            .map(|i| {
                let mut r = super::send::not_attempted(i);
                r.effect = ModemEffect::PortLost;
                r
            })
            .collect();
    }
    match rx.await {
        Ok(r) => r,
        Err(_) => {
            // The modem task ended mid-send: the PDU may have been written.
            modem.busy.store(false, Ordering::Release);
            indexes
                .into_iter()
                .map(|i| PartResult {
                    index: i,
                    outcome: PartOutcome::Unknown {
                        reason: format!("{}: the modem task stopped during the send", modem.name),
                    },
                    mr: None,
                    effect: ModemEffect::PortLost,
                    written: true,
                })
                .collect()
        }
    }
}

/// The failure reasons name the modem, so the message history says which SIM failed.
fn name_modem(o: PartOutcome, modem: &str) -> PartOutcome {
    let named = |reason: String| {
        if reason.starts_with(&format!("{modem}: ")) {
            reason
        } else {
            format!("{modem}: {reason}")
        }
    };
    match o {
        PartOutcome::Temporary { reason } => PartOutcome::Temporary {
            reason: named(reason),
        },
        PartOutcome::Permanent { reason } => PartOutcome::Permanent {
            reason: named(reason),
        },
        PartOutcome::Unknown { reason } => PartOutcome::Unknown {
            reason: named(reason),
        },
        other => other,
    }
}

/// Feeds one send's results to the modem's circuit breaker: a part that went out closes it;
/// a temporary failure or unknown outcome of the first part not sent counts against it
/// (permanent refusals are about the message, not the SIM).
fn judge(modem: &ModemShared, results: &[PartResult]) {
    let now = Timestamp::now();
    let Some(first_bad) = results.iter().find(|r| {
        !matches!(
            r.outcome,
            PartOutcome::Sent { .. } | PartOutcome::Unconfirmed { .. }
        )
    }) else {
        if modem.breaker.lock().success() {
            modem.view.lock().out_of_rotation = None;
            tracing::info!(target: "smsgw::modem", modem = %modem.name, "the probe send went out; the modem is back in rotation");
        }
        return;
    };
    let reason = match &first_bad.outcome {
        PartOutcome::Temporary { reason } | PartOutcome::Unknown { reason } => reason.clone(),
        _ => {
            if results
                .iter()
                .any(|r| matches!(r.outcome, PartOutcome::Sent { .. }))
                && modem.breaker.lock().success()
            {
                modem.view.lock().out_of_rotation = None;
            }
            return;
        }
    };
    if reason.starts_with("not attempted") {
        return;
    }
    let (opened, failures) = {
        let mut b = modem.breaker.lock();
        (b.failure(now), b.failures())
    };
    if let Some(until) = opened {
        warn!(target: "smsgw::modem", modem = %modem.name, failures, %reason, %until, "sends keep failing; the modem is out of rotation");
        let mut v = modem.view.lock();
        v.counters.out_of_rotation += 1;
        let since = v.out_of_rotation.as_ref().map_or(now, |o| o.since);
        v.out_of_rotation = Some(super::status::OutOfRotation {
            reason: format!("{failures} failed sends in a row; last: {reason}"),
            since,
            until,
        });
    }
}

fn report_all(parts: &[u8], outcome: impl Fn(u8) -> PartOutcome) -> SendReport {
    SendReport {
        parts: parts.iter().map(|&i| (i, outcome(i))).collect(),
    }
}

fn describe(s: &ModemState) -> String {
    match s {
        ModemState::Starting => "starting".into(),
        ModemState::Ready => "ready".into(),
        ModemState::NotRegistered => "not registered".into(),
        ModemState::Probing(why) => format!("probing ({why})"),
        ModemState::Recovering(step) => format!("recovering ({})", step.doing()),
        ModemState::Down(r) => format!("down: {r}"),
        ModemState::Dead(r) => format!("dead: {r}"),
    }
}

impl Collector for ModemPool {
    fn collect(&self, out: &mut Exposition) {
        for v in self.views() {
            let l = [("modem", v.name.as_str()), ("route", v.route.as_str())];
            out.gauge(
                "smsgw_modem_up",
                "1 when the modem is ready and in its pool's rotation.",
                &l,
                if v.is_up() { 1.0 } else { 0.0 },
            );
            // Every state, 1 for the current one: a series never goes stale.
            for st in [
                "starting",
                "ready",
                "not_registered",
                "probing",
                "recovering",
                "down",
                "dead",
            ] {
                out.gauge(
                    "smsgw_modem_state",
                    "1 for the modem's current state, 0 for the others.",
                    &[("modem", v.name.as_str()), ("state", st)],
                    if v.state_name() == st { 1.0 } else { 0.0 },
                );
            }
            if let Some(dbm) = v.signal_dbm {
                out.gauge(
                    "smsgw_modem_signal_dbm",
                    "Signal strength from +CSQ, in dBm.",
                    &[("modem", v.name.as_str())],
                    f64::from(dbm),
                );
            }
            if let Some(rssi) = v.signal_rssi {
                out.gauge(
                    "smsgw_modem_signal_rssi",
                    "+CSQ rssi (0..31, 99 unknown).",
                    &[("modem", v.name.as_str())],
                    f64::from(rssi),
                );
            }
            let registered = v
                .registration
                .as_deref()
                .is_some_and(|r| matches!(r, "home" | "roaming" | "other(6)" | "other(7)"));
            out.gauge(
                "smsgw_modem_registered",
                "1 when the modem is registered on a network (home or roaming).",
                &[("modem", v.name.as_str())],
                if registered { 1.0 } else { 0.0 },
            );
            out.gauge(
                "smsgw_modem_info",
                "Always 1; the labels say the operator, registration and last error.",
                &[
                    ("modem", v.name.as_str()),
                    ("operator", v.operator.as_deref().unwrap_or("")),
                    ("registration", v.registration.as_deref().unwrap_or("")),
                    ("last_error", v.last_error.as_deref().unwrap_or("")),
                ],
                1.0,
            );
            if let Some(at) = v.last_error_at {
                out.gauge(
                    "smsgw_modem_last_error_timestamp_seconds",
                    "When the modem's last error happened (Unix time).",
                    &[("modem", v.name.as_str())],
                    at.as_millis() as f64 / 1000.0,
                );
            }
            let c = &v.counters;
            for (result, n) in [
                ("sent", c.parts_sent),
                ("failed", c.parts_failed),
                ("unknown", c.parts_unknown),
            ] {
                out.counter(
                    "smsgw_modem_parts_total",
                    "Parts handed to the modem, by outcome.",
                    &[("modem", v.name.as_str()), ("result", result)],
                    n as f64,
                );
            }
            for (metric, help, n) in [
                (
                    "smsgw_modem_received_total",
                    "Messages (or parts) received and stored in the inbox.",
                    c.received,
                ),
                (
                    "smsgw_modem_reports_total",
                    "Status reports (receipts) read.",
                    c.reports,
                ),
                (
                    "smsgw_modem_timeouts_total",
                    "Commands the modem did not answer in time.",
                    c.timeouts,
                ),
                (
                    "smsgw_modem_recoveries_total",
                    "Recovery ladder steps taken.",
                    c.recoveries,
                ),
                (
                    "smsgw_modem_storage_full_total",
                    "Times the message storage was found full.",
                    c.storage_full,
                ),
                (
                    "smsgw_modem_opens_total",
                    "Times the modem's port was opened (more than one: it closed or vanished and came back).",
                    c.opens,
                ),
                (
                    "smsgw_modem_out_of_rotation_total",
                    "Times repeated send failures took the modem out of rotation.",
                    c.out_of_rotation,
                ),
            ] {
                out.counter(metric, help, &[("modem", v.name.as_str())], n as f64);
            }
            for s in &v.storages {
                let l = [("modem", v.name.as_str()), ("storage", s.memory.as_str())];
                out.gauge(
                    "smsgw_modem_storage_used",
                    "Message storage locations in use (+CPMS).",
                    &l,
                    f64::from(s.used),
                );
                out.gauge(
                    "smsgw_modem_storage_total",
                    "Message storage locations in total (+CPMS).",
                    &l,
                    f64::from(s.total),
                );
            }
            out.gauge(
                "smsgw_modem_storage_full",
                "1 while the modem's receive storage is full.",
                &[("modem", v.name.as_str())],
                if v.storage_full.is_some() { 1.0 } else { 0.0 },
            );
        }
    }

    fn panels(&self) -> Vec<Panel> {
        self.views()
            .into_iter()
            .map(|v| {
                let mut detail = vec![v.state_name().replace('_', " ")];
                match &v.state {
                    ModemState::Probing(d) | ModemState::Down(d) | ModemState::Dead(d) => {
                        detail.push(d.clone());
                    }
                    _ => {}
                }
                if let Some(h) = &v.health {
                    detail.push(h.clone());
                }
                if let Some(o) = &v.out_of_rotation {
                    detail.push(format!("out of rotation until {}: {}", o.until, o.reason));
                }
                if let Some(op) = &v.operator {
                    detail.push(op.clone());
                }
                if let Some(r) = &v.registration {
                    detail.push(r.clone());
                }
                if let Some(s) = v.storages.last() {
                    detail.push(format!("storage {} {}/{}", s.memory, s.used, s.total));
                }
                if let Some(f) = &v.storage_full {
                    detail.push(format!("STORAGE FULL ({f})"));
                }
                let c = &v.counters;
                detail.push(format!(
                    "sent {} · failed {} · receipts {}",
                    c.parts_sent, c.parts_failed, c.reports
                ));
                if let Some(e) = &v.last_error {
                    detail.push(format!("last error: {e}"));
                }
                Panel {
                    section: "modems",
                    name: v.name.clone(),
                    healthy: v.is_up() && v.storage_full.is_none(),
                    signal_bars: v.signal_rssi.map(bars),
                    detail: detail.join(" · "),
                }
            })
            .collect()
    }
}

/// `+CSQ` rssi as 0–5 bars (99, unknown, is none).
fn bars(rssi: u8) -> u8 {
    match rssi {
        0..=1 | 99.. => 0,
        2..=9 => 1,
        10..=14 => 2,
        15..=19 => 3,
        20..=24 => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breaker_should_open_after_three_failures_probe_once_and_back_off_while_probes_fail() {
        let base = Duration::from_secs(10);
        let mut b = Breaker::new(base);
        let t = |s: u64| Timestamp(s * 1000);
        assert_eq!(b.failure(t(0)), None);
        assert_eq!(b.failure(t(1)), None);
        assert_eq!(b.failure(t(2)), Some(t(12)), "the third failure opens it");
        assert!(!b.allows(t(5)));
        assert_eq!(b.failure(t(5)), None, "failures while open change nothing");
        assert!(b.allows(t(12)), "half-open: one probe send");
        assert_eq!(
            b.failure(t(12)),
            Some(t(32)),
            "a failed probe doubles the time"
        );
        assert_eq!(b.failure(t(32)), Some(t(72)));
        let mut now = t(72);
        let mut steps = Vec::new();
        for _ in 0..4 {
            let until = b.failure(now).unwrap();
            steps.push((until.as_millis() - now.as_millis()) / 1000);
            now = until;
        }
        assert_eq!(
            steps,
            [80, 100, 100, 100],
            "at most ten times the configured time"
        );
        assert!(b.success(), "a probe that went out closes it");
        assert!(b.allows(now));
        assert_eq!(b.failure(now), None, "counting starts again");
        assert!(!b.success(), "already closed");
    }

    #[test]
    fn rssi_should_map_to_bars() {
        assert_eq!(bars(99), 0);
        assert_eq!(bars(21), 4);
        assert_eq!(bars(31), 5);
        assert_eq!(bars(5), 1);
    }
}
