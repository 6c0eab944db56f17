//! Tests of update expressions and projections: tables of expressions over one item, with the
//! expected item afterwards (as the attributes that change) or DynamoDB's message. Sources for
//! the semantics and messages: DG "Update expressions"; ScyllaDB's
//! `test/alternator/test_update_expression.py` (run against DynamoDB); dynalite's
//! `updateParser.pegjs`, `projectionParser.pegjs` and `actions/updateItem.js`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::model::{item_from_json, AttributeValue, Item};

const KEY: &[&str] = &["pk", "sk"];

fn base() -> Item {
    item_from_json(&json!({
        "pk": {"S": "k"},
        "n": {"N": "5"},
        "s": {"S": "hi"},
        "l": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}, {"N": "4"}, {"N": "5"}, {"N": "6"}]},
        "m": {"M": {"x": {"N": "1"}, "y": {"M": {"z": {"S": "deep"}}}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": ["AQ=="]},
        "lm": {"L": [{"M": {"a": {"N": "1"}}}, {"S": "t"}]},
        "lset": {"L": [{"SS": ["a"]}, {"SS": ["q"]}, {"S": "end"}]}
    }))
    .expect("a valid item")
}

fn names() -> BTreeMap<String, String> {
    [("#a", "x"), ("#b", "x"), ("#dot", "a.b"), ("#m", "m")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn values() -> Item {
    item_from_json(&json!({
        ":one": {"N": "1"}, ":two": {"N": "2"}, ":str": {"S": "v"},
        ":big": {"N": "99999999999999999999999999999999999999"}, ":tiny": {"N": "1e-100"},
        ":max": {"N": "9.9999999999999999999999999999999999999E+125"}, ":e125": {"N": "9e125"},
        ":list": {"L": [{"S": "x"}]}, ":ss": {"SS": ["b", "c"]}, ":ssAll": {"SS": ["a", "b"]},
        ":ssA": {"SS": ["a"]}, ":ssQ": {"SS": ["q"]}, ":ns": {"NS": ["2", "3"]},
        ":bs": {"BS": ["Ag=="]}, ":bsSame": {"BS": ["AQ=="]}, ":map": {"M": {}},
        ":bool": {"BOOL": true}, ":null": {"NULL": true}, ":bin": {"B": "AQ=="}
    }))
    .expect("valid values")
}

/// Parses `source`, checks it and applies it to `item`.
fn run(source: &str, mut item: Item) -> Result<Item, String> {
    let update = parse_update(source).map_err(|e| e.message)?;
    let (names, values) = (names(), values());
    let bindings = Bindings::new(&names, &values);
    check_update(&update, bindings, KEY).map_err(|e| e.message)?;
    apply_update(&update, &mut item, bindings).map_err(|e| e.message)?;
    Ok(item)
}

/// `base` with `patch` applied: each attribute set to its value, or removed for `null`.
fn patched(base: Item, patch: &Value) -> Item {
    let mut item = base;
    for (name, value) in patch.as_object().expect("a patch is an object") {
        if value.is_null() {
            item.remove(name);
        } else {
            item.insert(name.clone(), AttributeValue::from_json(value).expect("a valid value"));
        }
    }
    item
}

/// An expected outcome: the attributes that change, or DynamoDB's message.
enum Expect {
    Changes(Value),
    Error(&'static str),
}

fn ok(source: &'static str, changes: Value) -> (&'static str, Expect) {
    (source, Expect::Changes(changes))
}

fn err(source: &'static str, message: &'static str) -> (&'static str, Expect) {
    (source, Expect::Error(message))
}

/// Runs every case on `start`, and reports each mismatch.
fn check_cases(start: &Item, cases: &[(&'static str, Expect)]) {
    let mut wrong = Vec::new();
    for (source, expect) in cases {
        let got = run(source, start.clone());
        let matches = match (expect, &got) {
            (Expect::Changes(changes), Ok(item)) => {
                let expected = patched(start.clone(), changes);
                values_equal(&AttributeValue::M(expected), &AttributeValue::M(item.clone()))
            }
            (Expect::Error(message), Err(got)) => got == message,
            _ => false,
        };
        if !matches {
            let expected = match expect {
                Expect::Changes(changes) => changes.to_string(),
                Expect::Error(message) => (*message).to_owned(),
            };
            let got = got.map(|item| AttributeValue::M(item).to_json().to_string());
            wrong.push(format!("{source}\n  expected {expected}\n  got      {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

fn n(text: &str) -> Value {
    json!({"N": text})
}

#[test]
fn set_writes_values_and_reads_the_original_item() {
    check_cases(
        &base(),
        &[
            ok("SET n = :two", json!({"n": n("2")})),
            ok("SET t = :str, u = :list", json!({"t": {"S": "v"}, "u": {"L": [{"S": "x"}]}})),
            // Every SET value is computed before any action of the expression applies.
            ok("SET s = :str, t = s", json!({"s": {"S": "v"}, "t": {"S": "hi"}})),
            ok("SET t = s, s = :str", json!({"s": {"S": "v"}, "t": {"S": "hi"}})),
            ok("REMOVE s SET t = s", json!({"s": null, "t": {"S": "hi"}})),
            ok("SET t = s REMOVE s", json!({"s": null, "t": {"S": "hi"}})),
            ok("SET n = n", json!({})),
            ok("SET t = m.y.z", json!({"t": {"S": "deep"}})),
            ok("SET t = lm[0].a", json!({"t": n("1")})),
            ok("SET #dot = :one", json!({"a.b": n("1")})),
            ok(
                "SET #m.#a = :two",
                json!({"m": {"M": {"x": n("2"), "y": {"M": {"z": {"S": "deep"}}}}}}),
            ),
            err(
                "SET t = nope",
                "The provided expression refers to an attribute that does not exist in the item",
            ),
            err(
                "SET x = :one, y = x",
                "The provided expression refers to an attribute that does not exist in the item",
            ),
            err(
                "SET t = m.nope",
                "The provided expression refers to an attribute that does not exist in the item",
            ),
        ],
    );
}

#[test]
fn set_arithmetic_adds_and_subtracts_numbers() {
    check_cases(
        &base(),
        &[
            ok("SET n = n + :one", json!({"n": n("6")})),
            ok("SET n = :one + n", json!({"n": n("6")})),
            ok("SET n = n - :two", json!({"n": n("3")})),
            ok("SET n = :one - n", json!({"n": n("-4")})),
            ok("SET t = m.x + n", json!({"t": n("6")})),
            ok("SET t = :one + :two", json!({"t": n("3")})),
            ok("SET t = :big + :one", json!({"t": n("1e38")})),
            ok("SET t = (:two - :one)", json!({"t": n("1")})),
            ok("SET n = if_not_exists(n, :two) + :one", json!({"n": n("6")})),
            ok("SET t = if_not_exists(t, :two) + :one", json!({"t": n("3")})),
            err(
                "SET t = s + :one",
                "An operand in the update expression has an incorrect data type",
            ),
            err(
                "SET t = :one - l",
                "An operand in the update expression has an incorrect data type",
            ),
            err(
                "SET t = nope + :one",
                "The provided expression refers to an attribute that does not exist in the item",
            ),
            err(
                "SET t = :str + :one",
                "Invalid UpdateExpression: Incorrect operand type for operator or function; \
                 operator or function: +, operand type: S",
            ),
            err(
                "SET t = :one - :list",
                "Invalid UpdateExpression: Incorrect operand type for operator or function; \
                 operator or function: -, operand type: L",
            ),
            err(
                "SET t = :e125 + :e125",
                "Number overflow. Attempting to store a number with magnitude larger than \
                 supported range",
            ),
            err(
                "SET t = :big + :tiny",
                "Attempting to store more than 38 significant digits in a Number",
            ),
            // The exact result is refused for its digits before its range is looked at.
            err(
                "SET t = :max + :max",
                "Attempting to store more than 38 significant digits in a Number",
            ),
        ],
    );
}

#[test]
fn set_functions_if_not_exists_and_list_append() {
    check_cases(
        &base(),
        &[
            ok("SET n = if_not_exists(n, :two)", json!({})),
            ok("SET t = if_not_exists(nope, :two)", json!({"t": n("2")})),
            ok("SET t = if_not_exists(m.x, :two)", json!({"t": n("1")})),
            ok("SET t = if_not_exists(m.nope, s)", json!({"t": {"S": "hi"}})),
            ok(
                "SET lm = list_append(lm, :list)",
                json!({"lm": {"L": [{"M": {"a": n("1")}}, {"S": "t"}, {"S": "x"}]}}),
            ),
            ok(
                "SET lm = list_append(:list, lm)",
                json!({"lm": {"L": [{"S": "x"}, {"M": {"a": n("1")}}, {"S": "t"}]}}),
            ),
            ok("SET t = list_append(:list, :list)", json!({"t": {"L": [{"S": "x"}, {"S": "x"}]}})),
            ok(
                "SET t = list_append(if_not_exists(t, :list), :list)",
                json!({"t": {"L": [{"S": "x"}, {"S": "x"}]}}),
            ),
            err(
                "SET t = list_append(s, :list)",
                "An operand in the update expression has an incorrect data type",
            ),
            err(
                "SET t = list_append(:list, ss)",
                "An operand in the update expression has an incorrect data type",
            ),
            err(
                "SET t = list_append(nope, :list)",
                "The provided expression refers to an attribute that does not exist in the item",
            ),
            err(
                "SET t = list_append(:str, :list)",
                "Invalid UpdateExpression: Incorrect operand type for operator or function; \
                 operator or function: list_append, operand type: S",
            ),
            err(
                "SET t = list_append(:list, :ss)",
                "Invalid UpdateExpression: Incorrect operand type for operator or function; \
                 operator or function: list_append, operand type: SS",
            ),
        ],
    );
}

#[test]
fn set_nested_paths_and_list_indexes() {
    check_cases(
        &base(),
        &[
            ok(
                "SET m.x = :two",
                json!({"m": {"M": {"x": n("2"), "y": {"M": {"z": {"S": "deep"}}}}}}),
            ),
            ok(
                "SET m.w = :two, m.y.z = :str",
                json!({"m": {"M": {"x": n("1"), "w": n("2"), "y": {"M": {"z": {"S": "v"}}}}}}),
            ),
            ok("SET lm[0].a = :two", json!({"lm": {"L": [{"M": {"a": n("2")}}, {"S": "t"}]}})),
            ok(
                "SET l[1] = :str",
                json!({"l": {"L": [n("1"), {"S": "v"}, n("3"), n("4"), n("5"), n("6")]}}),
            ),
            // Past the end appends; several appends go in index order.
            ok(
                "SET l[10] = :str",
                json!({"l": {"L": [n("1"), n("2"), n("3"), n("4"), n("5"), n("6"), {"S": "v"}]}}),
            ),
            ok(
                "SET l[84] = :one, l[37] = :two, l[17] = :str",
                json!({"l": {"L": [
                    n("1"), n("2"), n("3"), n("4"), n("5"), n("6"), {"S": "v"}, n("2"), n("1")
                ]}}),
            ),
            err(
                "SET nope.x = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET s.x = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET l.x = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET m[0] = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET s[0] = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET nope[0] = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET m.nope.x = :one",
                "The document path provided in the update expression is invalid for update",
            ),
        ],
    );
}

#[test]
fn remove_deletes_attributes_members_and_elements() {
    check_cases(
        &base(),
        &[
            ok("REMOVE s", json!({"s": null})),
            ok("REMOVE s, n", json!({"s": null, "n": null})),
            ok("REMOVE nope", json!({})),
            ok("REMOVE m.x, m.y.z", json!({"m": {"M": {"y": {"M": {}}}}})),
            ok("REMOVE m.nope", json!({})),
            // Indexes name positions in the original list.
            ok("REMOVE l[1], l[3]", json!({"l": {"L": [n("1"), n("3"), n("5"), n("6")]}})),
            ok("REMOVE l[3], l[1]", json!({"l": {"L": [n("1"), n("3"), n("5"), n("6")]}})),
            ok("REMOVE l[0], l[5]", json!({"l": {"L": [n("2"), n("3"), n("4"), n("5")]}})),
            ok("REMOVE l[10]", json!({})),
            ok(
                "REMOVE l[1] SET l[3] = :str",
                json!({"l": {"L": [n("1"), n("3"), {"S": "v"}, n("5"), n("6")]}}),
            ),
            ok(
                "SET l[3] = :str REMOVE l[1]",
                json!({"l": {"L": [n("1"), n("3"), {"S": "v"}, n("5"), n("6")]}}),
            ),
            ok(
                "REMOVE l[5] SET l[9] = :str",
                json!({"l": {"L": [n("1"), n("2"), n("3"), n("4"), n("5"), {"S": "v"}]}}),
            ),
            ok("REMOVE lm[0].a", json!({"lm": {"L": [{"M": {}}, {"S": "t"}]}})),
            err(
                "REMOVE nope.x",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "REMOVE s.x",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "REMOVE s[0]",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "REMOVE m[0]",
                "The document path provided in the update expression is invalid for update",
            ),
        ],
    );
}

#[test]
fn add_sums_numbers_and_unites_sets() {
    check_cases(
        &base(),
        &[
            ok("ADD n :two", json!({"n": n("7")})),
            ok("ADD t :two", json!({"t": n("2")})),
            ok("ADD ss :ss", json!({"ss": {"SS": ["a", "b", "c"]}})),
            ok("ADD t :ss", json!({"t": {"SS": ["b", "c"]}})),
            ok("ADD ns :ns", json!({"ns": {"NS": ["1", "2", "3"]}})),
            ok("ADD bs :bs", json!({"bs": {"BS": ["AQ==", "Ag=="]}})),
            ok(
                "ADD m.x :one",
                json!({"m": {"M": {"x": n("2"), "y": {"M": {"z": {"S": "deep"}}}}}}),
            ),
            ok(
                "ADD m.w :one",
                json!({"m": {"M": {"x": n("1"), "w": n("1"), "y": {"M": {"z": {"S": "deep"}}}}}}),
            ),
            ok(
                "ADD l[1] :one",
                json!({"l": {"L": [n("1"), n("3"), n("3"), n("4"), n("5"), n("6")]}}),
            ),
            ok(
                "ADD l[10] :one",
                json!({"l": {"L": [n("1"), n("2"), n("3"), n("4"), n("5"), n("6"), n("1")]}}),
            ),
            ok("ADD n :one, t :ss", json!({"n": n("6"), "t": {"SS": ["b", "c"]}})),
            err("ADD s :one", "An operand in the update expression has an incorrect data type"),
            err("ADD n :ss", "An operand in the update expression has an incorrect data type"),
            err("ADD ss :ns", "An operand in the update expression has an incorrect data type"),
            err("ADD l :ss", "An operand in the update expression has an incorrect data type"),
            err(
                "ADD nope.x :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err("ADD n :max", "Attempting to store more than 38 significant digits in a Number"),
        ],
    );
}

#[test]
fn add_and_delete_refuse_operands_of_other_types_before_reading() {
    let refused = |operator: &str, type_name: &str| {
        format!(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; \
             operator: {operator}, operand type: {type_name}"
        )
    };
    let cases = [
        ("ADD nope :str", refused("ADD", "STRING")),
        ("ADD nope :bin", refused("ADD", "BINARY")),
        ("ADD nope :bool", refused("ADD", "BOOLEAN")),
        ("ADD nope :null", refused("ADD", "NULL")),
        ("ADD nope :list", refused("ADD", "LIST")),
        ("ADD nope :map", refused("ADD", "MAP")),
        ("DELETE nope :one", refused("DELETE", "NUMBER")),
        ("DELETE nope :str", refused("DELETE", "STRING")),
        ("DELETE nope :list", refused("DELETE", "LIST")),
    ];
    for (source, message) in cases {
        assert_eq!(run(source, base()), Err(message), "{source}");
    }
}

#[test]
fn delete_takes_members_out_of_sets() {
    check_cases(
        &base(),
        &[
            ok("DELETE ss :ss", json!({"ss": {"SS": ["a"]}})),
            ok("DELETE ss :ssA", json!({"ss": {"SS": ["b"]}})),
            // A set is never empty: emptying one removes the attribute.
            ok("DELETE ss :ssAll", json!({"ss": null})),
            ok("DELETE ns :ns", json!({"ns": {"NS": ["1"]}})),
            ok("DELETE bs :bsSame", json!({"bs": null})),
            ok("DELETE bs :bs", json!({})),
            ok("DELETE nope :ss", json!({})),
            ok("DELETE m.nope :ss", json!({})),
            // Emptied sets inside a list go, the later one first.
            ok("DELETE lset[0] :ssA, lset[1] :ssQ", json!({"lset": {"L": [{"S": "end"}]}})),
            ok("DELETE lset[1] :ssQ", json!({"lset": {"L": [{"SS": ["a"]}, {"S": "end"}]}})),
            err("DELETE s :ss", "An operand in the update expression has an incorrect data type"),
            err("DELETE ss :ns", "An operand in the update expression has an incorrect data type"),
            err("DELETE n :ns", "An operand in the update expression has an incorrect data type"),
            err(
                "DELETE nope.x :ss",
                "The document path provided in the update expression is invalid for update",
            ),
        ],
    );
}

#[test]
fn an_update_of_a_missing_item_creates_it_from_the_key() {
    let key = item_from_json(&json!({"pk": {"S": "k"}})).expect("a valid key");
    check_cases(
        &key,
        &[
            ok("SET a = :one", json!({"a": n("1")})),
            ok("ADD c :one, d :ss", json!({"c": n("1"), "d": {"SS": ["b", "c"]}})),
            ok("SET a = if_not_exists(a, :two)", json!({"a": n("2")})),
            ok("REMOVE a DELETE b :ss", json!({})),
            ok("SET a = pk", json!({"a": {"S": "k"}})),
            err(
                "SET a.b = :one",
                "The document path provided in the update expression is invalid for update",
            ),
            err(
                "SET a = a + :one",
                "The provided expression refers to an attribute that does not exist in the item",
            ),
        ],
    );
}

const OVERLAP: &str = "Invalid UpdateExpression: Two document paths overlap with each other; must \
                       remove or rewrite one of these paths; ";
const CONFLICT: &str = "Invalid UpdateExpression: Two document paths conflict with each other; \
                        must remove or rewrite one of these paths; ";

#[test]
fn overlapping_and_conflicting_paths_are_refused_before_reading() {
    let cases = [
        ("SET a = :one REMOVE a", format!("{OVERLAP}path one: [a], path two: [a]")),
        ("REMOVE a SET a = :one", format!("{OVERLAP}path one: [a], path two: [a]")),
        ("SET a = :one, a = :two", format!("{OVERLAP}path one: [a], path two: [a]")),
        ("SET m = :one, m.x = :two", format!("{OVERLAP}path one: [m], path two: [m, x]")),
        ("SET m.x = :one, m = :two", format!("{OVERLAP}path one: [m, x], path two: [m]")),
        (
            "SET a.b.c.d = :one ADD a.b :two",
            format!("{OVERLAP}path one: [a, b, c, d], path two: [a, b]"),
        ),
        (
            "SET l[1] = :one, l[1][2] = :two",
            format!("{OVERLAP}path one: [l, [1]], path two: [l, [1], [2]]"),
        ),
        ("SET l = :one DELETE l[1] :ss", format!("{OVERLAP}path one: [l], path two: [l, [1]]")),
        ("SET #a = :one, #b = :two", format!("{OVERLAP}path one: [x], path two: [x]")),
        ("SET m.x = :one, m[1] = :two", format!("{CONFLICT}path one: [m, x], path two: [m, [1]]")),
        (
            "SET a.b.c = :one, a.b[2] = :two",
            format!("{CONFLICT}path one: [a, b, c], path two: [a, b, [2]]"),
        ),
        ("REMOVE a[0], a.b", format!("{CONFLICT}path one: [a, [0]], path two: [a, b]")),
        // An overlap is reported in preference to an earlier conflict.
        (
            "SET m.x = :one, m[1] = :two, m.x = :two",
            format!("{OVERLAP}path one: [m, x], path two: [m, x]"),
        ),
        // And before operand types.
        ("ADD n :str, n :one", format!("{OVERLAP}path one: [n], path two: [n]")),
    ];
    for (source, message) in cases {
        // On an empty item: the check comes before any reading.
        assert_eq!(run(source, Item::new()), Err(message), "{source}");
    }
    let independent = "SET m.x = :two, m.y.w = :one, l[0] = :one, l[1] = :two REMOVE m.y.z, s";
    let item = run(independent, base()).expect("no two paths overlap");
    let expected = json!({"x": n("2"), "y": {"M": {"w": n("1")}}});
    assert_eq!(item.get("m").map(AttributeValue::to_json), Some(json!({"M": expected})));
    assert_eq!(item.get("s"), None);
}

#[test]
fn key_attributes_cannot_be_updated() {
    let message = "One or more parameter values were invalid: Cannot update attribute pk. This \
                   attribute is part of the key";
    for source in ["SET pk = :one", "REMOVE pk", "ADD pk :one", "DELETE pk :ss", "SET pk.x = :one"]
    {
        assert_eq!(run(source, base()), Err(message.to_owned()), "{source}");
    }
    // The partition key is named before the sort key, whatever the order of the actions.
    let sort_key = message.replace("attribute pk.", "attribute sk.");
    assert_eq!(run("SET sk = :one", base()), Err(sort_key));
    assert_eq!(run("SET sk = :one, pk = :two", base()), Err(message.to_owned()));
    // A key attribute can still be read.
    assert_eq!(
        run("SET t = pk", base()).map(|item| item.get("t").cloned()),
        Ok(base().get("pk").cloned())
    );
    // The key check comes after the expression's own checks.
    assert_eq!(
        run("SET pk = :one, pk = :two", base()),
        Err(format!("{OVERLAP}path one: [pk], path two: [pk]"))
    );
}

#[test]
fn undefined_placeholders_are_refused() {
    assert_eq!(
        run("SET #nope = :one", base()),
        Err("Invalid UpdateExpression: An expression attribute name used in the document path is \
             not defined; attribute name: #nope"
            .to_owned())
    );
    assert_eq!(
        run("SET t = if_not_exists(#nope, :one)", base()),
        Err("Invalid UpdateExpression: An expression attribute name used in the document path is \
             not defined; attribute name: #nope"
            .to_owned())
    );
    assert_eq!(
        run("SET t = :nope", base()),
        Err("Invalid UpdateExpression: An expression attribute value used in expression is not \
             defined; attribute value: :nope"
            .to_owned())
    );
    assert_eq!(
        run("ADD n :nope", base()),
        Err("Invalid UpdateExpression: An expression attribute value used in expression is not \
             defined; attribute value: :nope"
            .to_owned())
    );
}

#[test]
fn check_update_returns_the_written_paths_in_order() {
    let update = parse_update("DELETE ss :ss SET m.x = :one, l[2] = :two REMOVE s ADD #a :one")
        .expect("parses");
    let (names, values) = (names(), values());
    let paths = check_update(&update, Bindings::new(&names, &values), KEY).expect("valid");
    let name = |s: &str| PathStep::Name(s.to_owned());
    assert_eq!(
        paths,
        vec![
            vec![name("ss")],
            vec![name("m"), name("x")],
            vec![name("l"), PathStep::Index(2)],
            vec![name("s")],
            vec![name("x")],
        ]
    );
    let printed: Vec<String> = paths.iter().map(|p| DisplayPath(p).to_string()).collect();
    assert_eq!(printed, ["[ss]", "[m, x]", "[l, [2]]", "[s]", "[x]"]);
}

/// Resolves `source` as a projection and applies it to [`base`].
fn projected(source: &str) -> Result<Value, String> {
    let projection = parse_projection(source).map_err(|e| e.message)?;
    let (names, values) = (names(), values());
    let paths =
        resolve_projection(&projection, Bindings::new(&names, &values)).map_err(|e| e.message)?;
    Ok(AttributeValue::M(project(&base(), &paths)).to_json())
}

#[test]
fn projections_select_attributes_members_and_elements() {
    let cases = [
        ("s", json!({"s": {"S": "hi"}})),
        ("s, n", json!({"s": {"S": "hi"}, "n": n("5")})),
        ("m.x", json!({"m": {"M": {"x": n("1")}}})),
        ("m.x, m.y.z", json!({"m": {"M": {"x": n("1"), "y": {"M": {"z": {"S": "deep"}}}}}})),
        ("#m.#a", json!({"m": {"M": {"x": n("1")}}})),
        // List elements: just those selected, in index order, without gaps.
        ("l[1], l[3]", json!({"l": {"L": [n("2"), n("4")]}})),
        ("l[3], l[1]", json!({"l": {"L": [n("2"), n("4")]}})),
        ("l[1], l[10]", json!({"l": {"L": [n("2")]}})),
        ("lm[0].a, lm[1]", json!({"lm": {"L": [{"M": {"a": n("1")}}, {"S": "t"}]}})),
        (
            "lm[1], m.y",
            json!({"lm": {"L": [{"S": "t"}]}, "m": {"M": {"y": {"M": {"z": {"S": "deep"}}}}}}),
        ),
        // Paths that do not resolve are skipped.
        ("nope, m.nope, s.x, l.x", json!({})),
        ("l[10], lm[5].a", json!({})),
        ("m[0], s[0]", json!({})),
        ("nope, s", json!({"s": {"S": "hi"}})),
        ("#dot", json!({})),
    ];
    for (source, expected) in cases {
        assert_eq!(projected(source), Ok(json!({"M": expected})), "{source}");
    }
}

#[test]
fn projections_refuse_overlapping_and_conflicting_paths() {
    let prefix = "Invalid ProjectionExpression: Two document paths";
    let tail = "with each other; must remove or rewrite one of these paths;";
    let cases = [
        ("a, a.b", format!("{prefix} overlap {tail} path one: [a], path two: [a, b]")),
        ("a.b, a", format!("{prefix} overlap {tail} path one: [a, b], path two: [a]")),
        ("s, n, s", format!("{prefix} overlap {tail} path one: [s], path two: [s]")),
        ("a.b, a[0]", format!("{prefix} conflict {tail} path one: [a, b], path two: [a, [0]]")),
        ("#a, #b", format!("{prefix} overlap {tail} path one: [x], path two: [x]")),
    ];
    for (source, message) in cases {
        assert_eq!(projected(source), Err(message), "{source}");
    }
}

#[test]
fn project_tolerates_unchecked_duplicate_and_nested_paths() {
    let name = |s: &str| PathStep::Name(s.to_owned());
    let paths = vec![vec![name("m"), name("x")], vec![name("m")], vec![name("m"), name("x")]];
    let got = project(&base(), &paths);
    assert_eq!(got.get("m"), base().get("m"));
    assert_eq!(got.len(), 1);
}
