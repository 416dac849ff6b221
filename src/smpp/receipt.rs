//! Delivery-receipt text (SMPP 3.4 Appendix B) and SMSC message-id normalisation. Pure.
//!
//! Appendix B gives `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
//! date:YYMMDDhhmm stat:DDDDDDD err:E Text: …` as a *typical* format, and real SMSCs vary it:
//! field order, case (`Text:`), `submitdate`/`submit_date` spellings, 10- or 12-digit dates,
//! missing fields, ids in decimal or hex with or without leading zeros. [`parse`] accepts all of
//! those; a session should still prefer the `receipted_message_id` and `message_state` TLVs
//! when present and keep the raw text.
//!
//! For correlation, index each `submit_sm_resp` id under [`canonical_id`], and look a receipt's
//! id up under [`canonical_id`] first, then under each of [`alternate_ids`] (hex ⇄ decimal),
//! so an SMSC that answers in hex and reports in decimal (or the reverse) still matches.

use super::pdu::MessageState;

/// A parsed receipt text. Fields absent from the text are `None`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    /// The SMSC message id the receipt is about (`id:`), as written.
    pub id: String,
    /// Number of messages originally submitted (`sub:`).
    pub sub: Option<u32>,
    /// Number delivered (`dlvrd:`).
    pub dlvrd: Option<u32>,
    /// When the message was submitted (`submit date:`).
    pub submit_date: Option<ReceiptDate>,
    /// When it reached its final state (`done date:`).
    pub done_date: Option<ReceiptDate>,
    /// The `stat:` word as written (`DELIVRD`, `UNDELIV`…).
    pub stat: Option<String>,
    /// `stat:` mapped to a message state; `None` when the word is not one we know.
    pub state: Option<MessageState>,
    /// The `err:` value as written (network- or SMSC-specific, often 3 digits).
    pub err: Option<String>,
    /// The `text:` value (first characters of the message), if any.
    pub text: Option<String>,
}

impl Receipt {
    /// `err:` as a number, when it is one.
    pub fn err_code(&self) -> Option<u32> {
        self.err.as_deref()?.parse().ok()
    }
}

/// A receipt date: `YYMMDDhhmm` or `YYMMDDhhmmss` (Appendix B; seconds are a common extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptDate {
    /// Full year (20YY: receipts carry two digits).
    pub year: u16,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59 when the SMSC sent 12 digits.
    pub second: Option<u8>,
}

impl ReceiptDate {
    /// Parses 10 or 12 digits; `None` for other lengths, non-digits or impossible values
    /// (some SMSCs send `000000000000` for "no date").
    pub fn parse(s: &str) -> Option<ReceiptDate> {
        let b = s.as_bytes();
        if !(b.len() == 10 || b.len() == 12) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let d = ReceiptDate {
            year: 2000 + u16::from(two(0)),
            month: two(2),
            day: two(4),
            hour: two(6),
            minute: two(8),
            second: (b.len() == 12).then(|| two(10)),
        };
        d.to_datetime().map(|_| d)
    }

    /// As a calendar date-time (the receipt carries no zone; SMSCs mostly use UTC or local).
    pub fn to_datetime(&self) -> Option<time::PrimitiveDateTime> {
        let month = time::Month::try_from(self.month).ok()?;
        let date = time::Date::from_calendar_date(i32::from(self.year), month, self.day).ok()?;
        let t = time::Time::from_hms(self.hour, self.minute, self.second.unwrap_or(0)).ok()?;
        Some(time::PrimitiveDateTime::new(date, t))
    }
}

/// Why a text is not a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// No `id:` field: this is an ordinary message, not a receipt text.
    #[error("no `id:` field in the receipt text")]
    NoId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

