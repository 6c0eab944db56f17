//! Expressions through `basalt::Db`: conditional writes, UpdateItem, Query and Scan (with their
//! legacy parameters), with DynamoDB's answers and messages. Requests are DynamoDB's wire JSON.

#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;

use basalt::api::*;
use basalt::model::{AttributeValue, Item};
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

/// Table `T`: `pk` (S) and `sk` (N).
fn range_table(db: &Db) {
    db.create_table(req(json!({
        "TableName": "Tab",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
}

/// Table `H`: `id` (S) only.
fn hash_table(db: &Db) {
    db.create_table(req(json!({
        "TableName": "Hash",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
}

fn item(value: Value) -> Item {
    serde_json::from_value(value).unwrap()
}

fn put(db: &Db, table: &str, value: Value) {
    db.put_item(req(json!({"TableName": table, "Item": value}))).unwrap();
}

fn get(db: &Db, table: &str, key: Value) -> Option<Item> {
    db.get_item(req(json!({"TableName": table, "Key": key, "ConsistentRead": true}))).unwrap().item
}

#[track_caller]
fn assert_error<T: std::fmt::Debug>(result: Result<T, DbError>, name: &str, message: &str) {
    let error = result.expect_err("the request must fail");
    assert_eq!((error.name(), error.message().as_str()), (name, message));
}

#[track_caller]
fn assert_validation<T: std::fmt::Debug>(result: Result<T, DbError>, message: &str) {
    assert_error(result, "ValidationException", message);
}

fn sk_of(items: &[Item]) -> Vec<i64> {
    items.iter().map(|i| i["sk"].as_n().unwrap().to_i64().unwrap()).collect()
}

#[test]
fn conditional_put_and_delete() {
    let (_dir, db) = open();
    hash_table(&db);
    let create = json!({
        "TableName": "Hash", "Item": {"id": {"S": "a"}, "v": {"N": "1"}},
        "ConditionExpression": "attribute_not_exists(id)"
    });
    db.put_item(req(create.clone())).unwrap();
    assert_error(
        db.put_item(req(create.clone())),
        "ConditionalCheckFailedException",
        "The conditional request failed",
    );
    // With ALL_OLD the failure carries the item as it is.
    let mut with_old = create.clone();
    with_old["ReturnValuesOnConditionCheckFailure"] = json!("ALL_OLD");
    with_old["Item"]["v"] = json!({"N": "2"});
    match db.put_item(req(with_old)).unwrap_err() {
        DbError::ConditionalCheckFailed { item: Some(old), .. } => {
            assert_eq!(old, item(json!({"id": {"S": "a"}, "v": {"N": "1"}})));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(get(&db, "Hash", json!({"id": {"S": "a"}})).unwrap()["v"], AttributeValue::from(1));
    // A condition on values, with placeholders.
    let guarded = |expected: i64| {
        db.put_item(req(json!({
            "TableName": "Hash", "Item": {"id": {"S": "a"}, "v": {"N": (expected + 1).to_string()}},
            "ConditionExpression": "#v = :e",
            "ExpressionAttributeNames": {"#v": "v"},
            "ExpressionAttributeValues": {":e": {"N": expected.to_string()}}
        })))
    };
    guarded(1).unwrap();
    assert!(guarded(1).is_err());
    guarded(2).unwrap();
    // DeleteItem with a condition.
    let delete = |v: i64| {
        db.delete_item(req(json!({
            "TableName": "Hash", "Key": {"id": {"S": "a"}},
            "ConditionExpression": "v > :v", "ExpressionAttributeValues": {":v": {"N": v.to_string()}}
        })))
    };
    assert_error(delete(3), "ConditionalCheckFailedException", "The conditional request failed");
    delete(2).unwrap();
    assert_eq!(get(&db, "Hash", json!({"id": {"S": "a"}})), None);
    // A condition on a missing item sees no attributes.
    assert!(delete(0).is_err());
}

#[test]
fn placeholder_accounting_and_mixing() {
    let (_dir, db) = open();
    hash_table(&db);
    let base = json!({"TableName": "Hash", "Item": {"id": {"S": "a"}}});
    let with = |extra: Value| {
        let mut request = base.clone();
        merge(&mut request, &extra);
        db.put_item(req(request))
    };
    assert_validation(
        with(
            json!({"ConditionExpression": "attribute_not_exists(id)", "ExpressionAttributeValues": {":x": {"S": "x"}}}),
        ),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
    );
    assert_validation(
        with(json!({"ConditionExpression": "#n = :x", "ExpressionAttributeValues": {":x": {"S": "x"}}})),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n",
    );
    assert_validation(
        with(json!({"ExpressionAttributeValues": {":x": {"S": "x"}}})),
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null",
    );
    assert_validation(
        with(json!({"ExpressionAttributeNames": {"#x": "x"}})),
        "ExpressionAttributeNames can only be specified when using expressions",
    );
    assert_validation(
        with(json!({"ConditionExpression": "attribute_not_exists(id)", "Expected": {"id": {"Exists": false}}})),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    );
    assert_validation(
        with(json!({"ConditionExpression": "size(id) = :x", "ExpressionAttributeValues": {}})),
        "ExpressionAttributeValues must not be empty",
    );
    // Nothing was written by any refused request.
    assert_eq!(get(&db, "Hash", json!({"id": {"S": "a"}})), None);
}

#[test]
fn legacy_expected() {
    let (_dir, db) = open();
    hash_table(&db);
    let put_if = |expected: Value| {
        db.put_item(req(json!({"TableName": "Hash", "Item": {"id": {"S": "a"}, "n": {"N": "5"}}, "Expected": expected})))
    };
    put_if(json!({"id": {"Exists": false}})).unwrap();
    assert!(put_if(json!({"id": {"Exists": false}})).is_err());
    put_if(json!({"n": {"Value": {"N": "5"}}})).unwrap();
    put_if(json!({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]}}))
        .unwrap();
    let failed =
        put_if(json!({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]}}));
    assert_error(failed, "ConditionalCheckFailedException", "The conditional request failed");
    let or = json!({
        "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]},
        "id": {"ComparisonOperator": "NOT_NULL"}
    });
    let request = json!({"TableName": "Hash", "Item": {"id": {"S": "a"}}, "Expected": or, "ConditionalOperator": "OR"});
    db.put_item(req(request)).unwrap();
}

#[test]
fn update_item_expressions_and_return_values() {
    let (_dir, db) = open();
    range_table(&db);
    let key = json!({"pk": {"S": "p"}, "sk": {"N": "1"}});
    let update = |expression: &str, values: Value, return_values: &str| {
        let mut request = json!({"TableName": "Tab", "Key": key, "UpdateExpression": expression, "ReturnValues": return_values});
        if values.as_object().is_some_and(|o| !o.is_empty()) {
            request["ExpressionAttributeValues"] = values;
        }
        db.update_item(req(request))
    };
    // Creates the item when missing.
    let out = update(
        "SET a = :a, l = :l",
        json!({":a": {"N": "10"}, ":l": {"L": [{"S": "x"}]}}),
        "ALL_NEW",
    )
    .unwrap();
    assert_eq!(
        out.attributes.unwrap(),
        item(
            json!({"pk": {"S": "p"}, "sk": {"N": "1"}, "a": {"N": "10"}, "l": {"L": [{"S": "x"}]}})
        )
    );
    let out =
        update("SET a = a + :one ADD c :one", json!({":one": {"N": "1"}}), "UPDATED_NEW").unwrap();
    assert_eq!(out.attributes.unwrap(), item(json!({"a": {"N": "11"}, "c": {"N": "1"}})));
    let out =
        update("SET l = list_append(l, :m)", json!({":m": {"L": [{"S": "y"}]}}), "UPDATED_OLD")
            .unwrap();
    assert_eq!(out.attributes.unwrap(), item(json!({"l": {"L": [{"S": "x"}]}})));
    let out = update("ADD s :s", json!({":s": {"SS": ["a", "b"]}}), "NONE").unwrap();
    assert_eq!(out.attributes, None);
    let out = update("DELETE s :s REMOVE l[0]", json!({":s": {"SS": ["a"]}}), "ALL_OLD").unwrap();
    assert_eq!(
        out.attributes.unwrap()["l"],
        item(json!({"x": {"L": [{"S": "x"}, {"S": "y"}]}}))["x"]
    );
    let now = get(&db, "Tab", key.clone()).unwrap();
    assert_eq!(now["s"], item(json!({"x": {"SS": ["b"]}}))["x"]);
    assert_eq!(now["l"], item(json!({"x": {"L": [{"S": "y"}]}}))["x"]);
    // Errors change nothing.
    assert_validation(
        update("SET pk = :a", json!({":a": {"S": "q"}}), "NONE"),
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
    );
    assert_validation(
        update("SET a = :a, a = :b", json!({":a": {"N": "1"}, ":b": {"N": "2"}}), "NONE"),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
    );
    let error = update("SET m.x = :a", json!({":a": {"N": "1"}}), "NONE").unwrap_err();
    assert_eq!(
        error.message(),
        "The document path provided in the update expression is invalid for update"
    );
    assert_eq!(get(&db, "Tab", key.clone()).unwrap(), now);
    // A condition on the update.
    let conditional = db.update_item(req(json!({
        "TableName": "Tab", "Key": key, "UpdateExpression": "SET a = :z",
        "ConditionExpression": "a = :z", "ExpressionAttributeValues": {":z": {"N": "0"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
    })));
    match conditional.unwrap_err() {
        DbError::ConditionalCheckFailed { item: Some(old), .. } => assert_eq!(old, now),
        other => panic!("unexpected {other:?}"),
    }
    // Legacy AttributeUpdates.
    let legacy = db.update_item(req(json!({
        "TableName": "Tab", "Key": key,
        "AttributeUpdates": {"a": {"Action": "ADD", "Value": {"N": "5"}}, "c": {"Action": "DELETE"}, "d": {"Value": {"S": "new"}}},
        "ReturnValues": "UPDATED_NEW"
    })));
    assert_eq!(
        legacy.unwrap().attributes.unwrap(),
        item(json!({"a": {"N": "16"}, "d": {"S": "new"}}))
    );
    assert!(!get(&db, "Tab", key).unwrap().contains_key("c"));
}

fn fill(db: &Db, partitions: &[&str], count: i64) {
    for pk in partitions {
        for sk in 1..=count {
            put(
                db,
                "Tab",
                json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}, "even": {"BOOL": sk % 2 == 0}, "pad": {"S": "x".repeat(100)}}),
            );
        }
    }
}

fn query(db: &Db, extra: Value) -> Result<QueryOutput, DbError> {
    let mut request = json!({
        "TableName": "Tab", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "a"}}
    });
    merge(&mut request, &extra);
    db.query(req(request))
}

/// Sets `extra`'s members in `request`, adding to its `ExpressionAttributeValues` when it has
/// some.
fn merge(request: &mut Value, extra: &Value) {
    for (k, v) in extra.as_object().unwrap() {
        if k == "ExpressionAttributeValues" && request[k].is_object() {
            for (name, value) in v.as_object().unwrap() {
                request[k][name] = value.clone();
            }
        } else {
            request[k] = v.clone();
        }
    }
}

#[test]
fn query_key_conditions_order_and_pages() {
    let (_dir, db) = open();
    range_table(&db);
    fill(&db, &["a", "b"], 20);
    let all = query(&db, json!({})).unwrap();
    assert_eq!(sk_of(all.items.as_ref().unwrap()), (1..=20).collect::<Vec<_>>());
    assert_eq!((all.count, all.scanned_count, all.last_evaluated_key), (20, 20, None));
    let cases = [
        ("pk = :p AND sk = :x", vec![5]),
        ("pk = :p AND sk < :x", (1..5).collect()),
        ("pk = :p AND sk <= :x", (1..=5).collect()),
        ("pk = :p AND :x < sk", (6..=20).collect()),
        ("pk = :p AND sk >= :x", (5..=20).collect()),
        ("pk = :p AND sk BETWEEN :x AND :y", (5..=7).collect()),
    ];
    for (expression, expected) in cases {
        let out = query(
            &db,
            json!({"KeyConditionExpression": expression, "ExpressionAttributeValues": {":x": {"N": "5"}, ":y": {"N": "7"}}}),
        );
        let out = match out {
            Ok(out) => out,
            // `:y` is unused by all but BETWEEN.
            Err(_) => query(&db, json!({"KeyConditionExpression": expression, "ExpressionAttributeValues": {":x": {"N": "5"}}})).unwrap(),
        };
        assert_eq!(sk_of(out.items.as_ref().unwrap()), expected, "{expression}");
    }
    // Reversed or mixed BETWEEN bounds are refused, as DynamoDB refuses them.
    let between = |x: serde_json::Value, y: serde_json::Value| {
        let values = json!({":x": x, ":y": y});
        let request = json!({"KeyConditionExpression": "pk = :p AND sk BETWEEN :x AND :y", "ExpressionAttributeValues": values});
        query(&db, request).unwrap_err().message()
    };
    assert_eq!(
        between(json!({"N": "7"}), json!({"N": "5"})),
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater \
         than or equal to lower bound; lower bound operand: AttributeValue: {N:7}, upper bound \
         operand: AttributeValue: {N:5}"
    );
    assert_eq!(
        between(json!({"N": "7"}), json!({"S": "9"})),
        "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower \
         and upper bounds; lower bound operand: AttributeValue: {N:7}, upper bound operand: \
         AttributeValue: {S:9}"
    );
    // Backwards, in pages of 7, continuing from LastEvaluatedKey.
    let mut seen = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut extra = json!({"ScanIndexForward": false, "Limit": 7});
        if let Some(start) = &start {
            extra["ExclusiveStartKey"] = serde_json::to_value(start).unwrap();
        }
        let page = query(&db, extra).unwrap();
        seen.extend(sk_of(page.items.as_ref().unwrap()));
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    assert_eq!(seen, (1..=20).rev().collect::<Vec<_>>());
    // Filter: Count after, ScannedCount before.
    let out = query(&db, json!({"FilterExpression": "even = :t", "ExpressionAttributeValues": {":t": {"BOOL": true}}, "Limit": 10})).unwrap();
    assert_eq!((out.count, out.scanned_count), (5, 10));
    assert!(out.last_evaluated_key.is_some());
    // Select COUNT returns no items.
    let out = query(&db, json!({"Select": "COUNT"})).unwrap();
    assert_eq!((out.items, out.count), (None, 20));
    // Projection.
    let out = query(&db, json!({"ProjectionExpression": "sk, #e", "ExpressionAttributeNames": {"#e": "even"}, "Limit": 1})).unwrap();
    assert_eq!(out.items.unwrap()[0], item(json!({"sk": {"N": "1"}, "even": {"BOOL": false}})));
    // Capacity: sizes summed, then rounded up to 4 KB once; half when eventually consistent.
    let out = query(&db, json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap();
    assert_eq!(out.consumed_capacity.unwrap().capacity_units, 0.5);
}

#[test]
fn query_refusals() {
    let (_dir, db) = open();
    range_table(&db);
    let cases = [
        (json!({"KeyConditionExpression": "pk = :p OR sk = :p"}), "Invalid operator used in KeyConditionExpression: OR"),
        (json!({"KeyConditionExpression": "sk = :p"}), "Query condition missed key schema element: pk"),
        (json!({"KeyConditionExpression": "pk > :p"}), "Query key condition not supported"),
        (json!({"KeyConditionExpression": "pk = :p AND pk = :p"}), "KeyConditionExpressions must only contain one condition per key"),
        (json!({"KeyConditionExpression": "pk = :p AND sk = :p"}), "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        (json!({"KeyConditionExpression": "pk = :p AND size(sk) = :p"}), "KeyConditionExpressions cannot contain nested operations"),
        (json!({"FilterExpression": "sk = :p"}), "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"),
        (json!({"Select": "COUNT", "ProjectionExpression": "a"}), "Cannot specify the ProjectionExpression when choosing to get only the Count"),
        (json!({"Select": "SPECIFIC_ATTRIBUTES"}), "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
        (json!({"IndexName": "byX"}), "The table does not have the specified index: byX"),
        (json!({"ExclusiveStartKey": {"pk": {"S": "b"}, "sk": {"N": "1"}}}), "The provided starting key is outside query boundaries based on provided conditions"),
        (json!({"ExclusiveStartKey": {"pk": {"S": "a"}}}), "The provided starting key is invalid"),
        (json!({"Limit": 0}), "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    ];
    for (extra, message) in cases {
        assert_validation(query(&db, extra.clone()), message);
    }
    assert_validation(
        db.query(req(json!({"TableName": "Tab"}))),
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    );
    assert_error(
        db.query(req(json!({"TableName": "Nope", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}))),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
}

#[test]
fn legacy_key_conditions_and_query_filter() {
    let (_dir, db) = open();
    range_table(&db);
    fill(&db, &["a"], 10);
    let out = db
        .query(req(json!({
            "TableName": "Tab",
            "KeyConditions": {
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                "sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "4"}]}
            },
            "QueryFilter": {"even": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": true}]}},
            "AttributesToGet": ["sk"]
        })))
        .unwrap();
    assert_eq!(sk_of(out.items.as_ref().unwrap()), vec![6, 8, 10]);
    assert_eq!(out.items.unwrap()[0].len(), 1);
    assert_eq!(out.scanned_count, 6);
    assert_validation(
        db.query(req(json!({
            "TableName": "Tab", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}},
            "QueryFilter": {"even": {"ComparisonOperator": "NULL"}}
        }))),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}",
    );
}

fn scan_all(db: &Db, extra: Value) -> (Vec<Item>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut start: Option<Item> = None;
    loop {
        let mut request = json!({"TableName": "Tab"});
        merge(&mut request, &extra);
        if let Some(start) = &start {
            request["ExclusiveStartKey"] = serde_json::to_value(start).unwrap();
        }
        let page = db.scan(req(request)).unwrap();
        pages += 1;
        items.extend(page.items.unwrap());
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return (items, pages),
        }
    }
}

fn keys(items: &[Item]) -> BTreeSet<(String, i64)> {
    items
        .iter()
        .map(|i| (i["pk"].as_s().unwrap().to_string(), i["sk"].as_n().unwrap().to_i64().unwrap()))
        .collect()
}

#[test]
fn scan_pages_segments_and_filters() {
    let (_dir, db) = open();
    range_table(&db);
    let partitions: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = partitions.iter().map(String::as_str).collect();
    fill(&db, &refs, 5);
    let (all, _) = scan_all(&db, json!({}));
    assert_eq!(all.len(), 200);
    let everything = keys(&all);
    assert_eq!(everything.len(), 200);
    let (paged, pages) = scan_all(&db, json!({"Limit": 33}));
    assert_eq!(keys(&paged), everything);
    assert_eq!(paged.len(), 200);
    assert_eq!(pages, 7);
    // Parallel scan: segments are disjoint and together complete.
    for total in [1, 3, 4, 7] {
        let mut union = BTreeSet::new();
        let mut sum = 0;
        for segment in 0..total {
            let (items, _) =
                scan_all(&db, json!({"Segment": segment, "TotalSegments": total, "Limit": 9}));
            sum += items.len();
            union.extend(keys(&items));
        }
        assert_eq!((sum, &union), (200, &everything), "{total} segments");
    }
    // Filter and legacy ScanFilter agree.
    let (filtered, _) = scan_all(
        &db,
        json!({"FilterExpression": "sk > :x AND even = :t", "ExpressionAttributeValues": {":x": {"N": "2"}, ":t": {"BOOL": true}}}),
    );
    let (legacy, _) = scan_all(
        &db,
        json!({"ScanFilter": {"sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "2"}]}, "even": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": true}]}}}),
    );
    assert_eq!(keys(&filtered), keys(&legacy));
    assert_eq!(filtered.len(), 40);
    assert_validation(
        db.scan(req(json!({"TableName": "Tab", "Segment": 3, "TotalSegments": 3}))),
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3",
    );
    assert_validation(
        db.scan(req(json!({"TableName": "Tab", "Segment": 1}))),
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
    );
}

#[test]
fn a_page_stops_at_one_megabyte() {
    let (_dir, db) = open();
    hash_table(&db);
    let big = "x".repeat(100 * 1024);
    for i in 0..25 {
        put(&db, "Hash", json!({"id": {"S": format!("k{i:02}")}, "blob": {"S": big}}));
    }
    let first =
        db.scan(req(json!({"TableName": "Hash", "ReturnConsumedCapacity": "TOTAL"}))).unwrap();
    let read = first.scanned_count as usize;
    // Items of ~100 KB: the page ends once 1 MB has been read.
    assert!((10..=11).contains(&read), "{read}");
    assert!(first.last_evaluated_key.is_some());
    let units = first.consumed_capacity.unwrap().capacity_units;
    assert!((128.0..=140.0).contains(&units), "{units}");
    let rest = db
        .scan(req(json!({"TableName": "Hash", "ExclusiveStartKey": serde_json::to_value(first.last_evaluated_key.unwrap()).unwrap()})))
        .unwrap();
    assert!(rest.scanned_count as usize + read <= 25);
}

#[test]
fn remove_on_a_missing_item_is_ignored_but_not_on_an_existing_one() {
    let (_dir, db) = open();
    range_table(&db);
    let update = |sk: i64| {
        db.update_item(req(json!({
            "TableName": "Tab", "Key": {"pk": {"S": "p"}, "sk": {"N": sk.to_string()}},
            "UpdateExpression": "SET a = :a REMOVE m.x, l[3]",
            "ExpressionAttributeValues": {":a": {"N": "1"}},
            "ReturnValues": "ALL_NEW"
        })))
    };
    // The item does not exist: every REMOVE is ignored, as DynamoDB does.
    let created = update(1).unwrap().attributes.unwrap();
    assert_eq!(created, item(json!({"pk": {"S": "p"}, "sk": {"N": "1"}, "a": {"N": "1"}})));
    // It exists now, without `m`: `m.x` is a path through a missing map.
    let error = update(1).unwrap_err();
    assert_eq!(
        error.message(),
        "The document path provided in the update expression is invalid for update"
    );
}

#[test]
fn the_wire_answer_is_the_serialized_answer() {
    let (_dir, db) = open();
    range_table(&db);
    fill(&db, &["a", "b"], 12);
    put(
        &db,
        "Tab",
        json!({
            "pk": {"S": "a"}, "sk": {"N": "100"}, "s": {"S": "é\"\\\n"}, "b": {"B": "AAEC"},
            "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1.5", "-2"]}, "bs": {"BS": ["AA=="]},
            "l": {"L": [{"NULL": true}, {"BOOL": false}, {"M": {"k": {"N": "1e10"}}}]}
        }),
    );
    let queries = [
        json!({}),
        json!({"Limit": 5}),
        json!({"ScanIndexForward": false, "Limit": 4, "ReturnConsumedCapacity": "TOTAL"}),
        json!({"FilterExpression": "even = :t", "ExpressionAttributeValues": {":t": {"BOOL": true}}, "Limit": 7}),
        json!({"ProjectionExpression": "sk, l[2].k, ss"}),
        json!({"Select": "COUNT"}),
        json!({"KeyConditionExpression": "pk = :p AND sk > :x", "ExpressionAttributeValues": {":x": {"N": "1000"}}}),
    ];
    for extra in queries {
        let mut request = json!({
            "TableName": "Tab", "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "a"}}
        });
        merge(&mut request, &extra);
        let decoded = serde_json::to_vec(&db.query(req(request.clone())).unwrap()).unwrap();
        let wire = db.query_json(req(request.clone())).unwrap();
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            String::from_utf8(decoded).unwrap(),
            "{request}"
        );
    }
    for extra in [
        json!({}),
        json!({"Limit": 3}),
        json!({"Segment": 1, "TotalSegments": 3}),
        json!({"Select": "COUNT"}),
    ] {
        let mut request = json!({"TableName": "Tab"});
        merge(&mut request, &extra);
        let decoded = serde_json::to_vec(&db.scan(req(request.clone())).unwrap()).unwrap();
        let wire = db.scan_json(req(request.clone())).unwrap();
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            String::from_utf8(decoded).unwrap(),
            "{request}"
        );
    }
}
