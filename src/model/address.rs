//! Phone numbers and sender identities.
//!
//! Every address that enters smsgw (a submission's `to` and `from`, Kannel's `to`/`from`, the
//! originator and destination of received messages with their type of number, and the numbers
//! in the configuration) is read here, so that indexes, routing prefixes, reply matching,
//! inbound rules and suppression lists compare like with like. Numbers become E.164 (`+` and
//! 7–15 digits, ITU-T E.164 §6); short codes (3–8 digits) stay as they are, having no
//! international form; alphanumeric senders stay text.
//!
//! The numbering plans come from the `phonenumber` crate, a port of Google's libphonenumber
//! whose per-country metadata (calling codes, trunk prefixes, national number lengths and
//! patterns) is maintained upstream: hand-written rules got this wrong (digits already in
//! international form, `4915100000001`, were prefixed a second time). The rules:
//!
//! - `+` or `00` first: international. The country code must exist and the number's length
//!   must be possible for that country; the digits are kept as given.
//! - Otherwise, with `default_country`: digits that begin with that country's trunk prefix
//!   (from its metadata, `0` in most of Europe) are national and must be a valid number of
//!   that country. Digits without it are read as international when they are a valid number
//!   of some country (`4915100000001` is +49 151 00000001), and, only in countries without a
//!   trunk prefix, as national when they are a valid national number there; a number that
//!   reads validly both ways is refused as ambiguous. Nothing is prefixed unless the result is
//!   a valid number.
//! - 3–8 digits that are no valid number: a short code.
//! - Anything else is refused with a reason ([`AddressError`]), never guessed.

use std::fmt;

use phonenumber::metadata::DATABASE;
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
    /// An international number whose first digits are no country calling code.
    #[error("+{0} does not begin with a country calling code")]
    UnknownCountry(String),
    /// An international number too short or too long for its country's plan.
    #[error("+{country} numbers have {lengths} digits after the country code (got {got})")]
    ImpossibleLength {
        /// The country calling code.
        country: u16,
        /// The lengths the plan allows, as text (`"10 or 11"`).
        lengths: String,
        /// The digits after the country code.
        got: usize,
    },
    /// Digits with the trunk prefix that are no valid number of the default country.
    #[error(
        "{number} begins with the trunk prefix {trunk} but is not a valid number of +{country}"
    )]
    NotNational {
        /// The digits given.
        number: String,
        /// The default country's trunk prefix.
        trunk: String,
        /// The default country's calling code.
        country: u16,
    },
    /// Digits without `+`/`00` that are neither a valid international number nor a national
    /// one of the default country.
    #[error(
        "{number} is neither a valid international number nor a national number of +{country} \
         ({hint}); write it as +<country><number>"
    )]
    NotInPlan {
        /// The digits given.
        number: String,
        /// The default country's calling code.
        country: u16,
        /// How national numbers of that country are written.
        hint: String,
    },
    /// Digits that are a valid number read as international and read as national.
    #[error(
        "{number} is ambiguous: it reads as {international} (international) and as {national} \
         (national); write it with + or 00 to say which"
    )]
    Ambiguous {
        /// The digits given.
        number: String,
        /// The international reading.
        international: String,
        /// The national reading.
        national: String,
    },
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
    /// Its trunk prefix, lengths and number patterns come from the numbering-plan metadata.
    pub default_country: Option<String>,
}

/// A normalised recipient or originator number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Msisdn(String);

/// The separators people put into numbers; all are dropped.
const SEPARATORS: &[char] = &[' ', '-', '.', '(', ')', '/', '\u{a0}'];

/// Loads the numbering-plan metadata (a few milliseconds, once): the daemon calls it at start
/// on a blocking thread, so that the first number read on the runtime does not pay for it.
pub fn load_numbering_plans() {
    let _ = DATABASE.by_code(&1);
}

/// A country calling code and the plan metadata of its main country.
fn country(code: u16) -> Option<&'static phonenumber::Metadata> {
    let all = DATABASE.by_code(&code)?;
    all.iter()
        .find(|m| m.is_main_country_for_code())
        .or_else(|| all.first())
        .copied()
}

