//! DynamoDB Streams: records of every change, in order per item, exactly once, durable with
//! the change; the Streams API; enabling and disabling; retention; TTL deletions; the
//! in-process subscription.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use basalt::api::{
    CreateTableInput, DeleteItemInput, DescribeStreamInput, GetRecordsInput, GetShardIteratorInput,
    ListStreamsInput, PutItemInput, Record, StreamSpecification, UpdateItemInput,
};
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db, DbOptions, StreamOptions, TtlOptions};
use common::{assert_error, assert_validation, req};
use serde_json::json;

fn options() -> DbOptions {
    DbOptions {
        ttl: TtlOptions { background: false, ..TtlOptions::default() },
        streams: StreamOptions { trim_interval: None, ..StreamOptions::default() },
        ..DbOptions::default()
    }
}

fn table(view_type: &str) -> CreateTableInput {
    let mut input = CreateTableInput::new("Songs").partition_key("artist", "S").sort_key("n", "N");
    input.stream_specification = Some(StreamSpecification::enabled(view_type));
    input
}

fn stream_arn(db: &Db) -> String {
    let described = db.describe_table(req(json!({"TableName": "Songs"}))).expect("describe").table;
    described.latest_stream_arn.expect("a stream")
}

fn key_of(record: &Record) -> (String, String) {
    let keys = &record.dynamodb.keys;
    (format!("{:?}", keys.get("artist")), format!("{:?}", keys.get("n")))
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string().parse().expect("number"))
}

#[test]
fn every_change_is_recorded_once_in_order_per_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    db.create_table(table("NEW_AND_OLD_IMAGES")).expect("create");
    let song =
        |artist: &str, n: i64, plays: i64| item! { "artist" => artist, "n" => n, "plays" => plays };
    for i in 0..30 {
        db.put_item(PutItemInput::new("Songs", song(&format!("a{}", i % 7), i, 0))).expect("put");
    }
    db.put_item(PutItemInput::new("Songs", song("a0", 0, 0))).expect("a put that changes nothing");
    let tagged = |tags: [&str; 3]| {
        let mut item = song("a6", 6, 0);
        let set = AttributeValue::Ss(tags.iter().map(|t| t.to_string()).collect());
        item.insert("tags".into(), set);
        item
    };
    db.put_item(PutItemInput::new("Songs", tagged(["x", "y", "z"]))).expect("a set");
    db.put_item(PutItemInput::new("Songs", tagged(["z", "x", "y"])))
        .expect("the same set in another order changes nothing");
    db.update_item(
        UpdateItemInput::new(
            "Songs",
            item! { "artist" => "a1", "n" => 1 },
            "SET plays = plays + :one",
        )
        .value(":one", 1),
    )
    .expect("update");
    db.update_item(
        UpdateItemInput::new("Songs", item! { "artist" => "a1", "n" => 1 }, "SET plays = :p")
            .value(":p", 1),
    )
    .expect("an update that changes nothing");
    db.delete_item(DeleteItemInput::new("Songs", item! { "artist" => "a2", "n" => 2 }))
        .expect("delete");
    db.delete_item(DeleteItemInput::new("Songs", item! { "artist" => "zz", "n" => 99 }))
        .expect("delete nothing");
    db.batch_write_item(req(json!({"RequestItems": {"Songs": [
        {"PutRequest": {"Item": {"artist": {"S": "a3"}, "n": {"N": "3"}, "plays": {"N": "9"}}}},
        {"DeleteRequest": {"Key": {"artist": {"S": "a4"}, "n": {"N": "4"}}}}
    ]}})))
    .expect("batch");
    db.transact_write_items(req(json!({"TransactItems": [
        {"Put": {"TableName": "Songs", "Item": {"artist": {"S": "new"}, "n": {"N": "100"}}}},
        {"ConditionCheck": {"TableName": "Songs", "Key": {"artist": {"S": "a5"}, "n": {"N": "5"}},
            "ConditionExpression": "attribute_exists(artist)"}}
    ]})))
    .expect("transaction");

    let arn = stream_arn(&db);
    let records = common::stream_records(&db, &arn, 3);
    let mut by_item: BTreeMap<(String, String), Vec<&Record>> = BTreeMap::new();
    for record in &records {
        by_item.entry(key_of(record)).or_default().push(record);
    }
    let events = |artist: &str, n: i64| -> Vec<String> {
        let key = (
            format!("{:?}", Some(AttributeValue::S(artist.into()))),
            format!("{:?}", Some(self::n(n))),
        );
        by_item.get(&key).map_or(Vec::new(), |r| r.iter().map(|r| r.event_name.clone()).collect())
    };
    assert_eq!(events("a0", 0), ["INSERT"]);
    assert_eq!(events("a1", 1), ["INSERT", "MODIFY"]);
    assert_eq!(events("a2", 2), ["INSERT", "REMOVE"]);
    assert_eq!(events("a3", 3), ["INSERT", "MODIFY"]);
    assert_eq!(events("a4", 4), ["INSERT", "REMOVE"]);
    assert_eq!(events("new", 100), ["INSERT"]);
    assert_eq!(events("zz", 99), Vec::<String>::new());
    assert_eq!(events("a6", 6), ["INSERT", "MODIFY"]);
    assert_eq!(records.len(), 30 + 1 + 1 + 1 + 2 + 1);
    let modify = by_item
        [&(format!("{:?}", Some(AttributeValue::S("a1".into()))), format!("{:?}", Some(n(1))))][1];
    assert_eq!(modify.dynamodb.old_image.as_ref().and_then(|i| i.get("plays")), Some(&n(0)));
    assert_eq!(modify.dynamodb.new_image.as_ref().and_then(|i| i.get("plays")), Some(&n(1)));
    assert_eq!(modify.dynamodb.stream_view_type, "NEW_AND_OLD_IMAGES");
    assert_eq!(
        (modify.event_source.as_str(), modify.event_version.as_str()),
        ("aws:dynamodb", "1.1")
    );
    assert_eq!(modify.event_id.len(), 32);
    assert!(modify.user_identity.is_none());
    // SizeBytes: the keys and both images by DynamoDB's item size rules.
    let size = basalt::model::item_size_bytes;
    let keys = size(&modify.dynamodb.keys);
    let old = size(modify.dynamodb.old_image.as_ref().expect("old"));
    let new = size(modify.dynamodb.new_image.as_ref().expect("new"));
    assert_eq!(modify.dynamodb.size_bytes, (keys + old + new) as i64);
    assert_eq!(keys, "artist".len() + "a1".len() + "n".len() + 2);
    // Sequence numbers increase within each shard.
    let shards = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(arn.clone()),
            ..Default::default()
        })
        .expect("describe")
        .stream_description;
    assert_eq!(shards.stream_status, "ENABLED");
    assert_eq!(shards.table_name, "Songs");
    assert!(shards.shards.iter().all(|s| s.sequence_number_range.ending_sequence_number.is_none()));
    let mut ids: Vec<&String> = shards.shards.iter().map(|s| &s.shard_id).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "shards in id order");
    ids.dedup();
    assert_eq!(ids.len(), shards.shards.len());
}

