//! Query and Scan: a range of a table's items read from one snapshot, a page at a time.
//!
//! A page ends after `Limit` items or once the items read reach 1 MB (both counted before the
//! filter, as DynamoDB counts them); it then carries `LastEvaluatedKey`, the key of the last
//! item read, from which the next page continues. As in DynamoDB, a page that stops at `Limit`
//! carries it even when nothing follows: only its absence marks the end.
//!
//! Items of a table are stored in key order `hash(partition) | partition | sort`, so a Query
//! reads one contiguous range in sort-key order, and a Scan reads the table in hash order. A
//! parallel Scan's segment `i` of `n` is the range of hashes `[i·2^64/n, (i+1)·2^64/n)`: the
//! segments cover the table without gaps or overlaps, and each is one contiguous range.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::api::{DbError, LegacyCondition, QueryInput, QueryOutput, ScanInput};
use crate::core::{Bytes, Snapshot};
use crate::db::check::Constraints;
use crate::db::exprs::{check_maps, NO_NAMES, NO_VALUES};
use crate::db::index::{self, Index};
use crate::db::keycond::{key_terms, match_schema, KeyOp, KeyQuery};
use crate::db::row::{decode_row, row_item, row_size};
use crate::db::schema::{key_value, Schema};
use crate::db::{catalog, Db, Table};
use crate::expr::ast::{Condition, Operand, Path, PathElement};
use crate::expr::{self, legacy, Bindings, DocPath, ExpressionKind, PathStep, Placeholders};
use crate::model::{validate_value, write_item_json, Item};

use super::items::{check_attributes_to_get, consumed, RETURN_CAPACITY};

/// A range of storage keys: its lower and upper bound.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The most bytes of items one page reads.
const PAGE_BYTES_MAX: usize = 1024 * 1024;

const SELECT_VALUES: &[&str] =
    &["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"];
const CONDITIONAL_OPERATORS: &[&str] = &["OR", "AND"];
/// DynamoDB's bound on `TotalSegments`.
const TOTAL_SEGMENTS_MAX: i64 = 1_000_000;

/// The [`ReadParams`] of a QueryInput or ScanInput (the shared members have the same names;
/// `filter` names the legacy filter member).
macro_rules! read_params {
    ($input:expr, $operation:expr, $filter:ident) => {
        ReadParams {
            operation: $operation,
            table_name: $input.table_name.as_ref(),
            index_name: $input.index_name.as_ref(),
            select: $input.select.as_ref(),
            limit: $input.limit,
            consistent_read: $input.consistent_read.unwrap_or(false),
            exclusive_start_key: $input.exclusive_start_key.as_ref(),
            return_consumed_capacity: $input.return_consumed_capacity.as_ref(),
            attributes_to_get: $input.attributes_to_get.as_ref(),
            conditional_operator: $input.conditional_operator.as_ref(),
            filter_expression: $input.filter_expression.as_ref(),
            projection_expression: $input.projection_expression.as_ref(),
            legacy_filter: $input.$filter.as_ref(),
            names: $input.expression_attribute_names.as_ref(),
            values: $input.expression_attribute_values.as_ref(),
        }
    };
}

/// The members Query and Scan share.
struct ReadParams<'a> {
    operation: Operation,
    table_name: Option<&'a String>,
    index_name: Option<&'a String>,
    select: Option<&'a String>,
    limit: Option<i64>,
    consistent_read: bool,
    exclusive_start_key: Option<&'a Item>,
    return_consumed_capacity: Option<&'a String>,
    attributes_to_get: Option<&'a Vec<String>>,
    conditional_operator: Option<&'a String>,
    filter_expression: Option<&'a String>,
    projection_expression: Option<&'a String>,
    legacy_filter: Option<&'a BTreeMap<String, LegacyCondition>>,
    names: Option<&'a BTreeMap<String, String>>,
    values: Option<&'a Item>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Query,
    Scan,
}

impl Operation {
    fn filter_parameter(self) -> &'static str {
        match self {
            Operation::Query => "QueryFilter",
            Operation::Scan => "ScanFilter",
        }
    }
}

/// A condition with the placeholder maps it is evaluated with.
struct Prepared<'a> {
    condition: Arc<Condition>,
    names: Cow<'a, BTreeMap<String, String>>,
    values: Cow<'a, Item>,
}

impl Prepared<'_> {
    fn bindings(&self) -> Bindings<'_> {
        Bindings::new(&self.names, &self.values)
    }
}

/// What a page read needs: the filter, the projection, what to return and when to stop.
struct Plan<'a> {
    filter: Option<Prepared<'a>>,
    projection: Option<Vec<DocPath>>,
    count_only: bool,
    limit: Option<usize>,
    /// Items are written as DynamoDB JSON (the server's answer) instead of collected.
    wire: bool,
}

