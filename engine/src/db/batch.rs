//! BatchGetItem and BatchWriteItem.
//!
//! A batch is checked completely before anything is read or written. BatchWriteItem then runs
//! as one [`Core::write_with`] over every key: one log record, one trip through the group
//! commit. DynamoDB promises less (each put or delete is atomic, the batch is not), so a batch
//! that is atomic here breaks nothing; `UnprocessedItems` is always empty, since a valid batch
//! is applied whole. BatchGetItem reads one snapshot and leaves keys unprocessed only where the
//! response would pass 16 MB, as DynamoDB does.
//!
//! [`Core::write_with`]: crate::core::Core::write_with

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::api::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput, DbError,
    KeysAndAttributes, WriteRequest,
};
use crate::core::Batch;
use crate::db::check::Constraints;
use crate::db::collection::{self, Sizes};
use crate::db::index::{self, IndexDeltas};
use crate::db::items::{
    check_values, read_units, sized, write_units, UnitsByTable, RETURN_CAPACITY,
};
use crate::db::row::{decode_row, encode_row, row_size};
use crate::db::transact::{hold_alive, Held};
use crate::db::{catalog, Db, Table};
use crate::expr;
use crate::model::{check_item_size, Item};

/// DynamoDB's bound on the writes of one BatchWriteItem.
const WRITES_MAX: usize = 25;
/// DynamoDB's bound on the keys of one BatchGetItem.
const READS_MAX: usize = 100;
/// DynamoDB's bound on a BatchGetItem response; keys past it come back unprocessed.
const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;
const DUPLICATES: &str = "Provided list of item keys contains duplicates";

/// One checked write of a batch.
struct Write<'a> {
    table: Arc<Table>,
    table_named: &'a str,
    key: Vec<u8>,
    /// The row and size of a put; `None` for a delete.
    put: Option<(Vec<u8>, usize)>,
    /// The item put, or the key deleted.
    item: &'a Item,
}

impl Db {
    /// BatchWriteItem: up to 25 puts and deletes across tables, without conditions.
    ///
    /// # Errors
    /// `ValidationException` for a request DynamoDB refuses (with its message: more than 25
    /// writes, one item twice, a key that does not match its table's schema, an item too
    /// large); `ResourceNotFoundException`; `InternalServerError`. Nothing is written then.
    pub fn batch_write_item(
        &self,
        input: BatchWriteItemInput,
    ) -> Result<BatchWriteItemOutput, DbError> {
        check_write_members(&input)?;
        let request_items = input.request_items.as_ref().expect("required members were checked");
        let writes = self.prepare_writes(request_items)?;
        let tables: Vec<&Table> = writes.iter().map(|w| w.table.as_ref()).collect();
        let held = hold_alive(&tables)?;
        let counters =
            collection::counters(writes.iter().map(|w| (w.table.as_ref(), w.key.as_slice())))?;
        let mut sizes = Sizes::new(self.inner.options.item_collection_bytes_max);
        let mut old_sizes = Vec::with_capacity(writes.len());
        for range in chunks(&writes, &held) {
            let (olds, chunk) =
                self.write_chunk(&held, &writes[range.clone()], &counters[range])?;
            old_sizes.extend(olds);
            sizes.absorb(chunk);
        }
        held.written();
        let mut units = UnitsByTable::default();
        for (write, old) in writes.iter().zip(old_sizes) {
            let new = write.put.as_ref().map(|(_, size)| *size);
            write.table.stats.replace(old, new);
            units.add(write.table_named, 0.0, write_units(new.unwrap_or(0).max(old.unwrap_or(0))));
        }
        let mode = input.return_consumed_capacity.as_deref();
        let items = writes.iter().map(|w| (w.table_named, &w.table.schema, w.item));
        let metrics = input.return_item_collection_metrics.as_deref();
        Ok(BatchWriteItemOutput {
            unprocessed_items: BTreeMap::new(),
            consumed_capacity: units.report(mode),
            item_collection_metrics: collection::report(metrics, items, &counters, &sizes),
        })
    }

