//! The request and response shapes, field for field as DynamoDB's API reference names them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{AttributeValue, Item};

use super::{
    GlobalSecondaryIndex, GlobalSecondaryIndexDescription, GlobalSecondaryIndexUpdate,
    ItemCollectionMetrics, LocalSecondaryIndex, LocalSecondaryIndexDescription,
    StreamSpecification,
};

/// One element of a key schema: an attribute and its role (`HASH` or `RANGE`).
///
/// Members DynamoDB requires are `Option`s all the same, so that a request missing one gets
/// DynamoDB's `ValidationException` ("Value null at 'keySchema.1.member.keyType' failed to
/// satisfy constraint: Member must not be null"), not a decoding error. The same holds for the
/// other nested shapes here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// The key attribute's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
    /// `HASH` (partition key) or `RANGE` (sort key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
}

impl KeySchemaElement {
    /// A partition key element.
    pub fn hash(name: impl Into<String>) -> KeySchemaElement {
        KeySchemaElement { attribute_name: Some(name.into()), key_type: Some("HASH".into()) }
    }

    /// A sort key element.
    pub fn range(name: impl Into<String>) -> KeySchemaElement {
        KeySchemaElement { attribute_name: Some(name.into()), key_type: Some("RANGE".into()) }
    }

    /// The attribute's name, or `""` when missing.
    #[must_use]
    pub fn name(&self) -> &str {
        self.attribute_name.as_deref().unwrap_or_default()
    }

    /// The key type, or `""` when missing.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.key_type.as_deref().unwrap_or_default()
    }
}

/// The type of a key attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// The attribute's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
    /// `S`, `N` or `B`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_type: Option<String>,
}

impl AttributeDefinition {
    /// A definition of `name` as type `attribute_type` (`S`, `N` or `B`).
    pub fn new(name: impl Into<String>, attribute_type: impl Into<String>) -> AttributeDefinition {
        AttributeDefinition {
            attribute_name: Some(name.into()),
            attribute_type: Some(attribute_type.into()),
        }
    }

    /// The attribute's name, or `""` when missing.
    #[must_use]
    pub fn name(&self) -> &str {
        self.attribute_name.as_deref().unwrap_or_default()
    }

    /// The type, or `""` when missing.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.attribute_type.as_deref().unwrap_or_default()
    }
}

/// Provisioned read and write capacity, as requested.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughput {
    /// Read capacity units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<i64>,
    /// Write capacity units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<i64>,
}

/// Provisioned capacity as a table description reports it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughputDescription {
    /// When capacity was last increased (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_increase_date_time: Option<f64>,
    /// When capacity was last decreased (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_decrease_date_time: Option<f64>,
    /// Decreases so far today.
    pub number_of_decreases_today: i64,
    /// Read capacity units (0 for on-demand tables).
    pub read_capacity_units: i64,
    /// Write capacity units (0 for on-demand tables).
    pub write_capacity_units: i64,
}

/// The billing mode and when it last changed to on-demand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingModeSummary {
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// When the table last switched to `PAY_PER_REQUEST` (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_to_pay_per_request_date_time: Option<f64>,
}

/// The table class and when it last changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableClassSummary {
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    pub table_class: String,
    /// When it last changed (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_date_time: Option<f64>,
}

/// A tag of a resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag's key, 1–128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The tag's value, 0–256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Tag {
    /// A tag `key` = `value`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag { key: Some(key.into()), value: Some(value.into()) }
    }
}

/// Server-side encryption settings. DynamoDB always encrypts at rest; `Enabled: true` asks for
/// a KMS key, which Basalt does not have.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseSpecification {
    /// Whether a KMS key encrypts the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `AES256` or `KMS`.
    #[serde(default, rename = "SSEType", skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<String>,
    /// The KMS key.
    #[serde(default, rename = "KMSMasterKeyId", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
}