impl<'a> ReadParams<'a> {
    /// Constraint checks common to both operations, in DynamoDB's order.
    fn constraints(&self, c: &mut Constraints) {
        c.one_of(self.return_consumed_capacity, "returnConsumedCapacity", RETURN_CAPACITY);
        c.table_name_or_arn(self.table_name);
        c.one_of(self.select, "select", SELECT_VALUES);
        if let Some(limit) = self.limit.filter(|l| *l < 1) {
            let shown = limit.to_string();
            c.fail(Some(&shown), "limit", "have value greater than or equal to 1");
        }
        c.one_of(self.conditional_operator, "conditionalOperator", CONDITIONAL_OPERATORS);
        if let Some(index) = self.index_name {
            c.name(Some(index), "indexName");
        }
        if self.attributes_to_get.is_some_and(Vec::is_empty) {
            c.fail(Some("[]"), "attributesToGet", "have length greater than or equal to 1");
        }
    }

    /// `Select` against the projection, with DynamoDB's messages; whether only counts are
    /// returned.
    fn check_select(&self) -> Result<bool, DbError> {
        let projected = if self.projection_expression.is_some() {
            Some("ProjectionExpression")
        } else {
            self.attributes_to_get.map(|_| "AttributesToGet")
        };
        match (self.select.map(String::as_str), projected) {
            (Some("ALL_PROJECTED_ATTRIBUTES"), _) if self.index_name.is_none() => {
                Err(DbError::validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
                ))
            }
            (Some("ALL_ATTRIBUTES"), Some(what)) => Err(DbError::validation(format!(
                "Cannot specify the {what} when choosing to get ALL_ATTRIBUTES"
            ))),
            (Some("ALL_PROJECTED_ATTRIBUTES"), Some(what)) => Err(DbError::validation(format!(
                "Cannot specify the {what} when choosing to get ALL_PROJECTED_ATTRIBUTES"
            ))),
            (Some("COUNT"), Some(what)) => Err(DbError::validation(format!(
                "Cannot specify the {what} when choosing to get only the Count"
            ))),
            (Some("SPECIFIC_ATTRIBUTES"), None) => {
                let message = "Must specify the AttributesToGet or ProjectionExpression when \
                               choosing to get SPECIFIC_ATTRIBUTES";
                Err(DbError::validation(match self.operation {
                    // Query wraps this one in the constraint envelope; Scan does not.
                    Operation::Query => format!("1 validation error detected: {message}"),
                    Operation::Scan => message.to_string(),
                }))
            }
            (select, _) => Ok(select == Some("COUNT")),
        }
    }

    /// The filter and projection, parsed, with the placeholder accounting begun in
    /// `placeholders` (which also holds the key condition's, for Query).
    fn plan(
        &self,
        db: &Db,
        placeholders: &mut Placeholders<'a>,
        count_only: bool,
    ) -> Result<Plan<'a>, DbError> {
        let names = self.names.unwrap_or(&NO_NAMES);
        let values = self.values.unwrap_or(&NO_VALUES);
        let mut filter = None;
        if let Some(source) = self.filter_expression {
            let condition = db.inner.exprs.condition(source, ExpressionKind::Filter)?;
            placeholders.check_condition(&condition, ExpressionKind::Filter)?;
            filter = Some(Prepared {
                condition,
                names: Cow::Borrowed(names),
                values: Cow::Borrowed(values),
            });
        }
        let mut projection = None;
        if let Some(source) = self.projection_expression {
            let parsed = db.inner.exprs.projection(source)?;
            placeholders.check_projection(&parsed)?;
            projection = Some(expr::resolve_projection(&parsed, Bindings::new(names, values))?);
        }
        if filter.is_none() {
            // A lone ConditionalOperator is checked (and refused) against an empty filter.
            let no_filter = BTreeMap::new();
            let conditions = self.legacy_filter.unwrap_or(&no_filter);
            let operator = self.conditional_operator.map(String::as_str);
            let parameter = match self.operation {
                Operation::Query => legacy::FilterParameter::QueryFilter,
                Operation::Scan => legacy::FilterParameter::ScanFilter,
            };
            if let Some(translated) = legacy::filter(conditions, operator, parameter)? {
                filter = Some(Prepared {
                    condition: Arc::new(translated.tree),
                    names: Cow::Owned(translated.names),
                    values: Cow::Owned(translated.values),
                });
            }
        }
        if let Some(names) = self.attributes_to_get {
            check_attributes_to_get(Some(names))?;
            projection = Some(names.iter().map(|n| vec![PathStep::Name(n.clone())]).collect());
        }
        let limit = self.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
        Ok(Plan { filter, projection, count_only, limit, wire: false })
    }

    /// The legacy parameters present, and the expression parameters present, for the mixing
    /// check; `key` adds Query's key parameters.
    fn parameters(&self, key: (bool, bool)) -> (Vec<&'static str>, Vec<&'static str>) {
        let mut legacy = Vec::new();
        if self.attributes_to_get.is_some() {
            legacy.push("AttributesToGet");
        }
        if self.legacy_filter.is_some() {
            legacy.push(self.operation.filter_parameter());
        }
        if self.conditional_operator.is_some() {
            legacy.push("ConditionalOperator");
        }
        if key.0 {
            legacy.push("KeyConditions");
        }
        let mut expressions = Vec::new();
        if self.projection_expression.is_some() {
            expressions.push("ProjectionExpression");
        }
        if self.filter_expression.is_some() {
            expressions.push("FilterExpression");
        }
        if key.1 {
            expressions.push("KeyConditionExpression");
        }
        (legacy, expressions)
    }

    /// The table, and the index named by `IndexName` with DynamoDB's checks of the read
    /// against it.
    fn table(&self, db: &Db) -> Result<(Arc<Table>, Option<Arc<Index>>), DbError> {
        let name = self.table_name.map_or("", String::as_str);
        let table = db.inner.table(name)?;
        let Some(index_name) = self.index_name else { return Ok((table, None)) };
        let Some(index) = table.index(index_name) else {
            return Err(DbError::validation(format!(
                "The table does not have the specified index: {index_name}"
            )));
        };
        if !index.is_local() && self.consistent_read {
            return Err(DbError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        if !index.is_active() {
            return Err(DbError::validation(format!(
                "Cannot read from backfilling global secondary index: {index_name}"
            )));
        }
        if !index.is_local()
            && !index.projects_all()
            && self.select.map(String::as_str) == Some("ALL_ATTRIBUTES")
        {
            return Err(DbError::invalid_parameter(format_args!(
                "Select type ALL_ATTRIBUTES is not supported for global secondary index \
                 {index_name} because its projection type is not ALL"
            )));
        }
        Ok((table, Some(index)))
    }

    /// Where a page of `index` (or of the table) is read from, with `ranges` of storage keys:
    /// an LSI read that wants attributes the index does not hold reads each item from the
    /// table, as DynamoDB does; a GSI read that names them is refused.
    fn source<'t>(
        &self,
        table: &'t Table,
        index: Option<&Index>,
        plan: &Plan<'_>,
        ranges: Vec<KeyRange>,
    ) -> Result<Source<'t>, DbError> {
        let Some(index) = index else {
            let key_names = table.schema.attributes().map(|(a, _)| a.name.clone()).collect();
            return Ok(Source { ranges, key_names, fetch_from: None });
        };
        let key_names = index.start_key_names().into_iter().map(String::from).collect();
        let mut missing: Vec<&str> = Vec::new();
        for path in plan.projection.iter().flatten() {
            if let Some(PathStep::Name(name)) = path.first() {
                if !index.projects(name) && !missing.contains(&name.as_str()) {
                    missing.push(name);
                }
            }
        }
        let all = self.select.map(String::as_str) == Some("ALL_ATTRIBUTES");
        let fetch = !index.projects_all() && (all || !missing.is_empty());
        if fetch && !index.is_local() {
            return Err(DbError::invalid_parameter(format_args!(
                "Global secondary index {} does not project [{}]",
                index.name(),
                missing.join(", ")
            )));
        }
        Ok(Source { ranges, key_names, fetch_from: fetch.then_some(table) })
    }
}

