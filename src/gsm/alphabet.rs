//! The GSM 7-bit alphabets of TS 23.038 §6.2.1 and Annex A: which character has which code
//! under a given pair of locking and single-shift tables, and back.
//!
//! Works on unpacked septets (one `u8` per septet, 0..=0x7F); packing into octets is
//! [`super::septet`]'s job.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::error::GsmError;
use super::tables;

/// The escape septet that selects the single-shift (extension) table for the next septet
/// (TS 23.038 §6.2.1, code 0x1B).
pub const ESCAPE: u8 = 0x1B;

/// A national language with shift tables in TS 23.038 Annex A. The discriminant is the
/// national language identifier of TS 23.038 §6.2.1.2.4, carried in the UDH national language
/// IEs (TS 23.040 §9.2.3.24.15 and §9.2.3.24.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NationalLanguage {
    /// Turkish: locking (A.3.1) and single-shift (A.2.1) tables.
    Turkish = 1,
    /// Spanish: single-shift table only (A.2.2); the spec defines no Spanish locking table.
    Spanish = 2,
    /// Portuguese: locking (A.3.3) and single-shift (A.2.3) tables.
    Portuguese = 3,
}

impl NationalLanguage {
    /// Every language this codec has tables for, in identifier order.
    pub const ALL: [NationalLanguage; 3] = [Self::Turkish, Self::Spanish, Self::Portuguese];

    /// The TS 23.038 §6.2.1.2.4 identifier, as carried in the UDH.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The language of a TS 23.038 §6.2.1.2.4 identifier; `None` for languages without tables
    /// here (the caller then falls back to the default alphabet, as §6.2.1.2.4 requires).
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.id() == id)
    }

    /// Whether TS 23.038 Annex A.3 defines a locking-shift table for this language.
    pub fn has_locking_table(self) -> bool {
        self.locking_table().is_some()
    }

    fn locking_table(self) -> Option<&'static [char; 128]> {
        match self {
            Self::Turkish => Some(&tables::TURKISH_LOCKING),
            Self::Spanish => None,
            Self::Portuguese => Some(&tables::PORTUGUESE_LOCKING),
        }
    }

    fn single_table(self) -> &'static [char; 128] {
        match self {
            Self::Turkish => &tables::TURKISH_SINGLE,
            Self::Spanish => &tables::SPANISH_SINGLE,
            Self::Portuguese => &tables::PORTUGUESE_SINGLE,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The 7-bit character set in force for one message part: a locking-shift table (the default
/// alphabet when `None`) and a single-shift table reached through [`ESCAPE`] (the default
/// extension table when `None`). TS 23.040 §9.2.3.24.15/16 select them through the UDH.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Gsm7Charset {
    /// National locking-shift table replacing the default alphabet.
    pub locking: Option<NationalLanguage>,
    /// National single-shift table replacing the default extension table.
    pub single: Option<NationalLanguage>,
}

/// How one character is written in septets (TS 23.038 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Septets {
    /// A code of the locking (main) table: one septet.
    One(u8),
    /// [`ESCAPE`] followed by a code of the single-shift table: two septets.
    Escaped(u8),
}

impl Septets {
    /// Septets this character takes (1 or 2).
    pub fn len(self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Escaped(_) => 2,
        }
    }

    /// Never empty; present for clippy's `len_without_is_empty`.
    pub fn is_empty(self) -> bool {
        false
    }
}

/// Reverse map of one table: ASCII by direct index, the rest by binary search.
struct Reverse {
    ascii: [u8; 128],
    others: Vec<(char, u8)>,
}

const NONE: u8 = 0xFF;

impl Reverse {
    fn build(table: &[char; 128], is_shift: bool) -> Self {
        let mut ascii = [NONE; 128];
        let mut others = Vec::new();
        for (code, &c) in table.iter().enumerate() {
            // Position 0x1B is the escape (locking) or reserved (shift); '\0' marks a hole.
            if code == usize::from(ESCAPE) || (is_shift && c == '\0') {
                continue;
            }
            let code = code as u8;
            if c.is_ascii() {
                let slot = &mut ascii[c as usize];
                if *slot == NONE {
                    *slot = code;
                }
            } else if !others.iter().any(|&(o, _)| o == c) {
                others.push((c, code));
            }
        }
        others.sort_unstable();
        Self { ascii, others }
    }

    fn get(&self, c: char) -> Option<u8> {
        if c.is_ascii() {
            let v = self.ascii[c as usize];
            (v != NONE).then_some(v)
        } else {
            self.others
                .binary_search_by_key(&c, |&(o, _)| o)
                .ok()
                .map(|i| self.others[i].1)
        }
    }
}

/// Index 0: default tables; index n: the language with identifier n.
const SLOTS: usize = 4;

static LOCKING_REVERSE: LazyLock<Vec<Option<Reverse>>> = LazyLock::new(|| {
    (0..SLOTS)
        .map(|i| locking_of(i).map(|t| Reverse::build(t, false)))
        .collect()
});

static SINGLE_REVERSE: LazyLock<Vec<Reverse>> = LazyLock::new(|| {
    (0..SLOTS)
        .map(|i| Reverse::build(single_of(i), true))
        .collect()
});

fn locking_of(slot: usize) -> Option<&'static [char; 128]> {
    match slot {
        0 => Some(&tables::DEFAULT),
        n => NationalLanguage::from_id(n as u8).and_then(NationalLanguage::locking_table),
    }
}

