//! Wire form round trips, every error with its exact message and kind, set and nesting rules,
//! and a seeded property test over random nested values and mutated JSON.

use super::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use AttributeValue as V;

fn n(text: &str) -> Number {
    Number::parse(text).expect("valid test number")
}

fn read(json: &Value) -> Result<AttributeValue, ValueError> {
    AttributeValue::from_json(json)
}

/// Reads `json`'s text through `Deserialize` (the streaming reader requests use): the value,
/// or the error's kind and message.
fn streamed(json: &Value) -> Result<AttributeValue, (ErrorKind, String)> {
    let text = json.to_string();
    let _ = take_last_error_kind();
    serde_json::from_str::<AttributeValue>(&text).map_err(|error| {
        let kind = take_last_error_kind().unwrap_or(ErrorKind::Serialization);
        let message = error.to_string();
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
        (kind, message.to_owned())
    })
}

/// Both readers agree on `json`: the same value, or the same error kind and message.
fn assert_readers_agree(json: &Value) {
    let expected = read(json).map_err(|error| (error.kind(), error.to_string()));
    assert_eq!(streamed(json), expected, "{json}");
}

#[test]
fn round_trip_every_type() {
    let cases = [
        json!({"S": "x"}),
        json!({"S": ""}),
        json!({"N": "12.5"}),
        json!({"N": "-0.001"}),
        json!({"B": "AAEC/w=="}),
        json!({"B": ""}),
        json!({"BOOL": true}),
        json!({"BOOL": false}),
        json!({"NULL": true}),
        json!({"L": []}),
        json!({"L": [{"S": "a"}, {"N": "1"}, {"L": [{"NULL": true}]}]}),
        json!({"M": {}}),
        json!({"M": {"a": {"M": {"b": {"BOOL": false}}}, "c": {"SS": ["x"]}}}),
        json!({"SS": ["a", "", "b"]}),
        json!({"NS": ["1", "2", "-3.5"]}),
        json!({"BS": ["Yg==", ""]}),
    ];
    for json in cases {
        let value = read(&json).expect("valid value");
        assert_eq!(value.to_json(), json);
        let text = serde_json::to_string(&value).expect("serializes");
        let direct: Value = serde_json::from_str(&text).expect("serialized JSON parses");
        assert_eq!(direct, json, "Serialize writes the wire form");
        assert_eq!(serde_json::from_str::<AttributeValue>(&text).expect("reads back"), value);
    }
}

#[test]
fn values_read_as_expected() {
    assert_eq!(read(&json!({"B": "AAEC/w=="})), Ok(V::B(vec![0, 1, 2, 255])));
    assert_eq!(read(&json!({"NS": ["1", "1e1"]})), Ok(V::Ns(vec![n("1"), n("10")])));
    let map = Item::from([("a".to_owned(), V::Null)]);
    assert_eq!(read(&json!({"M": {"a": {"NULL": true}}})), Ok(V::M(map)));
}

#[test]
fn numbers_are_written_normalized() {
    assert_eq!(read(&json!({"N": "0012.50"})).expect("valid").to_json(), json!({"N": "12.5"}));
    assert_eq!(read(&json!({"N": "+1e2"})).expect("valid").to_json(), json!({"N": "100"}));
    let set = read(&json!({"NS": ["-0", "1.50"]})).expect("valid");
    assert_eq!(set.to_json(), json!({"NS": ["0", "1.5"]}));
}

#[test]
fn unknown_keys_and_null_type_keys_are_ignored() {
    assert_eq!(read(&json!({"S": "a", "foo": 5})), Ok(V::S("a".into())));
    assert_eq!(read(&json!({"S": "a", "N": null})), Ok(V::S("a".into())));
}

