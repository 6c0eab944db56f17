//! Secondary indexes: how their entries are keyed and what they hold, and how every write of
//! an item keeps them equal to what their definitions derive from the table.
//!
//! An index's entries live in a space of their own (`docs/model.md`, "Index entries"):
//!
//! ```text
//! index space: u32 BE | route: 8 bytes | enc(index partition values…) | enc(index sort values…)
//!                     | table item key (hash | enc(partition) | enc(sort)?)
//! ```
//!
//! The route puts every entry in the shard of the item it comes from, so an entry is written
//! in the same log record, under the same writer lock, and published with its item: no crash
//! and no reader can ever find an index that disagrees with its table, and an older change
//! never overwrites a newer entry. For a local index the route is the item's partition hash, so
//! one partition's entries are contiguous and ordered by the index's sort key, exactly like the
//! table's items. For a global index it is the first routing prefix of the item's shard
//! ([`ShardId::first_prefix`]): within each shard the entries are ordered by the index's key,
//! and a Query on a global index reads one range per shard and merges them by the bytes after
//! the route (DynamoDB's global indexes are eventually consistent; these are never behind).
//!
//! The value is the projected item (the table's and the index's key attributes, plus the
//! projection's), stored as a row (`row.rs`). An item lacking any of the index's key attributes
//! has no entry (a sparse index).

use std::ops::Range;
use std::sync::Arc;

use crate::api::DbError;
use crate::core::{Batch, Routing, ShardId};
use crate::db::catalog::{IndexRecord, TableRecord, INDEX_ACTIVE};
use crate::db::keycond::{KeyOp, KeyTerm};
use crate::db::row::{decode_row, encode_row, row_size};
use crate::db::schema::{
    key_type_name, key_value, KeyAttribute, Schema, PARTITION_KEY_BYTES_MAX, SORT_KEY_BYTES_MAX,
};
use crate::db::TableStats;
use crate::expr::type_name;
use crate::model::{encode_key_prefix, item_size_bytes, AttributeValue, Item, KeyValue};

/// Bytes of the space id that starts every storage key.
const SPACE_BYTES: usize = 4;
/// Bytes of the route after the space.
const ROUTE_BYTES: usize = 8;
/// Where the ordered part of an entry key starts (what a global index's merge compares).
pub(crate) const ENTRY_SUFFIX_AT: usize = SPACE_BYTES + ROUTE_BYTES;

/// What an index copies from the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Projected {
    KeysOnly,
    Include(Vec<String>),
    All,
}

/// A secondary index as reads and writes use it.
#[derive(Debug)]
pub(crate) struct Index {
    pub(crate) record: IndexRecord,
    /// The partition key attributes (one for a local index, one to four for a global one).
    pub(crate) partition: Vec<KeyAttribute>,
    /// The sort key attributes (none to four).
    pub(crate) sort: Vec<KeyAttribute>,
    pub(crate) projected: Projected,
    /// The table's key attributes, always projected.
    table_keys: Vec<String>,
    /// Entry count and size; shared by every version of the table's definition.
    pub(crate) stats: Arc<TableStats>,
}

impl Index {
    /// The index `record` of `table`, with fresh statistics.
    pub(crate) fn new(table: &TableRecord, record: IndexRecord) -> Result<Index, DbError> {
        Index::with_stats(table, record, None)
    }