    /// Applies `writes` (with their collection counters) as one atomic write: one log record.
    /// Returns the old sizes of their items and the collection sizes after it.
    fn write_chunk(
        &self,
        held: &Held<'_>,
        writes: &[Write<'_>],
        counters: &[Option<Vec<u8>>],
    ) -> Result<(Vec<Option<usize>>, Sizes), DbError> {
        let shards = self.inner.core.shard_count();
        let mut reads: Vec<&[u8]> = writes.iter().map(|w| w.key.as_slice()).collect();
        reads.extend(counters.iter().flatten().map(Vec::as_slice));
        let limit = self.inner.options.item_collection_bytes_max;
        let (_, (old_sizes, deltas, sizes)) = self.inner.core.write_with(&reads, |values| {
            let (rows, counted) = values.split_at(writes.len());
            let mut sizes = Sizes::new(limit);
            for (key, value) in counters.iter().flatten().zip(counted) {
                sizes.read(key, value.as_deref())?;
            }
            let mut batch = Batch::new();
            let mut deltas = IndexDeltas::default();
            let mut old_sizes = Vec::with_capacity(writes.len());
            for ((write, row), counter) in writes.iter().zip(rows).zip(counters) {
                let old = row.as_deref();
                let local = apply_write(held, shards, write, old, &mut batch, &mut deltas)?;
                if let Some(counter) = counter {
                    let new = write.put.as_ref().map(|(new, _)| new.as_slice());
                    sizes.add(counter, sized(new)? - sized(old)? + local)?;
                }
                old_sizes.push(old.map(row_size).transpose()?);
            }
            sizes.write(&mut batch);
            Ok::<_, DbError>((batch, (old_sizes, deltas, sizes)))
        })?;
        deltas.apply();
        Ok((old_sizes, sizes))
    }

    /// Checks every write: values and sizes first, then tables, then keys and duplicates.
    fn prepare_writes<'a>(
        &self,
        request_items: &'a BTreeMap<String, Vec<WriteRequest>>,
    ) -> Result<Vec<Write<'a>>, DbError> {
        let requests = || request_items.iter().flat_map(|(t, w)| w.iter().map(move |w| (t, w)));
        let mut sizes = Vec::new();
        for (_, request) in requests() {
            let (item, put) = item_of(request);
            check_values(Some(item))?;
            sizes.push(if put {
                Some(check_item_size(item).map_err(|_| {
                    DbError::validation("Item size has exceeded the maximum allowed size")
                })?)
            } else {
                None
            });
        }
        let mut tables = BTreeMap::new();
        for name in request_items.keys() {
            tables.insert(name, self.inner.table(name)?);
        }
        let mut writes = Vec::with_capacity(sizes.len());
        let mut seen = HashSet::with_capacity(sizes.len());
        for ((named, request), size) in requests().zip(sizes) {
            let table = tables[named].clone();
            let (item, _) = item_of(request);
            let item_key = match size {
                Some(_) => table.schema.key_of_item(item)?,
                None => table.schema.key_of_key(item)?,
            };
            if size.is_some() {
                table.check_indexed(item)?;
            }
            let key = catalog::item_storage_key(table.record.space, &item_key);
            if !seen.insert(key.clone()) {
                return Err(DbError::validation(DUPLICATES));
            }
            let put = size.map(|size| (encode_row(item, size), size));
            writes.push(Write { table, table_named: named, key, put, item });
        }
        Ok(writes)
    }

    /// BatchGetItem: up to 100 items across tables, read from one snapshot.
    ///
    /// # Errors
    /// `ValidationException` for a request DynamoDB refuses (more than 100 keys, one key
    /// twice, a key that does not match its table's schema); `ResourceNotFoundException`;
    /// `InternalServerError`.
    pub fn batch_get_item(&self, input: BatchGetItemInput) -> Result<BatchGetItemOutput, DbError> {
        check_get_members(&input)?;
        let request_items = input.request_items.as_ref().expect("required members were checked");
        // Projections, values and tables of every table first, then keys and duplicates (a
        // missing table wins over a duplicate key, as in BatchWriteItem and DynamoDB).
        let mut requests = Vec::with_capacity(request_items.len());
        for (named, request) in request_items {
            let projection = self.read_projection(
                request.projection_expression.as_ref(),
                request.attributes_to_get.as_deref(),
                request.expression_attribute_names.as_ref(),
            )?;
            for key in request.keys.as_deref().unwrap_or_default() {
                check_values(Some(key))?;
            }
            requests.push((named, request, projection, self.inner.table(named)?));
        }
        let mut reads = Vec::with_capacity(requests.len());
        // By storage key, across the request: one table may be named by name and by ARN.
        let mut seen = HashSet::new();
        for (named, request, projection, table) in requests {
            let mut keys = Vec::new();
            for key in request.keys.as_deref().unwrap_or_default() {
                let item_key = table.schema.key_of_key(key)?;
                let storage_key = catalog::item_storage_key(table.record.space, &item_key);
                if !seen.insert(storage_key.clone()) {
                    return Err(DbError::validation(DUPLICATES));
                }
                keys.push((key, storage_key));
            }
            reads.push((named, request, projection, keys));
        }
        let snapshot = self.inner.core.snapshot();
        let mut output = BatchGetItemOutput::default();
        let mut units = UnitsByTable::default();
        let mut bytes = 0usize;
        for (named, request, projection, keys) in &reads {
            let consistent = request.consistent_read.unwrap_or(false);
            let found = output.responses.entry((*named).clone()).or_default();
            for (key, storage_key) in keys {
                let row = snapshot.get(storage_key)?;
                let size = row.as_deref().map(row_size).transpose()?.unwrap_or(0);
                if bytes + size > RESPONSE_BYTES_MAX {
                    let unprocessed =
                        output.unprocessed_keys.entry((*named).clone()).or_insert_with(|| {
                            KeysAndAttributes { keys: Some(Vec::new()), ..(*request).clone() }
                        });
                    unprocessed.keys.get_or_insert_with(Vec::new).push((*key).clone());
                    continue;
                }
                bytes += size;
                units.add(named, read_units(size, consistent), 0.0);
                let Some(item) = row.as_deref().map(decode_row).transpose()? else { continue };
                found.push(match projection {
                    Some(paths) => expr::project(&item, paths),
                    None => item,
                });
            }
        }
        output.consumed_capacity = units.report(input.return_consumed_capacity.as_deref());
        Ok(output)
    }
}

