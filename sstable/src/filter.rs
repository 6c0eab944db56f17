//! The bloom filter: cache-line-blocked, one 64-bit xxh3 hash per key. Byte diagram:
//! `docs/sstable.md`, "Filter block".
//!
//! Each key sets `probes` bits inside one 512-bit (64-byte) bucket, so a lookup touches one cache
//! line. The upper 32 bits of the hash pick the bucket; the lower 32 bits, remixed by repeated
//! multiplication with an odd constant, give the probe positions (top 9 bits each time).
//! At 10 bits per key this measures about 1% false positives (`tests/filter_rate.rs`).
#![deny(clippy::indexing_slicing)]

use crate::codec::Decoder;
use crate::format::BLOOM_BITS_PER_KEY_MAX;

/// Seed of the key hash. Part of the on-disk format: changing it invalidates every filter.
pub const KEY_HASH_SEED: u64 = 0x6261_7361_6c74_5353;

const BUCKET_BYTES: usize = 64;
const BUCKET_BITS: u32 = 512;
const PROBE_MIX: u32 = 0x9e37_79b9;
const PROBES_MAX: u8 = 30;

/// The 64-bit hash of a key as filters use it. Compute it once per lookup and probe every
/// table's filter with it ([`crate::Table::get_with_hash`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub u64);

impl KeyHash {
    /// Hashes `key` with xxh3-64 and [`KEY_HASH_SEED`].
    pub fn of(key: &[u8]) -> KeyHash {
        KeyHash(xxhash_rust::xxh3::xxh3_64_with_seed(key, KEY_HASH_SEED))
    }

    fn bucket(self, bucket_count: usize) -> usize {
        (((self.0 >> 32) * bucket_count as u64) >> 32) as usize
    }

    fn probe_bits(self, probes: u8) -> impl Iterator<Item = u32> {
        let mut mixed = self.0 as u32;
        (0..probes).map(move |_| {
            let bit = mixed >> (32 - 9);
            mixed = mixed.wrapping_mul(PROBE_MIX);
            bit
        })
    }
}

const _: () = assert!(1 << 9 == BUCKET_BITS);

/// The number of probes for `bits_per_key`: about `bits_per_key × ln 2`, at least one.
fn probes_for(bits_per_key: u32) -> u8 {
    let probes = (bits_per_key * 69 + 50) / 100;
    probes.clamp(1, u32::from(PROBES_MAX)) as u8
}

/// Builds the filter block payload from the hashes of a table's distinct keys.
///
/// `bits_per_key == 0` writes a disabled filter that answers "maybe" for every key.
///
/// # Panics
/// If `bits_per_key` is above [`BLOOM_BITS_PER_KEY_MAX`] (the writer validates its options).
pub(crate) fn build(hashes: &[u64], bits_per_key: u32) -> Vec<u8> {
    assert!(bits_per_key <= BLOOM_BITS_PER_KEY_MAX, "bloom bits per key validated");
    if bits_per_key == 0 {
        return vec![0];
    }
    let bits = hashes.len().saturating_mul(bits_per_key as usize);
    let bucket_count = bits.div_ceil(BUCKET_BITS as usize);
    let probes = probes_for(bits_per_key);
    let mut out = vec![0u8; bucket_count * BUCKET_BYTES + 1];
    for &hash in hashes {
        let hash = KeyHash(hash);
        let base = hash.bucket(bucket_count) * BUCKET_BYTES;
        for bit in hash.probe_bits(probes) {
            if let Some(byte) = out.get_mut(base + (bit / 8) as usize) {
                *byte |= 1 << (bit % 8);
            }
        }
    }
    if let Some(last) = out.last_mut() {
        *last = probes;
    }
    out
}

/// A parsed filter block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter<'a> {
    buckets: &'a [u8],
    probes: u8,
}

impl<'a> Filter<'a> {
    /// Parses a filter payload: whole buckets followed by the probe count.
    pub(crate) fn parse(payload: &'a [u8]) -> Result<Self, &'static str> {
        let split = payload.len().checked_sub(1).ok_or("empty filter block")?;
        let probes = Decoder::at(payload, split).u8().ok_or("empty filter block")?;
        let buckets = payload.get(..split).ok_or("empty filter block")?;
        if buckets.len() % BUCKET_BYTES != 0 || probes > PROBES_MAX {
            return Err("filter size or probe count invalid");
        }
        if probes == 0 && !buckets.is_empty() {
            return Err("disabled filter with buckets");
        }
        Ok(Filter { buckets, probes })
    }

    /// True unless this is the disabled filter (`probes = 0`), which says "maybe" to all.
    pub(crate) fn is_enabled(&self) -> bool {
        self.probes > 0
    }

    /// Number of 64-byte buckets; zero in an enabled filter means no key was added.
    pub(crate) fn bucket_count(&self) -> usize {
        self.buckets.len() / BUCKET_BYTES
    }

    /// False only if no key with this hash was added.
    pub(crate) fn may_contain(&self, hash: KeyHash) -> bool {
        if self.probes == 0 {
            return true;
        }
        let bucket_count = self.buckets.len() / BUCKET_BYTES;
        if bucket_count == 0 {
            return false;
        }
        let base = hash.bucket(bucket_count) * BUCKET_BYTES;
        hash.probe_bits(self.probes).all(|bit| {
            let byte = self.buckets.get(base + (bit / 8) as usize).copied().unwrap_or(0);
            byte & (1 << (bit % 8)) != 0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_golden_values() {
        // The key hash is part of the on-disk format (filters): these values must never change.
        // xxh3-64 of "" with seed 0 is the reference value published with xxHash.
        assert_eq!(xxhash_rust::xxh3::xxh3_64(b""), 0x2d06_8005_38d3_94c2);
        assert_eq!(KeyHash::of(b"").0, 0x9a48_ab2a_7ffe_f4bb);
        assert_eq!(KeyHash::of(b"basalt").0, 0x379b_0507_801a_6e83);
        assert_eq!(KeyHash::of(&[0xab; 300]).0, 0x84a1_bfd1_70b2_8bf1);
    }

    #[test]
    fn filter_bits_golden_value() {
        // Bucket choice and probe positions are part of the format too: pin one whole filter.
        let hashes = [KeyHash::of(b"a").0, KeyHash::of(b"b").0];
        let payload = build(&hashes, 10);
        assert_eq!(payload.len(), 65);
        assert_eq!(payload.last(), Some(&7));
        assert_eq!(crc32fast::hash(&payload), 0x97e5_b842);
    }

    #[test]
    fn no_false_negatives_and_disabled_filter() {
        let hashes: Vec<u64> = (0..1000u32).map(|i| KeyHash::of(&i.to_le_bytes()).0).collect();
        let payload = build(&hashes, 10);
        let filter = Filter::parse(&payload).expect("valid filter");
        assert!(hashes.iter().all(|&h| filter.may_contain(KeyHash(h))));
        let disabled = build(&hashes, 0);
        assert!(Filter::parse(&disabled).expect("valid").may_contain(KeyHash(7)));
        let empty = build(&[], 10);
        assert!(!Filter::parse(&empty).expect("valid").may_contain(KeyHash(7)));
    }

    #[test]
    fn probe_count_follows_bits_per_key() {
        assert_eq!(probes_for(10), 7);
        assert_eq!(probes_for(1), 1);
        assert_eq!(probes_for(BLOOM_BITS_PER_KEY_MAX), PROBES_MAX);
    }
}
