//! Regression tests for the review of the DynamoDB layer (`basalt::Db`): each test failed
//! before its fix.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use basalt::api::*;
use basalt::{item, Db};
use serde_json::{json, Value};

fn req<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("request decodes")
}

fn simple(name: &str) -> Value {
    json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })
}

#[track_caller]
fn assert_error<T: std::fmt::Debug>(result: Result<T, DbError>, name: &str, message: &str) {
    let error = result.expect_err("the request must fail");
    assert_eq!((error.name(), error.message().as_str()), (name, message));
}

/// DeleteTable and UpdateTable take a table ARN, as DescribeTable does.
#[test]
fn delete_and_update_table_by_arn() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let arn = db.create_table(req(simple("tab1"))).unwrap().table_description.table_arn;
    db.update_table(req(json!({"TableName": arn, "DeletionProtectionEnabled": true}))).unwrap();
    db.update_table(req(json!({"TableName": arn, "DeletionProtectionEnabled": false}))).unwrap();
    db.delete_table(req(json!({"TableName": arn}))).unwrap();
    let names = db.list_tables(ListTablesInput::default()).unwrap().table_names;
    assert!(names.is_empty(), "{names:?}");
    db.close().unwrap();
    let db = Db::open(dir.path()).unwrap();
    assert!(db.list_tables(ListTablesInput::default()).unwrap().table_names.is_empty());
}

/// CreateTable checks its tags as TagResource does, and merges repeated keys.
#[test]
fn create_table_checks_tags() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let with_tags = |name: &str, tags: Value| {
        let mut body = simple(name);
        body["Tags"] = tags;
        db.create_table(req(body))
    };
    assert_error(
        with_tags("tab1", json!([{"Key": "aws:reserved", "Value": "x"}])),
        "ValidationException",
        "One or more parameter values were invalid: Tag keys with the prefix aws: are reserved for AWS use",
    );
    assert_error(
        with_tags("tab1", json!([{"Key": "", "Value": "x"}])),
        "ValidationException",
        "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    let many: Vec<Value> = (0..60).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
    let error = with_tags("tab1", Value::Array(many)).unwrap_err();
    assert_eq!(error.name(), "LimitExceededException");
    let arn = with_tags(
        "tab1",
        json!([{"Key": "b", "Value": "1"}, {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]),
    )
    .unwrap()
    .table_description
    .table_arn;
    let tags = db.list_tags_of_resource(req(json!({"ResourceArn": arn}))).unwrap().tags;
    assert_eq!(tags, vec![Tag::new("a", "1"), Tag::new("b", "2")]);
}

/// KeyType is `HASH` or `RANGE`, as in DynamoDB's enum.
#[test]
fn key_type_enum() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let mut body = simple("tab1");
    body["KeySchema"] = json!([{"AttributeName": "id", "KeyType": "SORT"}]);
    assert_error(
        db.create_table(req(body)),
        "ValidationException",
        "1 validation error detected: Value 'SORT' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]",
    );
}

/// A missing nested member is DynamoDB's "must not be null", not a decoding error.
#[test]
fn missing_nested_members_are_validation_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let body = json!({
        "TableName": "abc",
        "KeySchema": [{"AttributeName": "id"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5}
    });
    let input: CreateTableInput = decode_request(body.to_string().as_bytes()).unwrap();
    assert_error(
        db.create_table(input),
        "ValidationException",
        "2 validation errors detected: Value null at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must not be null; Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null",
    );
}

/// Writers racing DeleteTable and CreateTable of one name: counts stay exact, before and
/// after a clean reopen, and the purges finish.
#[test]
fn delete_and_recreate_under_writers() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Db::open(dir.path()).unwrap());
    db.create_table(req(simple("scratch"))).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|t| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                // ORDERING: Relaxed: a stop flag; the join below synchronizes.
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let id = format!("k{}", (i * 7 + t) % 50);
                    let _ = db.put_item(PutItemInput::new(
                        "scratch",
                        item! { "id" => id.as_str(), "v" => i },
                    ));
                    if i % 3 == 0 {
                        let _ =
                            db.delete_item(DeleteItemInput::new("scratch", item! { "id" => id }));
                    }
                }
            })
        })
        .collect();
    for _ in 0..30 {
        std::thread::sleep(std::time::Duration::from_millis(2));
        db.delete_table(req(json!({"TableName": "scratch"}))).unwrap();
        db.create_table(req(simple("scratch"))).unwrap();
    }
    // ORDERING: Relaxed, as above.
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    db.wait_for_purges().unwrap();
    let count = |db: &Db| {
        (0..50)
            .filter(|k| {
                let key = item! { "id" => format!("k{k}") };
                db.get_item(GetItemInput::new("scratch", key)).unwrap().item.is_some()
            })
            .count() as i64
    };
    let present = count(&db);
    assert_eq!(
        db.describe_table(TableNameInput::new("scratch")).unwrap().table.item_count,
        present
    );
    Arc::try_unwrap(db).unwrap().close().unwrap();
    let db = Db::open(dir.path()).unwrap();
    assert_eq!(
        db.describe_table(TableNameInput::new("scratch")).unwrap().table.item_count,
        present
    );
    assert_eq!(count(&db), present);
}

/// `wait_for_purges` returns the failure of a purge instead of waiting forever.
#[test]
fn wait_for_purges_reports_a_failed_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = Db::open(&path).unwrap();
    db.create_table(req(simple("big-table"))).unwrap();
    let pad = "x".repeat(200);
    for i in 0..20_000 {
        let item = item! { "id" => format!("k{i:08}"), "p" => pad.as_str() };
        db.put_item(PutItemInput::new("big-table", item)).unwrap();
    }
    // The store fails while the purge runs: its directory disappears and a flush needs it.
    std::fs::remove_dir_all(&path).unwrap();
    db.delete_table(req(json!({"TableName": "big-table"}))).unwrap();
    assert!(db.core().flush().is_err());
    assert!(db.wait_for_purges().is_err());
}

/// A store created by the storage core alone (other routing) is refused, not silently used
/// with every table in one shard.
#[test]
fn a_core_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    basalt::core::Core::open(dir.path(), basalt::core::Options::default())
        .unwrap()
        .close()
        .unwrap();
    let error = Db::open(dir.path()).unwrap_err();
    assert_eq!(error.name(), "InternalServerError");
}
