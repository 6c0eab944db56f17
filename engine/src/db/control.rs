//! The control plane: CreateTable, DeleteTable, DescribeTable, ListTables, UpdateTable, the
//! tagging calls, DescribeLimits and DescribeEndpoints.

use std::sync::{Arc, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::api::{
    AttributeDefinition, CreateTableInput, CreateTableOutput, DbError, DeleteTableInput,
    DeleteTableOutput, DescribeEndpointsOutput, DescribeLimitsOutput, DescribeTableInput,
    DescribeTableOutput, Endpoint, KeySchemaElement, ListTablesInput, ListTablesOutput,
    ListTagsOfResourceInput, ListTagsOfResourceOutput, SseSpecification, TableDescription, Tag,
    TagResourceInput, UntagResourceInput, UpdateTableInput, UpdateTableOutput,
};
use crate::core::Batch;
use crate::db::catalog::{self, TableRecord, INDEX_ACTIVE, INDEX_CREATING};
use crate::db::check::Constraints;
use crate::db::index::Index;
use crate::db::index_defs::IndexChange;
use crate::db::streams_api::{describe_stream_of, spec_constraints, spec_view_type, StreamChange};
use crate::db::{index_defs, lock, Db, Inner, Table};

const BILLING_MODES: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];
const TABLE_CLASSES: &[&str] = &["STANDARD", "STANDARD_INFREQUENT_ACCESS"];
/// DynamoDB's ceiling on a provisioned capacity value.
const CAPACITY_MAX: i64 = 1_000_000_000_000;
/// Tags per resource.
const TAGS_MAX: usize = 50;

/// Milliseconds since the epoch.
pub(crate) fn epoch_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Seconds since the epoch, as DynamoDB's timestamps are.
pub(crate) fn now_seconds() -> f64 {
    epoch_ms() as f64 / 1000.0
}