/// `CreateTable`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableInput {
    /// The new table's name.
    pub table_name: Option<String>,
    /// The partition key and optional sort key.
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// The types of the key attributes.
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// `PROVISIONED` (default) or `PAY_PER_REQUEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<String>,
    /// Required for `PROVISIONED`, forbidden for `PAY_PER_REQUEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Tags to attach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// `STANDARD` (default) or `STANDARD_INFREQUENT_ACCESS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class: Option<String>,
    /// Whether DeleteTable is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
    /// Encryption settings.
    #[serde(default, rename = "SSESpecification", skip_serializing_if = "Option::is_none")]
    pub sse_specification: Option<SseSpecification>,
    /// Local secondary indexes (up to 5): same partition key, another sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
    /// Global secondary indexes (up to 20): other keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    /// The table's stream, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// On-demand throughput limits: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<Value>,
    /// Warm throughput: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<Value>,
    /// Resource-based policy: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<Value>,
}

/// What DescribeTable (and the other control-plane calls) say about a table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescription {
    /// The key attributes' types.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The table's name.
    pub table_name: String,
    /// The key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// `CREATING`, `ACTIVE`, `DELETING`, `UPDATING`.
    pub table_status: String,
    /// When the table was created (epoch seconds).
    pub creation_date_time: f64,
    /// Provisioned capacity (zeros for on-demand tables).
    pub provisioned_throughput: ProvisionedThroughputDescription,
    /// Total size of the items in bytes, by DynamoDB's item size rules.
    pub table_size_bytes: i64,
    /// Number of items.
    pub item_count: i64,
    /// `arn:aws:dynamodb:<region>:<account>:table/<name>`.
    pub table_arn: String,
    /// A unique identifier of this incarnation of the table.
    pub table_id: String,
    /// Billing mode, present for on-demand tables and tables that were on-demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode_summary: Option<BillingModeSummary>,
    /// Table class, present when it is not the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class_summary: Option<TableClassSummary>,
    /// Whether DeleteTable is refused.
    pub deletion_protection_enabled: bool,
    /// The local secondary indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexDescription>>,
    /// The global secondary indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexDescription>>,
    /// The stream setting, while a stream is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// The label of the newest stream (also once disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_stream_label: Option<String>,
    /// The ARN of the newest stream (also once disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_stream_arn: Option<String>,
}

/// `CreateTable`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableOutput {
    /// The new table.
    pub table_description: TableDescription,
}

/// A request that names just a table: `DeleteTable`, `DescribeTable`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableNameInput {
    /// The table's name (or, for data-plane calls, its ARN).
    pub table_name: Option<String>,
}

/// `DeleteTable`'s request.
pub type DeleteTableInput = TableNameInput;
/// `DescribeTable`'s request.
pub type DescribeTableInput = TableNameInput;

/// `DeleteTable`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableOutput {
    /// The table as it was, with status `DELETING`.
    pub table_description: TableDescription,
}

/// `DescribeTable`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTableOutput {
    /// The table.
    pub table: TableDescription,
}

/// `ListTables`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesInput {
    /// Start after this name (the previous page's `LastEvaluatedTableName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_table_name: Option<String>,
    /// At most this many names, 1–100 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `ListTables`'s response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesOutput {
    /// Table names in ascending order.
    pub table_names: Vec<String>,
    /// Present when more names follow: pass it as `ExclusiveStartTableName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated_table_name: Option<String>,
}

/// `UpdateTable`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableInput {
    /// The table.
    pub table_name: Option<String>,
    /// Needed only with index changes; accepted when it agrees with the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// A new billing mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<String>,
    /// New provisioned capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// A new table class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class: Option<String>,
    /// Turns deletion protection on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
    /// Encryption settings: refused when they ask for KMS.
    #[serde(default, rename = "SSESpecification", skip_serializing_if = "Option::is_none")]
    pub sse_specification: Option<SseSpecification>,
    /// Global secondary index changes: one `Create` or `Delete`, or capacity `Update`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_secondary_index_updates: Option<Vec<GlobalSecondaryIndexUpdate>>,
    /// Turns the stream on (a new stream) or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// Global table replicas: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_updates: Option<Value>,
    /// On-demand throughput limits: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<Value>,
    /// Warm throughput: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<Value>,
}

