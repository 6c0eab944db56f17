//! From `X-Amz-Target` and a JSON body to a call of [`Db`] and a JSON answer.

use basalt::api::{decode_request, DbError, WriteItemOutput};
use basalt::{Db, Deferred};
use serde::Serialize;

/// The prefix of DynamoDB's targets.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The prefix of the DynamoDB Streams API's targets.
pub const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

/// DynamoDB operations Basalt knows but does not implement yet: they get a clear
/// `UnknownOperationException` naming them, never a fake success.
const NOT_BUILT: &[&str] = &[
    "BatchExecuteStatement",
    "CreateBackup",
    "CreateGlobalTable",
    "DeleteBackup",
    "DeleteResourcePolicy",
    "DescribeBackup",
    "DescribeContinuousBackups",
    "DescribeContributorInsights",
    "DescribeExport",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeImport",
    "DescribeKinesisStreamingDestination",
    "DescribeTableReplicaAutoScaling",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExecuteStatement",
    "ExecuteTransaction",
    "ExportTableToPointInTime",
    "GetResourcePolicy",
    "ImportTable",
    "ListBackups",
    "ListContributorInsights",
    "ListExports",
    "ListGlobalTables",
    "ListImports",
    "PutResourcePolicy",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "UpdateContinuousBackups",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateKinesisStreamingDestination",
    "UpdateTableReplicaAutoScaling",
];

/// Operations that may wait: for the log's group commit (and its fsync: BatchWriteItem and
/// TransactWriteItems among them), for a writer's lock, for item operations in flight
/// (DeleteTable); and Scan, which reads a whole megabyte of a table per page (a Query reads one
/// partition and stays on the reactor, as GetItem, BatchGetItem and TransactGetItems do).
/// PutItem, DeleteItem and UpdateItem are not among them: they are applied on the reactor and
/// their answers wait for the log there without blocking it ([`DEFERRED`]).
const OFF_REACTOR: &[&str] = &[
    "BatchWriteItem",
    "CreateTable",
    "DeleteTable",
    "Scan",
    "TagResource",
    "TransactWriteItems",
    "UntagResource",
    "UpdateTable",
    "UpdateTimeToLive",
];

/// The item writes among [`OFF_REACTOR`]: they wait only for the log (and, briefly, for a
/// writer lock), so when the log does not write or sync per request they need not leave the
/// reactor.
const ITEM_WRITES: &[&str] = &["BatchWriteItem", "TransactWriteItems"];

/// The single-item writes, answered through [`start_write`]: applied at once, their answers
/// held until the storage core's completer has made them durable ([`basalt::Deferred`]).
pub const DEFERRED: &[&str] = &["DeleteItem", "PutItem", "UpdateItem"];

/// Whether the request with this target is a single-item write ([`start_write`]).
pub fn defers(target: Option<&str>) -> bool {
    target
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .is_some_and(|operation| DEFERRED.contains(&operation))
}

/// Starts the single-item write `target` names (one of [`DEFERRED`]) with the JSON `body`: the
/// checks, the condition and the write happen now; the answer (also the operation's refusal)
/// comes from the returned [`Deferred`] once the write is durable and visible.
///
/// # Errors
/// A body that does not decode; [`Failure::UnknownOperation`] for a target not in
/// [`DEFERRED`].
pub fn start_write(
    db: &Db,
    target: Option<&str>,
    body: &[u8],
) -> Result<Deferred<WriteItemOutput>, Failure> {
    let operation = target.and_then(|t| t.strip_prefix(TARGET_PREFIX)).unwrap_or_default();
    Ok(match operation {
        "PutItem" => db.put_item_deferred(decode_request(body)?),
        "DeleteItem" => db.delete_item_deferred(decode_request(body)?),
        "UpdateItem" => db.update_item_deferred(decode_request(body)?),
        other => return Err(Failure::UnknownOperation(format!("Unknown operation: {other}"))),
    })
}

/// Whether the request with this target may wait, and so must run off the async reactor. Reads
/// (lock-free snapshots, no system calls), unknown and unbuilt targets answer without waiting;
/// so do batch and transaction writes when `log_waits` is false (`Durability::None`, as
/// `--in-memory` runs: an append only copies the record into the log's memory).
pub fn may_wait(target: Option<&str>, log_waits: bool) -> bool {
    // GetRecords reads up to a megabyte of records, as Scan does.
    if target.and_then(|t| t.strip_prefix(STREAMS_TARGET_PREFIX)) == Some("GetRecords") {
        return true;
    }
    target.and_then(|t| t.strip_prefix(TARGET_PREFIX)).is_some_and(|operation| {
        OFF_REACTOR.contains(&operation) && (log_waits || !ITEM_WRITES.contains(&operation))
    })
}

/// Why a request got no answer from the database.
#[derive(Debug)]
pub enum Failure {
    /// The database's (or the decoder's) DynamoDB exception.
    Db(DbError),
    /// `com.amazon.coral.service#UnknownOperationException`, with a message.
    UnknownOperation(String),
}

impl From<DbError> for Failure {
    fn from(error: DbError) -> Failure {
        Failure::Db(error)
    }
}