#[test]
fn view_types_and_iterator_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    db.create_table(table("KEYS_ONLY")).expect("create");
    let arn = stream_arn(&db);
    for i in 0..5 {
        db.put_item(PutItemInput::new("Songs", item! { "artist" => "same", "n" => i, "x" => "y" }))
            .expect("put");
    }
    let records = common::stream_records(&db, &arn, 3);
    assert_eq!(records.len(), 5);
    assert!(records
        .iter()
        .all(|r| r.dynamodb.new_image.is_none() && r.dynamodb.old_image.is_none()));
    // One partition: one shard, in write order.
    let numbers: Vec<&String> = records.iter().map(|r| &r.dynamodb.sequence_number).collect();
    assert!(numbers
        .windows(2)
        .all(|w| w[0].parse::<u128>().expect("digits") < w[1].parse::<u128>().expect("digits")));
    let shard = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(arn.clone()),
            ..Default::default()
        })
        .expect("describe")
        .stream_description
        .shards
        .into_iter()
        .find(|s| read_shard_has(&db, &arn, &s.shard_id))
        .expect("the shard with the records");
    let iterator = |kind: &str, number: Option<&String>| {
        db.get_shard_iterator(GetShardIteratorInput {
            stream_arn: Some(arn.clone()),
            shard_id: Some(shard.shard_id.clone()),
            shard_iterator_type: Some(kind.into()),
            sequence_number: number.cloned(),
        })
    };
    let read = |at: String| {
        db.get_records(GetRecordsInput { shard_iterator: Some(at), limit: None }).expect("read")
    };
    let at = read(
        iterator("AT_SEQUENCE_NUMBER", Some(numbers[2])).expect("at").shard_iterator.expect("it"),
    );
    assert_eq!(at.records.len(), 3);
    let after = read(
        iterator("AFTER_SEQUENCE_NUMBER", Some(numbers[2]))
            .expect("after")
            .shard_iterator
            .expect("it"),
    );
    assert_eq!(after.records.len(), 2);
    let latest = iterator("LATEST", None).expect("latest").shard_iterator.expect("it");
    let nothing = read(latest.clone());
    assert!(nothing.records.is_empty());
    assert!(nothing.next_shard_iterator.is_some(), "an open shard always continues");
    db.put_item(PutItemInput::new("Songs", item! { "artist" => "same", "n" => 9 })).expect("put");
    let fresh = read(nothing.next_shard_iterator.expect("next"));
    assert_eq!(fresh.records.len(), 1);
    assert_validation(
        iterator("AT_SEQUENCE_NUMBER", None),
        "Invalid Request: SequenceNumber is required for ShardIteratorType AT_SEQUENCE_NUMBER",
    );
    assert_validation(
        iterator("LATEST", Some(numbers[0])),
        "Invalid Request: SequenceNumber must not be specified for ShardIteratorType LATEST",
    );
    assert_error(
        db.get_records(GetRecordsInput {
            shard_iterator: Some(format!("{arn}|1|garbage")),
            limit: None,
        }),
        "ValidationException",
        "Invalid ShardIterator",
    );
    assert_error(
        db.get_records(GetRecordsInput { shard_iterator: Some(latest), limit: Some(1001) }),
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    let unknown = format!("{arn}x");
    assert_error(
        db.describe_stream(DescribeStreamInput {
            stream_arn: Some(unknown.clone()),
            ..Default::default()
        }),
        "ResourceNotFoundException",
        &format!("Requested resource not found: Stream: {unknown} not found"),
    );
}