/// Key spellings seen in the field, longest first where one is a prefix of another.
const KEYS: &[(&str, Key)] = &[
    ("submit date", Key::SubmitDate),
    ("submit_date", Key::SubmitDate),
    ("submitdate", Key::SubmitDate),
    ("done date", Key::DoneDate),
    ("done_date", Key::DoneDate),
    ("donedate", Key::DoneDate),
    ("dlvrd", Key::Dlvrd),
    ("stat", Key::Stat),
    ("text", Key::Text),
    ("sub", Key::Sub),
    ("err", Key::Err),
    ("id", Key::Id),
];

/// Finds `key:` at a word start (case-insensitive) at byte `i`.
fn key_at(s: &[u8], i: usize) -> Option<(Key, usize)> {
    if i > 0 && !s[i - 1].is_ascii_whitespace() {
        return None;
    }
    KEYS.iter().find_map(|&(name, key)| {
        let end = i + name.len();
        (s.len() > end && s[i..end].eq_ignore_ascii_case(name.as_bytes()) && s[end] == b':')
            .then_some((key, end + 1))
    })
}

/// Parses a receipt text. Tolerates any field order, any case, missing fields and extra
/// fields; `text:` takes the rest of the string. Fails only when there is no `id:`.
pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
    let s = text.as_bytes();
    // (key, value start, key start)
    let mut marks: Vec<(Key, usize, usize)> = Vec::with_capacity(8);
    let mut i = 0;
    while i < s.len() {
        if let Some((key, vstart)) = key_at(s, i) {
            marks.push((key, vstart, i));
            if key == Key::Text {
                break;
            }
            i = vstart;
        } else {
            i += 1;
        }
    }
    let mut r = Receipt {
        id: String::new(),
        sub: None,
        dlvrd: None,
        submit_date: None,
        done_date: None,
        stat: None,
        state: None,
        err: None,
        text: None,
    };
    let mut has_id = false;
    for (n, &(key, vstart, _)) in marks.iter().enumerate() {
        let vend = marks.get(n + 1).map_or(s.len(), |m| m.2);
        // Marks lie on ASCII boundaries, so slicing the str there is safe; get() keeps it total.
        let raw = text.get(vstart..vend).unwrap_or_default();
        let v = raw.trim();
        match key {
            Key::Id if !has_id => {
                has_id = true;
                r.id = v.to_owned();
            }
            Key::Id => {}
            Key::Sub => r.sub = v.parse().ok(),
            Key::Dlvrd => r.dlvrd = v.parse().ok(),
            Key::SubmitDate => r.submit_date = ReceiptDate::parse(v),
            Key::DoneDate => r.done_date = ReceiptDate::parse(v),
            Key::Stat => {
                r.state = stat_to_state(v);
                r.stat = Some(v.to_owned());
            }
            Key::Err => r.err = Some(v.to_owned()),
            Key::Text => r.text = Some(raw.trim_start().to_owned()),
        }
    }
    if has_id && !r.id.is_empty() {
        Ok(r)
    } else {
        Err(ReceiptError::NoId)
    }
}

/// Parses receipt octets (the `short_message` of a deliver_sm, usually ASCII or GSM default
/// alphabet unpacked, in which the receipt's characters coincide with ASCII).
pub fn parse_bytes(octets: &[u8]) -> Result<Receipt, ReceiptError> {
    parse(&String::from_utf8_lossy(octets))
}

/// Maps a `stat:` word to a message state: the 7-letter words of Appendix B and the long
/// spellings some SMSCs use instead.
pub fn stat_to_state(stat: &str) -> Option<MessageState> {
    let s = stat.trim().to_ascii_uppercase();
    Some(match s.as_str() {
        "DELIVRD" | "DELIVERED" => MessageState::Delivered,
        "EXPIRED" => MessageState::Expired,
        "DELETED" => MessageState::Deleted,
        "UNDELIV" | "UNDELIVERABLE" | "FAILED" => MessageState::Undeliverable,
        "ACCEPTD" | "ACCEPTED" => MessageState::Accepted,
        "UNKNOWN" => MessageState::Unknown,
        "REJECTD" | "REJECTED" => MessageState::Rejected,
        "ENROUTE" => MessageState::Enroute,
        "SKIPPED" => MessageState::Skipped,
        _ => return None,
    })
}

