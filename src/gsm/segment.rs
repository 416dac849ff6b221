//! Encoding choice and segmentation (TS 23.040 §9.2.3.24.1 concatenation, TS 23.038
//! national shifts): pick the coding that needs the fewest parts, then cut the text between
//! characters, so an escape sequence or a surrogate pair never straddles two parts.
//!
//! [`count_parts`] and [`segment`] share one greedy packing loop (`pack_greedy`), so the
//! count the API promises is the count the route sends.

use std::borrow::Cow;

use super::alphabet::{Gsm7Charset, NationalLanguage};
use super::dcs::{DataCoding, Encoding, MessageClass};
use super::error::GsmError;
use super::replace;
use super::septet;
use super::udh::{Concat, InformationElement, UserDataHeader};
use super::user_data::{Body, MAX_USER_DATA_OCTETS, UserData};

/// Most parts one concatenated message can have (8-bit sequence number, §9.2.3.24.1).
pub const MAX_PARTS: usize = 255;

/// Septets in one part without header (140 octets × 8 / 7).
const SEPTETS_PER_PART: usize = 160;

/// How to segment a text. `Default` is what an operator can rely on everywhere: the GSM
/// default alphabet, else UCS-2, 8-bit concatenation references, no replacements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Use 16-bit concatenation references (IEI 0x08; one octet less text per part).
    pub concat_16bit: bool,
    /// National languages whose shift tables may be used (TS 23.038 Annex A). Only enable
    /// languages the recipients' phones are known to support.
    pub national_languages: Vec<NationalLanguage>,
    /// Also try the locking-shift tables of those languages (TS 23.038 A.3). They save
    /// more septets than single shifts, but fewer phones render them, so this is opt-in.
    pub use_locking_shift: bool,
    /// Replace typographic characters with no GSM equivalent (curly quotes, dashes,
    /// ellipsis, special spaces) by plain ones when that avoids UCS-2. Never touches letters.
    pub replace_lookalikes: bool,
    /// Message class to put in TP-DCS (`None`: no class).
    pub class: Option<MessageClass>,
    /// Always use UCS-2, even for text the GSM alphabet can carry (simulators injecting
    /// UCS-2 messages; links whose far end mangles 7-bit text).
    pub force_ucs2: bool,
}

/// What [`count_parts`] promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartCount {
    /// Number of SMS parts (at least 1, even for an empty text).
    pub parts: usize,
    /// The coding.
    pub encoding: Encoding,
    /// The 7-bit tables in force (defaults unless a national shift won).
    pub charset: Gsm7Charset,
}

/// A segmented text, ready to go into SMS-SUBMITs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segments {
    /// The coding of every part.
    pub encoding: Encoding,
    /// The 7-bit tables in force.
    pub charset: Gsm7Charset,
    /// TP-DCS for every part.
    pub dcs: DataCoding,
    /// The parts, each with its header (concatenation, national shifts) and text.
    pub parts: Vec<UserData>,
}

#[derive(Debug, Clone, Copy)]
enum Coding {
    Gsm7(Gsm7Charset),
    Ucs2,
}

/// Octets of the national language IEs a charset needs (3 per element).
fn national_ie_octets(cs: Gsm7Charset) -> usize {
    3 * (usize::from(cs.locking.is_some()) + usize::from(cs.single.is_some()))
}

fn concat_ie_octets(opts: &SegmentOptions) -> usize {
    if opts.concat_16bit { 6 } else { 5 }
}

/// Capacity of one part in cost units (septets or UTF-16 units), for one part alone and
/// for each part of a concatenated message.
fn capacities(coding: Coding, opts: &SegmentOptions) -> (usize, usize) {
    match coding {
        Coding::Gsm7(cs) => {
            let nat = national_ie_octets(cs);
            let cap = |ies: usize| {
                if ies == 0 {
                    SEPTETS_PER_PART
                } else {
                    SEPTETS_PER_PART - septet::udh_septets(1 + ies)
                }
            };
            (cap(nat), cap(nat + concat_ie_octets(opts)))
        }
        Coding::Ucs2 => (
            MAX_USER_DATA_OCTETS / 2,
            (MAX_USER_DATA_OCTETS - 1 - concat_ie_octets(opts)) / 2,
        ),
    }
}

fn cost(coding: Coding, c: char) -> Option<usize> {
    match coding {
        Coding::Gsm7(cs) => cs.lookup(c).map(|s| s.len()),
        Coding::Ucs2 => Some(c.len_utf16()),
    }
}

