//! What the batch and transaction tests share: requests written as DynamoDB's JSON, a database
//! with two tables, and assertions on DynamoDB's errors.
#![allow(dead_code, reason = "each test file uses its own subset")]

use basalt::api::DbError;
use basalt::{Db, DbOptions};
use serde_json::{json, Value};

/// A request (or any `basalt::api` type) from DynamoDB's JSON.
pub fn req<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("request decodes")
}

/// A database with `hash_table` (partition key `hash_key`: S) and `range_table` (`pk`: S,
/// `sk`: N), both `PAY_PER_REQUEST`.
pub fn open_two_tables(
    options: DbOptions,
    (hash_table, hash_key): (&str, &str),
    range_table: &str,
) -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options).expect("open");
    db.create_table(req(json!({
        "TableName": hash_table,
        "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": hash_key, "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .expect("create the hash-key table");
    db.create_table(req(json!({
        "TableName": range_table,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"}
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"}
        ],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .expect("create the range-key table");
    (dir, db)
}

/// Asserts that `result` is DynamoDB's exception `name` with `message`.
#[track_caller]
pub fn assert_error<T: std::fmt::Debug>(result: Result<T, DbError>, name: &str, message: &str) {
    let error = result.expect_err("the request must fail");
    assert_eq!((error.name(), error.message().as_str()), (name, message));
}

/// Asserts that `result` is a ValidationException with `message`.
#[track_caller]
pub fn assert_validation<T: std::fmt::Debug>(result: Result<T, DbError>, message: &str) {
    assert_error(result, "ValidationException", message);
}

/// How a crash test's child reports an acknowledged write before it is killed: `ack <line>` on
/// stdout, flushed at once.
pub fn report(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ack {line}").expect("report");
    out.flush().expect("flush");
}

/// Starts this test binary again, running only the test `test` (a child that works until it is
/// killed), with `dir` and `run` in the environment variables `dir_env` and `run_env`; its
/// stdout is piped, its stderr dropped.
pub fn spawn_child(
    test: &str,
    (dir_env, dir): (&str, &std::path::Path),
    (run_env, run): (&str, u64),
) -> std::process::Child {
    use std::process::{Command, Stdio};
    Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(dir_env, dir)
        .env(run_env, run.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child")
}

/// The acknowledgement on a line of a child's output: the text after `ack ` (libtest may print
/// "test NAME ... " on the same line before the first one).
pub fn ack(line: &str) -> Option<&str> {
    line.find("ack ").map(|at| &line[at + 4..])
}

/// A `TRIM_HORIZON` iterator of shard `shard_id` of stream `arn`.
pub fn trim_horizon(db: &Db, arn: &str, shard_id: &str) -> Option<String> {
    db.get_shard_iterator(basalt::api::GetShardIteratorInput {
        stream_arn: Some(arn.into()),
        shard_id: Some(shard_id.into()),
        shard_iterator_type: Some("TRIM_HORIZON".into()),
        sequence_number: None,
    })
    .expect("iterator")
    .shard_iterator
}

/// Every record of every shard of stream `arn`, from `TRIM_HORIZON`, shard by shard, read in
/// pages of `limit`.
pub fn stream_records(db: &Db, arn: &str, limit: i64) -> Vec<basalt::api::Record> {
    let describe =
        basalt::api::DescribeStreamInput { stream_arn: Some(arn.into()), ..Default::default() };
    let shards = db.describe_stream(describe).expect("describe stream").stream_description.shards;
    let mut records = Vec::new();
    for shard in shards {
        let mut iterator = trim_horizon(db, arn, &shard.shard_id);
        while let Some(at) = iterator {
            let input =
                basalt::api::GetRecordsInput { shard_iterator: Some(at), limit: Some(limit) };
            let page = db.get_records(input).expect("records");
            let empty = page.records.is_empty();
            records.extend(page.records);
            iterator = if empty { None } else { page.next_shard_iterator };
        }
    }
    records
}

/// A 64-bit mixer (splitmix's finalizer): spreads consecutive numbers over all bits.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}
