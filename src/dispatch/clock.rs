//! Time for the dispatcher, injectable so tests control it.

use std::fmt::Debug;

use crate::model::Timestamp;

/// Where the dispatcher reads "now". Sleeping always goes through `tokio::time`, so a clock
/// that follows tokio's (pausable) time makes timers deterministic in tests.
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Wall-clock time that advances with tokio's clock: `start` plus the tokio time elapsed since
/// creation. Under `tokio::time::pause()` it jumps exactly as timers fire.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start: Timestamp,
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `start` now.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            start,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        self.start.plus(self.origin.elapsed())
    }
}
