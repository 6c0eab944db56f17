//! The fuzz target `db_requests`: arbitrary request bodies through decoding and every operation
//! of [`Db`] (the item operations, UpdateItem, Query, Scan, the batches and transactions also
//! aimed at the fuzzed table, which has a local and a global secondary index and a stream; the
//! Streams API aimed at its stream), which must answer with a result or one of DynamoDB's
//! errors, never a panic; and a failed request must leave the table's contents and counts as
//! they were. [`fuzz_stream_record`] (run by the target `item_decode`) feeds arbitrary bytes
//! to the decoder of stored stream records.

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::api::{
    BatchGetItemInput, BatchWriteItemInput, CreateTableInput, DbError, DeleteItemInput,
    DeleteTableInput, DescribeStreamInput, DescribeTableInput, GetItemInput, GetRecordsInput,
    GetShardIteratorInput, ListStreamsInput, ListTablesInput, PutItemInput, QueryInput, ScanInput,
    TableNameInput, TagResourceInput, TransactGetItemsInput, TransactWriteItemsInput,
    UpdateItemInput, UpdateTableInput, UpdateTimeToLiveInput,
};
use crate::db::{Db, DbOptions, TtlOptions};

/// The table every fuzz input starts with.
pub const FUZZ_TABLE: &str = "fuzzed";

/// The options the fuzz target opens its database with: no background expiry of items, which
/// would change the table between a request and the check that it changed nothing (expiry
/// runs in the request that asks for it, `DescribeTimeToLive`'s slot).
#[must_use]
pub fn fuzz_options() -> DbOptions {
    let ttl = TtlOptions { background: false, ..TtlOptions::default() };
    DbOptions { ttl, ..DbOptions::default() }
}