/// The one packing loop: fills each part greedily with whole characters, recording in
/// `cuts` (when given) the byte index where each new part starts. One pass computes both
/// the single-part total and the multi-part split. Returns the part count, or `None` if a
/// character cannot be written in `coding`.
fn pack_greedy(
    text: &str,
    coding: Coding,
    opts: &SegmentOptions,
    mut cuts: Option<&mut Vec<usize>>,
) -> Option<usize> {
    let (single, multi) = capacities(coding, opts);
    let mut total = 0usize;
    let mut parts = 1;
    let mut used = 0;
    let mark = cuts.as_ref().map_or(0, |c| c.len());
    for (i, c) in text.char_indices() {
        let n = cost(coding, c)?;
        total += n;
        if used + n > multi {
            parts += 1;
            used = 0;
            if let Some(cuts) = cuts.as_deref_mut() {
                cuts.push(i);
            }
        }
        used += n;
    }
    if total <= single {
        if let Some(cuts) = cuts {
            cuts.truncate(mark);
        }
        return Some(1);
    }
    Some(parts)
}

/// The 7-bit charsets worth trying, cheapest header first.
fn candidates(opts: &SegmentOptions) -> impl Iterator<Item = Gsm7Charset> + '_ {
    std::iter::once(Gsm7Charset::DEFAULT).chain(opts.national_languages.iter().flat_map(|&l| {
        let single = Gsm7Charset {
            locking: None,
            single: Some(l),
        };
        let lock = opts.use_locking_shift && l.has_locking_table();
        let locking = lock.then_some(Gsm7Charset {
            locking: Some(l),
            single: None,
        });
        let both = lock.then_some(Gsm7Charset {
            locking: Some(l),
            single: Some(l),
        });
        std::iter::once(single).chain(locking).chain(both)
    }))
}

/// The plan: text to send (possibly with replacements), coding, part count.
fn choose<'t>(text: &'t str, opts: &SegmentOptions) -> (Cow<'t, str>, Coding, usize) {
    let best7 = |t: &str| {
        let mut best: Option<(Coding, usize)> = None;
        for cs in candidates(opts) {
            let coding = Coding::Gsm7(cs);
            if let Some(n) = pack_greedy(t, coding, opts, None) {
                if best.is_none_or(|(_, b)| n < b) {
                    best = Some((coding, n));
                }
                if n == 1 {
                    break;
                }
            }
        }
        best
    };
    let ucs2 = |t: &str| pack_greedy(t, Coding::Ucs2, opts, None).unwrap_or(usize::MAX);
    if opts.force_ucs2 {
        return (Cow::Borrowed(text), Coding::Ucs2, ucs2(text));
    }
    if let Some((coding, n)) = best7(text) {
        let u = if n > 1 { ucs2(text) } else { usize::MAX };
        return if u < n {
            (Cow::Borrowed(text), Coding::Ucs2, u)
        } else {
            (Cow::Borrowed(text), coding, n)
        };
    }
    let u = ucs2(text);
    if opts.replace_lookalikes {
        if let Cow::Owned(replaced) = replace::lookalikes(text) {
            if let Some((coding, n)) = best7(&replaced) {
                if n <= u {
                    return (Cow::Owned(replaced), coding, n);
                }
            }
        }
    }
    (Cow::Borrowed(text), Coding::Ucs2, u)
}

fn describe(coding: Coding) -> (Encoding, Gsm7Charset) {
    match coding {
        Coding::Gsm7(cs) => (Encoding::Gsm7, cs),
        Coding::Ucs2 => (Encoding::Ucs2, Gsm7Charset::DEFAULT),
    }
}

/// How many parts `text` needs and in which coding. Cheap (no allocation unless
/// replacements are enabled and needed) and always equal to what [`segment`] produces.
pub fn count_parts(text: &str, opts: &SegmentOptions) -> PartCount {
    let (_, coding, parts) = choose(text, opts);
    let (encoding, charset) = describe(coding);
    PartCount {
        parts,
        encoding,
        charset,
    }
}

/// Splits `text` into the user data of each part. `reference` is the concatenation
/// reference (see [`super::ConcatReferences`]); only its low 8 bits are used unless
/// `opts.concat_16bit`.
pub fn segment(text: &str, opts: &SegmentOptions, reference: u16) -> Result<Segments, GsmError> {
    let (text, coding, parts) = choose(text, opts);
    if parts > MAX_PARTS {
        return Err(GsmError::TooManyParts { parts });
    }
    let (encoding, charset) = describe(coding);
    let mut cuts = Vec::with_capacity(parts + 1);
    cuts.push(0);
    pack_greedy(&text, coding, opts, Some(&mut cuts));
    cuts.push(text.len());
    let national = national_elements(charset);
    let total = parts as u8;
    let parts = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let mut elements = Vec::with_capacity(3);
            if total > 1 {
                elements.push(InformationElement::Concat(Concat {
                    reference: if opts.concat_16bit {
                        reference
                    } else {
                        reference & 0xFF
                    },
                    total,
                    sequence: i as u8 + 1,
                    sixteen_bit: opts.concat_16bit,
                }));
            }
            elements.extend(national.iter().cloned());
            UserData {
                header: (!elements.is_empty()).then_some(UserDataHeader { elements }),
                body: Body::Text(text[w[0]..w[1]].to_string()),
            }
        })
        .collect();
    Ok(Segments {
        encoding,
        charset,
        dcs: DataCoding::new(encoding, opts.class),
        parts,
    })
}

