//! The catalog: what tables exist, stored in the storage core itself (space 0), so that a
//! table's creation or deletion is as durable as any write and recovers with the log.
//!
//! Keys (`docs/model.md`, "Catalog"), all in space 0 with a zero hash, so they share shard 0:
//!
//! ```text
//! 00000000 | 00×8 | 'T' | table name      → TableRecord as JSON
//! 00000000 | 00×8 | 'N'                   → next space id: u32 BE
//! 00000000 | 00×8 | 'P' | space: u32 BE   → table name: its items are being deleted
//! 00000000 | 00×8 | 'S'                   → item counts and sizes at a clean close, JSON
//! 00000000 | 00×8 | 'R' | space: u32 BE   → a stream (`stream::StreamEntry`) as JSON
//! ```
//!
//! Items of a table live in its own space: `space: u32 BE | item key` (the storage core routes
//! by the 8 hash bytes after the space). Space ids are never reused, so a table created again
//! under a deleted table's name never meets the old table's items.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{
    AttributeDefinition, BillingModeSummary, DbError, GlobalSecondaryIndexDescription,
    KeySchemaElement, LocalSecondaryIndexDescription, Projection, ProvisionedThroughputDescription,
    TableClassSummary, TableDescription, Tag,
};
use crate::db::schema::{parse_key_type, KeyAttribute, Schema};

/// The space of the catalog itself.
pub(crate) const CATALOG_SPACE: u32 = 0;
const PREFIX: [u8; 12] = [0; 12];
const TAG_TABLE: u8 = b'T';
const TAG_NEXT_SPACE: u8 = b'N';
const TAG_PURGE: u8 = b'P';
const TAG_CLEAN_STATS: u8 = b'S';
const TAG_STREAM: u8 = b'R';
/// The version of [`TableRecord`]'s JSON.
const RECORD_FORMAT: u32 = 1;

/// Everything the catalog keeps about a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct TableRecord {
    pub(crate) format: u32,
    pub(crate) name: String,
    pub(crate) space: u32,
    pub(crate) table_id: String,
    pub(crate) arn: String,
    pub(crate) created: f64,
    pub(crate) key_schema: Vec<KeySchemaElement>,
    pub(crate) attribute_definitions: Vec<AttributeDefinition>,
    pub(crate) billing_mode: String,
    /// When the table last switched to on-demand (also set when created so).
    pub(crate) pay_per_request_since: Option<f64>,
    pub(crate) read_capacity: i64,
    pub(crate) write_capacity: i64,
    pub(crate) last_increase: Option<f64>,
    pub(crate) last_decrease: Option<f64>,
    /// Day number (epoch days, UTC) and count of capacity decreases on it.
    pub(crate) decreases: (i64, i64),
    pub(crate) table_class: String,
    pub(crate) table_class_changed: Option<f64>,
    pub(crate) deletion_protection: bool,
    pub(crate) tags: Vec<Tag>,
    /// The time-to-live setting; absent in records written before TTL existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ttl: Option<TtlRecord>,
    /// The secondary indexes, local ones first, each in the order defined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) indexes: Vec<IndexRecord>,
    /// The space of the newest stream (enabled or not), whose entry is a catalog entry of its
    /// own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latest_stream: Option<u32>,
    /// The space of the item collection sizes, for a table with local secondary indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) collections: Option<u32>,
}

/// A secondary index's definition and state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct IndexRecord {
    pub(crate) name: String,
    /// The space holding its entries (`docs/model.md`, "Index entries").
    pub(crate) space: u32,
    /// A local secondary index (same partition key as the table).
    pub(crate) local: bool,
    pub(crate) key_schema: Vec<KeySchemaElement>,
    pub(crate) projection: Projection,
    /// `ACTIVE`, or `CREATING` while the table's items are backfilled into it.
    pub(crate) status: String,
    pub(crate) read_capacity: i64,
    pub(crate) write_capacity: i64,
}

/// An index's status while its backfill runs.
pub(crate) const INDEX_CREATING: &str = "CREATING";
/// An index's status once it holds every item.
pub(crate) const INDEX_ACTIVE: &str = "ACTIVE";

/// A table's time-to-live setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TtlRecord {
    /// The attribute holding expiry times.
    pub(crate) attribute: String,
    /// Whether expiry is on.
    pub(crate) enabled: bool,
    /// When the setting last changed, epoch milliseconds.
    pub(crate) changed_ms: u64,
}

