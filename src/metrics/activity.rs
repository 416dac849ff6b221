//! What happened since start, from the store's event log: status changes by status and route,
//! messages received, and per-minute send and receive counts for the last hour (the status
//! page's chart). Reads events like a webhook, but keeps no cursor: it starts at the newest
//! event, and its counters are Prometheus counters that reset with the process.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Collector, Exposition};
use crate::model::{Event, EventKind, Status, Timestamp};
use crate::store::Store;

/// Minutes of history kept for the rate chart.
pub const RATE_MINUTES: usize = 60;
/// Events read per store read.
const BATCH: usize = 1024;

/// Sends and receipts in one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MinuteRate {
    /// Start of the minute.
    pub minute: Timestamp,
    /// Messages that became `sent` in it.
    pub sent: u32,
    /// Receipts in it: messages that became `delivered` or `undelivered`.
    pub receipts: u32,
    /// Messages received in it.
    pub received: u32,
}

/// What a live view hears of one event (the console's stream): enough to know what to
/// refresh, not the event itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveEvent {
    /// The event's sequence number.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// `message.status` or `message.received`.
    pub kind: EventKind,
    /// The message it is about.
    pub message_id: crate::model::MessageId,
    /// The new status, for `message.status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// Live events buffered per listener; one that falls further behind is told it lagged and
/// reloads what it shows.
pub const LIVE_BUFFER: usize = 1024;

#[derive(Debug, Default)]
struct Inner {
    changes: BTreeMap<(Status, String), u64>,
    received: u64,
    minutes: VecDeque<MinuteRate>,
}

/// Counters fed from the event log.
#[derive(Debug)]
pub struct Activity {
    inner: Mutex<Inner>,
    /// The newest event counted; 0 until [`Activity::run`] starts (the event log is kept
    /// for it until then).
    read: AtomicU64,
    /// Every event counted, to live views ([`Activity::listen`]).
    live: tokio::sync::broadcast::Sender<LiveEvent>,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            read: AtomicU64::new(0),
            live: tokio::sync::broadcast::channel(LIVE_BUFFER).0,
        }
    }
}

fn minute_of(t: Timestamp) -> Timestamp {
    Timestamp(t.as_millis() / 60_000 * 60_000)
}

impl Activity {
    /// Empty counters.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Hears every event counted from now on.
    pub fn listen(&self) -> tokio::sync::broadcast::Receiver<LiveEvent> {
        self.live.subscribe()
    }

    /// Counts one event, and tells live views.
    pub fn record(&self, e: &Event) {
        if self.live.receiver_count() > 0 {
            // No listener is not an error: the console may just be closed.
            let _ = self.live.send(LiveEvent {
                seq: e.seq,
                at: e.at,
                kind: e.kind,
                message_id: e.message_id,
                status: e.status,
            });
        }
        let mut inner = self.inner.lock();
        let minute = minute_of(e.at);
        let slot = match inner.minutes.iter().position(|m| m.minute == minute) {
            Some(i) => i,
            None => {
                inner.minutes.push_back(MinuteRate {
                    minute,
                    ..Default::default()
                });
                inner.minutes.make_contiguous().sort_by_key(|m| m.minute);
                while inner.minutes.len() > RATE_MINUTES + 1 {
                    inner.minutes.pop_front();
                }
                match inner.minutes.iter().position(|m| m.minute == minute) {
                    Some(i) => i,
                    None => return,
                }
            }
        };
        match e.kind {
            EventKind::MessageStatus => {
                let Some(status) = e.status else { return };
                let route = e
                    .parts
                    .iter()
                    .find_map(|p| p.route.clone())
                    .unwrap_or_default();
                *inner.changes.entry((status, route)).or_default() += 1;
                match status {
                    Status::Sent => inner.minutes[slot].sent += 1,
                    Status::Delivered | Status::Undelivered => inner.minutes[slot].receipts += 1,
                    _ => {}
                }
            }
            EventKind::MessageReceived => {
                inner.received += 1;
                inner.minutes[slot].received += 1;
            }
        }
    }