impl Db {
    /// CreateTable. The table is usable as soon as this returns, so it is described as
    /// `ACTIVE` (DynamoDB answers `CREATING` and becomes `ACTIVE` moments later; clients that
    /// wait for `ACTIVE` find it at once).
    ///
    /// # Errors
    /// `ValidationException` with DynamoDB's messages for an invalid definition, for index and
    /// stream specifications (not built yet) and other unsupported settings;
    /// `ResourceInUseException` when the name is taken.
    pub fn create_table(&self, input: CreateTableInput) -> Result<CreateTableOutput, DbError> {
        check_create(&input)?;
        let name = input.table_name.clone().expect("checked");
        let _control = lock(&self.inner.control);
        if self.inner.tables.read().unwrap_or_else(PoisonError::into_inner).contains_key(&name) {
            return Err(DbError::ResourceInUse(format!("Table already exists: {name}")));
        }
        let space = self.inner.next_space()?;
        let view_type =
            input.stream_specification.as_ref().map(spec_view_type).transpose()?.flatten();
        let view_type = view_type.map(str::to_string);
        let (mut record, mut next_space) = new_record(&self.inner, input, space);
        let stream = view_type.map(|view| {
            let entry = self.inner.new_stream(&mut record, &view, next_space);
            next_space += 1;
            StreamChange::Enable(entry)
        });
        let table = Table::new(record)?;
        let mut batch = Batch::new();
        let mut live = table.alive.write().unwrap_or_else(PoisonError::into_inner);
        let stream = stream.unwrap_or(StreamChange::Keep);
        let changed = self.inner.change_stream(&mut live.stream, stream, &mut batch)?;
        drop(live);
        batch.put(catalog::table_key(&name), table.record.encode());
        batch.put(catalog::next_space_key(), next_space.to_be_bytes());
        self.inner.core.write(batch)?;
        self.inner.stream_changed(changed);
        let description = self.inner.describe(&table, "ACTIVE");
        self.inner
            .tables
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, Arc::new(table));
        Ok(CreateTableOutput { table_description: description })
    }

    /// DeleteTable: the table disappears at once; its items are deleted in the background.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for a missing table, `ValidationException` when deletion
    /// protection is on.
    pub fn delete_table(&self, input: DeleteTableInput) -> Result<DeleteTableOutput, DbError> {
        let mut c = Constraints::new();
        c.table_name_or_arn(input.table_name.as_ref());
        c.finish()?;
        let _control = lock(&self.inner.control);
        let table = self.inner.control_table(input.table_name.as_deref().expect("checked"))?;
        let name = table.record.name.clone();
        if table.record.deletion_protection {
            return Err(DbError::validation(
                "Resource cannot be deleted as it is currently protected against deletion. \
                 Disable deletion protection first.",
            ));
        }
        // Waits for item operations in flight; later ones find the table gone. Deferred item
        // writes (`Db::put_item_deferred`, …) leave the lock before they are durable: settle
        // them too, so that every item write comes before the purge.
        let mut alive = table.alive.write().unwrap_or_else(PoisonError::into_inner);
        self.inner.core.settle();
        let mut batch = Batch::new();
        batch.delete(catalog::table_key(&name));
        batch.put(catalog::purge_key(table.record.space), name.as_bytes());
        for index in &table.record.indexes {
            batch.put(catalog::purge_key(index.space), format!("{name}/index/{}", index.name));
        }
        if let Some(space) = table.record.collections {
            batch.put(catalog::purge_key(space), format!("{name}/collections"));
        }
        // The stream is disabled, not deleted: it stays readable for its retention.
        let changed =
            self.inner.change_stream(&mut alive.stream, StreamChange::Disable, &mut batch)?;
        self.inner.core.write(batch)?;
        self.inner.stream_changed(changed);
        alive.open = false;
        drop(alive);
        self.inner.tables.write().unwrap_or_else(PoisonError::into_inner).remove(&name);
        let description = self.inner.describe(&table, "DELETING");
        {
            let mut purge = lock(&self.inner.purge);
            purge.generation += 1;
        }
        self.inner.purge_wake.notify_all();
        Ok(DeleteTableOutput { table_description: description })
    }

    /// DescribeTable, with the live item count and size.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for a missing table.
    pub fn describe_table(
        &self,
        input: DescribeTableInput,
    ) -> Result<DescribeTableOutput, DbError> {
        let mut c = Constraints::new();
        c.table_name_or_arn(input.table_name.as_ref());
        c.finish()?;
        let table = self.inner.control_table(input.table_name.as_deref().expect("checked"))?;
        Ok(DescribeTableOutput { table: self.inner.describe(&table, "ACTIVE") })
    }

    /// ListTables: names in ascending order, a page at a time.
    ///
    /// # Errors
    /// `ValidationException` for a `Limit` outside 1–100 or a malformed start name.
    pub fn list_tables(&self, input: ListTablesInput) -> Result<ListTablesOutput, DbError> {
        let mut c = Constraints::new();
        if let Some(start) = &input.exclusive_start_table_name {
            c.name(Some(start), "exclusiveStartTableName");
        }
        if let Some(limit) = input.limit {
            if limit < 1 {
                c.fail(Some(&limit.to_string()), "limit", "have value greater than or equal to 1");
            }
            if limit > 100 {
                c.fail(Some(&limit.to_string()), "limit", "have value less than or equal to 100");
            }
        }
        c.finish()?;
        let limit = usize::try_from(input.limit.unwrap_or(100)).expect("checked to be 1..=100");
        let tables = self.inner.tables.read().unwrap_or_else(PoisonError::into_inner);
        let start = input.exclusive_start_table_name.as_deref().unwrap_or("");
        let mut names = tables
            .range::<str, _>((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded))
            .map(|(name, _)| name.clone());
        let table_names: Vec<String> = names.by_ref().take(limit).collect();
        let more = names.next().is_some();
        let last_evaluated_table_name = if more { table_names.last().cloned() } else { None };
        Ok(ListTablesOutput { table_names, last_evaluated_table_name })
    }

    /// UpdateTable: billing mode, provisioned capacity, table class and deletion protection.
    ///
    /// # Errors
    /// `ValidationException` with DynamoDB's messages for an empty or no-op update, and for
    /// index, stream and replica changes (not built yet); `ResourceNotFoundException`.
    pub fn update_table(&self, input: UpdateTableInput) -> Result<UpdateTableOutput, DbError> {
        check_update(&input)?;
        let updates = input.global_secondary_index_updates.as_deref();
        let changes = updates.map(index_defs::changes).transpose()?.unwrap_or_default();
        let online = changes.iter().any(|c| !matches!(c, IndexChange::Capacity(..)));
        if online && input.provisioned_throughput.is_some() {
            return Err(DbError::invalid_parameter(
                "You cannot create or delete index while updating table IOPS",
            ));
        }
        if online && input.stream_specification.is_some() {
            return Err(DbError::invalid_parameter(
                "You cannot create or delete index while changing stream status",
            ));
        }
        let _control = lock(&self.inner.control);
        let table = self.inner.control_table(input.table_name.as_deref().expect("checked"))?;
        let mut record = table.record.clone();
        let was_on_demand = record.billing_mode == "PAY_PER_REQUEST";
        apply_update(&mut record, &input)?;
        let mut batch = Batch::new();
        for change in &changes {
            self.inner.apply_index_change(
                &mut record,
                change,
                input.attribute_definitions.as_deref(),
                &mut batch,
            )?;
        }
        if was_on_demand && record.billing_mode == "PROVISIONED" {
            check_index_capacity_given(&record, &changes)?;
        }
        let stream = match input.stream_specification.as_ref() {
            None => StreamChange::Keep,
            Some(spec) => self.inner.stream_update(&table, &mut record, spec, &mut batch)?,
        };
        let updated = self.inner.replace_definition(&table, record, batch, None, stream)?;
        if online {
            lock(&self.inner.purge).generation += 1;
            self.inner.purge_wake.notify_all();
        }
        let status = if online { "UPDATING" } else { "ACTIVE" };
        let mut description = self.inner.describe(&updated, status);
        for change in &changes {
            if let IndexChange::Delete(name) = change {
                // DynamoDB shows a deleted index as DELETING until it is gone.
                deleting(&table, name, &mut description);
            }
        }
        Ok(UpdateTableOutput { table_description: description })
    }

    /// TagResource: adds tags to a table, overwriting values of keys it has.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown ARN, `ValidationException` for invalid tags
    /// or more than 50.
    pub fn tag_resource(&self, input: TagResourceInput) -> Result<(), DbError> {
        let mut c = Constraints::new();
        check_arn(&mut c, input.resource_arn.as_ref());
        c.required(input.tags.as_ref(), "tags");
        check_tag_members(&mut c, input.tags.as_deref());
        c.finish()?;
        let tags = input.tags.expect("checked");
        check_reserved_tags(&tags)?;
        let _control = lock(&self.inner.control);
        let table = self.inner.table_by_arn(input.resource_arn.as_deref().expect("checked"))?;
        let mut record = table.record.clone();
        record.tags = merge_tags(std::mem::take(&mut record.tags), tags)?;
        self.inner.replace_record(&table, record)?;
        Ok(())
    }

    /// UntagResource: removes tags by key; keys the table does not have are ignored.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown ARN.
    pub fn untag_resource(&self, input: UntagResourceInput) -> Result<(), DbError> {
        let mut c = Constraints::new();
        check_arn(&mut c, input.resource_arn.as_ref());
        c.required(input.tag_keys.as_ref(), "tagKeys");
        c.finish()?;
        let keys = input.tag_keys.expect("checked");
        let _control = lock(&self.inner.control);
        let table = self.inner.table_by_arn(input.resource_arn.as_deref().expect("checked"))?;
        let mut record = table.record.clone();
        record.tags.retain(|t| !keys.iter().any(|k| t.key.as_ref() == Some(k)));
        self.inner.replace_record(&table, record)?;
        Ok(())
    }

    /// ListTagsOfResource: every tag of the table, in one page.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown ARN.
    pub fn list_tags_of_resource(
        &self,
        input: ListTagsOfResourceInput,
    ) -> Result<ListTagsOfResourceOutput, DbError> {
        let mut c = Constraints::new();
        check_arn(&mut c, input.resource_arn.as_ref());
        c.finish()?;
        let table = self.inner.table_by_arn(input.resource_arn.as_deref().expect("checked"))?;
        Ok(ListTagsOfResourceOutput { tags: table.record.tags.clone(), next_token: None })
    }

    /// DescribeLimits: DynamoDB's default quotas.
    #[must_use]
    pub fn describe_limits(&self) -> DescribeLimitsOutput {
        DescribeLimitsOutput {
            account_max_read_capacity_units: 80_000,
            account_max_write_capacity_units: 80_000,
            table_max_read_capacity_units: 40_000,
            table_max_write_capacity_units: 40_000,
        }
    }

    /// DescribeEndpoints: this database's own address, cached for a day as DynamoDB's is.
    #[must_use]
    pub fn describe_endpoints(&self) -> DescribeEndpointsOutput {
        DescribeEndpointsOutput {
            endpoints: vec![Endpoint {
                address: self.inner.options.endpoint_address.clone(),
                cache_period_in_minutes: 1440,
            }],
        }
    }
}

