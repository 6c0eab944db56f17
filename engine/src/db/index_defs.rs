//! Secondary index definitions: CreateTable's and UpdateTable's checks of them, in DynamoDB's
//! order with its messages, and the catalog records they become.

use std::collections::BTreeSet;

use crate::api::{
    AttributeDefinition, CreateTableInput, DbError, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, LocalSecondaryIndex, Projection,
    ProvisionedThroughput,
};
use crate::db::catalog::{IndexRecord, INDEX_ACTIVE};
use crate::db::check::Constraints;

/// Local secondary indexes per table.
pub(crate) const LOCAL_INDEXES_MAX: usize = 5;
/// Global secondary indexes per table.
pub(crate) const GLOBAL_INDEXES_MAX: usize = 20;
/// Attributes of a global index's partition key, and of its sort key.
const KEY_PART_ATTRIBUTES_MAX: usize = 4;
/// `NonKeyAttributes` of one index.
const NON_KEY_ATTRIBUTES_MAX: usize = 20;
const PROJECTION_TYPES: &[&str] = &["ALL", "INCLUDE", "KEYS_ONLY"];

fn invalid(message: impl std::fmt::Display) -> DbError {
    DbError::invalid_parameter(message)
}

/// An index definition, local or global, as the checks see it.
pub(crate) struct Definition<'a> {
    pub(crate) local: bool,
    pub(crate) name: Option<&'a String>,
    pub(crate) key_schema: Option<&'a Vec<KeySchemaElement>>,
    pub(crate) projection: Option<&'a Projection>,
    pub(crate) throughput: Option<&'a ProvisionedThroughput>,
    pub(crate) unsupported: [(bool, &'static str); 2],
}

impl<'a> Definition<'a> {
    pub(crate) fn local(index: &'a LocalSecondaryIndex) -> Definition<'a> {
        Definition {
            local: true,
            name: index.index_name.as_ref(),
            key_schema: index.key_schema.as_ref(),
            projection: index.projection.as_ref(),
            throughput: None,
            unsupported: [(false, ""), (false, "")],
        }
    }

    pub(crate) fn global(index: &'a GlobalSecondaryIndex) -> Definition<'a> {
        Definition {
            local: false,
            name: index.index_name.as_ref(),
            key_schema: index.key_schema.as_ref(),
            projection: index.projection.as_ref(),
            throughput: index.provisioned_throughput.as_ref(),
            unsupported: [
                (index.on_demand_throughput.is_some(), "OnDemandThroughput"),
                (index.warm_throughput.is_some(), "WarmThroughput"),
            ],
        }
    }

    fn name(&self) -> &str {
        self.name.map_or("", String::as_str)
    }

    fn keys(&self) -> &[KeySchemaElement] {
        self.key_schema.map_or(&[], Vec::as_slice)
    }

    /// The member constraints of the definition at `member` (`globalSecondaryIndexes.1.member`).
    pub(crate) fn constraints(&self, c: &mut Constraints, member: &str) {
        c.name(self.name, &format!("{member}.indexName"));
        let max_keys = if self.local { 2 } else { 2 * KEY_PART_ATTRIBUTES_MAX };
        if let Some(schema) = c.required(self.key_schema, &format!("{member}.keySchema")) {
            if schema.is_empty() {
                c.fail(
                    Some("[]"),
                    &format!("{member}.keySchema"),
                    "have length greater than or equal to 1",
                );
            }
            if schema.len() > max_keys {
                let rule = format!("have length less than or equal to {max_keys}");
                c.fail(None, &format!("{member}.keySchema"), &rule);
            }
            for (i, element) in schema.iter().enumerate() {
                let at = format!("{member}.keySchema.{}.member", i + 1);
                c.text(element.attribute_name.as_ref(), &format!("{at}.attributeName"), 1, 255);
                let key_type = element.key_type.as_ref();
                c.required_one_of(key_type, &format!("{at}.keyType"), &["HASH", "RANGE"]);
            }
        }
        if let Some(projection) = c.required(self.projection, &format!("{member}.projection")) {
            let at = format!("{member}.projection");
            c.one_of(
                projection.projection_type.as_ref(),
                &format!("{at}.projectionType"),
                PROJECTION_TYPES,
            );
            if let Some(names) = &projection.non_key_attributes {
                let at = format!("{at}.nonKeyAttributes");
                if names.is_empty() {
                    c.fail(Some("[]"), &at, "have length greater than or equal to 1");
                }
                if names.len() > NON_KEY_ATTRIBUTES_MAX {
                    let rule =
                        format!("have length less than or equal to {NON_KEY_ATTRIBUTES_MAX}");
                    c.fail(None, &at, &rule);
                }
            }
        }
        if let Some(t) = self.throughput {
            for (value, name) in [
                (t.write_capacity_units, "writeCapacityUnits"),
                (t.read_capacity_units, "readCapacityUnits"),
            ] {
                let at = format!("{member}.provisionedThroughput.{name}");
                match value {
                    None => c.fail(None, &at, "not be null"),
                    Some(v) if v < 1 => {
                        c.fail(Some(&v.to_string()), &at, "have value greater than or equal to 1");
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// The key schema's own rules: defined attributes, no name twice, `HASH` elements first
    /// (one for a local index, up to four for a global one) then `RANGE` ones.
    fn check_keys(&self, definitions: &[AttributeDefinition]) -> Result<(), DbError> {
        let keys = self.keys();
        let names: Vec<&str> = keys.iter().map(KeySchemaElement::name).collect();
        let defined: Vec<&str> = definitions.iter().map(AttributeDefinition::name).collect();
        if names.iter().any(|k| !defined.contains(k)) {
            return Err(invalid(format_args!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], \
                 AttributeDefinitions: [{}]",
                names.join(", "),
                defined.join(", ")
            )));
        }
        let distinct: BTreeSet<&str> = names.iter().copied().collect();
        if distinct.len() != names.len() {
            return Err(DbError::validation(if names.len() == 2 {
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            } else {
                "The KeySchema contains multiple key attributes with the same name"
            }));
        }
        if keys.first().is_some_and(|k| k.kind() != "HASH") {
            return Err(DbError::validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ));
        }
        if self.local && keys.get(1).is_some_and(|k| k.kind() != "RANGE") {
            return Err(DbError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        let hashes = keys.iter().take_while(|k| k.kind() == "HASH").count();
        if keys[hashes..].iter().any(|k| k.kind() == "HASH") {
            return Err(invalid(
                "All HASH key attributes must precede RANGE key attributes in the KeySchema",
            ));
        }
        if hashes > KEY_PART_ATTRIBUTES_MAX {
            return Err(invalid(
                "The KeySchema exceeds the maximum allowed number of HASH key attributes",
            ));
        }
        if keys.len() - hashes > KEY_PART_ATTRIBUTES_MAX {
            return Err(invalid(
                "The KeySchema exceeds the maximum allowed number of RANGE key attributes",
            ));
        }
        Ok(())
    }

    /// The projection's rules.
    fn check_projection(&self) -> Result<(), DbError> {
        let projection = self.projection.cloned().unwrap_or_default();
        let Some(kind) = projection.projection_type.as_deref() else {
            return Err(invalid("Unknown ProjectionType: null"));
        };
        match (&projection.non_key_attributes, kind) {
            (None, "INCLUDE") => {
                Err(invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"))
            }
            (Some(_), "KEYS_ONLY" | "ALL") => Err(invalid(format_args!(
                "ProjectionType is {kind}, but NonKeyAttributes is specified"
            ))),
            (Some(names), _) => {
                let mut seen = BTreeSet::new();
                match names.iter().find(|n| !seen.insert(n.as_str())) {
                    Some(twice) => {
                        Err(invalid(format_args!("Duplicate element in NonKeyAttributes: {twice}")))
                    }
                    None => Ok(()),
                }
            }
            (None, _) => Ok(()),
        }
    }

    /// The capacity rules of a global index on a table of `billing_mode`.
    fn check_throughput(&self, on_demand: bool) -> Result<(), DbError> {
        if self.local {
            return Ok(());
        }
        match (self.throughput, on_demand) {
            (Some(_), true) => Err(invalid(format_args!(
                "ProvisionedThroughput should not be specified for index: {} when BillingMode is \
                 PAY_PER_REQUEST",
                self.name()
            ))),
            (None, false) => Err(invalid(format_args!(
                "ProvisionedThroughput is not specified for index: {}",
                self.name()
            ))),
            _ => Ok(()),
        }
    }

    /// The catalog record of the checked definition, in `space`.
    pub(crate) fn record(&self, space: u32, status: &str) -> IndexRecord {
        let mut projection = self.projection.cloned().unwrap_or_default();
        if let Some(names) = &mut projection.non_key_attributes {
            // DescribeTable lists them sorted, as DynamoDB does.
            names.sort();
        }
        IndexRecord {
            name: self.name().to_string(),
            space,
            local: self.local,
            key_schema: self.keys().to_vec(),
            projection,
            status: status.to_string(),
            read_capacity: self.throughput.and_then(|t| t.read_capacity_units).unwrap_or(0),
            write_capacity: self.throughput.and_then(|t| t.write_capacity_units).unwrap_or(0),
        }
    }
}

/// The index definitions of a CreateTable request, local ones first.
pub(crate) fn definitions(input: &CreateTableInput) -> Vec<Definition<'_>> {
    let local = input.local_secondary_indexes.iter().flatten().map(Definition::local);
    local.chain(input.global_secondary_indexes.iter().flatten().map(Definition::global)).collect()
}

/// The member constraints of CreateTable's index definitions.
pub(crate) fn create_constraints(c: &mut Constraints, input: &CreateTableInput) {
    for (i, index) in input.local_secondary_indexes.iter().flatten().enumerate() {
        Definition::local(index).constraints(c, &format!("localSecondaryIndexes.{}.member", i + 1));
    }
    for (i, index) in input.global_secondary_indexes.iter().flatten().enumerate() {
        let member = format!("globalSecondaryIndexes.{}.member", i + 1);
        Definition::global(index).constraints(c, &member);
    }
}

/// CreateTable's index rules, after the table's own key checks, in DynamoDB's order: every
/// key attribute defined and every definition used, then the local indexes, then the global
/// ones, then the counts.
pub(crate) fn check_create(input: &CreateTableInput) -> Result<(), DbError> {
    let attributes = input.attribute_definitions.as_deref().unwrap_or_default();
    let table_keys = input.key_schema.as_deref().unwrap_or_default();
    let indexes = definitions(input);
    if input.local_secondary_indexes.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid("List of LocalSecondaryIndexes is empty"));
    }
    if input.global_secondary_indexes.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid("List of GlobalSecondaryIndexes is empty"));
    }
    for index in &indexes {
        index.check_keys(attributes)?;
    }
    let mut used: Vec<&str> = Vec::new();
    for name in
        table_keys.iter().chain(indexes.iter().flat_map(|i| i.keys())).map(KeySchemaElement::name)
    {
        if !used.contains(&name) {
            used.push(name);
        }
    }
    if attributes.iter().any(|d| !used.contains(&d.name())) {
        let defined: Vec<&str> = attributes.iter().map(AttributeDefinition::name).collect();
        return Err(invalid(format_args!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            defined.join(", "),
            used.join(", ")
        )));
    }
    let on_demand = input.billing_mode.as_deref() == Some("PAY_PER_REQUEST");
    let table_hash = table_keys.first().map_or("", KeySchemaElement::name);
    let mut names = BTreeSet::new();
    if input.local_secondary_indexes.is_some() && table_keys.len() < 2 {
        return Err(invalid(
            "Table KeySchema does not have a range key, which is required when specifying a \
             LocalSecondaryIndex",
        ));
    }
    for index in &indexes {
        if index.local {
            check_local_keys(index, table_hash)?;
        }
        index.check_projection()?;
        index.check_throughput(on_demand)?;
        if !names.insert(index.name()) {
            return Err(invalid(format_args!("Duplicate index name: {}", index.name())));
        }
    }
    let locals = indexes.iter().filter(|i| i.local).count();
    if locals > LOCAL_INDEXES_MAX {
        return Err(invalid(format_args!(
            "Number of LocalSecondaryIndexes exceeds per-table limit of {LOCAL_INDEXES_MAX}"
        )));
    }
    if indexes.len() - locals > GLOBAL_INDEXES_MAX {
        return Err(invalid(format_args!(
            "GlobalSecondaryIndex count exceeds the per-table limit of {GLOBAL_INDEXES_MAX}"
        )));
    }
    for index in &indexes {
        refuse_unsupported(index)?;
    }
    Ok(())
}

/// A local index: two elements, the first the table's partition key.
fn check_local_keys(index: &Definition<'_>, table_hash: &str) -> Result<(), DbError> {
    let keys = index.keys();
    if keys.len() != 2 {
        return Err(invalid(format_args!(
            "Index KeySchema does not have a range key for index: {}",
            index.name()
        )));
    }
    let hash = keys[0].name();
    if hash != table_hash {
        return Err(invalid(format_args!(
            "Index KeySchema does not have the same leading hash key as table KeySchema for \
             index: {}. index hash key: {hash}, table hash key: {table_hash}",
            index.name()
        )));
    }
    Ok(())
}

fn refuse_unsupported(index: &Definition<'_>) -> Result<(), DbError> {
    match index.unsupported.iter().find(|(present, _)| *present) {
        Some((_, name)) => Err(DbError::validation(format!(
            "{name} of a global secondary index is not supported by Basalt"
        ))),
        None => Ok(()),
    }
}

/// The records of a new table's indexes, in spaces from `first_space` on.
pub(crate) fn new_records(input: &CreateTableInput, first_space: u32) -> Vec<IndexRecord> {
    definitions(input)
        .iter()
        .zip(first_space..)
        .map(|(index, space)| index.record(space, INDEX_ACTIVE))
        .collect()
}

/// An UpdateTable `Create`'s rules against the table: its key attributes defined by the
/// request's `AttributeDefinitions` (consistently with the table's), and the index's own
/// rules.
pub(crate) fn check_added(
    index: &Definition<'_>,
    request_definitions: Option<&[AttributeDefinition]>,
    table_definitions: &[AttributeDefinition],
    on_demand: bool,
) -> Result<Vec<AttributeDefinition>, DbError> {
    let Some(requested) = request_definitions else {
        return Err(invalid(format_args!(
            "AttributeDefinitions is not specified for index: {}",
            index.name()
        )));
    };
    index.check_keys(requested)?;
    for key in index.keys() {
        let asked =
            requested.iter().find(|d| d.name() == key.name()).map(AttributeDefinition::kind);
        let known = table_definitions.iter().find(|d| d.name() == key.name());
        if let (Some(asked), Some(known)) = (asked, known) {
            if asked != known.kind() {
                return Err(invalid(format_args!(
                    "Cannot change the type of attribute {} from {} to {asked}: it is a key \
                     attribute of the table or of another index",
                    key.name(),
                    known.kind()
                )));
            }
        }
    }
    index.check_projection()?;
    if on_demand && index.throughput.is_some() {
        return Err(invalid(format_args!(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {} \
             when BillingMode is PAY_PER_REQUEST",
            index.name()
        )));
    }
    if !on_demand && index.throughput.is_none() {
        return Err(invalid(format_args!(
            "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: {}",
            index.name()
        )));
    }
    refuse_unsupported(index)?;
    // The table's definitions plus the new key attributes (others in the request are ignored,
    // as DynamoDB ignores them).
    let mut merged = table_definitions.to_vec();
    for key in index.keys() {
        if !merged.iter().any(|d| d.name() == key.name()) {
            let asked = requested.iter().find(|d| d.name() == key.name()).expect("checked");
            merged.push(asked.clone());
        }
    }
    Ok(merged)
}

/// What one UpdateTable does to the indexes.
pub(crate) enum IndexChange<'a> {
    Create(Definition<'a>),
    Delete(&'a str),
    Capacity(&'a str, &'a ProvisionedThroughput),
}

/// The member constraints of `GlobalSecondaryIndexUpdates`.
pub(crate) fn update_constraints(
    c: &mut Constraints,
    updates: Option<&Vec<GlobalSecondaryIndexUpdate>>,
) {
    for (i, update) in updates.into_iter().flatten().enumerate() {
        let member = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
        if let Some(create) = &update.create {
            Definition::global(create).constraints(c, &format!("{member}.create"));
        }
        if let Some(delete) = &update.delete {
            c.name(delete.index_name.as_ref(), &format!("{member}.delete.indexName"));
        }
        if let Some(change) = &update.update {
            c.name(change.index_name.as_ref(), &format!("{member}.update.indexName"));
        }
    }
}

/// The changes `GlobalSecondaryIndexUpdates` asks for, with DynamoDB's checks of their shape:
/// one action per entry, one entry per index, at most one creation or deletion.
pub(crate) fn changes(
    updates: &[GlobalSecondaryIndexUpdate],
) -> Result<Vec<IndexChange<'_>>, DbError> {
    if updates.is_empty() {
        return Err(invalid("List of GlobalSecondaryIndexUpdates is empty"));
    }
    let mut changes = Vec::with_capacity(updates.len());
    let mut names = BTreeSet::new();
    for update in updates {
        let given = [update.create.is_some(), update.update.is_some(), update.delete.is_some()];
        match given.iter().filter(|g| **g).count() {
            0 => {
                return Err(invalid(
                    "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, \
                     GlobalSecondaryIndexUpdate.Delete must not be null",
                ))
            }
            1 => {}
            _ => {
                return Err(invalid(
                    "Only one global secondary index action is allowed per \
                     GlobalSecondaryIndexUpdate object",
                ))
            }
        }
        let change = if let Some(create) = &update.create {
            IndexChange::Create(Definition::global(create))
        } else if let Some(delete) = &update.delete {
            IndexChange::Delete(delete.index_name.as_deref().unwrap_or_default())
        } else {
            let change = update.update.as_ref().expect("one action is present");
            let name = change.index_name.as_deref().unwrap_or_default();
            let Some(throughput) = change.provisioned_throughput.as_ref() else {
                return Err(DbError::validation(format!(
                    "OnDemandThroughput and WarmThroughput of a global secondary index are not \
                     supported by Basalt; index {name} can only change its ProvisionedThroughput"
                )));
            };
            IndexChange::Capacity(name, throughput)
        };
        let name = match &change {
            IndexChange::Create(definition) => definition.name(),
            IndexChange::Delete(name) | IndexChange::Capacity(name, _) => name,
        };
        if !names.insert(name.to_string()) {
            return Err(invalid(format_args!(
                "Only one global secondary index update per index is allowed simultaneously. \
                 Index: {name}"
            )));
        }
        changes.push(change);
    }
    let online = changes.iter().filter(|c| !matches!(c, IndexChange::Capacity(..))).count();
    if online > 1 {
        return Err(one_online_change());
    }
    Ok(changes)
}

pub(crate) fn one_online_change() -> DbError {
    DbError::LimitExceeded(
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously \
         per table"
            .into(),
    )
}

/// The attribute definitions `record`'s keys still use (a deleted index's go, as in
/// DynamoDB).
pub(crate) fn prune_definitions(record: &mut crate::db::catalog::TableRecord) {
    let used: BTreeSet<String> = record
        .key_schema
        .iter()
        .chain(record.indexes.iter().flat_map(|i| &i.key_schema))
        .map(|k| k.name().to_string())
        .collect();
    record.attribute_definitions.retain(|d| used.contains(d.name()));
}

/// UpdateTable's `Update` of a global index's capacity.
pub(crate) fn change_capacity(
    index: &mut IndexRecord,
    throughput: &ProvisionedThroughput,
    on_demand: bool,
) -> Result<(), DbError> {
    let name = &index.name;
    if index.local {
        return Err(DbError::validation(format!(
            "Cannot update an index that is not a GlobalSecondaryIndex: {name}"
        )));
    }
    if on_demand {
        return Err(invalid(format_args!(
            "The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can \
             be to OnDemandThroughput, WarmThroughput"
        )));
    }
    let read = throughput.read_capacity_units.unwrap_or(index.read_capacity);
    let write = throughput.write_capacity_units.unwrap_or(index.write_capacity);
    if (read, write) == (index.read_capacity, index.write_capacity) {
        return Err(DbError::validation(format!(
            "The provisioned throughput for the index {name} will not change. The requested \
             value equals the current value. Current ReadCapacityUnits provisioned for index \
             {name}: {}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits \
             provisioned for index {name}: {}. Requested WriteCapacityUnits: {write}. Refer to \
             the Amazon DynamoDB Developer Guide for current limits and how to request higher \
             limits.",
            index.read_capacity, index.write_capacity
        )));
    }
    (index.read_capacity, index.write_capacity) = (read, write);
    Ok(())
}
