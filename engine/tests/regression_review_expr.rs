//! Regressions from the review of the expression operations: each test failed before its fix.
//!
//! - an UpdateItem that nested a value deeper than 32 levels was stored and could not be read
//!   back (now refused as PutItem refuses it);
//! - a single-row Query with `Limit` handed out a `LastEvaluatedKey` it then refused;
//! - a parallel Scan accepted a start key from another segment (repeating or skipping items);
//! - an empty attribute name through `ExpressionAttributeNames`, and attribute names of 64 KB;
//! - UpdateItem's size message and the order of its checks.
#![allow(clippy::unwrap_used, missing_docs)]

use basalt::api::*;
use basalt::model::Item;
use basalt::Db;
use serde_json::{json, Value};

fn req<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("request decodes")
}

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    (dir, db)
}

#[track_caller]
fn assert_validation<T: std::fmt::Debug>(result: Result<T, DbError>, message: &str) {
    let error = result.expect_err("the request must fail");
    assert_eq!((error.name(), error.message().as_str()), ("ValidationException", message));
}

/// UpdateItem past 400 KB: "Item size to update has exceeded the maximum allowed size" (API
/// Reference, UpdateItem, ValidationException causes; no byte count).
#[test]
fn update_too_large_message() {
    let (_dir, db) = open();
    range_table(&db);
    assert_validation(
        db.update_item(req(json!({
            "TableName": "Tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET a = :v",
            "ExpressionAttributeValues": {":v": {"S": "x".repeat(409_600)}}
        }))),
        "Item size to update has exceeded the maximum allowed size",
    );
}

/// Overlapping update paths are an expression error, found while parsing, before the table is
/// looked up (dynalite's `updateParser`, run during request validation).
#[test]
fn overlapping_update_paths_are_refused_before_the_table_lookup() {
    let (_dir, db) = open();
    assert_validation(
        db.update_item(req(json!({
            "TableName": "Missing", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET a = :v, a = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}
        }))),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
    );
}

