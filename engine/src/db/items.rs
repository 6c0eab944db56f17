//! PutItem, GetItem and DeleteItem.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};

use crate::api::{
    Capacity, ConsumedCapacity, DbError, DeleteItemInput, ExpectedAttributeValue, GetItemInput,
    GetItemOutput, PutItemInput, WriteItemOutput,
};
use crate::core::{Batch, Bytes};
use crate::db::check::Constraints;
use crate::db::collection::{self, Sizes};
use crate::db::deferred::{Deferred, Finish};
use crate::db::exprs::{check_maps, ExprCache, NO_NAMES, NO_VALUES};
use crate::db::guard::{return_old_on_failure, Guard};
use crate::db::index::{self, IndexDeltas};
use crate::db::row::{decode_row, encode_row, row_item, row_size};
use crate::db::schema::Schema;
use crate::db::{catalog, Db, Live, Table};
use crate::expr::{self, legacy, Bindings, DocPath, ExpressionKind, PathStep, Placeholders};
use crate::model::{check_item_size, validate_value, write_item_json, Item};

const RETURN_VALUES: &[&str] = &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];
pub(crate) const RETURN_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
pub(crate) const RETURN_METRICS: &[&str] = &["SIZE", "NONE"];
const CONDITIONAL_OPERATORS: &[&str] = &["OR", "AND"];
const RETURN_ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];

/// The [`WriteParams`] of a PutItemInput, DeleteItemInput or UpdateItemInput (the members
/// have the same names in all three).
macro_rules! write_params {
    ($input:expr) => {
        WriteParams {
            table_name: $input.table_name.as_ref(),
            return_values: $input.return_values.as_ref(),
            return_consumed_capacity: $input.return_consumed_capacity.as_ref(),
            return_item_collection_metrics: $input.return_item_collection_metrics.as_ref(),
            return_values_on_condition_check_failure: $input
                .return_values_on_condition_check_failure
                .as_ref(),
            conditional_operator: $input.conditional_operator.as_ref(),
            condition_expression: $input.condition_expression.as_ref(),
            expected: $input.expected.as_ref(),
            names: $input.expression_attribute_names.as_ref(),
            values: $input.expression_attribute_values.as_ref(),
        }
    };
}
pub(crate) use write_params;

/// The members PutItem, DeleteItem and UpdateItem share, for their common checks.
pub(crate) struct WriteParams<'a> {
    pub(crate) table_name: Option<&'a String>,
    pub(crate) return_values: Option<&'a String>,
    pub(crate) return_consumed_capacity: Option<&'a String>,
    pub(crate) return_item_collection_metrics: Option<&'a String>,
    pub(crate) return_values_on_condition_check_failure: Option<&'a String>,
    pub(crate) conditional_operator: Option<&'a String>,
    pub(crate) condition_expression: Option<&'a String>,
    pub(crate) expected: Option<&'a BTreeMap<String, ExpectedAttributeValue>>,
    pub(crate) names: Option<&'a BTreeMap<String, String>>,
    pub(crate) values: Option<&'a Item>,
}

impl<'a> WriteParams<'a> {
    /// The member constraints, in DynamoDB's order, with the item or key as `required`; then,
    /// once they pass, the attribute values of the item or key.
    pub(crate) fn check(&self, required: Option<&Item>, member: &str) -> Result<(), DbError> {
        let mut c = Constraints::new();
        c.one_of(self.return_consumed_capacity, "returnConsumedCapacity", RETURN_CAPACITY);
        c.table_name_or_arn(self.table_name);
        c.required(required, member);
        c.one_of(self.conditional_operator, "conditionalOperator", CONDITIONAL_OPERATORS);
        c.one_of(self.return_values, "returnValues", RETURN_VALUES);
        c.one_of(
            self.return_item_collection_metrics,
            "returnItemCollectionMetrics",
            RETURN_METRICS,
        );
        c.one_of(
            self.return_values_on_condition_check_failure,
            "returnValuesOnConditionCheckFailure",
            RETURN_ON_FAILURE,
        );
        c.finish()?;
        check_values(required)
    }