/// `UpdateTable`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableOutput {
    /// The table after the change.
    pub table_description: TableDescription,
}

/// `TagResource`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    /// The table's ARN.
    pub resource_arn: Option<String>,
    /// Tags to add or overwrite.
    pub tags: Option<Vec<Tag>>,
}

/// `UntagResource`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    /// The table's ARN.
    pub resource_arn: Option<String>,
    /// Keys of the tags to remove.
    pub tag_keys: Option<Vec<String>>,
}

/// `ListTagsOfResource`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceInput {
    /// The table's ARN.
    pub resource_arn: Option<String>,
    /// The previous page's `NextToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `ListTagsOfResource`'s response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceOutput {
    /// The tags, ordered by key.
    pub tags: Vec<Tag>,
    /// Present when more tags follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `DescribeLimits`'s response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLimitsOutput {
    /// Read capacity an account may provision in a region.
    pub account_max_read_capacity_units: i64,
    /// Write capacity an account may provision in a region.
    pub account_max_write_capacity_units: i64,
    /// Read capacity one table may provision.
    pub table_max_read_capacity_units: i64,
    /// Write capacity one table may provision.
    pub table_max_write_capacity_units: i64,
}

/// One endpoint in `DescribeEndpoints`'s response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    /// The endpoint's host (and port).
    pub address: String,
    /// How long a client may cache it.
    pub cache_period_in_minutes: i64,
}

/// `DescribeEndpoints`'s response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeEndpointsOutput {
    /// The endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// Capacity consumed on one table or index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capacity {
    /// Read capacity units consumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Write capacity units consumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    /// Total capacity units consumed.
    pub capacity_units: f64,
}

/// Capacity an operation consumed, when `ReturnConsumedCapacity` asked for it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity {
    /// The table.
    pub table_name: String,
    /// Total capacity units.
    pub capacity_units: f64,
    /// Read capacity units, for reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Write capacity units, for writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    /// The table's share, with `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Capacity>,
}

/// `PutItem`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The item, key attributes included.
    pub item: Option<Item>,
    /// `NONE` (default) or `ALL_OLD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values: Option<String>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` (default) or `SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<String>,
    /// The condition the existing item (or its absence) must meet for the write to happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// Placeholders for names in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// Legacy condition: per attribute, what it must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    /// Legacy `AND`/`OR` for `Expected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<String>,
    /// `NONE` or `ALL_OLD`, for a failed condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// `PutItem`'s and `DeleteItem`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteItemOutput {
    /// The old item, with `ReturnValues: ALL_OLD`, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity consumed, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
    /// The size of the item's collection, with `ReturnItemCollectionMetrics: SIZE` on a table
    /// with local secondary indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<ItemCollectionMetrics>,
}

/// `PutItem`'s response.
pub type PutItemOutput = WriteItemOutput;
/// `DeleteItem`'s response.
pub type DeleteItemOutput = WriteItemOutput;

/// `GetItem`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// Accepted; every read is strongly consistent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Legacy projection: the top-level attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
    /// The attributes to return, as document paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// Placeholders for names in the projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
}

/// `GetItem`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOutput {
    /// The item, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// Capacity consumed, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `DeleteItem`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// `NONE` (default) or `ALL_OLD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values: Option<String>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` (default) or `SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<String>,
    /// The condition the existing item (or its absence) must meet for the write to happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// Placeholders for names in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// Legacy condition: per attribute, what it must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    /// Legacy `AND`/`OR` for `Expected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<String>,
    /// `NONE` or `ALL_OLD`, for a failed condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// A legacy condition on one attribute (`Expected`): `Value` alone means equality, `Exists:
/// false` that the attribute is absent, or a `ComparisonOperator` with its `AttributeValueList`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    /// The value to compare with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<AttributeValue>,
    /// Whether the attribute must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// `EQ`, `NE`, `LE`, `LT`, `GE`, `GT`, `NOT_NULL`, `NULL`, `CONTAINS`, `NOT_CONTAINS`,
    /// `BEGINS_WITH`, `IN` or `BETWEEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison_operator: Option<String>,
    /// The operator's operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// A legacy condition on one attribute (`KeyConditions`, `QueryFilter`, `ScanFilter`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyCondition {
    /// The operator, as for [`ExpectedAttributeValue::comparison_operator`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison_operator: Option<String>,
    /// The operator's operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// A legacy update of one attribute (`AttributeUpdates`): `PUT` (the default), `ADD` or
/// `DELETE`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    /// The value to put, add or delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<AttributeValue>,
    /// `PUT`, `ADD` or `DELETE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// `UpdateItem`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// The changes: `SET`, `REMOVE`, `ADD` and `DELETE` clauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_expression: Option<String>,
    /// The condition the existing item (or its absence) must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// Placeholders for names in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// Legacy changes, per attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_updates: Option<BTreeMap<String, AttributeValueUpdate>>,
    /// Legacy condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    /// Legacy `AND`/`OR` for `Expected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<String>,
    /// `NONE` (default), `ALL_OLD`, `UPDATED_OLD`, `ALL_NEW` or `UPDATED_NEW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values: Option<String>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` (default) or `SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<String>,
    /// `NONE` or `ALL_OLD`, for a failed condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// `UpdateItem`'s response.
pub type UpdateItemOutput = WriteItemOutput;

/// `Query`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// A secondary index to query instead of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// The partition key equality, and optionally a sort key condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_condition_expression: Option<String>,
    /// A condition on the items read; those failing it are not returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// The attributes to return, as document paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// Placeholders for names in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// `ALL_ATTRIBUTES`, `ALL_PROJECTED_ATTRIBUTES`, `SPECIFIC_ATTRIBUTES` or `COUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<String>,
    /// The most items to read (before the filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Whether a read must see every write acknowledged before it (the default is eventual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Ascending sort key order (the default) or descending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_index_forward: Option<bool>,
    /// Where to continue: a previous page's `LastEvaluatedKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<Item>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// Legacy projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
    /// Legacy key conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_conditions: Option<BTreeMap<String, LegacyCondition>>,
    /// Legacy filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_filter: Option<BTreeMap<String, LegacyCondition>>,
    /// Legacy `AND`/`OR` for `QueryFilter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<String>,
}

/// `Scan`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// A secondary index to scan instead of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// A condition on the items read; those failing it are not returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// The attributes to return, as document paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// Placeholders for names in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// `ALL_ATTRIBUTES`, `ALL_PROJECTED_ATTRIBUTES`, `SPECIFIC_ATTRIBUTES` or `COUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<String>,
    /// The most items to read (before the filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Whether a read must see every write acknowledged before it (the default is eventual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Where to continue: a previous page's `LastEvaluatedKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<Item>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// For a parallel scan: this worker's segment, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<i64>,
    /// For a parallel scan: the number of segments (1 to 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_segments: Option<i64>,
    /// Legacy projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
    /// Legacy filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_filter: Option<BTreeMap<String, LegacyCondition>>,
    /// Legacy `AND`/`OR` for `ScanFilter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<String>,
}

/// `Query`'s and `Scan`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryOutput {
    /// The items that passed the filter, projected; absent with `Select: COUNT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// How many items passed the filter.
    pub count: i64,
    /// How many items were read, before the filter.
    pub scanned_count: i64,
    /// Where the next page starts, when this one did not reach the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Item>,
    /// Capacity consumed, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `Scan`'s response.
pub type ScanOutput = QueryOutput;
