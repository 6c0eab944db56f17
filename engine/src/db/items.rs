//! PutItem, GetItem and DeleteItem.

use std::sync::PoisonError;

use crate::api::{
    Capacity, ConsumedCapacity, DbError, DeleteItemInput, GetItemInput, GetItemOutput,
    PutItemInput, WriteItemOutput,
};
use crate::core::{Batch, Bytes};
use crate::db::check::Constraints;
use crate::db::row::{decode_row, encode_row, row_size};
use crate::db::schema::Schema;
use crate::db::{catalog, Db, Table};
use crate::model::{check_item_size, validate_value, Item};

const RETURN_VALUES: &[&str] = &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];
const RETURN_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
const RETURN_METRICS: &[&str] = &["SIZE", "NONE"];
const CONDITIONAL_OPERATORS: &[&str] = &["OR", "AND"];

/// The members PutItem and DeleteItem share, for their common checks.
struct WriteParams<'a> {
    table_name: Option<&'a String>,
    return_values: Option<&'a String>,
    return_consumed_capacity: Option<&'a String>,
    return_item_collection_metrics: Option<&'a String>,
    conditional_operator: Option<&'a String>,
    condition: bool,
    placeholders: bool,
}

impl WriteParams<'_> {
    /// The member constraints, in DynamoDB's order, with the item or key as `required`; then,
    /// once they pass, the attribute values of the item or key.
    fn check(&self, required: Option<&Item>, member: &str) -> Result<(), DbError> {
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
        c.finish()?;
        for value in required.into_iter().flat_map(Item::values) {
            validate_value(value)?;
        }
        refuse_conditions(self.condition, self.placeholders)
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

    /// The response: the old item when asked for, and the capacity of `units` write units.
    fn output(
        &self,
        return_old: bool,
        old: Option<&[u8]>,
        units: f64,
    ) -> Result<WriteItemOutput, DbError> {
        let table = self.table_name.map_or("", String::as_str);
        let mode = self.return_consumed_capacity.map(String::as_str);
        Ok(WriteItemOutput {
            attributes: if return_old { old.map(decode_row).transpose()? } else { None },
            consumed_capacity: consumed(table, mode, units),
        })
    }
}

impl Db {
    /// PutItem: creates or replaces the item with the same key.
    ///
    /// # Errors
    /// `ValidationException` for a request DynamoDB refuses (with its message),
    /// `ResourceNotFoundException` for a missing table, `InternalServerError` for a storage
    /// failure.
    pub fn put_item(&self, input: PutItemInput) -> Result<WriteItemOutput, DbError> {
        let params = WriteParams {
            table_name: input.table_name.as_ref(),
            return_values: input.return_values.as_ref(),
            return_consumed_capacity: input.return_consumed_capacity.as_ref(),
            return_item_collection_metrics: input.return_item_collection_metrics.as_ref(),
            conditional_operator: input.conditional_operator.as_ref(),
            condition: input.condition_expression.is_some() || input.expected.is_some(),
            placeholders: input.expression_attribute_names.is_some()
                || input.expression_attribute_values.is_some(),
        };
        params.check(input.item.as_ref(), "item")?;
        let return_old = params.return_old()?;
        let (Some(name), Some(item)) = (params.table_name, input.item.as_ref()) else {
            unreachable!("required members were checked")
        };
        let size = check_item_size(item).map_err(|e| DbError::validation(e.to_string()))?;
        let table = self.inner.table(name)?;
        let old = self.write_row(
            &table,
            |schema| schema.key_of_item(item),
            Some(encode_row(item, size)),
        )?;
        let old_size = old.as_deref().map(row_size).transpose()?;
        table.stats.add(i64::from(old_size.is_none()), size as i64 - old_size.unwrap_or(0) as i64);
        params.output(return_old, old.as_deref(), write_units(size.max(old_size.unwrap_or(0))))
    }

    /// GetItem: the item with the given key, if any. Every read is strongly consistent;
    /// `ConsistentRead` is accepted either way and changes only the capacity reported, as it
    /// would in DynamoDB.
    ///
    /// # Errors
    /// As [`Db::put_item`].
    pub fn get_item(&self, input: GetItemInput) -> Result<GetItemOutput, DbError> {
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
        if input.projection_expression.is_some() || input.expression_attribute_names.is_some() {
            return Err(not_built("ProjectionExpression and ExpressionAttributeNames"));
        }
        check_attributes_to_get(input.attributes_to_get.as_deref())?;
        let table = self.inner.table(name)?;
        let key = catalog::item_storage_key(table.record.space, &table.schema.key_of_key(key)?);
        let row = self.inner.core.get(&key)?;
        let size = row.as_deref().map(row_size).transpose()?;
        let mut item = row.as_deref().map(decode_row).transpose()?;
        if let (Some(item), Some(names)) = (&mut item, &input.attributes_to_get) {
            item.retain(|attribute, _| names.contains(attribute));
        }
        let units = read_units(size.unwrap_or(0), input.consistent_read.unwrap_or(false));
        let mode = input.return_consumed_capacity.as_deref();
        Ok(GetItemOutput { item, consumed_capacity: consumed(name, mode, units) })
    }

