//! serde between user types and items (`basalt::model::{to_item, from_item}`) and the
//! `item!` macro, as an embedder uses them.
//!
//! Method: round trips of representative types (nested structs, lists, options, maps, enums,
//! bytes, numbers at their limits) checked both ways — the exact `AttributeValue` each produces
//! and the value read back — plus the error cases with their messages.

use std::collections::{BTreeMap, HashMap};

use basalt::item;
use basalt::model::{
    from_item, from_value, to_item, to_value, AttributeValue, Item, ItemSerdeError, Number,
    NumberError,
};
use serde::{Deserialize, Serialize};

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).expect("valid number"))
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// Serializes with `serialize_bytes`, as `serde_bytes` does.
#[derive(Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
        }
        deserializer.deserialize_bytes(Visit)
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    zip: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Point(i32, i32),
    Rect { width: u32, height: u32 },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    age: u8,
    address: Address,
    tags: Vec<String>,
    nickname: Option<String>,
    scores: HashMap<String, i64>,
    shapes: Vec<Shape>,
    avatar: Bytes,
    active: bool,
    unit: (),
}

fn profile() -> Profile {
    Profile {
        name: "Ada".into(),
        age: 36,
        address: Address { city: "London".into(), zip: None },
        tags: vec!["math".into(), "engines".into()],
        nickname: Some("Countess".into()),
        scores: HashMap::from([("chess".into(), -3), ("go".into(), 12)]),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(0.5),
            Shape::Point(-1, 2),
            Shape::Rect { width: 3, height: 4 },
        ],
        avatar: Bytes(vec![0, 255, 7]),
        active: true,
        unit: (),
    }
}

#[test]
fn a_nested_struct_round_trips_with_the_expected_item() {
    let value = profile();
    let item = to_item(&value).expect("serializes");
    let expected = item! {
        "name" => "Ada",
        "age" => 36,
        "address" => item! { "city" => "London", "zip" => AttributeValue::Null },
        "tags" => vec![s("math"), s("engines")],
        "nickname" => "Countess",
        "scores" => item! { "chess" => -3, "go" => 12 },
        "shapes" => vec![
            s("Empty"),
            AttributeValue::from(item! { "Circle" => n("0.5") }),
            AttributeValue::from(item! { "Point" => vec![n("-1"), n("2")] }),
            AttributeValue::from(item! { "Rect" => item! { "width" => 3, "height" => 4 } }),
        ],
        "avatar" => vec![0_u8, 255, 7],
        "active" => true,
        "unit" => AttributeValue::Null,
    };
    assert_eq!(item, expected);
    let back: Profile = from_item(&item).expect("deserializes");
    assert_eq!(back, value);
}

#[test]
fn the_dynamodb_example_via_a_struct_and_via_the_macro() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct User {
        user_id: String,
        name: String,
        age: u32,
    }
    let user = User { user_id: "12345".into(), name: "John Doe".into(), age: 30 };
    let from_macro = item! { "userId" => "12345", "name" => "John Doe", "age" => 30 };
    assert_eq!(to_item(&user).expect("serializes"), from_macro);
    assert_eq!(from_item::<User>(&from_macro).expect("deserializes"), user);
    assert_eq!(from_macro["age"], n("30"));
}

#[test]
fn missing_option_fields_read_as_none() {
    let item = item! { "city" => "Paris" };
    let address: Address = from_item(&item).expect("deserializes");
    assert_eq!(address, Address { city: "Paris".into(), zip: None });
    let item = item! { "city" => "Paris", "zip" => "75001" };
    assert_eq!(from_item::<Address>(&item).expect("reads").zip.as_deref(), Some("75001"));
}

#[test]
fn integers_at_their_limits_round_trip_exactly() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Limits {
        a: i64,
        b: u64,
        c: i128,
        d: i8,
        e: u128,
    }
    let limits = Limits {
        a: i64::MIN,
        b: u64::MAX,
        c: -(10_i128.pow(38) - 1),
        d: i8::MIN,
        e: 10_u128.pow(38),
    };
    let item = to_item(&limits).expect("serializes");
    assert_eq!(item["a"], n("-9223372036854775808"));
    assert_eq!(item["b"], n("18446744073709551615"));
    assert_eq!(item["c"], n(&"-".chars().chain(std::iter::repeat_n('9', 38)).collect::<String>()));
    assert_eq!(item["e"], n("1e38"));
    assert_eq!(from_item::<Limits>(&item).expect("deserializes"), limits);
}

