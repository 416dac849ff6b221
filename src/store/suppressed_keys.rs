//! Which suppression keys may be in the store, in memory: so that the consent check every
//! submission makes (`Store::suppressed`, one or two lookups) skips the tree for the numbers
//! nobody opted out — almost all of them. Those lookups were 3.7% of all CPU in the
//! single-submit profile (a read of the overlay under its lock and a sled descent each).
//!
//! A set of 64-bit hashes of the keys, loaded at open and added to by every write that puts
//! a suppression (`Store::put_suppressions`, the inbound hook's opt-outs), before the write is
//! applied. Removals (opt-ins) leave their hash: a hash present means "look in the tree", so a
//! stale one or a collision costs the lookup the check always made, and a hash absent means
//! the key cannot be there. About 16 bytes per suppression entry.

use std::collections::HashSet;
use std::hash::BuildHasher;

use parking_lot::RwLock;

use super::{StoreError, keys, wal};

/// Hashes of every suppression key written since open or found at open.
#[derive(Debug, Default)]
pub(super) struct SuppressedKeys {
    hashes: RwLock<HashSet<u64>>,
    state: std::collections::hash_map::RandomState,
}

impl SuppressedKeys {
    fn hash(&self, key: &[u8]) -> u64 {
        self.state.hash_one(key)
    }

    /// Notes `key` as possibly present: call before the write that puts it is applied.
    pub(super) fn note(&self, key: &[u8]) {
        let h = self.hash(key);
        self.hashes.write().insert(h);
    }

    /// Whether `key` may be in the store (`false`: it is not).
    pub(super) fn may_hold(&self, key: &[u8]) -> bool {
        let h = self.hash(key);
        self.hashes.read().contains(&h)
    }

    /// Notes every suppression key in `tree` (at open, after the journal's replay).
    pub(super) fn load(&self, tree: &wal::Tree) -> Result<(), StoreError> {
        let mut found = HashSet::new();
        for key in tree.scan_prefix([keys::SUPPRESSION]).keys() {
            found.insert(self.hash(&key?));
        }
        self.hashes.write().extend(found);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noted_key_should_be_held_and_others_not() {
        let s = SuppressedKeys::default();
        let a = keys::suppression("*", "+358401234567");
        let b = keys::suppression("*", "+358401234568");
        assert!(!s.may_hold(&a));
        s.note(&a);
        assert!(s.may_hold(&a));
        assert!(!s.may_hold(&b));
    }
}
