//! TransactWriteItems and TransactGetItems.
//!
//! A write transaction is checked completely first (every action's members, values,
//! expressions, table and key; no item twice), then runs as one [`Core::write_with`]: the
//! writer locks of every shard it touches are taken in ascending order (so two transactions
//! cannot deadlock), every action's condition and update are evaluated on the items as they
//! are under those locks, and the puts and deletes go to the log as one record, published in
//! all shards at once under the store's publication seqlock. So a transaction is serializable
//! with every other write, durable as a whole or not at all, and no reader sees part of it.
//! A read transaction reads one [`crate::core::Snapshot`], which is consistent across shards.
//!
//! [`Core::write_with`]: crate::core::Core::write_with

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, PoisonError, RwLockReadGuard};
use std::time::Instant;

use crate::api::{
    CancellationReason, DbError, DeleteItemInput, ItemResponse, PutItemInput,
    TransactGetItemsInput, TransactGetItemsOutput, TransactWriteItem, TransactWriteItemsInput,
    TransactWriteItemsOutput, UpdateItemInput,
};
use crate::core::Batch;
use crate::core::Bytes;
use crate::db::check::Constraints;
use crate::db::collection::{self, Sizes};
use crate::db::guard::{Guard, CONDITION_FAILED};
use crate::db::index::{self, Index, IndexDeltas};
use crate::db::items::{
    check_values, read_units, sized, write_params, write_units, UnitsByTable, WriteParams,
    RETURN_CAPACITY,
};
use crate::db::row::{decode_row, encode_row, row_size};
use crate::db::stream::Stream;
use crate::db::tokens::Claim;
use crate::db::update::{updated_row, Changes};
use crate::db::{catalog, lock, Db, Live, Table};
use crate::expr::{self, Bindings, DocPath};
use crate::model::{check_item_size, Item};

/// DynamoDB's bound on the actions of one transaction.
const ACTIONS_MAX: usize = 100;
/// DynamoDB's bound on the aggregate size of a transaction's items.
const TRANSACTION_BYTES_MAX: usize = 4 * 1024 * 1024;
const RETURN_ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];

/// DynamoDB's message for two actions (or two reads) on one item.
const SAME_ITEM: &str = "Transaction request cannot include multiple operations on one item";

/// A claimed token, finished when dropped: remembered if the request succeeded, else
/// forgotten.
struct Running<'a> {
    tokens: &'a std::sync::Mutex<crate::db::tokens::Tokens>,
    token: &'a str,
    succeeded: bool,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(self.tokens).finish(self.token, self.succeeded, Instant::now());
    }
}

/// A write action as the single-item request it behaves like, so that it is checked and
/// prepared by the same code.
enum Request {
    Check(DeleteItemInput),
    Put(PutItemInput),
    Delete(DeleteItemInput),
    Update(UpdateItemInput),
}

/// An action checked as far as it can be without its table.
struct Checked<'a> {
    table_named: &'a str,
    guard: Guard<'a>,
    effect: Effect<'a>,
    /// The item of a put, the key otherwise.
    required: &'a Item,
}

/// A checked action, ready to run under the writer locks.
struct Action<'a> {
    table: Arc<Table>,
    /// The item's key in the store.
    key: Vec<u8>,
    /// The table as the request named it (name or ARN), for the capacity report.
    table_named: &'a str,
    guard: Guard<'a>,
    effect: Effect<'a>,
    /// The item put, or the key of the item otherwise.
    item: &'a Item,
}

enum Effect<'a> {
    Check,
    Put { row: Vec<u8>, size: usize },
    Delete,
    Update { key: &'a Item, changes: Changes<'a>, targets: Vec<DocPath> },
}

/// What an action does to its item, decided under the writer locks.
enum Change<'a> {
    Keep,
    /// The new row (a put's, prepared before the locks; an update's, made under them).
    Put(Cow<'a, [u8]>, usize),
    Delete,
}

