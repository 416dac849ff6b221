//! Each modem's recent signal readings, for the console's signal history: sampled from the
//! modem registry every [`SAMPLE_EVERY`], [`KEPT`] samples per modem (an hour). The sampler
//! task is the one writer; the overview reads copies.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::model::Timestamp;
use crate::modem::build::ModemRegistry;
use crate::modem::status::ModemView;

/// How often signal is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(15);
/// Samples kept per modem.
pub const KEPT: usize = 240;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// When.
    pub at: Timestamp,
    /// `+CSQ` rssi 0..31; `None` when unknown (99) or the modem was down.
    pub rssi: Option<u8>,
}

/// The readings, by modem name.
#[derive(Debug, Default)]
pub struct SignalHistory {
    by_modem: Mutex<HashMap<String, VecDeque<Sample>>>,
}

impl SignalHistory {
    /// Adds each modem's current reading.
    pub fn record(&self, views: &[ModemView], at: Timestamp) {
        let mut by_modem = self.by_modem.lock();
        for v in views {
            let rssi = v.signal_rssi.filter(|r| *r <= 31 && v.is_up());
            let samples = by_modem.entry(v.name.clone()).or_default();
            samples.push_back(Sample { at, rssi });
            while samples.len() > KEPT {
                samples.pop_front();
            }
        }
    }

    /// One modem's readings, oldest first.
    pub fn of(&self, modem: &str) -> Vec<Sample> {
        self.by_modem
            .lock()
            .get(modem)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// Samples `modems` into `history` until `stop`.
pub async fn sample(history: Arc<SignalHistory>, modems: ModemRegistry, stop: CancellationToken) {
    let mut every = tokio::time::interval(SAMPLE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => history.record(&modems.views(), Timestamp::now()),
        }
    }
}