fn single_of(slot: usize) -> &'static [char; 128] {
    match NationalLanguage::from_id(slot as u8) {
        Some(l) => l.single_table(),
        None => &tables::DEFAULT_EXTENSION,
    }
}

impl Gsm7Charset {
    /// The default alphabet with the default extension table.
    pub const DEFAULT: Gsm7Charset = Gsm7Charset {
        locking: None,
        single: None,
    };

    fn locking_slot(self) -> usize {
        // A language without a locking table falls back to the default alphabet
        // (TS 23.038 §6.2.1.2.4).
        match self.locking {
            Some(l) if l.has_locking_table() => l.index(),
            _ => 0,
        }
    }

    fn single_slot(self) -> usize {
        self.single.map_or(0, NationalLanguage::index)
    }

    fn locking_table(self) -> &'static [char; 128] {
        locking_of(self.locking_slot()).unwrap_or(&tables::DEFAULT)
    }

    fn single_table(self) -> &'static [char; 128] {
        single_of(self.single_slot())
    }

    /// The septets of `c`, preferring the one-septet locking code; `None` if this charset
    /// cannot write `c`.
    pub fn lookup(self, c: char) -> Option<Septets> {
        if let Some(Some(rev)) = LOCKING_REVERSE.get(self.locking_slot()) {
            if let Some(code) = rev.get(c) {
                return Some(Septets::One(code));
            }
        }
        SINGLE_REVERSE
            .get(self.single_slot())
            .and_then(|rev| rev.get(c))
            .map(Septets::Escaped)
    }

    /// Septets needed for `text`, or `None` if a character cannot be written.
    pub fn septet_len(self, text: &str) -> Option<usize> {
        text.chars()
            .try_fold(0usize, |n, c| self.lookup(c).map(|s| n + s.len()))
    }

    /// Whether every character of `text` can be written in this charset.
    pub fn can_encode(self, text: &str) -> bool {
        self.septet_len(text).is_some()
    }

    /// Appends the unpacked septets of `text` to `out`.
    pub fn encode_into(self, text: &str, out: &mut Vec<u8>) -> Result<(), GsmError> {
        for c in text.chars() {
            match self.lookup(c) {
                Some(Septets::One(code)) => out.push(code),
                Some(Septets::Escaped(code)) => out.extend_from_slice(&[ESCAPE, code]),
                None => {
                    return Err(GsmError::Unencodable {
                        what: "text",
                        reason: "a character is not in the GSM 7-bit tables in force",
                    });
                }
            }
        }
        Ok(())
    }

    /// Decodes unpacked septets. Codes missing from the single-shift table fall back to the
    /// locking table (TS 23.038 §6.2.1.1 note); `ESC ESC` reads as a space and a trailing
    /// lone escape is dropped.
    pub fn decode(self, septets: &[u8]) -> String {
        let locking = self.locking_table();
        let single = self.single_table();
        let mut out = String::with_capacity(septets.len());
        let mut iter = septets.iter().map(|s| usize::from(s & 0x7F));
        while let Some(code) = iter.next() {
            if code != usize::from(ESCAPE) {
                push_locking(&mut out, locking[code]);
                continue;
            }
            match iter.next() {
                None => {}
                Some(n) if n == usize::from(ESCAPE) => out.push(' '),
                Some(n) if single[n] != '\0' => out.push(single[n]),
                Some(n) => push_locking(&mut out, locking[n]),
            }
        }
        out
    }
}

fn push_locking(out: &mut String, c: char) {
    // Holes in a locking table read as spaces rather than NUL.
    out.push(if c == '\0' { ' ' } else { c });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_alphabet_should_round_trip_every_code() {
        let cs = Gsm7Charset::DEFAULT;
        for code in 0u8..128 {
            if code == ESCAPE {
                continue;
            }
            let text = cs.decode(&[code]);
            let mut back = Vec::new();
            cs.encode_into(&text, &mut back).unwrap();
            assert_eq!(back, vec![code], "code {code:#x} decoded as {text:?}");
        }
    }

    #[test]
    fn euro_should_need_an_escape_in_default_but_one_septet_in_turkish_locking() {
        assert_eq!(
            Gsm7Charset::DEFAULT.lookup('€'),
            Some(Septets::Escaped(0x65))
        );
        let tr = Gsm7Charset {
            locking: Some(NationalLanguage::Turkish),
            single: None,
        };
        assert_eq!(tr.lookup('€'), Some(Septets::One(0x04)));
        assert_eq!(tr.lookup('ı'), Some(Septets::One(0x07)));
        assert_eq!(Gsm7Charset::DEFAULT.lookup('ı'), None);
    }

    #[test]
    fn spanish_locking_should_fall_back_to_default_alphabet() {
        let es = Gsm7Charset {
            locking: Some(NationalLanguage::Spanish),
            single: Some(NationalLanguage::Spanish),
        };
        assert_eq!(es.lookup('@'), Some(Septets::One(0)));
        assert_eq!(es.lookup('á'), Some(Septets::Escaped(0x61)));
    }

    #[test]
    fn unknown_extension_code_should_read_as_main_table_character() {
        assert_eq!(Gsm7Charset::DEFAULT.decode(&[ESCAPE, 0x41]), "A");
        assert_eq!(Gsm7Charset::DEFAULT.decode(&[0x41, ESCAPE]), "A");
    }

    #[test]
    fn cyrillic_should_not_be_encodable() {
        assert!(!Gsm7Charset::DEFAULT.can_encode("Привет"));
        assert_eq!(Gsm7Charset::DEFAULT.septet_len("a{b"), Some(4));
    }
}