    /// The request's condition, parsed (through the cache) and with its placeholders checked.
    /// `extra` names the operation's other expression parameters and whether each is present
    /// (UpdateItem's `UpdateExpression`), for the placeholder-map messages; the accounting of
    /// unused placeholders is the caller's, through the returned [`Placeholders`].
    pub(crate) fn guard(
        &self,
        cache: &ExprCache,
        legacy: &[(&str, bool)],
        extra: &[(&str, bool)],
    ) -> Result<(Guard<'a>, Placeholders<'a>), DbError> {
        let condition_present = self.condition_expression.is_some();
        let mut expressions: Vec<(&str, bool)> = extra.to_vec();
        expressions.push(("ConditionExpression", condition_present));
        let mut non_expression: Vec<&str> =
            legacy.iter().filter(|(_, present)| *present).map(|(name, _)| *name).collect();
        if self.expected.is_some() {
            non_expression.push("Expected");
        }
        if self.conditional_operator.is_some() {
            non_expression.push("ConditionalOperator");
        }
        let present: Vec<&str> =
            expressions.iter().filter(|(_, p)| *p).map(|(name, _)| *name).collect();
        legacy::check_mixing(&non_expression, &present)?;
        let any = expressions.iter().any(|(_, p)| *p);
        check_maps(self.names, self.values, &expressions, any)?;
        let names = self.names.unwrap_or(&NO_NAMES);
        let values = self.values.unwrap_or(&NO_VALUES);
        let mut placeholders = Placeholders::new(names, values);
        let return_old = return_old_on_failure(self.return_values_on_condition_check_failure);
        if let Some(source) = self.condition_expression {
            let condition = cache.condition(source, ExpressionKind::Condition)?;
            placeholders.check_condition(&condition, ExpressionKind::Condition)?;
            let guard = Guard::new(
                Some(condition),
                Cow::Borrowed(names),
                Cow::Borrowed(values),
                return_old,
            );
            return Ok((guard, placeholders));
        }
        // A lone ConditionalOperator is checked (and refused) against an empty Expected.
        let no_expected = BTreeMap::new();
        let expected = self.expected.unwrap_or(&no_expected);
        let operator = self.conditional_operator.map(String::as_str);
        match legacy::expected(expected, operator)? {
            Some(translated) => {
                let guard = Guard::new(
                    Some(Arc::new(translated.tree)),
                    Cow::Owned(translated.names),
                    Cow::Owned(translated.values),
                    return_old,
                );
                Ok((guard, placeholders))
            }
            None => Ok((Guard::none(), placeholders)),
        }
    }

    /// Whether the old item is to be returned; PutItem and DeleteItem take only `NONE` and
    /// `ALL_OLD`.
    fn return_old(&self) -> Result<bool, DbError> {
        match self.return_values.map(String::as_str) {
            None | Some("NONE") => Ok(false),
            Some("ALL_OLD") => Ok(true),
            Some(_) => Err(DbError::validation("ReturnValues can only be ALL_OLD or NONE")),
        }
    }

    /// The response: the old item when asked for, the capacity of `units` write units, and the
    /// metrics of the item collection of `key` (of `table`) when it has one of `collection`
    /// bytes and they are asked for.
    fn output(
        &self,
        return_old: bool,
        old: Option<&[u8]>,
        units: f64,
        collection: Option<(&Schema, &Item, u64)>,
    ) -> Result<WriteItemOutput, DbError> {
        let table = self.table_name.map_or("", String::as_str);
        let mode = self.return_consumed_capacity.map(String::as_str);
        let metrics = collection_metrics(self.return_item_collection_metrics, collection);
        Ok(WriteItemOutput {
            attributes: if return_old { old.map(decode_row).transpose()? } else { None },
            consumed_capacity: consumed(table, mode, units),
            item_collection_metrics: metrics,
        })
    }
}

