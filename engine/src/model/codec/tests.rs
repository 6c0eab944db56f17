#![expect(clippy::indexing_slicing, reason = "tests index their own fixtures")]

use std::collections::BTreeMap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::*;

fn number(text: &str) -> Number {
    text.parse().expect("valid number")
}

fn sample() -> Item {
    let mut inner = BTreeMap::new();
    inner.insert("x".to_string(), AttributeValue::Null);
    let mut item = Item::new();
    item.insert("userId".to_string(), AttributeValue::S("12345".to_string()));
    item.insert("age".to_string(), AttributeValue::N(number("30")));
    item.insert("bin".to_string(), AttributeValue::B(vec![0, 255]));
    item.insert("ok".to_string(), AttributeValue::Bool(true));
    item.insert(
        "list".to_string(),
        AttributeValue::L(vec![AttributeValue::Bool(false), AttributeValue::M(inner)]),
    );
    item.insert("ss".to_string(), AttributeValue::Ss(vec!["b".into(), "a".into()]));
    item.insert("ns".to_string(), AttributeValue::Ns(vec![number("-1.5"), number("0")]));
    item.insert("bs".to_string(), AttributeValue::Bs(vec![vec![], vec![1]]));
    item
}

fn encoded(item: &Item) -> Vec<u8> {
    let mut out = Vec::new();
    encode_item(item, &mut out);
    out
}

#[test]
fn every_type_round_trips() {
    let item = sample();
    assert_eq!(decode_item(&encoded(&item)), Ok(item));
    assert_eq!(decode_item(&encoded(&Item::new())), Ok(Item::new()));
}

#[test]
fn golden_encoding() {
    // Part of the storage format: an item {"a": {"S": "hi"}, "b": {"BOOL": true}}.
    let mut item = Item::new();
    item.insert("a".to_string(), AttributeValue::S("hi".to_string()));
    item.insert("b".to_string(), AttributeValue::Bool(true));
    assert_eq!(encoded(&item), [1, 2, 1, b'a', TAG_S, 2, b'h', b'i', 1, b'b', TAG_TRUE]);
}