impl Db {
    /// Query: the items of one partition, optionally narrowed by a sort key condition, in
    /// sort key order (or reversed), a page at a time.
    ///
    /// # Example
    /// ```
    /// use basalt::api::{CreateTableInput, PutItemInput, QueryInput, UpdateItemInput};
    /// use basalt::{item, Db};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let db = Db::open(dir.path())?;
    /// let table = CreateTableInput::new("Orders").partition_key("customer", "S").sort_key("id", "N");
    /// db.create_table(table)?;
    /// for id in 1..=3 {
    ///     let order = item! { "customer" => "c1", "id" => id, "amount" => 10 * id };
    ///     db.put_item(PutItemInput::new("Orders", order).condition("attribute_not_exists(id)"))?;
    /// }
    /// let update = UpdateItemInput::new(
    ///     "Orders",
    ///     item! { "customer" => "c1", "id" => 2 },
    ///     "SET amount = amount + :tip ADD #n :one",
    /// )
    /// .condition("amount >= :min")
    /// .name("#n", "revisions")
    /// .value(":tip", 5)
    /// .value(":one", 1)
    /// .value(":min", 10)
    /// .return_values("UPDATED_NEW");
    /// let updated = db.update_item(update)?.attributes;
    /// assert_eq!(updated, Some(item! { "revisions" => 1, "amount" => 25 }));
    /// let big = QueryInput::new("Orders", "customer = :c AND id >= :from")
    ///     .filter("amount > :t")
    ///     .value(":c", "c1")
    ///     .value(":from", 2)
    ///     .value(":t", 20);
    /// let page = db.query(big)?;
    /// assert_eq!((page.count, page.scanned_count), (2, 2));
    /// db.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `ValidationException` for a request DynamoDB refuses (with its message),
    /// `ResourceNotFoundException` for a missing table, `InternalServerError` for a storage
    /// failure.
    pub fn query(&self, input: QueryInput) -> Result<QueryOutput, DbError> {
        self.query_page(&input, false).map(|(output, _)| output)
    }

