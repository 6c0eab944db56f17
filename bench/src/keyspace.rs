//! The keys and values every engine sees, generated from an item index.

use rand::{rngs::SmallRng, RngCore, SeedableRng};
use xxhash_rust::xxh3::xxh3_64;

/// Key length in bytes, the same for every engine and workload.
pub const KEY_LEN: usize = 16;

/// A key: 8 bytes of hash of the index, then the index big-endian.
pub type Key = [u8; KEY_LEN];

/// Bytes of random value material; a value is a window into it.
const VALUE_POOL_BYTES: usize = 256 * 1024;

/// Maps item indexes to keys and values.
///
/// IMPORTANT: Basalt routes a key to a shard by its first 8 bytes and scans in byte order, so the
/// key starts with a hash of the index (spreading items over shards and over the key space, as
/// DynamoDB's hashed partition keys do) and ends with the index (making keys unique). Every engine
/// gets the same keys, so a range scan reads the same items everywhere.
pub struct KeySpace {
    pool: Vec<u8>,
}

impl KeySpace {
    /// A key space whose values come from a random pool seeded with `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut pool = vec![0; VALUE_POOL_BYTES];
        SmallRng::seed_from_u64(seed).fill_bytes(&mut pool);
        Self { pool }
    }

    /// The key of item `index`.
    #[must_use]
    pub fn key(index: u64) -> Key {
        let mut key = [0; KEY_LEN];
        let (hash, tail) = key.split_at_mut(8);
        hash.copy_from_slice(&xxh3_64(&index.to_le_bytes()).to_be_bytes());
        tail.copy_from_slice(&index.to_be_bytes());
        key
    }

    /// A `len`-byte value; `version` picks the window, so an update can write different bytes.
    ///
    /// The bytes are random, so compression gains nothing on any engine.
    ///
    /// # Panics
    ///
    /// If `len` is larger than half the pool (128 KiB).
    #[must_use]
    pub fn value(&self, version: u64, len: usize) -> &[u8] {
        assert!(len <= VALUE_POOL_BYTES / 2, "value length within the pool");
        let room = u64::try_from(VALUE_POOL_BYTES - len).expect("pool size fits u64");
        let start = usize::try_from(xxh3_64(&version.to_le_bytes()) % (room + 1))
            .expect("offset below the pool size");
        &self.pool[start..start + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_unique_and_end_with_the_index() {
        let keys: HashSet<Key> = (0..10_000).map(KeySpace::key).collect();
        assert_eq!(keys.len(), 10_000);
        let key = KeySpace::key(0x0102_0304_0506_0708);
        assert_eq!(key[8..], [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn values_have_the_asked_length() {
        let space = KeySpace::new(7);
        for len in [0, 1, 100, 4096, 100 * 1024] {
            assert_eq!(space.value(3, len).len(), len);
        }
        assert_ne!(space.value(1, 100), space.value(2, 100));
    }
}