#[test]
fn non_canonical_bytes_are_refused() {
    // A non-minimal varint count (0x80 0x00 for 0).
    assert!(decode_item(&[1, 0x80, 0x00]).is_err());
    // Names out of order.
    assert!(decode_item(&[1, 2, 1, b'b', TAG_NULL, 1, b'a', TAG_NULL]).is_err());
    // Duplicate names.
    assert!(decode_item(&[1, 2, 1, b'a', TAG_NULL, 1, b'a', TAG_NULL]).is_err());
    // An empty set.
    assert!(decode_item(&[1, 1, 1, b'a', TAG_SS, 0]).is_err());
    // A name that is not UTF-8, an unknown tag, trailing bytes, an unknown format.
    assert!(decode_item(&[1, 1, 1, 0xff, TAG_NULL]).is_err());
    assert!(decode_item(&[1, 1, 1, b'a', 0x0B]).is_err());
    assert!(decode_item(&[1, 0, 0]).is_err());
    assert!(decode_item(&[2, 0]).is_err());
    // A count far beyond the bytes left is refused before anything is allocated.
    assert!(decode_item(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
}

#[test]
fn nesting_is_bounded() {
    let mut value = AttributeValue::Null;
    for _ in 0..NESTING_LEVELS_MAX {
        value = AttributeValue::L(vec![value]);
    }
    let mut item = Item::new();
    item.insert("deep".to_string(), value);
    assert!(decode_item(&encoded(&item)).is_ok(), "{NESTING_LEVELS_MAX} levels decode");
    // Hand-built bytes nested far deeper stop with an error, not a stack overflow.
    let mut bytes = vec![1, 1, 1, b'd'];
    bytes.extend(std::iter::repeat_n([TAG_L, 1], 10_000).flatten());
    bytes.push(TAG_NULL);
    assert!(decode_item(&bytes).is_err());
}

fn random_value(rng: &mut SmallRng, depth: usize) -> AttributeValue {
    let scalar_only = depth >= 4;
    match rng.gen_range(0..if scalar_only { 6 } else { 11 }) {
        0 => {
            AttributeValue::S((0..rng.gen_range(0..6)).map(|_| rng.gen_range('a'..='e')).collect())
        }
        1 => AttributeValue::N(random_number(rng)),
        2 => AttributeValue::B((0..rng.gen_range(0..6)).map(|_| rng.gen()).collect()),
        3 => AttributeValue::Bool(rng.gen()),
        4 | 5 => AttributeValue::Null,
        6 => AttributeValue::L(
            (0..rng.gen_range(0..4)).map(|_| random_value(rng, depth + 1)).collect(),
        ),
        7 => AttributeValue::M(random_map(rng, depth + 1)),
        8 => AttributeValue::Ss((0..rng.gen_range(1..4)).map(|i| format!("s{i}")).collect()),
        9 => AttributeValue::Ns((0..rng.gen_range(1..4)).map(|_| random_number(rng)).collect()),
        _ => AttributeValue::Bs((0..rng.gen_range(1..4)).map(|i| vec![i as u8; i]).collect()),
    }
}

fn random_number(rng: &mut SmallRng) -> Number {
    let digits: u64 = rng.gen_range(0..1_000_000);
    let exponent: i32 = rng.gen_range(-40..40);
    let sign = if rng.gen() { "-" } else { "" };
    number(&format!("{sign}{digits}e{exponent}"))
}

fn random_map(rng: &mut SmallRng, depth: usize) -> BTreeMap<String, AttributeValue> {
    (0..rng.gen_range(0..5))
        .map(|i| (format!("k{}", i * 7 % 5), random_value(rng, depth)))
        .collect()
}

#[test]
fn random_items_round_trip_and_damage_never_panics() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0c0d);
    for _ in 0..2_000 {
        let item = random_map(&mut rng, 0);
        let bytes = encoded(&item);
        assert_eq!(decode_item(&bytes).as_ref(), Ok(&item));
        decode_arbitrary(&bytes);
        for len in 0..bytes.len() {
            assert!(decode_item(&bytes[..len]).is_err(), "a truncated item decodes");
        }
        let mut damaged = bytes.clone();
        let at = rng.gen_range(0..damaged.len());
        damaged[at] ^= 1 << rng.gen_range(0..8);
        decode_arbitrary(&damaged);
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0c0e);
    for _ in 0..50_000 {
        let len = rng.gen_range(0..40);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen_range(0..12)).collect();
        if let Some(first) = bytes.first_mut() {
            *first = FORMAT;
        }
        decode_arbitrary(&bytes);
    }
}

#[test]
fn json_items_survive_both_encodings() {
    let json = br#"{"userId": {"S": "12345"}, "name": {"S": "John Doe"}, "age": {"N": "30"},
        "tags": {"SS": ["a", "b"]}, "nested": {"M": {"l": {"L": [{"NULL": true}, {"B": "AAE="}]}}}}"#;
    fuzz_item_decode(json);
    let item = crate::model::value::item_from_json(&serde_json::from_slice(json).expect("json"))
        .expect("valid item");
    assert_eq!(decode_item(&encoded(&item)), Ok(item));
    // Invalid JSON and invalid items are refused without panicking.
    fuzz_item_decode(br#"{"a": {"S": 5}}"#);
    fuzz_item_decode(br#"{"a": {"NS": []}}"#);
    fuzz_item_decode(b"{not json");
}

#[test]
fn json_straight_from_the_encoding_is_the_items_json() {
    let item = sample();
    let mut json = Vec::new();
    super::write_item_json(&encoded(&item), &mut json).expect("a valid encoding");
    let expected = serde_json::to_string(&item).expect("an item serializes");
    assert_eq!(String::from_utf8(json).expect("JSON is UTF-8"), expected);
    // Damage is refused, not written as something else.
    let mut bytes = encoded(&item);
    bytes.push(0);
    assert!(super::write_item_json(&bytes, &mut Vec::new()).is_err());
}