/// The item of a put or the key of a delete (exactly one is present: checked before), and
/// whether it is a put.
fn item_of(request: &WriteRequest) -> (&Item, bool) {
    match (&request.put_request, &request.delete_request) {
        (Some(put), _) => (put.item.as_ref().expect("required members were checked"), true),
        (None, Some(delete)) => {
            (delete.key.as_ref().expect("required members were checked"), false)
        }
        (None, None) => unreachable!("every write request was checked to hold one request"),
    }
}

/// How DynamoDB shows a map of tables in its constraint messages.
fn shown_map<T>(map: &BTreeMap<String, T>) -> String {
    let entries: Vec<String> = map.keys().map(|name| format!("{name}=[…]")).collect();
    format!("{{{}}}", entries.join(", "))
}

/// The constraints on the tables of `requestItems`: at least one, each named validly.
fn check_tables<T>(c: &mut Constraints, map: Option<&BTreeMap<String, T>>) {
    let Some(map) = map else {
        c.fail(None, "requestItems", "not be null");
        return;
    };
    if map.is_empty() {
        c.fail(Some("{}"), "requestItems", "have length greater than or equal to 1");
    }
    let bad_name = |name: &String| {
        let mut check = Constraints::new();
        check.table_name_or_arn(Some(name));
        check.finish().is_err()
    };
    if map.keys().any(bad_name) {
        c.fail_constraint(
            &shown_map(map),
            "requestItems",
            "Map keys must satisfy constraint: [Member must have length less than or equal to \
             255, Member must have length greater than or equal to 3, Member must satisfy \
             regular expression pattern: [a-zA-Z0-9_.-]+]",
        );
    }
}

