//! Value encoding.
//!
//! New values are MessagePack with named fields behind a leading zero byte: a message is
//! rewritten four or five times on its way out, and the compact form (timestamps as numbers,
//! no quoting) is about half the size of JSON and cheaper to write, parse and copy inside sled.
//! Named fields keep the forward compatibility JSON gave (`#[serde(default)]` for new fields,
//! `skip_serializing_if` for absent ones). Values written as JSON by earlier builds (they start
//! with `{`, never with a zero byte) are still read, so no migration is needed; `smsgw` shows
//! any value as JSON through the API.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The first byte of a MessagePack value; JSON text never starts with it.
const MSGPACK: u8 = 0;

/// Encodes a value for the store.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(256);
    out.push(MSGPACK);
    rmp_serde::encode::write_named(&mut out, value).map_err(|e| StoreError::Corrupt {
        key: String::new(),
        reason: format!("cannot encode: {e}"),
    })?;
    Ok(out)
}

/// A value encoded on its own, to be gathered into a list by [`encode_list`] (so a writer can
/// bound a list by its encoded size before building it).
pub fn encode_item<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(256);
    rmp_serde::encode::write_named(&mut out, value).map_err(|e| StoreError::Corrupt {
        key: String::new(),
        reason: format!("cannot encode: {e}"),
    })?;
    Ok(out)
}

/// A list of items from [`encode_item`], stored as one value that decodes as a `Vec`.
pub fn encode_list<'a>(items: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![MSGPACK];
    // Writing to a Vec cannot fail, and a list holds far fewer than 2^32 items.
    let _ = rmp::encode::write_array_len(&mut out, items.len() as u32);
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

/// The first bytes of a list from [`encode_list`]: the format byte, then MessagePack's array
/// markers (fixarray, array 16, array 32). A single item is a map.
fn is_list(bytes: &[u8]) -> bool {
    matches!(bytes, [MSGPACK, 0x90..=0x9f | 0xdc | 0xdd, ..])
}

/// The items under one key: a list from [`encode_list`], or one item (a key written before
/// its kind was stored in lists reads as a list of one).
pub fn decode_list_or_one<T: DeserializeOwned>(
    key: &[u8],
    bytes: &[u8],
) -> Result<Vec<T>, StoreError> {
    if is_list(bytes) {
        decode(key, bytes)
    } else {
        decode(key, bytes).map(|item: T| vec![item])
    }
}

/// Decodes a stored value, naming its key when it is unreadable.
pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        key: hex::encode(key),
        reason,
    };
    match bytes.split_first() {
        Some((&MSGPACK, packed)) => {
            rmp_serde::from_slice(packed).map_err(|e| corrupt(e.to_string()))
        }
        _ => serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Old {
        a: u32,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct New {
        a: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        b: Option<String>,
    }

    #[test]
    fn values_written_as_json_by_earlier_builds_should_still_read() {
        let v: New = decode(b"k", br#"{"a":7}"#).unwrap();
        assert_eq!(v, New { a: 7, b: None });
    }

    #[test]
    fn a_field_added_later_should_default_and_an_absent_one_round_trip() {
        let old = encode(&Old { a: 1 }).unwrap();
        assert_eq!(decode::<New>(b"k", &old).unwrap(), New { a: 1, b: None });
        let new = New {
            a: 2,
            b: Some("x".into()),
        };
        assert_eq!(decode::<New>(b"k", &encode(&new).unwrap()).unwrap(), new);
    }

    #[test]
    fn a_list_of_items_should_decode_as_a_vec() {
        let items: Vec<Vec<u8>> = (0..20)
            .map(|a| encode_item(&New { a, b: None }).unwrap())
            .collect();
        let list = encode_list(items.iter().map(Vec::as_slice));
        let back: Vec<New> = decode(b"k", &list).unwrap();
        assert_eq!(back.len(), 20);
        assert_eq!(back[19], New { a: 19, b: None });
        let empty: Vec<New> = decode(b"k", &encode_list(std::iter::empty())).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn garbage_should_be_a_corrupt_value_naming_its_key() {
        for bad in [&b"\x00\xc1"[..], b"\x00", b"", b"{", b"\xff\xff"] {
            match decode::<New>(b"\x01\x02", bad) {
                Err(StoreError::Corrupt { key, .. }) => assert_eq!(key, "0102"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
