//! Golden values pinning the on-disk key format (hash seed, hash function, encodings), unit
//! tests for every decoding error, and seeded property tests that compare encodings and key
//! ranges with DynamoDB's value order and a brute-force filter.

use std::cmp::Ordering;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{
    begins_with_range, decode_item_key, item_key, partition_hash, partition_prefix,
    partition_range, sort_range, KeyError, KeyType, KeyValue, SortCondition, PARTITION_HASH_SEED,
};
use crate::model::Number;

fn s(text: &str) -> KeyValue {
    KeyValue::S(text.to_owned())
}

fn n(text: &str) -> KeyValue {
    KeyValue::N(Number::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}")))
}

fn b(bytes: &[u8]) -> KeyValue {
    KeyValue::B(bytes.to_vec())
}

fn enc(value: &KeyValue) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode_key(&mut out);
    out
}

fn decoded(bytes: &[u8], key_type: KeyType) -> Result<(KeyValue, usize), KeyError> {
    KeyValue::decode_key(bytes, key_type)
}

#[test]
fn golden_hash_seed_and_hash_function() {
    assert_eq!(PARTITION_HASH_SEED, u64::from_be_bytes(*b"basalt/p"));
    // xxh3's published value for the empty input, seed 0: catches a changed hash library.
    assert_eq!(xxh3_64_with_seed(b"", 0), 0x2d06_8005_38d3_94c2);
    assert_eq!(partition_hash(&s("a")), GOLDEN_HASH_S_A);
    assert_eq!(partition_hash(&n("1")), GOLDEN_HASH_N_1);
    assert_eq!(partition_hash(&b(&[0x00])), GOLDEN_HASH_B_00);
    // The hash input is the type tag, then the value's key encoding.
    let seeded = |input: &[u8]| xxh3_64_with_seed(input, PARTITION_HASH_SEED);
    assert_eq!(seeded(&[b'S', b'a', 0x00, 0x01]), GOLDEN_HASH_S_A);
    assert_eq!(seeded(&[b'N', 0x03, 130, 11, 0x00]), GOLDEN_HASH_N_1);
    assert_eq!(seeded(&[b'B', 0x00, 0xFF, 0x00, 0x01]), GOLDEN_HASH_B_00);
}

const GOLDEN_HASH_S_A: u64 = 0x5f23_7b2e_f321_be00;
const GOLDEN_HASH_N_1: u64 = 0x4b76_10e5_6d3e_ca7e;
const GOLDEN_HASH_B_00: u64 = 0xef86_b918_133e_2ac4;

#[test]
fn golden_encodings() {
    assert_eq!(enc(&s("")), [0x00, 0x01]);
    assert_eq!(enc(&s("ab")), [b'a', b'b', 0x00, 0x01]);
    assert_eq!(enc(&b(&[0x00, 0xFF, 0x01])), [0x00, 0xFF, 0xFF, 0x01, 0x00, 0x01]);
    assert_eq!(enc(&b(&[0x00, 0x00])), [0x00, 0xFF, 0x00, 0xFF, 0x00, 0x01]);
    assert_eq!(enc(&n("1")), [0x03, 130, 11, 0x00]);
    let mut key = GOLDEN_HASH_S_A.to_be_bytes().to_vec();
    key.extend_from_slice(&[b'a', 0x00, 0x01, 0x03, 130, 11, 0x00]);
    assert_eq!(item_key(&s("a"), Some(&n("1"))), key);
    let mut key = GOLDEN_HASH_B_00.to_be_bytes().to_vec();
    key.extend_from_slice(&[0x00, 0xFF, 0x00, 0x01]);
    assert_eq!(item_key(&b(&[0x00]), None), key);
}

#[test]
fn partition_hash_depends_on_the_type_and_not_the_spelling() {
    let hashes = [partition_hash(&s("1")), partition_hash(&n("1")), partition_hash(&b(b"1"))];
    assert_ne!(hashes[0], hashes[1]);
    assert_ne!(hashes[0], hashes[2]);
    assert_ne!(hashes[1], hashes[2]);
    assert_eq!(item_key(&n("1"), None), item_key(&n("1.00"), None));
    assert_eq!(item_key(&n("1"), None), item_key(&n("+10e-1"), None));
}

