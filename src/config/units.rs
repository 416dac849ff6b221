//! Human units in the configuration: durations (`"30s"`, `"2d"`) and rates (`"6/min"`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration written as people write it: `"30s"`, `"5m"`, `"1h 30m"`, `"2d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// The duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

/// Serde defaults shared by the config sections (`#[serde(default = "d30s")]` after a
/// `use super::units::d30s`), so each common duration is written once.
pub(crate) mod defaults {
    use super::HumanDuration;

    fn secs(n: u64) -> HumanDuration {
        HumanDuration(std::time::Duration::from_secs(n))
    }
    pub(crate) fn d1s() -> HumanDuration {
        secs(1)
    }
    pub(crate) fn d5s() -> HumanDuration {
        secs(5)
    }
    pub(crate) fn d10s() -> HumanDuration {
        secs(10)
    }
    pub(crate) fn d30s() -> HumanDuration {
        secs(30)
    }
    pub(crate) fn d60s() -> HumanDuration {
        secs(60)
    }
    pub(crate) fn d90s() -> HumanDuration {
        secs(90)
    }
    pub(crate) fn d5m() -> HumanDuration {
        secs(300)
    }
    pub(crate) fn d1h() -> HumanDuration {
        secs(3600)
    }
    pub(crate) fn d3d() -> HumanDuration {
        secs(3 * 86_400)
    }
}

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s.trim())
            .map(Self)
            .map_err(|e| format!("{s:?} is not a duration like \"30s\", \"5m\" or \"2d\" ({e})"))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A sending rate: `count` messages per `per`. Written `"6/min"`, `"50/s"`, `"300/h"`,
/// `"1000/day"` or `"1/2s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Messages allowed in each period.
    pub count: u32,
    /// The period.
    pub per: Duration,
}

impl Rate {
    /// The interval between two tokens at a steady pace.
    pub fn interval(self) -> Duration {
        self.per / self.count.max(1)
    }

    /// Messages per second, for display and metrics.
    pub fn per_second(self) -> f64 {
        f64::from(self.count) / self.per.as_secs_f64()
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a rate like \"6/min\", \"50/s\" or \"300/h\"");
        let (count, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            other => humantime::parse_duration(other).map_err(|_| bad())?,
        };
        if count == 0 || per.is_zero() {
            return Err(format!(
                "{s:?}: a rate must allow at least one message per period"
            ));
        }
        Ok(Rate { count, per })
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, humantime::format_duration(self.per))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_every_documented_form_should_parse() {
        let r: Rate = "6/min".parse().unwrap();
        assert_eq!(r.interval(), Duration::from_secs(10));
        assert_eq!("50/s".parse::<Rate>().unwrap().count, 50);
        assert_eq!("1/2s".parse::<Rate>().unwrap().per, Duration::from_secs(2));
        assert_eq!(
            "300/h".parse::<Rate>().unwrap().per,
            Duration::from_secs(3600)
        );
        assert!("0/s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
    }

    #[test]
    fn durations_should_parse_human_units() {
        assert_eq!(
            "30s".parse::<HumanDuration>().unwrap().get(),
            Duration::from_secs(30)
        );
        assert_eq!(
            "2d".parse::<HumanDuration>().unwrap().get(),
            Duration::from_secs(172_800)
        );
        assert!("soon".parse::<HumanDuration>().is_err());
    }
}