/// BatchWriteItem's member constraints, then its counts.
fn check_write_members(input: &BatchWriteItemInput) -> Result<(), DbError> {
    let mut c = Constraints::new();
    c.reports(
        input.return_consumed_capacity.as_ref(),
        input.return_item_collection_metrics.as_ref(),
    );
    let empty = BTreeMap::new();
    check_tables(&mut c, input.request_items.as_ref());
    let map = input.request_items.as_ref().unwrap_or(&empty);
    if map.values().any(|writes| writes.is_empty() || writes.len() > WRITES_MAX) {
        c.fail_constraint(
            &shown_map(map),
            "requestItems",
            "Map value must satisfy constraint: [Member must have length less than or equal \
             to 25, Member must have length greater than or equal to 1]",
        );
    }
    for (table, writes) in map {
        for (i, write) in writes.iter().enumerate() {
            let member = format!("requestItems.{table}.member.{}.member", i + 1);
            if let Some(delete) = &write.delete_request {
                c.required(delete.key.as_ref(), &format!("{member}.deleteRequest.key"));
            }
            if let Some(put) = &write.put_request {
                c.required(put.item.as_ref(), &format!("{member}.putRequest.item"));
            }
        }
    }
    c.finish()?;
    let writes = || map.values().flatten();
    if writes().count() > WRITES_MAX {
        return Err(DbError::validation("Too many items requested for the BatchWriteItem call"));
    }
    if writes().any(|w| w.put_request.is_some() == w.delete_request.is_some()) {
        // DynamoDB's message for a write request holding neither or both kinds of request.
        return Err(DbError::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one \
             of the supported datatypes",
        ));
    }
    Ok(())
}

/// BatchGetItem's member constraints, then its count.
fn check_get_members(input: &BatchGetItemInput) -> Result<(), DbError> {
    let mut c = Constraints::new();
    c.one_of(input.return_consumed_capacity.as_ref(), "returnConsumedCapacity", RETURN_CAPACITY);
    let map = input.request_items.as_ref();
    check_tables(&mut c, map);
    for (table, request) in map.into_iter().flatten() {
        let member = format!("requestItems.{table}.member.keys");
        match c.required(request.keys.as_ref(), &member) {
            Some(keys) if keys.is_empty() => {
                c.fail(Some("[]"), &member, "have length greater than or equal to 1");
            }
            Some(keys) if keys.len() > READS_MAX => {
                c.fail(Some("[…]"), &member, "have length less than or equal to 100");
            }
            _ => {}
        }
        if request.attributes_to_get.as_ref().is_some_and(Vec::is_empty) {
            let member = format!("requestItems.{table}.member.attributesToGet");
            c.fail(Some("[]"), &member, "have length greater than or equal to 1");
        }
    }
    c.finish()?;
    let count: usize =
        map.into_iter().flatten().map(|(_, r)| r.keys.as_ref().map_or(0, Vec::len)).sum();
    if count > READS_MAX {
        return Err(DbError::validation("Too many items requested for the BatchGetItem call"));
    }
    Ok(())
}

/// Adds one write of a batch to `batch`, replacing the row `old`: its index entries, its stream
/// record, the put or delete itself. Returns how many bytes its local index entries grew by.
fn apply_write(
    held: &Held<'_>,
    shards: u16,
    write: &Write<'_>,
    old: Option<&[u8]>,
    batch: &mut Batch,
    deltas: &mut IndexDeltas,
) -> Result<i64, DbError> {
    let new = write.put.as_ref().map(|(new, _)| new.as_slice());
    let space = write.table.record.space;
    let mut local = 0;
    if new.is_some() || old.is_some() {
        local = index::maintain(held.indexes(space), shards, &write.key, old, new, batch, deltas)?;
        if let Some(stream) = held.stream(space) {
            stream.record(&write.key, old, new, false, batch);
        }
    }
    match new {
        Some(row) => {
            batch.put(&write.key, row);
        }
        None if old.is_some() => {
            batch.delete(&write.key);
        }
        None => {}
    }
    Ok(local)
}

/// The bytes one log record of a batch is kept under: a BatchWriteItem whose writes, with their
/// index entries and stream records, could exceed it is applied as several atomic writes (each
/// item whole, with its entries and record; DynamoDB's BatchWriteItem is not atomic either).
const CHUNK_BYTES: usize = 32 << 20;

/// The ranges of `writes` applied as one write each: one range, unless the estimate of the
/// record (each row once per index, twice more for a stream, plus keys) passes [`CHUNK_BYTES`].
fn chunks(writes: &[Write<'_>], held: &Held<'_>) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (at, write) in writes.iter().enumerate() {
        let space = write.table.record.space;
        let copies = 1 + held.indexes(space).len() + 2 * usize::from(held.stream(space).is_some());
        let row = write.put.as_ref().map_or(0, |(row, _)| row.len());
        let estimate = copies * (row + 2 * write.key.len() + 64);
        if at > start && bytes + estimate > CHUNK_BYTES {
            ranges.push(start..at);
            (start, bytes) = (at, 0);
        }
        bytes += estimate;
    }
    ranges.push(start..writes.len());
    ranges
}
