//! Webhooks: events from the store's outbox POSTed to HTTP targets, at least once, in order per
//! message, signed, with retries for hours and a dead-letter list.
//!
//! Events are written by the store in the same batch as the change they report; this module
//! only reads them (`Store::events_after`) with a durable cursor per target
//! (`store::webhook`). Each target — every `[[webhooks]]` entry, plus the per-message
//! `callback_url` target when `[callbacks]` is configured — has its own task ([`worker`]), so a
//! target that is down delays nothing but its own events. This module must not touch the
//! dispatcher or routes.
//!
//! - [`worker`]: the per-target loop (fan-out, order per message, retries, dead letters).
//! - [`payload`]: the JSON event document.
//! - [`sign`]: the HMAC-SHA256 signature headers (and `verify` for receivers and tests).
//! - [`backoff`]: retry pacing.
//! - [`inbound_routes`]: `[[inbound_routes]]`, which target gets which received message.
//! - [`transport`]: the HTTP client behind a trait.
//! - [`kannel_dlr`]: Kannel `dlr-url` report types and escapes.
//! - [`egress`]: where client-chosen URLs (callbacks, `dlr-url`) may lead: public addresses
//!   and the operator's allow-list, checked again on the resolved address at connect time.

pub mod backoff;
pub mod egress;
pub mod inbound_routes;
pub mod kannel_dlr;
pub mod payload;
pub mod queue;
mod sent_messages;
pub mod sign;
pub mod transport;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{CALLBACK_TARGET, Config, DeliveryConfig, EventName, KANNEL_DLR_TARGET};
use crate::dispatch::Clock;
use crate::model::{EventKind, Timestamp};
use crate::store::webhook::Delivery;
use crate::store::{Store, StoreError};
pub use transport::{HttpRequest, HttpTransport, Transport};
pub use worker::{Target, TargetKind, TargetStats, Worker};

#[cfg(test)]
mod tests;

/// The targets a configuration asks for, in order: `[[webhooks]]`, then the callback target.
pub fn targets_from(config: &Config) -> Vec<Target> {
    let mut out: Vec<Target> = config
        .webhooks
        .iter()
        .map(|w| Target {
            name: w.name.clone(),
            url: Some(w.url.clone()),
            secret: w.secret.0.as_bytes().to_vec(),
            events: w
                .events
                .iter()
                .map(|e| match e {
                    EventName::MessageStatus => EventKind::MessageStatus,
                    EventName::MessageReceived => EventKind::MessageReceived,
                })
                .collect(),
            kind: TargetKind::Webhook,
            template: w.template.clone(),
            inbound: inbound_routes::InboundFilter::for_target(&w.name, &config.inbound_routes),
            delivery: w.delivery(),
            egress: None,
        })
        .collect();
    if let Some(cb) = &config.callbacks {
        out.push(Target {
            name: CALLBACK_TARGET.to_string(),
            url: None,
            secret: cb.secret.0.as_bytes().to_vec(),
            events: vec![EventKind::MessageStatus],
            kind: TargetKind::Callback,
            template: None,
            inbound: inbound_routes::InboundFilter::All,
            delivery: cb.delivery(),
            egress: Some(Arc::new(egress::EgressPolicy::new(&cb.allow))),
        });
    }
    if config.kannel.enabled {
        out.push(Target {
            name: KANNEL_DLR_TARGET.to_string(),
            url: None,
            secret: Vec::new(),
            events: vec![EventKind::MessageStatus],
            kind: TargetKind::KannelDlr,
            template: None,
            inbound: inbound_routes::InboundFilter::All,
            delivery: DeliveryConfig {
                timeout: std::time::Duration::from_secs(10),
                retry_base: std::time::Duration::from_secs(10),
                retry_max: std::time::Duration::from_secs(15 * 60),
                retry_for: std::time::Duration::from_secs(24 * 3600),
                max_in_flight: 4,
            },
            egress: Some(Arc::new(egress::EgressPolicy::new(
                &config.kannel.dlr_allow,
            ))),
        });
    }
    out
}

