//! Secondary indexes: their definitions (CreateTable, UpdateTable) and descriptions
//! (DescribeTable).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{KeySchemaElement, ProvisionedThroughput, ProvisionedThroughputDescription};

/// Which attributes an index copies from the table, beyond the keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    /// `KEYS_ONLY`, `INCLUDE` or `ALL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<String>,
    /// With `INCLUDE`: the other attributes copied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_key_attributes: Option<Vec<String>>,
}

impl Projection {
    /// `ALL`: the whole item.
    #[must_use]
    pub fn all() -> Projection {
        Projection { projection_type: Some("ALL".into()), non_key_attributes: None }
    }

    /// `KEYS_ONLY`: the table's and the index's keys.
    #[must_use]
    pub fn keys_only() -> Projection {
        Projection { projection_type: Some("KEYS_ONLY".into()), non_key_attributes: None }
    }

    /// `INCLUDE`: the keys and `attributes`.
    pub fn include<S: Into<String>>(attributes: impl IntoIterator<Item = S>) -> Projection {
        Projection {
            projection_type: Some("INCLUDE".into()),
            non_key_attributes: Some(attributes.into_iter().map(Into::into).collect()),
        }
    }
}

/// A local secondary index, as CreateTable defines it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndex {
    /// The index's name, unique among the table's indexes.
    pub index_name: Option<String>,
    /// The table's partition key, then the index's sort key.
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// The attributes copied into the index.
    pub projection: Option<Projection>,
}

/// A global secondary index, as CreateTable (and UpdateTable's `Create`) defines it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndex {
    /// The index's name, unique among the table's indexes.
    pub index_name: Option<String>,
    /// One to four `HASH` elements, then up to four `RANGE` elements.
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// The attributes copied into the index.
    pub projection: Option<Projection>,
    /// Required when the table is `PROVISIONED`, refused when it is `PAY_PER_REQUEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// On-demand throughput limits: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<Value>,
    /// Warm throughput: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<Value>,
}

/// A local secondary index as DescribeTable shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexDescription {
    /// The index's name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// The attributes it copies.
    pub projection: Projection,
    /// Total size of its entries in bytes.
    pub index_size_bytes: i64,
    /// Number of entries (items that carry the index's key).
    pub item_count: i64,
    /// `<table ARN>/index/<name>`.
    pub index_arn: String,
}

/// A global secondary index as DescribeTable shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexDescription {
    /// The index's name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// The attributes it copies.
    pub projection: Projection,
    /// `CREATING` (while an index added to a table with items is backfilled) or `ACTIVE`.
    pub index_status: String,
    /// Present while `CREATING`: whether the table's items are being copied in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfilling: Option<bool>,
    /// Its provisioned capacity (zeros for on-demand tables).
    pub provisioned_throughput: ProvisionedThroughputDescription,
    /// Total size of its entries in bytes.
    pub index_size_bytes: i64,
    /// Number of entries (items that carry the index's key).
    pub item_count: i64,
    /// `<table ARN>/index/<name>`.
    pub index_arn: String,
}

/// One change of UpdateTable's `GlobalSecondaryIndexUpdates`: exactly one member is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexUpdate {
    /// Adds an index; the table's items are backfilled into it in the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<GlobalSecondaryIndex>,
    /// Changes an index's provisioned capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateGlobalSecondaryIndexAction>,
    /// Removes an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<DeleteGlobalSecondaryIndexAction>,
}

/// UpdateTable's change of an index's capacity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGlobalSecondaryIndexAction {
    /// The index.
    pub index_name: Option<String>,
    /// Its new capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// On-demand throughput limits: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<Value>,
    /// Warm throughput: not supported, refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<Value>,
}

/// UpdateTable's removal of an index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteGlobalSecondaryIndexAction {
    /// The index.
    pub index_name: Option<String>,
}

impl LocalSecondaryIndex {
    /// A local index `name` over the table's partition key `partition` and the sort key
    /// `sort`, projecting every attribute until [`LocalSecondaryIndex::projection`] says
    /// otherwise. Define `sort`'s type with [`super::CreateTableInput::attribute`].
    pub fn new(
        name: impl Into<String>,
        partition: impl Into<String>,
        sort: impl Into<String>,
    ) -> LocalSecondaryIndex {
        LocalSecondaryIndex {
            index_name: Some(name.into()),
            key_schema: Some(vec![
                KeySchemaElement::hash(partition),
                KeySchemaElement::range(sort),
            ]),
            projection: Some(Projection::all()),
        }
    }

    /// What the index copies.
    #[must_use]
    pub fn projection(mut self, projection: Projection) -> LocalSecondaryIndex {
        self.projection = Some(projection);
        self
    }
}

impl GlobalSecondaryIndex {
    /// A global index `name` without keys yet, projecting every attribute until
    /// [`GlobalSecondaryIndex::projection`] says otherwise. Define the key attributes' types
    /// with [`super::CreateTableInput::attribute`].
    pub fn new(name: impl Into<String>) -> GlobalSecondaryIndex {
        GlobalSecondaryIndex {
            index_name: Some(name.into()),
            key_schema: Some(Vec::new()),
            projection: Some(Projection::all()),
            ..GlobalSecondaryIndex::default()
        }
    }

    /// Adds a partition key attribute (up to four, in order).
    #[must_use]
    pub fn partition_key(mut self, name: impl Into<String>) -> GlobalSecondaryIndex {
        self.key_schema.get_or_insert_with(Vec::new).push(KeySchemaElement::hash(name));
        self
    }

    /// Adds a sort key attribute (up to four, in order, after the partition key ones).
    #[must_use]
    pub fn sort_key(mut self, name: impl Into<String>) -> GlobalSecondaryIndex {
        self.key_schema.get_or_insert_with(Vec::new).push(KeySchemaElement::range(name));
        self
    }

    /// What the index copies.
    #[must_use]
    pub fn projection(mut self, projection: Projection) -> GlobalSecondaryIndex {
        self.projection = Some(projection);
        self
    }

    /// Provisioned capacity (required on a provisioned table).
    #[must_use]
    pub fn provisioned(
        mut self,
        read_capacity_units: i64,
        write_capacity_units: i64,
    ) -> GlobalSecondaryIndex {
        self.provisioned_throughput = Some(ProvisionedThroughput {
            read_capacity_units: Some(read_capacity_units),
            write_capacity_units: Some(write_capacity_units),
        });
        self
    }
}

/// The size of the item collection a write touched (tables with local secondary indexes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemCollectionMetrics {
    /// The partition key of the collection.
    pub item_collection_key: crate::model::Item,
    /// A lower and an upper bound of its size, in gigabytes.
    #[serde(rename = "SizeEstimateRangeGB")]
    pub size_estimate_range_gb: Vec<f64>,
}