/// What a `serde_json::Value` refuses under an ignored key, the streaming reader refuses too:
/// the ignored value is read, not just scanned.
#[test]
fn ignored_values_are_checked_like_any_json() {
    let deep = format!(r#"{{"S":"x","x":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
    let broken = [
        deep.into_bytes(),
        br#"{"S":"x","x":"\ud800"}"#.to_vec(),
        br#"{"S":"x","x":{"\ud800":1}}"#.to_vec(),
        br#"{"S":"x","x":1e400}"#.to_vec(),
        b"{\"S\":\"x\",\"x\":\"\xff\xfe\"}".to_vec(),
    ];
    for text in broken {
        let shown = String::from_utf8_lossy(&text).into_owned();
        assert!(serde_json::from_slice::<Value>(&text).is_err(), "{shown}");
        assert!(serde_json::from_slice::<AttributeValue>(&text).is_err(), "{shown}");
    }
    let nested = json!({"S": "a", "foo": {"bar": [1, {"baz": null}], "q": "x"}});
    assert_readers_agree(&nested);
}

#[test]
fn serialization_errors_have_dynamodb_messages() {
    let cases = [
        (json!({"S": true}), "TRUE_VALUE cannot be converted to String"),
        (json!({"S": false}), "FALSE_VALUE cannot be converted to String"),
        (json!({"S": 23}), "NUMBER_VALUE cannot be converted to String"),
        (json!({"N": 5}), "NUMBER_VALUE cannot be converted to String"),
        (json!({"S": 34.56}), "DECIMAL_VALUE cannot be converted to String"),
        (json!({"S": []}), "Unrecognized collection type class java.lang.String"),
        (json!({"S": {}}), "Start of structure or map found where not expected"),
        (json!({"SS": [1]}), "NUMBER_VALUE cannot be converted to String"),
        (json!({"BOOL": "23"}), "Unexpected token received from parser"),
        (json!({"NULL": 23}), "NUMBER_VALUE cannot be converted to Boolean"),
        (json!({"BOOL": 34.56}), "DECIMAL_VALUE cannot be converted to Boolean"),
        (json!({"BOOL": []}), "Unrecognized collection type class java.lang.Boolean"),
        (json!({"NULL": {}}), "Start of structure or map found where not expected"),
        (json!({"B": true}), "only base-64-encoded strings are convertible to bytes"),
        (json!({"BS": [23]}), "only base-64-encoded strings are convertible to bytes"),
        (json!({"B": []}), "Unrecognized collection type class java.nio.ByteBuffer"),
        (json!({"B": {}}), "Start of structure or map found where not expected"),
        (
            json!({"B": "23456"}),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
        ),
        (json!({"B": "=+/="}), "Invalid last non-pad Base64 character dectected"),
        (json!({"B": "+/+="}), "Invalid last non-pad Base64 character dectected"),
        (json!({"B": "ab!="}), "Invalid Base64 character: '!'"),
        (json!({"L": "23"}), "Unexpected field type"),
        (json!({"SS": true}), "Unexpected field type"),
        (json!({"NS": {}}), "Start of structure or map found where not expected"),
        (json!({"M": 23}), "Unexpected field type"),
        (
            json!({"M": []}),
            "Unrecognized collection type java.util.Map<java.lang.String, \
             com.amazonaws.dynamodb.v20120810.AttributeValue>",
        ),
        (json!({"L": [23]}), "Unexpected value type in payload"),
        (json!({"M": {"a": "x"}}), "Unexpected value type in payload"),
        (
            json!({"L": [[]]}),
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ),
        (json!("x"), "Unexpected value type in payload"),
    ];
    for (json, message) in cases {
        let error = read(&json).expect_err(&json.to_string());
        assert_eq!(error.to_string(), message, "{json}");
        assert_eq!(error.kind(), ErrorKind::Serialization, "{json}");
        assert_readers_agree(&json);
    }
}

#[test]
fn validation_errors_for_datatypes_and_sets() {
    let invalid = "One or more parameter values were invalid: ";
    let empty =
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
    let several =
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one \
                   of the supported datatypes";
    let cases = [
        (json!({}), empty.to_owned()),
        (json!({"a": ""}), empty.to_owned()),
        (json!({"S": null}), empty.to_owned()),
        (json!({"M": {"a": {}}}), empty.to_owned()),
        (json!({"L": [{}]}), empty.to_owned()),
        (json!({"L": [null]}), empty.to_owned()),
        (json!({"S": "a", "N": "1"}), several.to_owned()),
        (json!({"NULL": true, "BOOL": true}), several.to_owned()),
        (
            json!({"NULL": false}),
            format!("{invalid}Null attribute value types must have the value of true"),
        ),
        (json!({"SS": []}), format!("{invalid}An string set  may not be empty")),
        (json!({"NS": []}), format!("{invalid}An number set  may not be empty")),
        (json!({"BS": []}), format!("{invalid}Binary sets should not be empty")),
        (
            json!({"SS": ["a", "a"]}),
            format!("{invalid}Input collection [a, a] contains duplicates."),
        ),
        (json!({"NS": ["1", "1.0"]}), "Input collection contains duplicates".to_owned()),
        (
            json!({"BS": ["Yg==", "Yg=="]}),
            format!("{invalid}Input collection [Yg==, Yg==]of type BS contains duplicates."),
        ),
        (json!({"SS": ["a", null]}), format!("{invalid}SS may not contain null members")),
        (json!({"NS": [null]}), format!("{invalid}NS may not contain null members")),
        (json!({"BS": [null]}), format!("{invalid}BS may not contain null members")),
    ];
    assert_validation_errors(cases);
}

#[test]
fn validation_errors_for_numbers_and_nesting() {
    let nested =
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested \
                  levels beyond supported limit";
    let cases = [
        (json!({"N": ""}), "A value provided cannot be converted into a number".to_owned()),
        (json!({"N": "b"}), "A value provided cannot be converted into a number".to_owned()),
        // The bad number is reported before the two types (dynalite's recorded order).
        (
            json!({"S": "a", "N": "b"}),
            "A value provided cannot be converted into a number".to_owned(),
        ),
        (
            json!({"NS": ["1", "x"]}),
            "A value provided cannot be converted into a number".to_owned(),
        ),
        (
            json!({"N": "1".repeat(39)}),
            "Attempting to store more than 38 significant digits in a Number".to_owned(),
        ),
        (
            json!({"N": "1e126"}),
            "Number overflow. Attempting to store a number with magnitude larger than supported \
             range"
                .to_owned(),
        ),
        (
            json!({"NS": ["-1e-131"]}),
            "Number underflow. Attempting to store a number with magnitude smaller than supported \
             range"
                .to_owned(),
        ),
        (nest(32, json!({"S": "x"})), nested.to_owned()),
    ];
    assert_validation_errors(cases);
}

fn assert_validation_errors(cases: impl IntoIterator<Item = (Value, String)>) {
    for (json, message) in cases {
        let error = read(&json).expect_err(&json.to_string());
        assert_eq!(error.to_string(), message, "{json}");
        assert_eq!(error.kind(), ErrorKind::Validation, "{json}");
        assert_readers_agree(&json);
    }
}

/// `inner` wrapped in `wraps` alternating maps and lists.
fn nest(wraps: usize, inner: Value) -> Value {
    (0..wraps).fold(
        inner,
        |acc, i| if i % 2 == 0 { json!({"M": {"k": acc}}) } else { json!({"L": [acc]}) },
    )
}

#[test]
fn nesting_accepts_32_levels_and_rejects_33() {
    // 31 wraps around a scalar: 32 levels, accepted (dynoxide #110, captured against DynamoDB).
    let deepest = read(&nest(31, json!({"S": "x"}))).expect("32 levels are allowed");
    assert_eq!(validate_value(&deepest), Ok(()));
    // An empty list or map at level 32 holds no level 33.
    assert!(read(&nest(31, json!({"L": []}))).is_ok());
    assert_eq!(read(&nest(32, json!({"NULL": true}))), Err(ValueError::NestingTooDeep));
    assert_readers_agree(&nest(31, json!({"S": "x"})));
    assert_readers_agree(&nest(32, json!({"NULL": true})));
    let too_deep = (0..32).fold(V::Null, |acc, _| V::L(vec![acc]));
    assert_eq!(validate_value(&too_deep), Err(ValueError::NestingTooDeep));
}

#[test]
fn serialization_errors_win_over_earlier_validation_errors() {
    let item = json!({"a": {"NULL": false}, "b": {"L": [{"S": 5}]}});
    let error = item_from_json(&item).expect_err("invalid item");
    assert_eq!(error.kind(), ErrorKind::Serialization);
    assert_eq!(error.to_string(), "NUMBER_VALUE cannot be converted to String");
    let item = json!({"a": {"NULL": false}, "b": {"SS": []}});
    assert_eq!(item_from_json(&item), Err(ValueError::NullNotTrue));
}

#[test]
fn items_read_and_write() {
    let json = json!({"id": {"S": "k"}, "n": {"N": "007"}});
    let item = item_from_json(&json).expect("valid item");
    assert_eq!(item["n"], V::N(n("7")));
    assert_eq!(Value::Object(item_to_json(&item)), json!({"id": {"S": "k"}, "n": {"N": "7"}}));
    assert_eq!(item_from_json(&json!([])).map_err(|e| e.kind()), Err(ErrorKind::Serialization));
    assert_eq!(item_from_json(&json!(1)), Err(ValueError::UnexpectedScalar));
}

#[test]
fn validate_value_checks_sets_recursively() {
    assert_eq!(validate_value(&V::Ss(vec![])), Err(ValueError::EmptySet { set: SetKind::String }));
    assert_eq!(validate_value(&V::Ns(vec![n("1"), n("1.00")])), Err(ValueError::DuplicateNumbers));
    let nested = V::M(Item::from([("a".to_owned(), V::L(vec![V::Bs(vec![vec![1], vec![1]])]))]));
    let error = validate_value(&nested).expect_err("duplicate binaries");
    assert_eq!(
        error,
        ValueError::DuplicateBinaries { members: vec!["AQ==".into(), "AQ==".into()] }
    );
    // Empty strings and binaries are fine outside keys, in sets too.
    assert_eq!(validate_value(&V::Ss(vec![String::new(), "a".into()])), Ok(()));
    assert_eq!(validate_value(&V::L(vec![V::S(String::new()), V::B(vec![])])), Ok(()));
    assert_eq!(validate_value(&V::Ns(vec![n("1"), n("1.5")])), Ok(()));
}

#[test]
fn deserialize_flattens_errors_to_their_messages() {
    let error = serde_json::from_str::<AttributeValue>(r#"{"NULL": false}"#).expect_err("invalid");
    assert!(error.to_string().starts_with("One or more parameter values were invalid: Null"));
}

// ---- Seeded property test ----

fn random_text(rng: &mut SmallRng) -> String {
    let alphabet = ['a', 'b', 'é', '€', '"', '\\', '\0', '😀'];
    (0..rng.gen_range(0..4)).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect()
}

fn random_number(rng: &mut SmallRng) -> Number {
    let digits: String =
        (0..rng.gen_range(1..=38)).map(|_| char::from(b'0' + rng.gen_range(0..10))).collect();
    let sign = if rng.gen() { "-" } else { "" };
    let text = format!("{sign}{digits}e{}", rng.gen_range(-90..=80));
    Number::parse(&text).expect("within range by construction")
}

fn random_bytes(rng: &mut SmallRng) -> Vec<u8> {
    (0..rng.gen_range(0..5)).map(|_| rng.gen()).collect()
}

/// A random valid value; `level` is its nesting level (1 for an attribute).
fn random_value(rng: &mut SmallRng, level: usize) -> AttributeValue {
    let kinds = if level < NESTING_LEVELS_MAX { 10 } else { 8 };
    match rng.gen_range(0..kinds) {
        0 => V::S(random_text(rng)),
        1 => V::N(random_number(rng)),
        2 => V::B(random_bytes(rng)),
        3 => V::Bool(rng.gen()),
        4 => V::Null,
        5 => V::Ss(distinct(rng, random_text)),
        6 => V::Ns(distinct(rng, random_number)),
        7 => V::Bs(distinct(rng, random_bytes)),
        8 => V::L((0..rng.gen_range(0..4)).map(|_| random_value(rng, level + 1)).collect()),
        _ => V::M(
            (0..rng.gen_range(0..4))
                .map(|_| (random_text(rng), random_value(rng, level + 1)))
                .collect(),
        ),
    }
}

fn distinct<T: PartialEq>(rng: &mut SmallRng, make: fn(&mut SmallRng) -> T) -> Vec<T> {
    let mut members: Vec<T> = Vec::new();
    for _ in 0..rng.gen_range(1..5) {
        let member = make(rng);
        if !members.contains(&member) {
            members.push(member);
        }
    }
    members
}

/// Replaces a random node of `json` with something of another shape.
fn mutate(rng: &mut SmallRng, json: &mut Value) {
    let replacements = [
        json!(null),
        json!(true),
        json!(7),
        json!(-1.5),
        json!("x"),
        json!("Yg=="),
        json!([]),
        json!({}),
        json!({"NULL": false}),
        json!({"SS": []}),
    ];
    match json {
        Value::Array(members) if !members.is_empty() && rng.gen_bool(0.7) => {
            let i = rng.gen_range(0..members.len());
            mutate(rng, &mut members[i]);
        }
        Value::Object(entries) if !entries.is_empty() && rng.gen_bool(0.7) => {
            let keys: Vec<String> = entries.keys().cloned().collect();
            let key = &keys[rng.gen_range(0..keys.len())];
            match rng.gen_range(0..4) {
                0 => drop(entries.remove(key)),
                1 => drop(
                    entries.insert(
                        ["S", "N", "B", "L", "M", "SS", "NS", "BS", "NULL", "BOOL"]
                            [rng.gen_range(0..10)]
                        .to_owned(),
                        json!("1"),
                    ),
                ),
                _ => mutate(rng, entries.get_mut(key).expect("key listed")),
            }
        }
        _ => *json = replacements[rng.gen_range(0..replacements.len())].clone(),
    }
}

#[test]
fn random_values_round_trip_and_mutations_never_panic() {
    for seed in 0..300_u64 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let value = random_value(&mut rng, 1);
        assert_eq!(validate_value(&value), Ok(()), "seed {seed}");
        let text = serde_json::to_string(&value).expect("serializes");
        let direct: Value = serde_json::from_str(&text).expect("serialized JSON parses");
        assert_eq!(direct, value.to_json(), "seed {seed}: Serialize writes the wire form");
        let direct: Value = serde_json::from_str(&text).expect("serialized JSON parses");
        assert_eq!(direct, value.to_json(), "seed {seed}: Serialize writes the wire form");
        let back: AttributeValue = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, value, "seed {seed}");
        for _ in 0..20 {
            let mut json = value.to_json();
            mutate(&mut rng, &mut json);
            if let Ok(read_back) = read(&json) {
                assert_eq!(validate_value(&read_back), Ok(()), "seed {seed}: {json}");
            }
            // One defect at most: the streaming reader gives the same answer to the letter.
            assert_readers_agree(&json);
            // Byte-level damage to the text must not panic either.
            let mut bytes = text.clone().into_bytes();
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.gen();
            let _ = serde_json::from_slice::<AttributeValue>(&bytes);
        }
    }
}