/// Splits the calling code off international digits (calling codes are prefix-free, ITU-T
/// E.164 §6.2.1, so the first 1–3 digits that are one are it).
fn split_country(digits: &str) -> Option<(u16, &str)> {
    (1..=3.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        DATABASE.region(&code).map(|_| (code, &digits[n..]))
    })
}

/// Whether `+digits` is a valid number (its country's patterns, not only its length).
/// Only ASCII digits of E.164 length reach the library.
fn is_valid_international(digits: &str) -> bool {
    if !(7..=15).contains(&digits.len()) || split_country(digits).is_none() {
        return false;
    }
    match phonenumber::parse(None, format!("+{digits}")) {
        Ok(n) => {
            n.is_valid()
                && n.format().mode(phonenumber::Mode::E164).to_string() == format!("+{digits}")
        }
        Err(_) => false,
    }
}

impl NumberPlan {
    /// A plan whose national numbers belong to `country` (a calling code, `"358"`).
    pub fn with_country(country: &str) -> Self {
        Self {
            default_country: Some(country.to_string()),
        }
    }

    /// The default country's calling code, if configured and known to the metadata.
    fn code(&self) -> Option<u16> {
        let code = self.default_country.as_deref()?.parse().ok()?;
        country(code).map(|_| code)
    }

    /// Whether `default_country` is a calling code the numbering-plan metadata knows.
    pub fn is_known_country(&self) -> bool {
        self.default_country.is_none() || self.code().is_some()
    }

    /// The default country's trunk prefix (from its metadata), if it has one.
    pub fn trunk_prefix(&self) -> Option<&'static str> {
        self.code()
            .and_then(country)
            .and_then(|m| m.national_prefix())
    }
}