impl Db {
    /// PutItem: creates or replaces the item with the same key, when the condition (if any)
    /// holds for the item it replaces.
    ///
    /// # Errors
    /// `ValidationException` for a request DynamoDB refuses (with its message),
    /// `ConditionalCheckFailedException` when the condition is false,
    /// `ResourceNotFoundException` for a missing table, `InternalServerError` for a storage
    /// failure.
    pub fn put_item(&self, input: PutItemInput) -> Result<WriteItemOutput, DbError> {
        self.put_item_with(input, &mut Finish::Wait)
    }

    /// PutItem, answered without waiting for the log: the checks, the condition and the write
    /// happen now, and the answer (also a refusal) comes from the [`Deferred`] once the item,
    /// or what the refusal was decided on, is durable and visible (what `basalt-server`'s event
    /// loops use).
    pub fn put_item_deferred(&self, input: PutItemInput) -> Deferred<WriteItemOutput> {
        let mut finish = Finish::Defer(None);
        let outcome = self.put_item_with(input, &mut finish);
        finish.answer(outcome)
    }

    fn put_item_with(
        &self,
        input: PutItemInput,
        finish: &mut Finish,
    ) -> Result<WriteItemOutput, DbError> {
        let params = write_params!(input);
        params.check(input.item.as_ref(), "item")?;
        let (guard, placeholders) = params.guard(&self.inner.exprs, &[], &[])?;
        placeholders.finish()?;
        let return_old = params.return_old()?;
        let (Some(name), Some(item)) = (params.table_name, input.item.as_ref()) else {
            unreachable!("required members were checked")
        };
        let size = check_item_size(item).map_err(|e| DbError::validation(e.to_string()))?;
        let table = self.inner.table(name)?;
        let row = encode_row(item, size);
        let Written { old, collection } = self.write_row(
            &table,
            finish,
            |schema, indexes| {
                // The table's key first: DynamoDB reports its errors before the indexes'.
                let key = schema.key_of_item(item)?;
                index::check_item(indexes, item)?;
                Ok(key)
            },
            |old| {
                guard.check_row(old)?;
                Ok(Some(row))
            },
        )?;
        let old_size = old.as_deref().map(row_size).transpose()?;
        table.stats.replace(old_size, Some(size));
        let units = write_units(size.max(old_size.unwrap_or(0)));
        let collection = collection.map(|size| (&table.schema, item, size));
        params.output(return_old, old.as_deref(), units, collection)
    }

    /// GetItem: the item with the given key, if any. Every read is strongly consistent;
    /// `ConsistentRead` is accepted either way and changes only the capacity reported, as it
    /// would in DynamoDB.
    ///
    /// # Errors
    /// As [`Db::put_item`].
    pub fn get_item(&self, input: GetItemInput) -> Result<GetItemOutput, DbError> {
        self.get_item_page(&input, false).map(|(output, _)| output)
    }

    /// GetItem, answered as the JSON body DynamoDB sends: the same bytes as serializing
    /// [`Db::get_item`]'s output, the item written straight from its stored encoding when there
    /// is no projection (what `basalt-server` answers with).
    ///
    /// # Errors
    /// As [`Db::get_item`].
    pub fn get_item_json(&self, input: GetItemInput) -> Result<Vec<u8>, DbError> {
        let (output, item) = self.get_item_page(&input, true)?;
        let internal =
            |e: &dyn std::fmt::Display| DbError::Internal(format!("Internal server error: {e}"));
        let rest = serde_json::to_vec(&output).map_err(|e| internal(&e))?;
        let Some(item) = item else { return Ok(rest) };
        // `rest` is `{}` or `{"ConsumedCapacity":…}`; `Item` comes first, as serde writes it.
        let mut body = Vec::with_capacity(item.len() + rest.len() + 10);
        body.extend_from_slice(b"{\"Item\":");
        write_item_json(row_item(&item)?, &mut body).map_err(|e| internal(&e))?;
        match rest.get(1..).filter(|members| members.len() > 1) {
            Some(members) => {
                body.push(b',');
                body.extend_from_slice(members);
            }
            None => body.push(b'}'),
        }
        Ok(body)
    }