#[test]
fn decode_stops_at_the_end_of_the_encoding() {
    let mut bytes = enc(&b(&[0x00, 0x07]));
    bytes.extend_from_slice(&[0xFF, 0x00, 0x02]);
    assert_eq!(decoded(&bytes, KeyType::B), Ok((b(&[0x00, 0x07]), 5)));
    assert_eq!(decoded(&[0x00, 0x01, 0x00, 0x02], KeyType::S), Ok((s(""), 2)));
}

#[test]
fn decode_rejects_non_canonical_values() {
    let corrupt = |offset, what| Err(KeyError::Corrupt { offset, what });
    assert_eq!(decoded(&[], KeyType::B), corrupt(0, "missing terminator"));
    assert_eq!(decoded(b"ab", KeyType::B), corrupt(2, "missing terminator"));
    assert_eq!(decoded(&[b'a', 0x00], KeyType::B), corrupt(2, "truncated after 0x00"));
    let bad_escape = corrupt(2, "0x00 not followed by 0xFF or 0x01");
    assert_eq!(decoded(&[b'a', 0x00, 0x02], KeyType::B), bad_escape);
    assert_eq!(decoded(&[b'a', 0x00, 0x00], KeyType::S), bad_escape);
    assert_eq!(decoded(&[0xC3, 0x00, 0x01], KeyType::S), corrupt(0, "string key is not UTF-8"));
    assert_eq!(decoded(&[0xC3, 0xA9, 0x00, 0x01], KeyType::S), Ok((s("é"), 4)));
    assert_eq!(decoded(&[0x04], KeyType::N), corrupt(0, "unknown sign tag"));
    assert_eq!(decoded(&[0x03, 130, 11], KeyType::N), corrupt(3, "missing terminator"));
}

#[test]
fn decode_item_key_checks_hash_types_and_length() {
    let key = item_key(&s("p"), Some(&b(&[0x00])));
    let ok = decode_item_key(&key, KeyType::S, Some(KeyType::B));
    assert_eq!(ok, Ok((s("p"), Some(b(&[0x00])))));
    let short = decode_item_key(&key[..7], KeyType::S, Some(KeyType::B));
    assert_eq!(short, Err(KeyError::Corrupt { offset: 7, what: "shorter than the hash prefix" }));
    let mut flipped = key.clone();
    flipped[0] ^= 0x80;
    let mismatch = decode_item_key(&flipped, KeyType::S, Some(KeyType::B));
    assert!(matches!(mismatch, Err(KeyError::HashMismatch { .. })), "{mismatch:?}");
    let trailing = decode_item_key(&key, KeyType::S, None);
    assert_eq!(
        trailing,
        Err(KeyError::Corrupt { offset: 11, what: "trailing bytes after the key" })
    );
    let truncated = decode_item_key(&key[..key.len() - 1], KeyType::S, Some(KeyType::B));
    assert_eq!(truncated, Err(KeyError::Corrupt { offset: 14, what: "truncated after 0x00" }));
    // Same bytes read as S/N: the partition decodes, the sort key is not a number.
    let number = decode_item_key(&key, KeyType::S, Some(KeyType::N));
    assert_eq!(number, Err(KeyError::Corrupt { offset: 11, what: "unknown sign tag" }));
    // A string partition key hashed as if it were binary does not match.
    let retyped = decode_item_key(&key, KeyType::B, Some(KeyType::B));
    assert!(matches!(retyped, Err(KeyError::HashMismatch { .. })), "{retyped:?}");
}

#[test]
fn begins_with_rejects_numbers() {
    assert_eq!(begins_with_range(&s("p"), &n("1")), Err(KeyError::BeginsWithNumber));
    let condition = SortCondition::BeginsWith(n("1"));
    assert_eq!(sort_range(&s("p"), Some(&condition)), Err(KeyError::BeginsWithNumber));
}

/// Bytes drawn mostly from the ones the escape scheme treats specially.
fn random_bytes(rng: &mut SmallRng) -> Vec<u8> {
    const INTERESTING: [u8; 7] = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF];
    let len = rng.gen_range(0..6);
    (0..len)
        .map(|_| {
            if rng.gen_bool(0.8) {
                INTERESTING[rng.gen_range(0..INTERESTING.len())]
            } else {
                rng.gen()
            }
        })
        .collect()
}

