//! Inbound routing (issue 7, item 8): `[[inbound_routes]]` rules choose which webhook target
//! gets a received message's `message.received` event, by its text (keywords, a regex, a
//! number range such as survey scores), by the `reference` of the message it answers, or by
//! where it came in (modem or link, route, our number).
//!
//! The rule is chosen once, when the message is stored ([`InboundRules`] is the store's
//! [`InboundClassifier`]), and recorded on it as `inbound_rule`; delivery then only reads it:
//! a target named by rules takes the messages of its rules ([`InboundFilter`]), a target named
//! by none takes every received message as before. So there is one delivery path (the
//! target's worker, cursor, retries and dead letters), and a restart does not re-decide.

use crate::config::{InboundRouteConfig, Template};
use crate::consent::keywords::normalise;
use crate::model::{InboundMessage, NumberPlan, NumberType, ReceivedAddress};
use crate::store::InboundClassifier;

/// One compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    name: String,
    keywords: Vec<String>,
    regex: Option<regex::Regex>,
    /// Its regex did not compile: the rule matches nothing (rather than everything).
    broken: bool,
    range: Option<[i64; 2]>,
    reference_prefix: Option<String>,
    modem: Option<String>,
    route: Option<String>,
    to: Option<String>,
}

impl Rule {
    fn matches(&self, m: &InboundMessage) -> bool {
        let text = m.text.trim();
        !self.broken
            && (self.keywords.is_empty() || {
                // The tolerance of opt-out keywords: case, accents and punctuation around
                // the word (`K.`, `yes!`) do not matter, inner words do.
                let said = normalise(text);
                self.keywords.contains(&said)
            })
            && self.regex.as_ref().is_none_or(|r| r.is_match(text))
            && self
                .range
                .is_none_or(|[lo, hi]| number_of(text).is_some_and(|n| (lo..=hi).contains(&n)))
            && self.reference_prefix.as_ref().is_none_or(|p| {
                m.in_reply_to
                    .as_ref()
                    .and_then(|r| r.reference.as_deref())
                    .is_some_and(|r| r.starts_with(p.as_str()))
            })
            && self
                .modem
                .as_ref()
                .is_none_or(|x| m.modem.as_ref() == Some(x))
            && self.route.as_ref().is_none_or(|x| &m.route == x)
            && self.to.as_ref().is_none_or(|x| m.to.as_ref() == Some(x))
    }
}

/// The whole reply as a number, punctuation and symbols around it ignored (`9.`, `10!`,
/// `(7)`, `-2`), so a score reads as a score; `None` when anything else is in it (`9 or 10`).
fn number_of(text: &str) -> Option<i64> {
    let core = text.trim_matches(|c: char| !(c.is_ascii_digit() || c == '-'));
    let core = core.strip_suffix('-').unwrap_or(core);
    core.parse().ok()
}

/// The configured rules, in order: the first that matches wins.
#[derive(Debug, Clone, Default)]
pub struct InboundRules {
    rules: Vec<Rule>,
}

