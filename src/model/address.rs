//! Phone numbers and sender identities.
//!
//! Recipients are normalised to E.164 (`+` and 7–15 digits, ITU-T E.164 §6) so that indexes,
//! routing prefixes and suppression lists compare like with like, whatever the client typed.
//! Short codes (3–8 digits) are kept as they are: they have no international form.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a number or sender was refused. The API maps every variant to `invalid_number` or
/// `invalid_sender` with this text as the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing left after removing separators.
    #[error("the number is empty")]
    Empty,
    /// A character that is neither a digit nor an accepted separator.
    #[error("the number contains {0:?}, which is not a digit")]
    BadCharacter(char),
    /// Too few or too many digits for E.164 (7–15) or a short code (3–8).
    #[error("a number has 7 to 15 digits in international form (got {0})")]
    BadLength(usize),
    /// A national number but no `default_country` configured to resolve it.
    #[error("the number is national and no default country is configured; use +<country><number>")]
    NoDefaultCountry,
    /// An alphanumeric sender that is too long or uses characters outside the GSM alphabet.
    #[error(
        "an alphanumeric sender has 1 to 11 letters, digits, spaces or . - _ & ( ) (got {0:?})"
    )]
    BadAlphanumeric(String),
}

/// How to read numbers that are not in international form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberPlan {
    /// The country calling code for national numbers, digits only (e.g. `358` for Finland).
    pub default_country: Option<String>,
    /// The national trunk prefix dropped before adding the country code (`0` in most of Europe).
    pub trunk_prefix: String,
}

/// A normalised recipient or originator number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Msisdn(String);

/// The separators people put into numbers; all are dropped.
const SEPARATORS: &[char] = &[' ', '-', '.', '(', ')', '/', '\u{a0}'];

impl Msisdn {
    /// Normalises what a client typed: `+358 40 123 4567`, `00358401234567` and (with
    /// `default_country = "358"`) `040 123 4567` all become `+358401234567`.
    pub fn parse(input: &str, plan: &NumberPlan) -> Result<Self, AddressError> {
        let trimmed = input.trim();
        let (international, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !SEPARATORS.contains(&c) {
                return Err(AddressError::BadCharacter(c));
            }
        }
        if digits.is_empty() {
            return Err(AddressError::Empty);
        }
        if international {
            return Self::international(digits);
        }
        if let Some(intl) = digits.strip_prefix("00") {
            return Self::international(intl.to_string());
        }
        if digits.len() <= 8 && !plan.has_trunk_prefix(&digits) {
            // A short code: service numbers with no international form.
            return if digits.len() >= 3 {
                Ok(Self(digits))
            } else {
                Err(AddressError::BadLength(digits.len()))
            };
        }
        let country = plan
            .default_country
            .as_deref()
            .ok_or(AddressError::NoDefaultCountry)?;
        let national = if plan.has_trunk_prefix(&digits) {
            &digits[plan.trunk_prefix.len()..]
        } else {
            digits.as_str()
        };
        Self::international(format!("{country}{national}"))
    }

    fn international(digits: String) -> Result<Self, AddressError> {
        if !(7..=15).contains(&digits.len()) {
            return Err(AddressError::BadLength(digits.len()));
        }
        Ok(Self(format!("+{digits}")))
    }

    /// Trusts a number that was normalised before (read back from the store or a peer).
    pub fn from_normalised(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The normalised text (`+358401234567`, or a short code's digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an international number (as opposed to a short code).
    pub fn is_international(&self) -> bool {
        self.0.starts_with('+')
    }
}

impl NumberPlan {
    fn has_trunk_prefix(&self, digits: &str) -> bool {
        !self.trunk_prefix.is_empty() && digits.starts_with(&self.trunk_prefix)
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a message appears to come from. Serialised as plain text; anything with a letter reads
/// back as alphanumeric.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sender {
    /// A phone number or short code.
    Number(Msisdn),
    /// A brand name (TS 23.040 §9.1.2.5 alphanumeric address: at most 11 GSM characters).
    Alphanumeric(String),
}

/// Characters operators accept in alphanumeric senders; a conservative subset of the GSM 7-bit
/// default alphabet so the name survives every SMSC.
fn is_alphanumeric_sender_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " .-_&()+!?@#*'".contains(c)
}

impl Sender {
    /// Reads a sender: anything with a letter is a brand name, otherwise a number.
    pub fn parse(input: &str, plan: &NumberPlan) -> Result<Self, AddressError> {
        let trimmed = input.trim();
        if trimmed.chars().any(|c| c.is_alphabetic()) {
            let len = trimmed.chars().count();
            if len == 0 || len > 11 || !trimmed.chars().all(is_alphanumeric_sender_char) {
                return Err(AddressError::BadAlphanumeric(trimmed.to_string()));
            }
            return Ok(Sender::Alphanumeric(trimmed.to_string()));
        }
        Msisdn::parse(trimmed, plan).map(Sender::Number)
    }

    /// The sender as text.
    pub fn as_str(&self) -> &str {
        match self {
            Sender::Number(n) => n.as_str(),
            Sender::Alphanumeric(s) => s,
        }
    }
}

impl Serialize for Sender {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Sender {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(if s.chars().any(char::is_alphabetic) {
            Sender::Alphanumeric(s)
        } else {
            Sender::Number(Msisdn::from_normalised(s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finland() -> NumberPlan {
        NumberPlan {
            default_country: Some("358".into()),
            trunk_prefix: "0".into(),
        }
    }

    #[test]
    fn numbers_in_every_common_form_should_normalise_to_e164() {
        for input in [
            "+358 40 123 4567",
            "00358401234567",
            "040-123 4567",
            "(040) 1234567",
            "+358401234567",
        ] {
            assert_eq!(
                Msisdn::parse(input, &finland()).unwrap().as_str(),
                "+358401234567",
                "{input}"
            );
        }
    }

    #[test]
    fn short_codes_should_stay_as_typed() {
        assert_eq!(
            Msisdn::parse("16400", &finland()).unwrap().as_str(),
            "16400"
        );
    }

    #[test]
    fn bad_numbers_should_say_why() {
        let plan = finland();
        assert_eq!(Msisdn::parse("", &plan), Err(AddressError::Empty));
        assert_eq!(
            Msisdn::parse("+358 40x", &plan),
            Err(AddressError::BadCharacter('x'))
        );
        assert_eq!(Msisdn::parse("+12", &plan), Err(AddressError::BadLength(2)));
        assert_eq!(
            Msisdn::parse("0401234567", &NumberPlan::default()),
            Err(AddressError::NoDefaultCountry)
        );
    }

    #[test]
    fn senders_with_letters_should_be_alphanumeric_and_at_most_eleven_long() {
        let plan = finland();
        assert_eq!(
            Sender::parse("Clinic", &plan).unwrap(),
            Sender::Alphanumeric("Clinic".into())
        );
        assert!(Sender::parse("VeryLongClinicName", &plan).is_err());
        let number = Sender::parse("+358401234567", &plan).unwrap();
        assert!(matches!(number, Sender::Number(_)));
        for sender in [number, Sender::Alphanumeric("Clinic".into())] {
            let json = serde_json::to_string(&sender).unwrap();
            assert_eq!(serde_json::from_str::<Sender>(&json).unwrap(), sender);
        }
    }
}