fn random_string(rng: &mut SmallRng) -> String {
    const CHARS: [char; 8] = ['\0', '\u{1}', 'a', 'b', '\u{7f}', 'é', '\u{FFFF}', '\u{10FFFF}'];
    let len = rng.gen_range(0..5);
    (0..len).map(|_| CHARS[rng.gen_range(0..CHARS.len())]).collect()
}

fn random_number(rng: &mut SmallRng) -> Number {
    let sign = if rng.gen_bool(0.5) { "-" } else { "" };
    let digits: u64 = if rng.gen_bool(0.5) { rng.gen_range(0..20) } else { rng.gen() };
    let exponent = if rng.gen_bool(0.8) { rng.gen_range(-3..3) } else { rng.gen_range(-100..100) };
    let text = format!("{sign}{digits}e{exponent}");
    Number::parse(&text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn random_value(rng: &mut SmallRng, key_type: KeyType) -> KeyValue {
    match key_type {
        KeyType::S => KeyValue::S(random_string(rng)),
        KeyType::N => KeyValue::N(random_number(rng)),
        KeyType::B => KeyValue::B(random_bytes(rng)),
    }
}

/// Another value of the same type, often a prefix or an extension of `base`.
fn related_value(rng: &mut SmallRng, base: &KeyValue) -> KeyValue {
    match base {
        KeyValue::S(text) if rng.gen_bool(0.5) => {
            let cut = text
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.gen_range(0..=text.chars().count()))
                .unwrap_or(text.len());
            KeyValue::S(format!("{}{}", &text[..cut], random_string(rng)))
        }
        KeyValue::B(bytes) if rng.gen_bool(0.5) => {
            let cut = rng.gen_range(0..=bytes.len());
            KeyValue::B([&bytes[..cut], &random_bytes(rng)].concat())
        }
        other => random_value(rng, other.key_type()),
    }
}

fn random_type(rng: &mut SmallRng) -> KeyType {
    [KeyType::S, KeyType::N, KeyType::B][rng.gen_range(0..3)]
}

fn any_value(rng: &mut SmallRng) -> KeyValue {
    let key_type = random_type(rng);
    random_value(rng, key_type)
}

#[test]
fn property_value_order_is_encoding_order() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0101);
    for _ in 0..20_000 {
        let a = any_value(&mut rng);
        let b = related_value(&mut rng, &a);
        let order = a.partial_cmp(&b).expect("same type");
        // Arbitrary bytes after each encoding must not change the order of distinct values.
        let mut a_key = enc(&a);
        let mut b_key = enc(&b);
        assert_eq!(a_key.cmp(&b_key), order, "{a:?} {b:?}");
        a_key.extend(random_bytes(&mut rng));
        b_key.extend(random_bytes(&mut rng));
        if order != Ordering::Equal {
            assert_eq!(a_key.cmp(&b_key), order, "{a:?} {b:?} with suffixes");
        }
    }
}

#[test]
fn property_values_and_item_keys_round_trip() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0102);
    for _ in 0..10_000 {
        let value = any_value(&mut rng);
        let mut bytes = enc(&value);
        let used = bytes.len();
        bytes.extend(random_bytes(&mut rng));
        assert_eq!(decoded(&bytes, value.key_type()), Ok((value.clone(), used)));
        let sort = rng.gen_bool(0.7).then(|| any_value(&mut rng));
        let key = item_key(&value, sort.as_ref());
        assert!(key.starts_with(&partition_prefix(&value)));
        let types = (value.key_type(), sort.as_ref().map(KeyValue::key_type));
        assert_eq!(decode_item_key(&key, types.0, types.1), Ok((value, sort)));
    }
}

#[test]
fn property_item_keys_of_a_partition_sort_by_sort_key() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0103);
    for _ in 0..300 {
        let partition = any_value(&mut rng);
        let sort_type = random_type(&mut rng);
        let mut sorts: Vec<KeyValue> = (0..30).map(|_| random_value(&mut rng, sort_type)).collect();
        let mut keys: Vec<Vec<u8>> = sorts.iter().map(|v| item_key(&partition, Some(v))).collect();
        sorts.sort_by(|x, y| x.partial_cmp(y).expect("same type"));
        sorts.dedup();
        keys.sort();
        keys.dedup();
        let expected: Vec<Vec<u8>> = sorts.iter().map(|v| item_key(&partition, Some(v))).collect();
        assert_eq!(keys, expected);
        let range = partition_range(&partition);
        assert!(keys.iter().all(|k| range.contains(k)));
        let other = any_value(&mut rng);
        if other != partition {
            let stranger = item_key(&other, Some(&sorts[0]));
            assert!(!range.contains(&stranger), "{partition:?} {other:?}");
        }
    }
}