/// How often the events every reader has read are removed. Within a checkpoint interval
/// (`store::wal`, 5 s), so most events never reach sled at all: kept there, they were two
/// fifths of what a message cost sled to write (BENCHMARKS.md). What they say stays in each
/// message's history and, for every target, in its queued deliveries and dead letters.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How far a reader of the event log other than a webhook target has read (the metrics'
/// activity counter): events after it are kept for it.
pub type EventReader = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Every [`PRUNE_EVERY`]: removes the events that every target in `targets` (by its durable
/// cursor) and every one of `readers` has read. Runs until `stop`.
pub async fn prune_events(
    store: Arc<Store>,
    targets: Vec<String>,
    readers: Vec<EventReader>,
    stop: CancellationToken,
) {
    let mut pruned_upto = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
        }
        let s = store.clone();
        let t = targets.clone();
        // Cursor reads are store reads: off the runtime.
        let read = tokio::task::spawn_blocking(move || -> Result<u64, StoreError> {
            let mut upto = s.last_event_seq()?;
            for name in &t {
                upto = upto.min(s.webhook_cursor(name)?);
            }
            Ok(upto)
        })
        .await;
        let upto = match read {
            Ok(Ok(upto)) => readers.iter().fold(upto, |upto, r| upto.min(r())),
            Ok(Err(e)) => {
                tracing::warn!(target: "smsgw::webhook", cause = %e, "cannot read the event cursors");
                continue;
            }
            Err(e) => {
                tracing::warn!(target: "smsgw::webhook", cause = %e, "event cursor task failed");
                continue;
            }
        };
        if upto <= pruned_upto {
            continue;
        }
        // Every reader has read them, whenever they were written.
        let any_time = Timestamp(u64::MAX);
        // A step per writer job: writes queued meanwhile go between the steps.
        let mut n = 0;
        let pruned = loop {
            match store
                .writer()
                .prune_events_step(upto, any_time)
                .wait()
                .await
            {
                Ok(step) => {
                    n += step.events;
                    if !step.more || stop.is_cancelled() {
                        break Ok(n);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        match pruned {
            Ok(n) => {
                pruned_upto = upto;
                if n > 0 {
                    tracing::debug!(target: "smsgw::webhook", pruned = n, upto, "read events removed");
                }
            }
            Err(e) => tracing::warn!(target: "smsgw::webhook", cause = %e, "cannot prune events"),
        }
    }
}

/// A running target, as the API and metrics see it.
#[derive(Debug)]
pub struct TargetHandle {
    /// The target's name.
    pub name: String,
    /// Its live figures.
    pub stats: Arc<TargetStats>,
    reload: Arc<Notify>,
}

/// Every running target.
#[derive(Debug, Default)]
pub struct Webhooks {
    targets: Vec<TargetHandle>,
}

impl Webhooks {
    /// No targets (a gateway without webhooks, and tests).
    pub fn none() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Spawns one worker per target into `tracker`; they stop when `stop` is cancelled.
    pub fn start(
        store: Arc<Store>,
        targets: Vec<Target>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Arc<Self> {
        let mut handles = Vec::with_capacity(targets.len());
        for target in targets {
            // The cursor is fixed now, before the API takes requests, so a new target starts
            // exactly after the events that existed before it (and misses none after); the
            // worker reads it once the writer has.
            let started = store.writer().webhook_start(&target.name);
            let stats = Arc::new(TargetStats::default());
            let reload = Arc::new(Notify::new());
            handles.push(TargetHandle {
                name: target.name.clone(),
                stats: stats.clone(),
                reload: reload.clone(),
            });
            let worker = Worker {
                store: store.clone(),
                target: Arc::new(target),
                transport: transport.clone(),
                clock: clock.clone(),
                stats,
                reload,
            };
            tracker.spawn(worker.run(started, stop.clone()));
        }
        Arc::new(Self { targets: handles })
    }

    /// The running targets.
    pub fn targets(&self) -> &[TargetHandle] {
        &self.targets
    }

    /// Deliveries waiting, summed over targets (a metric).
    pub fn backlog(&self) -> u64 {
        self.targets
            .iter()
            .map(|t| t.stats.backlog.load(Ordering::Relaxed))
            .sum()
    }

    /// Moves dead letters of target `name` back to its queue (the one with event id `seq`, or
    /// all) and wakes its worker. `None` when there is no such target.
    pub async fn replay(
        &self,
        store: &Store,
        name: &str,
        seq: Option<u64>,
        now: Timestamp,
    ) -> Result<Option<Vec<Delivery>>, StoreError> {
        let Some(t) = self.targets.iter().find(|t| t.name == name) else {
            return Ok(None);
        };
        let revived = store.writer().webhook_revive(name, seq, now).wait().await?;
        t.reload.notify_one();
        Ok(Some(revived))
    }
}
