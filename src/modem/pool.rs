//! A modem pool as a dispatcher [`Route`]: it spreads messages over its ready modems, shapes
//! each SIM on its own (`rate`, `daily_limit`: operators block SIMs, not pools), skips modems
//! that are starting, recovering or dead, and reports `Down` when none can send so the
//! dispatcher fails over to the next route.
//!
//! A part that a hung modem never wrote (no prompt) is sent at once through another ready
//! modem of the pool, so it goes out exactly once. A part whose PDU was written but never
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
use crate::model::Timestamp;
use crate::store::Store;

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
                v
            })
            .collect()
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
        for m in &self.modems {
            let st = m.view.lock().state.clone();
            if st == ModemState::Ready {
                alive = true;
            } else {
                why.push(format!("{}: {}", m.name, describe(&st)));
            }
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
        let avoid = self.busy_in_conversation(&job.message, now);
        // Sticky senders: another SIM when one is free, else any (the reply then matches by
        // `latest` among the conversations open on that SIM).
        let first = if avoid.is_empty() {
            pool.take(n, &[], start)
        } else {
            pool.take(n, &avoid, start)
                .or_else(|| pool.take(n, &[], start))
        };
        if let Some(m) = &first {
            record(&pool.store, &job.message, &m.name, now);
        }
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
                    reason: format!("{name}: no modem free"),
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
            let mut tried = vec![modem.name.clone()];
            let mut resent_unknown: Vec<(u8, String, String)> = Vec::new();
            // Parts never written by a hung or lost modem go out through another one, now;
            // so do parts whose outcome is unknown on a modem with the `resend` policy (those
            // are marked possible duplicates), and the parts after one parked by
            // `wait_for_report`.
            while let Some(pos) = results.iter().position(|r| {
                !matches!(
                    r.outcome,
                    PartOutcome::Sent { .. } | PartOutcome::Unconfirmed { .. }
                )
            }) {
                let failed = &results[pos];
                let unwritten = !failed.written
                    && matches!(
                        failed.effect,
                        ModemEffect::Hung | ModemEffect::PortLost | ModemEffect::Fatal(_)
                    );
                let unknown =
                    failed.written && matches!(failed.outcome, PartOutcome::Unknown { .. });
                let after_parked = !failed.written
                    && results[..pos]
                        .iter()
                        .any(|r| matches!(r.outcome, PartOutcome::Unconfirmed { .. }));
                if !(unwritten || unknown || after_parked) {
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
                if pos == 0 {
                    // The first part now leaves from another SIM: replies come back there.
                    record(&pool.store, &job.message, &other.name, Timestamp::now());
                }
                let again = run_job(&other, job.message.id, &to, rest).await;
                results.truncate(pos);
                results.extend(again);
            }
            if !resent_unknown.is_empty() {
                mark_possible_duplicates(&pool.store, job.message.id, &resent_unknown);
            }
            SendReport {
                parts: results.into_iter().map(|r| (r.index, r.outcome)).collect(),
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
            let _ = self
                .store
                .add_usage(&usage_key(&m.name), now.utc_day(), u64::from(parts));
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

/// Marks parts sent again after an unknown outcome as possible duplicates, with a line in
/// the message history naming both modems.
fn mark_possible_duplicates(
    store: &Store,
    id: crate::model::MessageId,
    resent: &[(u8, String, String)],
) {
    let now = Timestamp::now();
    let r = store.update(id, |m| {
        for (index, from, to) in resent {
            if let Some(p) = m.parts.iter_mut().find(|p| p.index == *index) {
                p.possible_duplicate = true;
            }
            let status = m.status;
            m.set_status(
                status,
                now,
                Some(format!(
                    "part {index}: outcome unknown on modem {from} (written, no answer); \
                     sent again through modem {to}: possible duplicate"
                )),
            );
        }
        true
    });
    if let Err(e) = r {
        warn!(target: "smsgw::modem", cause = %e, %id, "cannot mark possible duplicates");
    }
}

/// Records which modem a message leaves from, for reply matching.
fn record(store: &Store, m: &crate::model::OutboundMessage, modem: &str, now: Timestamp) {
    if let Err(e) = store.record_conversation(m, modem, now) {
        warn!(target: "smsgw::modem", cause = %e, id = %m.id, "cannot record the conversation; a reply to this message will not be matched");
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
        ModemState::Recovering(step) => format!("recovering ({step:?})"),
        ModemState::Down(r) => format!("down: {r}"),
        ModemState::Dead(r) => format!("dead: {r}"),
    }
}
