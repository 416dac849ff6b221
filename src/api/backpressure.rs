//! Back-pressure: submissions are refused with a reason and `Retry-After` when the queue is at
//! its configured limit (429) or the disk is below its free-space floor (503), instead of
//! being accepted into a gateway that cannot keep up or cannot write.
//!
//! Both figures are refreshed by one background task ([`Pressure::run`]), so a submission
//! costs a few atomic loads. Between refreshes, accepted submissions are added to the last
//! count. Submissions accepted while a count runs are taken as included in it, so concurrent
//! submitters can overshoot the limit by at most what is accepted during one count.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;
use crate::config::LimitsConfig;
use crate::metrics::{Collector, Exposition};
use crate::model::Status;
use crate::store::Store;

/// How often the queue depth and free space are measured.
pub const REFRESH: Duration = Duration::from_secs(1);
/// `Retry-After` for a full queue: about what a busy route needs to drain a little.
pub const QUEUE_RETRY_AFTER: u32 = 30;
/// `Retry-After` for a full disk: an operator has to act.
pub const DISK_RETRY_AFTER: u32 = 300;

/// Current figures against the configured limits.
#[derive(Debug)]
pub struct Pressure {
    limits: LimitsConfig,
    /// Messages counted `queued` or `sending` at the last refresh, and the value of `added`
    /// when that count ended.
    base: parking_lot::Mutex<(u64, u64)>,
    /// Messages accepted since start (monotonic).
    added: AtomicU64,
    /// Free bytes for unprivileged writers at the last refresh (`u64::MAX` when unknown).
    free_disk: AtomicU64,
    /// Submissions refused for the disk floor, and for the queue limit (monotonic).
    refused_disk: AtomicU64,
    refused_queue: AtomicU64,
}

impl Pressure {
    /// Pressure with `limits`; figures start at "fine" until the first refresh.
    pub fn new(limits: LimitsConfig) -> Arc<Self> {
        Arc::new(Self {
            limits,
            base: parking_lot::Mutex::new((0, 0)),
            added: AtomicU64::new(0),
            free_disk: AtomicU64::new(u64::MAX),
            refused_disk: AtomicU64::new(0),
            refused_queue: AtomicU64::new(0),
        })
    }

    /// No limits (tests, and gateways without a `[limits]` table).
    pub fn unlimited() -> Arc<Self> {
        Self::new(LimitsConfig::default())
    }

    /// Whether `n` more messages may be accepted now.
    pub fn admit(&self, n: u64) -> Result<(), ApiError> {
        if let Some(floor) = self.limits.min_free_disk {
            let free = self.free_disk.load(Ordering::Relaxed);
            if free < floor.0 {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "disk_full",
                    format!(
                        "the store's disk has {free} bytes free, below the configured floor of {}; nothing was accepted",
                        floor.0
                    ),
                );
                e.retry_after = Some(DISK_RETRY_AFTER);
                self.refused_disk.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        }
        if let Some(max) = self.limits.max_queued {
            let waiting = self.waiting();
            if waiting.saturating_add(n) > max {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "queue_full",
                    format!(
                        "{waiting} messages are waiting to be sent and the limit is {max}; nothing was accepted, retry later"
                    ),
                );
                e.retry_after = Some(QUEUE_RETRY_AFTER);
                self.refused_queue.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Counts `n` accepted messages until the next refresh.
    pub fn accepted(&self, n: u64) {
        self.added.fetch_add(n, Ordering::AcqRel);
    }

    /// Messages waiting at the last measurement plus those accepted since.
    pub fn waiting(&self) -> u64 {
        let (base, mark) = *self.base.lock();
        base.saturating_add(self.added.load(Ordering::Acquire).saturating_sub(mark))
    }

    /// Measures once: queue depth from the store, free space of `dir`'s file system.
    pub async fn refresh(&self, store: &Arc<Store>, dir: &std::path::Path) {
        // The mark first: a message is accepted after its insert, so one accepted before the
        // mark is in the count, and one accepted after it is counted in `added` (perhaps in
        // both, for a moment: too many is safe, too few let the queue overflow).
        let mark = self.added.load(Ordering::Acquire);
        let waiting =
            store.count_in_status(Status::Queued) + store.count_in_status(Status::Sending);
        *self.base.lock() = (waiting, mark);
        self.refresh_disk(dir).await;
    }

    /// Measures the free space of `dir`'s file system only (a statvfs call).
    async fn refresh_disk(&self, dir: &std::path::Path) {
        let d = dir.to_path_buf();
        if let Ok(free) = tokio::task::spawn_blocking(move || free_space(&d)).await {
            self.free_disk
                .store(free.unwrap_or(u64::MAX), Ordering::Relaxed);
        }
    }

    /// Until `stop`: free space every [`REFRESH`]; the queue count too, or less often when
    /// counting takes long ([`refresh_pause`]).
    pub async fn run(self: Arc<Self>, store: Arc<Store>, dir: PathBuf, stop: CancellationToken) {
        let mut next_count = tokio::time::Instant::now();
        loop {
            let started = tokio::time::Instant::now();
            if started >= next_count {
                self.refresh(&store, &dir).await;
                let took = started.elapsed();
                next_count = started + took + refresh_pause(took);
            } else {
                self.refresh_disk(&dir).await;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(REFRESH) => {}
            }
        }
    }
}

/// The pause after a queue count that took `took`: [`REFRESH`], or twenty times the count's
/// time when that is longer. Counting walks the `queued` and `sending` index entries, so with a
/// million messages waiting it takes about a second; counting every second would keep a core
/// busy, while between counts accepted submissions are still added to the figure.
pub fn refresh_pause(took: Duration) -> Duration {
    REFRESH.max(took.saturating_mul(20))
}

/// Bytes available to unprivileged writers on `dir`'s file system (statvfs `f_bavail ·
/// f_frsize`, POSIX.1-2008), or `None` when it cannot be read.
pub fn free_space(dir: &std::path::Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

impl Collector for Pressure {
    fn collect(&self, out: &mut Exposition) {
        for (reason, n) in [
            ("disk_full", &self.refused_disk),
            ("queue_full", &self.refused_queue),
        ] {
            out.counter(
                "smsgw_submissions_refused_total",
                "Submissions refused by back-pressure, by reason (nothing of them was accepted).",
                &[("reason", reason)],
                n.load(Ordering::Relaxed) as f64,
            );
        }
        let free = self.free_disk.load(Ordering::Relaxed);
        if free != u64::MAX {
            out.gauge(
                "smsgw_store_disk_free_bytes",
                "Free bytes on the store's file system at the last measurement.",
                &[],
                free as f64,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_count_should_space_the_next_one_out_so_it_takes_at_most_a_twentieth_of_a_core() {
        assert_eq!(refresh_pause(Duration::from_millis(2)), REFRESH);
        assert_eq!(
            refresh_pause(Duration::from_millis(900)),
            Duration::from_secs(18)
        );
        for ms in [1u64, 49, 50, 51, 400, 5_000] {
            let took = Duration::from_millis(ms);
            assert!(took.as_secs_f64() / (took + refresh_pause(took)).as_secs_f64() <= 0.05);
        }
    }
}