/// The sizes an applied action saw and left, for the statistics and capacity.
struct Applied {
    old: Option<usize>,
    new: Option<usize>,
}

impl Db {
    /// TransactWriteItems: applies up to 100 puts, updates and deletes across tables, with
    /// condition checks, all together or none at all.
    ///
    /// # Example
    /// ```
    /// use basalt::api::{
    ///     CreateTableInput, GetItemInput, PutItemInput, TransactWriteItem,
    ///     TransactWriteItemsInput, Update,
    /// };
    /// use basalt::{item, Db};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let db = Db::open(dir.path())?;
    /// db.create_table(CreateTableInput::new("Accounts").partition_key("id", "S"))?;
    /// db.put_item(PutItemInput::new("Accounts", item! { "id" => "a", "balance" => 100 }))?;
    /// db.put_item(PutItemInput::new("Accounts", item! { "id" => "b", "balance" => 0 }))?;
    /// // Adds `delta` to a balance, which may not go below zero.
    /// let change = |id: &str, delta: i64| TransactWriteItem {
    ///     update: Some(Update {
    ///         table_name: Some("Accounts".into()),
    ///         key: Some(item! { "id" => id }),
    ///         update_expression: Some("SET balance = balance + :d".into()),
    ///         condition_expression: Some("balance >= :min".into()),
    ///         expression_attribute_values: Some(item! { ":d" => delta, ":min" => (-delta).max(0) }),
    ///         ..Update::default()
    ///     }),
    ///     ..TransactWriteItem::default()
    /// };
    /// let transfer = |amount: i64| TransactWriteItemsInput {
    ///     transact_items: Some(vec![change("a", -amount), change("b", amount)]),
    ///     ..TransactWriteItemsInput::default()
    /// };
    /// db.transact_write_items(transfer(30))?;
    /// // `a` holds 70: a transfer of 100 is cancelled as a whole, so `b` keeps 30.
    /// let error = db.transact_write_items(transfer(100)).expect_err("not enough money");
    /// assert_eq!(error.name(), "TransactionCanceledException");
    /// let b = db.get_item(GetItemInput::new("Accounts", item! { "id" => "b" }))?;
    /// assert_eq!(b.item, Some(item! { "id" => "b", "balance" => 30 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `TransactionCanceledException` when any action's condition is false or its update
    /// cannot apply (with one reason per action, in order); `ValidationException` for a request
    /// DynamoDB refuses (two actions on one item among them);
    /// `IdempotentParameterMismatchException` and `TransactionInProgressException` for a
    /// reused `ClientRequestToken`; `ResourceNotFoundException`; `InternalServerError`.
    pub fn transact_write_items(
        &self,
        input: TransactWriteItemsInput,
    ) -> Result<TransactWriteItemsOutput, DbError> {
        check_write_members(&input)?;
        let token = input.client_request_token.clone();
        let fingerprint = token.as_ref().map(|_| fingerprint(&input));
        let mode = input.return_consumed_capacity.clone();
        let metrics = input.return_item_collection_metrics.clone();
        let requests: Vec<Request> =
            input.transact_items.into_iter().flatten().map(Request::from).collect();
        let actions = self.prepare_actions(&requests)?;
        if let (Some(token), Some(fingerprint)) = (&token, fingerprint) {
            let claim = lock(&self.inner.tokens).claim(token, fingerprint, Instant::now())?;
            if claim == Claim::Replay {
                return self.replay(&actions, mode.as_deref());
            }
            // Forgets the token if the commit unwinds, so that retries are not refused as
            // "in progress" forever.
            let mut running = Running { tokens: &self.inner.tokens, token, succeeded: false };
            let result = self.commit(&actions, mode.as_deref(), metrics.as_deref());
            running.succeeded = result.is_ok();
            return result;
        }
        self.commit(&actions, mode.as_deref(), metrics.as_deref())
    }

