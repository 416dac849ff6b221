//! Message identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

/// A message id: a ULID, so ids sort by creation time and the store's id-keyed trees are in
/// arrival order without a separate sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(Ulid);

impl MessageId {
    /// A fresh id for a message created at `at` (milliseconds since the Unix epoch).
    pub fn new_at(at_ms: u64) -> Self {
        Self(Ulid::from_parts(at_ms, fastrand::u128(..)))
    }

    /// The smallest id of millisecond `at_ms`: every id created at or after it sorts at or
    /// after this one (a listing's time bound).
    pub fn first_at(at_ms: u64) -> Self {
        Self(Ulid::from_parts(at_ms, 0))
    }

    /// A fresh id for a message created at `at_ms` that sorts strictly after `last`: the clock's
    /// id when it is later, else `last` plus one (same millisecond, or a clock that stepped
    /// back). Lists read with a cursor then never miss an entry written after the cursor.
    pub fn new_after(at_ms: u64, last: Option<MessageId>) -> Self {
        let fresh = Self::new_at(at_ms);
        match last {
            Some(last) if fresh <= last => last.0.increment().map_or(fresh, Self),
            _ => fresh,
        }
    }

    /// The 16 big-endian bytes used in store keys (byte order = time order).
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_bytes()
    }

    /// Reads an id back from a store key.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Ulid::from_bytes(bytes))
    }

    /// Reads an id from the first 16 bytes of `slice`, if there are that many.
    pub fn from_slice(slice: &[u8]) -> Option<Self> {
        let bytes: [u8; 16] = slice.get(..16)?.try_into().ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// The creation time embedded in the id (milliseconds since the Unix epoch).
    pub fn timestamp_ms(self) -> u64 {
        self.0.timestamp_ms()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for MessageId {
    type Err = ulid::DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ulid::from_string(s).map(Self)
    }
}

impl Serialize for MessageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_created_later_should_sort_after_earlier_ones() {
        let a = MessageId::new_at(1_000);
        let same_ms = MessageId::new_after(1_000, Some(a));
        assert!(same_ms > a);
        assert!(MessageId::new_after(999, Some(same_ms)) > same_ms);
        let b = MessageId::new_at(2_000);
        assert!(a.to_bytes() < b.to_bytes());
        assert_eq!(MessageId::from_bytes(a.to_bytes()), a);
        assert_eq!(a.to_string().parse::<MessageId>().unwrap(), a);
    }
}