impl Msisdn {
    /// Normalises what a client typed: `+358 40 123 4567`, `00358401234567`,
    /// `358401234567` and (with `default_country = "358"`) `040 123 4567` all become
    /// `+358401234567`.
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
        let short_code = |digits: String| {
            if (3..=8).contains(&digits.len()) {
                Ok(Self(digits))
            } else {
                Err(AddressError::BadLength(digits.len()))
            }
        };
        let Some(code) = plan.code() else {
            // Without a country nothing tells a national number from an international one.
            return if digits.len() <= 8 {
                short_code(digits)
            } else {
                Err(AddressError::NoDefaultCountry)
            };
        };
        let trunk = plan.trunk_prefix();
        if let Some(national) = trunk.and_then(|t| digits.strip_prefix(t)) {
            let candidate = format!("{code}{national}");
            return if is_valid_international(&candidate) {
                Ok(Self(format!("+{candidate}")))
            } else {
                Err(AddressError::NotNational {
                    number: digits,
                    trunk: trunk.unwrap_or_default().to_string(),
                    country: code,
                })
            };
        }
        let as_international = is_valid_international(&digits).then(|| format!("+{digits}"));
        // A national number is written with the trunk prefix where the country has one.
        let as_national = match trunk {
            None => {
                let candidate = format!("{code}{digits}");
                is_valid_international(&candidate).then(|| format!("+{candidate}"))
            }
            Some(_) => None,
        };
        match (as_international, as_national) {
            (Some(i), Some(n)) if i != n => Err(AddressError::Ambiguous {
                number: digits,
                international: i,
                national: n,
            }),
            (Some(e164), _) | (None, Some(e164)) => Ok(Self(e164)),
            (None, None) if digits.len() <= 8 => short_code(digits),
            (None, None) => Err(AddressError::NotInPlan {
                number: digits,
                country: code,
                hint: match trunk {
                    Some(t) => format!("which begin with the trunk prefix {t}"),
                    None => "no valid national number either".to_string(),
                },
            }),
        }
    }

    /// `+digits`, as given, once its country code and length fit the plan. Length only, not
    /// the number patterns: the client said it is international, and a range opened after the
    /// metadata was released must still be reachable.
    fn international(digits: String) -> Result<Self, AddressError> {
        if !(7..=15).contains(&digits.len()) {
            return Err(AddressError::BadLength(digits.len()));
        }
        let Some((code, national)) = split_country(&digits) else {
            return Err(AddressError::UnknownCountry(digits));
        };
        let mut lengths: Vec<u16> = DATABASE
            .by_code(&code)
            .unwrap_or_default()
            .iter()
            .flat_map(|m| possible_lengths(m.descriptors()))
            .collect();
        lengths.sort_unstable();
        lengths.dedup();
        let got = national.len();
        if !lengths.is_empty() && !lengths.contains(&(got as u16)) {
            return Err(AddressError::ImpossibleLength {
                country: code,
                lengths: describe_lengths(&lengths),
                got,
            });
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

/// The national number lengths of every type of number a country dials from abroad (the
/// general descriptor's list is empty in the compiled metadata).
fn possible_lengths(d: &phonenumber::metadata::Descriptors) -> impl Iterator<Item = u16> + '_ {
    use phonenumber::Type::*;
    [
        FixedLine,
        Mobile,
        TollFree,
        PremiumRate,
        SharedCost,
        PersonalNumber,
        Voip,
        Pager,
        Uan,
        Voicemail,
    ]
    .into_iter()
    .filter_map(|t| d.get(t))
    .chain(std::iter::once(d.general()))
    .flat_map(|x| x.possible_length().iter().copied())
}

/// `[9, 10, 11]` → `"9, 10 or 11"`.
fn describe_lengths(l: &[u16]) -> String {
    let text: Vec<String> = l.iter().map(u16::to_string).collect();
    match text.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The type of number a network gave with an address: TS 23.040 §9.1.2.5 (TP-OA/TP-DA) and
/// SMPP 3.4 §5.2.5 (`source_addr_ton`) use the same codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    /// 0: the network applies its own plan; read like a number a client typed.
    #[default]
    Unknown,
    /// 1: international, country code first (with or without `+`).
    International,
    /// 2: national, without the trunk prefix (some networks include it anyway).
    National,
    /// 5: an alphanumeric name.
    Alphanumeric,
    /// 3, 4, 6 and 7: network specific, subscriber, abbreviated: kept as given.
    Other,
}

impl NumberType {
    /// From a type-of-number code (0–7).
    pub fn from_ton(ton: u8) -> Self {
        match ton {
            0 => Self::Unknown,
            1 => Self::International,
            2 => Self::National,
            5 => Self::Alphanumeric,
            _ => Self::Other,
        }
    }
}

/// An address that came in from a network, normalised for matching, with what was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAddress {
    /// E.164 when the address is a number that could be read, else the text as given.
    pub normalised: String,
    /// The address as the network gave it, when that differs from `normalised`.
    pub original: Option<String>,
}

impl ReceivedAddress {
    /// Reads `raw`, of type `ton`, with the same rules as a submission's number, so that a
    /// reply from `0401001101` matches the message sent to `+358401001101`. What cannot be
    /// read (an alphanumeric sender, a service number) is kept as it came: a received message
    /// is never refused for its address.
    pub fn read(raw: &str, ton: NumberType, plan: &NumberPlan) -> Self {
        let trimmed = raw.trim();
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let normalised = match ton {
            _ if !all_digits => None,
            NumberType::Alphanumeric | NumberType::Other => None,
            NumberType::International => {
                Msisdn::international(digits.to_string()).ok().map(|m| m.0)
            }
            NumberType::National => plan.code().and_then(|code| {
                let national = plan
                    .trunk_prefix()
                    .and_then(|t| digits.strip_prefix(t))
                    .filter(|n| is_valid_international(&format!("{code}{n}")))
                    .unwrap_or(digits);
                let e164 = format!("{code}{national}");
                is_valid_international(&e164).then(|| format!("+{e164}"))
            }),
            NumberType::Unknown => Msisdn::parse(trimmed, plan).ok().map(|m| m.0),
        };
        match normalised {
            Some(n) if n != raw => Self {
                normalised: n,
                original: Some(raw.to_string()),
            },
            Some(n) => Self {
                normalised: n,
                original: None,
            },
            None => Self {
                normalised: raw.to_string(),
                original: None,
            },
        }
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
        NumberPlan::with_country("358")
    }