    /// Query, answered as the JSON body DynamoDB sends: the same bytes as serializing
    /// [`Db::query`]'s output, written straight from the stored items without building them
    /// (what `basalt-server` answers with).
    ///
    /// # Errors
    /// As [`Db::query`].
    pub fn query_json(&self, input: QueryInput) -> Result<Vec<u8>, DbError> {
        self.query_page(&input, true).and_then(|(output, items)| wire_body(&output, items))
    }

    /// Scan, answered as the JSON body DynamoDB sends (see [`Db::query_json`]).
    ///
    /// # Errors
    /// As [`Db::scan`].
    pub fn scan_json(&self, input: ScanInput) -> Result<Vec<u8>, DbError> {
        self.scan_page(&input, true).and_then(|(output, items)| wire_body(&output, items))
    }

    fn query_page(&self, input: &QueryInput, wire: bool) -> Result<Page, DbError> {
        let params = read_params!(input, Operation::Query, query_filter);
        let mut c = Constraints::new();
        params.constraints(&mut c);
        c.finish()?;
        let key_parameters =
            (input.key_conditions.is_some(), input.key_condition_expression.is_some());
        let (legacy_present, expressions) = params.parameters(key_parameters);
        legacy::check_mixing(&legacy_present, &expressions)?;
        let value_expressions = [
            ("FilterExpression", params.filter_expression.is_some()),
            ("KeyConditionExpression", key_parameters.1),
        ];
        check_maps(params.names, params.values, &value_expressions, !expressions.is_empty())?;
        let count_only = params.check_select()?;
        if key_parameters == (false, false) {
            return Err(DbError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified \
                 in the request.",
            ));
        }
        let names = params.names.unwrap_or(&NO_NAMES);
        let values = params.values.unwrap_or(&NO_VALUES);
        let mut placeholders = Placeholders::new(names, values);
        let key_condition = self.key_condition(input, &mut placeholders)?;
        let most = self.key_conditions_allowed(&params);
        let terms = key_terms(&key_condition.condition, key_condition.bindings(), most)?;
        let mut plan = params.plan(self, &mut placeholders, count_only)?;
        plan.wire = wire;
        placeholders.finish()?;
        let (table, index) = params.table(self)?;
        let forward = input.scan_index_forward.unwrap_or(true);
        let start = params.exclusive_start_key;
        let ranges = match &index {
            None => {
                let key_query = match_schema(&terms, &table.schema)?;
                if let Some(filter) = &plan.filter {
                    let keys: Vec<&str> =
                        table.schema.attributes().map(|(a, _)| a.name.as_str()).collect();
                    check_filter_keys(filter, &keys, params.legacy_filter.is_some())?;
                }
                vec![query_range(&table, &key_query, start, forward)?]
            }
            Some(index) => {
                let (eq, last) = index::match_terms(&terms, index)?;
                if let Some(filter) = &plan.filter {
                    let keys: Vec<&str> = index.key_attributes().map(|a| a.name.as_str()).collect();
                    check_filter_keys(filter, &keys, params.legacy_filter.is_some())?;
                }
                let shards = self.inner.core.shard_count();
                index_query_ranges(&table, index, &eq, last, start, forward, shards)?
            }
        };
        let source = params.source(&table, index.as_deref(), &plan, ranges)?;
        self.read_page(&params, &source, &plan, forward)
    }

    /// How many conditions a key condition may have: two, or one per key attribute of a
    /// multi-attribute index (when `IndexName` names one; other errors come later).
    fn key_conditions_allowed(&self, params: &ReadParams<'_>) -> usize {
        let index = params.index_name.and_then(|index_name| {
            let table = self.inner.table(params.table_name.map_or("", String::as_str)).ok()?;
            table.index(index_name)
        });
        index.map_or(2, |index| index.key_attributes().count().max(2))
    }

    /// The key condition: `KeyConditionExpression` (its placeholders recorded in
    /// `placeholders`) or the legacy `KeyConditions`, with the maps it reads.
    fn key_condition<'a>(
        &self,
        input: &'a QueryInput,
        placeholders: &mut Placeholders<'a>,
    ) -> Result<Prepared<'a>, DbError> {
        let names = input.expression_attribute_names.as_ref().unwrap_or(&NO_NAMES);
        let values = input.expression_attribute_values.as_ref().unwrap_or(&NO_VALUES);
        if let Some(source) = input.key_condition_expression.as_ref() {
            let condition = self.inner.exprs.condition(source, ExpressionKind::KeyCondition)?;
            placeholders.check_condition(&condition, ExpressionKind::KeyCondition)?;
            return Ok(Prepared {
                condition,
                names: Cow::Borrowed(names),
                values: Cow::Borrowed(values),
            });
        }
        let no_conditions = BTreeMap::new();
        let conditions = input.key_conditions.as_ref().unwrap_or(&no_conditions);
        let translated = legacy::key_conditions(conditions)?;
        Ok(Prepared {
            condition: Arc::new(translated.tree),
            names: Cow::Owned(translated.names),
            values: Cow::Owned(translated.values),
        })
    }

    /// Scan: every item of the table (or of one segment of it), a page at a time.
    ///
    /// # Errors
    /// As [`Db::query`].
    pub fn scan(&self, input: ScanInput) -> Result<QueryOutput, DbError> {
        self.scan_page(&input, false).map(|(output, _)| output)
    }

    fn scan_page(&self, input: &ScanInput, wire: bool) -> Result<Page, DbError> {
        let params = read_params!(input, Operation::Scan, scan_filter);
        let mut c = Constraints::new();
        params.constraints(&mut c);
        check_segment_constraints(&mut c, input.segment, input.total_segments);
        c.finish()?;
        let segment = segment(input.segment, input.total_segments)?;
        let (legacy_present, expressions) = params.parameters((false, false));
        legacy::check_mixing(&legacy_present, &expressions)?;
        let value_expressions = [("FilterExpression", params.filter_expression.is_some())];
        check_maps(params.names, params.values, &value_expressions, !expressions.is_empty())?;
        let count_only = params.check_select()?;
        let names = params.names.unwrap_or(&NO_NAMES);
        let values = params.values.unwrap_or(&NO_VALUES);
        let mut placeholders = Placeholders::new(names, values);
        let mut plan = params.plan(self, &mut placeholders, count_only)?;
        plan.wire = wire;
        placeholders.finish()?;
        let (table, index) = params.table(self)?;
        let shards = self.inner.core.shard_count();
        let start = params.exclusive_start_key;
        let range = match &index {
            None => {
                let start_key = |start: &Item| {
                    Ok(catalog::item_storage_key(
                        table.record.space,
                        &start_key(&table.schema, start)?,
                    ))
                };
                scan_range(table.record.space, segment, start, start_key)?
            }
            Some(index) => {
                let start_key = |start: &Item| {
                    index::start_entry(index, &table.schema, table.record.space, start, shards)
                };
                scan_range(index.record.space, segment, start, start_key)?
            }
        };
        let source = params.source(&table, index.as_deref(), &plan, vec![range])?;
        self.read_page(&params, &source, &plan, true)
    }

    /// Reads one page of `source` from a fresh snapshot.
    fn read_page(
        &self,
        params: &ReadParams<'_>,
        source: &Source<'_>,
        plan: &Plan<'_>,
        forward: bool,
    ) -> Result<Page, DbError> {
        let snapshot: Snapshot = self.inner.core.snapshot();
        let rows = source.rows(&snapshot, forward);
        let mut page = Collected::default();
        let mut last: Option<Item> = None;
        for entry in rows {
            let (_, row) = entry?;
            let row = match source.fetch_from {
                Some(table) => fetch_item(&snapshot, table, &row)?,
                None => row,
            };
            page.scanned += 1;
            page.bytes += row_size(&row)?;
            let full =
                plan.limit.is_some_and(|l| page.scanned >= l) || page.bytes >= PAGE_BYTES_MAX;
            // The JSON answer of an unfiltered, unprojected page is written from the row.
            let raw = plan.wire && plan.filter.is_none() && plan.projection.is_none();
            let item = if raw && !full { None } else { Some(decode_row(&row)?) };
            if let (true, Some(item)) = (full, &item) {
                last = Some(source.key_item(item));
            }
            let passes = match (&plan.filter, &item) {
                (Some(filter), Some(item)) => {
                    let kind = ExpressionKind::Filter;
                    expr::evaluate(&filter.condition, item, filter.bindings(), kind)?
                }
                _ => true,
            };
            if passes {
                page.count += 1;
                if !plan.count_only {
                    page.add(plan, &row, item)?;
                }
            }
            if full {
                break;
            }
        }
        let units = query_units(page.bytes, params.consistent_read);
        let name = params.table_name.map_or("", String::as_str);
        let mode = params.return_consumed_capacity.map(String::as_str);
        let output = QueryOutput {
            items: (!plan.count_only && !plan.wire).then_some(page.items),
            count: page.count,
            scanned_count: page.scanned as i64,
            last_evaluated_key: last,
            consumed_capacity: consumed(name, mode, units),
        };
        Ok((output, (!plan.count_only && plan.wire).then_some(page.json)))
    }
}

