//! Quiet hours (issue 7, item 4): a message is sent only inside a daily window of the
//! recipient's local time. The zone comes from a per-prefix override, else the country of the
//! number when it has one zone ([`super::zones`]), else the configured default. Wall-clock
//! arithmetic goes through `jiff` and its bundled tz database, so DST changes are right: an
//! opening that falls in a spring-forward gap is the first instant after the gap, and one in
//! an autumn overlap is the earlier of the two.

use jiff::tz::TimeZone;

use super::zones::country_zone;
use crate::config::{LocalWindow, QuietHoursConfig};
use crate::model::Timestamp;

/// The sending window and how numbers map to zones.
#[derive(Debug, Clone)]
pub struct QuietHours {
    window: LocalWindow,
    default_zone: (String, TimeZone),
    /// (prefix digits, zone name, zone), longest prefix first.
    overrides: Vec<(String, String, TimeZone)>,
}

/// Why a message waits: the zone and the next opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// When the window opens next (UTC).
    pub opens_at: Timestamp,
    /// The recipient's IANA zone.
    pub zone: String,
}

fn zone(name: &str) -> TimeZone {
    // Names were checked when the configuration was loaded (`config::zone_exists`); an
    // unknown one here can only be the tz table's, which a unit test keeps valid.
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

impl QuietHours {
    /// From `[quiet_hours]`.
    pub fn new(c: &QuietHoursConfig) -> Self {
        let mut overrides: Vec<(String, String, TimeZone)> = c
            .zones
            .iter()
            .map(|o| {
                (
                    o.prefix.trim_start_matches('+').to_string(),
                    o.zone.clone(),
                    zone(&o.zone),
                )
            })
            .collect();
        overrides.sort_by_key(|o| std::cmp::Reverse(o.0.len()));
        QuietHours {
            window: c.window,
            default_zone: (c.default_zone.clone(), zone(&c.default_zone)),
            overrides,
        }
    }

    /// The zone of an E.164 number (`+358…`).
    pub fn zone_for(&self, number: &str) -> (String, TimeZone) {
        let digits = number.trim_start_matches('+');
        if let Some((_, name, tz)) = self
            .overrides
            .iter()
            .find(|(p, _, _)| digits.starts_with(p))
        {
            return (name.clone(), tz.clone());
        }
        if let Some(name) = country_zone(digits) {
            return (name.to_string(), zone(name));
        }
        self.default_zone.clone()
    }

    /// `None` when `number` may be sent to at `now`; otherwise when its window opens.
    pub fn check(&self, number: &str, now: Timestamp) -> Option<Closed> {
        let (name, tz) = self.zone_for(number);
        next_opening(&tz, self.window, now).map(|opens_at| Closed {
            opens_at,
            zone: name,
        })
    }

    /// The window as `HH:MM-HH:MM`, for status reasons.
    pub fn window_text(&self) -> String {
        let w = self.window;
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            w.start.0, w.start.1, w.end.0, w.end.1
        )
    }
}