#[test]
fn floats_become_their_shortest_decimal() {
    assert_eq!(to_value(&0.1_f64), Ok(n("0.1")));
    assert_eq!(to_value(&0.1_f32), Ok(n("0.1")));
    assert_eq!(to_value(&-2.5e-7_f64), Ok(n("-0.00000025")));
    assert_eq!(from_value::<f64>(&n("0.1")), Ok(0.1));
    assert_eq!(from_value::<f32>(&n("0.1")), Ok(0.1_f32));
    assert_eq!(from_value::<f64>(&n("7")), Ok(7.0));
    let third = 1.0_f64 / 3.0;
    assert_eq!(from_value::<f64>(&to_value(&third).expect("serializes")), Ok(third));
}

#[test]
fn numbers_dynamodb_cannot_store_are_errors() {
    let nan = to_value(&f64::NAN).expect_err("NaN");
    assert_eq!(nan, ItemSerdeError::NonFiniteNumber { value: "NaN".into() });
    assert_eq!(nan.to_string(), "cannot store NaN as a DynamoDB number: it is not finite");
    assert!(matches!(to_value(&f32::INFINITY), Err(ItemSerdeError::NonFiniteNumber { .. })));
    let wide = to_value(&u128::MAX).expect_err("39 digits");
    assert!(matches!(wide, ItemSerdeError::Number { source: NumberError::TooManyDigits, .. }));
    assert!(matches!(
        to_value(&1e300_f64),
        Err(ItemSerdeError::Number { source: NumberError::Overflow, .. })
    ));
    let nested = to_item(&BTreeMap::from([("x", vec![1.0, f64::NAN])])).expect_err("nested NaN");
    assert_eq!(
        nested.to_string(),
        "at x[1]: cannot store NaN as a DynamoDB number: it is not finite"
    );
}

#[test]
fn the_top_level_of_an_item_must_be_a_map() {
    let error = to_item("hello").expect_err("a string");
    assert_eq!(
        error.to_string(),
        "the top level of an item must be a map or struct, found a string (S)"
    );
    assert!(matches!(
        to_item(&[1, 2]),
        Err(ItemSerdeError::TopLevelNotMap { found: "a list (L)" })
    ));
    assert!(matches!(to_item(&Shape::Empty), Err(ItemSerdeError::TopLevelNotMap { .. })));
    // A non-unit variant is a one-entry map, so it is an item.
    assert_eq!(to_item(&Shape::Circle(1.0)), Ok(item! { "Circle" => 1 }));
}

#[test]
fn map_keys_must_be_strings() {
    let error = to_item(&HashMap::from([(1, "one")])).expect_err("integer key");
    assert_eq!(error.to_string(), "map keys must be strings, found a number (N)");
    #[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Debug)]
    enum Color {
        Red,
    }
    let by_color = BTreeMap::from([(Color::Red, 1)]);
    let item = to_item(&by_color).expect("unit variants are string keys");
    assert_eq!(item, item! { "Red" => 1 });
    assert_eq!(from_item::<BTreeMap<Color, i32>>(&item), Ok(by_color));
}

#[test]
fn wrong_types_name_the_path_and_both_types() {
    let item = item! { "city" => 5 };
    let error = from_item::<Address>(&item).expect_err("a number for a string");
    assert_eq!(error.to_string(), "at city: invalid type: expected a string, found a number (N)");
    let item = item! { "name" => "x", "age" => 300 };
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        age: u8,
    }
    let error = from_item::<Person>(&item).expect_err("too old");
    assert_eq!(error.to_string(), "at age: the number 300 is out of range for u8");
    let item = item! { "name" => "x", "age" => n("1.5") };
    let error = from_item::<Person>(&item).expect_err("fractional");
    assert_eq!(
        error.to_string(),
        "at age: the number 1.5 is not an integer, so it cannot be read as u8"
    );
    let item = item! { "name" => "x" };
    assert_eq!(from_item::<Person>(&item).expect_err("missing").to_string(), "missing field `age`");
    let nested = item! { "address" => item! { "city" => vec![s("a")] } };
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        address: Address,
    }
    let error = from_item::<Outer>(&nested).expect_err("a list for a string");
    assert_eq!(
        error.to_string(),
        "at address.city: invalid type: expected a string, found a list (L)"
    );
    assert!(matches!(error.innermost(), ItemSerdeError::WrongType { found: "a list (L)", .. }));
    let error = from_value::<Address>(&s("x")).expect_err("not a map");
    assert_eq!(error.to_string(), "invalid type: expected struct Address, found a string (S)");
}

