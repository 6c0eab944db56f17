//! UpdateItem: changes attributes of one item (creating it when missing, as DynamoDB does),
//! when the condition, if any, holds for the item as it is.
//!
//! The condition, the update and the new item's size check all run under the shard's writer
//! lock on the item the write replaces (`Db::write_row`), so a conditional update is atomic
//! against every other write of the item.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::{DbError, UpdateItemInput, WriteItemOutput};
use crate::db::deferred::{Deferred, Finish};
use crate::db::exprs::{NO_NAMES, NO_VALUES};
use crate::db::guard::Guard;
use crate::db::items::{
    check_attribute_names, collection_metrics, consumed, write_params, write_units, WriteParams,
    Written,
};
use crate::db::row::{decode_row, encode_row, row_size};
use crate::db::{Db, Table};
use crate::expr::ast::{UpdateClause, UpdateExpression};
use crate::expr::{self, legacy, Bindings, DocPath, Placeholders};
use crate::model::{check_item_size, validate_value, Item};

/// What `ReturnValues` asks UpdateItem for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Returned {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

/// An update ready to apply: the tree and the placeholder maps it reads.
pub(crate) struct Changes<'a> {
    pub(crate) update: Option<Arc<UpdateExpression>>,
    pub(crate) names: Cow<'a, BTreeMap<String, String>>,
    pub(crate) values: Cow<'a, Item>,
}

impl Db {
    /// UpdateItem: applies `UpdateExpression` (or the legacy `AttributeUpdates`) to the item
    /// with the given key, creating it when missing, when the condition (if any) holds.
    ///
    /// # Errors
    /// As [`Db::put_item`]; also a `ValidationException` when the update does not apply to
    /// the item (a type mismatch, a path through a missing map) or makes it too large.
    pub fn update_item(&self, input: UpdateItemInput) -> Result<WriteItemOutput, DbError> {
        self.update_item_with(input, &mut Finish::Wait)
    }

    /// UpdateItem, answered without waiting for the log, as [`Db::put_item_deferred`].
    pub fn update_item_deferred(&self, input: UpdateItemInput) -> Deferred<WriteItemOutput> {
        let mut finish = Finish::Defer(None);
        let outcome = self.update_item_with(input, &mut finish);
        finish.answer(outcome)
    }

    fn update_item_with(
        &self,
        input: UpdateItemInput,
        finish: &mut Finish,
    ) -> Result<WriteItemOutput, DbError> {
        let params = write_params!(input);
        params.check(input.key.as_ref(), "key")?;
        let legacy_present = [("AttributeUpdates", input.attribute_updates.is_some())];
        let extra = [("UpdateExpression", input.update_expression.is_some())];
        let (guard, mut placeholders) = params.guard(&self.inner.exprs, &legacy_present, &extra)?;
        let changes = self.changes(&input, &params, &mut placeholders)?;
        placeholders.finish()?;
        let bindings = Bindings::new(&changes.names, &changes.values);
        // Everything but the key attributes is checked before the table is looked up, as
        // DynamoDB does; the key attributes once the table is known.
        let targets: Vec<DocPath> = match &changes.update {
            Some(update) => expr::check_update(update, bindings, &[])?,
            None => Vec::new(),
        };
        let returned = returned(params.return_values)?;
        let (Some(name), Some(key)) = (params.table_name, input.key.as_ref()) else {
            unreachable!("required members were checked")
        };
        let table = self.inner.table(name)?;
        let key_names: Vec<&str> =
            table.schema.attributes().map(|(attribute, _)| attribute.name.as_str()).collect();
        expr::check_update_keys(&targets, &key_names)?;
        let (written, new_item, size) =
            self.apply(&table, finish, key, &guard, changes.update.as_deref(), bindings)?;
        let Written { old, collection } = written;
        let old_size = old.as_deref().map(row_size).transpose()?;
        table.stats.replace(old_size, Some(size));
        let old_item = || old.as_deref().map(decode_row).transpose();
        let attributes = match returned {
            Returned::None => None,
            Returned::AllOld => old_item()?,
            Returned::AllNew => Some(new_item),
            Returned::UpdatedOld => old_item()?.map(|old| expr::project(&old, &targets)),
            Returned::UpdatedNew => Some(expr::project(&new_item, &targets)),
        };
        // DynamoDB leaves out an empty map of returned attributes.
        let attributes = attributes.filter(|a| !a.is_empty());
        let units = write_units(size.max(old_size.unwrap_or(0)));
        let mode = params.return_consumed_capacity.map(String::as_str);
        let collection = collection.map(|size| (&table.schema, key, size));
        Ok(WriteItemOutput {
            attributes,
            consumed_capacity: consumed(name, mode, units),
            item_collection_metrics: collection_metrics(
                params.return_item_collection_metrics,
                collection,
            ),
        })
    }

