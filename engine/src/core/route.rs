//! Which shard a key belongs to.
//!
//! Keys arrive with a hash prefix (the DynamoDB layer puts the partition key's hash in the first
//! eight bytes). Shard `i` of `n` owns the prefixes in `[i·2^64/n, (i+1)·2^64/n)`: the key space
//! is cut into `n` contiguous ranges, so every key of shard `i` sorts before every key of shard
//! `i + 1`, and a scan of the whole store is the shards' scans one after another. Keys shorter
//! than eight bytes are routed as if padded with zeros, which keeps routing monotone in key
//! order. The rule is part of the on-disk format (a key's shard decides which SSTables hold it),
//! so the shard count is fixed when a store is created and recorded in its manifest.
//!
//! # Spaced routing
//! [`Routing::Spaced`] serves a layer that keeps many tables in one store, each of which must
//! spread over every shard: a key is `space: 4 bytes | hash: 8 bytes | rest`, and the shard is
//! chosen from the hash (bytes 4..12, zero-padded) with the same formula. A key's *space* is its
//! first four bytes, zero-padded. Spaces are contiguous intervals of the key space (the space is
//! monotone in key order), and within one space routing is monotone again, so a range that lies
//! inside one space visits its shards one after another; a range that crosses spaces meets
//! every shard's keys interleaved and is served by one merge over all shards (keys are disjoint
//! between shards, so a merge is exact). [`Routing::within_one_space`] decides which case a
//! range is. Keys shorter than twelve bytes route as if padded with zeros: they sort first in
//! their space and go to shard 0, which keeps both monotonicity claims.

use std::ops::Bound;

/// How a store maps keys to shards; fixed when the store is created and recorded in its
/// manifest (byte `routing`: 1 = [`Routing::HashPrefix`], 2 = [`Routing::Spaced`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Routing {
    /// The first eight bytes are the hash ([`ShardId::of`]); shards are contiguous ranges of the
    /// whole key space.
    #[default]
    HashPrefix,
    /// `space: 4 bytes | hash: 8 bytes | rest`: the hash (bytes 4..12) picks the shard, so every
    /// space spreads over every shard (see the module documentation).
    Spaced,
}

/// The bytes of a space id, as they lead a key under [`Routing::Spaced`].
pub(crate) const SPACE_BYTES: usize = 4;

impl Routing {
    /// The shard of `key` in a store of `count` shards under this rule.
    ///
    /// # Panics
    /// If `count` is 0.
    pub fn shard_of(self, key: &[u8], count: u16) -> ShardId {
        match self {
            Routing::HashPrefix => ShardId::of(key, count),
            Routing::Spaced => ShardId::of(key.get(SPACE_BYTES..).unwrap_or_default(), count),
        }
    }

    /// For a range from `start` to `end` (assumed not inverted) under [`Routing::Spaced`]:
    /// `Some((first, last))` when every key of the range lies in one space, so the shards
    /// `first..=last` hold all of its keys in order; `None` when it may cross spaces. Always
    /// `Some` under [`Routing::HashPrefix`]: shards are ordered slices of the whole key space.
    ///
    /// The range is inside the space `S` of its start (an unbounded start is the first key of
    /// space 0) when its end is in `S` too, when it is unbounded and `S` is the last space, or
    /// when it is excluded and at or below the first key of space `S + 1` (`S + 1`'s four bytes
    /// with trailing zeros removed: `S + 1` followed by zeros is *not* such an end, because the
    /// shorter keys `S + 1`, `S + 1 | 0`, … belong to space `S + 1` and sort before it).
    pub(crate) fn within_one_space(
        self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        count: u16,
    ) -> Option<(ShardId, ShardId)> {
        let first = match start {
            Bound::Included(key) | Bound::Excluded(key) => self.shard_of(key, count),
            Bound::Unbounded => ShardId(0),
        };
        let end_shard = match end {
            Bound::Included(key) | Bound::Excluded(key) => self.shard_of(key, count),
            Bound::Unbounded => ShardId(count - 1),
        };
        if self == Routing::HashPrefix {
            return Some((first, end_shard));
        }
        let space = match start {
            Bound::Included(key) | Bound::Excluded(key) => space_of(key),
            Bound::Unbounded => 0,
        };
        let inside = match end {
            Bound::Unbounded => space == u32::MAX,
            Bound::Included(key) | Bound::Excluded(key) if space_of(key) == space => true,
            Bound::Included(_) => false,
            Bound::Excluded(key) => {
                space.checked_add(1).is_some_and(|next| key <= first_key_of_space(next).as_slice())
            }
        };
        let last = match end {
            Bound::Included(key) | Bound::Excluded(key) if space_of(key) == space => end_shard,
            _ => ShardId(count - 1),
        };
        inside.then_some((first, last))
    }
}

/// A key's space under [`Routing::Spaced`]: its first four bytes, zero-padded, big-endian.
pub(crate) fn space_of(key: &[u8]) -> u32 {
    let mut bytes = [0u8; SPACE_BYTES];
    let len = key.len().min(SPACE_BYTES);
    bytes[..len].copy_from_slice(&key[..len]);
    u32::from_be_bytes(bytes)
}

