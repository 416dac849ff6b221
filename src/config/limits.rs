//! `[limits]`: back-pressure thresholds, and byte sizes written as people write them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// `[limits]`: when submissions are refused instead of queued. A refusal is an answer with a
/// reason and `Retry-After` (429 for a full queue, 503 for a full disk), never a silent drop.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Most messages waiting to be sent (`queued` + `sending`) before submissions get
    /// `429 queue_full`; no limit when absent.
    #[serde(default)]
    pub max_queued: Option<u64>,
    /// Free space the data directory's file system must keep; below it submissions get
    /// `503 disk_full`, so the store never runs out of room mid-write. None when absent.
    #[serde(default)]
    pub min_free_disk: Option<ByteSize>,
}

/// A size in bytes: `"500MB"`, `"2GiB"`, `"1048576"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a size like \"500MB\", \"2GiB\" or \"1048576\"");
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            "tib" => 1 << 40,
            _ => return Err(bad()),
        };
        n.checked_mul(mult).map(ByteSize).ok_or_else(bad)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_decimal_and_binary_units_should_parse() {
        assert_eq!("500MB".parse::<ByteSize>().unwrap().0, 500_000_000);
        assert_eq!("2 GiB".parse::<ByteSize>().unwrap().0, 2 << 30);
        assert_eq!("1024".parse::<ByteSize>().unwrap().0, 1024);
        assert!("lots".parse::<ByteSize>().is_err());
        assert!("99999999999TB".parse::<ByteSize>().is_err());
    }
}
