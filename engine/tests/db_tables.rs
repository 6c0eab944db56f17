//! The control plane of `basalt::Db`: CreateTable, DescribeTable, ListTables, UpdateTable,
//! DeleteTable, tags, limits and endpoints, with DynamoDB's messages; and a durable catalog.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::api::*;
use basalt::{item, Db};
use serde_json::{json, Value};

fn req<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("request decodes")
}

fn create(db: &Db, body: Value) -> Result<CreateTableOutput, DbError> {
    db.create_table(req(body))
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

#[test]
fn create_and_describe() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let out = create(
        &db,
        json!({
            "TableName": "Music",
            "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "SongTitle", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "Artist", "AttributeType": "S"}, {"AttributeName": "SongTitle", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 10},
            "Tags": [{"Key": "team", "Value": "audio"}],
            "DeletionProtectionEnabled": true
        }),
    )
    .unwrap();
    let described = out.table_description;
    assert_eq!(described.table_name, "Music");
    assert_eq!(described.table_status, "ACTIVE");
    assert_eq!(described.table_arn, "arn:aws:dynamodb:us-east-1:000000000000:table/Music");
    assert_eq!(described.table_id.len(), 36);
    assert_eq!(described.provisioned_throughput.read_capacity_units, 5);
    assert_eq!(described.provisioned_throughput.write_capacity_units, 10);
    assert!(described.creation_date_time > 1.7e9);
    assert!(described.deletion_protection_enabled);
    assert_eq!(described.billing_mode_summary, None);
    let wire = serde_json::to_value(db.describe_table(req(json!({"TableName": "Music"}))).unwrap())
        .unwrap();
    let table = &wire["Table"];
    assert_eq!(table["KeySchema"][1], json!({"AttributeName": "SongTitle", "KeyType": "RANGE"}));
    assert_eq!(table["ItemCount"], json!(0));
    assert_eq!(table["TableSizeBytes"], json!(0));
    assert_eq!(table["ProvisionedThroughput"]["NumberOfDecreasesToday"], json!(0));
    assert!(table["CreationDateTime"].is_f64());
    let on_demand = create(&db, simple("OnDemand")).unwrap().table_description;
    assert_eq!(on_demand.billing_mode_summary.unwrap().billing_mode, "PAY_PER_REQUEST");
    assert_eq!(on_demand.provisioned_throughput.read_capacity_units, 0);
    assert_error(
        create(&db, simple("OnDemand")),
        "ResourceInUseException",
        "Table already exists: OnDemand",
    );
    assert_error(
        db.describe_table(req(json!({"TableName": "Nope"}))),
        "ResourceNotFoundException",
        "Requested resource not found: Table: Nope not found",
    );
}

#[test]
fn create_table_validation_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let base = simple("Valid");
    let with = |patch: Value| {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        create(&db, body)
    };
    let v = "ValidationException";
    assert_error(with(json!({"TableName": "ab"})), v, "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
    assert_error(with(json!({"TableName": "has space"})), v, "1 validation error detected: Value 'has space' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    assert_error(with(json!({"KeySchema": null})), v, "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null");
    assert_error(with(json!({"BillingMode": "FREE"})), v, "1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
    assert_error(with(json!({"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "X"}]})), v, "1 validation error detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]");
    let long = "k".repeat(256);
    assert_error(with(json!({"KeySchema": [{"AttributeName": long, "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": long, "AttributeType": "S"}]})), v, &format!("2 validation errors detected: Value '{long}' at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255; Value '{long}' at 'attributeDefinitions.1.member.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255"));
    assert_error(with(json!({"BillingMode": null})), v, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    assert_error(with(json!({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})), v, "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    assert_error(with(json!({"BillingMode": null, "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}})), v, "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1");
    assert_error(with(json!({"AttributeDefinitions": [{"AttributeName": "other", "AttributeType": "S"}]})), v, "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]");
    assert_error(with(json!({"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "extra", "AttributeType": "S"}]})), v, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    assert_error(
        with(json!({"KeySchema": [{"AttributeName": "id", "KeyType": "RANGE"}]})),
        v,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
    );
    assert_error(
        with(
            json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}]}),
        ),
        v,
        "Invalid KeySchema: Some index key attribute have no definition",
    );
    assert_error(
        with(
            json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}], "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}]}),
        ),
        v,
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
    );
    assert_error(
        with(json!({"GlobalSecondaryIndexes": []})),
        v,
        "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty",
    );
    assert_error(
        with(json!({"StreamSpecification": {"StreamEnabled": true}})),
        v,
        "One or more parameter values were invalid: If stream is being enabled then \
         UpdateViewType is required",
    );
    assert_error(
        with(json!({"StreamSpecification": {"StreamEnabled": true, "StreamViewType": "ALL"}})),
        v,
        "1 validation error detected: Value 'ALL' at 'streamSpecification.streamViewType' \
         failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, \
         OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]",
    );
    with(json!({"StreamSpecification": {"StreamEnabled": false}}))
        .expect("a disabled stream is no stream");
    let listed = db.list_tables(ListTablesInput::default()).unwrap();
    assert_eq!(listed.table_names, vec!["Valid".to_string()], "no failed CreateTable left a table");
}