impl TableRecord {
    /// The key schema in the form the item checks use.
    pub(crate) fn schema(&self) -> Result<Schema, DbError> {
        schema_of(&self.key_schema, &self.attribute_definitions, &self.name)
    }

    /// The key schema of an index: its `HASH` elements and its `RANGE` elements, with their
    /// types from the table's attribute definitions.
    pub(crate) fn index_keys(
        &self,
        index: &IndexRecord,
    ) -> Result<(Vec<KeyAttribute>, Vec<KeyAttribute>), DbError> {
        let mut partition = Vec::new();
        let mut sort = Vec::new();
        for element in &index.key_schema {
            let definition = self.attribute_definitions.iter().find(|d| d.name() == element.name());
            let key_type = definition.and_then(|d| parse_key_type(d.kind())).ok_or_else(|| {
                corrupt(&self.name, "an index key attribute has no valid definition")
            })?;
            let attribute = KeyAttribute { name: element.name().to_string(), key_type };
            match element.kind() {
                "HASH" => partition.push(attribute),
                _ => sort.push(attribute),
            }
        }
        if partition.is_empty() {
            return Err(corrupt(&self.name, "an index without a partition key"));
        }
        Ok((partition, sort))
    }

    /// The indexes as DescribeTable shows them, with each one's statistics from `stats` (by
    /// index name; missing ones show zeros).
    pub(crate) fn describe_indexes(
        &self,
        description: &mut TableDescription,
        stats: &dyn Fn(&str) -> (i64, i64),
    ) {
        let mut local = Vec::new();
        let mut global = Vec::new();
        for index in &self.indexes {
            let (items, bytes) = stats(&index.name);
            if index.local {
                local.push(LocalSecondaryIndexDescription {
                    index_name: index.name.clone(),
                    key_schema: index.key_schema.clone(),
                    projection: index.projection.clone(),
                    index_size_bytes: bytes,
                    item_count: items,
                    index_arn: format!("{}/index/{}", self.arn, index.name),
                });
                continue;
            }
            global.push(self.global_description(index, items, bytes));
        }
        description.local_secondary_indexes = (!local.is_empty()).then_some(local);
        description.global_secondary_indexes = (!global.is_empty()).then_some(global);
    }

    /// How DescribeTable shows the global index `index` of this table, holding `items` entries
    /// of `bytes`.
    pub(crate) fn global_description(
        &self,
        index: &IndexRecord,
        items: i64,
        bytes: i64,
    ) -> GlobalSecondaryIndexDescription {
        let on_demand = self.billing_mode == "PAY_PER_REQUEST";
        GlobalSecondaryIndexDescription {
            index_name: index.name.clone(),
            key_schema: index.key_schema.clone(),
            projection: index.projection.clone(),
            index_status: index.status.clone(),
            backfilling: (index.status == INDEX_CREATING).then_some(true),
            provisioned_throughput: ProvisionedThroughputDescription {
                last_increase_date_time: None,
                last_decrease_date_time: None,
                number_of_decreases_today: 0,
                read_capacity_units: if on_demand { 0 } else { index.read_capacity },
                write_capacity_units: if on_demand { 0 } else { index.write_capacity },
            },
            index_size_bytes: bytes,
            item_count: items,
            index_arn: format!("{}/index/{}", self.arn, index.name),
        }
    }