/// Runs the operation `target` names with the JSON `body` and returns its JSON answer.
///
/// # Errors
/// [`Failure::UnknownOperation`] for a target that is not a DynamoDB operation Basalt
/// implements; the operation's own [`DbError`] otherwise.
pub fn dispatch(db: &Db, target: Option<&str>, body: &[u8]) -> Result<Vec<u8>, Failure> {
    if let Some(operation) = target.and_then(|t| t.strip_prefix(STREAMS_TARGET_PREFIX)) {
        return dispatch_streams(db, operation, body);
    }
    let Some(operation) = target.and_then(|t| t.strip_prefix(TARGET_PREFIX)) else {
        return Err(Failure::UnknownOperation(match target {
            Some(target) => format!("Unknown operation: {target}"),
            None => "Missing X-Amz-Target header".to_string(),
        }));
    };
    match operation {
        "CreateTable" => run(body, |input| db.create_table(input)),
        "DeleteTable" => run(body, |input| db.delete_table(input)),
        "DescribeTable" => run(body, |input| db.describe_table(input)),
        "ListTables" => run(body, |input| db.list_tables(input)),
        "UpdateTable" => run(body, |input| db.update_table(input)),
        "TagResource" => run(body, |input| db.tag_resource(input).map(|()| Empty {})),
        "UntagResource" => run(body, |input| db.untag_resource(input).map(|()| Empty {})),
        "ListTagsOfResource" => run(body, |input| db.list_tags_of_resource(input)),
        "DescribeLimits" => run(body, |Empty {}| Ok(db.describe_limits())),
        "DescribeEndpoints" => run(body, |Empty {}| Ok(db.describe_endpoints())),
        "UpdateTimeToLive" => run(body, |input| db.update_time_to_live(input)),
        "DescribeTimeToLive" => run(body, |input| db.describe_time_to_live(input)),
        // PutItem, DeleteItem, UpdateItem: as the server's event loops run them, waiting here.
        write if DEFERRED.contains(&write) => {
            let output = start_write(db, target, body)?.wait()?;
            Ok(serde_json::to_vec(&output).expect("responses serialize"))
        }
        "GetItem" => run_json(body, |input| db.get_item_json(input)),
        // GetItem, Query and Scan answers are written straight from the stored items (the same
        // bytes as serializing the output).
        "Query" => run_json(body, |input| db.query_json(input)),
        "Scan" => run_json(body, |input| db.scan_json(input)),
        // The reads of a batch or a transaction come from one lock-free snapshot; the writes
        // are one log record (and may wait for its group commit).
        "BatchGetItem" => run(body, |input| db.batch_get_item(input)),
        "BatchWriteItem" => run(body, |input| db.batch_write_item(input)),
        "TransactGetItems" => run(body, |input| db.transact_get_items(input)),
        "TransactWriteItems" => run(body, |input| db.transact_write_items(input)),
        other if NOT_BUILT.contains(&other) => Err(Failure::UnknownOperation(format!(
            "{other} is not supported by this version of Basalt yet"
        ))),
        other => Err(Failure::UnknownOperation(format!("Unknown operation: {other}"))),
    }
}

/// The DynamoDB Streams API (`DynamoDBStreams_20120810.<operation>`), on the same endpoint.
fn dispatch_streams(db: &Db, operation: &str, body: &[u8]) -> Result<Vec<u8>, Failure> {
    match operation {
        "ListStreams" => run(body, |input| db.list_streams(input)),
        "DescribeStream" => run(body, |input| db.describe_stream(input)),
        "GetShardIterator" => run(body, |input| db.get_shard_iterator(input)),
        "GetRecords" => run(body, |input| db.get_records(input)),
        other => Err(Failure::UnknownOperation(format!(
            "Unknown operation: {STREAMS_TARGET_PREFIX}{other}"
        ))),
    }
}

/// An operation without input or output members.
#[derive(serde::Deserialize, Serialize)]
struct Empty {}

fn run_json<I>(
    body: &[u8],
    op: impl FnOnce(I) -> Result<Vec<u8>, DbError>,
) -> Result<Vec<u8>, Failure>
where
    I: serde::de::DeserializeOwned,
{
    let input = decode_request(body)?;
    Ok(op(input)?)
}

fn run<I, O>(body: &[u8], op: impl FnOnce(I) -> Result<O, DbError>) -> Result<Vec<u8>, Failure>
where
    I: serde::de::DeserializeOwned,
    O: Serialize,
{
    let input = decode_request(body)?;
    let output = op(input)?;
    Ok(serde_json::to_vec(&output).expect("responses serialize"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_wait_and_reads_do_not() {
        let target = |op: &str| format!("{TARGET_PREFIX}{op}");
        for op in OFF_REACTOR {
            assert!(may_wait(Some(&target(op)), true), "{op}");
        }
        for op in ITEM_WRITES {
            assert!(OFF_REACTOR.contains(op), "{op}");
            assert!(!may_wait(Some(&target(op)), false), "{op} without a log that waits");
        }
        for op in ["Scan", "CreateTable", "UpdateTimeToLive"] {
            assert!(may_wait(Some(&target(op)), false), "{op} waits whatever the log does");
        }
        let reads = [
            "BatchGetItem",
            "DescribeTable",
            "DescribeTimeToLive",
            "GetItem",
            "ListTables",
            "ListTagsOfResource",
            "Query",
            "TransactGetItems",
        ];
        for op in reads {
            assert!(!may_wait(Some(&target(op)), true), "{op}");
        }
        for op in ["BatchWriteItem", "TransactWriteItems", "UpdateTimeToLive"] {
            assert!(OFF_REACTOR.contains(&op), "{op} waits for the log");
            assert!(!NOT_BUILT.contains(&op), "{op} is built");
        }
        for op in DEFERRED {
            assert!(!may_wait(Some(&target(op)), true), "{op} does not block the reactor");
            assert!(defers(Some(&target(op))), "{op}");
        }
        assert!(!defers(Some(&target("BatchWriteItem"))));
        assert!(!defers(Some("PutItem")), "without the prefix it is no operation");
        assert!(!may_wait(None, true));
        assert!(!may_wait(Some("PutItem"), true), "without the prefix it is no operation");
    }
}