    fn germany() -> NumberPlan {
        NumberPlan::with_country("49")
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
            Msisdn::parse("+999 1234 5678", &plan),
            Err(AddressError::UnknownCountry("99912345678".into()))
        );
        let e = Msisdn::parse("+7 916 100", &plan).unwrap_err();
        assert!(
            matches!(
                e,
                AddressError::ImpossibleLength {
                    country: 7,
                    got: 6,
                    ..
                }
            ),
            "{e:?}"
        );
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

    #[test]
    fn international_digits_without_plus_should_not_get_the_country_code_twice() {
        // Issue 13 item 4: Kannel clients send `to=4915100000001`; it became +494915100000001.
        for input in [
            "4915100000001",
            "+4915100000001",
            "004915100000001",
            "015100000001",
        ] {
            assert_eq!(
                Msisdn::parse(input, &germany()).unwrap().as_str(),
                "+4915100000001",
                "{input}"
            );
        }
        // International digits of another country are read as such, not re-prefixed.
        assert_eq!(
            Msisdn::parse("358401234567", &germany()).unwrap().as_str(),
            "+358401234567"
        );
    }

    #[test]
    fn national_numbers_should_need_the_trunk_prefix_of_the_country() {
        assert_eq!(
            Msisdn::parse("0401001101", &finland()).unwrap().as_str(),
            "+358401001101"
        );
        // Russia's trunk prefix is 8 (from the metadata, not configured).
        assert_eq!(
            Msisdn::parse("8 916 100-00-03", &NumberPlan::with_country("7"))
                .unwrap()
                .as_str(),
            "+79161000003"
        );
        // Without the prefix, a Finnish national number is not guessed into +358.
        let e = Msisdn::parse("401001101", &finland()).unwrap_err();
        assert!(
            matches!(e, AddressError::NotInPlan { country: 358, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("trunk prefix 0"), "{e}");
        // With the prefix but not a number of the plan.
        let e = Msisdn::parse("0999999999", &germany()).unwrap_err();
        assert!(
            matches!(e, AddressError::NotNational { country: 49, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn numbers_that_read_validly_two_ways_should_be_refused_with_both_readings() {
        // Denmark has no trunk prefix, so national numbers are written without one.
        let plan = NumberPlan::with_country("45");
        assert_eq!(
            Msisdn::parse("20123456", &plan).unwrap().as_str(),
            "+4520123456",
            "a national number in a country without trunk prefix"
        );
        assert_eq!(
            Msisdn::parse("4520123456", &plan).unwrap().as_str(),
            "+4520123456",
            "the same number in international digits"
        );
        // 46200000 is a Swedish number (+46 200000) and a Danish one (+45 46 20 00 00).
        let d = "46200000";
        let e = Msisdn::parse(d, &plan).unwrap_err();
        match &e {
            AddressError::Ambiguous {
                international,
                national,
                ..
            } => {
                assert_eq!(international, &format!("+{d}"));
                assert_eq!(national, &format!("+45{d}"));
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("ambiguous"), "{e}");
    }

    #[test]
    fn received_addresses_should_follow_their_type_of_number() {
        let plan = finland();
        let read = |raw, ton| ReceivedAddress::read(raw, ton, &plan);
        let r = read("0401001101", NumberType::Unknown);
        assert_eq!(r.normalised, "+358401001101");
        assert_eq!(r.original.as_deref(), Some("0401001101"));
        assert_eq!(
            read("48500100200", NumberType::International).normalised,
            "+48500100200"
        );
        assert_eq!(
            read("401001101", NumberType::National).normalised,
            "+358401001101"
        );
        assert_eq!(
            read("0401001101", NumberType::National).normalised,
            "+358401001101"
        );
        let same = read("+358401001101", NumberType::International);
        assert_eq!(same.normalised, "+358401001101");
        assert_eq!(same.original, None);
        // Alphanumeric senders and service numbers stay text.
        assert_eq!(
            read("Clinic", NumberType::Alphanumeric).normalised,
            "Clinic"
        );
        assert_eq!(read("Clinic", NumberType::Unknown).normalised, "Clinic");
        assert_eq!(read("12345", NumberType::Other).normalised, "12345");
        let odd = read("401", NumberType::National);
        assert_eq!((odd.normalised.as_str(), odd.original), ("401", None));
    }
}
