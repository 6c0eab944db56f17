//! Regressions from the independent review of indexes and streams: index entry keys of
//! items at DynamoDB's key size limits, a BatchWriteItem whose index entries outgrow one log
//! record, a closed stream shard whose last number is a gap, and a subscriber that would miss a
//! write made just before it waits.

mod common;

use basalt::api::{
    CreateTableInput, DescribeStreamInput, GetRecordsInput, GlobalSecondaryIndex,
    LocalSecondaryIndex, Projection, PutItemInput, StreamSpecification,
};
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db, DbOptions, StreamOptions, TtlOptions};
use common::req;
use serde_json::json;

fn options() -> DbOptions {
    DbOptions {
        ttl: TtlOptions { background: false, ..TtlOptions::default() },
        streams: StreamOptions { trim_interval: None, ..StreamOptions::default() },
        ..DbOptions::default()
    }
}

/// A valid PutItem: table key = 2048 zero bytes (B) + short sort key; an LSI on `l`.
#[test]
fn lsi_entry_key_too_large_for_valid_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    db.create_table(
        CreateTableInput::new("Tbl")
            .partition_key("pk", "B")
            .sort_key("sk", "S")
            .attribute("l", "S")
            .local_index(
                LocalSecondaryIndex::new("by_l", "pk", "l").projection(Projection::keys_only()),
            ),
    )
    .expect("create");
    let mut it = Item::new();
    it.insert("pk".into(), AttributeValue::B(vec![0u8; 2048]));
    it.insert("sk".into(), AttributeValue::S("a".into()));
    it.insert("l".into(), AttributeValue::S("x".into()));
    let r = db.put_item(PutItemInput::new("Tbl", it));
    assert!(r.is_ok(), "valid item refused: {r:?}");
}

/// A valid PutItem on a table with a 3-attribute GSI partition key.
#[test]
fn gsi_multi_attribute_entry_key_too_large() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    db.create_table(
        CreateTableInput::new("Tbl")
            .partition_key("pk", "S")
            .attribute("a", "S")
            .attribute("b", "S")
            .attribute("c", "S")
            .global_index(
                GlobalSecondaryIndex::new("gidx")
                    .partition_key("a")
                    .partition_key("b")
                    .partition_key("c")
                    .projection(Projection::keys_only()),
            ),
    )
    .expect("create");
    let big = "x".repeat(2048);
    let it =
        item! { "pk" => big.clone(), "a" => big.clone(), "b" => big.clone(), "c" => big.clone() };
    let r = db.put_item(PutItemInput::new("Tbl", it));
    assert!(r.is_ok(), "valid item refused: {r:?}");
}

/// 25 items of ~390 KB each, table with 7 ALL GSIs: a valid BatchWriteItem.
#[test]
fn batch_write_with_many_all_gsis_too_large() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    let mut create = CreateTableInput::new("Tbl").partition_key("pk", "S").attribute("g", "S");
    for i in 0..7 {
        create =
            create.global_index(GlobalSecondaryIndex::new(format!("idx{i}")).partition_key("g"));
    }
    db.create_table(create).expect("create");
    let blob = "y".repeat(390 * 1024);
    let puts: Vec<_> = (0..25)
        .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i}")}, "g": {"S": "v"}, "blob": {"S": blob}}}}))
        .collect();
    let r = db.batch_write_item(req(json!({"RequestItems": {"Tbl": puts}})));
    assert!(r.is_ok(), "valid batch refused: {:?}", r.err());
    let count = db.describe_table(req(json!({"TableName": "Tbl"}))).expect("describe").table;
    assert_eq!(count.item_count, 25);
    let indexes = count.global_secondary_indexes.expect("indexes");
    assert!(indexes.iter().all(|i| i.item_count == 25));
}

/// A transaction whose decide fails after the stream took a sequence leaves a gap; if that is
/// the last sequence of the shard when the stream is disabled, the shard never ends.
#[test]
fn closed_shard_with_trailing_gap_never_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    let mut create = CreateTableInput::new("Tbl")
        .partition_key("pk", "S")
        .attribute("g", "S")
        .global_index(GlobalSecondaryIndex::new("gidx").partition_key("g"));
    create.stream_specification = Some(StreamSpecification::enabled("KEYS_ONLY"));
    db.create_table(create).expect("create");
    db.put_item(PutItemInput::new("Tbl", item! { "pk" => "a" })).expect("put");
    // Update sets the GSI key to a number: refused in index::maintain, after stream.record.
    let r = db.transact_write_items(req(json!({"TransactItems": [
        {"Update": {"TableName": "Tbl", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET g = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}}}}
    ]})));
    assert!(r.is_err());
    let arn = db
        .describe_table(req(json!({"TableName": "Tbl"})))
        .expect("describe")
        .table
        .latest_stream_arn
        .expect("stream");
    db.update_table(req(
        json!({"TableName": "Tbl", "StreamSpecification": {"StreamEnabled": false}}),
    ))
    .expect("disable");
    let shards = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(arn.clone()),
            ..Default::default()
        })
        .expect("describe stream")
        .stream_description
        .shards;
    for shard in shards {
        let mut it = common::trim_horizon(&db, &arn, &shard.shard_id);
        let mut calls = 0;
        while let Some(at) = it {
            calls += 1;
            assert!(
                calls < 20,
                "closed shard {} never ends (ending {:?})",
                shard.shard_id,
                shard.sequence_number_range.ending_sequence_number
            );
            it = db
                .get_records(GetRecordsInput { shard_iterator: Some(at), limit: None })
                .expect("records")
                .next_shard_iterator;
        }
    }
}

/// A write made after the subscriber last woke but before it waits again wakes it at once.
#[test]
fn a_write_before_the_wait_is_not_missed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    let mut create = CreateTableInput::new("Tbl").partition_key("pk", "S");
    create.stream_specification = Some(StreamSpecification::enabled("KEYS_ONLY"));
    db.create_table(create).expect("create");
    let arn = db
        .describe_table(req(json!({"TableName": "Tbl"})))
        .expect("describe")
        .table
        .latest_stream_arn
        .expect("stream");
    let mut waiter = db.subscribe(&arn).expect("subscribe");
    db.put_item(PutItemInput::new("Tbl", item! { "pk" => "a" })).expect("put");
    let started = std::time::Instant::now();
    assert!(waiter.wait(std::time::Duration::from_secs(30)), "the put was seen");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "without sleeping the timeout");
    assert!(!waiter.wait(std::time::Duration::from_millis(20)), "nothing new since");
}
