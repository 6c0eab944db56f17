//! Tests of the legacy-parameter translation: tables of legacy parameters with the expression
//! each becomes (printed as S-expressions) and its values, the translated conditions evaluated
//! on sample items against the legacy semantics (API Reference: `Condition`,
//! `ExpectedAttributeValue`; DynamoDB Local's `LocalDBComparisonOperator`), and every refusal
//! with DynamoDB's message.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::ast::{Condition, Operand, UpdateExpression};
use super::legacy::{
    attribute_updates, check_mixing, expected, filter, key_conditions, FilterParameter, Translated,
};
use super::*;
use crate::api::{AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition};
use crate::model::{item_from_json, AttributeValue, Item};

fn from<T: DeserializeOwned>(json: Value) -> BTreeMap<String, T> {
    serde_json::from_value(json).expect("a valid legacy parameter")
}

fn item(json: Value) -> Item {
    item_from_json(&json).expect("a valid item")
}

type Translation = Result<Option<Translated<Condition>>, EvalError>;

fn expected_of(json: Value, operator: Option<&str>) -> Translation {
    expected(&from::<ExpectedAttributeValue>(json), operator)
}

fn filter_of(json: Value, operator: Option<&str>) -> Translation {
    filter(&from::<LegacyCondition>(json), operator, FilterParameter::ScanFilter)
}

/// A translation that produced a tree.
fn some(result: Translation) -> Translated<Condition> {
    result.expect("translates").expect("a condition")
}

fn sexpr(translated: &Translated<Condition>) -> String {
    translated.tree.to_sexpr()
}

fn values_json(values: &Item) -> Value {
    Value::Object(values.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

fn holds(translated: &Translated<Condition>, on: &Item) -> bool {
    let bindings = Bindings::new(&translated.names, &translated.values);
    let mut placeholders = Placeholders::new(&translated.names, &translated.values);
    placeholders.check_condition(&translated.tree, ExpressionKind::Condition).expect("checks");
    placeholders.finish().expect("every placeholder used");
    evaluate(&translated.tree, on, bindings, ExpressionKind::Condition).expect("evaluates")
}

fn message(result: Result<impl std::fmt::Debug, EvalError>) -> (EvalErrorKind, String) {
    let error = result.expect_err("refused");
    (error.kind, error.message)
}

const INVALID: &str = "One or more parameter values were invalid: ";

#[test]
fn expected_translations() {
    let cases: &[(Value, Option<&str>, &str, Value)] = &[
        (json!({"a": {"Value": {"S": "x"}}}), None, "(= a :l0)", json!({":l0": {"S": "x"}})),
        (
            json!({"a": {"Value": {"N": "1"}, "Exists": true}}),
            None,
            "(= a :l0)",
            json!({":l0": {"N": "1"}}),
        ),
        (json!({"a": {"Exists": false}}), None, "(attribute_not_exists a)", json!({})),
        (
            json!({"a": {"ComparisonOperator": "GT", "Value": {"N": "1"}}}),
            None,
            "(> a :l0)",
            json!({":l0": {"N": "1"}}),
        ),
        (
            json!({
                "a": {"ComparisonOperator": "NOT_NULL"},
                "b": {"ComparisonOperator": "BETWEEN",
                      "AttributeValueList": [{"N": "1"}, {"N": "9"}]},
                "select": {"ComparisonOperator": "IN",
                      "AttributeValueList": [{"S": "x"}, {"S": "y"}]}
            }),
            None,
            "(and (and (attribute_exists a) (between b :l0 :l1)) (in select :l2 :l3))",
            json!({":l0": {"N": "1"}, ":l1": {"N": "9"}, ":l2": {"S": "x"}, ":l3": {"S": "y"}}),
        ),
        (
            json!({"a": {"Value": {"S": "x"}}, "b": {"Exists": false}}),
            Some("OR"),
            "(or (= a :l0) (attribute_not_exists b))",
            json!({":l0": {"S": "x"}}),
        ),
        (
            json!({"a": {"Value": {"S": "x"}}, "b": {"Exists": false}}),
            Some("AND"),
            "(and (= a :l0) (attribute_not_exists b))",
            json!({":l0": {"S": "x"}}),
        ),
        (
            json!({"a": {"ComparisonOperator": "NOT_CONTAINS", "Value": {"S": "x"}}}),
            None,
            "(and (attribute_exists a) (not (contains a :l0)))",
            json!({":l0": {"S": "x"}}),
        ),
    ];
    for (parameter, operator, tree, values) in cases {
        let translated = some(expected_of(parameter.clone(), *operator));
        assert_eq!(sexpr(&translated), *tree, "{parameter}");
        assert_eq!(values_json(&translated.values), *values, "{parameter}");
        assert!(translated.names.is_empty());
    }
}

#[test]
fn filter_translations() {
    let cases: &[(Value, &str)] = &[
        (
            json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}),
            "(= a :l0)",
        ),
        (
            json!({"a": {"ComparisonOperator": "NE", "AttributeValueList": [{"SS": ["x"]}]}}),
            "(<> a :l0)",
        ),
        (
            json!({"a": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "1"}]}}),
            "(<= a :l0)",
        ),
        (
            json!({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "1"}]}}),
            "(< a :l0)",
        ),
        (
            json!({"a": {"ComparisonOperator": "GE", "AttributeValueList": [{"B": "AQ=="}]}}),
            "(>= a :l0)",
        ),
        (
            json!({"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "x"}]}}),
            "(> a :l0)",
        ),
        (json!({"a": {"ComparisonOperator": "NULL"}}), "(attribute_not_exists a)"),
        (
            json!({"a": {"ComparisonOperator": "NOT_NULL", "AttributeValueList": []}}),
            "(attribute_exists a)",
        ),
        (
            json!({"a": {"ComparisonOperator": "CONTAINS",
                         "AttributeValueList": [{"BOOL": true}]}}),
            "(contains a :l0)",
        ),
        (
            json!({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]}}),
            "(begins_with a :l0)",
        ),
        (
            json!({"a.b": {"ComparisonOperator": "EQ", "AttributeValueList": [{"M": {}}]}}),
            "(= a.b :l0)",
        ),
    ];
    for (parameter, tree) in cases {
        let translated = some(filter_of(parameter.clone(), None));
        assert_eq!(sexpr(&translated), *tree, "{parameter}");
    }
    assert_eq!(filter_of(json!({}), None).expect("no filter"), None);
    assert_eq!(expected_of(json!({}), None).expect("no condition"), None);
    // A literal name is one attribute, dots and reserved words included.
    let translated = some(filter_of(json!({"a.b": {"ComparisonOperator": "NULL"}}), None));
    let Condition::Call(call) = &translated.tree else { panic!("a call") };
    let Some(Operand::Path(path)) = call.args.first() else { panic!("a path") };
    assert_eq!(path.elements.len(), 1);
    assert!(holds(&translated, &item(json!({"a": {"M": {"b": {"S": "x"}}}}))));
    assert!(!holds(&translated, &item(json!({"a.b": {"S": "x"}}))));
}