#[test]
fn list_tables_pages_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    for name in ["ccc", "aaa", "bbb", "ddd", "Zed"] {
        create(&db, simple(name)).unwrap();
    }
    let page = db.list_tables(req(json!({"Limit": 2}))).unwrap();
    assert_eq!(page.table_names, ["Zed", "aaa"]);
    assert_eq!(page.last_evaluated_table_name.as_deref(), Some("aaa"));
    let page = db.list_tables(req(json!({"Limit": 2, "ExclusiveStartTableName": "aaa"}))).unwrap();
    assert_eq!(page.table_names, ["bbb", "ccc"]);
    let page = db.list_tables(req(json!({"Limit": 2, "ExclusiveStartTableName": "ccc"}))).unwrap();
    assert_eq!(page.table_names, ["ddd"]);
    assert_eq!(page.last_evaluated_table_name, None);
    assert_error(
        db.list_tables(req(json!({"Limit": 101}))),
        "ValidationException",
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
}

#[test]
fn delete_table_purges_items_and_the_name_can_be_reused() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    create(&db, simple("Temp")).unwrap();
    for i in 0..500 {
        db.put_item(PutItemInput {
            table_name: Some("Temp".into()),
            item: Some(item! { "id" => i.to_string(), "n" => i }),
            ..Default::default()
        })
        .unwrap();
    }
    let described = db.describe_table(req(json!({"TableName": "Temp"}))).unwrap().table;
    assert_eq!(described.item_count, 500);
    let out = db.delete_table(req(json!({"TableName": "Temp"}))).unwrap();
    assert_eq!(out.table_description.table_status, "DELETING");
    assert_eq!(out.table_description.item_count, 500);
    assert_error(
        db.get_item(req(json!({"TableName": "Temp", "Key": {"id": {"S": "1"}}}))),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    assert_error(
        db.delete_table(req(json!({"TableName": "Temp"}))),
        "ResourceNotFoundException",
        "Requested resource not found: Table: Temp not found",
    );
    create(&db, simple("Temp")).unwrap();
    let got = db.get_item(req(json!({"TableName": "Temp", "Key": {"id": {"S": "1"}}}))).unwrap();
    assert_eq!(got.item, None, "a new table under an old name starts empty");
    db.wait_for_purges().unwrap();
    // Only the catalog and the new, empty table remain.
    let all: (std::ops::Bound<&[u8]>, std::ops::Bound<&[u8]>) =
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded);
    let keys = db.core().snapshot().range(all).count();
    assert!(keys <= 3, "{keys} keys left after the purge");
    assert_eq!(db.describe_table(req(json!({"TableName": "Temp"}))).unwrap().table.item_count, 0);
}

