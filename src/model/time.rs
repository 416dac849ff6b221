//! Wall-clock timestamps as stored and shown.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// 10000-01-01T00:00:00Z: RFC 3339 has four-digit years, so later times are written as
/// milliseconds (a saturated `plus` can reach them).
const YEAR_10000: u64 = 253_402_300_800_000;

/// Milliseconds since the Unix epoch, UTC. Stored as a number (cheap, sortable in keys) and shown
/// as RFC 3339 in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d.as_millis() as u64))
    }

    /// How long from `self` until `later` (zero if `later` is not later).
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0))
    }

    /// Parses RFC 3339 (`2026-11-23T10:00:00+02:00`), as clients send `send_at`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        // Every stored timestamp is in the form we write; reading a message reads a dozen of
        // them, so that form skips the general parser.
        if let Some(t) = parse_canonical_utc(s.as_bytes()) {
            return Some(t);
        }
        let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        u64::try_from(ms).ok().map(Self)
    }

    /// Formats as RFC 3339 in UTC with millisecond precision (`2026-11-23T08:00:00.25Z`: the
    /// fraction without trailing zeros, none when whole).
    pub fn to_rfc3339(self) -> String {
        if self.0 >= YEAR_10000 {
            return self.0.to_string();
        }
        let secs = self.0 / 1000;
        let (year, month, day) = civil_from_days(secs / 86_400);
        let in_day = secs % 86_400;
        let mut out = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60
        );
        let ms = self.0 % 1000;
        if ms != 0 {
            let fraction = format!("{ms:03}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }

    /// Days since the epoch in UTC: the key of per-day counters such as a SIM's daily cap.
    pub fn utc_day(self) -> u32 {
        (self.0 / 86_400_000) as u32
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() && self.0 < YEAR_10000 {
            s.serialize_str(&self.to_rfc3339())
        } else {
            s.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Text formats carry either form; binary ones (the store's) carry the number.
        if d.is_human_readable() {
            d.deserialize_any(TimestampVisitor)
        } else {
            d.deserialize_u64(TimestampVisitor)
        }
    }
}

/// Accepts milliseconds or RFC 3339 text without buffering the value first (an untagged enum
/// would, and would build an error for every text timestamp it reads).
struct TimestampVisitor;

impl serde::de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp or milliseconds since the epoch")
    }

    fn visit_u64<E: serde::de::Error>(self, ms: u64) -> Result<Timestamp, E> {
        Ok(Timestamp(ms))
    }

    fn visit_i64<E: serde::de::Error>(self, ms: i64) -> Result<Timestamp, E> {
        u64::try_from(ms)
            .map(Timestamp)
            .map_err(|_| E::custom("a timestamp before 1970"))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        Timestamp::parse_rfc3339(s).ok_or_else(|| E::custom("expected an RFC 3339 timestamp"))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` with every field in range, as [`Timestamp::to_rfc3339`] writes
/// it; `None` for anything else (the general parser then decides).
fn parse_canonical_utc(b: &[u8]) -> Option<Timestamp> {
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let digits = b.get(r)?;
        digits.iter().try_fold(0u64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
        })
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if year < 1970 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut ms = 0;
    let mut i = 19;
    if sep(i, b'.') {
        let digits = b
            .get(i + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let fraction = num(i + 1..i + 1 + digits.min(3))?;
        ms = fraction * 10u64.pow(3 - digits.min(3) as u32);
        i += 1 + digits;
    }
    if i + 1 != b.len() || b[i] != b'Z' {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(Timestamp(
        ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + ms,
    ))
}

fn is_leap(year: u64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date in the proleptic Gregorian calendar (year >= 1970), counted
/// in 400-year eras that start on 1 March so the leap day falls at an era's end.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day) of a day since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_with_offset_should_convert_to_utc_millis() {
        let t = Timestamp::parse_rfc3339("2026-11-23T10:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-23T08:00:00Z");
        assert!(Timestamp::parse_rfc3339("tomorrow").is_none());
    }

    /// What the `time` crate makes of `ms`, the reference for the fast paths.
    fn reference_text(ms: u64) -> String {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap()
            .format(&Rfc3339)
            .unwrap()
    }

    #[test]
    fn formatting_and_parsing_should_agree_with_the_time_crate_over_four_centuries() {
        let mut rng = fastrand::Rng::with_seed(7);
        let edges = [
            0,
            951_782_400_000,
            951_868_799_999,
            4_107_542_400_000,
            1_000,
        ];
        let samples = edges
            .into_iter()
            .chain((0..20_000).map(|_| rng.u64(..13_000_000_000_000)));
        for ms in samples {
            let text = Timestamp(ms).to_rfc3339();
            assert_eq!(text, reference_text(ms), "formatting {ms}");
            assert_eq!(parse_canonical_utc(text.as_bytes()), Some(Timestamp(ms)));
        }
    }

    #[test]
    fn text_outside_the_canonical_form_should_go_to_the_general_parser() {
        for s in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T10:00:00+02:00",
            "2026-11-23T10:00:00.Z",
            "2026-11-23T10:00:00.1234567890Z",
            "2026-11-23t10:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-11-23T10:00:00",
            "",
        ] {
            assert_eq!(parse_canonical_utc(s.as_bytes()), None, "{s}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-23T10:00:00.123456Z"),
            Timestamp::parse_rfc3339("2026-11-23T10:00:00.123Z")
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").map(Timestamp::to_rfc3339),
            Some("2024-02-29T00:00:00Z".into())
        );
    }

    #[test]
    fn a_time_past_year_9999_should_round_trip_as_millis() {
        let far = Timestamp(u64::MAX);
        let json = serde_json::to_string(&far).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), far);
        let last = Timestamp(YEAR_10000 - 1);
        assert_eq!(last.to_rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::parse_rfc3339(&last.to_rfc3339()), Some(last));
    }

    #[test]
    fn timestamps_should_read_from_millis_or_text_and_refuse_anything_else() {
        let t: Timestamp = serde_json::from_str("1764000000000").unwrap();
        assert_eq!(t, Timestamp(1_764_000_000_000));
        let t: Timestamp = serde_json::from_str(r#""2025-11-24T16:00:00Z""#).unwrap();
        assert_eq!(t, Timestamp(1_764_000_000_000));
        assert!(serde_json::from_str::<Timestamp>("-1").is_err());
        assert!(serde_json::from_str::<Timestamp>(r#""soon""#).is_err());
        assert!(serde_json::from_str::<Timestamp>("true").is_err());
    }
}