fn national_elements(cs: Gsm7Charset) -> Vec<InformationElement> {
    cs.locking
        .map(InformationElement::LockingShift)
        .into_iter()
        .chain(cs.single.map(InformationElement::SingleShift))
        .collect()
}

/// Splits 8-bit data into parts of at most 140 octets (134 or 133 with the concatenation
/// header).
pub fn segment_binary(
    data: &[u8],
    opts: &SegmentOptions,
    reference: u16,
) -> Result<Segments, GsmError> {
    let chunk = if data.len() <= MAX_USER_DATA_OCTETS {
        MAX_USER_DATA_OCTETS
    } else {
        MAX_USER_DATA_OCTETS - 1 - concat_ie_octets(opts)
    };
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![data]
    } else {
        data.chunks(chunk).collect()
    };
    if chunks.len() > MAX_PARTS {
        return Err(GsmError::TooManyParts {
            parts: chunks.len(),
        });
    }
    let total = chunks.len() as u8;
    let parts = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| UserData {
            header: (total > 1).then(|| UserDataHeader {
                elements: vec![InformationElement::Concat(Concat {
                    reference: if opts.concat_16bit {
                        reference
                    } else {
                        reference & 0xFF
                    },
                    total,
                    sequence: i as u8 + 1,
                    sixteen_bit: opts.concat_16bit,
                })],
            }),
            body: Body::Binary(c.to_vec()),
        })
        .collect();
    Ok(Segments {
        encoding: Encoding::Binary,
        charset: Gsm7Charset::DEFAULT,
        dcs: DataCoding::new(Encoding::Binary, opts.class),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> SegmentOptions {
        SegmentOptions::default()
    }

    #[test]
    fn forced_ucs2_should_code_gsm_text_as_ucs2_and_count_the_same() {
        let o = SegmentOptions {
            force_ucs2: true,
            ..opts()
        };
        let text = "a".repeat(71);
        let count = count_parts(&text, &o);
        assert_eq!((count.parts, count.encoding), (2, Encoding::Ucs2));
        let s = segment(&text, &o, 1).unwrap();
        assert_eq!((s.parts.len(), s.dcs), (2, DataCoding::UCS2));
    }

    #[test]
    fn boundaries_should_match_the_classic_limits() {
        let o = opts();
        assert_eq!(count_parts(&"a".repeat(160), &o).parts, 1);
        assert_eq!(count_parts(&"a".repeat(161), &o).parts, 2);
        assert_eq!(count_parts(&"a".repeat(306), &o).parts, 2);
        assert_eq!(count_parts(&"a".repeat(307), &o).parts, 3);
        assert_eq!(count_parts(&"ж".repeat(70), &o).parts, 1);
        assert_eq!(count_parts(&"ж".repeat(71), &o).parts, 2);
        assert_eq!(count_parts(&"ж".repeat(134), &o).parts, 2);
        assert_eq!(count_parts(&"ж".repeat(135), &o).parts, 3);
        assert_eq!(count_parts("", &o).parts, 1);
    }

    #[test]
    fn escape_sequence_should_not_be_split() {
        // 152 'a' then '€' (2 septets) would straddle the 153-septet boundary.
        let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        let s = segment(&text, &opts(), 7).unwrap();
        assert_eq!(s.parts.len(), 2);
        assert_eq!(s.parts[0].as_text().unwrap(), "a".repeat(152));
        assert!(s.parts[1].as_text().unwrap().starts_with('€'));
    }

    #[test]
    fn surrogate_pair_should_not_be_split() {
        let text = format!("{}😀{}", "ж".repeat(66), "x".repeat(10));
        let s = segment(&text, &opts(), 7).unwrap();
        assert_eq!(s.encoding, Encoding::Ucs2);
        assert_eq!(s.parts[0].as_text().unwrap(), "ж".repeat(66));
    }

    #[test]
    fn turkish_text_should_prefer_a_shift_table_over_ucs2() {
        let o = SegmentOptions {
            national_languages: vec![NationalLanguage::Turkish],
            use_locking_shift: true,
            ..opts()
        };
        let c = count_parts("Şişli'de buluşalım mı? Çok güzel ığdır", &o);
        assert_eq!(c.encoding, Encoding::Gsm7);
        assert!(c.charset.locking.is_some() || c.charset.single.is_some());
        assert_eq!(count_parts("Şişli", &opts()).encoding, Encoding::Ucs2);
    }

    #[test]
    fn replacement_should_avoid_ucs2_only_when_enabled() {
        let text = "“Hello” – world…";
        assert_eq!(count_parts(text, &opts()).encoding, Encoding::Ucs2);
        let o = SegmentOptions {
            replace_lookalikes: true,
            ..opts()
        };
        let s = segment(text, &o, 0).unwrap();
        assert_eq!(s.encoding, Encoding::Gsm7);
        assert_eq!(s.parts[0].as_text().unwrap(), "\"Hello\" - world...");
        assert_eq!(count_parts("“Привет”", &o).encoding, Encoding::Ucs2);
    }
}