/// The smallest key of `space`: its four bytes without trailing zeros.
fn first_key_of_space(space: u32) -> Vec<u8> {
    let mut key = space.to_be_bytes().to_vec();
    while key.last() == Some(&0) {
        key.pop();
    }
    key
}

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

    /// The smallest 8-byte prefix routed to this shard in a store of `count` shards:
    /// `⌈i·2^64/count⌉`, so that [`ShardId::of`] of it is this shard again.
    ///
    /// # Panics
    /// If `count` is 0 or this shard is not below it.
    pub fn first_prefix(self, count: u16) -> u64 {
        assert!(self.0 < count, "shard {} of {count}", self.0);
        let numerator = (u128::from(self.0) << 64) + u128::from(count) - 1;
        u64::try_from(numerator / u128::from(count)).expect("below 2^64 for a shard below count")
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
    fn first_prefix_routes_to_its_shard_and_is_the_smallest() {
        for count in [1u16, 2, 3, 7, 8, 64] {
            for shard in 0..count {
                let prefix = ShardId(shard).first_prefix(count);
                assert_eq!(ShardId::of(&prefix.to_be_bytes(), count), ShardId(shard));
                if let Some(below) = prefix.checked_sub(1) {
                    assert_eq!(ShardId::of(&below.to_be_bytes(), count), ShardId(shard - 1));
                }
            }
        }
    }

    #[test]
    fn spaced_golden_values() {
        // Part of the on-disk format: these must never change.
        let spaced = |key: &[u8], count| Routing::Spaced.shard_of(key, count);
        assert_eq!(spaced(&[0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0], 2), ShardId(1));
        assert_eq!(
            spaced(&[0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9], 2),
            ShardId(0)
        );
        assert_eq!(spaced(&[9, 9, 9, 9, 0x40], 4), ShardId(1));
        assert_eq!(spaced(&[0x80, 0, 0, 0], 16), ShardId(0));
        assert_eq!(spaced(&[0xff, 0xff], 16), ShardId(0));
        assert_eq!(
            spaced(&[0; 4].iter().chain(&[0xff; 8]).copied().collect::<Vec<_>>(), 16),
            ShardId(15)
        );
        // The hash prefix rule ignores the space; the spaced rule ignores the first four bytes.
        assert_eq!(Routing::HashPrefix.shard_of(&[0x80, 0, 0, 0], 16), ShardId(8));
        assert_eq!(Routing::default(), Routing::HashPrefix);
    }

    #[test]
    fn spaced_routing_is_monotone_within_each_space_and_spans_every_shard() {
        let count = 5;
        for space in [0u32, 1, 0x8000_0000, u32::MAX] {
            let mut keys: Vec<Vec<u8>> =
                (0..=255u8).map(|b| [&space.to_be_bytes()[..], &[b, 0x55, 1]].concat()).collect();
            let trimmed = space.to_be_bytes();
            let zeros = trimmed.iter().rev().take_while(|&&b| b == 0).count();
            keys.push(trimmed[..4 - zeros].to_vec());
            keys.push(trimmed.to_vec());
            keys.push([&trimmed[..], &[0xff; 9]].concat());
            keys.retain(|k| space_of(k) == space);
            keys.sort();
            let shards: Vec<ShardId> =
                keys.iter().map(|k| Routing::Spaced.shard_of(k, count)).collect();
            assert!(shards.windows(2).all(|w| w[0] <= w[1]), "space {space}");
            assert_eq!(shards.first(), Some(&ShardId(0)));
            assert_eq!(shards.last(), Some(&ShardId(count - 1)));
        }
    }

    #[test]
    fn a_range_is_within_one_space_exactly_when_no_other_space_can_meet_it() {
        use Bound::{Excluded, Included, Unbounded};
        let within = |start: Bound<&[u8]>, end: Bound<&[u8]>| {
            Routing::Spaced.within_one_space(start, end, 4).map(|(f, l)| (f.0, l.0))
        };
        let a: &[u8] = &[0, 0, 0, 1, 0x40];
        let b: &[u8] = &[0, 0, 0, 1, 0xc0];
        assert_eq!(within(Included(a), Excluded(b)), Some((1, 3)));
        assert_eq!(within(Excluded(a), Included(a)), Some((1, 1)));
        // The first key of the next space as an excluded end: to the end of the space.
        assert_eq!(within(Included(a), Excluded(&[0, 0, 0, 2])), Some((1, 3)));
        assert_eq!(within(Included(&[1]), Excluded(&[1, 0, 0, 1])), Some((0, 3)));
        assert_eq!(within(Included(&[0, 0, 0xff, 0xff, 1]), Excluded(&[0, 1])), Some((0, 3)));
        // Not if keys of the next space sort before the end (`S+1`, `S+1 | 0` are in S+1).
        assert_eq!(within(Included(a), Excluded(&[0, 0, 0, 2, 0, 0])), None);
        assert_eq!(within(Included(&[0, 0, 0xff, 0xff]), Excluded(&[0, 1, 0, 0])), None);
        assert_eq!(within(Included(a), Included(&[0, 0, 0, 2])), None);
        // Unbounded sides: the start of space 0, the end of the last space.
        assert_eq!(within(Unbounded, Included(&[0, 0, 0, 0, 0x80])), Some((0, 2)));
        assert_eq!(within(Unbounded, Excluded(&[0, 0, 0, 1])), Some((0, 3)));
        assert_eq!(within(Unbounded, Excluded(&[0, 0, 0, 1, 0])), None);
        assert_eq!(within(Included(&[0xff; 5]), Unbounded), Some((3, 3)));
        assert_eq!(within(Included(a), Unbounded), None);
        assert_eq!(within(Unbounded, Unbounded), None);
        // Hash-prefix routing is always one ordered walk.
        let all = Routing::HashPrefix.within_one_space(Unbounded, Unbounded, 4);
        assert_eq!(all, Some((ShardId(0), ShardId(3))));
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
