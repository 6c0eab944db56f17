//! [`KeyValue`]: the value of a key attribute, its order-preserving key encoding, and the
//! storage-core key of an item ([`item_key`]), with the key ranges that Query needs.
//!
//! Byte diagrams: `docs/model.md`, "Table key encoding".
//!
//! # Value encoding
//!
//! Each encoding is self-delimiting (it can be followed by more key bytes) and its bytewise
//! order is the order of the values of one type. The type itself is not written: the table's
//! key schema says which type each key attribute has.
//!
//! - `N`: [`Number::encode_key`].
//! - `S` (its UTF-8 bytes) and `B`: every byte is copied, except that `0x00` is written as
//!   `0x00 0xFF`; the encoding ends with `0x00 0x01`.
//!
//! Read the escaped form as a string of tokens: `c` (one byte `c ≠ 0x00`, standing for `c`),
//! `0x00 0xFF` (standing for `0x00`) and the end token `0x00 0x01`. A token is known from its
//! first byte, so a decoder reading from the front never has to look past the end token.
//!
//! INVARIANT (order): for values `a ≠ b` of one type and any byte strings `x`, `y`,
//! `enc(a) ++ x < enc(b) ++ y` exactly when `a < b`. Proof for `S` and `B`: let `i` be the first
//! position where `a` and `b` differ, or where the shorter one ends. Up to `i` both encodings
//! hold the same tokens, so they agree up to the token for position `i`.
//! - If both have a byte there, `a[i] < b[i]` say. Both nonzero: the tokens' first bytes differ
//!   the same way. `a[i] = 0x00 < b[i]`: `0x00` against `b[i] ≥ 0x01`.
//! - If `a` ends there (a proper prefix of `b`), `a` has the end token `0x00 0x01` and `b` a
//!   token for `b[i]`: against `b[i] ≥ 0x01` the first byte `0x00` is smaller; against `b[i] =
//!   0x00`, written `0x00 0xFF`, the second byte `0x01 < 0xFF` is.
//!
//! Either way the encodings differ at a byte inside both of them, so what follows (`x`, `y`)
//! never matters. For `N` the same holds by [`Number::encode_key`]'s own argument.
//!
//! INVARIANT (prefixes): for `S` and `B`, a value `v` starts with `p` exactly when `enc(v)`
//! starts with `esc(p)`, the tokens of `p` without the end token. If `v = p ++ r`, then `enc(v)
//! = esc(p) ++ esc(r) ++ 0x00 0x01`. Conversely, reading `enc(v)` token by token, each token
//! is fixed by its first byte, so while the bytes agree with `esc(p)` the tokens are those of
//! `p`, none of them the end token: `v` begins with `p`. So `begins_with` on a sort key is a
//! plain byte-prefix range ([`begins_with_range`]).
//!
//! # Item key
//!
//! `hash (8 bytes, big-endian) | enc(partition) | enc(sort)?`, where `hash` is
//! `xxh3_64_with_seed(tag ++ enc(partition), PARTITION_HASH_SEED)` and `tag` is `'S'`, `'N'` or
//! `'B'`. The storage core routes a key to its shard by those first 8 bytes (`docs/core.md`,
//! "Shape"). All items of one partition share the prefix `hash | enc(partition)`, so they are
//! contiguous and, by the order invariant, ordered by sort key; partitions follow each other in
//! hash order, which is DynamoDB's Scan order and what parallel Scan cuts into segments.
#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;
use std::ops::Range;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{Number, NumberError};

/// Seed of the partition hash, part of the on-disk format: the bytes `"basalt/p"` read
/// big-endian. Changing it moves every item to another place in the key space.
pub const PARTITION_HASH_SEED: u64 = 0x6261_7361_6c74_2f70;

/// Length of the hash prefix that starts every item key.
pub const HASH_PREFIX_BYTES: usize = 8;

/// The escape byte of `S` and `B` encodings; always followed by one of the next two.
const ESCAPE: u8 = 0x00;
/// After [`ESCAPE`]: the value byte `0x00`.
const ESCAPED_ZERO: u8 = 0xFF;
/// After [`ESCAPE`]: the end of the value.
const TERMINATOR: u8 = 0x01;

const _: () = assert!(ESCAPE < TERMINATOR, "the end sorts below every non-zero byte");
const _: () = assert!(TERMINATOR < ESCAPED_ZERO, "the end sorts below an escaped zero");
const _: () = assert!(HASH_PREFIX_BYTES == u64::BITS as usize / 8);

/// The scalar type of a key attribute, as a table's key schema declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl KeyType {
    /// The type's byte in the partition hash input; part of the on-disk format.
    #[must_use]
    pub const fn hash_tag(self) -> u8 {
        match self {
            KeyType::S => b'S',
            KeyType::N => b'N',
            KeyType::B => b'B',
        }
    }
}