    /// Checks every action and turns it into an [`Action`]: values, expressions and
    /// placeholders first (for all actions), then tables and keys, then the one-item rule and
    /// the aggregate size.
    fn prepare_actions<'a>(&self, requests: &'a [Request]) -> Result<Vec<Action<'a>>, DbError> {
        let checked = requests
            .iter()
            .map(|request| self.check_action(request))
            .collect::<Result<Vec<_>, _>>()?;
        let actions = checked
            .into_iter()
            .map(|checked| self.locate(checked))
            .collect::<Result<Vec<_>, _>>()?;
        let mut keys = HashSet::with_capacity(actions.len());
        let mut bytes = 0usize;
        for action in &actions {
            if !keys.insert(action.key.as_slice()) {
                return Err(DbError::validation(SAME_ITEM));
            }
            bytes += action.key.len()
                + match &action.effect {
                    Effect::Put { size, .. } => *size,
                    _ => 0,
                };
        }
        if bytes > TRANSACTION_BYTES_MAX {
            return Err(DbError::validation(
                "Transaction request size exceeds the maximum allowed size of 4 MB",
            ));
        }
        Ok(actions)
    }

    /// An action's checks that need no table: values, sizes, expressions, placeholders.
    fn check_action<'a>(&self, request: &'a Request) -> Result<Checked<'a>, DbError> {
        let (params, required, extra) = match request {
            Request::Check(input) | Request::Delete(input) => {
                (write_params!(input), input.key.as_ref(), None)
            }
            Request::Put(input) => (write_params!(input), input.item.as_ref(), None),
            Request::Update(input) => {
                (write_params!(input), input.key.as_ref(), Some(input.update_expression.is_some()))
            }
        };
        check_values(required)?;
        let extra: Vec<(&str, bool)> =
            extra.map(|present| ("UpdateExpression", present)).into_iter().collect();
        let (guard, mut placeholders) = params.guard(&self.inner.exprs, &[], &extra)?;
        let required = required.expect("required members were checked");
        let table_named = params.table_name.map_or("", String::as_str);
        let effect = match request {
            Request::Check(_) => Effect::Check,
            Request::Delete(_) => Effect::Delete,
            Request::Put(_) => {
                let size = check_item_size(required).map_err(|_| {
                    DbError::validation("Item size has exceeded the maximum allowed size")
                })?;
                Effect::Put { row: encode_row(required, size), size }
            }
            Request::Update(input) => {
                let changes = self.changes(input, &params, &mut placeholders)?;
                let bindings = Bindings::new(&changes.names, &changes.values);
                let targets = match &changes.update {
                    Some(update) => expr::check_update(update, bindings, &[])?,
                    None => Vec::new(),
                };
                Effect::Update { key: required, changes, targets }
            }
        };
        placeholders.finish()?;
        Ok(Checked { table_named, guard, effect, required })
    }

    /// An action's checks against its table: the table exists, the update leaves the key
    /// alone, the key matches the schema.
    fn locate<'a>(&self, checked: Checked<'a>) -> Result<Action<'a>, DbError> {
        let Checked { table_named, guard, effect, required } = checked;
        let table = self.inner.table(table_named)?;
        if let Effect::Update { targets, .. } = &effect {
            let key_names: Vec<&str> =
                table.schema.attributes().map(|(attribute, _)| attribute.name.as_str()).collect();
            expr::check_update_keys(targets, &key_names)?;
        }
        let item_key = match effect {
            Effect::Put { .. } => table.schema.key_of_item(required)?,
            _ => table.schema.key_of_key(required)?,
        };
        if let Effect::Put { .. } = effect {
            table.check_indexed(required)?;
        }
        let key = catalog::item_storage_key(table.record.space, &item_key);
        Ok(Action { table, key, table_named, guard, effect, item: required })
    }

    /// Runs the checked actions as one atomic write.
    fn commit(
        &self,
        actions: &[Action<'_>],
        mode: Option<&str>,
        metrics: Option<&str>,
    ) -> Result<TransactWriteItemsOutput, DbError> {
        let tables: Vec<&Table> = actions.iter().map(|a| a.table.as_ref()).collect();
        let held = hold_alive(&tables)?;
        let shards = self.inner.core.shard_count();
        let counters =
            collection::counters(actions.iter().map(|a| (a.table.as_ref(), a.key.as_slice())))?;
        let mut reads: Vec<&[u8]> = actions.iter().map(|a| a.key.as_slice()).collect();
        reads.extend(counters.iter().flatten().map(Vec::as_slice));
        let limit = self.inner.options.item_collection_bytes_max;
        let (_, (applied, deltas, sizes)) = self.inner.core.write_with(&reads, |values| {
            let (rows, counted) = values.split_at(actions.len());
            let mut changes = Vec::with_capacity(actions.len());
            let mut reasons = Vec::with_capacity(actions.len());
            for (action, row) in actions.iter().zip(rows) {
                match action.decide(row.as_deref()) {
                    Ok(change) => {
                        reasons.push(no_reason());
                        changes.push(change);
                    }
                    Err(error) => reasons.push(reason(error)?),
                }
            }
            if reasons.iter().any(|r| r.code.as_deref() != Some("None")) {
                return Err(canceled(reasons));
            }
            let mut sizes = Sizes::new(limit);
            for (key, value) in counters.iter().flatten().zip(counted) {
                sizes.read(key, value.as_deref())?;
            }
            let writing = Writing { held: &held, shards, counters: &counters };
            let (batch, applied, deltas) = writing.build(actions, changes, rows, &mut sizes)?;
            Ok::<_, DbError>((batch, (applied, deltas, sizes)))
        })?;
        deltas.apply();
        held.written();
        let mut capacity = UnitsByTable::default();
        for (action, sizes) in actions.iter().zip(&applied) {
            // A condition check keeps its item (`new` is `old`): no change.
            action.table.stats.replace(sizes.old, sizes.new);
            let (old, new) = (sizes.old.unwrap_or(0), sizes.new.unwrap_or(0));
            match action.effect {
                Effect::Check => capacity.add(action.table_named, 2.0 * read_units(old, true), 0.0),
                _ => capacity.add(action.table_named, 0.0, 2.0 * write_units(old.max(new))),
            }
        }
        let items = actions.iter().map(|a| (a.table_named, &a.table.schema, a.item));
        Ok(TransactWriteItemsOutput {
            consumed_capacity: capacity.split_report(mode),
            item_collection_metrics: collection::report(metrics, items, &counters, &sizes),
        })
    }

    /// The answer to a repeated request with a known token: nothing is applied; the capacity
    /// is that of reading the items (as DynamoDB reports it for a replay).
    fn replay(
        &self,
        actions: &[Action<'_>],
        mode: Option<&str>,
    ) -> Result<TransactWriteItemsOutput, DbError> {
        let snapshot = self.inner.core.snapshot();
        let mut capacity = UnitsByTable::default();
        for action in actions {
            let size = snapshot.get(&action.key)?.as_deref().map(row_size).transpose()?;
            capacity.add(action.table_named, 2.0 * read_units(size.unwrap_or(0), true), 0.0);
        }
        Ok(TransactWriteItemsOutput {
            consumed_capacity: capacity.split_report(mode),
            item_collection_metrics: None,
        })
    }

    /// TransactGetItems: up to 100 items read from one consistent state of the database.
    ///
    /// # Errors
    /// `ValidationException` for a request DynamoDB refuses (the same item twice among them);
    /// `ResourceNotFoundException`; `InternalServerError`.
    pub fn transact_get_items(
        &self,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput, DbError> {
        check_get_members(&input)?;
        let gets = input.transact_items.as_deref().unwrap_or_default();
        let mut reads = Vec::with_capacity(gets.len());
        for get in gets.iter().filter_map(|item| item.get.as_ref()) {
            let key = get.key.as_ref().expect("required members were checked");
            check_values(Some(key))?;
            let names = get.expression_attribute_names.as_ref();
            let projection =
                self.read_projection(get.projection_expression.as_ref(), None, names)?;
            let named = get.table_name.as_deref().unwrap_or_default();
            let table = self.inner.table(named)?;
            let key = catalog::item_storage_key(table.record.space, &table.schema.key_of_key(key)?);
            reads.push((named, key, projection));
        }
        let mut seen = HashSet::with_capacity(reads.len());
        if !reads.iter().all(|(_, key, _)| seen.insert(key.as_slice())) {
            return Err(DbError::validation(SAME_ITEM));
        }
        let snapshot = self.inner.core.snapshot();
        let mut responses = Vec::with_capacity(reads.len());
        let mut capacity = UnitsByTable::default();
        for (named, key, projection) in &reads {
            let row = snapshot.get(key)?;
            let size = row.as_deref().map(row_size).transpose()?.unwrap_or(0);
            capacity.add(named, 2.0 * read_units(size, true), 0.0);
            let item = row.as_deref().map(decode_row).transpose()?;
            let item = match (item, projection) {
                (Some(item), Some(paths)) => Some(expr::project(&item, paths)),
                (item, _) => item,
            };
            responses.push(ItemResponse { item });
        }
        let mode = input.return_consumed_capacity.as_deref();
        Ok(TransactGetItemsOutput {
            responses: Some(responses),
            consumed_capacity: capacity.split_report(mode),
        })
    }
}

impl Action<'_> {
    /// What the action does to the stored row `old`, or why it fails.
    fn decide(&self, old: Option<&[u8]>) -> Result<Change<'_>, DbError> {
        match &self.effect {
            Effect::Check => self.guard.check_row(old).map(|()| Change::Keep),
            Effect::Delete => self.guard.check_row(old).map(|()| Change::Delete),
            Effect::Put { row, size } => {
                self.guard.check_row(old)?;
                Ok(Change::Put(Cow::Borrowed(row), *size))
            }
            Effect::Update { key, changes, .. } => {
                let bindings = Bindings::new(&changes.names, &changes.values);
                let update = changes.update.as_deref();
                let (_, size, row) = updated_row(key, old, &self.guard, update, bindings)?;
                Ok(Change::Put(Cow::Owned(row), size))
            }
        }
    }
}