    /// The update to apply: `UpdateExpression` (its placeholders recorded in `placeholders`)
    /// or the legacy `AttributeUpdates`, with the maps it reads.
    pub(crate) fn changes<'a>(
        &self,
        input: &'a UpdateItemInput,
        params: &WriteParams<'a>,
        placeholders: &mut Placeholders<'a>,
    ) -> Result<Changes<'a>, DbError> {
        let none = || Changes {
            update: None,
            names: Cow::Owned(BTreeMap::new()),
            values: Cow::Owned(Item::new()),
        };
        Ok(match (&input.update_expression, &input.attribute_updates) {
            (Some(source), _) => {
                let update = self.inner.exprs.update(source)?;
                placeholders.check_update(&update)?;
                Changes {
                    update: Some(update),
                    names: Cow::Borrowed(params.names.unwrap_or(&NO_NAMES)),
                    values: Cow::Borrowed(params.values.unwrap_or(&NO_VALUES)),
                }
            }
            (None, Some(updates)) => match legacy::attribute_updates(updates)? {
                Some(t) => Changes {
                    update: Some(Arc::new(t.tree)),
                    names: Cow::Owned(t.names),
                    values: Cow::Owned(t.values),
                },
                None => none(),
            },
            (None, None) => none(),
        })
    }

    /// Checks the condition on the item as it is, applies `update` to it (to the bare key when
    /// there is none) and writes the result, all under the shard's writer lock. Returns the row
    /// replaced (with the size of its item collection, and what is left to wait for under
    /// [`Finish::Defer`]), the new item and its size.
    fn apply(
        &self,
        table: &Table,
        finish: &mut Finish,
        key: &Item,
        guard: &Guard<'_>,
        update: Option<&UpdateExpression>,
        bindings: Bindings<'_>,
    ) -> Result<(Written, Item, usize), DbError> {
        let mut new_item: Option<(Item, usize)> = None;
        let written = self.write_row(
            table,
            finish,
            |schema, _| schema.key_of_key(key),
            |old_row| {
                let (item, size, row) = updated_row(key, old_row, guard, update, bindings)?;
                new_item = Some((item, size));
                Ok(Some(row))
            },
        )?;
        let (item, size) = new_item.expect("a successful write decided its row");
        Ok((written, item, size))
    }
}

/// What UpdateItem (or a transaction's Update) makes of the stored row `old_row` of the item
/// with key `key`: checks `guard` on the item as it is, applies `update` to it (to the bare key
/// when there is none) and checks the result as PutItem checks an item. Returns the new item,
/// its size and its row.
///
/// # Errors
/// `ConditionalCheckFailedException` from the guard; a `ValidationException` when the update
/// does not apply or makes the item too large; a damaged row.
pub(crate) fn updated_row(
    key: &Item,
    old_row: Option<&[u8]>,
    guard: &Guard<'_>,
    update: Option<&UpdateExpression>,
    bindings: Bindings<'_>,
) -> Result<(Item, usize, Vec<u8>), DbError> {
    let old = old_row.map(decode_row).transpose()?;
    guard.check(old.as_ref())?;
    let missing = old.is_none();
    let mut item = old.unwrap_or_else(|| key.clone());
    match update {
        // On an item that does not exist, DynamoDB ignores every REMOVE (there is nothing to
        // remove, even below a missing parent); the bare key item would make one below a
        // missing parent an invalid path.
        Some(update) if missing && has_remove(update) => {
            let mut kept = update.clone();
            kept.clauses.retain(|c| !matches!(c, UpdateClause::Remove { .. }));
            expr::apply_update(&kept, &mut item, bindings)?;
        }
        Some(update) => expr::apply_update(update, &mut item, bindings)?,
        None => {}
    }
    // The update may have nested values deeper than DynamoDB allows or named an attribute too
    // long: the new item gets PutItem's checks before it is stored.
    check_attribute_names(&item)?;
    for value in item.values() {
        validate_value(value)?;
    }
    let size = check_item_size(&item).map_err(|_| {
        DbError::validation("Item size to update has exceeded the maximum allowed size")
    })?;
    let row = encode_row(&item, size);
    Ok((item, size, row))
}

fn has_remove(update: &UpdateExpression) -> bool {
    update.clauses.iter().any(|c| matches!(c, UpdateClause::Remove { .. }))
}

fn returned(value: Option<&String>) -> Result<Returned, DbError> {
    Ok(match value.map(String::as_str) {
        None | Some("NONE") => Returned::None,
        Some("ALL_OLD") => Returned::AllOld,
        Some("UPDATED_OLD") => Returned::UpdatedOld,
        Some("ALL_NEW") => Returned::AllNew,
        Some("UPDATED_NEW") => Returned::UpdatedNew,
        // The constraint check has refused every other word.
        Some(other) => {
            return Err(DbError::validation(format!("Unknown ReturnValues value: {other}")))
        }
    })
}