/// A page's answer, and, for the wire, its items as JSON (comma-separated, without brackets).
type Page = (QueryOutput, Option<Vec<u8>>);

/// What a page has read so far.
#[derive(Default)]
struct Collected {
    items: Vec<Item>,
    json: Vec<u8>,
    count: i64,
    scanned: usize,
    bytes: usize,
}

impl Collected {
    /// Adds a returned item: `row` as stored, `item` decoded when it had to be.
    fn add(&mut self, plan: &Plan<'_>, row: &[u8], item: Option<Item>) -> Result<(), DbError> {
        let item = match (item, plan.wire) {
            (Some(item), _) => match &plan.projection {
                Some(paths) => Some(expr::project(&item, paths)),
                None => Some(item),
            },
            (None, _) => None,
        };
        if !plan.wire {
            self.items.push(item.map_or_else(|| decode_row(row), Ok)?);
            return Ok(());
        }
        if !self.json.is_empty() {
            self.json.push(b',');
        }
        match item {
            Some(item) => serde_json::to_writer(&mut self.json, &item)
                .map_err(|e| DbError::Internal(format!("Internal server error: {e}"))),
            None => write_item_json(row_item(row)?, &mut self.json)
                .map_err(|e| DbError::Internal(format!("Internal server error: {e}"))),
        }
    }
}