impl From<TransactWriteItem> for Request {
    /// The action as a single-item request (exactly one action is present: checked before).
    fn from(item: TransactWriteItem) -> Request {
        if let Some(check) = item.condition_check {
            return Request::Check(DeleteItemInput {
                table_name: check.table_name,
                key: check.key,
                condition_expression: check.condition_expression,
                expression_attribute_names: check.expression_attribute_names,
                expression_attribute_values: check.expression_attribute_values,
                return_values_on_condition_check_failure: check
                    .return_values_on_condition_check_failure,
                ..DeleteItemInput::default()
            });
        }
        if let Some(put) = item.put {
            return Request::Put(PutItemInput {
                table_name: put.table_name,
                item: put.item,
                condition_expression: put.condition_expression,
                expression_attribute_names: put.expression_attribute_names,
                expression_attribute_values: put.expression_attribute_values,
                return_values_on_condition_check_failure: put
                    .return_values_on_condition_check_failure,
                ..PutItemInput::default()
            });
        }
        if let Some(delete) = item.delete {
            return Request::Delete(DeleteItemInput {
                table_name: delete.table_name,
                key: delete.key,
                condition_expression: delete.condition_expression,
                expression_attribute_names: delete.expression_attribute_names,
                expression_attribute_values: delete.expression_attribute_values,
                return_values_on_condition_check_failure: delete
                    .return_values_on_condition_check_failure,
                ..DeleteItemInput::default()
            });
        }
        let update = item.update.unwrap_or_default();
        Request::Update(UpdateItemInput {
            table_name: update.table_name,
            key: update.key,
            update_expression: update.update_expression,
            condition_expression: update.condition_expression,
            expression_attribute_names: update.expression_attribute_names,
            expression_attribute_values: update.expression_attribute_values,
            return_values_on_condition_check_failure: update
                .return_values_on_condition_check_failure,
            ..UpdateItemInput::default()
        })
    }
}

