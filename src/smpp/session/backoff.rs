//! Reconnect delays: exponential from `reconnect_min` to `reconnect_max` with jitter, so many
//! gateways (or sessions) cut by the same SMSC restart do not reconnect in lockstep. A refused
//! bind (bad credentials) waits the longest delay every time: retrying faster only fills the
//! operator's logs and may lock the account.

use std::time::Duration;

/// Backoff state of one connection.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Delays between `min` and `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            failures: 0,
        }
    }

    /// A bind succeeded: the next failure starts from `min` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay after one more failure: `min·2^n` capped at `max`, then a random 50–100 %.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.min.saturating_mul(1u32 << self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        jitter(exp.min(self.max))
    }

    /// The delay after a refused bind: `max`, with jitter.
    pub fn refused(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        jitter(self.max)
    }
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.5 + fastrand::f64() * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_should_double_up_to_the_maximum_with_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let ds: Vec<Duration> = (0..6).map(|_| b.next_delay()).collect();
        for (d, cap) in ds.iter().zip([1, 2, 4, 8, 8, 8]) {
            let cap = Duration::from_secs(cap);
            assert!(*d <= cap && *d >= cap / 2, "{d:?} vs {cap:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
        assert!(b.refused() >= Duration::from_secs(4));
    }
}
