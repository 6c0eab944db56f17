//! Which shard a key belongs to.
//!
//! Keys arrive with a hash prefix (the DynamoDB layer puts the partition key's hash in the first
//! eight bytes). Shard `i` of `n` owns the prefixes in `[i·2^64/n, (i+1)·2^64/n)`: the key space
//! is cut into `n` contiguous ranges, so every key of shard `i` sorts before every key of shard
//! `i + 1`, and a scan of the whole store is the shards' scans one after another. Keys shorter
//! than eight bytes are routed as if padded with zeros, which keeps routing monotone in key
//! order. The rule is part of the on-disk format (a key's shard decides which SSTables hold it),
//! so the shard count is fixed when a store is created and recorded in its manifest.

/// A shard's index within its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShardId(pub u16);

impl ShardId {
    /// The shard of `key` in a store of `count` shards.
    ///
    /// # Panics
    /// If `count` is 0.
    pub fn of(key: &[u8], count: u16) -> ShardId {
        assert!(count > 0, "a store has at least one shard");
        let mut prefix = [0u8; 8];
        let len = key.len().min(8);
        prefix[..len].copy_from_slice(&key[..len]);
        let prefix = u128::from(u64::from_be_bytes(prefix));
        let shard = (prefix * u128::from(count)) >> 64;
        ShardId(u16::try_from(shard).expect("shard < count, which fits u16"))
    }

    /// The index as a `usize`.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_is_monotone_in_key_order_and_covers_every_shard() {
        let count = 7;
        let mut keys: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b, 0x55, 1]).collect();
        keys.extend([vec![], vec![0], vec![0xff; 9], vec![0x80]]);
        keys.sort();
        let shards: Vec<ShardId> = keys.iter().map(|k| ShardId::of(k, count)).collect();
        assert!(shards.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(shards.first(), Some(&ShardId(0)));
        assert_eq!(shards.last(), Some(&ShardId(count - 1)));
        for shard in 0..count {
            assert!(shards.contains(&ShardId(shard)), "shard {shard} unused");
        }
    }

    #[test]
    fn golden_values() {
        // Part of the on-disk format: these must never change.
        assert_eq!(ShardId::of(&[0x80, 0, 0, 0, 0, 0, 0, 0], 2), ShardId(1));
        assert_eq!(
            ShardId::of(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9], 2),
            ShardId(0)
        );
        assert_eq!(ShardId::of(b"\x40", 4), ShardId(1));
        assert_eq!(ShardId::of(b"", 16), ShardId(0));
        assert_eq!(ShardId::of(&[0xff; 8], 16), ShardId(15));
    }
}