impl Inner {
    /// The next unused space id (under the control lock).
    pub(crate) fn next_space(&self) -> Result<u32, DbError> {
        let stored = self.core.get(&catalog::next_space_key())?;
        match stored.as_deref() {
            None => Ok(catalog::CATALOG_SPACE + 1),
            Some(bytes) => bytes.try_into().map(u32::from_be_bytes).map_err(|_| {
                DbError::Internal("Internal server error: corrupt space counter".into())
            }),
        }
    }

    /// The table for a control-plane call, or DynamoDB's control-plane not-found message.
    pub(crate) fn control_table(&self, name_or_arn: &str) -> Result<Arc<Table>, DbError> {
        self.table(name_or_arn).map_err(|_| {
            DbError::ResourceNotFound(format!(
                "Requested resource not found: Table: {name_or_arn} not found"
            ))
        })
    }

    /// The table of a tagging call. The misspelt "ResourcArn" is DynamoDB's own message.
    fn table_by_arn(&self, arn: &str) -> Result<Arc<Table>, DbError> {
        if !arn.starts_with("arn:") {
            return Err(DbError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            )));
        }
        self.table(arn).map_err(|_| {
            DbError::ResourceNotFound(format!(
                "Requested resource not found: ResourcArn: {arn} not found"
            ))
        })
    }

    /// Stores `record` as the new state of `table` and swaps it into the map.
    pub(crate) fn replace_record(
        &self,
        table: &Table,
        record: TableRecord,
    ) -> Result<Arc<Table>, DbError> {
        self.replace_definition(table, record, Batch::new(), None, StreamChange::Keep)
    }

    /// Stores `record` as the new state of `table`, with `batch` in the same write, and swaps
    /// it into the map and its indexes into the liveness lock. Holding that lock exclusively,
    /// it waits for the item writes in flight: every write that starts later maintains the
    /// new set of indexes, and none maintains a removed one. With `recount`, the statistics of
    /// the index in that space are counted afresh meanwhile (no write can change them then).
    pub(crate) fn replace_definition(
        &self,
        table: &Table,
        record: TableRecord,
        mut batch: Batch,
        recount: Option<u32>,
        stream: StreamChange,
    ) -> Result<Arc<Table>, DbError> {
        let mut live = table.alive.write().unwrap_or_else(PoisonError::into_inner);
        // Deferred item writes left the lock before they were published: settle them, so the
        // new definition (a backfill's recount, a stream's last record) comes after them all.
        self.core.settle();
        let mut stream_now = live.stream.clone();
        let changed = self.change_stream(&mut stream_now, stream, &mut batch)?;
        let mut indexes = Vec::with_capacity(record.indexes.len());
        for index in &record.indexes {
            let kept = live.indexes.iter().find(|i| i.record.space == index.space);
            let stats = kept.map(|i| i.stats.clone());
            let index = Index::with_stats(&record, index.clone(), stats)?;
            if recount == Some(index.record.space) {
                let (items, bytes) =
                    crate::db::count_space(&self.core.snapshot(), index.record.space)?;
                index.stats.set(items, bytes);
            }
            indexes.push(Arc::new(index));
        }
        batch.put(catalog::table_key(&record.name), record.encode());
        self.core.write(batch)?;
        live.indexes = indexes;
        live.stream = stream_now;
        self.stream_changed(changed);
        drop(live);
        let updated = Arc::new(Table {
            schema: table.schema.clone(),
            stats: table.stats.clone(),
            alive: table.alive.clone(),
            record,
        });
        self.tables
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(updated.record.name.clone(), updated.clone());
        Ok(updated)
    }

    /// Applies one index change to `record` (under the control lock), adding to `batch` what
    /// it writes besides the record: the next space id for a new index, a purge key for a
    /// removed one.
    fn apply_index_change(
        &self,
        record: &mut TableRecord,
        change: &IndexChange<'_>,
        definitions: Option<&[AttributeDefinition]>,
        batch: &mut Batch,
    ) -> Result<(), DbError> {
        let table = record.name.clone();
        let not_found = |name: &str| {
            DbError::ResourceNotFound(format!(
                "Requested resource not found: Index {name} for table {table}"
            ))
        };
        match change {
            IndexChange::Create(definition) => {
                self.create_index(record, definition, definitions, batch)
            }
            IndexChange::Delete(name) => {
                let at = record.indexes.iter().position(|i| i.name == *name);
                let at = at.ok_or_else(|| not_found(name))?;
                if record.indexes[at].local {
                    return Err(DbError::validation(format!(
                        "Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
                    )));
                }
                let removed = record.indexes.remove(at);
                batch.put(catalog::purge_key(removed.space), format!("{table}/index/{name}"));
                index_defs::prune_definitions(record);
                Ok(())
            }
            IndexChange::Capacity(name, throughput) => {
                let on_demand = record.billing_mode == "PAY_PER_REQUEST";
                let index = record.indexes.iter_mut().find(|i| i.name == *name);
                let index = index.ok_or_else(|| not_found(name))?;
                index_defs::change_capacity(index, throughput, on_demand)
            }
        }
    }

    /// UpdateTable's `Create`: the index joins `record` as `CREATING`, in a new space.
    fn create_index(
        &self,
        record: &mut TableRecord,
        definition: &index_defs::Definition<'_>,
        definitions: Option<&[AttributeDefinition]>,
        batch: &mut Batch,
    ) -> Result<(), DbError> {
        let name = definition.name.map_or("", String::as_str);
        if record.indexes.iter().any(|i| i.name == name) {
            return Err(DbError::validation("Attempting to create an index which already exists"));
        }
        if record.indexes.iter().any(|i| i.status != INDEX_ACTIVE) {
            return Err(index_defs::one_online_change());
        }
        let globals = record.indexes.iter().filter(|i| !i.local).count();
        if globals >= index_defs::GLOBAL_INDEXES_MAX {
            return Err(DbError::LimitExceeded(format!(
                "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table \
                 limit of {}",
                index_defs::GLOBAL_INDEXES_MAX
            )));
        }
        let on_demand = record.billing_mode == "PAY_PER_REQUEST";
        record.attribute_definitions = index_defs::check_added(
            definition,
            definitions,
            &record.attribute_definitions,
            on_demand,
        )?;
        let space = self.next_space()?;
        batch.put(catalog::next_space_key(), (space + 1).to_be_bytes());
        record.indexes.push(definition.record(space, INDEX_CREATING));
        Ok(())
    }
}