#[test]
fn deletion_protection_and_update_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let mut body = simple("Guarded");
    body["DeletionProtectionEnabled"] = json!(true);
    create(&db, body).unwrap();
    assert_error(
        db.delete_table(req(json!({"TableName": "Guarded"}))),
        "ValidationException",
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
    );
    assert_error(
        db.update_table(req(json!({"TableName": "Guarded"}))),
        "ValidationException",
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
    );
    let out = db
        .update_table(req(json!({"TableName": "Guarded", "BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}})))
        .unwrap();
    assert_eq!(out.table_description.provisioned_throughput.read_capacity_units, 3);
    assert_error(
        db.update_table(req(json!({"TableName": "Guarded", "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}}))),
        "ValidationException",
        "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 3. Requested ReadCapacityUnits: 3. Current WriteCapacityUnits provisioned for the table: 4. Requested WriteCapacityUnits: 4. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
    );
    let out = db
        .update_table(req(json!({"TableName": "Guarded", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 4}})))
        .unwrap();
    let throughput = out.table_description.provisioned_throughput;
    assert_eq!(throughput.number_of_decreases_today, 1);
    assert!(throughput.last_decrease_date_time.is_some());
    db.update_table(req(json!({"TableName": "Guarded", "DeletionProtectionEnabled": false, "TableClass": "STANDARD_INFREQUENT_ACCESS"}))).unwrap();
    let described = db.describe_table(req(json!({"TableName": "Guarded"}))).unwrap().table;
    assert_eq!(described.table_class_summary.unwrap().table_class, "STANDARD_INFREQUENT_ACCESS");
    db.delete_table(req(json!({"TableName": "Guarded"}))).unwrap();
}

#[test]
fn tags() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let arn = create(&db, simple("Tagged")).unwrap().table_description.table_arn;
    db.tag_resource(req(json!({"ResourceArn": arn, "Tags": [{"Key": "b", "Value": "1"}, {"Key": "a", "Value": "2"}]}))).unwrap();
    db.tag_resource(req(json!({"ResourceArn": arn, "Tags": [{"Key": "b", "Value": "3"}]})))
        .unwrap();
    let tags = db.list_tags_of_resource(req(json!({"ResourceArn": arn}))).unwrap();
    assert_eq!(
        serde_json::to_value(&tags).unwrap(),
        json!({"Tags": [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}]})
    );
    db.untag_resource(req(json!({"ResourceArn": arn, "TagKeys": ["a", "zzz"]}))).unwrap();
    let tags = db.list_tags_of_resource(req(json!({"ResourceArn": arn}))).unwrap().tags;
    assert_eq!(tags, vec![Tag::new("b", "3")]);
    let missing = "arn:aws:dynamodb:us-east-1:000000000000:table/Nope";
    assert_error(
        db.list_tags_of_resource(req(json!({"ResourceArn": missing}))),
        "ResourceNotFoundException",
        &format!("Requested resource not found: ResourcArn: {missing} not found"),
    );
    let too_many: Vec<Value> =
        (0..51).map(|i| json!({"Key": format!("k{i}"), "Value": ""})).collect();
    let error = db.tag_resource(req(json!({"ResourceArn": arn, "Tags": too_many}))).unwrap_err();
    assert_eq!(error.name(), "LimitExceededException");
    assert_eq!(db.list_tags_of_resource(req(json!({"ResourceArn": arn}))).unwrap().tags.len(), 1);
}

#[test]
fn limits_and_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let limits = serde_json::to_value(db.describe_limits()).unwrap();
    assert_eq!(
        limits,
        json!({"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000, "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000})
    );
    let endpoints = db.describe_endpoints();
    assert_eq!(endpoints.endpoints[0].cache_period_in_minutes, 1440);
}

#[test]
fn catalog_items_and_counts_survive_clean_and_unclean_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let expected_bytes;
    {
        let db = Db::open(dir.path()).unwrap();
        create(&db, simple("Kept")).unwrap();
        create(&db, simple("Dropped")).unwrap();
        for i in 0..100 {
            let item = item! { "id" => i.to_string(), "payload" => "x".repeat(i) };
            db.put_item(PutItemInput {
                table_name: Some("Kept".into()),
                item: Some(item),
                ..Default::default()
            })
            .unwrap();
        }
        db.delete_item(req(json!({"TableName": "Kept", "Key": {"id": {"S": "7"}}}))).unwrap();
        db.delete_table(req(json!({"TableName": "Dropped"}))).unwrap();
        let described = db.describe_table(req(json!({"TableName": "Kept"}))).unwrap().table;
        assert_eq!(described.item_count, 99);
        expected_bytes = described.table_size_bytes;
        // "id" (2) + digits + "payload" (7) + i bytes, for every i but 7.
        let computed: i64 =
            (0..100).filter(|&i| i != 7).map(|i: i64| 2 + i.to_string().len() as i64 + 7 + i).sum();
        assert_eq!(expected_bytes, computed);
        db.close().unwrap();
    }
    for clean in [true, false] {
        let db = Db::open(dir.path()).unwrap();
        let names = db.list_tables(ListTablesInput::default()).unwrap().table_names;
        assert_eq!(names, ["Kept"]);
        let described = db.describe_table(req(json!({"TableName": "Kept"}))).unwrap().table;
        assert_eq!(
            (described.item_count, described.table_size_bytes),
            (99, expected_bytes),
            "clean: {clean}"
        );
        let got =
            db.get_item(req(json!({"TableName": "Kept", "Key": {"id": {"S": "42"}}}))).unwrap();
        assert_eq!(got.item, Some(item! { "id" => "42", "payload" => "x".repeat(42) }));
        if clean {
            db.close().unwrap();
        } else {
            // No close: the next open recounts.
            drop(db);
        }
    }
}
