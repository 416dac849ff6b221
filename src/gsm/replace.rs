//! Optional replacement of typographic characters that have no GSM 7-bit code by plain
//! look-alikes, so that a text written in a word processor does not fall back to UCS-2
//! (which would more than double its cost). Off by default ([`super::SegmentOptions`]).
//! Only punctuation and spaces are replaced, never a letter of any alphabet.

use std::borrow::Cow;

/// The replacement for `c`, if it is one of the typographic characters handled here.
fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        // Single quotes, primes (Unicode General Punctuation block).
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}' => "'",
        // Double quotes, double primes, guillemets.
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}'
        | '\u{00AB}' | '\u{00BB}' => "\"",
        // Hyphens and dashes, minus sign.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => "-",
        '\u{2026}' => "...",
        // No-break and typographic spaces.
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        // Invisible characters that only matter to typesetting.
        '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' => "",
        '\u{2022}' => "-",
        _ => return None,
    })
}

/// `text` with typographic characters replaced; borrowed when nothing changed.
pub(crate) fn lookalikes(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| replacement(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match replacement(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_should_never_be_replaced() {
        for text in ["Łódź", "Привет", "ğüşıöç", "ŠĐČĆŽ", "ʼ", "ā"] {
            assert!(matches!(lookalikes(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn quotes_dashes_and_ellipsis_should_be_replaced() {
        assert_eq!(lookalikes("‘a’ “b” c—d…"), "'a' \"b\" c-d...");
    }
}
