//! Keyword replies: is a whole incoming text one of the configured opt-out or opt-in words?
//!
//! Pure and cheap. A reply matches when, after normalising both sides the same way, it *is* a
//! configured word: case is folded (Unicode lowercase, so `СТОП` = `стоп`), accents are
//! dropped (canonical decomposition, Unicode UAX #15 NFD, then combining marks removed, so
//! `PÁRE` = `pare`), punctuation, symbols and spaces around the word are ignored (`Stop!`,
//! `"STOP."`, `stop 🙏`) and runs of inner white space count as one space. Nothing else is
//! forgiven: `stop by tomorrow` is a sentence, not an opt-out.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::config::KeywordSet;
use crate::model::KeywordAction;

/// A reply that is a configured keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordMatch {
    /// Opt-out or opt-in.
    pub action: KeywordAction,
    /// The word as configured.
    pub word: String,
    /// The language key of its set.
    pub language: String,
}

/// The configured keywords, normalised once.
#[derive(Debug, Clone, Default)]
pub struct KeywordMatcher {
    words: BTreeMap<String, KeywordMatch>,
}

impl KeywordMatcher {
    /// Builds the matcher from the keyword sets. When two sets share a word (after
    /// normalisation) the first language in key order wins; opt-out wins over opt-in.
    pub fn new(sets: &BTreeMap<String, KeywordSet>) -> Self {
        let mut words = BTreeMap::new();
        for action in [KeywordAction::OptOut, KeywordAction::OptIn] {
            for (language, set) in sets {
                let list = match action {
                    KeywordAction::OptOut => &set.opt_out,
                    KeywordAction::OptIn => &set.opt_in,
                };
                for word in list {
                    let key = normalise(word);
                    if key.is_empty() {
                        continue;
                    }
                    words.entry(key).or_insert_with(|| KeywordMatch {
                        action,
                        word: word.clone(),
                        language: language.clone(),
                    });
                }
            }
        }
        Self { words }
    }

    /// The keyword `text` is, if it is one.
    pub fn classify(&self, text: &str) -> Option<KeywordMatch> {
        // A keyword is short; a long text is never one, and is not worth normalising.
        if text.len() > 256 {
            return None;
        }
        self.words.get(&normalise(text)).cloned()
    }
}

/// Lowercase, without accents, trimmed of everything that is not a letter or digit at both
/// ends, inner white space collapsed to one space.
pub fn normalise(text: &str) -> String {
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let core = folded.trim_matches(|c: char| !c.is_alphanumeric());
    core.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_keywords;

    fn matcher() -> KeywordMatcher {
        let mut sets = default_keywords();
        sets.insert(
            "pl".into(),
            KeywordSet {
                opt_out: vec!["NIE".into()],
                ..KeywordSet::default()
            },
        );
        KeywordMatcher::new(&sets)
    }

    fn action(text: &str) -> Option<KeywordAction> {
        matcher().classify(text).map(|m| m.action)
    }

    #[test]
    fn keywords_in_any_case_should_match() {
        for t in [
            "STOP", "stop", "Stop", "sToP", "СТОП", "стоп", "Lopeta", "stopp",
        ] {
            assert_eq!(action(t), Some(KeywordAction::OptOut), "{t}");
        }
        assert_eq!(action("start"), Some(KeywordAction::OptIn));
        assert_eq!(action("СТАРТ"), Some(KeywordAction::OptIn));
    }

    #[test]
    fn accents_should_be_ignored_on_both_sides() {
        assert_eq!(action("PÁRE"), Some(KeywordAction::OptOut));
        assert_eq!(action("nié"), Some(KeywordAction::OptOut));
        assert_eq!(action("stöp"), Some(KeywordAction::OptOut));
        let sets = BTreeMap::from([(
            "es".to_string(),
            KeywordSet {
                opt_out: vec!["CANCELACIÓN".into()],
                ..KeywordSet::default()
            },
        )]);
        let m = KeywordMatcher::new(&sets);
        assert_eq!(
            m.classify("cancelacion").map(|m| m.word),
            Some("CANCELACIÓN".into())
        );
    }

    #[test]
    fn punctuation_and_space_around_the_word_should_be_ignored() {
        for t in [
            "  STOP  ",
            "Stop!",
            "\"stop.\"",
            "stop 🙏",
            "...STOP...",
            "\nstop\r\n",
            "¡Pare!",
        ] {
            assert_eq!(action(t), Some(KeywordAction::OptOut), "{t:?}");
        }
    }

    #[test]
    fn sentences_containing_a_keyword_should_not_match() {
        for t in [
            "stop by tomorrow",
            "please stop",
            "STOP STOP",
            "stopped",
            "nonstop",
            "st op",
            "",
            "!!!",
            "no",
        ] {
            assert_eq!(action(t), None, "{t:?}");
        }
    }

    #[test]
    fn the_match_should_name_the_configured_word_and_language() {
        let m = matcher().classify("stopp").unwrap();
        assert_eq!((m.word.as_str(), m.language.as_str()), ("STOPP", "sv"));
    }

    #[test]
    fn very_long_texts_should_not_match() {
        assert_eq!(action(&"a".repeat(1000)), None);
    }
}