/// Holds the liveness locks of `tables` (each once, in space order, so that two transactions
/// and a DeleteTable cannot deadlock), so that none is deleted while the transaction writes.
///
/// # Errors
/// `ResourceNotFoundException` when one was deleted since it was looked up.
pub(crate) fn hold_alive<'t>(tables: &[&'t Table]) -> Result<Held<'t>, DbError> {
    let mut by_space: BTreeMap<u32, &Table> = BTreeMap::new();
    for table in tables {
        by_space.insert(table.record.space, table);
    }
    let mut guards = Vec::with_capacity(by_space.len());
    for (&space, table) in &by_space {
        let alive = table.alive.read().unwrap_or_else(PoisonError::into_inner);
        if !alive.open {
            return Err(DbError::table_not_found());
        }
        guards.push((space, alive));
    }
    Ok(Held(guards))
}

/// The liveness locks [`hold_alive`] holds, by table space.
pub(crate) struct Held<'t>(Vec<(u32, RwLockReadGuard<'t, Live>)>);

impl Held<'_> {
    /// The indexes of the table of `space` (one of those held).
    pub(crate) fn indexes(&self, space: u32) -> &[Arc<Index>] {
        let found = self.0.iter().find(|(s, _)| *s == space);
        found.map_or(&[], |(_, live)| live.indexes.as_slice())
    }

    /// The enabled stream of the table of `space`.
    pub(crate) fn stream(&self, space: u32) -> Option<&Stream> {
        let found = self.0.iter().find(|(s, _)| *s == space);
        found.and_then(|(_, live)| live.stream.as_deref())
    }

    /// Wakes the readers of every stream held (after the write is published).
    pub(crate) fn written(&self) {
        for (_, live) in &self.0 {
            if let Some(stream) = &live.stream {
                stream.written();
            }
        }
    }
}