#[test]
fn long_in_lists_split_into_ors() {
    let list: Vec<Value> = (0..250).map(|n| json!({"N": n.to_string()})).collect();
    let translated = some(filter_of(
        json!({"a": {"ComparisonOperator": "IN", "AttributeValueList": list}}),
        None,
    ));
    let Condition::Or { left, right, .. } = &translated.tree else { panic!("an OR") };
    assert!(matches!(&**left, Condition::Or { .. }));
    assert!(matches!(&**right, Condition::In { list, .. } if list.len() == 50));
    assert_eq!(translated.values.len(), 250);
    for (n, expected) in [("0", true), ("99", true), ("100", true), ("249", true), ("250", false)] {
        let on = item(json!({"a": {"N": n}}));
        assert_eq!(holds(&translated, &on), expected, "{n}");
    }
}

/// The sample item of the evaluation table.
fn sample() -> Item {
    item(json!({
        "s": {"S": "Bicycle 123"},
        "n": {"N": "500"},
        "b": {"B": "AQID"},
        "ss": {"SS": ["Red", "Black"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": ["AQ==", "Ag=="]},
        "l": {"L": [{"N": "341"}, {"S": "x"}, {"BOOL": true}, {"NULL": true}]},
        "m": {"M": {"k": {"S": "v"}}},
        "t": {"BOOL": true},
        "z": {"NULL": true}
    }))
}

#[test]
fn filters_evaluate_with_legacy_semantics() {
    let cases: &[(&str, &str, Value, bool)] = &[
        ("n", "EQ", json!([{"N": "500.0"}]), true),
        ("n", "EQ", json!([{"S": "500"}]), false),
        ("ss", "EQ", json!([{"SS": ["Black", "Red"]}]), true),
        ("m", "EQ", json!([{"M": {"k": {"S": "v"}}}]), true),
        ("z", "EQ", json!([{"NULL": true}]), true),
        ("missing", "EQ", json!([{"S": "x"}]), false),
        ("missing", "NE", json!([{"S": "x"}]), true),
        ("n", "NE", json!([{"S": "500"}]), true),
        ("n", "NE", json!([{"N": "500"}]), false),
        ("n", "LT", json!([{"N": "501"}]), true),
        ("n", "LE", json!([{"N": "500"}]), true),
        ("n", "GT", json!([{"N": "500"}]), false),
        ("n", "GE", json!([{"N": "500"}]), true),
        ("s", "GT", json!([{"N": "1"}]), false),
        ("missing", "LT", json!([{"N": "1"}]), false),
        ("s", "LT", json!([{"S": "bicycle"}]), true),
        ("b", "GT", json!([{"B": "AQI="}]), true),
        ("n", "BETWEEN", json!([{"N": "500"}, {"N": "600"}]), true),
        ("n", "BETWEEN", json!([{"N": "501"}, {"N": "600"}]), false),
        ("s", "BETWEEN", json!([{"N": "1"}, {"N": "600"}]), false),
        ("n", "IN", json!([{"N": "1"}, {"N": "500"}]), true),
        ("n", "IN", json!([{"N": "1"}, {"N": "2"}]), false),
        ("ns", "IN", json!([{"N": "1"}]), false),
        ("missing", "IN", json!([{"N": "1"}]), false),
        ("z", "NULL", json!([]), false),
        ("missing", "NULL", json!([]), true),
        ("z", "NOT_NULL", json!([]), true),
        ("missing", "NOT_NULL", json!([]), false),
        ("s", "CONTAINS", json!([{"S": "cycle"}]), true),
        ("s", "CONTAINS", json!([{"S": "Cycle"}]), false),
        ("ss", "CONTAINS", json!([{"S": "Red"}]), true),
        ("ss", "CONTAINS", json!([{"S": "Re"}]), false),
        ("ns", "CONTAINS", json!([{"N": "2.50"}]), true),
        ("bs", "CONTAINS", json!([{"B": "Ag=="}]), true),
        ("b", "CONTAINS", json!([{"B": "AgM="}]), true),
        ("l", "CONTAINS", json!([{"N": "341"}]), true),
        ("l", "CONTAINS", json!([{"BOOL": true}]), true),
        ("l", "CONTAINS", json!([{"NULL": true}]), true),
        ("n", "CONTAINS", json!([{"N": "500"}]), false),
        ("missing", "CONTAINS", json!([{"S": "x"}]), false),
        ("s", "NOT_CONTAINS", json!([{"S": "cycle"}]), false),
        ("s", "NOT_CONTAINS", json!([{"S": "Cycle"}]), true),
        ("ss", "NOT_CONTAINS", json!([{"S": "Blue"}]), true),
        ("n", "NOT_CONTAINS", json!([{"N": "500"}]), true),
        // The difference from `NOT contains(…)`: a missing attribute does not pass.
        ("missing", "NOT_CONTAINS", json!([{"S": "x"}]), false),
        ("s", "BEGINS_WITH", json!([{"S": "Bi"}]), true),
        ("s", "BEGINS_WITH", json!([{"S": "bi"}]), false),
        ("b", "BEGINS_WITH", json!([{"B": "AQI="}]), true),
        ("ss", "BEGINS_WITH", json!([{"S": "Red"}]), false),
        ("missing", "BEGINS_WITH", json!([{"S": "x"}]), false),
    ];
    let on = sample();
    for (attribute, op, list, result) in cases {
        let parameter =
            json!({ *attribute: {"ComparisonOperator": op, "AttributeValueList": list} });
        let translated = some(filter_of(parameter, None));
        assert_eq!(holds(&translated, &on), *result, "{attribute} {op} {list}");
    }
}

#[test]
fn expected_evaluates_on_present_and_missing_items() {
    let on = sample();
    let empty = Item::new();
    let cases: &[(Value, Option<&str>, bool, bool)] = &[
        (json!({"n": {"Value": {"N": "500"}}}), None, true, false),
        (json!({"n": {"Value": {"N": "5"}, "Exists": true}}), None, false, false),
        (json!({"missing": {"Exists": false}}), None, true, true),
        (json!({"n": {"Exists": false}}), None, false, true),
        (json!({"n": {"Value": {"N": "5"}}, "s": {"Exists": false}}), Some("OR"), false, true),
        (json!({"n": {"Value": {"N": "500"}}, "s": {"Exists": false}}), Some("OR"), true, true),
        (json!({"n": {"Value": {"N": "500"}}, "s": {"Exists": false}}), None, false, false),
        (json!({"missing": {"ComparisonOperator": "NE", "Value": {"S": "x"}}}), None, true, true),
    ];
    for (parameter, operator, present, absent) in cases {
        let translated = some(expected_of(parameter.clone(), *operator));
        assert_eq!(holds(&translated, &on), *present, "{parameter} on the item");
        assert_eq!(holds(&translated, &empty), *absent, "{parameter} on no item");
    }
}

#[test]
fn expected_refusals() {
    let cases: &[(Value, &str)] = &[
        (
            json!({"a": {"Exists": true, "ComparisonOperator": "EQ", "Value": {"S": "x"}}}),
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            json!({"a": {"Value": {"S": "x"}, "AttributeValueList": []}}),
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            json!({"a": {"AttributeValueList": [{"S": "x"}]}}),
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            json!({"a": {"Exists": false, "Value": {"S": "x"}}}),
            "Value cannot be used when Exists is false for Attribute: a",
        ),
        (json!({"a": {}}), "Value must be provided when Exists is null for Attribute: a"),
        (
            json!({"a": {"Exists": true}}),
            "Value must be provided when Exists is true for Attribute: a",
        ),
        (
            json!({"a": {"ComparisonOperator": "EQ"}}),
            "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ),
        (
            json!({"a": {"ComparisonOperator": "NULL", "Value": {"S": "x"}}}),
            "Invalid number of argument(s) for the NULL ComparisonOperator",
        ),
        (
            json!({"a": {"ComparisonOperator": "BETWEEN", "Value": {"S": "x"}}}),
            "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}),
            "Invalid number of argument(s) for the EQ ComparisonOperator",
        ),
        (
            json!({"a": {"ComparisonOperator": "CONTAINS", "Value": {"M": {}}}}),
            "ComparisonOperator CONTAINS is not valid for M AttributeValue type",
        ),
    ];
    for (parameter, detail) in cases {
        let (kind, text) = message(expected_of(parameter.clone(), None));
        assert_eq!(kind, EvalErrorKind::LegacyParameter, "{parameter}");
        assert_eq!(text, format!("{INVALID}{detail}"), "{parameter}");
    }
}

fn refused_filter(op: &str, list: &Value) -> String {
    let parameter = json!({"a": {"ComparisonOperator": op, "AttributeValueList": list}});
    let (kind, text) = message(filter_of(parameter, None));
    assert_eq!(kind, EvalErrorKind::LegacyParameter, "{op} {list}");
    text
}

#[test]
fn argument_count_refusals() {
    let cases: &[(&str, Value)] = &[
        ("EQ", json!([{"S": "x"}, {"S": "y"}])),
        ("NE", json!([])),
        ("LT", json!([])),
        ("NULL", json!([{"S": "x"}])),
        ("NOT_NULL", json!([{"S": "x"}])),
        ("IN", json!([])),
        ("BETWEEN", json!([{"N": "1"}])),
        ("BETWEEN", json!([{"N": "1"}, {"N": "2"}, {"N": "3"}])),
        ("CONTAINS", json!([])),
        ("BEGINS_WITH", json!([{"S": "x"}, {"S": "y"}])),
    ];
    for (op, list) in cases {
        let detail = format!("Invalid number of argument(s) for the {op} ComparisonOperator");
        assert_eq!(refused_filter(op, list), format!("{INVALID}{detail}"), "{op} {list}");
    }
}

#[test]
fn argument_type_refusals() {
    let cases: &[(&str, Value, &str)] = &[
        ("LT", json!([{"BOOL": true}]), "BOOL"),
        ("LE", json!([{"NULL": true}]), "NULL"),
        ("GT", json!([{"SS": ["a"]}]), "SS"),
        ("GE", json!([{"L": []}]), "L"),
        ("IN", json!([{"NS": ["1"]}]), "NS"),
        ("IN", json!([{"S": "x"}, {"BS": ["AQ=="]}]), "BS"),
        ("BETWEEN", json!([{"M": {}}, {"M": {}}]), "M"),
        ("CONTAINS", json!([{"SS": ["a"]}]), "SS"),
        ("CONTAINS", json!([{"M": {}}]), "M"),
        ("NOT_CONTAINS", json!([{"L": []}]), "L"),
        ("BEGINS_WITH", json!([{"N": "1"}]), "N"),
        ("BEGINS_WITH", json!([{"BS": ["AQ=="]}]), "BS"),
        ("BEGINS_WITH", json!([{"BOOL": false}]), "BOOL"),
    ];
    for (op, list, kind) in cases {
        let detail = format!("ComparisonOperator {op} is not valid for {kind} AttributeValue type");
        assert_eq!(refused_filter(op, list), format!("{INVALID}{detail}"), "{op} {list}");
    }
    let same = format!("{INVALID}AttributeValues inside AttributeValueList must be of same type");
    for (op, list) in
        [("IN", json!([{"S": "x"}, {"N": "1"}])), ("BETWEEN", json!([{"N": "1"}, {"S": "x"}]))]
    {
        assert_eq!(refused_filter(op, &list), same, "{op} {list}");
    }
}

#[test]
fn between_bound_refusals() {
    for list in [json!([{"N": "10"}, {"N": "9"}]), json!([{"S": "b"}, {"S": "a"}])] {
        let parameter = json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": list}});
        let (kind, text) = message(filter_of(parameter, None));
        assert_eq!(kind, EvalErrorKind::LegacyParameter);
        assert_eq!(
            text,
            "The BETWEEN condition was provided a range where the lower bound is greater than \
             the upper bound"
        );
    }
    let equal = json!({"a": {"ComparisonOperator": "BETWEEN",
                             "AttributeValueList": [{"N": "9"}, {"N": "9.0"}]}});
    assert!(filter_of(equal, None).is_ok());
}

#[test]
fn conditional_operator_refusals() {
    let one = json!({"a": {"ComparisonOperator": "NULL"}});
    let two = json!({"a": {"ComparisonOperator": "NULL"}, "b": {"ComparisonOperator": "NULL"}});
    let single = "ConditionalOperator can only be used when Filter or Expected has two or more \
                  elements";
    let without = "ConditionalOperator cannot be used without Filter or Expected";
    for operator in ["AND", "OR"] {
        assert_eq!(message(filter_of(one.clone(), Some(operator))).1, single);
        assert_eq!(message(filter_of(json!({}), Some(operator))).1, without);
        assert_eq!(message(expected_of(json!({"a": {"Exists": false}}), Some(operator))).1, single);
        assert_eq!(message(expected_of(json!({}), Some(operator))).1, without);
        assert!(filter_of(two.clone(), Some(operator)).is_ok());
    }
    let (kind, text) = message(filter_of(two, Some("XOR")));
    assert_eq!(kind, EvalErrorKind::LegacyConstraint);
    assert_eq!(
        text,
        "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy \
         constraint: Member must satisfy enum value set: [OR, AND]"
    );
}

#[test]
fn operator_constraint_refusals() {
    let enum_set = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, \
                    GE, CONTAINS]";
    let (kind, text) = message(expected_of(json!({"a": {"ComparisonOperator": "EQUALS"}}), None));
    assert_eq!(kind, EvalErrorKind::LegacyConstraint);
    assert_eq!(
        text,
        format!(
            "1 validation error detected: Value 'EQUALS' at 'expected.a.member.comparisonOperator' \
             failed to satisfy constraint: Member must satisfy enum value set: {enum_set}"
        )
    );
    let parameter = from::<LegacyCondition>(json!({
        "a": {"AttributeValueList": [{"S": "x"}]},
        "b": {"ComparisonOperator": "eq", "AttributeValueList": [{"S": "x"}]}
    }));
    let (kind, text) = message(filter(&parameter, Some("or"), FilterParameter::QueryFilter));
    assert_eq!(kind, EvalErrorKind::LegacyConstraint);
    assert_eq!(
        text,
        format!(
            "3 validation errors detected: Value 'or' at 'conditionalOperator' failed to \
             satisfy constraint: Member must satisfy enum value set: [OR, AND]; Value null at \
             'queryFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must \
             not be null; Value 'eq' at 'queryFilter.b.member.comparisonOperator' failed to \
             satisfy constraint: Member must satisfy enum value set: {enum_set}"
        )
    );
    let (_, text) = message(key_conditions(&from(json!({"k": {}}))));
    assert_eq!(
        text,
        "1 validation error detected: Value null at 'keyConditions.k.member.comparisonOperator' \
         failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn key_condition_translations() {
    let cases: &[(Value, &str)] = &[
        (
            json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}}),
            "(= pk :l0)",
        ),
        (
            json!({
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
                "sk": {"ComparisonOperator": "BETWEEN",
                       "AttributeValueList": [{"N": "1"}, {"N": "2"}]}
            }),
            "(and (= pk :l0) (between sk :l1 :l2))",
        ),
        (
            json!({
                "a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]},
                "b": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}
            }),
            "(and (begins_with a :l0) (= b :l1))",
        ),
    ];
    for (parameter, tree) in cases {
        let translated = key_conditions(&from(parameter.clone())).expect("translates");
        assert_eq!(sexpr(&translated), *tree);
    }
    for op in ["LT", "LE", "GT", "GE"] {
        let parameter =
            json!({"k": {"ComparisonOperator": op, "AttributeValueList": [{"N": "1"}]}});
        assert!(key_conditions(&from(parameter)).is_ok(), "{op}");
    }
    // The translation is a KeyConditionExpression the key-condition analysis takes.
    let translated = key_conditions(&from(cases[1].0.clone())).expect("translates");
    let printed = translated.tree.to_string();
    assert_eq!(printed, "pk = :l0 AND sk BETWEEN :l1 AND :l2");
    let parsed = parse_key_condition(&printed).expect("parses");
    assert_eq!(parsed.to_sexpr(), sexpr(&translated));
}