    /// The table as DescribeTable shows it, with `status` and the given statistics (indexes
    /// not included: [`TableRecord::describe_indexes`]).
    pub(crate) fn describe(&self, status: &str, items: i64, bytes: i64) -> TableDescription {
        let on_demand = self.billing_mode == "PAY_PER_REQUEST";
        let billing_mode_summary = self.pay_per_request_since.map(|since| BillingModeSummary {
            billing_mode: self.billing_mode.clone(),
            last_update_to_pay_per_request_date_time: Some(since),
        });
        let table_class_summary = (self.table_class != "STANDARD"
            || self.table_class_changed.is_some())
        .then(|| TableClassSummary {
            table_class: self.table_class.clone(),
            last_update_date_time: self.table_class_changed,
        });
        TableDescription {
            attribute_definitions: self.attribute_definitions.clone(),
            table_name: self.name.clone(),
            key_schema: self.key_schema.clone(),
            table_status: status.to_string(),
            creation_date_time: self.created,
            provisioned_throughput: ProvisionedThroughputDescription {
                last_increase_date_time: self.last_increase,
                last_decrease_date_time: self.last_decrease,
                number_of_decreases_today: self.decreases.1,
                read_capacity_units: if on_demand { 0 } else { self.read_capacity },
                write_capacity_units: if on_demand { 0 } else { self.write_capacity },
            },
            table_size_bytes: bytes,
            item_count: items,
            table_arn: self.arn.clone(),
            table_id: self.table_id.clone(),
            billing_mode_summary,
            table_class_summary,
            deletion_protection_enabled: self.deletion_protection,
            local_secondary_indexes: None,
            global_secondary_indexes: None,
            stream_specification: None,
            latest_stream_label: None,
            latest_stream_arn: None,
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a table record serializes")
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<TableRecord, DbError> {
        let record: TableRecord = serde_json::from_slice(bytes)
            .map_err(|e| corrupt("?", &format!("table record does not decode: {e}")))?;
        if record.format != RECORD_FORMAT {
            return Err(corrupt(&record.name, "unknown table record format"));
        }
        Ok(record)
    }

    pub(crate) fn new_format() -> u32 {
        RECORD_FORMAT
    }
}

/// The key schema of table `name` from its definition.
pub(crate) fn schema_of(
    key_schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
    name: &str,
) -> Result<Schema, DbError> {
    let attribute = |element: &KeySchemaElement| {
        let definition = definitions.iter().find(|d| d.name() == element.name());
        let key_type = definition.and_then(|d| parse_key_type(d.kind()));
        key_type
            .map(|key_type| KeyAttribute { name: element.name().to_string(), key_type })
            .ok_or_else(|| corrupt(name, "a key attribute has no valid definition"))
    };
    let (first, rest) = key_schema.split_first().ok_or_else(|| corrupt(name, "no key schema"))?;
    Ok(Schema { partition: attribute(first)?, sort: rest.first().map(attribute).transpose()? })
}

/// Item counts and sizes per space, written at a clean close.
pub(crate) type CleanStats = BTreeMap<u32, (i64, i64)>;

fn corrupt(table: &str, what: &str) -> DbError {
    DbError::Internal(format!("Internal server error: catalog entry of table {table}: {what}"))
}

fn key(tag: u8, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(PREFIX.len() + 1 + rest.len());
    key.extend_from_slice(&PREFIX);
    key.push(tag);
    key.extend_from_slice(rest);
    key
}

pub(crate) fn table_key(name: &str) -> Vec<u8> {
    key(TAG_TABLE, name.as_bytes())
}

pub(crate) fn next_space_key() -> Vec<u8> {
    key(TAG_NEXT_SPACE, &[])
}

pub(crate) fn purge_key(space: u32) -> Vec<u8> {
    key(TAG_PURGE, &space.to_be_bytes())
}

pub(crate) fn stream_key(space: u32) -> Vec<u8> {
    key(TAG_STREAM, &space.to_be_bytes())
}

pub(crate) const fn stream_tag() -> u8 {
    TAG_STREAM
}

pub(crate) fn clean_stats_key() -> Vec<u8> {
    key(TAG_CLEAN_STATS, &[])
}

/// The range of keys with `tag`.
pub(crate) fn tag_range(tag: u8) -> std::ops::Range<Vec<u8>> {
    key(tag, &[])..key(tag + 1, &[])
}

pub(crate) const fn table_tag() -> u8 {
    TAG_TABLE
}

pub(crate) const fn purge_tag() -> u8 {
    TAG_PURGE
}

/// The space a purge key names.
pub(crate) fn purge_space(key: &[u8]) -> Option<u32> {
    let rest = key.get(PREFIX.len() + 1..)?;
    Some(u32::from_be_bytes(rest.try_into().ok()?))
}

/// The first key of `space` (inclusive) and of the next space (exclusive).
pub(crate) fn space_range(space: u32) -> std::ops::Range<Vec<u8>> {
    let start = space.to_be_bytes().to_vec();
    let end = match space.checked_add(1) {
        Some(next) => next.to_be_bytes().to_vec(),
        None => vec![0xFF; 5],
    };
    start..end
}

/// The storage key of an item of `space` whose item key is `item_key`.
pub(crate) fn item_storage_key(space: u32, item_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(4 + item_key.len());
    key.extend_from_slice(&space.to_be_bytes());
    key.extend_from_slice(item_key);
    key
}

/// `range` as the slice range [`crate::core::Snapshot::range`] takes.
pub(crate) fn as_slices(
    range: &std::ops::Range<Vec<u8>>,
) -> (std::ops::Bound<&[u8]>, std::ops::Bound<&[u8]>) {
    (
        std::ops::Bound::Included(range.start.as_slice()),
        std::ops::Bound::Excluded(range.end.as_slice()),
    )
}
