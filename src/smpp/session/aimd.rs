//! Pacing of a link against the SMSC's throttling (`ESME_RTHROTTLED` / `ESME_RMSGQFUL`, SMPP
//! 3.4 §5.1.3): a controller of the send rate driven by the **fraction** of throttled answers
//! over a short span, not by each answer.
//!
//! What operators do: they enforce a rate cap per second (a TPS in the contract). Above the
//! cap, throttles cluster: a large share of the answers are throttles, and the accepted rate
//! *is* the cap. Below it, a throttle is noise (a busy moment in the SMSC) and costs one
//! retry, nothing more. So:
//!
//! - **Noise is ignored.** The link is judged congested only when more than [`CONGESTED`] of
//!   the answers over the last second or so (at least [`MIN_ANSWERS`] answers, at least
//!   [`MIN_THROTTLES`] throttles, up to [`HISTORY`] back) are throttles. An isolated throttle
//!   never cuts (the old controller halved window and rate on each one: at 1% throttling it
//!   fell to 0.4% of the unthrottled rate).
//! - **A cut goes to what the SMSC accepted**, not to a half: [`BACKOFF`] × the accepted rate
//!   over that span, which is the operator's cap when the link was above it. That accepted
//!   rate becomes the *ceiling*. When nothing was accepted (the SMSC throttles everything),
//!   the link falls to a trickle ([`MIN_RATE`]) and keeps the ceiling it knew (the rate it
//!   had before), so it can come back quickly.
//! - **One cut per round trip**: answers to submits written before the last cut say nothing
//!   about the new rate and are not counted (like TCP's once per round trip).
//! - **Growth is clocked by accepts.** Below the ceiling each accepted submit adds
//!   [`SLOW_START_GAIN`] per second to the rate (an exponential climb, doubling in about a
//!   third of a second of accepts: from the trickle back to a few thousand per second in
//!   about 4 s). At or above the ceiling the rate probes upwards by [`PROBE_STEP`] of the
//!   ceiling per second, so a link that sits at the operator's cap goes over it slowly and is
//!   cut again. A link without a contracted rate drops its limit after [`UNLIMIT_AFTER`]
//!   without congestion once it is back at the ceiling.
//!
//! The window is not cut: the rate bounds the link. It is only kept to about one second's
//! worth of the current rate, so a slowed link does not hold many messages the dispatcher
//! could send elsewhere.
//!
//! Pure: time comes in as arguments (tokio's `Instant`, so tests need no clock and no luck).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Slowest the link goes (messages per second): the trickle while the SMSC throttles
/// everything. No tight loop: a throttled part is resent at this pace.
pub const MIN_RATE: f64 = 1.0;

/// Above this fraction of throttles among the answers, the link is above the SMSC's rate.
/// Random throttling below it is noise: at 10% the link keeps ~90% of its rate.
pub const CONGESTED: f64 = 0.25;

/// The shortest span of answers judged.
pub const MIN_SPAN: Duration = Duration::from_secs(1);

/// The fewest answers judged (a slow link looks further back, up to [`HISTORY`]).
pub const MIN_ANSWERS: u32 = 20;

/// The fewest throttles that make congestion.
pub const MIN_THROTTLES: u32 = 5;

/// How far back answers are kept.
pub const HISTORY: Duration = Duration::from_secs(5);

/// A cut sets the rate to this fraction of the accepted rate.
pub const BACKOFF: f64 = 0.9;

/// Below the ceiling, each accepted submit raises the rate by this many per second.
pub const SLOW_START_GAIN: f64 = 2.0;

/// At or above the ceiling, the rate grows by this fraction of the ceiling per second.
pub const PROBE_STEP: f64 = 0.1;

/// After this long without congestion, a link without a contracted rate that is back at its
/// ceiling is unlimited again (the window alone bounds it).
pub const UNLIMIT_AFTER: Duration = Duration::from_secs(10);

/// Width of one bucket of the answer history.
const SLOT: Duration = Duration::from_millis(100);

/// Answers in one bucket of the history.
#[derive(Debug, Clone, Copy)]
struct Slot {
    index: u64,
    /// When its first answer came.
    first: Instant,
    accepted: u32,
    throttled: u32,
}

/// The answers over a span, as judged.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Judged {
    accepted: u32,
    throttled: u32,
    /// From the first of these answers until now.
    secs: f64,
}

/// Rate control of one link.
#[derive(Debug, Clone)]
pub struct Pacing {
    max_window: usize,
    max_rate: Option<f64>,
    /// The current rate limit; `None` is unlimited (the window alone bounds the link).
    rate: Option<f64>,
    /// The accepted rate when the link was last congested (or the contracted rate): fast
    /// growth below it, slow probing above it.
    ceiling: Option<f64>,
    last_cut: Option<Instant>,
    /// The rate offered (accepted and throttled) when the link was last cut.
    offered_at_cut: f64,
    last_grow: Instant,
    tokens: f64,
    last_refill: Instant,
    origin: Instant,
    slots: VecDeque<Slot>,
    /// How many cuts happened (for metrics).
    pub cuts: u64,
}