/// The JSON body of a Query or Scan answer: `output` (without items) serialized, with the
/// items' JSON as its `Items` member first, where serializing a [`QueryOutput`] puts it.
fn wire_body(output: &QueryOutput, items: Option<Vec<u8>>) -> Result<Vec<u8>, DbError> {
    let rest = serde_json::to_vec(output)
        .map_err(|e| DbError::Internal(format!("Internal server error: {e}")))?;
    let Some(items) = items else { return Ok(rest) };
    // `rest` is an object that starts with `{"Count":` (Count is always present).
    let members = rest.get(1..).unwrap_or_default();
    let mut body = Vec::with_capacity(items.len() + rest.len() + 12);
    body.extend_from_slice(b"{\"Items\":[");
    body.extend_from_slice(&items);
    body.extend_from_slice(b"],");
    body.extend_from_slice(members);
    Ok(body)
}

/// Whether a range holds no key at all (a start key at or past its end).
fn is_empty(range: &KeyRange) -> bool {
    match range {
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u)) => l >= u,
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Excluded(l), Bound::Included(u)) => l >= u,
        _ => false,
    }
}

fn as_slice(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key.as_slice()),
        Bound::Excluded(key) => Bound::Excluded(key.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Read units of a Query or Scan: the sizes of all items read, rounded up to 4 KB once; half
/// when eventually consistent. A page that reads nothing still costs the minimum.
fn query_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// A Query's filter may not name the key attributes (`keys`) of what it reads: the table's, or
/// the index's.
fn check_filter_keys(filter: &Prepared<'_>, keys: &[&str], legacy: bool) -> Result<(), DbError> {
    let mut paths = Vec::new();
    condition_paths(&filter.condition, &mut paths);
    let bindings = filter.bindings();
    for path in paths {
        let Some(PathElement::Name { name, .. }) = path.elements.first() else { continue };
        let name = bindings.name(name, ExpressionKind::Filter)?;
        if keys.contains(&name) {
            let what = if legacy { "QueryFilter" } else { "Filter Expression" };
            return Err(DbError::validation(format!(
                "{what} can only contain non-primary key attributes: Primary key attribute: {name}"
            )));
        }
    }
    Ok(())
}

/// Every document path of a condition, in order.
fn condition_paths<'c>(condition: &'c Condition, out: &mut Vec<&'c Path>) {
    match condition {
        Condition::Compare { left, right, .. } => {
            operand_paths(left, out);
            operand_paths(right, out);
        }
        Condition::Between { operand, low, high, .. } => {
            for o in [operand, low, high] {
                operand_paths(o, out);
            }
        }
        Condition::In { operand, list, .. } => {
            operand_paths(operand, out);
            list.iter().for_each(|o| operand_paths(o, out));
        }
        Condition::Call(call) => call.args.iter().for_each(|o| operand_paths(o, out)),
        Condition::Not { inner, .. } => condition_paths(inner, out),
        Condition::And { left, right, .. } | Condition::Or { left, right, .. } => {
            condition_paths(left, out);
            condition_paths(right, out);
        }
    }
}

fn operand_paths<'c>(operand: &'c Operand, out: &mut Vec<&'c Path>) {
    match operand {
        Operand::Path(path) => out.push(path),
        Operand::Value(_) => {}
        Operand::Call(call) => call.args.iter().for_each(|o| operand_paths(o, out)),
        Operand::Arithmetic { left, right, .. } => {
            operand_paths(left, out);
            operand_paths(right, out);
        }
    }
}

/// The storage-key range of a Query, continuing after `start` (in the direction of reading).
fn query_range(
    table: &Table,
    key_query: &KeyQuery,
    start: Option<&Item>,
    forward: bool,
) -> Result<KeyRange, DbError> {
    let space = table.record.space;
    let items = key_query.item_range()?;
    let mut lower = Bound::Included(catalog::item_storage_key(space, &items.start));
    let mut upper = Bound::Excluded(catalog::item_storage_key(space, &items.end));
    if let Some(start) = start {
        let key = start_key(&table.schema, start)?;
        if !(items.start.as_slice()..items.end.as_slice()).contains(&key.as_slice()) {
            return Err(start_outside(table, key_query, start, &key, &items));
        }
        let key = catalog::item_storage_key(space, &key);
        if forward {
            lower = Bound::Excluded(key);
        } else {
            upper = Bound::Excluded(key);
        }
    }
    Ok((lower, upper))
}

