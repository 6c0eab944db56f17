//! The DynamoDB layer through `basalt::Db`: tables and single-item operations, with the
//! exception names and messages DynamoDB gives. Requests are written as DynamoDB's wire JSON, so
//! the serde field names of `basalt::api` are checked along the way.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::api::*;
use basalt::model::Item;
use basalt::{item, Db};
use serde_json::{json, Value};

fn req<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("request decodes")
}

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    (dir, db)
}

fn create_hash_table(db: &Db, name: &str) {
    db.create_table(req(json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "userId", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
}

fn create_range_table(db: &Db, name: &str) {
    db.create_table(req(json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    })))
    .unwrap();
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

#[test]
fn the_dynamodb_documentation_example() {
    let (_dir, db) = open();
    create_hash_table(&db, "MyTable");
    let put: PutItemInput = req(json!({
        "TableName": "MyTable",
        "Item": {"userId": {"S": "12345"}, "name": {"S": "John Doe"}, "age": {"N": "30"}}
    }));
    assert_eq!(db.put_item(put).unwrap(), WriteItemOutput::default());
    let got = db
        .get_item(req(json!({"TableName": "MyTable", "Key": {"userId": {"S": "12345"}}})))
        .unwrap();
    assert_eq!(got.item, Some(item! { "userId" => "12345", "name" => "John Doe", "age" => 30 }));
    let wire = serde_json::to_value(&got).unwrap();
    assert_eq!(
        wire,
        json!({"Item": {"userId": {"S": "12345"}, "name": {"S": "John Doe"}, "age": {"N": "30"}}})
    );
}

#[test]
fn put_replaces_and_returns_the_old_item_and_delete_removes() {
    let (_dir, db) = open();
    create_range_table(&db, "Tab");
    let first = item! { "pk" => "a", "sk" => 1, "v" => "one" };
    let second = item! { "pk" => "a", "sk" => 1, "v" => "two" };
    let out = db
        .put_item(PutItemInput {
            table_name: Some("Tab".into()),
            item: Some(first.clone()),
            return_values: Some("ALL_OLD".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.attributes, None, "nothing was there");
    let out = db
        .put_item(PutItemInput {
            table_name: Some("Tab".into()),
            item: Some(second.clone()),
            return_values: Some("ALL_OLD".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.attributes, Some(first));
    // Numbers are keys by value: 1.0 names the same item as 1.
    let key: Item = req(json!({"pk": {"S": "a"}, "sk": {"N": "1.0"}}));
    let got = db
        .get_item(GetItemInput {
            table_name: Some("Tab".into()),
            key: Some(key.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(got.item, Some(second.clone()));
    let out = db
        .delete_item(DeleteItemInput {
            table_name: Some("Tab".into()),
            key: Some(key.clone()),
            return_values: Some("ALL_OLD".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.attributes, Some(second));
    let out = db
        .delete_item(DeleteItemInput {
            table_name: Some("Tab".into()),
            key: Some(key.clone()),
            return_values: Some("ALL_OLD".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.attributes, None, "deleting a missing item succeeds and returns nothing");
    let got = db
        .get_item(GetItemInput {
            table_name: Some("Tab".into()),
            key: Some(key),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(got.item, None);
}

#[test]
fn items_of_different_tables_do_not_meet() {
    let (_dir, db) = open();
    create_hash_table(&db, "TabA");
    create_hash_table(&db, "TabB");
    let put = |table: &str, v: &str| {
        db.put_item(PutItemInput {
            table_name: Some(table.into()),
            item: Some(item! { "userId" => "x", "v" => v }),
            ..Default::default()
        })
        .unwrap();
    };
    put("TabA", "in A");
    put("TabB", "in B");
    let get = |table: &str| {
        db.get_item(GetItemInput {
            table_name: Some(table.into()),
            key: Some(item! { "userId" => "x" }),
            ..Default::default()
        })
        .unwrap()
        .item
    };
    assert_eq!(get("TabA"), Some(item! { "userId" => "x", "v" => "in A" }));
    assert_eq!(get("TabB"), Some(item! { "userId" => "x", "v" => "in B" }));
}

#[test]
fn attributes_to_get_and_table_arn_as_name() {
    let (_dir, db) = open();
    create_hash_table(&db, "Tab");
    db.put_item(PutItemInput {
        table_name: Some("Tab".into()),
        item: Some(item! { "userId" => "u", "a" => 1, "b" => 2 }),
        ..Default::default()
    })
    .unwrap();
    let arn = db.describe_table(req(json!({"TableName": "Tab"}))).unwrap().table.table_arn;
    let got = db
        .get_item(req(json!({"TableName": arn, "Key": {"userId": {"S": "u"}}, "AttributesToGet": ["a", "missing"]})))
        .unwrap();
    assert_eq!(got.item, Some(item! { "a" => 1 }));
    assert_validation(
        db.get_item(req(json!({"TableName": "Tab", "Key": {"userId": {"S": "u"}}, "AttributesToGet": ["a", "a"]}))),
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
    );
}

#[test]
fn consumed_capacity_follows_dynamodb_rounding() {
    let (_dir, db) = open();
    create_hash_table(&db, "Tab");
    let big = "x".repeat(1500);
    let out = db
        .put_item(req(json!({"TableName": "Tab", "Item": {"userId": {"S": "u"}, "big": {"S": big}}, "ReturnConsumedCapacity": "TOTAL"})))
        .unwrap();
    let capacity = out.consumed_capacity.unwrap();
    assert_eq!(
        (capacity.table_name.as_str(), capacity.capacity_units),
        ("Tab", 2.0),
        "1509 bytes: two 1 KB units"
    );
    assert_eq!(capacity.table, None);
    // Replacing a large item with a small one costs the larger of the two.
    let out = db
        .put_item(req(json!({"TableName": "Tab", "Item": {"userId": {"S": "u"}}, "ReturnConsumedCapacity": "INDEXES"})))
        .unwrap();
    let capacity = out.consumed_capacity.unwrap();
    assert_eq!(capacity.capacity_units, 2.0);
    assert_eq!(capacity.table.unwrap().capacity_units, 2.0);
    let get = |consistent: bool, user: &str| {
        db.get_item(req(json!({"TableName": "Tab", "Key": {"userId": {"S": user}}, "ConsistentRead": consistent, "ReturnConsumedCapacity": "TOTAL"})))
            .unwrap()
            .consumed_capacity
            .unwrap()
            .capacity_units
    };
    assert_eq!(get(true, "u"), 1.0);
    assert_eq!(get(false, "u"), 0.5);
    assert_eq!(get(true, "missing"), 1.0, "a miss costs one unit");
    let out = db
        .delete_item(req(json!({"TableName": "Tab", "Key": {"userId": {"S": "missing"}}, "ReturnConsumedCapacity": "TOTAL"})))
        .unwrap();
    assert_eq!(out.consumed_capacity.unwrap().capacity_units, 1.0);
    let wire = serde_json::to_value(
        db.get_item(req(json!({"TableName": "Tab", "Key": {"userId": {"S": "u"}}, "ReturnConsumedCapacity": "TOTAL"}))).unwrap(),
    )
    .unwrap();
    assert_eq!(wire["ConsumedCapacity"], json!({"TableName": "Tab", "CapacityUnits": 0.5}));
}

#[test]
fn item_validation_messages() {
    let (_dir, db) = open();
    create_range_table(&db, "Tab");
    let put = |item: Value| db.put_item(req(json!({"TableName": "Tab", "Item": item})));
    assert_validation(
        put(json!({"pk": {"S": "a"}})),
        "One or more parameter values were invalid: Missing the key sk in the item",
    );
    assert_validation(
        put(json!({"pk": {"S": "a"}, "sk": {"S": "1"}})),
        "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S",
    );
    assert_validation(
        put(json!({"pk": {"S": ""}, "sk": {"N": "1"}})),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
    );
    assert_validation(
        put(json!({"pk": {"S": "a".repeat(2049)}, "sk": {"N": "1"}})),
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
    );
    put(json!({"pk": {"S": "a".repeat(2048)}, "sk": {"N": "1"}, "empty": {"S": ""}}))
        .expect("2048 bytes and empty non-key strings are fine");
    assert_validation(
        put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x".repeat(400 * 1024)}})),
        "Item size has exceeded the maximum allowed size",
    );
    // Items built in Rust are checked as strictly as items decoded from the wire.
    let mut empty_set = item! { "pk" => "a", "sk" => 1 };
    empty_set.insert("set".into(), basalt::model::AttributeValue::Ss(vec![]));
    assert_validation(
        db.put_item(PutItemInput {
            table_name: Some("Tab".into()),
            item: Some(empty_set),
            ..Default::default()
        }),
        "One or more parameter values were invalid: An string set  may not be empty",
    );
    let mut duplicates = item! { "pk" => "a", "sk" => 1 };
    duplicates
        .insert("set".into(), basalt::model::AttributeValue::Ss(vec!["x".into(), "x".into()]));
    let error = db
        .put_item(PutItemInput {
            table_name: Some("Tab".into()),
            item: Some(duplicates),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.name(), "ValidationException");
    assert!(error.message().contains("contains duplicates"), "{error}");
    assert_validation(
        db.put_item(req(json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnValues": "ALL_NEW"}))),
        "ReturnValues can only be ALL_OLD or NONE",
    );
    assert_validation(
        db.put_item(req(json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnValues": "SOME"}))),
        "1 validation error detected: Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    );
    assert_validation(
        db.put_item(req(json!({"TableName": "Tab"}))),
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null",
    );
    assert_validation(
        db.put_item(req(json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": {":x": {"S": "x"}}}))),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
    );
    let count = db.describe_table(req(json!({"TableName": "Tab"}))).unwrap().table.item_count;
    assert_eq!(count, 1, "only the one valid put changed anything");
}

#[test]
fn key_validation_messages() {
    let (_dir, db) = open();
    create_range_table(&db, "Tab");
    let get = |key: Value| db.get_item(req(json!({"TableName": "Tab", "Key": key})));
    let mismatch = "The provided key element does not match the schema";
    assert_validation(get(json!({"pk": {"S": "a"}})), mismatch);
    assert_validation(get(json!({"pk": {"S": "a"}, "sk": {"S": "1"}})), mismatch);
    assert_validation(get(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "1"}})), mismatch);
    assert_validation(get(json!({"pk": {"S": "a"}, "other": {"N": "1"}})), mismatch);
    // Values are validated as they are decoded from the wire.
    let decoded: Result<GetItemInput, _> = serde_json::from_value(
        json!({"TableName": "Tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1e126"}}}),
    );
    assert_eq!(
        decoded.unwrap_err().to_string(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    assert_validation(
        db.delete_item(req(json!({"TableName": "Tab", "Key": {"pk": {"S": ""}, "sk": {"N": "1"}}}))),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
    );
    assert_error(
        db.get_item(req(json!({"TableName": "Missing", "Key": {"pk": {"S": "a"}}}))),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    assert_validation(
        db.get_item(req(json!({"TableName": "a", "Key": {"pk": {"S": "a"}}}))),
        "1 validation error detected: Value 'a' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
}

#[test]
fn binary_keys_and_sort_order_of_numbers_do_not_matter_to_point_reads() {
    let (_dir, db) = open();
    db.create_table(req(json!({
        "TableName": "Bin",
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "B"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .unwrap();
    db.put_item(req(json!({"TableName": "Bin", "Item": {"k": {"B": "AAEC"}}}))).unwrap();
    let got = db.get_item(req(json!({"TableName": "Bin", "Key": {"k": {"B": "AAEC"}}}))).unwrap();
    assert_eq!(got.item.unwrap()["k"], AttributeValueOf::b(&[0, 1, 2]));
    assert_validation(
        db.put_item(req(json!({"TableName": "Bin", "Item": {"k": {"B": ""}}}))),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: k",
    );
}

struct AttributeValueOf;
impl AttributeValueOf {
    fn b(bytes: &[u8]) -> basalt::model::AttributeValue {
        basalt::model::AttributeValue::B(bytes.to_vec())
    }
}

#[test]
fn concurrent_writers_keep_counts_exact() {
    let (_dir, db) = open();
    create_hash_table(&db, "Counted");
    let db = std::sync::Arc::new(db);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..200u32 {
                    // Every thread writes the same 50 keys: puts and deletes race on each key.
                    let id = ((i * 7 + t * 13) % 50).to_string();
                    if (i + t) % 3 == 0 {
                        let key = item! { "userId" => id.as_str() };
                        db.delete_item(DeleteItemInput { table_name: Some("Counted".into()), key: Some(key), ..Default::default() }).unwrap();
                    } else {
                        let item = item! { "userId" => id.as_str(), "by" => t, "pad" => "p".repeat(i as usize) };
                        db.put_item(PutItemInput { table_name: Some("Counted".into()), item: Some(item), ..Default::default() }).unwrap();
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let described = db.describe_table(req(json!({"TableName": "Counted"}))).unwrap().table;
    let (mut items, mut bytes) = (0, 0);
    for id in 0..50 {
        let got = db
            .get_item(req(
                json!({"TableName": "Counted", "Key": {"userId": {"S": id.to_string()}}}),
            ))
            .unwrap();
        if let Some(item) = got.item {
            items += 1;
            bytes += basalt::model::item_size_bytes(&item) as i64;
        }
    }
    assert_eq!((described.item_count, described.table_size_bytes), (items, bytes));
}

#[test]
fn rust_structs_through_serde() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct User {
        #[serde(rename = "userId")]
        user_id: String,
        name: String,
        age: u32,
        nickname: Option<String>,
    }
    let (_dir, db) = open();
    create_hash_table(&db, "Users");
    let user = User { user_id: "12345".into(), name: "John Doe".into(), age: 30, nickname: None };
    let item = basalt::model::to_item(&user).unwrap();
    db.put_item(PutItemInput {
        table_name: Some("Users".into()),
        item: Some(item),
        ..Default::default()
    })
    .unwrap();
    let got = db
        .get_item(GetItemInput {
            table_name: Some("Users".into()),
            key: Some(item! { "userId" => "12345" }),
            ..Default::default()
        })
        .unwrap()
        .item
        .unwrap();
    assert_eq!(basalt::model::from_item::<User>(&got).unwrap(), user);
}