impl Pacing {
    /// A link allowed `window` submits in flight per session and at most `rate` per second.
    pub fn new(window: u32, rate: Option<f64>, now: Instant) -> Pacing {
        Pacing {
            max_window: window.max(1) as usize,
            max_rate: rate,
            rate,
            ceiling: rate,
            last_cut: None,
            offered_at_cut: 0.0,
            last_grow: now,
            tokens: 1.0,
            last_refill: now,
            origin: now,
            slots: VecDeque::new(),
            cuts: 0,
        }
    }

    /// The window now (submits in flight per session): the configured one, or about one
    /// second's worth of the current rate when that is less; at least 1.
    pub fn window(&self) -> usize {
        match self.rate {
            None => self.max_window,
            Some(r) => (r.ceil() as usize).clamp(1, self.max_window),
        }
    }

    /// The rate limit now, if any.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    fn slot_index(&self, now: Instant) -> u64 {
        (now.duration_since(self.origin).as_millis() / SLOT.as_millis()) as u64
    }

    /// Whether an answer to a submit written at `sent` tells about the current rate.
    fn counts(&self, sent: Instant) -> bool {
        self.last_cut.is_none_or(|c| sent >= c)
    }

    fn record(&mut self, now: Instant, throttled: bool) {
        let index = self.slot_index(now);
        let keep = (HISTORY.as_millis() / SLOT.as_millis()) as u64;
        while self.slots.front().is_some_and(|s| s.index + keep <= index) {
            self.slots.pop_front();
        }
        if self.slots.back().is_none_or(|s| s.index != index) {
            self.slots.push_back(Slot {
                index,
                first: now,
                accepted: 0,
                throttled: 0,
            });
        }
        if let Some(s) = self.slots.back_mut() {
            if throttled {
                s.throttled += 1;
            } else {
                s.accepted += 1;
            }
        }
    }

    /// The newest answers: back until they span at least [`MIN_SPAN`] with at least
    /// [`MIN_ANSWERS`] answers, or the whole history (since the last cut).
    fn judge(&self, now: Instant) -> Judged {
        let mut j = Judged {
            accepted: 0,
            throttled: 0,
            secs: 0.0,
        };
        for s in self.slots.iter().rev() {
            j.accepted += s.accepted;
            j.throttled += s.throttled;
            j.secs = now.duration_since(s.first).as_secs_f64();
            if j.secs >= MIN_SPAN.as_secs_f64() && j.accepted + j.throttled >= MIN_ANSWERS {
                break;
            }
        }
        j
    }

    /// A submit written at `sent` was accepted: the rate grows (see the module).
    pub fn on_accept(&mut self, sent: Instant, now: Instant) {
        if !self.counts(sent) {
            return;
        }
        self.record(now, false);
        let dt = now.duration_since(self.last_grow).as_secs_f64();
        self.last_grow = now;
        let Some(r) = self.rate else {
            return;
        };
        let grown = match self.ceiling {
            Some(c) if r < c => (r + SLOW_START_GAIN).min(c),
            Some(c) => r + PROBE_STEP * c * dt,
            None => r + PROBE_STEP * r * dt,
        };
        self.rate = match self.max_rate {
            Some(max) => Some(grown.min(max)),
            None => {
                let calm = self
                    .last_cut
                    .is_none_or(|t| now.duration_since(t) >= UNLIMIT_AFTER);
                if calm && self.ceiling.is_none_or(|c| grown >= c) {
                    self.ceiling = None;
                    None
                } else {
                    Some(grown)
                }
            }
        };
    }

    /// A submit written at `sent` was throttled: the rate is cut when throttles make more
    /// than [`CONGESTED`] of the recent answers (see the module).
    pub fn on_throttle(&mut self, sent: Instant, now: Instant) {
        if !self.counts(sent) {
            return;
        }
        self.record(now, true);
        let j = self.judge(now);
        let answers = j.accepted + j.throttled;
        if j.throttled < MIN_THROTTLES || f64::from(j.throttled) <= CONGESTED * f64::from(answers) {
            return;
        }
        let accepted = f64::from(j.accepted) / j.secs;
        let offered = f64::from(answers) / j.secs;
        let cap = |r: f64| self.max_rate.map_or(r, |m| r.min(m));
        let new = if accepted >= 2.0 * MIN_RATE {
            // Above the SMSC's cap: what it accepted is the cap.
            self.ceiling = Some(cap(accepted));
            (BACKOFF * accepted).max(MIN_RATE)
        } else {
            // It takes nothing now: a trickle, remembering how fast the link went before
            // (a first cut may have measured a span that was partly before the block).
            let before = self
                .ceiling
                .map_or(offered, |c| c.max(offered))
                .max(self.offered_at_cut);
            self.ceiling = Some(cap(before));
            MIN_RATE
        };
        self.rate = Some(cap(new));
        self.offered_at_cut = offered;
        self.cuts += 1;
        self.last_cut = Some(now);
        self.last_grow = now;
        self.slots.clear();
        // The bucket restarts now with at most one token: an unlimited link has not been
        // refilling it, and a cut link must not spend a burst saved at the old rate.
        self.tokens = self.tokens.min(1.0);
        self.last_refill = now;
    }

    /// Takes one send token: `Ok` to send now, or the instant when one will be available.
    pub fn take(&mut self, now: Instant) -> Result<(), Instant> {
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

    const MS: Duration = Duration::from_millis(1);

    /// How an SMSC answers one submit at a time: `true` for a throttle.
    trait Smsc {
        fn throttles(&mut self, at: Instant) -> bool;
    }

    /// Throttles a fraction of submits at random (seeded: the same answers every run).
    struct Noise(fastrand::Rng, f64);

    impl Smsc for Noise {
        fn throttles(&mut self, _: Instant) -> bool {
            self.0.f64() < self.1
        }
    }

    /// An operator's rate cap: a token bucket of `rate` per second holding a second's worth.
    struct Cap {
        rate: f64,
        tokens: f64,
        last: Option<Instant>,
    }

    impl Smsc for Cap {
        fn throttles(&mut self, at: Instant) -> bool {
            let dt = self
                .last
                .map_or(0.0, |l| at.duration_since(l).as_secs_f64());
            self.last = Some(at);
            self.tokens = (self.tokens + dt * self.rate).min(self.rate);
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                false
            } else {
                true
            }
        }
    }

    /// Throttles everything between `from` and `until`.
    struct Block {
        from: Instant,
        until: Instant,
    }

    impl Smsc for Block {
        fn throttles(&mut self, at: Instant) -> bool {
            at >= self.from && at < self.until
        }
    }

    /// One link in 1 ms steps: it writes at most `per_ms` submits a millisecond (what the
    /// process manages), as the pacing and the window allow, always with work queued; each
    /// answer comes `rtt` after its submit. Returns submits and accepts per whole second.
    fn simulate(
        p: &mut Pacing,
        t0: Instant,
        secs: u64,
        smsc: &mut dyn Smsc,
    ) -> (Vec<u32>, Vec<u32>) {
        let per_ms = 3;
        let rtt = 25 * MS;
        let mut in_flight: VecDeque<Instant> = VecDeque::new();
        let mut sent = vec![0u32; secs as usize];
        let mut accepted = vec![0u32; secs as usize];
        for ms in 0..secs * 1000 {
            let now = t0 + Duration::from_millis(ms);
            let second = (ms / 1000) as usize;
            while in_flight.front().is_some_and(|&s| s + rtt <= now) {
                let Some(s) = in_flight.pop_front() else {
                    break;
                };
                if smsc.throttles(s + rtt) {
                    p.on_throttle(s, now);
                } else {
                    p.on_accept(s, now);
                    accepted[second] += 1;
                }
            }
            for _ in 0..per_ms {
                if in_flight.len() >= p.window() || p.take(now).is_err() {
                    break;
                }
                in_flight.push_back(now);
                sent[second] += 1;
            }
        }
        (sent, accepted)
    }

    fn per_second(v: &[u32]) -> f64 {
        f64::from(v.iter().sum::<u32>()) / v.len() as f64
    }

    fn unthrottled() -> f64 {
        let t0 = Instant::now();
        let mut p = Pacing::new(100, None, t0);
        let (_, acc) = simulate(&mut p, t0, 10, &mut Noise(fastrand::Rng::with_seed(1), 0.0));
        per_second(&acc)
    }

    #[test]
    fn one_percent_of_throttles_should_be_noise_and_keep_nine_tenths_of_the_rate() {
        let reference = unthrottled();
        let t0 = Instant::now();
        let mut p = Pacing::new(100, None, t0);
        let (_, acc) = simulate(
            &mut p,
            t0,
            20,
            &mut Noise(fastrand::Rng::with_seed(7), 0.01),
        );
        let ratio = per_second(&acc) / reference;
        assert!(ratio >= 0.95, "{ratio} of {reference}/s");
        assert_eq!(p.cuts, 0);
        assert_eq!(p.window(), 100);
    }

    #[test]
    fn ten_percent_of_throttles_should_keep_seven_tenths_of_the_rate() {
        let reference = unthrottled();
        let t0 = Instant::now();
        let mut p = Pacing::new(100, None, t0);
        let (_, acc) = simulate(
            &mut p,
            t0,
            20,
            &mut Noise(fastrand::Rng::with_seed(9), 0.10),
        );
        let ratio = per_second(&acc) / reference;
        assert!(ratio >= 0.85, "{ratio} of {reference}/s");
    }

    #[test]
    fn a_link_above_the_operators_cap_should_settle_at_the_cap_without_a_storm_of_throttles() {
        let t0 = Instant::now();
        let mut p = Pacing::new(100, None, t0);
        let mut cap = Cap {
            rate: 500.0,
            tokens: 500.0,
            last: None,
        };
        let (sent, acc) = simulate(&mut p, t0, 30, &mut cap);
        // After the first seconds: the cap is used, and the link probes above it only so far
        // that throttles stay a minority (the price of treating up to a quarter as noise).
        let (sent, acc) = (&sent[5..], &acc[5..]);
        let delivered = per_second(acc);
        assert!((450.0..=510.0).contains(&delivered), "{delivered}/s");
        let wasted = 1.0 - delivered / per_second(sent);
        assert!(wasted < 0.2, "{wasted} of submits throttled");
        let r = p.rate().unwrap();
        assert!((400.0..=700.0).contains(&r), "{r}");
        assert!(p.cuts >= 1);
    }

    #[test]
    fn a_sustained_throttle_should_back_off_to_a_trickle_and_recover_within_ten_seconds() {
        let reference = unthrottled();
        let t0 = Instant::now();
        let mut p = Pacing::new(100, None, t0);
        let (from, until) = (t0 + Duration::from_secs(5), t0 + Duration::from_secs(35));
        let (sent, acc) = simulate(&mut p, t0, 50, &mut Block { from, until });
        // Within a second of the block it is down to the trickle: no tight loop of resends.
        let blocked: u32 = sent[6..35].iter().sum();
        assert!(
            blocked <= 2 * 29,
            "{blocked} submits while blocked: {sent:?}"
        );
        assert!(p.cuts >= 1);
        // Back to full rate within 10 s after the block ends.
        let back = acc[35..]
            .iter()
            .position(|&a| f64::from(a) >= 0.9 * reference)
            .map(|s| s + 1);
        assert!(
            back.is_some_and(|s| s <= 10),
            "recovered after {back:?} s: {acc:?} (reference {reference}/s)"
        );
        // And the limit goes, some time after the block (the window bounds the link again).
        let (_, _) = simulate(
            &mut p,
            t0 + Duration::from_secs(50),
            15,
            &mut Noise(fastrand::Rng::with_seed(3), 0.0),
        );
        assert_eq!(p.rate(), None);
    }

    #[test]
    fn a_slow_link_that_is_throttled_throughout_should_fall_to_the_trickle() {
        let t0 = Instant::now();
        let mut p = Pacing::new(10, Some(5.0), t0);
        let far = t0 + Duration::from_secs(3600);
        let (sent, _) = simulate(
            &mut p,
            t0,
            20,
            &mut Block {
                from: t0,
                until: far,
            },
        );
        assert_eq!(p.rate(), Some(MIN_RATE));
        assert!(sent[10..].iter().all(|&s| s <= 2), "{sent:?}");
        // The contract bounds the climb back.
        let (_, acc) = simulate(
            &mut p,
            t0 + Duration::from_secs(20),
            10,
            &mut Noise(fastrand::Rng::with_seed(1), 0.0),
        );
        assert_eq!(p.rate(), Some(5.0));
        assert!(acc[5..].iter().all(|&a| a <= 6), "{acc:?}");
    }

    #[test]
    fn answers_to_submits_sent_before_a_cut_should_not_cut_again() {
        let t0 = Instant::now();
        let mut p = Pacing::new(100, Some(1000.0), t0);
        for i in 0..40 {
            p.on_throttle(t0, t0 + i * MS);
        }
        assert_eq!(p.cuts, 1);
        assert_eq!(p.rate(), Some(MIN_RATE));
        // Many more answers to what was in flight at the cut: no second cut.
        for i in 40..140 {
            p.on_throttle(t0, t0 + i * MS);
        }
        assert_eq!(p.cuts, 1);
    }

    #[test]
    fn pacing_should_space_sends_at_the_rate() {
        let t0 = Instant::now();
        let mut a = Pacing::new(10, Some(10.0), t0);
        assert!(a.take(t0).is_ok());
        let next = a.take(t0).unwrap_err();
        assert_eq!(next.duration_since(t0), Duration::from_millis(100));
    }
}