    /// The last [`RATE_MINUTES`] minutes before `now`, oldest first, zeros included.
    pub fn rates(&self, now: Timestamp) -> Vec<MinuteRate> {
        let inner = self.inner.lock();
        let last = minute_of(now).as_millis();
        (0..RATE_MINUTES as u64)
            .rev()
            .map(|ago| {
                let minute = Timestamp(last.saturating_sub(ago * 60_000));
                inner
                    .minutes
                    .iter()
                    .find(|m| m.minute == minute)
                    .copied()
                    .unwrap_or(MinuteRate {
                        minute,
                        ..Default::default()
                    })
            })
            .collect()
    }

    /// The newest event counted: those up to it may be pruned as far as this reader goes.
    pub fn events_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// Follows the event log from its newest event until `stop`.
    pub async fn run(self: Arc<Self>, store: Arc<Store>, stop: CancellationToken) {
        let mut events = store.subscribe_events();
        let mut cursor = store.last_event_seq().unwrap_or(0);
        self.read.store(cursor, Ordering::Relaxed);
        loop {
            events.borrow_and_update();
            loop {
                // Reading and decoding a batch of events is store work: not on the runtime.
                let s = store.clone();
                let read = tokio::task::spawn_blocking(move || s.events_after(cursor, BATCH)).await;
                let Ok(read) = read else { break };
                match read {
                    Ok(batch) if !batch.is_empty() => {
                        for e in &batch {
                            self.record(e);
                        }
                        cursor = batch.last().map_or(cursor, |e| e.seq);
                        self.read.store(cursor, Ordering::Relaxed);
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(target: "smsgw::metrics", cause = %e, "cannot read events");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = events.changed() => if changed.is_err() { return },
            }
        }
    }
}

impl Collector for Activity {
    fn collect(&self, out: &mut Exposition) {
        let inner = self.inner.lock();
        for ((status, route), n) in &inner.changes {
            out.counter(
                "smsgw_message_status_changes_total",
                "Outbound messages that changed to this status since start, by route.",
                &[("status", status.as_str()), ("route", route)],
                *n as f64,
            );
        }
        out.counter(
            "smsgw_messages_received_total",
            "Messages received since start.",
            &[],
            inner.received as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageId, Part, PartStatus};

    fn event(at: u64, kind: EventKind, status: Option<Status>, route: Option<&str>) -> Event {
        let mut part = Part::pending(1);
        part.status = PartStatus::Sent;
        part.route = route.map(str::to_string);
        Event {
            seq: at,
            at: Timestamp(at),
            kind,
            message_id: MessageId::new_at(at),
            status,
            reason: None,
            parts: vec![part],
            attempts: 1,
            asks: None,
        }
    }

    #[test]
    fn events_should_count_by_status_and_route_and_fill_minute_rates() {
        let a = Activity::default();
        let t0 = 1_700_000_000_000 / 60_000 * 60_000;
        a.record(&event(
            t0 + 1_000,
            EventKind::MessageStatus,
            Some(Status::Sent),
            Some("sims"),
        ));
        a.record(&event(
            t0 + 2_000,
            EventKind::MessageStatus,
            Some(Status::Sent),
            Some("sims"),
        ));
        a.record(&event(t0 + 61_000, EventKind::MessageReceived, None, None));
        a.record(&event(
            t0 + 62_000,
            EventKind::MessageStatus,
            Some(Status::Queued),
            None,
        ));
        let rates = a.rates(Timestamp(t0 + 90_000));
        assert_eq!(rates.len(), RATE_MINUTES);
        assert_eq!((rates[58].sent, rates[58].received), (2, 0));
        assert_eq!((rates[59].sent, rates[59].received), (0, 1));
        let mut e = Exposition::new();
        a.collect(&mut e);
        let text = e.render();
        assert!(
            text.contains("smsgw_message_status_changes_total{status=\"sent\",route=\"sims\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("smsgw_message_status_changes_total{status=\"queued\",route=\"\"} 1")
        );
        assert!(text.contains("smsgw_messages_received_total 1"));
    }
}