    /// The index `record` of `table`, keeping `stats` (those of its earlier definition).
    pub(crate) fn with_stats(
        table: &TableRecord,
        record: IndexRecord,
        stats: Option<Arc<TableStats>>,
    ) -> Result<Index, DbError> {
        let (partition, sort) = table.index_keys(&record)?;
        let table_keys = table.key_schema.iter().map(|k| k.name().to_string()).collect();
        let projected = match record.projection.projection_type.as_deref() {
            Some("ALL") => Projected::All,
            Some("INCLUDE") => {
                Projected::Include(record.projection.non_key_attributes.clone().unwrap_or_default())
            }
            _ => Projected::KeysOnly,
        };
        Ok(Index {
            record,
            partition,
            sort,
            projected,
            table_keys,
            stats: stats.unwrap_or_default(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.record.name
    }

    pub(crate) fn is_local(&self) -> bool {
        self.record.local
    }

    /// Whether reads may use it (a global index being backfilled may not).
    pub(crate) fn is_active(&self) -> bool {
        self.record.status == INDEX_ACTIVE
    }

    /// The key attributes: partition ones, then sort ones.
    pub(crate) fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.partition.iter().chain(&self.sort)
    }

    /// Whether `name` is one of the attributes every entry holds (table and index keys).
    pub(crate) fn is_key(&self, name: &str) -> bool {
        self.table_keys.iter().any(|k| k == name) || self.key_attributes().any(|k| k.name == name)
    }

    /// Whether the index holds every attribute of its items.
    pub(crate) fn projects_all(&self) -> bool {
        self.projected == Projected::All
    }

    /// Whether entries hold attribute `name`.
    pub(crate) fn projects(&self, name: &str) -> bool {
        match &self.projected {
            Projected::All => true,
            Projected::Include(names) => names.iter().any(|n| n == name) || self.is_key(name),
            Projected::KeysOnly => self.is_key(name),
        }
    }

    /// The index key values of `item`, partition ones first; `None` when it lacks one of them
    /// (no entry). A key attribute of the wrong type, an empty string or binary, or an
    /// oversized value is DynamoDB's `ValidationException`: the write is refused. (The table's
    /// own key attributes are the table key's to check, with its messages, which DynamoDB gives
    /// first.) `by` says which message an empty value gets.
    pub(crate) fn key_values(
        &self,
        item: &Item,
        by: WrittenBy,
    ) -> Result<Option<Vec<KeyValue>>, DbError> {
        let mut values = Vec::with_capacity(self.partition.len() + self.sort.len());
        let mut complete = true;
        for attribute in self.key_attributes() {
            let Some(value) = item.get(&attribute.name) else {
                complete = false;
                continue;
            };
            if self.table_keys.contains(&attribute.name) {
                match key_value(value, attribute.key_type) {
                    Some(key) => values.push(key),
                    None => complete = false,
                }
                continue;
            }
            let Some(key) = key_value(value, attribute.key_type) else {
                return Err(DbError::invalid_parameter(format_args!(
                    "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attribute.name,
                    key_type_name(attribute.key_type),
                    type_name(value),
                    self.name()
                )));
            };
            let len = match &key {
                KeyValue::S(s) => s.len(),
                KeyValue::B(b) => b.len(),
                KeyValue::N(_) => 1,
            };
            if len == 0 {
                let kind = if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" };
                return Err(DbError::validation(match by {
                    WrittenBy::Put => format!(
                        "One or more parameter values are not valid. A value specified for a \
                         secondary index key is not supported. The AttributeValue for a key \
                         attribute cannot contain an empty {kind} value. IndexName: {}, \
                         IndexKey: {}",
                        self.name(),
                        attribute.name
                    ),
                    WrittenBy::Update => format!(
                        "One or more parameter values are not valid. The update expression \
                         attempted to update a secondary index key to a value that is not \
                         supported. The AttributeValue for a key attribute cannot contain an \
                         empty {kind} value."
                    ),
                }));
            }
            let is_partition = self.partition.iter().any(|p| p.name == attribute.name);
            let max = if is_partition { PARTITION_KEY_BYTES_MAX } else { SORT_KEY_BYTES_MAX };
            if len > max {
                return Err(DbError::invalid_parameter(format_args!(
                    "Size limit exceeded for Index Key {} Actual Size: {len} bytes Max Size: \
                     {max} bytes IndexName: {}",
                    attribute.name,
                    self.name()
                )));
            }
            values.push(key);
        }
        Ok(complete.then_some(values))
    }

    /// The route of the entry of the item stored under `storage_key` (table space and item
    /// key) in a store of `shards` shards.
    fn route_of_item(&self, storage_key: &[u8], shards: u16) -> [u8; ROUTE_BYTES] {
        if self.is_local() {
            let mut route = [0u8; ROUTE_BYTES];
            let hash = storage_key.get(SPACE_BYTES..ENTRY_SUFFIX_AT).unwrap_or_default();
            route[..hash.len()].copy_from_slice(hash);
            route
        } else {
            let shard = Routing::Spaced.shard_of(storage_key, shards);
            shard.first_prefix(shards).to_be_bytes()
        }
    }

    /// The entry key of the item stored under `storage_key` whose index key values are
    /// `values`.
    pub(crate) fn entry_key(
        &self,
        storage_key: &[u8],
        values: &[KeyValue],
        shards: u16,
    ) -> Vec<u8> {
        let item_key = storage_key.get(SPACE_BYTES..).unwrap_or_default();
        let mut key = Vec::with_capacity(ENTRY_SUFFIX_AT + item_key.len() + 32);
        key.extend_from_slice(&self.record.space.to_be_bytes());
        key.extend_from_slice(&self.route_of_item(storage_key, shards));
        for value in values {
            value.encode_key(&mut key);
        }
        key.extend_from_slice(item_key);
        key
    }

    /// The projection of `item`: what the entry holds.
    pub(crate) fn project(&self, item: &Item) -> Item {
        match &self.projected {
            Projected::All => item.clone(),
            _ => item
                .iter()
                .filter(|(name, _)| self.projects(name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        }
    }

    /// The entry of `item` (stored under `storage_key`): its key and row, and the projected
    /// size; `None` when the item has no entry.
    fn entry(
        &self,
        storage_key: &[u8],
        (item, row): (&Item, &[u8]),
        shards: u16,
        by: WrittenBy,
    ) -> Result<Option<Entry>, DbError> {
        let Some(values) = self.key_values(item, by)? else { return Ok(None) };
        let key = self.entry_key(storage_key, &values, shards);
        if self.projects_all() {
            // The entry is the item itself: its stored row, copied, not encoded again.
            return Ok(Some(Entry { key, row: row.to_vec(), size: row_size(row)? }));
        }
        let projected = self.project(item);
        let size = item_size_bytes(&projected);
        Ok(Some(Entry { key, row: encode_row(&projected, size), size }))
    }

    /// The attribute names of the start key of a read of this index: the table's keys and
    /// the index's.
    pub(crate) fn start_key_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.table_keys.iter().map(String::as_str).collect();
        for attribute in self.key_attributes() {
            if !names.contains(&attribute.name.as_str()) {
                names.push(&attribute.name);
            }
        }
        names
    }
}

/// Which write gives an index key its value: a put (the item as sent) or an update
/// expression. DynamoDB words the refusal of an empty value differently for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WrittenBy {
    Put,
    Update,
}

/// One index entry.
struct Entry {
    key: Vec<u8>,
    row: Vec<u8>,
    size: usize,
}

/// Index statistics to apply once a write is durable: `(stats, old size, new size)` per entry
/// written or deleted.
#[derive(Default)]
pub(crate) struct IndexDeltas(Vec<(Arc<TableStats>, Option<usize>, Option<usize>)>);

impl IndexDeltas {
    pub(crate) fn apply(self) {
        for (stats, old, new) in self.0 {
            stats.replace(old, new);
        }
    }
}

/// Checks an item about to be written against every index's key types (before any lock is
/// taken, so a bad item is refused as DynamoDB refuses it, with nothing touched).
pub(crate) fn check_item(indexes: &[Arc<Index>], item: &Item) -> Result<(), DbError> {
    // With several bad indexes DynamoDB names the first by name.
    let mut by_name: Vec<&Arc<Index>> = indexes.iter().collect();
    by_name.sort_by(|a, b| a.name().cmp(b.name()));
    for index in by_name {
        index.key_values(item, WrittenBy::Put)?;
    }
    Ok(())
}

/// Adds to `batch` what the replacement of the row `old` by `new` (either absent: created or
/// deleted) under `storage_key` does to `indexes`: the entries that change are deleted and
/// put, with their statistics in `deltas`. Runs under the item's shard's writer lock, which
/// also guards every entry of the item. Returns how many bytes the local indexes' entries of
/// the item grew by (negative: shrank), for the item collection's size.
pub(crate) fn maintain(
    indexes: &[Arc<Index>],
    shards: u16,
    storage_key: &[u8],
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    batch: &mut Batch,
    deltas: &mut IndexDeltas,
) -> Result<i64, DbError> {
    if indexes.is_empty() || (old.is_none() && new.is_none()) {
        return Ok(0);
    }
    let mut local_bytes = 0i64;
    let old = old.map(|row| decode_row(row).map(|item| (item, row))).transpose()?;
    let new = new.map(|row| decode_row(row).map(|item| (item, row))).transpose()?;
    for index in indexes {
        let before = match &old {
            // An item stored before is valid: its key types were checked when written, or
            // when the index was created. A mismatch here means no entry was made.
            Some((item, row)) => {
                index.entry(storage_key, (item, row), shards, WrittenBy::Put).ok().flatten()
            }
            None => None,
        };
        // Puts were checked before the lock ([`check_item`]): a refusal here is an update's.
        let after = match &new {
            Some((item, row)) => {
                index.entry(storage_key, (item, row), shards, WrittenBy::Update)?
            }
            None => None,
        };
        match (&before, &after) {
            (Some(b), Some(a)) if b.key == a.key && b.row == a.row => continue,
            (Some(b), Some(a)) if b.key == a.key => {
                batch.put(&a.key, &a.row);
            }
            (before, after) => {
                if let Some(b) = before {
                    batch.delete(&b.key);
                }
                if let Some(a) = after {
                    batch.put(&a.key, &a.row);
                }
            }
        }
        let sizes = (before.map(|e| e.size), after.map(|e| e.size));
        if index.is_local() {
            local_bytes += sizes.1.unwrap_or(0) as i64 - sizes.0.unwrap_or(0) as i64;
        }
        deltas.0.push((index.stats.clone(), sizes.0, sizes.1));
    }
    Ok(local_bytes)
}

/// The part of an index's entry keys (after the route) a Query reads: equality on every
/// partition attribute and on the first sort attributes (`eq`, in key order), then optionally
/// one condition on the next sort attribute.
pub(crate) fn suffix_range(
    eq: &[KeyValue],
    last: Option<(KeyOp, &[KeyValue])>,
) -> Result<Range<Vec<u8>>, DbError> {
    let mut prefix = Vec::new();
    for value in eq {
        value.encode_key(&mut prefix);
    }
    let with = |value: &KeyValue| {
        let mut key = prefix.clone();
        value.encode_key(&mut key);
        key
    };
    let whole = || prefix.clone()..successor(&prefix);
    let Some((op, values)) = last else { return Ok(whole()) };
    let first =
        values.first().ok_or_else(|| DbError::validation("Query key condition not supported"))?;
    Ok(match op {
        KeyOp::Eq => with(first)..successor(&with(first)),
        KeyOp::Lt => prefix.clone()..with(first),
        KeyOp::Le => prefix.clone()..successor(&with(first)),
        KeyOp::Gt => successor(&with(first))..successor(&prefix),
        KeyOp::Ge => with(first)..successor(&prefix),
        KeyOp::Between => {
            let high = values.get(1).unwrap_or(first);
            with(first)..successor(&with(high))
        }
        KeyOp::BeginsWith => {
            let mut start = prefix.clone();
            encode_key_prefix(first, &mut start).map_err(|_| {
                DbError::validation(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or \
                     function; operator or function: begins_with, operand type: N",
                )
            })?;
            let end = successor(&start);
            start..end
        }
    })
}

/// The smallest byte string above every string that starts with `prefix` (the empty string
/// stands for "no bound": only an all-`0xFF` prefix has none, and suffixes never are).
fn successor(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while end.last() == Some(&0xFF) {
        end.pop();
    }
    match end.last_mut() {
        Some(last) => *last += 1,
        None => end = vec![0xFF; prefix.len() + 1],
    }
    end
}

/// The entry-key ranges of a read of `suffix` (the bytes after the route): one range for a
/// local index (the route is the partition hash `hash`), one per shard for a global index.
pub(crate) fn ranges(
    index: &Index,
    suffix: &Range<Vec<u8>>,
    hash: Option<u64>,
    shards: u16,
) -> Vec<Range<Vec<u8>>> {
    let with_route = |route: u64| {
        let start = [&index.record.space.to_be_bytes()[..], &route.to_be_bytes(), &suffix.start];
        let end = [&index.record.space.to_be_bytes()[..], &route.to_be_bytes(), &suffix.end];
        start.concat()..end.concat()
    };
    match hash {
        Some(hash) if index.is_local() => vec![with_route(hash)],
        _ => (0..shards).map(|s| with_route(ShardId(s).first_prefix(shards))).collect(),
    }
}

/// The entry suffix (after the route) of an `ExclusiveStartKey` of a read of `index`: its
/// index key values and its table key. The key must hold exactly the table's and the index's
/// key attributes.
pub(crate) fn start_entry(
    index: &Index,
    schema: &Schema,
    space: u32,
    start: &Item,
    shards: u16,
) -> Result<Vec<u8>, DbError> {
    let invalid = || DbError::validation("The provided starting key is invalid");
    let names = index.start_key_names();
    if start.len() != names.len() || names.iter().any(|n| !start.contains_key(*n)) {
        return Err(invalid());
    }
    let table_key: Item = schema.key_item(start);
    let item_key = schema.key_of_key(&table_key).map_err(|_| invalid())?;
    let storage_key = crate::db::catalog::item_storage_key(space, &item_key);
    let values = index.key_values(start, WrittenBy::Put).map_err(|_| invalid())?;
    let values = values.ok_or_else(invalid)?;
    Ok(index.entry_key(&storage_key, &values, shards))
}

/// The index key values a Query's terms ask for, by DynamoDB's rules for the index's key:
/// equality on every partition attribute; on the sort attributes, equality on a leading run of
/// them and optionally one more condition on the next (for a single sort attribute, the usual
/// one condition).
pub(crate) fn match_terms(
    terms: &[KeyTerm],
    index: &Index,
) -> Result<(Vec<KeyValue>, Option<LastCondition>), DbError> {
    let missed = |name: &str| {
        DbError::validation(format!("Query condition missed key schema element: {name}"))
    };
    let not_supported = || DbError::validation("Query key condition not supported");
    if terms.iter().any(|t| !index.key_attributes().any(|k| k.name == t.attribute)) {
        // A condition on another attribute: DynamoDB names the first key attribute the
        // condition leaves out.
        let given = |k: &&KeyAttribute| terms.iter().any(|t| t.attribute == k.name);
        let name = index.key_attributes().find(|k| !given(k)).map_or("", |k| k.name.as_str());
        return Err(missed(name));
    }
    let mut eq = Vec::new();
    for attribute in &index.partition {
        let term = terms.iter().find(|t| t.attribute == attribute.name);
        let Some(term) = term else { return Err(missed(&attribute.name)) };
        if term.op != KeyOp::Eq {
            return Err(not_supported());
        }
        eq.push(term_value(&term.values, attribute)?);
    }
    let mut last = None;
    for (position, attribute) in index.sort.iter().enumerate() {
        let Some(term) = terms.iter().find(|t| t.attribute == attribute.name) else {
            // Sort attributes are given left to right: none may follow a gap.
            let later = &index.sort[position..];
            if later.iter().any(|a| terms.iter().any(|t| t.attribute == a.name)) {
                return Err(missed(&attribute.name));
            }
            break;
        };
        if last.is_some() {
            // A condition other than equality ends the run.
            return Err(not_supported());
        }
        let values = term
            .values
            .iter()
            .map(|v| term_value(std::slice::from_ref(v), attribute))
            .collect::<Result<Vec<_>, _>>()?;
        if term.op == KeyOp::Eq && position + 1 < index.sort.len() {
            eq.extend(values);
        } else {
            last = Some((term.op, values));
        }
    }
    Ok((eq, last))
}

/// The condition on the sort attribute after the equalities of an index Query.
pub(crate) type LastCondition = (KeyOp, Vec<KeyValue>);

/// A term's value as a key value of `attribute`'s type, with DynamoDB's messages.
fn term_value(values: &[AttributeValue], attribute: &KeyAttribute) -> Result<KeyValue, DbError> {
    crate::db::keycond::key_value_of(values, attribute.key_type, &attribute.name)
}