#[test]
fn key_condition_refusals() {
    let eq = json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]});
    let count = "Conditions can be of length 1 or 2 only";
    assert_eq!(message(key_conditions(&from(json!({})))).1, count);
    let three = json!({"a": eq.clone(), "b": eq.clone(), "c": eq.clone()});
    assert_eq!(message(key_conditions(&from(three))).1, count);
    let not_indexable = "Attempted conditional constraint is not an indexable operation";
    for condition in [
        json!({"ComparisonOperator": "NULL"}),
        json!({"ComparisonOperator": "NOT_NULL"}),
        json!({"ComparisonOperator": "NE", "AttributeValueList": [{"N": "1"}]}),
        json!({"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "a"}]}),
        json!({"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "a"}]}),
        json!({"ComparisonOperator": "IN", "AttributeValueList": [{"S": "a"}]}),
    ] {
        let parameter = json!({"a": eq.clone(), "b": condition.clone()});
        let (kind, text) = message(key_conditions(&from(parameter)));
        assert_eq!((kind, text.as_str()), (EvalErrorKind::LegacyParameter, not_indexable));
    }
    // Argument checks come first.
    let bad = json!({"a": {"ComparisonOperator": "NE"}});
    let (_, text) = message(key_conditions(&from(bad)));
    assert_eq!(
        text,
        format!("{INVALID}Invalid number of argument(s) for the NE ComparisonOperator")
    );
}

fn updates_of(json: Value) -> Result<Option<Translated<UpdateExpression>>, EvalError> {
    attribute_updates(&from::<AttributeValueUpdate>(json))
}

#[test]
fn attribute_update_translations() {
    let translated = updates_of(json!({
        "put": {"Value": {"S": "x"}},
        "put2": {"Action": "PUT", "Value": {"N": "1"}},
        "gone": {"Action": "DELETE"},
        "set": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "count": {"Action": "ADD", "Value": {"N": "1"}},
        "tags": {"Action": "ADD", "Value": {"NS": ["1"]}},
        "log": {"Action": "ADD", "Value": {"L": [{"S": "e"}]}}
    }))
    .expect("translates")
    .expect("an update");
    assert_eq!(
        translated.tree.to_sexpr(),
        "(update (set (= log (list_append (if_not_exists log :l1) :l2)) (= put :l3) \
         (= put2 :l4)) (remove gone) (add (count :l0) (tags :l6)) (delete (set :l5)))"
    );
    assert_eq!(
        values_json(&translated.values),
        json!({":l0": {"N": "1"}, ":l1": {"L": []}, ":l2": {"L": [{"S": "e"}]},
               ":l3": {"S": "x"}, ":l4": {"N": "1"}, ":l5": {"SS": ["a"]}, ":l6": {"NS": ["1"]}})
    );
    let mut placeholders = Placeholders::new(&translated.names, &translated.values);
    placeholders.check_update(&translated.tree).expect("every placeholder defined");
    placeholders.finish().expect("every placeholder used");
    assert_eq!(updates_of(json!({})).expect("translates"), None);
    let removal = updates_of(json!({"select": {"Action": "DELETE"}})).expect("ok").expect("one");
    assert_eq!(removal.tree.to_string(), "REMOVE select");
}

#[test]
fn attribute_update_refusals() {
    let none = "Only DELETE action is allowed when no attribute value is specified";
    for update in [json!({}), json!({"Action": "PUT"}), json!({"Action": "ADD"})] {
        let (kind, text) = message(updates_of(json!({ "a": update })));
        assert_eq!(kind, EvalErrorKind::LegacyParameter);
        assert_eq!(text, format!("{INVALID}{none}"));
    }
    for value in [
        json!({"S": "1"}),
        json!({"N": "1"}),
        json!({"B": "Yg=="}),
        json!({"NULL": true}),
        json!({"BOOL": true}),
        json!({"M": {}}),
        json!({"L": []}),
    ] {
        let kind = value.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
        let (_, text) = message(updates_of(json!({"a": {"Action": "DELETE", "Value": value}})));
        assert_eq!(
            text,
            format!("{INVALID}DELETE action with value is not supported for the type {kind}")
        );
    }
    for value in [
        json!({"S": "1"}),
        json!({"B": "Yg=="}),
        json!({"NULL": true}),
        json!({"BOOL": true}),
        json!({"M": {}}),
    ] {
        let kind = value.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
        let (_, text) = message(updates_of(json!({"a": {"Action": "ADD", "Value": value}})));
        assert_eq!(text, format!("{INVALID}ADD action is not supported for the type {kind}"));
    }
    let (kind, text) = message(updates_of(json!({"a": {"Action": "APPEND", "Value": {"S": "x"}}})));
    assert_eq!(kind, EvalErrorKind::LegacyConstraint);
    assert_eq!(
        text,
        "1 validation error detected: Value 'APPEND' at 'attributeUpdates.a.member.action' \
         failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
    );
}

#[test]
fn mixing_refusals() {
    let prefix = "Can not use both expression and non-expression parameters in the same request: ";
    let cases: &[(&[&str], &[&str], Option<&str>)] = &[
        (
            &["Expected"],
            &["ConditionExpression"],
            Some("{Expected} Expression parameters: {ConditionExpression}"),
        ),
        (
            &["ConditionalOperator", "Expected", "AttributeUpdates"],
            &["ConditionExpression", "UpdateExpression"],
            Some(
                "{AttributeUpdates, Expected, ConditionalOperator} Expression parameters: \
                 {UpdateExpression, ConditionExpression}",
            ),
        ),
        (
            &["QueryFilter"],
            &["KeyConditionExpression"],
            Some("{QueryFilter} Expression parameters: {KeyConditionExpression}"),
        ),
        (
            &["KeyConditions", "AttributesToGet"],
            &["KeyConditionExpression", "FilterExpression", "ProjectionExpression"],
            Some(
                "{AttributesToGet, KeyConditions} Expression parameters: {ProjectionExpression, \
                 FilterExpression, KeyConditionExpression}",
            ),
        ),
        (&["KeyConditions"], &["FilterExpression", "ProjectionExpression"], None),
        (&["Expected"], &[], None),
        (&[], &["ConditionExpression"], None),
    ];
    for (legacy, modern, expected) in cases {
        let result = check_mixing(legacy, modern);
        match expected {
            None => assert!(result.is_ok(), "{legacy:?} {modern:?}"),
            Some(tail) => {
                let (kind, text) = message(result);
                assert_eq!(kind, EvalErrorKind::MixedParameters);
                assert_eq!(text, format!("{prefix}Non-expression parameters: {tail}"));
            }
        }
    }
}

#[test]
fn translated_values_compare_like_attribute_values() {
    // A sanity check of the helpers the tables lean on.
    let translated = some(expected_of(json!({"a": {"Value": {"SS": ["x", "y"]}}}), None));
    assert_eq!(
        translated.values.get(":l0"),
        Some(&AttributeValue::Ss(vec!["x".to_owned(), "y".to_owned()]))
    );
}