#[test]
fn an_empty_name_placeholder_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    db.create_table(req(json!({
        "TableName": "Hash",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
    let result = db.update_item(req(json!({
        "TableName": "Hash", "Key": {"id": {"S": "a"}},
        "UpdateExpression": "SET #e = :v",
        "ExpressionAttributeNames": {"#e": ""},
        "ExpressionAttributeValues": {":v": {"S": "x"}}
    })));
    let stored = db
        .get_item(req(
            json!({"TableName": "Hash", "Key": {"id": {"S": "a"}}, "ConsistentRead": true}),
        ))
        .unwrap()
        .item;
    // DynamoDB: "ExpressionAttributeNames contains invalid value: Empty attribute name for key #e".
    let error = result.expect_err("DynamoDB refuses an empty attribute name");
    assert_eq!(
        (error.name(), error.message().as_str()),
        (
            "ValidationException",
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"
        )
    );
    assert_eq!(stored, None, "a refused request must write nothing");
}

/// DynamoDB refuses attribute names of 65,536 bytes or more, top-level or nested, from PutItem
/// and from UpdateItem (`SET #n = :v`): "1 validation error detected: Attribute name is too
/// large, must be less than 65536 bytes" (measured against the service, ExtendDB/extenddb#365).
#[test]
fn an_attribute_name_of_64_kb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    db.create_table(req(json!({
        "TableName": "Hash",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
    let long = "n".repeat(65_536);
    let update = db.update_item(req(json!({
        "TableName": "Hash", "Key": {"id": {"S": "u"}},
        "UpdateExpression": "SET #n = :v",
        "ExpressionAttributeNames": {"#n": long},
        "ExpressionAttributeValues": {":v": {"S": "x"}}
    })));
    let put = db.put_item(req(
        json!({"TableName": "Hash", "Item": {"id": {"S": "p"}, long.clone(): {"S": "x"}}}),
    ));
    let message =
        "1 validation error detected: Attribute name is too large, must be less than 65536 bytes";
    for (what, result) in [("UpdateItem", update), ("PutItem", put)] {
        let error = result.expect_err(what);
        assert_eq!(
            (error.name(), error.message().as_str()),
            ("ValidationException", message),
            "{what}"
        );
    }
}

/// A map nested `levels` levels deep: `{"m": {"M": {"m": … {"x": {"S": "leaf"}}}}}`.
fn nested(levels: usize) -> Value {
    let mut value = json!({"S": "leaf"});
    for _ in 0..levels {
        value = json!({"M": {"m": value}});
    }
    value
}

#[test]
fn update_refuses_an_item_nested_deeper_than_32_levels() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    db.create_table(req(json!({
        "TableName": "Hash",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
    // 20 levels of maps: a legal item.
    db.put_item(req(json!({"TableName": "Hash", "Item": {"id": {"S": "a"}, "a": nested(20)}})))
        .unwrap();
    // A 19-step path into it, given a value that is itself 30 levels deep (legal on its own):
    // the item would be nested about 50 levels deep.
    let path =
        std::iter::once("a").chain(std::iter::repeat_n("m", 18)).collect::<Vec<_>>().join(".");
    let result = db.update_item(req(json!({
        "TableName": "Hash", "Key": {"id": {"S": "a"}},
        "UpdateExpression": format!("SET {path}.deep = :v"),
        "ExpressionAttributeValues": {":v": nested(30)}
    })));
    let read = db.get_item(req(json!({"TableName": "Hash", "Key": {"id": {"S": "a"}}})));
    let scan = db.scan(req(json!({"TableName": "Hash"})));
    eprintln!(
        "update: {:?}\nread: {:?}\nscan: {:?}",
        result.as_ref().map(|_| ()),
        read.as_ref().map(|_| ()).map_err(|e| e.message()),
        scan.as_ref().map(|_| ()).map_err(|e| e.message())
    );
    // DynamoDB: ValidationException "Nesting Levels have exceeded supported limits" (API
    // Reference, UpdateItem errors), and the item stays readable.
    let error = result.expect_err("DynamoDB refuses the update");
    assert_eq!(error.name(), "ValidationException", "{}", error.message());
    assert!(
        error.message().contains("Nesting Levels have exceeded supported limits"),
        "{}",
        error.message()
    );
    read.expect("the item stays readable");
    scan.expect("the table stays scannable");
}

fn hash_table(db: &Db) {
    db.create_table(req(json!({
        "TableName": "Hash",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
}

fn range_table(db: &Db) {
    db.create_table(req(json!({
        "TableName": "Tab",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
}

/// Pages a Query to the end, as every SDK paginator does.
fn query_all(db: &Db, request: Value) -> Result<Vec<Item>, DbError> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut request = request.clone();
        if let Some(start) = &start {
            request["ExclusiveStartKey"] = serde_json::to_value(start).unwrap();
        }
        let page = db.query(req(request))?;
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(items),
        }
    }
}

/// A paginated Query on a hash-only table (or with `sk = :v`) and `Limit: 1` gets a
/// LastEvaluatedKey on its first page, and the next page, sent with that very key, is refused
/// with "The query can return at most one row and cannot be restarted": the paginator fails
/// instead of ending. dynalite's `actions/query.js` (recorded against DynamoDB) accepts such a
/// start key when its partition matches the condition (the next page is empty and final); it
/// gives that message only for a start key whose sort key matches the range predicate but whose
/// partition does not.
#[test]
fn a_single_row_query_with_limit_can_be_paged_to_its_end() {
    let (_dir, db) = open();
    hash_table(&db);
    range_table(&db);
    db.put_item(req(json!({"TableName": "Hash", "Item": {"id": {"S": "a"}}}))).unwrap();
    db.put_item(req(json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}})))
        .unwrap();
    let hash = query_all(
        &db,
        json!({
            "TableName": "Hash", "KeyConditionExpression": "id = :v",
            "ExpressionAttributeValues": {":v": {"S": "a"}}, "Limit": 1
        }),
    );
    let exact = query_all(
        &db,
        json!({
            "TableName": "Tab", "KeyConditionExpression": "pk = :p AND sk = :s",
            "ExpressionAttributeValues": {":p": {"S": "a"}, ":s": {"N": "1"}}, "Limit": 1
        }),
    );
    assert_eq!(hash.map(|i| i.len()).map_err(|e| e.message()), Ok(1));
    assert_eq!(exact.map(|i| i.len()).map_err(|e| e.message()), Ok(1));
}

/// A parallel Scan given an ExclusiveStartKey of another segment: Basalt reads its own segment
/// from the start (a key of an earlier segment: items repeated) or returns an empty, final page
/// (a key of a later segment: items silently skipped). DynamoDB refuses the request:
/// "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use
/// ExclusiveStartKey with correct Segment. TotalSegments: … Segment: …" (measured by ScyllaDB's
/// Alternator team against DynamoDB, scylladb/scylladb#9270 and #9272).
#[test]
fn a_start_key_of_another_segment_is_refused() {
    let (_dir, db) = open();
    hash_table(&db);
    for i in 0..64 {
        db.put_item(req(json!({"TableName": "Hash", "Item": {"id": {"S": format!("k{i}")}}})))
            .unwrap();
    }
    // The keys of segment 0 and of segment 1 of 2.
    let segment_keys = |segment: i64| -> Vec<Item> {
        let page = db
            .scan(req(json!({"TableName": "Hash", "Segment": segment, "TotalSegments": 2})))
            .unwrap();
        page.items.unwrap()
    };
    let (first, second) = (segment_keys(0), segment_keys(1));
    assert!(!first.is_empty() && !second.is_empty());
    for (segment, foreign) in [(1, &first[0]), (0, &second[0])] {
        let result = db.scan(req(json!({
            "TableName": "Hash", "Segment": segment, "TotalSegments": 2,
            "ExclusiveStartKey": serde_json::to_value(foreign).unwrap()
        })));
        let error = result.expect_err("DynamoDB refuses a start key of another segment");
        assert_eq!(error.name(), "ValidationException");
        assert!(
            error.message().starts_with("The provided starting key is invalid"),
            "{}",
            error.message()
        );
    }
}
