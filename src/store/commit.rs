//! Group commit: many writers, one fsync.
//!
//! A writer appends its change to the journal ([`super::wal`]), takes a ticket, and waits
//! until a journal sync that started after its ticket has finished. A single flusher task runs
//! one sync at a time on a blocking thread; every writer that took a ticket while a sync was
//! running is covered by the next one. So N concurrent submitters cause about
//! N / (writes per sync) fsyncs, not N.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Notify, watch};

use super::StoreError;

/// The least time between the starts of two flushes. Measured on the 2-core machine of
/// BENCHMARKS.md when a flush was sled's: with no spacing, 64 concurrent submitters caused
/// ~900 flushes/s of ~1 ms CPU each, covering ~5 writes each, and flushing took most of a core.
pub const GROUP_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);

/// What the flusher has made durable so far.
#[derive(Debug, Clone, Default)]
struct Flushed {
    /// Every ticket up to this one is on disk.
    upto: u64,
    /// The last flush failed: tickets up to this value got this error.
    failed: Option<(u64, String)>,
    /// The flusher has stopped.
    closed: bool,
}

/// A place in line for a flush, taken when it was made, that can be waited on from any task
/// (cloned for several).
#[derive(Debug, Clone)]
pub struct Durable {
    commit: Arc<GroupCommit>,
    ticket: u64,
}

impl Durable {
    /// Takes a ticket covering every write applied so far.
    pub fn new(commit: Arc<GroupCommit>) -> Self {
        let ticket = commit.ticket();
        Self { commit, ticket }
    }

    /// Waits until those writes are on disk.
    pub async fn wait(&self) -> Result<(), StoreError> {
        self.commit.wait(self.ticket).await
    }
}

/// Shared state between writers and the flusher.
#[derive(Debug)]
pub struct GroupCommit {
    /// The tree whose journal is synced.
    tree: super::wal::Tree,
    issued: AtomicU64,
    flushes: AtomicU64,
    /// Time spent in flushes, in microseconds (metrics).
    flush_micros: AtomicU64,
    kick: Notify,
    state: watch::Sender<Flushed>,
}

impl GroupCommit {
    /// Creates the commit state; [`GroupCommit::run`] must be spawned to make progress.
    pub fn new(tree: super::wal::Tree) -> Arc<Self> {
        Arc::new(Self {
            tree,
            issued: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            flush_micros: AtomicU64::new(0),
            kick: Notify::new(),
            state: watch::Sender::new(Flushed::default()),
        })
    }

    /// Takes a ticket for writes that have already been applied.
    pub fn ticket(&self) -> u64 {
        let t = self.issued.fetch_add(1, Ordering::AcqRel) + 1;
        self.kick.notify_one();
        t
    }

    /// Waits until every write applied before `ticket` was taken is on disk.
    pub async fn wait(&self, ticket: u64) -> Result<(), StoreError> {
        let mut rx = self.state.subscribe();
        loop {
            {
                let s = rx.borrow_and_update();
                if s.upto >= ticket {
                    return Ok(());
                }
                if let Some((upto, err)) = &s.failed {
                    if *upto >= ticket {
                        return Err(StoreError::Flush(err.clone()));
                    }
                }
                if s.closed {
                    return Err(StoreError::Closed);
                }
            }
            if rx.changed().await.is_err() {
                return Err(StoreError::Closed);
            }
        }
    }

    /// How many flushes ran so far (a test and metrics figure).
    pub fn flush_count(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Time spent flushing so far.
    pub fn flush_time(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.flush_micros.load(Ordering::Relaxed))
    }

    /// The flusher loop: one flush at a time, covering every ticket issued before it starts.
    /// Returns when `shutdown` fires, after a last flush.
    pub async fn run(self: Arc<Self>, shutdown: tokio_util::sync::CancellationToken) {
        // The highest ticket a flush was attempted for, successful or not: a failed flush is
        // not retried in a loop; the next write tries again.
        let mut attempted = 0;
        loop {
            let target = self.issued.load(Ordering::Acquire);
            if target > attempted {
                let started = tokio::time::Instant::now();
                self.flush_upto(target).await;
                let covered = target - attempted;
                attempted = target;
                // A sync costs about the same whether it covers one write or a hundred (and
                // writes the same partly filled page again), so while writers come several
                // at a time syncs are spaced by at least GROUP_WINDOW: those arriving
                // meanwhile share the next one. A sync that covered a single write means
                // nobody is waiting behind it — a client sending one request at a time — and
                // the next goes at once rather than waiting out a window for company.
                if covered > 1 {
                    tokio::time::sleep_until(started + GROUP_WINDOW).await;
                }
                continue;
            }
            tokio::select! {
                _ = self.kick.notified() => {}
                _ = shutdown.cancelled() => break,
            }
        }
        let target = self.issued.load(Ordering::Acquire);
        self.flush_upto(target).await;
        self.state.send_modify(|s| s.closed = true);
    }

    async fn flush_upto(&self, target: u64) {
        let tree = self.tree.clone();
        let started = std::time::Instant::now();
        let result = tokio::task::spawn_blocking(move || tree.sync()).await;
        self.flush_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        let outcome = match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("flush task failed: {e}")),
        };
        self.state.send_modify(|s| match outcome {
            Ok(()) => s.upto = s.upto.max(target),
            Err(err) => {
                tracing::error!(target: "smsgw::store", cause = %err, "flush failed");
                s.failed = Some((target, err));
            }
        });
    }
}

impl GroupCommit {
    /// Syncs the journal on the calling thread (shutdown and tests).
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.tree.sync()
    }
}

impl crate::metrics::Collector for GroupCommit {
    fn collect(&self, out: &mut crate::metrics::Exposition) {
        out.counter(
            "smsgw_store_flushes_total",
            "Journal syncs to disk (each covers every write made before it started).",
            &[],
            self.flush_count() as f64,
        );
        out.counter(
            "smsgw_store_flush_seconds_total",
            "Time spent in journal syncs to disk.",
            &[],
            self.flush_time().as_secs_f64(),
        );
    }
}