/// Creates [`FUZZ_TABLE`] (partition key `pk` S, sort key `sk` N; a local index on `a` (N), a
/// global index on `b` (S) then `a`; a stream of new and old images) if it is missing.
///
/// # Errors
/// A storage failure.
pub fn fuzz_setup(db: &Db) -> Result<(), DbError> {
    let input: CreateTableInput = serde_json::from_value(json!({
        "TableName": FUZZ_TABLE,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "a", "AttributeType": "N"}, {"AttributeName": "b", "AttributeType": "S"}
        ],
        "LocalSecondaryIndexes": [{"IndexName": "by_a",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "GlobalSecondaryIndexes": [{"IndexName": "by_b",
            "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "BillingMode": "PAY_PER_REQUEST"
    }))
    .expect("a valid request");
    match db.create_table(input) {
        Ok(_) => Ok(()),
        Err(DbError::ResourceInUse(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Operations the first byte of a request picks from.
const OPERATIONS: u8 = 25;

/// The ARN of the fuzzed table's stream.
fn stream_arn(db: &Db) -> Option<String> {
    let input = DescribeTableInput { table_name: Some(FUZZ_TABLE.into()) };
    db.describe_table(input).ok()?.table.latest_stream_arn
}

/// Arbitrary bytes through the decoder of stored stream records: an error or a record, never a
/// panic.
pub fn fuzz_stream_record(bytes: &[u8]) {
    if let Ok(decoded) = crate::db::stream::decode(bytes) {
        assert!(decoded.item_key.len() < bytes.len(), "parts lie inside the value");
    }
}

/// Runs one request: the first byte picks the operation, the rest is its JSON body.
///
/// # Panics
/// On a bug: an operation that panics, or a failed one that changed the table's item count.
pub fn fuzz_request(db: &Db, bytes: &[u8]) {
    let Some((&op, body)) = bytes.split_first() else { return };
    if op % OPERATIONS == 18 {
        // Expiry (there is no background expiry here), before the count is taken.
        db.expire_items().expect("expiry never fails on a healthy store");
    }
    let before = count(db);
    let failed = match op % OPERATIONS {
        0 => run(body, |i: PutItemInput| db.put_item(i)),
        1 => run(body, |i: GetItemInput| same_answers(db.get_item(i.clone()), db.get_item_json(i))),
        2 => run(body, |i: DeleteItemInput| db.delete_item(i)),
        3 => run(body, |i: CreateTableInput| db.create_table(i)),
        4 => run(body, |i: DescribeTableInput| db.describe_table(i)),
        5 => run(body, |i: UpdateTableInput| db.update_table(i)),
        6 => run(body, |i: TagResourceInput| db.tag_resource(i)),
        7 => run(body, |i: ListTablesInput| db.list_tables(i)),
        8 => run(body, |i: DeleteTableInput| db.delete_table(i)),
        9 => run(body, |i: UpdateItemInput| {
            db.update_item(UpdateItemInput { table_name: Some(FUZZ_TABLE.into()), ..i })
        }),
        10 => run(body, |i: QueryInput| {
            let input = QueryInput { table_name: Some(FUZZ_TABLE.into()), ..i };
            same_answers(db.query(input.clone()), db.query_json(input))
        }),
        11 => run(body, |i: ScanInput| {
            let input = ScanInput { table_name: Some(FUZZ_TABLE.into()), ..i };
            same_answers(db.scan(input.clone()), db.scan_json(input))
        }),
        12 => run(body, |i: DeleteItemInput| {
            db.delete_item(DeleteItemInput { table_name: Some(FUZZ_TABLE.into()), ..i })
        }),
        13 => run(body, |i: BatchWriteItemInput| db.batch_write_item(i)),
        14 => run(body, |i: BatchGetItemInput| db.batch_get_item(i)),
        15 => run(body, |i: TransactWriteItemsInput| db.transact_write_items(i)),
        16 => run(body, |i: TransactGetItemsInput| db.transact_get_items(i)),
        17 => run(body, |i: UpdateTimeToLiveInput| db.update_time_to_live(i)),
        18 => run(body, |i: TableNameInput| db.describe_time_to_live(i)),
        19..=23 => streams_request(db, op % OPERATIONS, body),
        _ => run(body, |i: PutItemInput| {
            // Aim at the fuzzed table, so item validation is reached more often.
            db.put_item(PutItemInput { table_name: Some(FUZZ_TABLE.into()), ..i })
        }),
    };
    if failed {
        assert_eq!(count(db), before, "a failed request changed the table");
    }
    if count(db).is_none() {
        fuzz_setup(db).expect("recreate the fuzzed table");
    }
}

/// A Streams API request (operations 19 to 23) aimed at the fuzzed table's stream; whether
/// it failed.
fn streams_request(db: &Db, op: u8, body: &[u8]) -> bool {
    match op {
        19 => run(body, |i: ListStreamsInput| db.list_streams(i)),
        20 => run(body, |i: DescribeStreamInput| {
            let arn = i.stream_arn.clone().or_else(|| stream_arn(db));
            db.describe_stream(DescribeStreamInput { stream_arn: arn, ..i })
        }),
        21 => run(body, |i: GetShardIteratorInput| {
            let arn = i.stream_arn.clone().or_else(|| stream_arn(db));
            db.get_shard_iterator(GetShardIteratorInput { stream_arn: arn, ..i })
        }),
        22 => run(body, |i: GetRecordsInput| db.get_records(i)),
        23 => run(body, |i: GetShardIteratorInput| {
            // A real iterator of a real shard (the input picks the type and sequence number),
            // then its records.
            let arn = stream_arn(db);
            let described = db.describe_stream(DescribeStreamInput {
                stream_arn: arn.clone(),
                ..DescribeStreamInput::default()
            })?;
            let shards = described.stream_description.shards;
            let pick = body.len() % shards.len().max(1);
            let shard_id = shards.get(pick).map(|s| s.shard_id.clone());
            let iterator =
                db.get_shard_iterator(GetShardIteratorInput { stream_arn: arn, shard_id, ..i })?;
            db.get_records(GetRecordsInput { shard_iterator: iterator.shard_iterator, limit: None })
        }),
        _ => run(body, |i: GetRecordsInput| db.get_records(i)),
    }
}

/// A read answered both ways (decoded, and written straight to JSON) must give the same answer.
fn same_answers<O: serde::Serialize>(
    decoded: Result<O, DbError>,
    wire: Result<Vec<u8>, DbError>,
) -> Result<O, DbError> {
    match (&decoded, &wire) {
        (Ok(output), Ok(json)) => {
            let expected = serde_json::to_vec(output).expect("an answer serializes");
            assert_eq!(json, &expected, "the JSON answer differs from the decoded one");
        }
        (Err(a), Err(b)) => assert_eq!(a.message(), b.message(), "different refusals"),
        _ => panic!("one answer failed and the other did not: {:?}", wire.as_ref().err()),
    }
    decoded
}

/// Decodes and runs one request; whether it failed.
fn run<I: DeserializeOwned, O>(body: &[u8], op: impl FnOnce(I) -> Result<O, DbError>) -> bool {
    let Ok(input) = serde_json::from_slice::<I>(body) else { return true };
    match op(input) {
        Ok(_) => false,
        Err(DbError::Internal(message)) => panic!("internal error: {message}"),
        Err(_) => true,
    }
}

fn count(db: &Db) -> Option<(i64, i64)> {
    let input = DescribeTableInput { table_name: Some(FUZZ_TABLE.into()) };
    db.describe_table(input).ok().map(|d| (d.table.item_count, d.table.table_size_bytes))
}