    /// GetItem's work; with `wire` and no projection, the stored row is handed back instead of
    /// the decoded item.
    fn get_item_page(
        &self,
        input: &GetItemInput,
        wire: bool,
    ) -> Result<(GetItemOutput, Option<Bytes>), DbError> {
        let mut c = Constraints::new();
        c.one_of(
            input.return_consumed_capacity.as_ref(),
            "returnConsumedCapacity",
            RETURN_CAPACITY,
        );
        c.table_name_or_arn(input.table_name.as_ref());
        c.required(input.key.as_ref(), "key");
        if input.attributes_to_get.as_ref().is_some_and(Vec::is_empty) {
            c.fail(Some("[]"), "attributesToGet", "have length greater than or equal to 1");
        }
        c.finish()?;
        let (Some(name), Some(key)) = (input.table_name.as_deref(), input.key.as_ref()) else {
            unreachable!("required members were checked")
        };
        for value in key.values() {
            validate_value(value)?;
        }
        let projection = self.read_projection(
            input.projection_expression.as_ref(),
            input.attributes_to_get.as_deref(),
            input.expression_attribute_names.as_ref(),
        )?;
        let table = self.inner.table(name)?;
        let key = catalog::item_storage_key(table.record.space, &table.schema.key_of_key(key)?);
        let row = self.inner.core.get(&key)?;
        let size = row.as_deref().map(row_size).transpose()?;
        let units = read_units(size.unwrap_or(0), input.consistent_read.unwrap_or(false));
        let consumed_capacity = consumed(name, input.return_consumed_capacity.as_deref(), units);
        if wire && projection.is_none() {
            return Ok((GetItemOutput { item: None, consumed_capacity }, row));
        }
        let item = row.as_deref().map(decode_row).transpose()?;
        let item = item.map(|item| match &projection {
            Some(paths) => expr::project(&item, paths),
            None => item,
        });
        Ok((GetItemOutput { item, consumed_capacity }, None))
    }

    /// The projection of a read (GetItem, and BatchGetItem's per-table requests): a
    /// `ProjectionExpression` or the legacy `AttributesToGet`, checked with the request's names.
    pub(crate) fn read_projection(
        &self,
        expression: Option<&String>,
        attributes_to_get: Option<&[String]>,
        names: Option<&BTreeMap<String, String>>,
    ) -> Result<Option<Vec<DocPath>>, DbError> {
        let legacy: Vec<&str> = attributes_to_get.map(|_| "AttributesToGet").into_iter().collect();
        let present: Vec<&str> = expression.map(|_| "ProjectionExpression").into_iter().collect();
        legacy::check_mixing(&legacy, &present)?;
        check_maps(names, None, &[], expression.is_some())?;
        check_attributes_to_get(attributes_to_get)?;
        if let Some(names) = attributes_to_get {
            return Ok(Some(names.iter().map(|n| vec![PathStep::Name(n.clone())]).collect()));
        }
        let Some(source) = expression else { return Ok(None) };
        let projection = self.inner.exprs.projection(source)?;
        let names = names.unwrap_or(&NO_NAMES);
        let mut placeholders = Placeholders::new(names, &NO_VALUES);
        placeholders.check_projection(&projection)?;
        placeholders.finish()?;
        let paths = expr::resolve_projection(&projection, Bindings::new(names, &NO_VALUES))?;
        Ok(Some(paths))
    }

    /// DeleteItem: deletes the item with the given key, if any, when the condition (if any)
    /// holds for it.
    ///
    /// # Errors
    /// As [`Db::put_item`].
    pub fn delete_item(&self, input: DeleteItemInput) -> Result<WriteItemOutput, DbError> {
        self.delete_item_with(input, &mut Finish::Wait)
    }