impl InboundRules {
    /// Compiles `[[inbound_routes]]`. A regex that does not compile was already reported by
    /// `check-config`; here such a rule matches nothing rather than everything. A rule's `to`
    /// is read with `plan` as received addresses are, so `"040 100 1101"` and
    /// `"+358401001101"` match the same messages.
    pub fn new(config: &[InboundRouteConfig], plan: &NumberPlan) -> Self {
        let rules = config
            .iter()
            .map(|r| Rule {
                name: r.name.clone(),
                keywords: r
                    .keywords
                    .iter()
                    .map(|k| normalise(k))
                    .filter(|k| !k.is_empty())
                    .collect(),
                regex: r.regex.as_ref().and_then(|re| regex::Regex::new(re).ok()),
                broken: r
                    .regex
                    .as_ref()
                    .is_some_and(|re| regex::Regex::new(re).is_err()),
                range: r.range,
                reference_prefix: r.reference_prefix.clone(),
                modem: r.modem.clone(),
                route: r.route.clone(),
                to: r
                    .to
                    .as_deref()
                    .map(|t| ReceivedAddress::read(t, NumberType::Unknown, plan).normalised),
            })
            .collect();
        InboundRules { rules }
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl InboundClassifier for InboundRules {
    fn classify(&self, msg: &InboundMessage) -> Option<String> {
        self.rules
            .iter()
            .find(|r| r.matches(msg))
            .map(|r| r.name.clone())
    }
}

/// Which received messages one webhook target takes.
#[derive(Debug, Clone, Default)]
pub enum InboundFilter {
    /// No rule names this target: every received message (the behaviour without rules).
    #[default]
    All,
    /// Only messages whose `inbound_rule` is one of these, each with its rule's template.
    Rules(Vec<(String, Option<Template>)>),
}

impl InboundFilter {
    /// The filter of target `name` under `routes`.
    pub fn for_target(name: &str, routes: &[InboundRouteConfig]) -> Self {
        let mine: Vec<(String, Option<Template>)> = routes
            .iter()
            .filter(|r| r.target == name)
            .map(|r| (r.name.clone(), r.template.clone()))
            .collect();
        if mine.is_empty() {
            InboundFilter::All
        } else {
            InboundFilter::Rules(mine)
        }
    }

    /// Whether the target takes a message routed by `rule`.
    pub fn takes(&self, rule: Option<&str>) -> bool {
        match self {
            InboundFilter::All => true,
            InboundFilter::Rules(r) => rule.is_some_and(|n| r.iter().any(|(name, _)| name == n)),
        }
    }

    /// The template of `rule` on this target, if the rule has one.
    pub fn template(&self, rule: Option<&str>) -> Option<&Template> {
        match self {
            InboundFilter::All => None,
            InboundFilter::Rules(r) => {
                let n = rule?;
                r.iter().find(|(name, _)| name == n)?.1.as_ref()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageId, ReplyTo, Timestamp};

    fn routes(text: &str) -> Vec<InboundRouteConfig> {
        #[derive(serde::Deserialize)]
        struct F {
            inbound_routes: Vec<InboundRouteConfig>,
        }
        toml::from_str::<F>(text).unwrap().inbound_routes
    }

    fn msg(text: &str, reference: Option<&str>) -> InboundMessage {
        InboundMessage {
            id: MessageId::new_at(1),
            from: "+358401234567".into(),
            from_original: None,
            to: None,
            to_original: None,
            text: text.into(),
            route: "sims".into(),
            sent_at: None,
            received_at: Timestamp(1),
            parts: 1,
            incomplete: false,
            modem: Some("m1".into()),
            in_reply_to: reference.map(|r| ReplyTo {
                id: MessageId::new_at(0),
                reference: Some(r.into()),
            }),
            matched_by: None,
            inbound_rule: None,
            keyword: None,
        }
    }

    const RULES: &str = r#"
[[inbound_routes]]
name = "low-score"
target = "callback"
reference_prefix = "survey-"
range = [0, 6]
[[inbound_routes]]
name = "confirm"
target = "booking"
regex = "(?i)^(yes|no|kyllä|ei)$"
[[inbound_routes]]
name = "stop"
target = "booking"
keywords = ["STOP", "Lopeta"]
[[inbound_routes]]
name = "rest"
target = "default"
"#;

    #[test]
    fn survey_scores_should_split_by_range_and_everything_else_fall_through() {
        let r = InboundRules::new(&routes(RULES), &NumberPlan::default());
        assert_eq!(
            r.classify(&msg(" 3 ", Some("survey-7"))).as_deref(),
            Some("low-score")
        );
        assert_eq!(
            r.classify(&msg("9", Some("survey-7"))).as_deref(),
            Some("rest")
        );
        // A low number that answers no survey is not a low score.
        assert_eq!(
            r.classify(&msg("3", Some("appt-1"))).as_deref(),
            Some("rest")
        );
        assert_eq!(r.classify(&msg("3", None)).as_deref(), Some("rest"));
    }

    #[test]
    fn keywords_and_regexes_should_match_the_whole_reply_case_insensitively() {
        let r = InboundRules::new(&routes(RULES), &NumberPlan::default());
        assert_eq!(
            r.classify(&msg("No", Some("appt-1"))).as_deref(),
            Some("confirm")
        );
        assert_eq!(r.classify(&msg("lopeta", None)).as_deref(), Some("stop"));
        assert_eq!(r.classify(&msg("no thanks", None)).as_deref(), Some("rest"));
    }

    #[test]
    fn punctuation_around_a_score_or_a_keyword_should_not_matter() {
        let r = InboundRules::new(
            &routes(&format!(
                "[[inbound_routes]]\nname = \"ok\"\ntarget = \"t\"\nkeywords = [\"K\", \"Hyvä\"]\n\
             [[inbound_routes]]\nname = \"top\"\ntarget = \"t\"\nrange = [9, 10]\n{RULES}"
            )),
            &NumberPlan::default(),
        );
        let survey = |t: &str| r.classify(&msg(t, Some("survey-7")));
        assert_eq!(survey("3.").as_deref(), Some("low-score"));
        assert_eq!(survey("(5)").as_deref(), Some("low-score"));
        assert_eq!(survey("-").as_deref(), Some("rest"));
        let plain = |t: &str| r.classify(&msg(t, None));
        assert_eq!(plain("9.").as_deref(), Some("top"));
        assert_eq!(plain("10!").as_deref(), Some("top"));
        assert_eq!(plain(" 10 !! ").as_deref(), Some("top"));
        assert_eq!(plain("9 or 10").as_deref(), Some("rest"));
        assert_eq!(plain("1.5").as_deref(), Some("rest"));
        assert_eq!(plain("K.").as_deref(), Some("ok"));
        assert_eq!(plain("k").as_deref(), Some("ok"));
        assert_eq!(plain("hyva!").as_deref(), Some("ok"));
        assert_eq!(plain("Stop!").as_deref(), Some("stop"));
        assert_eq!(plain("K then").as_deref(), Some("rest"));
    }

    #[test]
    fn a_target_should_take_only_its_rules_and_unnamed_targets_everything() {
        let rs = routes(RULES);
        let booking = InboundFilter::for_target("booking", &rs);
        assert!(booking.takes(Some("confirm")) && booking.takes(Some("stop")));
        assert!(!booking.takes(Some("rest")) && !booking.takes(None));
        assert!(InboundFilter::for_target("audit", &rs).takes(None));
    }

    #[test]
    fn conditions_on_where_it_came_in_should_all_hold() {
        let r = InboundRules::new(
            &routes(
                "[[inbound_routes]]\nname = \"m2\"\ntarget = \"t\"\nmodem = \"m2\"\nroute = \"sims\"\n",
            ),
            &NumberPlan::default(),
        );
        assert_eq!(r.classify(&msg("hi", None)), None);
        let mut m = msg("hi", None);
        m.modem = Some("m2".into());
        assert_eq!(r.classify(&m).as_deref(), Some("m2"));
    }
}