fn read_shard_has(db: &Db, arn: &str, shard_id: &str) -> bool {
    let iterator = common::trim_horizon(db, arn, shard_id);
    let page =
        db.get_records(GetRecordsInput { shard_iterator: iterator, limit: None }).expect("read");
    !page.records.is_empty()
}

#[test]
fn disabling_closes_the_stream_and_enabling_opens_a_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options()).expect("open");
    db.create_table(table("NEW_IMAGE")).expect("create");
    let first = stream_arn(&db);
    db.put_item(PutItemInput::new("Songs", item! { "artist" => "a", "n" => 1 })).expect("put");
    let update = |spec: serde_json::Value| {
        db.update_table(req(json!({"TableName": "Songs", "StreamSpecification": spec})))
    };
    assert_validation(
        update(json!({"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"})),
        "Table already has an enabled stream: TableName: Songs",
    );
    assert_validation(
        update(json!({"StreamEnabled": false, "StreamViewType": "KEYS_ONLY"})),
        "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified",
    );
    let disabled = update(json!({"StreamEnabled": false})).expect("disable").table_description;
    assert_eq!(disabled.stream_specification, None);
    assert_eq!(disabled.latest_stream_arn.as_deref(), Some(first.as_str()));
    assert_validation(
        update(json!({"StreamEnabled": false})),
        "Table has no stream to disable: TableName: Songs",
    );
    db.put_item(PutItemInput::new("Songs", item! { "artist" => "a", "n" => 2 }))
        .expect("put, unrecorded");
    let old = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(first.clone()),
            ..Default::default()
        })
        .expect("describe")
        .stream_description;
    assert_eq!(old.stream_status, "DISABLED");
    assert!(old.shards.iter().all(|s| s.sequence_number_range.ending_sequence_number.is_some()));
    let records = common::stream_records(&db, &first, 3);
    assert_eq!(records.len(), 1);
    // A closed shard read to its end gives no next iterator.
    for shard in &old.shards {
        let mut at = common::trim_horizon(&db, &first, &shard.shard_id);
        let mut reads = 0;
        while let Some(it) = at {
            at = db
                .get_records(GetRecordsInput { shard_iterator: Some(it), limit: None })
                .expect("read")
                .next_shard_iterator;
            reads += 1;
            assert!(reads < 4, "a closed shard ends");
        }
    }
    std::thread::sleep(Duration::from_millis(5));
    let enabled = update(json!({"StreamEnabled": true, "StreamViewType": "OLD_IMAGE"}))
        .expect("enable")
        .table_description;
    let second = enabled.latest_stream_arn.expect("new stream");
    assert_ne!(second, first);
    assert_eq!(enabled.stream_specification, Some(StreamSpecification::enabled("OLD_IMAGE")));
    db.delete_item(DeleteItemInput::new("Songs", item! { "artist" => "a", "n" => 2 }))
        .expect("delete");
    let records = common::stream_records(&db, &second, 3);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event_name, "REMOVE");
    assert_eq!(records[0].dynamodb.old_image, Some(item! { "artist" => "a", "n" => 2 }));
    let listed = db
        .list_streams(ListStreamsInput { table_name: Some("Songs".into()), ..Default::default() })
        .expect("list")
        .streams;
    assert_eq!(
        listed.iter().map(|s| s.stream_arn.clone()).collect::<Vec<_>>(),
        vec![second.clone(), first.clone()]
    );
    // A deleted table's stream stays readable, disabled.
    db.delete_table(req(json!({"TableName": "Songs"}))).expect("delete table");
    let after = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(second.clone()),
            ..Default::default()
        })
        .expect("describe")
        .stream_description;
    assert_eq!(after.stream_status, "DISABLED");
    assert_eq!(common::stream_records(&db, &second, 3).len(), 1);
}