/// The reason of an action that did not fail.
fn no_reason() -> CancellationReason {
    CancellationReason { code: Some("None".into()), ..CancellationReason::default() }
}

/// The cancellation reason for an action's error; a storage failure is no reason but the
/// request's own error.
fn reason(error: DbError) -> Result<CancellationReason, DbError> {
    match error {
        DbError::ConditionalCheckFailed { item, .. } => Ok(CancellationReason {
            item,
            code: Some("ConditionalCheckFailed".into()),
            message: Some(CONDITION_FAILED.into()),
        }),
        DbError::Validation(message) => Ok(CancellationReason {
            item: None,
            code: Some("ValidationError".into()),
            message: Some(message),
        }),
        other => Err(other),
    }
}

/// DynamoDB's TransactionCanceledException, its message listing every action's code.
fn canceled(reasons: Vec<CancellationReason>) -> DbError {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_deref().unwrap_or("None")).collect();
    DbError::TransactionCanceled {
        message: format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
        reasons,
    }
}

/// A stable fingerprint of the request's actions: the same actions give the same fingerprint
/// whatever the order of their JSON members (maps serialize sorted). What the response reports
/// (`ReturnConsumedCapacity`, `ReturnItemCollectionMetrics`) is left out: a retry asking for
/// other reports is the same request, and DynamoDB's answer to it differs anyway.
fn fingerprint(input: &TransactWriteItemsInput) -> u128 {
    let mut request = serde_json::to_value(&input.transact_items).expect("requests serialize");
    sort_sets(&mut request);
    let bytes = serde_json::to_vec(&request).expect("values serialize");
    xxhash_rust::xxh3::xxh3_128(&bytes)
}

/// Sorts the members of every set (`SS`, `NS`, `BS`) in a request's JSON: a set has no order,
/// so `["a","b"]` and `["b","a"]` are the same request.
fn sort_sets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                match member {
                    serde_json::Value::Array(set)
                        if matches!(name.as_str(), "SS" | "NS" | "BS") =>
                    {
                        set.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                    }
                    other => sort_sets(other),
                }
            }
        }
        serde_json::Value::Array(values) => values.iter_mut().for_each(sort_sets),
        _ => {}
    }
}

