//! Tests of placeholder resolution and condition evaluation: tables of conditions over an item
//! shaped like the Developer Guide's `ProductCatalog` example (DG: Comparison operator and
//! function reference; Condition expressions), with the expected result of each, and every
//! resolution error with DynamoDB's message.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::model::{item_from_json, AttributeValue, Item};

/// The DG's bicycle 123, plus a few attributes for binary, number-set and non-ASCII cases.
fn product() -> Item {
    item_from_json(&json!({
        "Id": {"N": "123"},
        "Title": {"S": "Bicycle 123"},
        "Brand": {"S": "Brand-Company C"},
        "Price": {"N": "500"},
        "Color": {"SS": ["Red", "Black"]},
        "ProductCategory": {"S": "Bicycle"},
        "InStock": {"BOOL": true},
        "QuantityOnHand": {"NULL": true},
        "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
        "Pictures": {"M": {
            "FrontView": {"S": "http://example.com/products/123_front.jpg"},
            "RearView": {"S": "http://example.com/products/123_rear.jpg"},
            "SideView": {"S": "http://example.com/products/123_left_side.jpg"}
        }},
        "ProductReviews": {"M": {
            "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]}
        }},
        "Safety.Warning": {"S": "Always wear a helmet"},
        "Bin": {"B": "AQID"},
        "Sizes": {"NS": ["1", "2.5", "10"]},
        "Greeting": {"S": "h\u{e9}llo"}
    }))
    .expect("a valid item")
}