/// `None` when `now` is inside `window` in `tz`; otherwise the next opening.
pub fn next_opening(tz: &TimeZone, window: LocalWindow, now: Timestamp) -> Option<Timestamp> {
    let instant = jiff::Timestamp::from_millisecond(i64::try_from(now.as_millis()).ok()?).ok()?;
    let local = instant.to_zoned(tz.clone());
    let minute = |(h, m): (u8, u8)| u32::from(h) * 60 + u32::from(m);
    let t = local.hour() as u32 * 60 + local.minute() as u32;
    let (s, e) = (minute(window.start), minute(window.end));
    let open = if s < e {
        t >= s && t < e
    } else {
        t >= s || t < e
    };
    if open {
        return None;
    }
    let date = if t < s {
        local.date()
    } else {
        local.date().tomorrow().ok()?
    };
    let opening = date
        .at(window.start.0 as i8, window.start.1 as i8, 0, 0)
        .to_zoned(tz.clone())
        .ok()?;
    u64::try_from(opening.timestamp().as_millisecond())
        .ok()
        .map(Timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        let t: jiff::Timestamp = rfc3339.parse().unwrap();
        Timestamp(t.as_millisecond() as u64)
    }

    fn w(text: &str) -> LocalWindow {
        text.parse().unwrap()
    }

    fn helsinki() -> TimeZone {
        TimeZone::get("Europe/Helsinki").unwrap()
    }

    #[test]
    fn inside_the_window_should_send_now() {
        // 10:00 in Helsinki (UTC+2 in winter).
        assert_eq!(
            next_opening(&helsinki(), w("08:00-21:00"), at("2026-11-23T08:00:00Z")),
            None
        );
    }

    #[test]
    fn before_the_window_should_wait_for_todays_opening_in_winter_and_summer() {
        // 05:00 local in winter (UTC+2) → 08:00 local = 06:00Z.
        assert_eq!(
            next_opening(&helsinki(), w("08:00-21:00"), at("2026-11-23T03:00:00Z")),
            Some(at("2026-11-23T06:00:00Z"))
        );
        // In summer (UTC+3) the same local opening is 05:00Z.
        assert_eq!(
            next_opening(&helsinki(), w("08:00-21:00"), at("2026-07-01T02:00:00Z")),
            Some(at("2026-07-01T05:00:00Z"))
        );
    }

    #[test]
    fn after_the_window_should_wait_for_tomorrows_opening() {
        // 21:00 local is closed (the end is exclusive).
        assert_eq!(
            next_opening(&helsinki(), w("08:00-21:00"), at("2026-11-23T19:00:00Z")),
            Some(at("2026-11-24T06:00:00Z"))
        );
    }

    #[test]
    fn an_opening_across_the_spring_dst_change_should_use_the_new_offset() {
        // EU summer time 2026 starts on Sunday 29 March at 01:00Z (03:00 EET → 04:00 EEST).
        // At 23:00 local on the 28th (UTC+2) the next 08:00 is already UTC+3: 05:00Z.
        assert_eq!(
            next_opening(&helsinki(), w("08:00-21:00"), at("2026-03-28T21:00:00Z")),
            Some(at("2026-03-29T05:00:00Z"))
        );
    }

    #[test]
    fn an_opening_inside_the_spring_gap_should_be_the_first_instant_after_it() {
        // 03:30 does not exist in Helsinki on 29 March 2026; the opening is 04:30 EEST = 01:30Z.
        assert_eq!(
            next_opening(&helsinki(), w("03:30-21:00"), at("2026-03-29T00:00:00Z")),
            Some(at("2026-03-29T01:30:00Z"))
        );
    }

    #[test]
    fn an_opening_after_the_autumn_dst_change_should_use_winter_time() {
        // Summer time ends on Sunday 25 October 2026 at 01:00Z (04:00 EEST → 03:00 EET).
        // At 22:00 EEST on the 24th (19:00Z) the next 08:00 is EET: 06:00Z.
        assert_eq!(
            next_opening(&helsinki(), w("08:00-21:00"), at("2026-10-24T19:00:00Z")),
            Some(at("2026-10-25T06:00:00Z"))
        );
    }

    #[test]
    fn a_window_over_midnight_should_be_open_late_and_closed_at_noon() {
        let win = w("22:00-06:00");
        assert_eq!(
            next_opening(&helsinki(), win, at("2026-11-23T21:00:00Z")),
            None
        );
        assert_eq!(
            next_opening(&helsinki(), win, at("2026-11-23T10:00:00Z")),
            Some(at("2026-11-23T20:00:00Z"))
        );
    }

    #[test]
    fn zones_should_come_from_overrides_then_country_then_default() {
        let c: QuietHoursConfig = toml::from_str(
            "default_zone = \"America/Chicago\"\n\
             zones = [{ prefix = \"+1212\", zone = \"America/New_York\" }, { prefix = \"+35829\", zone = \"Europe/Mariehamn\" }]\n",
        )
        .unwrap();
        let q = QuietHours::new(&c);
        assert_eq!(q.zone_for("+12125550100").0, "America/New_York");
        assert_eq!(q.zone_for("+13125550100").0, "America/Chicago");
        assert_eq!(q.zone_for("+358401234567").0, "Europe/Helsinki");
        assert_eq!(q.zone_for("+35829123456").0, "Europe/Mariehamn");
        assert_eq!(q.zone_for("+351912345678").0, "Europe/Lisbon");
    }
}
