//! Adaptive pacing of a link: additive increase, multiplicative decrease (AIMD) of the send
//! window and the rate when the SMSC answers `ESME_RTHROTTLED` or `ESME_RMSGQFUL` (SMPP 3.4
//! §5.1.3). Not Kannel's fixed pause nor Jasmin's fixed retry count: the link halves what it
//! sends at once and how fast, then grows back slowly while the SMSC accepts.
//!
//! Pure: time comes in as arguments (tokio's `Instant`, so tests run under a paused clock).

use std::time::Duration;

use tokio::time::Instant;

/// Slowest the link goes after repeated throttling (messages per second).
pub const MIN_RATE: f64 = 1.0;

/// Throttle answers within this time of a cut belong to the same congestion event (the
/// window already in flight when the cut happened) and do not cut again, like TCP's once per
/// round trip.
pub const CUT_HOLD: Duration = Duration::from_millis(250);

/// After this long without a throttle, an unlimited link whose rate grew back past twice
/// the cut point is unlimited again.
pub const UNLIMIT_AFTER: Duration = Duration::from_secs(10);

/// Window and rate of one link.
#[derive(Debug, Clone)]
pub struct Aimd {
    max_window: f64,
    window: f64,
    max_rate: Option<f64>,
    /// The current rate limit; `None` is unlimited (the window alone bounds the link).
    rate: Option<f64>,
    /// The rate when it was last cut, sizing the additive steps.
    cut_at_rate: f64,
    last_cut: Option<Instant>,
    last_recover: Instant,
    tokens: f64,
    last_refill: Instant,
    measure_start: Instant,
    measure_acks: u64,
    measured: f64,
    /// How many cuts happened (for metrics).
    pub cuts: u64,
}

impl Aimd {
    /// A link allowed `window` submits in flight per session and at most `rate` per second.
    pub fn new(window: u32, rate: Option<f64>, now: Instant) -> Aimd {
        let w = f64::from(window.max(1));
        Aimd {
            max_window: w,
            window: w,
            max_rate: rate,
            rate,
            cut_at_rate: rate.unwrap_or(MIN_RATE),
            last_cut: None,
            last_recover: now,
            tokens: 1.0,
            last_refill: now,
            measure_start: now,
            measure_acks: 0,
            measured: 0.0,
            cuts: 0,
        }
    }

    /// The window now (submits in flight per session), at least 1.
    pub fn window(&self) -> usize {
        (self.window.floor() as usize).max(1)
    }

    /// The rate limit now, if any.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Accepted submits per second over the last measured second.
    fn measured_rate(&self, now: Instant) -> f64 {
        let el = now.duration_since(self.measure_start).as_secs_f64();
        let current = if el > 0.05 {
            self.measure_acks as f64 / el
        } else {
            0.0
        };
        current.max(self.measured)
    }

    /// A submit was accepted: the window grows by about one per window's worth of accepts.
    pub fn on_accept(&mut self, now: Instant) {
        self.measure_acks += 1;
        let el = now.duration_since(self.measure_start);
        if el >= Duration::from_secs(1) {
            self.measured = self.measure_acks as f64 / el.as_secs_f64();
            self.measure_acks = 0;
            self.measure_start = now;
        }
        self.window = (self.window + 1.0 / self.window).min(self.max_window);
    }

    /// The SMSC throttled: halve the window and the rate (once per congestion event).
    pub fn on_throttle(&mut self, now: Instant) {
        if self
            .last_cut
            .is_some_and(|t| now.duration_since(t) < CUT_HOLD)
        {
            return;
        }
        self.cuts += 1;
        self.last_cut = Some(now);
        self.window = (self.window / 2.0).max(1.0);
        let base = match self.rate {
            Some(r) => r,
            None => self.measured_rate(now).max(MIN_RATE * 2.0),
        };
        let r = (base / 2.0).max(MIN_RATE);
        self.rate = Some(r);
        self.cut_at_rate = r;
        // The bucket restarts now with at most one token: an unlimited link has not been
        // refilling it, and a cut link must not spend a burst saved at the old rate.
        self.tokens = self.tokens.min(1.0);
        self.last_refill = now;
        self.last_recover = now;
    }

    /// Additive recovery: the rate grows by a tenth of the cut point per second.
    fn recover(&mut self, now: Instant) {
        let dt = now.duration_since(self.last_recover).as_secs_f64();
        self.last_recover = now;
        let Some(r) = self.rate else {
            return;
        };
        let step = (self.cut_at_rate / 10.0).max(MIN_RATE);
        let grown = r + step * dt;
        self.rate = match self.max_rate {
            Some(max) => Some(grown.min(max)),
            None => {
                let calm = self
                    .last_cut
                    .is_none_or(|t| now.duration_since(t) >= UNLIMIT_AFTER);
                if calm && grown >= 2.0 * self.cut_at_rate {
                    None
                } else {
                    Some(grown)
                }
            }
        };
    }

    /// Takes one send token: `Ok` to send now, or the instant when one will be available.
    pub fn take(&mut self, now: Instant) -> Result<(), Instant> {
        self.recover(now);
        let Some(r) = self.rate else {
            return Ok(());
        };
        let burst = (r / 20.0).max(1.0);
        let dt = now.duration_since(self.last_refill).as_secs_f64();
        self.last_refill = now;
        self.tokens = (self.tokens + r * dt).min(burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(now + Duration::from_secs_f64((1.0 - self.tokens) / r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_should_halve_window_and_rate_once_per_event() {
        let t0 = Instant::now();
        let mut a = Aimd::new(64, Some(100.0), t0);
        a.on_throttle(t0);
        a.on_throttle(t0 + Duration::from_millis(10));
        assert_eq!(a.window(), 32);
        assert_eq!(a.rate(), Some(50.0));
        assert_eq!(a.cuts, 1);
        a.on_throttle(t0 + CUT_HOLD * 2);
        assert_eq!(a.window(), 16);
        assert_eq!(a.rate(), Some(25.0));
    }

    #[test]
    fn the_rate_should_recover_additively_up_to_the_contract() {
        let t0 = Instant::now();
        let mut a = Aimd::new(10, Some(100.0), t0);
        a.on_throttle(t0);
        assert_eq!(a.rate(), Some(50.0));
        let _ = a.take(t0 + Duration::from_secs(2));
        let r = a.rate().unwrap();
        assert!((59.0..=61.0).contains(&r), "{r}");
        let _ = a.take(t0 + Duration::from_secs(60));
        assert_eq!(a.rate(), Some(100.0));
    }

    #[test]
    fn an_unlimited_link_should_be_limited_after_a_throttle_then_freed() {
        let t0 = Instant::now();
        let mut a = Aimd::new(10, None, t0);
        for i in 0..400 {
            a.on_accept(t0 + Duration::from_millis(i * 5));
        }
        let t1 = t0 + Duration::from_secs(2);
        a.on_throttle(t1);
        let r = a.rate().unwrap();
        assert!((80.0..=120.0).contains(&r), "{r}");
        assert!(a.take(t1).is_ok());
        assert!(a.take(t1).is_err());
        let _ = a.take(t1 + Duration::from_secs(30));
        assert_eq!(a.rate(), None);
    }

    #[test]
    fn pacing_should_space_sends_at_the_rate() {
        let t0 = Instant::now();
        let mut a = Aimd::new(10, Some(10.0), t0);
        assert!(a.take(t0).is_ok());
        let next = a.take(t0).unwrap_err();
        assert_eq!(next.duration_since(t0), Duration::from_millis(100));
    }
}