/// The form an SMSC message id is indexed and first looked up under: trimmed, ASCII
/// lower-cased, leading zeros stripped (`"0000ABC"` → `"abc"`, `"000"` → `"0"`).
pub fn canonical_id(id: &str) -> String {
    let t = id.trim();
    let stripped = t.trim_start_matches('0');
    let core = if stripped.is_empty() && !t.is_empty() {
        "0"
    } else {
        stripped
    };
    core.to_ascii_lowercase()
}

/// Other canonical forms the same id may take at a peer that prints numbers differently:
/// a decimal id's hexadecimal form and a hexadecimal id's decimal form (up to 128 bits).
/// Look these up only after [`canonical_id`] missed, because a short id can be read both ways.
pub fn alternate_ids(id: &str) -> Vec<String> {
    let c = canonical_id(id);
    let mut out = Vec::with_capacity(2);
    if !c.is_empty() && c.len() <= 39 && c.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = c.parse::<u128>() {
            out.push(format!("{n:x}"));
        }
    }
    if !c.is_empty() && c.len() <= 32 && c.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(n) = u128::from_str_radix(&c, 16) {
            out.push(n.to_string());
        }
    }
    out.retain(|f| *f != c);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_b_receipt_should_parse_every_field() {
        let r = parse("id:0123456789 sub:001 dlvrd:001 submit date:0610191018 done date:0610191019 stat:DELIVRD err:000 text:Hello world").unwrap();
        assert_eq!(r.id, "0123456789");
        assert_eq!((r.sub, r.dlvrd), (Some(1), Some(1)));
        assert_eq!(r.submit_date.unwrap().minute, 18);
        assert_eq!(r.done_date.unwrap().second, None);
        assert_eq!(r.state, Some(MessageState::Delivered));
        assert_eq!(r.err_code(), Some(0));
        assert_eq!(r.text.as_deref(), Some("Hello world"));
    }

    #[test]
    fn text_containing_field_names_should_stay_in_text() {
        let r = parse("id:7 stat:UNDELIV err:1 text:stat:DELIVRD id:9").unwrap();
        assert_eq!(r.id, "7");
        assert_eq!(r.state, Some(MessageState::Undeliverable));
        assert_eq!(r.text.as_deref(), Some("stat:DELIVRD id:9"));
    }

    #[test]
    fn reordered_upper_case_fields_should_parse() {
        let r = parse("STAT:EXPIRED ERR:027 ID:ab12 Submit_Date:250101120000").unwrap();
        assert_eq!(r.id, "ab12");
        assert_eq!(r.state, Some(MessageState::Expired));
        assert_eq!(r.submit_date.unwrap().second, Some(0));
    }

    #[test]
    fn ordinary_text_should_not_be_a_receipt() {
        assert_eq!(parse("hello, did you get my id?"), Err(ReceiptError::NoId));
        assert_eq!(parse("id:"), Err(ReceiptError::NoId));
        assert_eq!(parse(""), Err(ReceiptError::NoId));
    }

    #[test]
    fn all_zero_date_should_be_absent() {
        assert_eq!(ReceiptDate::parse("000000000000"), None);
        assert_eq!(
            ReceiptDate::parse("2501011200"),
            ReceiptDate::parse("2501011200")
        );
        assert!(ReceiptDate::parse("2513011200").is_none());
    }

    #[test]
    fn ids_should_normalise_case_and_leading_zeros() {
        assert_eq!(canonical_id(" 0000ABCdef "), "abcdef");
        assert_eq!(canonical_id("000"), "0");
        assert_eq!(canonical_id(""), "");
    }

    #[test]
    fn hex_and_decimal_forms_should_be_alternates_of_each_other() {
        assert_eq!(alternate_ids("1A2B3C"), vec!["1715004".to_owned()]);
        assert!(alternate_ids("1715004").contains(&"1a2b3c".to_owned()));
        assert!(alternate_ids("abc-123").is_empty());
    }
}
