//! A fixed-bucket histogram with atomic counters: cheap enough to observe on every request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::exposition::{Exposition, Kind};

/// Submit latency buckets in seconds: a flush on an SSD takes about a millisecond, on an SD
/// card tens of milliseconds; beyond a second something is wrong.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Counts of observations at or below each bound, plus the sum and count.
#[derive(Debug)]
pub struct Histogram {
    bounds: Vec<f64>,
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// A histogram with these upper bounds (seconds, increasing).
    pub fn new(bounds: &[f64]) -> Self {
        Self {
            bounds: bounds.to_vec(),
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = self.bounds.iter().position(|&b| secs <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Writes `name_bucket{le=…}` (cumulative), `name_sum` and `name_count`.
    pub fn write(&self, out: &mut Exposition, name: &str, help: &str) {
        let mut cumulative = 0;
        let bucket = format!("{name}_bucket");
        for (b, n) in self.bounds.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let le = format!("{b}");
            out.sample(
                name,
                help,
                Kind::Histogram,
                &bucket,
                &[("le", &le)],
                cumulative as f64,
            );
        }
        let count = self.count();
        out.sample(
            name,
            help,
            Kind::Histogram,
            &bucket,
            &[("le", "+Inf")],
            count as f64,
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.sample(
            name,
            help,
            Kind::Histogram,
            &format!("{name}_sum"),
            &[],
            sum,
        );
        out.sample(
            name,
            help,
            Kind::Histogram,
            &format!("{name}_count"),
            &[],
            count as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_should_be_cumulative_and_end_with_inf() {
        let h = Histogram::new(&[0.01, 0.1]);
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(50));
        h.observe(Duration::from_secs(3));
        let mut e = Exposition::new();
        h.write(&mut e, "x", "X.");
        let text = e.render();
        assert!(text.contains("x_bucket{le=\"0.01\"} 1\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"0.1\"} 2\n"));
        assert!(text.contains("x_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("x_count 3\n"));
        assert!(text.contains("x_sum 3.055\n"));
    }
}
