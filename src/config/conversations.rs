//! `[conversations]`, `[quiet_hours]` and `[[inbound_routes]]`: reply matching and sticky
//! senders, the recipient's sending window, and where incoming messages are posted (issue 7,
//! items 1, 4 and 8).

use serde::Deserialize;

use super::HumanDuration;
use super::validate::{Collector, Seg};
use super::webhook::Template;

/// `[conversations]`: how replies are matched to what we sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationsConfig {
    /// How long after a message was sent a reply is still matched to it; an open conversation
    /// also closes when this ends.
    #[serde(default = "default_window")]
    pub window: HumanDuration,
    /// `expects_reply` of submissions that do not say.
    #[serde(default)]
    pub expects_reply: bool,
    /// With a modem pool, send a message that expects a reply from a SIM that has no open
    /// conversation with the recipient, when one is free (sticky senders).
    #[serde(default = "yes")]
    pub sticky_senders: bool,
}

fn default_window() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(3 * 86_400))
}

fn yes() -> bool {
    true
}

impl Default for ConversationsConfig {
    fn default() -> Self {
        Self {
            window: default_window(),
            expects_reply: false,
            sticky_senders: true,
        }
    }
}

/// `[quiet_hours]`: messages are sent only inside this local window of the recipient (unless
/// `urgent`); absent means no quiet hours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursConfig {
    /// The sending window in the recipient's local time, `"08:00-21:00"`. A window that ends
    /// before it starts (`"22:00-06:00"`) runs over midnight.
    #[serde(default = "default_window_text")]
    pub window: LocalWindow,
    /// IANA time zone for numbers whose country is not known or has several zones.
    pub default_zone: String,
    /// Per-prefix zones (`{ prefix = "+1212", zone = "America/New_York" }`), longest prefix
    /// first; these win over the zone of the country code.
    #[serde(default)]
    pub zones: Vec<ZoneOverride>,
}

fn default_window_text() -> LocalWindow {
    LocalWindow {
        start: (8, 0),
        end: (21, 0),
    }
}

/// One `[[quiet_hours.zones]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneOverride {
    /// E.164 prefix with `+`, e.g. `"+1808"` (Hawaii).
    pub prefix: String,
    /// IANA zone name, e.g. `"Pacific/Honolulu"`.
    pub zone: String,
}

/// A daily window in local wall-clock time, `HH:MM-HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalWindow {
    /// Opening (hour, minute).
    pub start: (u8, u8),
    /// Closing (hour, minute), exclusive.
    pub end: (u8, u8),
}

impl std::str::FromStr for LocalWindow {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a window like \"08:00-21:00\"");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let hm = |t: &str| -> Option<(u8, u8)> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m) = (h.parse::<u8>().ok()?, m.parse::<u8>().ok()?);
            (h < 24 && m < 60).then_some((h, m))
        };
        let (start, end) = (hm(a).ok_or_else(bad)?, hm(b).ok_or_else(bad)?);
        if start == end {
            return Err(format!("{s:?} opens and closes at the same time"));
        }
        Ok(LocalWindow { start, end })
    }
}

impl<'de> Deserialize<'de> for LocalWindow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// `[[inbound_routes]]`: the first rule whose conditions all hold sends a received message's
/// `message.received` event to its `target` webhook (with its own `template`, if set). A rule
/// with no condition catches everything. Webhooks that no rule names keep getting every
/// received message, as before.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundRouteConfig {
    /// Recorded on the message as `inbound_rule`.
    pub name: String,
    /// The `[[webhooks]]` name the message goes to.
    pub target: String,
    /// The whole reply, trimmed, equals one of these (case-insensitive).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The reply matches this regular expression (Rust `regex` syntax).
    #[serde(default)]
    pub regex: Option<String>,
    /// The reply is a whole number in `[low, high]`, e.g. `[0, 6]` for low survey scores.
    #[serde(default)]
    pub range: Option<[i64; 2]>,
    /// The answered message's `reference` starts with this (`"survey-"`).
    #[serde(default)]
    pub reference_prefix: Option<String>,
    /// It came in on this modem or SMPP link.
    #[serde(default)]
    pub modem: Option<String>,
    /// It came in through this route (pool or link name).
    #[serde(default)]
    pub route: Option<String>,
    /// It was sent to this number of ours.
    #[serde(default)]
    pub to: Option<String>,
    /// A body template for this rule's deliveries, instead of the target's.
    #[serde(default)]
    pub template: Option<Template>,
}