/// TransactWriteItems' member constraints, in DynamoDB's order.
fn check_write_members(input: &TransactWriteItemsInput) -> Result<(), DbError> {
    let mut c = Constraints::new();
    c.reports(
        input.return_consumed_capacity.as_ref(),
        input.return_item_collection_metrics.as_ref(),
    );
    if let Some(token) = &input.client_request_token {
        c.length(token, "clientRequestToken", 1, 36);
    }
    let items = input.transact_items.as_deref();
    list_length(&mut c, items.map(<[_]>::len), "transactItems");
    for (i, item) in items.unwrap_or_default().iter().enumerate() {
        check_action_members(&mut c, i, item);
    }
    c.finish()?;
    for item in items.unwrap_or_default() {
        let present = [
            item.condition_check.is_some(),
            item.put.is_some(),
            item.delete.is_some(),
            item.update.is_some(),
        ];
        match present.iter().filter(|p| **p).count() {
            0 => {
                return Err(DbError::validation(
                    "The action or operation requested is invalid. Verify that the action is \
                     typed correctly.",
                ))
            }
            1 => {}
            _ => {
                return Err(DbError::validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete",
                ))
            }
        }
    }
    Ok(())
}

/// The member constraints of action `i` (from 0) of a TransactWriteItems.
fn check_action_members(c: &mut Constraints, i: usize, item: &TransactWriteItem) {
    let at = |action: &str| format!("transactItems.{}.member.{action}", i + 1);
    if let Some(check) = &item.condition_check {
        let member = at("conditionCheck");
        c.required(check.key.as_ref(), &format!("{member}.key"));
        c.table_name_or_arn_at(check.table_name.as_ref(), &format!("{member}.tableName"));
        c.required(check.condition_expression.as_ref(), &format!("{member}.conditionExpression"));
        on_failure(c, &member, check.return_values_on_condition_check_failure.as_ref());
    }
    if let Some(delete) = &item.delete {
        let member = at("delete");
        c.required(delete.key.as_ref(), &format!("{member}.key"));
        c.table_name_or_arn_at(delete.table_name.as_ref(), &format!("{member}.tableName"));
        on_failure(c, &member, delete.return_values_on_condition_check_failure.as_ref());
    }
    if let Some(put) = &item.put {
        let member = at("put");
        c.required(put.item.as_ref(), &format!("{member}.item"));
        c.table_name_or_arn_at(put.table_name.as_ref(), &format!("{member}.tableName"));
        on_failure(c, &member, put.return_values_on_condition_check_failure.as_ref());
    }
    if let Some(update) = &item.update {
        let member = at("update");
        c.required(update.key.as_ref(), &format!("{member}.key"));
        c.required(update.update_expression.as_ref(), &format!("{member}.updateExpression"));
        c.table_name_or_arn_at(update.table_name.as_ref(), &format!("{member}.tableName"));
        on_failure(c, &member, update.return_values_on_condition_check_failure.as_ref());
    }
}

/// An action's `ReturnValuesOnConditionCheckFailure`: `ALL_OLD` or `NONE`, if present.
fn on_failure(c: &mut Constraints, member: &str, value: Option<&String>) {
    let member = format!("{member}.returnValuesOnConditionCheckFailure");
    c.one_of(value, &member, RETURN_ON_FAILURE);
}

/// TransactGetItems' member constraints.
fn check_get_members(input: &TransactGetItemsInput) -> Result<(), DbError> {
    let mut c = Constraints::new();
    c.one_of(input.return_consumed_capacity.as_ref(), "returnConsumedCapacity", RETURN_CAPACITY);
    let items = input.transact_items.as_deref();
    list_length(&mut c, items.map(<[_]>::len), "transactItems");
    for (i, item) in items.unwrap_or_default().iter().enumerate() {
        let member = format!("transactItems.{}.member.get", i + 1);
        if let Some(get) = c.required(item.get.as_ref(), &member) {
            c.required(get.key.as_ref(), &format!("{member}.key"));
            c.table_name_or_arn_at(get.table_name.as_ref(), &format!("{member}.tableName"));
        }
    }
    c.finish()
}

