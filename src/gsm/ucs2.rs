//! UCS-2 user data (TS 23.038 §6.2.3): big-endian UTF-16 in practice, so characters outside
//! the BMP (emoji) travel as surrogate pairs, which the segmenter never splits.

/// Appends `text` as big-endian UTF-16 to `out`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() * 2);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

/// `text` as big-endian UTF-16.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    encode_into(text, &mut out);
    out
}

/// UTF-16 code units `text` needs (2 for a character outside the BMP).
pub fn units(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Decodes big-endian UTF-16. An unpaired surrogate becomes U+FFFD and an odd trailing
/// octet is dropped: a part cut badly by another sender still shows its other characters,
/// and the decoded text never needs more octets than it came in.
pub fn decode(octets: &[u8]) -> String {
    let units = octets
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_should_travel_as_surrogate_pair() {
        assert_eq!(hex::encode_upper(encode("a😀")), "0061D83DDE00");
        assert_eq!(decode(&encode("a😀")), "a😀");
        assert_eq!(units("a😀"), 3);
    }

    #[test]
    fn lone_surrogate_should_decode_as_replacement() {
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x61]), "\u{FFFD}a");
        assert_eq!(decode(&[0x00, 0x61, 0x00]), "a");
    }
}
