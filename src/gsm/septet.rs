//! Packing of 7-bit septets into octets and back (TS 23.038 §6.1.2.1.1), including the fill
//! bits that align the first septet after a user data header (TS 23.040 §9.2.3.24).

/// Fill bits needed after a user data header of `udh_octets` octets (including the UDHL
/// octet) so that the first character starts on a septet boundary (TS 23.040 §9.2.3.24).
pub fn fill_bits(udh_octets: usize) -> u8 {
    ((7 - (udh_octets * 8) % 7) % 7) as u8
}

/// Septets that a header of `udh_octets` octets occupies in TP-UDL, fill bits included
/// (TS 23.040 §9.2.3.16: for 7-bit data TP-UDL counts septets, header included).
pub fn udh_septets(udh_octets: usize) -> usize {
    (udh_octets * 8).div_ceil(7)
}

/// Octets needed to hold `count` septets after `fill` fill bits.
pub fn packed_len(count: usize, fill: u8) -> usize {
    (usize::from(fill) + count * 7).div_ceil(8)
}

/// Appends `septets` (low 7 bits of each byte) packed LSB-first to `out`, after `fill` zero
/// bits (TS 23.038 §6.1.2.1.1).
pub fn pack_into(septets: &[u8], fill: u8, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + packed_len(septets.len(), fill), 0);
    let buf = &mut out[start..];
    let mut bit = usize::from(fill);
    for &s in septets {
        let s = u16::from(s & 0x7F) << (bit % 8);
        let i = bit / 8;
        buf[i] |= (s & 0xFF) as u8;
        if s > 0xFF {
            if let Some(next) = buf.get_mut(i + 1) {
                *next |= (s >> 8) as u8;
            }
        }
        bit += 7;
    }
}

/// Packs `septets` into a new vector (see [`pack_into`]).
pub fn pack(septets: &[u8], fill: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(packed_len(septets.len(), fill));
    pack_into(septets, fill, &mut out);
    out
}

/// Unpacks `count` septets from `octets`, skipping `fill` bits first. Returns `None` when
/// `octets` is too short to hold them.
pub fn unpack(octets: &[u8], fill: u8, count: usize) -> Option<Vec<u8>> {
    if packed_len(count, fill) > octets.len() {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    let mut bit = usize::from(fill);
    for _ in 0..count {
        let i = bit / 8;
        let lo = u16::from(octets[i]);
        let hi = u16::from(octets.get(i + 1).copied().unwrap_or(0));
        out.push((((hi << 8 | lo) >> (bit % 8)) & 0x7F) as u8);
        bit += 7;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TS 23.038 §6.1.2.1.1 style example: "hellohello" packs to E8329BFD4697D9EC37
    /// (the classic example of the GSM 03.38 packing, also in python-gsmmodem's tests).
    #[test]
    fn hellohello_should_pack_to_known_octets() {
        let septets: Vec<u8> = b"hellohello".to_vec();
        assert_eq!(hex::encode_upper(pack(&septets, 0)), "E8329BFD4697D9EC37");
        assert_eq!(unpack(&pack(&septets, 0), 0, 10).unwrap(), septets);
    }

    #[test]
    fn fill_bits_after_concat_header_should_be_one() {
        assert_eq!(fill_bits(6), 1);
        assert_eq!(udh_septets(6), 7);
        assert_eq!(fill_bits(7), 0);
        assert_eq!(udh_septets(7), 8);
    }

    #[test]
    fn unpack_with_fill_should_invert_pack_with_fill() {
        let septets: Vec<u8> = (0u8..128).collect();
        for fill in 0..7 {
            let packed = pack(&septets, fill);
            assert_eq!(unpack(&packed, fill, septets.len()).unwrap(), septets);
        }
    }

    #[test]
    fn unpack_of_short_input_should_be_none() {
        assert_eq!(unpack(&[0x41], 0, 2), None);
    }
}