#[test]
fn sets_deserialize_as_sequences() {
    let item = item! {
        "ss" => AttributeValue::Ss(vec!["a".into(), "b".into()]),
        "ns" => AttributeValue::Ns(vec![Number::from(1), Number::from(-2)]),
        "bs" => AttributeValue::Bs(vec![vec![1], vec![2, 3]]),
    };
    #[derive(Debug, PartialEq, Deserialize)]
    struct Sets {
        ss: Vec<String>,
        ns: Vec<i16>,
        bs: Vec<Vec<u8>>,
    }
    let sets: Sets = from_item(&item).expect("deserializes");
    assert_eq!(sets.ss, ["a", "b"]);
    assert_eq!(sets.ns, [1, -2]);
    assert_eq!(sets.bs, [vec![1], vec![2, 3]]);
    let members: std::collections::BTreeSet<String> = from_value(&item["ss"]).expect("a set");
    assert_eq!(members.len(), 2);
    let bytes: Vec<Bytes> = from_value(&item["bs"]).expect("binary members as bytes");
    assert_eq!(bytes, [Bytes(vec![1]), Bytes(vec![2, 3])]);
    // A `B` also reads as a plain sequence of bytes.
    assert_eq!(from_value::<Vec<u8>>(&AttributeValue::B(vec![4, 5])), Ok(vec![4, 5]));
    let unit_as_map = AttributeValue::from(item! { "Empty" => AttributeValue::Null });
    assert_eq!(from_value::<Shape>(&unit_as_map), Ok(Shape::Empty));
}

#[test]
fn strings_and_bytes_can_be_borrowed() {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        name: &'a str,
        #[serde(borrow)]
        data: &'a [u8],
    }
    let item = item! { "name" => "Ada", "data" => vec![1_u8, 2] };
    let borrowed: Borrowed<'_> = from_item(&item).expect("deserializes");
    assert_eq!(borrowed.name, "Ada");
    assert_eq!(borrowed.data, [1, 2]);
}

#[test]
fn tuples_check_their_length() {
    let value = AttributeValue::L(vec![n("1"), n("2"), n("3")]);
    assert_eq!(from_value::<(u8, u8, u8)>(&value), Ok((1, 2, 3)));
    let error = from_value::<(u8, u8)>(&value).expect_err("one too many");
    assert_eq!(error.to_string(), "invalid length 3, expected 2 elements");
}

#[test]
fn self_describing_reads_pick_the_exact_number_type() {
    let item = item! {
        "small" => -5,
        "big" => u64::MAX,
        "frac" => n("2.5"),
        "list" => vec![s("x"), AttributeValue::Null, AttributeValue::from(false)],
    };
    let json: serde_json::Value = from_item(&item).expect("any");
    assert_eq!(json["small"], serde_json::json!(-5));
    assert_eq!(json["big"], serde_json::json!(u64::MAX));
    assert_eq!(json["frac"], serde_json::json!(2.5));
    assert_eq!(json["list"], serde_json::json!(["x", null, false]));
    // Beyond 64 bits an integer is offered exactly, as i128/u128; a visitor that cannot hold
    // it (serde_json without arbitrary_precision) says so rather than losing digits.
    let huge = item! { "huge" => AttributeValue::try_from(10_i128.pow(30)).expect("30 digits") };
    let error = from_item::<serde_json::Value>(&huge).expect_err("beyond serde_json");
    assert_eq!(error.to_string(), "at huge: JSON number out of range");
}

#[test]
fn untagged_enums_read_through_any() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    for id in [Id::Number(7), Id::Text("seven".into())] {
        let value = to_value(&id).expect("serializes");
        assert_eq!(from_value::<Id>(&value), Ok(id));
    }
}

#[test]
fn the_macro_takes_every_convertible_value() {
    let number = Number::parse("12.50").expect("valid");
    let item: Item = item! {
        "s" => String::from("x"),
        "n" => number,
        "b" => &b"raw"[..],
        "bool" => false,
        "none" => None::<i64>,
        "some" => Some(3_u64),
        "ch" => 'c',
        "float" => AttributeValue::try_from(0.25).expect("finite"),
    };
    assert_eq!(item["n"], n("12.5"));
    assert_eq!(item["b"].as_b(), Some(&b"raw"[..]));
    assert!(item["none"].is_null());
    assert_eq!(item["some"], n("3"));
    assert_eq!(item["ch"], s("c"));
    assert_eq!(item["float"], n("0.25"));
}