#[test]
fn records_survive_restarts_and_are_trimmed_after_retention() {
    let dir = tempfile::tempdir().expect("tempdir");
    let arn = {
        let db = Db::open_with(dir.path(), options()).expect("open");
        db.create_table(table("NEW_IMAGE")).expect("create");
        for i in 0..20 {
            db.put_item(PutItemInput::new(
                "Songs",
                item! { "artist" => format!("a{i}"), "n" => i },
            ))
            .expect("put");
        }
        let arn = stream_arn(&db);
        drop(db); // no clean close
        arn
    };
    let short = DbOptions {
        streams: StreamOptions {
            retention: Duration::from_millis(300),
            trim_interval: None,
            ..StreamOptions::default()
        },
        ..options()
    };
    let db = Db::open_with(dir.path(), short.clone()).expect("reopen");
    let before: Vec<String> = common::stream_records(&db, &arn, 3)
        .iter()
        .map(|r| r.dynamodb.sequence_number.clone())
        .collect();
    assert_eq!(before.len(), 20);
    for i in 20..25 {
        db.put_item(PutItemInput::new("Songs", item! { "artist" => format!("a{i}"), "n" => i }))
            .expect("put");
    }
    let all: Vec<String> = common::stream_records(&db, &arn, 3)
        .iter()
        .map(|r| r.dynamodb.sequence_number.clone())
        .collect();
    assert_eq!(all.len(), 25);
    assert!(before.iter().all(|n| all.contains(n)), "numbers are kept across a restart");
    // An iterator taken before trimming points at trimmed records afterwards.
    let stale: Vec<String> = db
        .describe_stream(DescribeStreamInput {
            stream_arn: Some(arn.clone()),
            ..Default::default()
        })
        .expect("describe")
        .stream_description
        .shards
        .iter()
        .filter_map(|s| {
            db.get_shard_iterator(GetShardIteratorInput {
                stream_arn: Some(arn.clone()),
                shard_id: Some(s.shard_id.clone()),
                shard_iterator_type: Some("TRIM_HORIZON".into()),
                sequence_number: None,
            })
            .ok()?
            .shard_iterator
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    db.trim_streams().expect("trim");
    assert!(common::stream_records(&db, &arn, 3).is_empty());
    let trimmed = stale.into_iter().filter_map(|it| {
        db.get_records(GetRecordsInput { shard_iterator: Some(it), limit: None }).err()
    });
    assert!(trimmed.into_iter().any(|e| e.name() == "TrimmedDataAccessException"));
    db.close().expect("close");
    // After a restart numbering goes on past the trimmed records.
    let db = Db::open_with(dir.path(), short).expect("reopen");
    db.put_item(PutItemInput::new("Songs", item! { "artist" => "a0", "n" => 0, "again" => true }))
        .expect("put");
    let last = common::stream_records(&db, &arn, 3);
    assert_eq!(last.len(), 1);
    assert!(!all.contains(&last[0].dynamodb.sequence_number), "no number is reused");
}

#[test]
fn expiries_are_service_deletions_and_subscribers_are_woken() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = std::sync::Arc::new(Db::open_with(dir.path(), options()).expect("open"));
    db.create_table(table("OLD_IMAGE")).expect("create");
    db.update_time_to_live(req(json!({"TableName": "Songs", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "until"}})))
        .expect("ttl");
    let arn = stream_arn(&db);
    let mut waiter = db.subscribe(&arn).expect("subscribe");
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("now");
            let past = now.as_secs() as i64 - 10;
            db.put_item(PutItemInput::new(
                "Songs",
                item! { "artist" => "old", "n" => 1, "until" => past },
            ))
            .expect("put");
        })
    };
    assert!(waiter.wait(Duration::from_secs(10)), "woken by the put");
    writer.join().expect("writer");
    db.expire_items().expect("expire");
    let records = common::stream_records(&db, &arn, 3);
    let removal: Vec<&Record> = records.iter().filter(|r| r.event_name == "REMOVE").collect();
    assert_eq!(removal.len(), 1);
    let identity = removal[0].user_identity.as_ref().expect("a service deletion");
    assert_eq!(
        (identity.principal_id.as_str(), identity.kind.as_str()),
        ("dynamodb.amazonaws.com", "Service")
    );
    let _: Option<Item> = None;
}