    /// DeleteItem, answered without waiting for the log, as [`Db::put_item_deferred`].
    pub fn delete_item_deferred(&self, input: DeleteItemInput) -> Deferred<WriteItemOutput> {
        let mut finish = Finish::Defer(None);
        let outcome = self.delete_item_with(input, &mut finish);
        finish.answer(outcome)
    }

    fn delete_item_with(
        &self,
        input: DeleteItemInput,
        finish: &mut Finish,
    ) -> Result<WriteItemOutput, DbError> {
        let params = write_params!(input);
        params.check(input.key.as_ref(), "key")?;
        let (guard, placeholders) = params.guard(&self.inner.exprs, &[], &[])?;
        placeholders.finish()?;
        let return_old = params.return_old()?;
        let (Some(name), Some(key)) = (params.table_name, input.key.as_ref()) else {
            unreachable!("required members were checked")
        };
        let table = self.inner.table(name)?;
        let Written { old, collection } = self.write_row(
            &table,
            finish,
            |schema, _| schema.key_of_key(key),
            |old| {
                guard.check_row(old)?;
                Ok(None)
            },
        )?;
        let old_size = old.as_deref().map(row_size).transpose()?;
        table.stats.replace(old_size, None);
        let collection = collection.map(|size| (&table.schema, key, size));
        let units = write_units(old_size.unwrap_or(0));
        params.output(return_old, old.as_deref(), units, collection)
    }

    /// Writes the row `decide` returns for the item as it is (or deletes it, for `None`)
    /// under the key `key_of` derives from the table's schema (and checks against its indexes),
    /// holding the table's liveness lock so that DeleteTable waits for it; returns the row
    /// replaced. `decide` gets the row as
    /// it is and runs under the shard's writer lock, so what it sees is exactly what the write
    /// replaces; an error from it writes nothing.
    ///
    /// Under [`Finish::Defer`] the write is applied but neither durable nor visible yet when
    /// this returns: the [`Durable`](crate::core::Durable) left in `finish` says when it is, and nothing may be
    /// reported before then, neither the outcome nor an error from `decide`.
    pub(crate) fn write_row(
        &self,
        table: &Table,
        finish: &mut Finish,
        key_of: impl FnOnce(&Schema, &[Arc<index::Index>]) -> Result<Vec<u8>, DbError>,
        decide: impl FnOnce(Option<&[u8]>) -> Result<Option<Vec<u8>>, DbError>,
    ) -> Result<Written, DbError> {
        let live = table.alive.read().unwrap_or_else(PoisonError::into_inner);
        if !live.open {
            return Err(DbError::table_not_found());
        }
        let key =
            catalog::item_storage_key(table.record.space, &key_of(&table.schema, &live.indexes)?);
        let shards = self.inner.core.shard_count();
        let counter = table
            .record
            .collections
            .map(|space| collection::counter_key(space, &table.schema, &key))
            .transpose()?;
        // The item, and its collection's size on a table with local indexes.
        let both = [key.as_slice(), counter.as_deref().unwrap_or_default()];
        let reads = if counter.is_some() { &both[..] } else { &both[..1] };
        let limit = self.inner.options.item_collection_bytes_max;
        let decide = |values: &[Option<Bytes>]| {
            let old = values.first().cloned().flatten();
            let row = decide(old.as_deref())?;
            let collection = counter.as_deref().map(|counter| CollectionRead {
                counter,
                stored: values.get(1).and_then(Option::as_deref),
                limit,
            });
            let (batch, deltas, size) =
                row_batch(&live, shards, &key, old.as_deref(), row, collection)?;
            Ok::<_, DbError>((batch, (old, deltas, size)))
        };
        let core = &self.inner.core;
        let (old, deltas, collection) = match finish {
            Finish::Wait => core.write_with(reads, decide)?.1,
            Finish::Defer(slot) => {
                let (durable, decided) = core.write_with_deferred(reads, decide);
                if let Some(stream) = live.stream.clone() {
                    // Woken by the completer once the write is published, answered or not.
                    durable.on_ready(move |published| {
                        if published {
                            stream.written();
                        }
                    });
                }
                *slot = Some(durable);
                decided?
            }
        };
        // The index statistics count the write now (DescribeTable's figures are approximate
        // anyway); a deferred write's stream readers are woken once it is published.
        deltas.apply();
        if let (Some(stream), Finish::Wait) = (&live.stream, finish) {
            stream.written();
        }
        Ok(Written { old, collection })
    }
}

