//! SANS-IO GSM SMS codec (3GPP TS 23.038 alphabets, TS 23.040 TPDUs). No I/O, no async.
//!
//! Temporary: only part counting, until the full codec lands (it replaces this file).

/// The coding a text needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// GSM 7-bit default alphabet.
    Gsm7,
    /// UCS-2 (UTF-16).
    Ucs2,
    /// 8-bit data.
    Binary,
}

/// Segmentation options.
#[derive(Debug, Clone, Default)]
pub struct SegmentOptions {
    /// 16-bit concatenation references (one more UDH octet per part).
    pub concat_16bit: bool,
}

/// How many parts a text needs, and in which coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartCount {
    /// Number of SMS parts.
    pub parts: usize,
    /// The coding.
    pub encoding: Encoding,
}

const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Counts parts (TS 23.040 §9.2.3.24.1: 160 septets or 140 octets, less the 6-octet
/// concatenation UDH when there is more than one part).
pub fn count_parts(text: &str, opts: &SegmentOptions) -> PartCount {
    let udh = if opts.concat_16bit { 7 } else { 6 };
    let mut septets = 0usize;
    let mut gsm = true;
    for c in text.chars() {
        if BASIC.contains(c) {
            septets += 1;
        } else if EXTENSION.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    if gsm {
        let per = (140 - udh) * 8 / 7;
        let parts = if septets <= 160 {
            1
        } else {
            septets.div_ceil(per)
        };
        return PartCount {
            parts,
            encoding: Encoding::Gsm7,
        };
    }
    let units = text.encode_utf16().count();
    let per = (140 - udh) / 2;
    let parts = if units <= 70 { 1 } else { units.div_ceil(per) };
    PartCount {
        parts,
        encoding: Encoding::Ucs2,
    }
}
