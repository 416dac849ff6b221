//! Time fields: TP-SCTS / TP-DT (TS 23.040 §9.2.3.11, seven semi-octet pairs with a quarter-
//! hour time zone) and TP-VP in its relative, absolute and enhanced forms (§9.2.3.12).

use std::time::Duration;

use nom::Parser;
use nom::bytes::complete::take;
use nom::error::context;
use nom::number::complete::be_u8;
use serde::{Deserialize, Serialize};

use super::error::{NomError, PResult};

/// A service-centre time stamp (TS 23.040 §9.2.3.11): local time plus its offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timestamp {
    /// Two-digit year; read as 20yy.
    pub year: u8,
    /// Month 1..=12 (not range-checked: SMSCs send what they send).
    pub month: u8,
    /// Day of month.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
    /// Offset from UTC in quarter hours, negative west of Greenwich (−48..=+56).
    pub tz_quarters: i8,
}

impl Timestamp {
    /// RFC 3339 form, e.g. `2024-03-01T12:34:56+02:00`.
    pub fn to_rfc3339(&self) -> String {
        let q = i32::from(self.tz_quarters);
        let sign = if q < 0 { '-' } else { '+' };
        let mins = q.abs() * 15;
        format!(
            "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            sign,
            mins / 60,
            mins % 60
        )
    }

    /// Appends the seven swapped-BCD octets.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        for v in [
            self.year % 100,
            self.month % 100,
            self.day % 100,
            self.hour % 100,
            self.minute % 100,
            self.second % 100,
        ] {
            out.push(swap_bcd(v));
        }
        let q = self.tz_quarters.unsigned_abs() % 80;
        let mut tz = swap_bcd(q);
        if self.tz_quarters < 0 {
            tz |= 0x08;
        }
        out.push(tz);
    }
}

fn swap_bcd(v: u8) -> u8 {
    (v % 10) << 4 | (v / 10)
}

/// Reads one swapped-BCD octet; `None` if a nibble is not a decimal digit.
fn unswap_bcd(b: u8) -> Option<u8> {
    let (lo, hi) = (b & 0x0F, b >> 4);
    (lo <= 9 && hi <= 9).then_some(lo * 10 + hi)
}

/// `scts = 7 octets of swapped BCD; the last one's bit 3 is the time-zone sign`.
pub(crate) fn parse_timestamp(input: &[u8]) -> PResult<'_, Timestamp> {
    let (rest, b) = context("time stamp", take(7usize)).parse(input)?;
    let mut v = [0u8; 6];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = unswap_bcd(b[i]).ok_or_else(|| NomError::invalid(&input[i..], "time stamp"))?;
    }
    let tz = b[6];
    let quarters =
        unswap_bcd(tz & 0xF7).ok_or_else(|| NomError::invalid(&input[6..], "time zone"))?;
    let tz_quarters = if tz & 0x08 != 0 {
        -(quarters as i8)
    } else {
        quarters as i8
    };
    Ok((
        rest,
        Timestamp {
            year: v[0],
            month: v[1],
            day: v[2],
            hour: v[3],
            minute: v[4],
            second: v[5],
            tz_quarters,
        },
    ))
}

/// TP-VP (TS 23.040 §9.2.3.12); its format (TP-VPF) is derived from the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityPeriod {
    /// Relative, one octet (§9.2.3.12.1): see [`ValidityPeriod::relative_duration`].
    Relative(u8),
    /// Absolute time (§9.2.3.12.2).
    Absolute(Timestamp),
    /// Enhanced format, seven octets kept as they are (§9.2.3.12.3).
    Enhanced([u8; 7]),
}

impl ValidityPeriod {
    /// TP-VPF bits (bits 4..3 of the first octet) for this format.
    pub(crate) fn vpf_bits(v: Option<&Self>) -> u8 {
        match v {
            None => 0b00,
            Some(Self::Enhanced(_)) => 0b01,
            Some(Self::Relative(_)) => 0b10,
            Some(Self::Absolute(_)) => 0b11,
        }
    }

