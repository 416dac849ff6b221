//! Retry timing for temporary failures.

use std::time::Duration;

/// Exponential backoff with jitter, capped, for at most `max_attempts` attempts.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// Delay after the first failure.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`, after `attempts` failed ones: `base · 2^(n-1)`,
    /// capped at `max`, then drawn uniformly from its upper half so that messages that failed
    /// together do not retry together.
    pub fn delay(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exp).min(self.max);
        let half = full / 2;
        half + Duration::from_millis(fastrand::u64(0..=half.as_millis() as u64))
    }

    /// Whether another attempt is allowed after `attempts` attempts.
    pub fn may_retry(&self, attempts: u32) -> bool {
        attempts < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_should_double_stay_capped_and_jitter_in_the_upper_half() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
        };
        for _ in 0..100 {
            let d1 = p.delay(1);
            assert!(d1 >= Duration::from_secs(5) && d1 <= Duration::from_secs(10));
            let d3 = p.delay(3);
            assert!(d3 >= Duration::from_secs(20) && d3 <= Duration::from_secs(40));
            assert!(p.delay(20) <= Duration::from_secs(60));
        }
        assert!(p.may_retry(4));
        assert!(!p.may_retry(5));
    }
}