/// Switching a table with global indexes to provisioned capacity needs each index's capacity
/// in the same request.
fn check_index_capacity_given(
    record: &TableRecord,
    changes: &[IndexChange<'_>],
) -> Result<(), DbError> {
    let given = |name: &str| {
        changes.iter().any(
            |c| matches!(c, IndexChange::Capacity(n, _) | IndexChange::Delete(n) if *n == name),
        ) || changes
            .iter()
            .any(|c| matches!(c, IndexChange::Create(d) if d.name.is_some_and(|n| n == name)))
    };
    let missing: Vec<&str> = record
        .indexes
        .iter()
        .filter(|i| !i.local && !given(&i.name))
        .map(|i| i.name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(DbError::invalid_parameter(format_args!(
        "ProvisionedThroughput must be specified for index: {}",
        missing.join(",")
    )))
}

impl Inner {
    /// The table as DescribeTable shows it, with `status`, its indexes and its stream.
    pub(crate) fn describe(&self, table: &Table, status: &str) -> TableDescription {
        let mut description = table.describe(status);
        describe_stream_of(self, table, &mut description);
        description
    }
}

fn check_arn(c: &mut Constraints, arn: Option<&String>) {
    if let Some(arn) = c.required(arn, "resourceArn") {
        c.length(arn, "resourceArn", 1, 1283);
    }
}

/// The record of a new table in `space`, its indexes in the spaces after it; and the next
/// space left unused.
fn new_record(inner: &Inner, input: CreateTableInput, space: u32) -> (TableRecord, u32) {
    let now = now_seconds();
    let options = &inner.options;
    let indexes = index_defs::new_records(&input, space + 1);
    let has_local = indexes.iter().any(|i| i.local);
    let name = input.table_name.expect("checked");
    let arn = format!("arn:aws:dynamodb:{}:{}:table/{name}", options.region, options.account_id);
    let billing_mode = input.billing_mode.unwrap_or_else(|| "PROVISIONED".into());
    let on_demand = billing_mode == "PAY_PER_REQUEST";
    let throughput = input.provisioned_throughput;
    let key_schema = input.key_schema.expect("checked");
    let mut next_space = space + 1 + indexes.len() as u32;
    let collections = has_local.then(|| {
        next_space += 1;
        next_space - 1
    });
    let record = TableRecord {
        format: TableRecord::new_format(),
        table_id: table_id(&name, space, now),
        arn,
        created: now,
        name,
        space,
        key_schema,
        attribute_definitions: input.attribute_definitions.expect("checked"),
        pay_per_request_since: on_demand.then_some(now),
        billing_mode,
        read_capacity: throughput.and_then(|t| t.read_capacity_units).unwrap_or(0),
        write_capacity: throughput.and_then(|t| t.write_capacity_units).unwrap_or(0),
        last_increase: None,
        last_decrease: None,
        decreases: (0, 0),
        table_class: input.table_class.unwrap_or_else(|| "STANDARD".into()),
        table_class_changed: None,
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        tags: merge_tags(Vec::new(), input.tags.unwrap_or_default()).expect("checked"),
        ttl: None,
        indexes,
        latest_stream: None,
        collections,
    };
    (record, next_space)
}

/// A UUID-shaped identifier (version 4 layout) unique to this incarnation of the table.
fn table_id(name: &str, space: u32, now: f64) -> String {
    use xxhash_rust::xxh3::xxh3_128_with_seed;
    let seed = u64::from(std::process::id()) ^ now.to_bits();
    let mut input = name.as_bytes().to_vec();
    input.extend_from_slice(&space.to_be_bytes());
    let mut bits = xxh3_128_with_seed(&input, seed);
    bits = (bits & !(0xF << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// CreateTable's checks, in DynamoDB's order: member constraints, then the definition's logic,
/// then what Basalt does not build yet.
fn check_create(input: &CreateTableInput) -> Result<(), DbError> {
    let mut c = Constraints::new();
    c.required(input.attribute_definitions.as_ref(), "attributeDefinitions");
    c.name(input.table_name.as_ref(), "tableName");
    if let Some(schema) = c.required(input.key_schema.as_ref(), "keySchema") {
        if schema.is_empty() {
            c.fail(Some("[]"), "keySchema", "have length greater than or equal to 1");
        }
        if schema.len() > 2 {
            c.fail(None, "keySchema", "have length less than or equal to 2");
        }
        for (i, element) in schema.iter().enumerate() {
            let member = format!("keySchema.{}.member", i + 1);
            c.text(element.attribute_name.as_ref(), &format!("{member}.attributeName"), 1, 255);
            let key_type = element.key_type.as_ref();
            c.required_one_of(key_type, &format!("{member}.keyType"), &["HASH", "RANGE"]);
        }
    }
    for (i, definition) in input.attribute_definitions.iter().flatten().enumerate() {
        let member = format!("attributeDefinitions.{}.member", i + 1);
        c.text(definition.attribute_name.as_ref(), &format!("{member}.attributeName"), 1, 255);
        let attribute_type = definition.attribute_type.as_ref();
        c.required_one_of(attribute_type, &format!("{member}.attributeType"), &["B", "N", "S"]);
    }
    c.one_of(input.billing_mode.as_ref(), "billingMode", BILLING_MODES);
    c.one_of(input.table_class.as_ref(), "tableClass", TABLE_CLASSES);
    check_throughput_members(&mut c, input.provisioned_throughput.as_ref());
    check_tag_members(&mut c, input.tags.as_deref());
    index_defs::create_constraints(&mut c, input);
    spec_constraints(&mut c, input.stream_specification.as_ref());
    c.finish()?;
    check_billing(input.billing_mode.as_deref(), input.provisioned_throughput.as_ref())?;
    let indexed =
        input.local_secondary_indexes.is_some() || input.global_secondary_indexes.is_some();
    check_key_definitions(
        input.key_schema.as_deref().expect("checked"),
        input.attribute_definitions.as_deref().expect("checked"),
        indexed,
    )?;
    index_defs::check_create(input)?;
    if let Some(spec) = &input.stream_specification {
        spec_view_type(spec)?;
    }
    if let Some(tags) = &input.tags {
        check_reserved_tags(tags)?;
        merge_tags(Vec::new(), tags.clone())?;
    }
    refuse_unbuilt_create(input)
}

/// The member constraints of tags: key 1–128 and value 0–256 characters, both required.
fn check_tag_members(c: &mut Constraints, tags: Option<&[Tag]>) {
    for (i, tag) in tags.into_iter().flatten().enumerate() {
        c.text(tag.key.as_ref(), &format!("tags.{}.member.key", i + 1), 1, 128);
        c.text(tag.value.as_ref(), &format!("tags.{}.member.value", i + 1), 0, 256);
    }
}

/// Keys starting `aws:` are AWS's own.
fn check_reserved_tags(tags: &[Tag]) -> Result<(), DbError> {
    if tags.iter().any(|t| t.key.as_deref().is_some_and(|k| k.starts_with("aws:"))) {
        return Err(DbError::invalid_parameter(
            "Tag keys with the prefix aws: are reserved for AWS use",
        ));
    }
    Ok(())
}

/// `added` over `existing`: a key given again takes the new value; the result is ordered by
/// key and holds at most [`TAGS_MAX`] tags.
fn merge_tags(existing: Vec<Tag>, added: Vec<Tag>) -> Result<Vec<Tag>, DbError> {
    let mut merged: std::collections::BTreeMap<String, String> = existing
        .into_iter()
        .chain(added)
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect();
    if merged.len() > TAGS_MAX {
        return Err(DbError::LimitExceeded(format!(
            "The number of tags on the resource exceeds the limit of {TAGS_MAX}"
        )));
    }
    Ok(std::mem::take(&mut merged).into_iter().map(|(k, v)| Tag::new(k, v)).collect())
}

fn check_throughput_members(
    c: &mut Constraints,
    throughput: Option<&crate::api::ProvisionedThroughput>,
) {
    let Some(t) = throughput else { return };
    for (value, member) in [
        (t.write_capacity_units, "provisionedThroughput.writeCapacityUnits"),
        (t.read_capacity_units, "provisionedThroughput.readCapacityUnits"),
    ] {
        match value {
            None => c.fail(None, member, "not be null"),
            Some(value) if value < 1 => {
                c.fail(Some(&value.to_string()), member, "have value greater than or equal to 1");
            }
            Some(_) => {}
        }
    }
}

fn check_billing(
    mode: Option<&str>,
    throughput: Option<&crate::api::ProvisionedThroughput>,
) -> Result<(), DbError> {
    if mode == Some("PAY_PER_REQUEST") {
        if throughput.is_some() {
            return Err(DbError::invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when \
                 BillingMode is PAY_PER_REQUEST",
            ));
        }
        return Ok(());
    }
    let Some(t) = throughput else {
        return Err(DbError::invalid_parameter(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode \
             is PROVISIONED",
        ));
    };
    for (value, name) in [
        (t.read_capacity_units.unwrap_or(0), "ReadCapacityUnits"),
        (t.write_capacity_units.unwrap_or(0), "WriteCapacityUnits"),
    ] {
        if value > CAPACITY_MAX {
            return Err(DbError::validation(format!(
                "Given value {value} for {name} is out of bounds"
            )));
        }
    }
    Ok(())
}

/// The table's key schema against the attribute definitions; with indexes (`indexed`), the
/// definitions may hold more attributes: `index_defs::check_create` checks they are used.
fn check_key_definitions(
    schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
    indexed: bool,
) -> Result<(), DbError> {
    let keys: Vec<&str> = schema.iter().map(KeySchemaElement::name).collect();
    let defined: Vec<&str> = definitions.iter().map(AttributeDefinition::name).collect();
    if keys.len() > defined.len() {
        return Err(DbError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if keys.iter().any(|k| !defined.contains(k)) {
        return Err(DbError::invalid_parameter(format_args!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], \
             AttributeDefinitions: [{}]",
            keys.join(", "),
            defined.join(", ")
        )));
    }
    if keys.len() == 2 && keys[0] == keys[1] {
        return Err(DbError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if schema[0].kind() != "HASH" {
        return Err(DbError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if schema.get(1).is_some_and(|k| k.kind() == "HASH") {
        return Err(DbError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    if keys.len() != defined.len() && !indexed {
        return Err(DbError::invalid_parameter(
            "Number of attributes in KeySchema does not exactly match number of attributes \
             defined in AttributeDefinitions",
        ));
    }
    Ok(())
}

fn refuse_unbuilt_create(input: &CreateTableInput) -> Result<(), DbError> {
    refuse_kms(input.sse_specification.as_ref())?;
    refuse_unsupported(&[
        (input.on_demand_throughput.is_some(), "OnDemandThroughput"),
        (input.warm_throughput.is_some(), "WarmThroughput"),
        (input.resource_policy.is_some(), "ResourcePolicy"),
    ])
}

fn refuse_kms(sse: Option<&SseSpecification>) -> Result<(), DbError> {
    if sse.is_some_and(|s| s.enabled == Some(true)) {
        return Err(DbError::validation(
            "SSESpecification with a KMS key is not supported by Basalt; data is stored \
             unencrypted on the local disk",
        ));
    }
    Ok(())
}

fn refuse_unsupported(fields: &[(bool, &str)]) -> Result<(), DbError> {
    match fields.iter().find(|(present, _)| *present) {
        Some((_, name)) => Err(DbError::validation(format!("{name} is not supported by Basalt"))),
        None => Ok(()),
    }
}

fn check_update(input: &UpdateTableInput) -> Result<(), DbError> {
    let mut c = Constraints::new();
    c.table_name_or_arn(input.table_name.as_ref());
    c.one_of(input.billing_mode.as_ref(), "billingMode", BILLING_MODES);
    c.one_of(input.table_class.as_ref(), "tableClass", TABLE_CLASSES);
    check_throughput_members(&mut c, input.provisioned_throughput.as_ref());
    index_defs::update_constraints(&mut c, input.global_secondary_index_updates.as_ref());
    spec_constraints(&mut c, input.stream_specification.as_ref());
    c.finish()?;
    if let Some(spec) = &input.stream_specification {
        spec_view_type(spec)?;
    }
    refuse_kms(input.sse_specification.as_ref())?;
    refuse_unsupported(&[
        (input.replica_updates.is_some(), "ReplicaUpdates"),
        (input.on_demand_throughput.is_some(), "OnDemandThroughput"),
        (input.warm_throughput.is_some(), "WarmThroughput"),
    ])?;
    let changes_something = input.billing_mode.is_some()
        || input.provisioned_throughput.is_some()
        || input.table_class.is_some()
        || input.deletion_protection_enabled.is_some()
        || input.sse_specification.is_some()
        || input.stream_specification.is_some()
        || input.global_secondary_index_updates.as_ref().is_some_and(|u| !u.is_empty());
    if !changes_something {
        return Err(DbError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, \
             GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    Ok(())
}

/// Applies an UpdateTable request to a record, with DynamoDB's checks against the table's
/// current state.
fn apply_update(record: &mut TableRecord, input: &UpdateTableInput) -> Result<(), DbError> {
    let now = now_seconds();
    if let Some(mode) = &input.billing_mode {
        if mode == "PAY_PER_REQUEST" && record.billing_mode != *mode {
            record.pay_per_request_since = Some(now);
        }
        record.billing_mode.clone_from(mode);
    }
    let on_demand = record.billing_mode == "PAY_PER_REQUEST";
    check_billing(Some(&record.billing_mode), input.provisioned_throughput.as_ref()).or_else(
        |e| {
            // Switching to PROVISIONED needs capacity; staying provisioned without new capacity is
            // fine.
            if !on_demand && input.provisioned_throughput.is_none() && input.billing_mode.is_none()
            {
                Ok(())
            } else {
                Err(e)
            }
        },
    )?;
    if let Some(t) = input.provisioned_throughput {
        // Both present: checked with the members.
        let (new_read, new_write) =
            (t.read_capacity_units.unwrap_or(0), t.write_capacity_units.unwrap_or(0));
        let (read, write) = (record.read_capacity, record.write_capacity);
        if new_read == read && new_write == write && input.billing_mode.is_none() {
            return Err(DbError::validation(format!(
                "The provisioned throughput for the table will not change. The requested value \
                 equals the current value. Current ReadCapacityUnits provisioned for the table: \
                 {read}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned \
                 for the table: {write}. Requested WriteCapacityUnits: {}. Refer to the Amazon \
                 DynamoDB Developer Guide for current limits and how to request higher limits.",
                new_read, new_write
            )));
        }
        record_capacity_change(record, new_read, new_write, now);
    }
    if let Some(class) = &input.table_class {
        if *class != record.table_class {
            record.table_class.clone_from(class);
            record.table_class_changed = Some(now);
        }
    }
    if let Some(protect) = input.deletion_protection_enabled {
        record.deletion_protection = protect;
    }
    Ok(())
}

fn record_capacity_change(record: &mut TableRecord, read: i64, write: i64, now: f64) {
    if read > record.read_capacity || write > record.write_capacity {
        record.last_increase = Some(now);
    }
    if read < record.read_capacity || write < record.write_capacity {
        record.last_decrease = Some(now);
        let today = (now / 86_400.0) as i64;
        record.decreases =
            if record.decreases.0 == today { (today, record.decreases.1 + 1) } else { (today, 1) };
    }
    record.read_capacity = read;
    record.write_capacity = write;
}

/// Adds index `name` of `table` (as it was before the update) to `description` as `DELETING`.
fn deleting(table: &Table, name: &str, description: &mut TableDescription) {
    let Some(index) = table.record.indexes.iter().find(|i| i.name == name) else { return };
    // Its entries are being purged: shown as none.
    let mut shown = table.record.global_description(index, 0, 0);
    shown.index_status = "DELETING".into();
    shown.backfilling = None;
    description.global_secondary_indexes.get_or_insert_with(Vec::new).push(shown);
}

impl Inner {
    /// UpdateTable's `StreamSpecification` against the table's stream: a new stream (in a new
    /// space, counted in `batch`) or the current one disabled, with DynamoDB's messages.
    fn stream_update(
        &self,
        table: &Table,
        record: &mut TableRecord,
        spec: &crate::api::StreamSpecification,
        batch: &mut Batch,
    ) -> Result<StreamChange, DbError> {
        let enabled = table.alive.read().unwrap_or_else(PoisonError::into_inner).stream.is_some();
        let name = &record.name;
        match spec_view_type(spec)? {
            Some(_) if enabled => Err(DbError::validation(format!(
                "Table already has an enabled stream: TableName: {name}"
            ))),
            Some(view) => {
                let space = self.next_space()?;
                batch.put(catalog::next_space_key(), (space + 1).to_be_bytes());
                Ok(StreamChange::Enable(self.new_stream(record, view, space)))
            }
            None if !enabled => Err(DbError::validation(format!(
                "Table has no stream to disable: TableName: {name}"
            ))),
            None => Ok(StreamChange::Disable),
        }
    }
}