/// Why a Query's start key `key` (of item `start`) lies outside the query's `items` range, in
/// DynamoDB's words: in the partition but not the sort key range, "does not match the range key
/// predicate"; in another partition, "outside query boundaries", except that a start key whose
/// sort key does match the sort key condition gets "at most one row and cannot be restarted"
/// (dynalite's tests, recorded against DynamoDB, show both).
fn start_outside(
    table: &Table,
    key_query: &KeyQuery,
    start: &Item,
    key: &[u8],
    items: &std::ops::Range<Vec<u8>>,
) -> DbError {
    let partition = crate::model::partition_range(&key_query.partition);
    let message = if (partition.start.as_slice()..partition.end.as_slice()).contains(&key) {
        "The provided starting key does not match the range key predicate"
    } else {
        let sort_matches = key_query.sort.is_some()
            && table.schema.sort.as_ref().is_some_and(|sort| {
                let value = start.get(&sort.name).and_then(|v| key_value(v, sort.key_type));
                value.is_some_and(|value| {
                    let at = crate::model::sort_bound(&key_query.partition, &value);
                    (items.start.as_slice()..items.end.as_slice()).contains(&at.as_slice())
                })
            });
        if sort_matches {
            "The query can return at most one row and cannot be restarted"
        } else {
            "The provided starting key is outside query boundaries based on provided conditions"
        }
    };
    DbError::validation(message)
}

/// The item key of an `ExclusiveStartKey`, with DynamoDB's messages.
fn start_key(schema: &Schema, start: &Item) -> Result<Vec<u8>, DbError> {
    for value in start.values() {
        validate_value(value).map_err(|e| {
            DbError::validation(format!("The provided starting key is invalid: {e}"))
        })?;
    }
    let names_match = start.len() == schema.attributes().count()
        && schema.attributes().all(|(attribute, _)| start.contains_key(&attribute.name));
    if !names_match {
        return Err(DbError::validation("The provided starting key is invalid"));
    }
    schema.key_of_key(start)
}

/// `Segment` and `TotalSegments` constraints.
fn check_segment_constraints(c: &mut Constraints, segment: Option<i64>, total: Option<i64>) {
    if let Some(segment) = segment {
        let shown = segment.to_string();
        if segment < 0 {
            c.fail(Some(&shown), "segment", "have value greater than or equal to 0");
        } else if segment > TOTAL_SEGMENTS_MAX - 1 {
            c.fail(Some(&shown), "segment", "have value less than or equal to 999999");
        }
    }
    if let Some(total) = total {
        let shown = total.to_string();
        if total < 1 {
            c.fail(Some(&shown), "totalSegments", "have value greater than or equal to 1");
        } else if total > TOTAL_SEGMENTS_MAX {
            c.fail(Some(&shown), "totalSegments", "have value less than or equal to 1000000");
        }
    }
}

/// The segment a parallel Scan reads, as `(segment, total)`, or `None` for the whole table.
fn segment(segment: Option<i64>, total: Option<i64>) -> Result<Option<(u64, u64)>, DbError> {
    match (segment, total) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(DbError::validation(
            "The TotalSegments parameter is required but was not present in the request when \
             Segment parameter is present",
        )),
        (None, Some(_)) => Err(DbError::validation(
            "The Segment parameter is required but was not present in the request when parameter \
             TotalSegments is present",
        )),
        (Some(segment), Some(total)) if segment >= total => Err(DbError::validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: \
             Segment: {segment} is not less than TotalSegments: {total}"
        ))),
        (Some(segment), Some(total)) => Ok(Some((segment as u64, total as u64))),
    }
}

/// The first partition hash of segment `segment` of `total` (`total` for the end).
fn segment_start(segment: u64, total: u64) -> Option<u64> {
    let start = (u128::from(segment) << 64) / u128::from(total);
    u64::try_from(start).ok()
}

/// The storage-key range of a Scan of `space` (of one segment), continuing after `start`,
/// whose storage key `start_key` gives.
fn scan_range(
    space: u32,
    segment: Option<(u64, u64)>,
    start: Option<&Item>,
    start_key: impl FnOnce(&Item) -> Result<Vec<u8>, DbError>,
) -> Result<KeyRange, DbError> {
    let whole = catalog::space_range(space);
    let (mut lower, upper) = match segment {
        None => (Bound::Included(whole.start), Bound::Excluded(whole.end)),
        Some((segment, total)) => {
            let hash_key = |hash: u64| catalog::item_storage_key(space, &hash.to_be_bytes());
            let lower = segment_start(segment, total).map_or(whole.start.clone(), hash_key);
            let upper = match segment_start(segment + 1, total) {
                Some(end) if segment + 1 < total => hash_key(end),
                _ => whole.end,
            };
            (Bound::Included(lower), Bound::Excluded(upper))
        }
    };
    if let Some(start) = start {
        let key = start_key(start)?;
        let inside = match (&lower, &upper) {
            (Bound::Included(l), Bound::Excluded(u)) => *l <= key && key < *u,
            _ => true,
        };
        if let (false, Some((segment, total))) = (inside, segment) {
            return Err(DbError::validation(format!(
                "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use \
                 ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
            )));
        }
        lower = Bound::Excluded(key);
    }
    Ok((lower, upper))
}

