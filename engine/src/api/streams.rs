//! DynamoDB Streams: the table setting (`StreamSpecification`) and the four operations of the
//! Streams API (`DynamoDBStreams_20120810.*`).

use serde::{Deserialize, Serialize};

use super::KeySchemaElement;
use crate::model::Item;

/// A table's stream setting (CreateTable, UpdateTable, DescribeTable).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    /// Whether the table writes a stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_enabled: Option<bool>,
    /// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<String>,
}

impl StreamSpecification {
    /// An enabled stream with records of `view_type`.
    pub fn enabled(view_type: &str) -> StreamSpecification {
        StreamSpecification { stream_enabled: Some(true), stream_view_type: Some(view_type.into()) }
    }

    /// No stream (UpdateTable: turn it off).
    #[must_use]
    pub fn disabled() -> StreamSpecification {
        StreamSpecification { stream_enabled: Some(false), stream_view_type: None }
    }
}

/// `ListStreams`' request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsInput {
    /// Only this table's streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// At most this many (1–100, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Start after this stream (the previous page's `LastEvaluatedStreamArn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_stream_arn: Option<String>,
}

/// One stream in `ListStreams`' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSummary {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its table.
    pub table_name: String,
    /// Its label (a timestamp).
    pub stream_label: String,
}

/// `ListStreams`' response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsOutput {
    /// The streams.
    pub streams: Vec<StreamSummary>,
    /// Present when more streams follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated_stream_arn: Option<String>,
}

/// `DescribeStream`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamInput {
    /// The stream.
    pub stream_arn: Option<String>,
    /// At most this many shards (1–100, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Start after this shard (the previous page's `LastEvaluatedShardId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_shard_id: Option<String>,
}

/// The sequence numbers a shard holds: from the first; to the last once it is closed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceNumberRange {
    /// The first sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_sequence_number: Option<String>,
    /// The last one, for a closed shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending_sequence_number: Option<String>,
}

/// One shard of a stream.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Shard {
    /// The shard's id.
    pub shard_id: String,
    /// Its sequence numbers.
    pub sequence_number_range: SequenceNumberRange,
    /// The shard it continues, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
}

/// What `DescribeStream` says about a stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescription {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its label.
    pub stream_label: String,
    /// `ENABLED` or `DISABLED`.
    pub stream_status: String,
    /// What its records hold.
    pub stream_view_type: String,
    /// When it was enabled (epoch seconds).
    pub creation_request_date_time: f64,
    /// Its table.
    pub table_name: String,
    /// The table's key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// Its shards (a page of them).
    pub shards: Vec<Shard>,
    /// Present when more shards follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated_shard_id: Option<String>,
}

/// `DescribeStream`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamOutput {
    /// The stream.
    pub stream_description: StreamDescription,
}

/// `GetShardIterator`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorInput {
    /// The stream.
    pub stream_arn: Option<String>,
    /// The shard.
    pub shard_id: Option<String>,
    /// `TRIM_HORIZON`, `LATEST`, `AT_SEQUENCE_NUMBER` or `AFTER_SEQUENCE_NUMBER`.
    pub shard_iterator_type: Option<String>,
    /// For `AT_SEQUENCE_NUMBER` and `AFTER_SEQUENCE_NUMBER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

/// `GetShardIterator`'s response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorOutput {
    /// Where to read from, for `GetRecords` (valid 15 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_iterator: Option<String>,
}

/// `GetRecords`' request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsInput {
    /// From `GetShardIterator` or the previous `NextShardIterator`.
    pub shard_iterator: Option<String>,
    /// At most this many records (1–1000, default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `GetRecords`' response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsOutput {
    /// The records, in the shard's order.
    pub records: Vec<Record>,
    /// Where to read next; absent once a closed shard has been read to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_shard_iterator: Option<String>,
}

/// One change of one item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// A unique id of the record.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName")]
    pub event_name: String,
    /// `1.1`.
    #[serde(rename = "eventVersion")]
    pub event_version: String,
    /// `aws:dynamodb`.
    #[serde(rename = "eventSource")]
    pub event_source: String,
    /// The region of the table.
    #[serde(rename = "awsRegion")]
    pub aws_region: String,
    /// The change.
    pub dynamodb: StreamRecord,
    /// Present for deletions by time to live: the service did them.
    #[serde(rename = "userIdentity", default, skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<Identity>,
}

/// The change a [`Record`] describes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamRecord {
    /// When the change was made (epoch seconds, whole seconds).
    pub approximate_creation_date_time: f64,
    /// The item's key attributes.
    pub keys: Item,
    /// The item after the change (`NEW_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_image: Option<Item>,
    /// The item before the change (`OLD_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_image: Option<Item>,
    /// The record's place in its shard.
    pub sequence_number: String,
    /// The size of the keys and images, in bytes.
    pub size_bytes: i64,
    /// The stream's view type.
    pub stream_view_type: String,
}

/// Who made a change: for time to live, `{"PrincipalId": "dynamodb.amazonaws.com", "Type":
/// "Service"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Identity {
    /// `dynamodb.amazonaws.com`.
    pub principal_id: String,
    /// `Service`.
    #[serde(rename = "Type")]
    pub kind: String,
}