/// Whether `condition` selects the sort value `value`, by brute force.
fn matches(condition: &SortCondition, value: &KeyValue) -> bool {
    let cmp = |other: &KeyValue| value.partial_cmp(other).expect("same type");
    let starts = |prefix: &KeyValue| match (value, prefix) {
        (KeyValue::S(v), KeyValue::S(p)) => v.starts_with(p.as_str()),
        (KeyValue::B(v), KeyValue::B(p)) => v.starts_with(p),
        _ => unreachable!("begins_with is only generated for S and B"),
    };
    match condition {
        SortCondition::Eq(v) => cmp(v).is_eq(),
        SortCondition::Lt(v) => cmp(v).is_lt(),
        SortCondition::Le(v) => cmp(v).is_le(),
        SortCondition::Gt(v) => cmp(v).is_gt(),
        SortCondition::Ge(v) => cmp(v).is_ge(),
        SortCondition::Between(low, high) => cmp(low).is_ge() && cmp(high).is_le(),
        SortCondition::BeginsWith(prefix) => starts(prefix),
    }
}

fn random_condition(rng: &mut SmallRng, base: &KeyValue) -> SortCondition {
    let v = related_value(rng, base);
    match rng.gen_range(0..7) {
        0 => SortCondition::Eq(v),
        1 => SortCondition::Lt(v),
        2 => SortCondition::Le(v),
        3 => SortCondition::Gt(v),
        4 => SortCondition::Ge(v),
        5 => SortCondition::Between(v, related_value(rng, base)),
        _ if base.key_type() == KeyType::N => SortCondition::Ge(v),
        _ => SortCondition::BeginsWith(v),
    }
}

#[test]
fn property_sort_ranges_hold_exactly_the_matching_items() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0104);
    for _ in 0..2_000 {
        let partition = any_value(&mut rng);
        let neighbour = related_value(&mut rng, &partition);
        let sort_type = random_type(&mut rng);
        let sorts: Vec<KeyValue> = (0..40).map(|_| random_value(&mut rng, sort_type)).collect();
        let condition = random_condition(&mut rng, &sorts[0]);
        let range = sort_range(&partition, Some(&condition)).expect("no begins_with on N");
        for sort in &sorts {
            let inside = range.contains(&item_key(&partition, Some(sort)));
            assert_eq!(inside, matches(&condition, sort), "{partition:?} {condition:?} {sort:?}");
            if neighbour != partition {
                assert!(!range.contains(&item_key(&neighbour, Some(sort))));
            }
        }
    }
}

#[test]
fn property_arbitrary_bytes_never_panic_and_decode_canonically() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0105);
    let types = [None, Some(KeyType::S), Some(KeyType::N), Some(KeyType::B)];
    for _ in 0..50_000 {
        let mut bytes = if rng.gen_bool(0.5) {
            let partition = any_value(&mut rng);
            let sort = any_value(&mut rng);
            item_key(&partition, Some(&sort))
        } else {
            random_bytes(&mut rng)
        };
        for _ in 0..rng.gen_range(0..3) {
            if let Some(len) = bytes.len().checked_sub(1) {
                let at = rng.gen_range(0..=len);
                bytes[at] = if rng.gen_bool(0.5) { rng.gen() } else { bytes[at] ^ 1 };
            }
        }
        bytes.truncate(rng.gen_range(0..=bytes.len()));
        let key_type = random_type(&mut rng);
        if let Ok((value, used)) = decoded(&bytes, key_type) {
            assert_eq!(enc(&value), bytes[..used], "canonical");
        }
        let sort_type = types[rng.gen_range(0..types.len())];
        if let Ok((partition, sort)) = decode_item_key(&bytes, key_type, sort_type) {
            assert_eq!(item_key(&partition, sort.as_ref()), bytes, "canonical");
        }
    }
}
