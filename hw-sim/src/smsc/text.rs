//! User data ⇄ text for what the SMSC records and injects: the GSM 7-bit default alphabet
//! unpacked one septet per octet (3GPP TS 23.038 §6.2.1, what data_coding 0 means on most
//! SMSCs), Latin-1 (3), UCS-2 (8), and UDH concatenation (TS 23.040 §9.2.3.24.1).

/// TS 23.038 §6.2.1 default alphabet, indexed by septet (0x1B is the escape to the extension).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// TS 23.038 §6.2.1.1 extension table: (septet after escape, character).
const GSM_EXT: &[(u8, char)] = &[
    (0x0A, '\u{c}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

fn basic(septet: u8) -> Option<char> {
    GSM_BASIC.chars().nth(usize::from(septet))
}

/// Decodes unpacked GSM septets; `None` if an octet is not a septet.
pub fn gsm_to_text(octets: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(octets.len());
    let mut it = octets.iter();
    while let Some(&o) = it.next() {
        if o > 0x7F {
            return None;
        }
        if o == 0x1B {
            let &n = it.next()?;
            let c = GSM_EXT.iter().find(|(s, _)| *s == n).map(|(_, c)| *c);
            out.push(c.unwrap_or(' '));
        } else {
            out.push(basic(o)?);
        }
    }
    Some(out)
}

/// Encodes text as unpacked GSM septets, or `None` if a character is not in the alphabet.
pub fn text_to_gsm(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(i) = GSM_BASIC.chars().position(|b| b == c && c != '\u{1b}') {
            out.push(i as u8); // < 128
        } else if let Some((s, _)) = GSM_EXT.iter().find(|(_, e)| *e == c) {
            out.extend_from_slice(&[0x1B, *s]);
        } else {
            return None;
        }
    }
    Some(out)
}

/// Decodes user data by data_coding (SMPP 3.4 §5.2.19); `None` for codings without text.
pub fn decode(data_coding: u8, octets: &[u8]) -> Option<String> {
    match data_coding {
        0 => gsm_to_text(octets).or_else(|| std::str::from_utf8(octets).ok().map(str::to_owned)),
        1 => octets
            .is_ascii()
            .then(|| String::from_utf8_lossy(octets).into_owned()),
        3 => Some(octets.iter().map(|&b| char::from(b)).collect()),
        8 => {
            if !octets.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = octets
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// Concatenation info read from a UDH (TS 23.040 §9.2.3.24.1 and .8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Concat {
    /// Reference shared by all parts.
    pub reference: u16,
    /// Number of parts.
    pub total: u8,
    /// This part, from 1.
    pub seq: u8,
}

/// Splits a UDH off `octets`: (concatenation info if any, the rest). `None` if malformed.
pub fn split_udh(octets: &[u8]) -> Option<(Option<Concat>, &[u8])> {
    let udhl = usize::from(*octets.first()?);
    let udh = octets.get(1..1 + udhl)?;
    let rest = octets.get(1 + udhl..)?;
    let mut i = 0;
    let mut concat = None;
    while i + 2 <= udh.len() {
        let (iei, len) = (udh[i], usize::from(udh[i + 1]));
        let v = udh.get(i + 2..i + 2 + len)?;
        match (iei, v) {
            (0x00, [r, t, s]) => {
                concat = Some(Concat {
                    reference: u16::from(*r),
                    total: *t,
                    seq: *s,
                })
            }
            (0x08, [r1, r2, t, s]) => {
                concat = Some(Concat {
                    reference: u16::from_be_bytes([*r1, *r2]),
                    total: *t,
                    seq: *s,
                })
            }
            _ => {}
        }
        i += 2 + len;
    }
    Some((concat, rest))
}

/// Encodes an MO text: GSM default alphabet (data_coding 0) when possible, else UCS-2 (8), and
/// splits it into UDH-concatenated parts (8-bit reference) when one part is not enough.
/// Returns (data_coding, parts).
pub fn encode_mo(text: &str, reference: u8) -> (u8, Vec<Vec<u8>>) {
    let (dc, units, single, per_part): (u8, Vec<Vec<u8>>, usize, usize) = match text_to_gsm(text) {
        Some(_) => (
            0,
            text.chars()
                .map(|c| text_to_gsm(&c.to_string()).unwrap_or_default())
                .collect(),
            160,
            153,
        ),
        None => (
            8,
            text.chars()
                .map(|c| {
                    let mut b = [0u16; 2];
                    c.encode_utf16(&mut b)
                        .iter()
                        .flat_map(|u| u.to_be_bytes())
                        .collect()
                })
                .collect(),
            140,
            134,
        ),
    };
    let total: usize = units.iter().map(Vec::len).sum();
    if total <= single {
        return (dc, vec![units.concat()]);
    }
    // Never split inside an escape sequence or a surrogate pair: units are whole characters.
    let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
    for u in units {
        if parts.last().map_or(0, Vec::len) + u.len() > per_part {
            parts.push(Vec::new());
        }
        if let Some(p) = parts.last_mut() {
            p.extend(u);
        }
    }
    let n = parts.len().min(255) as u8;
    let parts = parts
        .into_iter()
        .take(255)
        .enumerate()
        .map(|(i, p)| {
            let mut v = vec![5, 0, 3, reference, n, (i + 1) as u8];
            v.extend(p);
            v
        })
        .collect();
    (dc, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_alphabet_table_should_have_128_septets() {
        assert_eq!(GSM_BASIC.chars().count(), 128);
        assert_eq!(basic(0x1B), Some('\u{1b}'));
        assert_eq!(basic(0x41), Some('A'));
    }

    #[test]
    fn gsm_text_should_round_trip_with_extension_characters() {
        let t = "Price: 5€ [ok] {x} ~|^\\";
        assert_eq!(gsm_to_text(&text_to_gsm(t).unwrap()).unwrap(), t);
    }

    #[test]
    fn long_ucs2_mo_should_split_into_concatenated_parts() {
        let text = "Привет ".repeat(30);
        let (dc, parts) = encode_mo(&text, 7);
        assert_eq!(dc, 8);
        assert_eq!(parts.len(), 4);
        let mut joined = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let (c, rest) = split_udh(p).unwrap();
            assert_eq!(
                c,
                Some(Concat {
                    reference: 7,
                    total: 4,
                    seq: i as u8 + 1
                })
            );
            joined.extend_from_slice(rest);
        }
        assert_eq!(decode(8, &joined).unwrap(), text);
    }
}
