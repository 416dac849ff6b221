//! Metrics: a small registry rendered in the Prometheus text format (exposition format 0.0.4)
//! at `GET /metrics`, and the console overview's live figures.
//!
//! Extension point for drivers: a modem pool or SMPP link implements [`Collector`] and is
//! registered once with [`Registry::register`] (the daemon hands the registry to the drivers it
//! builds). At every scrape the registry asks each collector to write its samples
//! (`smsgw_modem_signal_dbm{modem="…"}`, `smsgw_smpp_window_used{link="…"}`, …) and, for the
//! console's overview, to describe itself as [`Panel`]s in the `modems` or `links` section.
//!
//! - [`exposition`]: metric families and the text format.
//! - [`histogram`]: a fixed-bucket histogram (submit latency).
//! - [`activity`]: counts status changes and received messages from the store's event log,
//!   and keeps per-minute send/receive rates for the last hour.

pub mod activity;
pub mod exposition;
pub mod histogram;

use std::fmt::Debug;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

pub use exposition::Exposition;
pub use histogram::Histogram;

/// Something that reports figures at scrape time.
pub trait Collector: Send + Sync + Debug + 'static {
    /// Writes this collector's samples.
    fn collect(&self, out: &mut Exposition);

    /// What the console's overview shows for it (one panel per modem or link); none by default.
    fn panels(&self) -> Vec<Panel> {
        Vec::new()
    }
}

/// One box on the console's overview.
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// `modems` or `links`.
    pub section: &'static str,
    /// The modem's or link's name.
    pub name: String,
    /// Whether it works now (green or red).
    pub healthy: bool,
    /// Signal strength in bars 0–5, for modems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_bars: Option<u8>,
    /// One line of state for people ("registered, home network", "bound, window 3/10").
    pub detail: String,
}

/// The collectors, plus the figures the API itself keeps.
#[derive(Debug)]
pub struct Registry {
    collectors: RwLock<Vec<Arc<dyn Collector>>>,
    /// Time from a submission's arrival to its 202 (store write and flush included).
    pub submit_latency: Histogram,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            collectors: RwLock::new(Vec::new()),
            submit_latency: Histogram::new(&histogram::LATENCY_BUCKETS),
        }
    }
}

impl Registry {
    /// A registry with no collectors.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Adds a collector; it is asked at every scrape from now on.
    pub fn register(&self, c: Arc<dyn Collector>) {
        self.collectors.write().push(c);
    }

    /// Lets every collector write its samples into `out`.
    pub fn collect(&self, out: &mut Exposition) {
        self.submit_latency.write(
            out,
            "smsgw_submit_latency_seconds",
            "Time from a submission's arrival to its 202, store flush included.",
        );
        for c in self.collectors.read().iter() {
            c.collect(out);
        }
    }

    /// Every collector's panels.
    pub fn panels(&self) -> Vec<Panel> {
        self.collectors
            .read()
            .iter()
            .flat_map(|c| c.panels())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Modem;

    impl Collector for Modem {
        fn collect(&self, out: &mut Exposition) {
            out.gauge(
                "smsgw_modem_signal_dbm",
                "Signal.",
                &[("modem", "m1")],
                -71.0,
            );
        }
        fn panels(&self) -> Vec<Panel> {
            vec![Panel {
                section: "modems",
                name: "m1".into(),
                healthy: true,
                signal_bars: Some(4),
                detail: "registered".into(),
            }]
        }
    }

    #[test]
    fn a_registered_collector_should_appear_in_every_scrape_and_on_the_status_page() {
        let r = Registry::new();
        r.register(Arc::new(Modem));
        let mut e = Exposition::new();
        r.collect(&mut e);
        let text = e.render();
        assert!(
            text.contains("smsgw_modem_signal_dbm{modem=\"m1\"} -71"),
            "{text}"
        );
        assert!(text.contains("# TYPE smsgw_submit_latency_seconds histogram"));
        assert_eq!(r.panels()[0].name, "m1");
    }
}