    /// DeleteItem: deletes the item with the given key, if any.
    ///
    /// # Errors
    /// As [`Db::put_item`].
    pub fn delete_item(&self, input: DeleteItemInput) -> Result<WriteItemOutput, DbError> {
        let params = WriteParams {
            table_name: input.table_name.as_ref(),
            return_values: input.return_values.as_ref(),
            return_consumed_capacity: input.return_consumed_capacity.as_ref(),
            return_item_collection_metrics: input.return_item_collection_metrics.as_ref(),
            conditional_operator: input.conditional_operator.as_ref(),
            condition: input.condition_expression.is_some() || input.expected.is_some(),
            placeholders: input.expression_attribute_names.is_some()
                || input.expression_attribute_values.is_some(),
        };
        params.check(input.key.as_ref(), "key")?;
        let return_old = params.return_old()?;
        let (Some(name), Some(key)) = (params.table_name, input.key.as_ref()) else {
            unreachable!("required members were checked")
        };
        let table = self.inner.table(name)?;
        let old = self.write_row(&table, |schema| schema.key_of_key(key), None)?;
        let old_size = old.as_deref().map(row_size).transpose()?;
        if let Some(old_size) = old_size {
            table.stats.add(-1, -(old_size as i64));
        }
        params.output(return_old, old.as_deref(), write_units(old_size.unwrap_or(0)))
    }

    /// Writes `row` (or deletes, for `None`) under the key `key_of` derives from the table's
    /// schema, holding the table's liveness lock so that DeleteTable waits for it; returns the
    /// row replaced.
    fn write_row(
        &self,
        table: &Table,
        key_of: impl FnOnce(&Schema) -> Result<Vec<u8>, DbError>,
        row: Option<Vec<u8>>,
    ) -> Result<Option<Bytes>, DbError> {
        let alive = table.alive.read().unwrap_or_else(PoisonError::into_inner);
        if !*alive {
            return Err(DbError::table_not_found());
        }
        let key = catalog::item_storage_key(table.record.space, &key_of(&table.schema)?);
        self.replace(&key, row.as_deref())
    }

    /// Writes `row` under `key` (or deletes it, for `None`) and returns the row it replaced,
    /// read under the shard's writer lock. Deleting a missing item writes nothing.
    fn replace(&self, key: &[u8], row: Option<&[u8]>) -> Result<Option<Bytes>, DbError> {
        let (_, old) = self.inner.core.write_with(&[key], |values| {
            let old = values.first().cloned().flatten();
            let mut batch = Batch::new();
            match row {
                Some(row) => {
                    batch.put(key, row);
                }
                None if old.is_some() => {
                    batch.delete(key);
                }
                None => {}
            }
            Ok::<_, DbError>((batch, old))
        })?;
        Ok(old)
    }
}

/// Conditions arrive with the expression language (not built yet): refused, never ignored,
/// since ignoring one would let a write through that DynamoDB would refuse.
fn refuse_conditions(condition: bool, placeholders: bool) -> Result<(), DbError> {
    if condition {
        return Err(not_built("ConditionExpression and Expected"));
    }
    if placeholders {
        return Err(not_built("ExpressionAttributeNames and ExpressionAttributeValues"));
    }
    Ok(())
}

fn not_built(what: &str) -> DbError {
    DbError::validation(format!("{what} are not supported by this version of Basalt yet"))
}

/// AttributesToGet may not name one attribute twice.
fn check_attributes_to_get(names: Option<&[String]>) -> Result<(), DbError> {
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

/// Write capacity units for an item of `size` bytes: one per started KB, at least one.
fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

/// Read capacity units for an item of `size` bytes: one per started 4 KB, at least one; half
/// for an eventually consistent read.
fn read_units(size: usize, consistent: bool) -> f64 {
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
fn consumed(table: &str, mode: Option<&str>, units: f64) -> Option<ConsumedCapacity> {
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