/// The value of a key attribute: one of the three scalar types DynamoDB allows in keys.
///
/// `PartialOrd` is DynamoDB's order within a type (strings by UTF-8 bytes, numbers by value,
/// binary by unsigned bytes); values of different types are not comparable (`None`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyValue {
    /// A string.
    S(String),
    /// A number.
    N(Number),
    /// A binary value.
    B(Vec<u8>),
}

/// Why key bytes cannot be decoded, or a key range cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Bytes that no encoder in this module produces.
    #[error("corrupt key at byte {offset}: {what}")]
    Corrupt {
        /// Offset of the offending byte from the start of the decoded bytes.
        offset: usize,
        /// What is wrong there.
        what: &'static str,
    },
    /// The hash prefix of an item key is not the hash of its partition value.
    #[error("corrupt key: hash prefix {stored:#018x}, partition value hashes to {computed:#018x}")]
    HashMismatch {
        /// The hash the key starts with.
        stored: u64,
        /// The hash of the partition value that follows it.
        computed: u64,
    },
    /// `begins_with` was given a number; it applies to strings and binary only.
    #[error("begins_with applies to string and binary sort keys, not numbers")]
    BeginsWithNumber,
}

impl KeyError {
    /// The same error with its offset moved by `by` bytes, for a value decoded from the middle
    /// of a key.
    fn shifted(self, by: usize) -> KeyError {
        match self {
            KeyError::Corrupt { offset, what } => KeyError::Corrupt { offset: offset + by, what },
            other => other,
        }
    }
}

impl KeyValue {
    /// The value's type.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        match self {
            KeyValue::S(_) => KeyType::S,
            KeyValue::N(_) => KeyType::N,
            KeyValue::B(_) => KeyType::B,
        }
    }

    /// Appends the order-preserving, self-delimiting encoding (module docs, "Value encoding").
    pub fn encode_key(&self, out: &mut Vec<u8>) {
        match self {
            KeyValue::S(text) => encode_escaped(text.as_bytes(), out),
            KeyValue::N(number) => number.encode_key(out),
            KeyValue::B(bytes) => encode_escaped(bytes, out),
        }
    }

    /// Decodes one value of type `key_type` written by [`KeyValue::encode_key`] from the front of
    /// `bytes`, returning it and how many bytes it took. Bytes after the encoding are left alone.
    ///
    /// # Errors
    ///
    /// [`KeyError::Corrupt`] when the front of `bytes` is not a canonical encoding: truncated,
    /// `0x00` followed by anything but `0xFF` or `0x01`, a string that is not UTF-8, or a bad
    /// number encoding. Never panics.
    pub fn decode_key(bytes: &[u8], key_type: KeyType) -> Result<(KeyValue, usize), KeyError> {
        match key_type {
            KeyType::S => {
                let (raw, used) = decode_escaped(bytes)?;
                let text = String::from_utf8(raw).map_err(|_| KeyError::Corrupt {
                    offset: 0,
                    what: "string key is not UTF-8",
                })?;
                Ok((KeyValue::S(text), used))
            }
            KeyType::N => {
                let (number, used) = Number::decode_key(bytes).map_err(number_error)?;
                Ok((KeyValue::N(number), used))
            }
            KeyType::B => {
                let (raw, used) = decode_escaped(bytes)?;
                Ok((KeyValue::B(raw), used))
            }
        }
    }
}