/// The batch that replaces `old` with `row` (or deletes it, for `None`) as the item at `key`
/// of a table whose item writes see `live`: the row, its index entries, its stream record and,
/// on a table with local indexes, its collection's size (`collection`). Returns it with the
/// index statistics' changes and the collection's new size.
fn row_batch(
    live: &Live,
    shards: u16,
    key: &[u8],
    old: Option<&[u8]>,
    row: Option<Vec<u8>>,
    collection: Option<CollectionRead<'_>>,
) -> Result<(Batch, IndexDeltas, Option<u64>), DbError> {
    let mut batch = Batch::new();
    let mut deltas = IndexDeltas::default();
    let local =
        index::maintain(&live.indexes, shards, key, old, row.as_deref(), &mut batch, &mut deltas)?;
    let size = match collection {
        Some(read) => {
            let rows = sized(row.as_deref())? - sized(old)?;
            Some(resize_collection(&read, rows + local, &mut batch)?)
        }
        None => None,
    };
    if let Some(stream) = &live.stream {
        stream.record(key, old, row.as_deref(), false, &mut batch);
    }
    match row {
        Some(row) => {
            batch.put(key, row);
        }
        None if old.is_some() => {
            batch.delete(key);
        }
        None => {}
    }
    Ok((batch, deltas, size))
}

/// An item collection's size counter as a write read it: its key, its stored value and the
/// size limit.
struct CollectionRead<'a> {
    counter: &'a [u8],
    stored: Option<&'a [u8]>,
    limit: u64,
}

/// The new size of the item collection `read`, after a write that changes it by `delta` bytes
/// (refused past the limit); the counter's update goes into `batch`.
fn resize_collection(
    read: &CollectionRead<'_>,
    delta: i64,
    batch: &mut Batch,
) -> Result<u64, DbError> {
    let mut sizes = Sizes::new(read.limit);
    sizes.read(read.counter, read.stored)?;
    let size = sizes.add(read.counter, delta)?;
    sizes.write(batch);
    Ok(size)
}

/// What [`Db::write_row`] did: the row replaced, and the size of the item's collection (on a
/// table with local secondary indexes).
pub(crate) struct Written {
    pub(crate) old: Option<Bytes>,
    pub(crate) collection: Option<u64>,
}

/// The attribute values and names of an item or key a write carries, once its member
/// constraints pass.
pub(crate) fn check_values(item: Option<&Item>) -> Result<(), DbError> {
    for value in item.into_iter().flat_map(Item::values) {
        validate_value(value)?;
    }
    if let Some(item) = item {
        check_attribute_names(item)?;
    }
    Ok(())
}

/// AttributesToGet may not name one attribute twice.
pub(crate) fn check_attributes_to_get(names: Option<&[String]>) -> Result<(), DbError> {
    let Some(names) = names else { return Ok(()) };
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(DbError::validation(format!(
                "One or more parameter values were invalid: Duplicate value in attribute name: {name}"
            )));
        }
    }
    Ok(())
}

/// DynamoDB's bound on the length of an attribute name, in bytes (exclusive).
const ATTRIBUTE_NAME_BYTES_LIMIT: usize = 65_536;