    /// The smallest relative TP-VP that covers `d` (capped at 63 weeks), so a message
    /// never expires earlier than asked.
    pub fn relative_at_least(d: Duration) -> Self {
        let mins = d.as_secs().div_ceil(60);
        let v = if mins <= 720 {
            mins.div_ceil(5).max(1) - 1
        } else if mins <= 1440 {
            143 + (mins - 720).div_ceil(30)
        } else if mins <= 30 * 1440 {
            166 + mins.div_ceil(1440)
        } else {
            (192 + mins.div_ceil(7 * 1440)).min(255)
        };
        Self::Relative(v.min(255) as u8)
    }

    /// How long a relative TP-VP value lasts (TS 23.040 §9.2.3.12.1 table).
    pub fn relative_duration(v: u8) -> Duration {
        let v = u64::from(v);
        let mins = match v {
            0..=143 => (v + 1) * 5,
            144..=167 => 720 + (v - 143) * 30,
            168..=196 => (v - 166) * 1440,
            _ => (v - 192) * 7 * 1440,
        };
        Duration::from_secs(mins * 60)
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Self::Relative(v) => out.push(*v),
            Self::Absolute(t) => t.encode_into(out),
            Self::Enhanced(b) => out.extend_from_slice(b),
        }
    }
}

/// `vp = <nothing> | relative:u8 | absolute:scts | enhanced:7 octets`, chosen by TP-VPF.
pub(crate) fn parse_validity(input: &[u8], vpf: u8) -> PResult<'_, Option<ValidityPeriod>> {
    match vpf & 3 {
        0b00 => Ok((input, None)),
        0b10 => {
            let (rest, v) = context("validity period", be_u8).parse(input)?;
            Ok((rest, Some(ValidityPeriod::Relative(v))))
        }
        0b11 => {
            let (rest, t) = parse_timestamp(input)?;
            Ok((rest, Some(ValidityPeriod::Absolute(t))))
        }
        _ => {
            let (rest, b) = context("validity period", take(7usize)).parse(input)?;
            let mut arr = [0u8; 7];
            arr.copy_from_slice(b);
            Ok((rest, Some(ValidityPeriod::Enhanced(arr))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn west_time_zone_should_decode_negative() {
        // 2021-05-17 10:30:00, -05:00 (20 quarters, sign bit set): "02 8" -> 0x0A? no: 20 -> swapped 0x02, sign 0x08.
        let raw = [0x12, 0x50, 0x71, 0x01, 0x03, 0x00, 0x0A];
        let (_, t) = parse_timestamp(&raw).unwrap();
        assert_eq!(t.tz_quarters, -20);
        assert_eq!(t.to_rfc3339(), "2021-05-17T10:30:00-05:00");
        let mut back = Vec::new();
        t.encode_into(&mut back);
        assert_eq!(back, raw);
    }

    #[test]
    fn relative_validity_should_cover_the_asked_duration() {
        for secs in [60u64, 300, 3_600, 43_200, 86_400, 7 * 86_400, 40 * 86_400] {
            let ValidityPeriod::Relative(v) =
                ValidityPeriod::relative_at_least(Duration::from_secs(secs))
            else {
                unreachable!()
            };
            assert!(
                ValidityPeriod::relative_duration(v) >= Duration::from_secs(secs),
                "{secs}"
            );
        }
        assert_eq!(
            ValidityPeriod::relative_duration(0xA7),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            ValidityPeriod::relative_duration(0xAA),
            Duration::from_secs(4 * 86_400)
        );
    }

    #[test]
    fn bad_bcd_should_be_an_error() {
        assert!(parse_timestamp(&[0xFF, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(parse_timestamp(&[0x12, 0x50]).is_err());
    }
}