impl PartialOrd for KeyValue {
    /// DynamoDB's order within a type; `None` across types.
    fn partial_cmp(&self, other: &KeyValue) -> Option<Ordering> {
        match (self, other) {
            (KeyValue::S(a), KeyValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (KeyValue::N(a), KeyValue::N(b)) => Some(a.cmp(b)),
            (KeyValue::B(a), KeyValue::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Writes `raw` with every `0x00` escaped, then the end token (module docs, "Value encoding").
fn encode_escaped(raw: &[u8], out: &mut Vec<u8>) {
    escape_into(raw, out);
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Writes the tokens of `raw` without the end token.
fn escape_into(raw: &[u8], out: &mut Vec<u8>) {
    out.reserve(raw.len() + 2);
    for &byte in raw {
        out.push(byte);
        if byte == ESCAPE {
            out.push(ESCAPED_ZERO);
        }
    }
}

/// Reads an escaped byte string from the front of `bytes`: the raw bytes and how many encoded
/// bytes they took, end token included.
fn decode_escaped(bytes: &[u8]) -> Result<(Vec<u8>, usize), KeyError> {
    let corrupt = |offset, what| KeyError::Corrupt { offset, what };
    let mut raw = Vec::new();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte != ESCAPE {
            raw.push(byte);
            at += 1;
            continue;
        }
        match bytes.get(at + 1) {
            Some(&ESCAPED_ZERO) => raw.push(0x00),
            Some(&TERMINATOR) => return Ok((raw, at + 2)),
            Some(_) => return Err(corrupt(at + 1, "0x00 not followed by 0xFF or 0x01")),
            None => return Err(corrupt(at + 1, "truncated after 0x00")),
        }
        at += 2;
    }
    Err(corrupt(bytes.len(), "missing terminator"))
}

/// A number decoding error as a key error.
fn number_error(error: NumberError) -> KeyError {
    match error {
        NumberError::CorruptKey { offset, what } => KeyError::Corrupt { offset, what },
        _ => KeyError::Corrupt { offset: 0, what: "number key" },
    }
}

/// The partition hash of an item: the value of its key's first 8 bytes, big-endian. Parallel
/// Scan segments are ranges of it.
#[must_use]
pub fn partition_hash(partition: &KeyValue) -> u64 {
    let mut encoded = Vec::new();
    partition.encode_key(&mut encoded);
    hash_encoded(partition.key_type(), &encoded)
}

/// The hash of a partition value of type `key_type` whose encoding is `encoded`.
fn hash_encoded(key_type: KeyType, encoded: &[u8]) -> u64 {
    let mut input = Vec::with_capacity(1 + encoded.len());
    input.push(key_type.hash_tag());
    input.extend_from_slice(encoded);
    xxh3_64_with_seed(&input, PARTITION_HASH_SEED)
}

/// The storage-core key of an item: `hash | enc(partition) | enc(sort)?` (module docs, "Item
/// key"). `sort` is `None` exactly for tables without a sort key.
///
/// Key size limits are not checked here; DynamoDB's (partition 2048 bytes, sort 1024 bytes) are
/// enforced where items are validated.
#[must_use]
pub fn item_key(partition: &KeyValue, sort: Option<&KeyValue>) -> Vec<u8> {
    let mut key = partition_prefix(partition);
    if let Some(sort) = sort {
        sort.encode_key(&mut key);
    }
    key
}

/// Decodes an item key written by [`item_key`] for a table whose partition key has type
/// `partition_type` and whose sort key, if any, has type `sort_type`. Every byte must be used.
///
/// # Errors
///
/// [`KeyError::Corrupt`] for bytes [`item_key`] does not write for these types (including
/// trailing bytes), [`KeyError::HashMismatch`] when the hash prefix does not match the
/// partition value. Never panics.
pub fn decode_item_key(
    bytes: &[u8],
    partition_type: KeyType,
    sort_type: Option<KeyType>,
) -> Result<(KeyValue, Option<KeyValue>), KeyError> {
    let (hash, rest) = bytes
        .split_first_chunk::<HASH_PREFIX_BYTES>()
        .ok_or(KeyError::Corrupt { offset: bytes.len(), what: "shorter than the hash prefix" })?;
    let (partition, used) =
        KeyValue::decode_key(rest, partition_type).map_err(|e| e.shifted(HASH_PREFIX_BYTES))?;
    let (encoded, rest) = rest.split_at_checked(used).expect("a decoder uses bytes it was given");
    let stored = u64::from_be_bytes(*hash);
    let computed = hash_encoded(partition_type, encoded);
    if stored != computed {
        return Err(KeyError::HashMismatch { stored, computed });
    }
    let mut at = HASH_PREFIX_BYTES + used;
    let sort = match sort_type {
        None => None,
        Some(sort_type) => {
            let (sort, used) = KeyValue::decode_key(rest, sort_type).map_err(|e| e.shifted(at))?;
            at += used;
            Some(sort)
        }
    };
    if at != bytes.len() {
        return Err(KeyError::Corrupt { offset: at, what: "trailing bytes after the key" });
    }
    Ok((partition, sort))
}

/// `hash | enc(partition)`: every key of the partition starts with it, and no other key does.
#[must_use]
pub fn partition_prefix(partition: &KeyValue) -> Vec<u8> {
    let mut encoded = Vec::new();
    partition.encode_key(&mut encoded);
    let hash = hash_encoded(partition.key_type(), &encoded);
    let mut key = Vec::with_capacity(HASH_PREFIX_BYTES + encoded.len() + 2);
    key.extend_from_slice(&hash.to_be_bytes());
    key.extend_from_slice(&encoded);
    key
}

/// The half-open range holding exactly the keys of one partition.
#[must_use]
pub fn partition_range(partition: &KeyValue) -> Range<Vec<u8>> {
    prefix_range(partition_prefix(partition))
}

/// The key of the item with this partition and sort value. As a range bound it is the start of
/// `sort >= value` and the (exclusive) end of `sort < value`.
#[must_use]
pub fn sort_bound(partition: &KeyValue, sort: &KeyValue) -> Vec<u8> {
    item_key(partition, Some(sort))
}

/// The smallest byte string above [`sort_bound`]: the start of `sort > value` and the
/// (exclusive) end of `sort <= value`. No item key lies strictly between the two, because no
/// item key is a proper prefix of another of the same table.
#[must_use]
pub fn sort_bound_after(partition: &KeyValue, sort: &KeyValue) -> Vec<u8> {
    let mut key = sort_bound(partition, sort);
    key.push(0x00);
    key
}

/// The half-open range of the keys of `partition` whose sort value begins with `prefix` (module
/// docs, "prefixes"). An empty prefix gives the whole partition.
///
/// # Errors
///
/// [`KeyError::BeginsWithNumber`] when `prefix` is a number. That `prefix` has the type of the
/// table's sort key is the caller's to check.
pub fn begins_with_range(
    partition: &KeyValue,
    prefix: &KeyValue,
) -> Result<Range<Vec<u8>>, KeyError> {
    let raw = match prefix {
        KeyValue::S(text) => text.as_bytes(),
        KeyValue::B(bytes) => bytes.as_slice(),
        KeyValue::N(_) => return Err(KeyError::BeginsWithNumber),
    };
    let mut start = partition_prefix(partition);
    escape_into(raw, &mut start);
    Ok(prefix_range(start))
}

/// The escaped bytes of a string or binary `prefix` without its end token: exactly the keys
/// whose value (encoded at this position) begins with `prefix` start with these bytes (module
/// docs, "prefixes").
///
/// # Errors
///
/// [`KeyError::BeginsWithNumber`] when `prefix` is a number.
pub fn encode_key_prefix(prefix: &KeyValue, out: &mut Vec<u8>) -> Result<(), KeyError> {
    let raw = match prefix {
        KeyValue::S(text) => text.as_bytes(),
        KeyValue::B(bytes) => bytes.as_slice(),
        KeyValue::N(_) => return Err(KeyError::BeginsWithNumber),
    };
    escape_into(raw, out);
    Ok(())
}

/// A Query's condition on the sort key (`KeyConditionExpression`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortCondition {
    /// `sort = v`.
    Eq(KeyValue),
    /// `sort < v`.
    Lt(KeyValue),
    /// `sort <= v`.
    Le(KeyValue),
    /// `sort > v`.
    Gt(KeyValue),
    /// `sort >= v`.
    Ge(KeyValue),
    /// `sort BETWEEN low AND high`, both inclusive.
    Between(KeyValue, KeyValue),
    /// `begins_with(sort, prefix)`, for string and binary sort keys.
    BeginsWith(KeyValue),
}

/// The half-open key range of the items of `partition` that meet `condition`, or of the whole
/// partition for `None`. `BETWEEN` with `low > high` gives a range with `start > end`, which
/// holds no key; DynamoDB rejects such a query before it gets here.
///
/// # Errors
///
/// [`KeyError::BeginsWithNumber`] for `begins_with` with a number.
pub fn sort_range(
    partition: &KeyValue,
    condition: Option<&SortCondition>,
) -> Result<Range<Vec<u8>>, KeyError> {
    let whole = partition_range(partition);
    let Some(condition) = condition else { return Ok(whole) };
    Ok(match condition {
        SortCondition::Eq(v) => sort_bound(partition, v)..sort_bound_after(partition, v),
        SortCondition::Lt(v) => whole.start..sort_bound(partition, v),
        SortCondition::Le(v) => whole.start..sort_bound_after(partition, v),
        SortCondition::Gt(v) => sort_bound_after(partition, v)..whole.end,
        SortCondition::Ge(v) => sort_bound(partition, v)..whole.end,
        SortCondition::Between(low, high) => {
            sort_bound(partition, low)..sort_bound_after(partition, high)
        }
        SortCondition::BeginsWith(prefix) => begins_with_range(partition, prefix)?,
    })
}

/// The half-open range of all byte strings that start with `prefix`.
///
/// # Panics
///
/// When `prefix` has no byte below `0xFF`; every prefix built here holds the partition's
/// encoding, which always does (the end token's `0x01`, or a number's sign tag).
fn prefix_range(prefix: Vec<u8>) -> Range<Vec<u8>> {
    let mut end = prefix.clone();
    while end.last() == Some(&0xFF) {
        end.pop();
    }
    let last = end.last_mut().expect("a partition prefix has a byte below 0xFF");
    *last += 1;
    prefix..end
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index their own fixtures")]
mod tests;