/// Checks a zone name against the bundled tz database.
pub fn zone_exists(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

impl super::Config {
    /// The cross-key checks of this file's tables.
    pub(super) fn validate_conversations(&self, c: &mut Collector<'_>) {
        if self.conversations.window.get().is_zero() {
            c.push(
                &[Seg::Key("conversations"), Seg::Key("window")],
                "a reply window of 0 would match nothing",
            );
        }
        if let Some(q) = &self.quiet_hours {
            if !zone_exists(&q.default_zone) {
                c.push(
                    &[Seg::Key("quiet_hours"), Seg::Key("default_zone")],
                    format!("{:?} is not an IANA time zone name", q.default_zone),
                );
            }
            for (i, z) in q.zones.iter().enumerate() {
                let at = |k| {
                    [
                        Seg::Key("quiet_hours"),
                        Seg::Key("zones"),
                        Seg::Index(i),
                        Seg::Key(k),
                    ]
                };
                let digits = z.prefix.strip_prefix('+').unwrap_or("");
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    c.push(&at("prefix"), "a prefix is + and digits, e.g. \"+1808\"");
                }
                if !zone_exists(&z.zone) {
                    c.push(
                        &at("zone"),
                        format!("{:?} is not an IANA time zone name", z.zone),
                    );
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.inbound_routes.iter().enumerate() {
            let at = |k| [Seg::Key("inbound_routes"), Seg::Index(i), Seg::Key(k)];
            if r.name.is_empty() || !names.insert(r.name.as_str()) {
                c.push(&at("name"), "rule names are non-empty and unique");
            }
            match self.webhooks.iter().find(|w| w.name == r.target) {
                None => c.push(
                    &at("target"),
                    format!("no [[webhooks]] entry is named {:?}", r.target),
                ),
                Some(w) if !w.events.contains(&super::EventName::MessageReceived) => c.push(
                    &at("target"),
                    format!(
                        "webhook {:?} does not take \"message.received\" events (its `events`)",
                        r.target
                    ),
                ),
                Some(_) => {}
            }
            if let Some(re) = &r.regex {
                if let Err(e) = regex::Regex::new(re) {
                    c.push(&at("regex"), format!("not a regular expression: {e}"));
                }
            }
            if let Some([lo, hi]) = r.range {
                if lo > hi {
                    c.push(&at("range"), "write the range as [low, high]");
                }
            }
            // Read as received addresses are (so "0401001101" and "+358401001101" are one
            // number); one that cannot be read would never match.
            if let Some(to) = &r.to {
                if let Err(e) = crate::model::Msisdn::parse(to, &self.messages.number_plan()) {
                    c.push(
                        &at("to"),
                        format!("{e}: no received message could match it"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_text_should_parse_and_reject_nonsense() {
        assert_eq!(
            "08:00-21:30".parse::<LocalWindow>().unwrap(),
            LocalWindow {
                start: (8, 0),
                end: (21, 30)
            }
        );
        for bad in ["8-21", "25:00-21:00", "08:00-08:00", "08:00", "08:60-09:00"] {
            assert!(bad.parse::<LocalWindow>().is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_zones_and_targets_should_be_reported() {
        let text = "[quiet_hours]\ndefault_zone = \"Europe/Nowhere\"\n\
                    [[webhooks]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/\"\n\
                    secret = \"0123456789abcdef\"\nevents = [\"message.status\"]\n\
                    [[inbound_routes]]\nname = \"low\"\ntarget = \"missing\"\nregex = \"(\"\n\
                    [[inbound_routes]]\nname = \"crm\"\ntarget = \"crm\"\n";
        let cfg: super::super::Config = toml::from_str(text).unwrap();
        let errors = cfg.validate(text);
        let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&"quiet_hours.default_zone"), "{keys:?}");
        assert!(keys.contains(&"inbound_routes[0].target"), "{keys:?}");
        assert!(keys.contains(&"inbound_routes[0].regex"), "{keys:?}");
        assert!(keys.contains(&"inbound_routes[1].target"), "{keys:?}");
    }

    #[test]
    fn an_unknown_key_should_be_refused() {
        assert!(
            toml::from_str::<super::super::Config>("[conversations]\nwindw = \"1d\"\n").is_err()
        );
        assert!(
            toml::from_str::<super::super::Config>(
                "[[inbound_routes]]\nname = \"a\"\ntarget = \"b\"\nkeyword = \"x\"\n"
            )
            .is_err()
        );
    }
}
