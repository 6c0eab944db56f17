//! Item collections: the items of one partition of a table with local secondary indexes,
//! together with their local index entries. DynamoDB limits a collection to 10 GB
//! (`ItemCollectionSizeLimitExceededException`) and reports an estimate of its size when a write
//! asks (`ReturnItemCollectionMetrics: SIZE`).
//!
//! Each collection's size is a counter in the table's collections space (`docs/model.md`,
//! "Item collection sizes"), under the partition's prefix:
//!
//! ```text
//! collections space: u32 BE | hash: 8 bytes | enc(partition)  →  size in bytes: u64 LE
//! ```
//!
//! The hash routes the counter to the partition's shard, so a write reads and updates it under
//! the writer lock it already holds, in the same log record as the items and entries it
//! accounts for: the counter is exact after any crash. A collection's size is the DynamoDB size
//! of its items plus that of their local index entries (projected items).

use crate::api::{DbError, ItemCollectionMetrics};
use crate::core::Batch;
use crate::db::catalog;
use crate::db::schema::Schema;
use crate::model::{decode_item_key, partition_prefix, Item};

/// DynamoDB's limit on an item collection.
pub const ITEM_COLLECTION_BYTES_MAX: u64 = 10 * 1024 * 1024 * 1024;
const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The counter key of the collection of the item stored under `storage_key` (table space and
/// item key), in the collections space `space`.
pub(crate) fn counter_key(
    space: u32,
    schema: &Schema,
    storage_key: &[u8],
) -> Result<Vec<u8>, DbError> {
    let item_key = storage_key.get(4..).unwrap_or_default();
    let sort_type = schema.sort.as_ref().map(|s| s.key_type);
    let (partition, _) = decode_item_key(item_key, schema.partition.key_type, sort_type)
        .map_err(|e| DbError::Internal(format!("Internal server error: an item key: {e}")))?;
    Ok(catalog::item_storage_key(space, &partition_prefix(&partition)))
}

/// The collection sizes one write works with: read under the writer locks, changed by each
/// item it writes, written back in its batch.
pub(crate) struct Sizes {
    counters: Vec<(Vec<u8>, u64, bool)>,
    limit: u64,
}

impl Sizes {
    pub(crate) fn new(limit: u64) -> Sizes {
        Sizes { counters: Vec::new(), limit }
    }

    /// Records the stored value of counter `key` (the first reading of a key counts).
    pub(crate) fn read(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), DbError> {
        if self.counters.iter().any(|(k, _, _)| k == key) {
            return Ok(());
        }
        let size = match value {
            None => 0,
            Some(bytes) => u64::from_le_bytes(bytes.try_into().map_err(|_| {
                DbError::Internal("Internal server error: a damaged item collection size".into())
            })?),
        };
        self.counters.push((key.to_vec(), size, false));
        Ok(())
    }

    /// Grows (or shrinks) collection `key` by `delta` bytes; its new size. A collection that
    /// grows past the limit is DynamoDB's `ItemCollectionSizeLimitExceededException`.
    pub(crate) fn add(&mut self, key: &[u8], delta: i64) -> Result<u64, DbError> {
        let Some(counter) = self.counters.iter_mut().find(|(k, _, _)| k == key) else {
            return Err(DbError::Internal("Internal server error: an unread collection".into()));
        };
        let size = counter.1.saturating_add_signed(delta);
        if delta > 0 && size > self.limit {
            return Err(DbError::ItemCollectionSizeLimitExceeded(
                "The total size of an item collection has exceeded the maximum limit of 10 \
                 gigabytes."
                    .into(),
            ));
        }
        if delta != 0 {
            *counter = (counter.0.clone(), size, true);
        }
        Ok(size)
    }

    /// Takes the sizes of `later` (read after this one's were written) over this one's.
    pub(crate) fn absorb(&mut self, later: Sizes) {
        for (key, size, _) in later.counters {
            match self.counters.iter_mut().find(|(k, _, _)| *k == key) {
                Some(counter) => counter.1 = size,
                None => self.counters.push((key, size, false)),
            }
        }
    }

    /// The size of collection `key` (0 if it was not read).
    pub(crate) fn size_of(&self, key: &[u8]) -> u64 {
        self.counters.iter().find(|(k, _, _)| k == key).map_or(0, |(_, size, _)| *size)
    }

    /// Adds the changed counters to `batch` (an empty collection's counter is deleted).
    pub(crate) fn write(&self, batch: &mut Batch) {
        for (key, size, changed) in &self.counters {
            match (changed, size) {
                (false, _) => {}
                (true, 0) => {
                    batch.delete(key);
                }
                (true, size) => {
                    batch.put(key, size.to_le_bytes());
                }
            }
        }
    }
}

/// The metrics of the collection of `key` (an item or key of the table) of `size` bytes:
/// `ItemCollectionKey` is the partition key, `SizeEstimateRangeGB` the whole gigabytes around
/// the size.
pub(crate) fn metrics(schema: &Schema, key: &Item, size: u64) -> ItemCollectionMetrics {
    let name = &schema.partition.name;
    let partition: Item = key.get(name).map(|v| (name.clone(), v.clone())).into_iter().collect();
    let low = (size as f64 / GB).floor();
    ItemCollectionMetrics {
        item_collection_key: partition,
        size_estimate_range_gb: vec![low, low + 1.0],
    }
}

/// The counter keys of the items a multi-item write touches, one per item (`None` for a table
/// without local secondary indexes).
pub(crate) fn counters<'t>(
    items: impl Iterator<Item = (&'t crate::db::Table, &'t [u8])>,
) -> Result<Vec<Option<Vec<u8>>>, DbError> {
    items
        .map(|(table, key)| {
            let space = table.record.collections;
            space.map(|space| counter_key(space, &table.schema, key)).transpose()
        })
        .collect()
}

/// The metrics of every collection `counters` names, per table as the request named it, for
/// BatchWriteItem and TransactWriteItems (`items`: the table named, its schema and the item or
/// key written, per write).
pub(crate) fn report<'a>(
    asked: Option<&str>,
    items: impl Iterator<Item = (&'a str, &'a Schema, &'a Item)>,
    counters: &[Option<Vec<u8>>],
    sizes: &Sizes,
) -> Option<std::collections::BTreeMap<String, Vec<ItemCollectionMetrics>>> {
    if asked != Some("SIZE") {
        return None;
    }
    let mut report: std::collections::BTreeMap<String, Vec<ItemCollectionMetrics>> =
        std::collections::BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for ((table, schema, item), counter) in items.zip(counters) {
        let Some(counter) = counter else { continue };
        if seen.insert(counter.clone()) {
            let entry = metrics(schema, item, sizes.size_of(counter));
            report.entry(table.to_string()).or_default().push(entry);
        }
    }
    (!report.is_empty()).then_some(report)
}