fn names() -> BTreeMap<String, String> {
    [("#sw", "Safety.Warning"), ("#pr", "ProductReviews"), ("#p", "Pictures")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn values() -> Item {
    item_from_json(&json!({
        ":n2": {"N": "2"}, ":n3": {"N": "3"}, ":n6": {"N": "6"}, ":n20": {"N": "20"},
        ":n341": {"N": "341"}, ":n400": {"N": "400"}, ":n500": {"N": "500"},
        ":n500x": {"N": "500.00"}, ":n600": {"N": "600"}, ":n25": {"N": "2.50"},
        ":s500": {"S": "500"}, ":s341": {"S": "341"}, ":sB": {"S": "B"}, ":sC": {"S": "C"},
        ":sa": {"S": "a"}, ":sBi": {"S": "Bi"}, ":sbi": {"S": "bi"},
        ":sBicycle": {"S": "Bicycle"}, ":sBook": {"S": "Book"}, ":red": {"S": "Red"},
        ":blue": {"S": "Blue"}, ":company": {"S": "Company"}, ":http": {"S": "http://"},
        ":terrible": {"S": "Terrible product! Do not buy this."},
        ":colors": {"SS": ["Black", "Red"]}, ":redOnly": {"SS": ["Red"]},
        ":related": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
        ":reversed": {"L": [{"N": "649"}, {"N": "472"}, {"N": "341"}]},
        ":true": {"BOOL": true}, ":null": {"NULL": true},
        ":bin12": {"B": "AQI="}, ":bin23": {"B": "AgM="},
        ":tS": {"S": "S"}, ":tN": {"S": "N"}, ":tSS": {"S": "SS"}, ":tNULL": {"S": "NULL"},
        ":tBOOL": {"S": "BOOL"}, ":tL": {"S": "L"}, ":tM": {"S": "M"}, ":tX": {"S": "X"}
    }))
    .expect("valid values")
}

/// Parses, checks and evaluates `source` over [`product`].
fn eval(source: &str) -> Result<bool, EvalError> {
    let condition = parse_condition(source).expect("the condition parses");
    let (names, values, item) = (names(), values(), product());
    let mut placeholders = Placeholders::new(&names, &values);
    placeholders.check_condition(&condition, ExpressionKind::Condition)?;
    evaluate(&condition, &item, placeholders.bindings(), ExpressionKind::Condition)
}

fn check_table(cases: &[(&str, bool)]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|&(source, expected)| {
            let got = eval(source);
            (got != Ok(expected)).then(|| format!("{source}: expected {expected}, got {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const COMPARISONS: &[(&str, bool)] = &[
    ("Price = :n500", true),
    ("Price = :n500x", true),
    ("Price = :s500", false),
    ("Price <> :s500", true),
    ("Price <> :n500", false),
    ("Manufacturer = :n500", false),
    ("Manufacturer <> :n500", true),
    ("Price < :n600", true),
    ("Price < :n400", false),
    ("Price <= :n500", true),
    ("Price >= :n500", true),
    ("Price > :n500", false),
    ("Price > :s500", false),
    ("Price < :s500", false),
    ("Manufacturer < :n600", false),
    ("Manufacturer >= :n400", false),
    ("Price > Id", true),
    ("Title < :sa", true),
    ("Title > :sB", true),
    ("Title < :sC", true),
    ("Color = :colors", true),
    ("Color = :redOnly", false),
    ("Color <> :redOnly", true),
    ("Color < :colors", false),
    ("RelatedItems = :related", true),
    ("RelatedItems = :reversed", false),
    ("RelatedItems[0] = :n341", true),
    ("InStock = :true", true),
    ("QuantityOnHand = :null", true),
    ("QuantityOnHand = :true", false),
    ("QuantityOnHand <> :true", true),
    ("#p.FrontView = :http", false),
    ("#pr.OneStar[0] = :terrible", true),
];

#[test]
fn comparisons() {
    check_table(COMPARISONS);
}

const RANGES_AND_LOGIC: &[(&str, bool)] = &[
    ("Price BETWEEN :n400 AND :n600", true),
    ("Price BETWEEN :n500 AND :n500", true),
    ("Price BETWEEN :n500x AND :n600", true),
    ("Price BETWEEN :n341 AND :n400", false),
    ("Title BETWEEN :sB AND :sC", true),
    ("Manufacturer BETWEEN :n400 AND :n600", false),
    ("Title BETWEEN :n400 AND :n600", false),
    ("ProductCategory IN (:sBook, :sBicycle)", true),
    ("ProductCategory IN (:sBook)", false),
    ("Price IN (:s500, :n500x)", true),
    ("Color IN (:redOnly, :colors)", true),
    ("Manufacturer IN (:n500)", false),
    ("Price = :n500 AND attribute_exists(Color)", true),
    ("Price = :n400 AND attribute_exists(Color)", false),
    ("Price = :n400 OR ProductCategory = :sBicycle", true),
    ("NOT Price = :n500", false),
    ("NOT (Price = :n400 OR Price = :n600)", true),
    ("Price = :n400 OR Price = :n500 AND Title = :sB", false),
    ("(Price = :n400 OR Price = :n500) AND NOT Title = :sB", true),
];

#[test]
fn between_in_and_logic() {
    check_table(RANGES_AND_LOGIC);
}

const FUNCTIONS: &[(&str, bool)] = &[
    ("attribute_exists(Pictures.SideView)", true),
    ("attribute_exists(#p.TopView)", false),
    ("attribute_not_exists(Manufacturer)", true),
    ("attribute_not_exists(Price)", false),
    ("attribute_exists(#sw)", true),
    ("attribute_exists(Safety.Warning)", false),
    ("attribute_exists(RelatedItems[2])", true),
    ("attribute_exists(RelatedItems[3])", false),
    ("attribute_exists(Title[0])", false),
    ("attribute_exists(RelatedItems.Width)", false),
    ("attribute_type(Color, :tSS)", true),
    ("attribute_type(Price, :tN)", true),
    ("attribute_type(Price, :tS)", false),
    ("attribute_type(QuantityOnHand, :tNULL)", true),
    ("attribute_type(InStock, :tBOOL)", true),
    ("attribute_type(RelatedItems, :tL)", true),
    ("attribute_type(Pictures, :tM)", true),
    ("attribute_type(Manufacturer, :tS)", false),
    ("begins_with(Pictures.FrontView, :http)", true),
    ("begins_with(Title, :sBi)", true),
    ("begins_with(Title, :sbi)", false),
    ("begins_with(Bin, :bin12)", true),
    ("begins_with(Bin, :bin23)", false),
    ("begins_with(Price, :sBi)", false),
    ("begins_with(Manufacturer, :sBi)", false),
    ("contains(Brand, :company)", true),
    ("contains(Color, :red)", true),
    ("contains(Color, :blue)", false),
    ("contains(Sizes, :n25)", true),
    ("contains(RelatedItems, :n341)", true),
    ("contains(RelatedItems, :s341)", false),
    ("contains(#pr.OneStar, :terrible)", true),
    ("contains(Bin, :bin23)", true),
    ("contains(Price, :n500)", false),
    ("contains(Manufacturer, :red)", false),
];

#[test]
fn functions() {
    check_table(FUNCTIONS);
}

const SIZES: &[(&str, bool)] = &[
    ("size(Brand) <= :n20", true),
    ("size(Color) = :n2", true),
    ("size(RelatedItems) = :n3", true),
    ("size(Pictures) = :n3", true),
    ("size(Bin) = :n3", true),
    ("size(Sizes) = :n3", true),
    ("size(Greeting) = :n6", true),
    ("size(Price) = :n3", false),
    ("NOT size(Price) = :n3", true),
    ("size(Manufacturer) < :n6", false),
    ("size(Manufacturer) <> :n6", true),
    ("size(Color) BETWEEN :n2 AND :n3", true),
    ("size(Color) IN (:n3, :n2)", true),
];

#[test]
fn sizes() {
    check_table(SIZES);
}

#[test]
fn paths_resolve_step_by_step() {
    let item = product();
    let at = |steps: &[Step<'_>]| get_path(&item, steps).cloned();
    assert_eq!(at(&[Step::Name("Price")]), item.get("Price").cloned());
    let second = at(&[Step::Name("RelatedItems"), Step::Index(1)]);
    assert_eq!(second.as_ref().map(type_name), Some("N"));
    assert_eq!(at(&[Step::Name("RelatedItems"), Step::Index(9)]), None);
    assert_eq!(at(&[Step::Name("Title"), Step::Index(0)]), None);
    assert_eq!(at(&[Step::Name("Title"), Step::Name("x")]), None);
    assert_eq!(at(&[Step::Name("Pictures"), Step::Index(0)]), None);
    assert_eq!(at(&[Step::Index(0)]), None);
    assert_eq!(at(&[]), None);
    let front = at(&[Step::Name("Pictures"), Step::Name("FrontView")]);
    assert!(matches!(front, Some(AttributeValue::S(s)) if s.ends_with("front.jpg")));
}

fn error(source: &str) -> String {
    match eval(source) {
        Ok(result) => format!("no error: {result}"),
        Err(error) => error.message,
    }
}

#[test]
fn undefined_placeholders() {
    assert_eq!(
        error("#nope = :n500"),
        "Invalid ConditionExpression: An expression attribute name used in the document path is \
         not defined; attribute name: #nope"
    );
    assert_eq!(
        error("Price = :nope"),
        "Invalid ConditionExpression: An expression attribute value used in expression is not \
         defined; attribute value: :nope"
    );
    // Evaluating without the check reports them too, naming the expression's parameter.
    let condition = parse_filter("a.#b = :c").expect("parses");
    let (names, values) = (BTreeMap::new(), Item::new());
    let bindings = Bindings::new(&names, &values);
    let got = evaluate(&condition, &Item::new(), bindings, ExpressionKind::Filter);
    let err = got.expect_err("#b is undefined");
    assert_eq!(err.kind, EvalErrorKind::UndefinedName);
    assert!(err.message.starts_with("Invalid FilterExpression: "), "{}", err.message);
}

#[test]
fn value_checks_before_evaluation() {
    assert_eq!(
        error("attribute_type(Price, :tX)"),
        "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: \
         {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    );
    assert_eq!(
        error("attribute_type(Price, :n500)"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator \
         or function: attribute_type, operand type: N"
    );
    assert_eq!(
        error("begins_with(Title, :n500)"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator \
         or function: begins_with, operand type: N"
    );
    assert_eq!(
        error("begins_with(Title, size(Brand))"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator \
         or function: begins_with, operand type: N"
    );
    assert_eq!(
        error("attribute_type(Price, Title)"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator \
         or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
    );
}

#[test]
fn between_bounds_are_checked_when_both_are_values() {
    assert_eq!(
        error("Price BETWEEN :n600 AND :n400"),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater \
         than or equal to lower bound; lower bound operand: AttributeValue: {N:600}, upper bound \
         operand: AttributeValue: {N:400}"
    );
    assert_eq!(
        error("Price BETWEEN :sB AND :n400"),
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and \
         upper bounds; lower bound operand: AttributeValue: {S:B}, upper bound operand: \
         AttributeValue: {N:400}"
    );
    assert_eq!(
        error("Bin BETWEEN :bin23 AND :bin12"),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater \
         than or equal to lower bound; lower bound operand: AttributeValue: {B:AgM=}, upper bound \
         operand: AttributeValue: {B:AQI=}"
    );
    // A bound read from the item is only known later: no error, just false.
    assert_eq!(eval("Price BETWEEN Id AND :n400"), Ok(false));
}

fn map(keys: &[&str]) -> BTreeMap<String, String> {
    keys.iter().map(|k| ((*k).to_owned(), "a".to_owned())).collect()
}

fn value_map(keys: &[&str]) -> Item {
    keys.iter().map(|k| ((*k).to_owned(), AttributeValue::Null)).collect()
}

#[test]
fn unused_placeholders_are_reported() {
    let (names, values) = (map(&["#a", "#b", "#c"]), value_map(&[":x", ":y"]));
    let condition = parse_condition("#c = :x").expect("parses");
    let mut placeholders = Placeholders::new(&names, &values);
    placeholders.check_condition(&condition, ExpressionKind::Condition).expect("defined");
    let err = placeholders.finish().expect_err("#a, #b and :y are unused");
    assert_eq!(err.kind, EvalErrorKind::UnusedNames);
    assert_eq!(
        err.message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    );

    let names = map(&["#c"]);
    let mut placeholders = Placeholders::new(&names, &values);
    placeholders.check_condition(&condition, ExpressionKind::Condition).expect("defined");
    let err = placeholders.finish().expect_err(":y is unused");
    assert_eq!(err.kind, EvalErrorKind::UnusedValues);
    assert_eq!(
        err.message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}"
    );
}

#[test]
fn expressions_of_one_request_share_the_accounting() {
    let (names, values) = (map(&["#c", "#u", "#p"]), value_map(&[":x", ":y"]));
    let condition = parse_condition("attribute_exists(#c) AND b = :x").expect("parses");
    let update = parse_update("SET #u = :y REMOVE z").expect("parses");
    let projection = parse_projection("a, #p[1].b").expect("parses");

    let mut placeholders = Placeholders::new(&names, &values);
    placeholders.check_condition(&condition, ExpressionKind::Condition).expect("defined");
    placeholders.check_update(&update).expect("defined");
    placeholders.check_projection(&projection).expect("defined");
    placeholders.finish().expect("every placeholder is used");

    let mut placeholders = Placeholders::new(&names, &values);
    placeholders.check_condition(&condition, ExpressionKind::Condition).expect("defined");
    placeholders.check_projection(&projection).expect("defined");
    let err = placeholders.finish().expect_err("the update's placeholders are unused");
    assert_eq!(
        err.message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
    );

    let update = parse_update("ADD n :missing").expect("parses");
    let err = Placeholders::new(&names, &values).check_update(&update).expect_err("undefined");
    assert_eq!(
        err.message,
        "Invalid UpdateExpression: An expression attribute value used in expression is not \
         defined; attribute value: :missing"
    );
}
