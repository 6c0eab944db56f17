//! The request and response shapes of BatchGetItem, BatchWriteItem, TransactGetItems and
//! TransactWriteItems, field for field as DynamoDB's API reference names them.
//!
//! As elsewhere in [`crate::api`], members DynamoDB requires are `Option`s, so that a missing one
//! gets DynamoDB's `ValidationException` rather than a decoding error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{ConsumedCapacity, ItemCollectionMetrics};
use crate::model::Item;

/// One table's part of a BatchGetItem: the keys to read and how.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes {
    /// The keys of the items to read (1–100 over the whole request).
    pub keys: Option<Vec<Item>>,
    /// Legacy projection: the top-level attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
    /// Accepted; every read is strongly consistent. Changes the capacity reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// The attributes to return, as document paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// Placeholders for names in the projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
}

/// `BatchGetItem`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemInput {
    /// Per table (name or ARN), the keys to read.
    pub request_items: Option<BTreeMap<String, KeysAndAttributes>>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
}

/// `BatchGetItem`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    /// Per table, the items found (in no particular order; missing items are left out).
    pub responses: BTreeMap<String, Vec<Item>>,
    /// Keys not read because the response reached 16 MB: send them again.
    pub unprocessed_keys: BTreeMap<String, KeysAndAttributes>,
    /// Capacity consumed per table, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// A put in a BatchWriteItem.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequest {
    /// The item, key attributes included.
    pub item: Option<Item>,
}

/// A delete in a BatchWriteItem.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequest {
    /// The key attributes, exactly.
    pub key: Option<Item>,
}

/// One write of a BatchWriteItem: exactly one of a put and a delete.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequest {
    /// A put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put_request: Option<PutRequest>,
    /// A delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_request: Option<DeleteRequest>,
}

/// `BatchWriteItem`'s request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemInput {
    /// Per table (name or ARN), the writes (1–25 over the whole request).
    pub request_items: Option<BTreeMap<String, Vec<WriteRequest>>>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` (default) or `SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<String>,
}

/// `BatchWriteItem`'s response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemOutput {
    /// Writes not applied: send them again. (Basalt applies every write of a valid batch, so
    /// this is always empty; the member is there because the SDKs' batch writers read it.)
    pub unprocessed_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Capacity consumed per table, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
    /// Per table with local secondary indexes, the collections written, with
    /// `ReturnItemCollectionMetrics: SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}

/// A transaction's check of an item it does not write.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionCheck {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// The condition the item (or its absence) must meet.
    pub condition_expression: Option<String>,
    /// Placeholders for names in the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// `NONE` or `ALL_OLD`: the item in the cancellation reason when the check fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// A transaction's put.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Put {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The item, key attributes included.
    pub item: Option<Item>,
    /// The condition the item it replaces (or its absence) must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// Placeholders for names in the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// `NONE` or `ALL_OLD`, for a failed condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// A transaction's delete.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Delete {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// The condition the item (or its absence) must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// Placeholders for names in the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// `NONE` or `ALL_OLD`, for a failed condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// A transaction's update.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Update {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// The changes: `SET`, `REMOVE`, `ADD` and `DELETE` clauses.
    pub update_expression: Option<String>,
    /// The condition the item (or its absence) must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// Placeholders for names in the expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Placeholders for values in the expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<Item>,
    /// `NONE` or `ALL_OLD`, for a failed condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// One action of a TransactWriteItems: exactly one of the four.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItem {
    /// A condition on an item the transaction does not write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_check: Option<ConditionCheck>,
    /// A put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put: Option<Put>,
    /// A delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Delete>,
    /// An update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
}

/// `TransactWriteItems`' request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsInput {
    /// The actions (1–100), applied all together or not at all.
    pub transact_items: Option<Vec<TransactWriteItem>>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` (default) or `SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<String>,
    /// Makes the call idempotent for 10 minutes (1–36 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

/// `TransactWriteItems`' response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsOutput {
    /// Capacity consumed per table, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
    /// Per table with local secondary indexes, the collections written, with
    /// `ReturnItemCollectionMetrics: SIZE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}

/// A transaction's read of one item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Get {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The key attributes, exactly.
    pub key: Option<Item>,
    /// The attributes to return, as document paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// Placeholders for names in the projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
}

/// One read of a TransactGetItems.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItem {
    /// The read.
    pub get: Option<Get>,
}

/// `TransactGetItems`' request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsInput {
    /// The reads (1–100), all from one consistent state.
    pub transact_items: Option<Vec<TransactGetItem>>,
    /// `NONE` (default), `TOTAL` or `INDEXES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<String>,
}

/// One item of a TransactGetItems response: empty when the item does not exist.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemResponse {
    /// The item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

/// `TransactGetItems`' response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsOutput {
    /// One entry per read, in request order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<Vec<ItemResponse>>,
    /// Capacity consumed per table, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// Why one action of a cancelled transaction failed (`Code` `None` when it did not).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancellationReason {
    /// The item as it was, for a failed condition with `ALL_OLD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
