//! `[consent]`: opt-out/opt-in keywords, the suppression list's scope, confirmations and
//! frequency caps (issue 7 items 2, 3 and 5). Read by `crate::consent`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[consent]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentConfig {
    /// Act on keyword replies (opt-out, opt-in). On by default: a recipient's STOP must work
    /// without the operator having to remember to turn it on.
    #[serde(default = "yes")]
    pub keywords_enabled: bool,
    /// `global`: an opt-out stops messages from every sender. `sender`: only from the sender
    /// the reply was sent to (the number or brand in the reply's destination).
    #[serde(default)]
    pub scope: ConsentScope,
    /// Whether messages marked `transactional: true` still go to opted-out numbers (one-time
    /// codes, receipts). Off by default: an opt-out is honoured unless the operator decides
    /// otherwise.
    #[serde(default)]
    pub allow_transactional_to_opted_out: bool,
    /// Keyword sets by language key (`en`, `fi`, …). When the table is given it replaces the
    /// built-in sets entirely (see [`default_keywords`]).
    #[serde(default = "default_keywords")]
    pub keywords: BTreeMap<String, KeywordSet>,
    /// `[consent.caps]`: per-recipient frequency caps; none by default.
    #[serde(default)]
    pub caps: CapsConfig,
}

fn yes() -> bool {
    true
}

impl Default for ConsentConfig {
    fn default() -> Self {
        Self {
            keywords_enabled: true,
            scope: ConsentScope::default(),
            allow_transactional_to_opted_out: false,
            keywords: default_keywords(),
            caps: CapsConfig::default(),
        }
    }
}

/// Where an opt-out applies.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConsentScope {
    /// Every sender.
    #[default]
    Global,
    /// Only the sender (brand or number) the reply went to.
    Sender,
}

/// `[consent.keywords.<language>]`: the words of one language.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeywordSet {
    /// Whole replies that opt out (matched ignoring case, accents and surrounding punctuation).
    #[serde(default)]
    pub opt_out: Vec<String>,
    /// Whole replies that opt back in.
    #[serde(default)]
    pub opt_in: Vec<String>,
    /// Sent back (as a transactional message) after an opt-out in this language; none if absent.
    #[serde(default)]
    pub opt_out_reply: Option<String>,
    /// Sent back after an opt-in in this language; none if absent.
    #[serde(default)]
    pub opt_in_reply: Option<String>,
}

/// The built-in keyword sets: words that mean only "stop" (or "start") in their language.
/// Words that are also an ordinary "no" (Polish NIE, Czech/Croatian NE) are left out on
/// purpose, because recipients answer reminders with "no"; add them in the configuration
/// where no such questions are asked.
pub fn default_keywords() -> BTreeMap<String, KeywordSet> {
    let set = |out: &[&str], inn: &[&str]| KeywordSet {
        opt_out: out.iter().map(|s| s.to_string()).collect(),
        opt_in: inn.iter().map(|s| s.to_string()).collect(),
        opt_out_reply: None,
        opt_in_reply: None,
    };
    BTreeMap::from([
        (
            "en".to_string(),
            set(&["STOP", "STOPALL", "UNSUBSCRIBE"], &["START", "UNSTOP"]),
        ),
        ("fi".to_string(), set(&["LOPETA"], &["ALOITA"])),
        ("sv".to_string(), set(&["STOPP"], &[])),
        ("ru".to_string(), set(&["СТОП"], &["СТАРТ"])),
        ("pt".to_string(), set(&["PARE"], &[])),
    ])
}

/// `[consent.caps]`: at most so many non-transactional messages per recipient.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CapsConfig {
    /// Per UTC day; no cap when absent.
    #[serde(default)]
    pub per_day: Option<u32>,
    /// Per 7 consecutive UTC days (a rolling week); no cap when absent.
    #[serde(default)]
    pub per_week: Option<u32>,
    /// What happens to a message over a cap.
    #[serde(default)]
    pub over_cap: OverCap,
}

impl CapsConfig {
    /// Whether any cap is set.
    pub fn any(&self) -> bool {
        self.per_day.is_some() || self.per_week.is_some()
    }
}

/// What a submission over a frequency cap gets.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OverCap {
    /// 422 `frequency_cap`.
    #[default]
    Refuse,
    /// Accepted as `scheduled` for the first UTC day the caps allow, with the reason in its
    /// status history.
    Defer,
}
