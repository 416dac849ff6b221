//! Value encoding: JSON, so that values stay readable with any sled tool and new optional
//! fields load from old stores (`#[serde(default)]`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// Encodes a value for the store.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        key: String::new(),
        reason: format!("cannot encode: {e}"),
    })
}

/// Decodes a stored value, naming its key when it is unreadable.
pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: hex::encode(key),
        reason: e.to_string(),
    })
}