/// What a page reads: storage-key ranges (one for a table or a local index; one per shard for
/// a global index, merged by the bytes after the route), the attributes of its
/// `LastEvaluatedKey`, and whether each item is read from the table instead.
struct Source<'t> {
    ranges: Vec<KeyRange>,
    key_names: Vec<String>,
    fetch_from: Option<&'t Table>,
}

/// The entries of one or more ranges, as the snapshot yields them.
type Rows<'s> = Box<dyn Iterator<Item = crate::core::Result<(Bytes, Bytes)>> + 's>;

impl Source<'_> {
    /// The rows of the ranges, in key order (merged across ranges by the entry key after its
    /// route), or in reverse.
    fn rows<'s>(&self, snapshot: &'s Snapshot, forward: bool) -> Rows<'s> {
        let open = |range: &KeyRange| -> Rows<'s> {
            let bounds = (as_slice(&range.0), as_slice(&range.1));
            if is_empty(range) {
                Box::new(std::iter::empty())
            } else if forward {
                Box::new(snapshot.range(bounds))
            } else {
                Box::new(snapshot.range_rev(bounds))
            }
        };
        match self.ranges.as_slice() {
            [only] => open(only),
            ranges => Box::new(Merge {
                heads: ranges.iter().map(|r| open(r).peekable()).collect(),
                forward,
            }),
        }
    }

    /// The `LastEvaluatedKey` of `item`.
    fn key_item(&self, item: &Item) -> Item {
        self.key_names
            .iter()
            .filter_map(|name| item.get(name).map(|v| (name.clone(), v.clone())))
            .collect()
    }
}

/// A merge of sorted entry streams by the entry key after the route ([`index::ENTRY_SUFFIX_AT`]).
struct Merge<'s> {
    heads: Vec<std::iter::Peekable<Rows<'s>>>,
    forward: bool,
}

impl Iterator for Merge<'_> {
    type Item = crate::core::Result<(Bytes, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut best: Option<usize> = None;
        for i in 0..self.heads.len() {
            let key = match self.heads[i].peek() {
                None => continue,
                // An error is handed on at once.
                Some(Err(_)) => return self.heads[i].next(),
                Some(Ok((key, _))) => {
                    key.get(index::ENTRY_SUFFIX_AT..).unwrap_or_default().to_vec()
                }
            };
            let better = match best {
                None => true,
                Some(b) => {
                    let Some(Ok((other, _))) = self.heads[b].peek() else { continue };
                    let other = other.get(index::ENTRY_SUFFIX_AT..).unwrap_or_default();
                    if self.forward {
                        key.as_slice() < other
                    } else {
                        key.as_slice() > other
                    }
                }
            };
            if better {
                best = Some(i);
            }
        }
        self.heads[best?].next()
    }
}

/// The table's row of the item an index entry `row` stands for (an LSI read wanting
/// attributes the index does not hold), from the same snapshot.
fn fetch_item(snapshot: &Snapshot, table: &Table, row: &[u8]) -> Result<Bytes, DbError> {
    let entry = decode_row(row)?;
    let key = table.schema.key_of_key(&table.schema.key_item(&entry))?;
    let key = catalog::item_storage_key(table.record.space, &key);
    snapshot.get(&key)?.ok_or_else(|| {
        DbError::Internal("Internal server error: an index entry without its item".into())
    })
}

/// The storage-key ranges of a Query of `index` for the index key values `eq` and the
/// condition `last`, continuing after `start`.
fn index_query_ranges(
    table: &Table,
    index: &Index,
    eq: &[crate::model::KeyValue],
    last: Option<(KeyOp, Vec<crate::model::KeyValue>)>,
    start: Option<&Item>,
    forward: bool,
    shards: u16,
) -> Result<Vec<KeyRange>, DbError> {
    let suffix = index::suffix_range(eq, last.as_ref().map(|(op, v)| (*op, v.as_slice())))?;
    let hash = eq.first().map(crate::model::partition_hash);
    let ranges = index::ranges(index, &suffix, hash, shards);
    let start = match start {
        Some(start) => {
            let entry =
                index::start_entry(index, &table.schema, table.record.space, start, shards)?;
            let at = entry.get(index::ENTRY_SUFFIX_AT..).unwrap_or_default().to_vec();
            if !(suffix.start.as_slice()..suffix.end.as_slice()).contains(&at.as_slice()) {
                return Err(DbError::validation(
                    "The provided starting key is outside query boundaries based on provided \
                     conditions",
                ));
            }
            Some(at)
        }
        None => None,
    };
    let ranges = ranges.into_iter().map(|range| {
        let mut lower = Bound::Included(range.start.clone());
        let mut upper = Bound::Excluded(range.end.clone());
        if let Some(at) = &start {
            let key = [&range.start[..index::ENTRY_SUFFIX_AT], at.as_slice()].concat();
            if forward {
                lower = Bound::Excluded(key);
            } else {
                upper = Bound::Excluded(key);
            }
        }
        (lower, upper)
    });
    Ok(ranges.collect())
}
