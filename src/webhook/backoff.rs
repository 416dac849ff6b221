//! Retry pacing: exponential backoff with jitter, bounded by `retry_max`, given up after
//! `retry_for` from the first attempt.

use std::time::Duration;

use crate::config::DeliveryConfig;
use crate::model::Timestamp;

/// The delay before attempt `failed + 1`, after `failed` failures (≥ 1): `retry_base ·
/// 2^(failed-1)`, at most `retry_max`, then scaled into `[d/2, d]` by `jitter` ∈ [0, 1] so that
/// many deliveries that failed together do not come back together.
pub fn delay(cfg: &DeliveryConfig, failed: u32, jitter: f64) -> Duration {
    let exp = failed.saturating_sub(1).min(30);
    let full = cfg
        .retry_base
        .saturating_mul(1u32 << exp)
        .min(cfg.retry_max);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Whether a delivery first tried at `first` has used up its time at `now`.
pub fn exhausted(cfg: &DeliveryConfig, first: Timestamp, now: Timestamp) -> bool {
    first.until(now) >= cfg.retry_for
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DeliveryConfig {
        DeliveryConfig {
            timeout: Duration::from_secs(5),
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(600),
            retry_for: Duration::from_secs(3600),
            max_in_flight: 2,
        }
    }

    #[test]
    fn delays_should_double_up_to_the_maximum_and_jitter_within_half() {
        let c = cfg();
        assert_eq!(delay(&c, 1, 1.0), Duration::from_secs(10));
        assert_eq!(delay(&c, 2, 1.0), Duration::from_secs(20));
        assert_eq!(delay(&c, 4, 1.0), Duration::from_secs(80));
        assert_eq!(delay(&c, 20, 1.0), Duration::from_secs(600));
        assert_eq!(delay(&c, 1000, 0.0), Duration::from_secs(300));
    }

    #[test]
    fn a_delivery_should_be_exhausted_once_retry_for_has_passed() {
        let c = cfg();
        assert!(!exhausted(&c, Timestamp(0), Timestamp(3_599_999)));
        assert!(exhausted(&c, Timestamp(0), Timestamp(3_600_000)));
    }
}
