//! Per-route shaping: a token bucket with burst, and a daily cap that survives restarts.

use crate::config::Rate;
use crate::model::Timestamp;

/// Why the shaper said no, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The bucket is empty; a token is back at this time.
    RateUntil(Timestamp),
    /// The daily cap is reached; it resets at the next UTC midnight.
    DailyLimitUntil(Timestamp),
}

impl Denied {
    /// When asking again may succeed.
    pub fn retry_at(self) -> Timestamp {
        match self {
            Denied::RateUntil(t) | Denied::DailyLimitUntil(t) => t,
        }
    }
}

/// A token bucket (`rate` with `burst` capacity) plus an optional daily cap.
///
/// Pure: the caller passes the time, so tests drive it with any clock. The daily count is
/// loaded from and saved to the store by the caller ([`Shaper::sent_today`] seeds it).
#[derive(Debug, Clone)]
pub struct Shaper {
    rate: Option<Rate>,
    burst: f64,
    tokens: f64,
    last_refill: Timestamp,
    daily_limit: Option<u64>,
    day: u32,
    sent_today: u64,
}

const DAY_MS: u64 = 86_400_000;

impl Shaper {
    /// A shaper starting with a full bucket at `now`.
    pub fn new(rate: Option<Rate>, burst: u32, daily_limit: Option<u32>, now: Timestamp) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            rate,
            burst,
            tokens: burst,
            last_refill: now,
            daily_limit: daily_limit.map(u64::from),
            day: now.utc_day(),
            sent_today: 0,
        }
    }

    /// Seeds the count of messages already sent on `day` (read from the store at start).
    pub fn sent_today(&mut self, day: u32, count: u64) {
        if day == self.day {
            self.sent_today = count;
        }
    }

    /// Messages sent today and the daily limit, as of `now` (the console's "today" figure).
    pub fn today(&mut self, now: Timestamp) -> (u64, Option<u64>) {
        self.refill(now);
        (self.sent_today, self.daily_limit)
    }

    /// The UTC day whose count is held, so the caller knows which counter to load.
    pub fn day(&self) -> u32 {
        self.day
    }

    fn refill(&mut self, now: Timestamp) {
        if now.utc_day() != self.day {
            self.day = now.utc_day();
            self.sent_today = 0;
        }
        let Some(rate) = self.rate else { return };
        if now > self.last_refill {
            let elapsed = (now.as_millis() - self.last_refill.as_millis()) as f64 / 1000.0;
            self.tokens = (self.tokens + elapsed * rate.per_second()).min(self.burst);
            self.last_refill = now;
        }
    }

    /// Checks without taking.
    pub fn check(&mut self, now: Timestamp) -> Result<(), Denied> {
        self.refill(now);
        if let Some(limit) = self.daily_limit {
            if self.sent_today >= limit {
                let next_midnight = (u64::from(self.day) + 1) * DAY_MS;
                return Err(Denied::DailyLimitUntil(Timestamp(next_midnight)));
            }
        }
        if let Some(rate) = self.rate {
            if self.tokens < 1.0 {
                let missing = 1.0 - self.tokens;
                let wait_ms = (missing / rate.per_second() * 1000.0).ceil() as u64;
                return Err(Denied::RateUntil(Timestamp(
                    now.as_millis() + wait_ms.max(1),
                )));
            }
        }
        Ok(())
    }

    /// Takes `n` SMS (the parts of one message) if at least one is allowed now. A multi-part
    /// message may take the bucket below zero: the parts of one message must go together, and
    /// the debt delays the next message instead, so the long-run rate still holds.
    pub fn try_take(&mut self, now: Timestamp, n: u32) -> Result<(), Denied> {
        self.check(now)?;
        if self.rate.is_some() {
            self.tokens -= f64::from(n);
        }
        self.sent_today += u64::from(n);
        Ok(())
    }

    /// Gives back what [`Shaper::try_take`] took for a message that was not sent after all.
    pub fn refund(&mut self, n: u32) {
        if self.rate.is_some() {
            self.tokens = (self.tokens + f64::from(n)).min(self.burst);
        }
        self.sent_today = self.sent_today.saturating_sub(u64::from(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Option<Rate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_full_bucket_should_allow_burst_then_the_steady_rate() {
        let mut s = Shaper::new(rate("6/min"), 3, None, Timestamp(0));
        for _ in 0..3 {
            s.try_take(Timestamp(0), 1).unwrap();
        }
        assert_eq!(
            s.try_take(Timestamp(0), 1),
            Err(Denied::RateUntil(Timestamp(10_000)))
        );
        assert!(s.try_take(Timestamp(9_999), 1).is_err());
        s.try_take(Timestamp(10_000), 1).unwrap();
    }

    #[test]
    fn a_multi_part_message_should_delay_the_next_one_by_its_extra_parts() {
        let mut s = Shaper::new(rate("6/min"), 1, None, Timestamp(0));
        s.try_take(Timestamp(0), 3).unwrap();
        // Two tokens of debt plus one for the next message: 30 s at 10 s a token.
        assert_eq!(
            s.try_take(Timestamp(0), 1),
            Err(Denied::RateUntil(Timestamp(30_000)))
        );
    }

    #[test]
    fn the_daily_limit_should_hold_until_utc_midnight() {
        let start = Timestamp(DAY_MS * 100 + 5);
        let mut s = Shaper::new(None, 1, Some(2), start);
        s.sent_today(s.day(), 1);
        s.try_take(start, 1).unwrap();
        assert_eq!(
            s.try_take(start, 1),
            Err(Denied::DailyLimitUntil(Timestamp(DAY_MS * 101)))
        );
        s.try_take(Timestamp(DAY_MS * 101), 1).unwrap();
    }

    #[test]
    fn a_refunded_token_should_be_usable_again() {
        let mut s = Shaper::new(rate("1/min"), 1, Some(1), Timestamp(0));
        s.try_take(Timestamp(0), 1).unwrap();
        s.refund(1);
        s.try_take(Timestamp(0), 1).unwrap();
    }
}