/// A required list of 1–100 members.
fn list_length(c: &mut Constraints, len: Option<usize>, member: &str) {
    match len {
        None => c.fail(None, member, "not be null"),
        Some(0) => c.fail(Some("[]"), member, "have length greater than or equal to 1"),
        Some(len) if len > ACTIONS_MAX => {
            c.fail(
                Some("[…]"),
                member,
                &format!("have length less than or equal to {ACTIONS_MAX}"),
            );
        }
        Some(_) => {}
    }
}

/// What building a transaction's batch needs besides its actions.
struct Writing<'h, 't> {
    held: &'h Held<'t>,
    shards: u16,
    /// Per action, its item collection's counter key (tables with local indexes).
    counters: &'h [Option<Vec<u8>>],
}

impl Writing<'_, '_> {
    /// The batch of the decided `changes` (one per action, on the rows `rows`): each put or
    /// delete with its index entries, stream record and collection size. A collection grown
    /// past its limit cancels the transaction with that action's reason.
    fn build(
        &self,
        actions: &[Action<'_>],
        changes: Vec<Change<'_>>,
        rows: &[Option<Bytes>],
        sizes: &mut Sizes,
    ) -> Result<(Batch, Vec<Applied>, IndexDeltas), DbError> {
        let mut batch = Batch::new();
        let mut deltas = IndexDeltas::default();
        let mut applied = Vec::with_capacity(actions.len());
        for (at, ((action, change), row)) in actions.iter().zip(changes).zip(rows).enumerate() {
            let old = row.as_deref().map(row_size).transpose()?;
            let space = action.table.record.space;
            let (indexes, stream) = (self.held.indexes(space), self.held.stream(space));
            let mut maintain = |new: Option<&[u8]>, batch: &mut Batch| {
                let old = row.as_deref();
                let local = index::maintain(
                    indexes,
                    self.shards,
                    &action.key,
                    old,
                    new,
                    batch,
                    &mut deltas,
                )?;
                if let Some(counter) = &self.counters[at] {
                    let grown = sized(new)? - sized(old)? + local;
                    sizes
                        .add(counter, grown)
                        .map_err(|e| collection_canceled(e, at, actions.len()))?;
                }
                if let Some(stream) = stream {
                    // After the checks that can fail, so that a refusal of this action leaves
                    // no gap in the numbers (one of a later action still may: readers step
                    // over gaps).
                    stream.record(&action.key, old, new, false, batch);
                }
                Ok::<_, DbError>(())
            };
            let new = match change {
                Change::Keep => old,
                Change::Put(new_row, size) => {
                    maintain(Some(&new_row), &mut batch)?;
                    batch.put(&action.key, new_row);
                    Some(size)
                }
                Change::Delete if old.is_some() => {
                    maintain(None, &mut batch)?;
                    batch.delete(&action.key);
                    None
                }
                Change::Delete => None,
            };
            applied.push(Applied { old, new });
        }
        sizes.write(&mut batch);
        Ok((batch, applied, deltas))
    }
}

/// A collection limit met by action `at` of `count`: the transaction is canceled with that
/// action's reason, as DynamoDB reports it.
fn collection_canceled(error: DbError, at: usize, count: usize) -> DbError {
    if !matches!(error, DbError::ItemCollectionSizeLimitExceeded(_)) {
        return error;
    }
    let reasons = (0..count)
        .map(|i| {
            if i == at {
                CancellationReason {
                    code: Some("ItemCollectionSizeLimitExceeded".into()),
                    message: Some("Collection size exceeded.".into()),
                    ..CancellationReason::default()
                }
            } else {
                no_reason()
            }
        })
        .collect();
    canceled(reasons)
}