/// Attribute names of an item written: DynamoDB refuses names of 64 KB or more.
pub(crate) fn check_attribute_names(item: &Item) -> Result<(), DbError> {
    if item.keys().any(|name| name.len() >= ATTRIBUTE_NAME_BYTES_LIMIT) {
        return Err(DbError::validation(
            "1 validation error detected: Attribute name is too large, must be less than 65536 \
             bytes",
        ));
    }
    Ok(())
}

/// The DynamoDB size recorded in a row (0 for none), for collection sizes.
pub(crate) fn sized(row: Option<&[u8]>) -> Result<i64, DbError> {
    Ok(row.map(row_size).transpose()?.unwrap_or(0) as i64)
}

/// `ItemCollectionMetrics` when `ReturnItemCollectionMetrics` is `SIZE` and the write touched a
/// collection: `(schema, key or item, size)`.
pub(crate) fn collection_metrics(
    asked: Option<&String>,
    collection: Option<(&Schema, &Item, u64)>,
) -> Option<crate::api::ItemCollectionMetrics> {
    let (schema, key, size) = collection?;
    (asked.map(String::as_str) == Some("SIZE")).then(|| collection::metrics(schema, key, size))
}

/// Write capacity units for an item of `size` bytes: one per started KB, at least one.
pub(crate) fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

/// Read capacity units for an item of `size` bytes: one per started 4 KB, at least one; half
/// for an eventually consistent read.
pub(crate) fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// The capacity report, naming the table as the request did (by name or ARN), as DynamoDB does.
/// Single-item operations report only the total (and the table's share with `INDEXES`);
/// DynamoDB splits reads from writes only for transactions.
pub(crate) fn consumed(table: &str, mode: Option<&str>, units: f64) -> Option<ConsumedCapacity> {
    let indexes = match mode {
        Some("TOTAL") => false,
        Some("INDEXES") => true,
        _ => return None,
    };
    Some(ConsumedCapacity {
        table_name: table.to_string(),
        capacity_units: units,
        read_capacity_units: None,
        write_capacity_units: None,
        table: indexes.then_some(Capacity {
            read_capacity_units: None,
            write_capacity_units: None,
            capacity_units: units,
        }),
    })
}

/// Read and write units per table, tables named as the request named them, in the order they
/// were first met: the capacity report of a request over several items.
#[derive(Default)]
pub(crate) struct UnitsByTable<'a> {
    tables: Vec<(&'a str, f64, f64)>,
}

impl<'a> UnitsByTable<'a> {
    pub(crate) fn add(&mut self, table: &'a str, read: f64, write: f64) {
        match self.tables.iter_mut().find(|(name, _, _)| *name == table) {
            Some((_, r, w)) => {
                *r += read;
                *w += write;
            }
            None => self.tables.push((table, read, write)),
        }
    }

    /// One entry per table with its total, as batches report it.
    pub(crate) fn report(&self, mode: Option<&str>) -> Option<Vec<ConsumedCapacity>> {
        if !matches!(mode, Some("TOTAL" | "INDEXES")) {
            return None;
        }
        let entries = self.tables.iter().map(|(table, r, w)| consumed(table, mode, r + w));
        entries.collect()
    }

    /// One entry per table with reads and writes apart, as transactions report it.
    pub(crate) fn split_report(&self, mode: Option<&str>) -> Option<Vec<ConsumedCapacity>> {
        let indexes = match mode {
            Some("TOTAL") => false,
            Some("INDEXES") => true,
            _ => return None,
        };
        let nonzero = |units: f64| (units > 0.0).then_some(units);
        let report = self.tables.iter().map(|&(table, read, write)| ConsumedCapacity {
            table_name: table.to_string(),
            capacity_units: read + write,
            read_capacity_units: nonzero(read),
            write_capacity_units: nonzero(write),
            table: indexes.then_some(Capacity {
                read_capacity_units: nonzero(read),
                write_capacity_units: nonzero(write),
                capacity_units: read + write,
            }),
        });
        Some(report.collect())
    }
}
