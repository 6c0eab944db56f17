//! The condition a write must meet: a `ConditionExpression` (or the legacy `Expected`),
//! prepared before the write and evaluated on the item the write replaces, under the shard's
//! writer lock, so that nothing can change the item between the check and the write.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::DbError;
use crate::db::row::decode_row;
use crate::expr::ast::Condition;
use crate::expr::{self, Bindings, ExpressionKind};
use crate::model::Item;

/// What DynamoDB says when a condition is false.
pub(crate) const CONDITION_FAILED: &str = "The conditional request failed";

/// A prepared condition on the item a write replaces.
pub(crate) struct Guard<'a> {
    condition: Option<Arc<Condition>>,
    names: Cow<'a, BTreeMap<String, String>>,
    values: Cow<'a, Item>,
    /// `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    return_old: bool,
}

impl<'a> Guard<'a> {
    /// No condition: every write goes through.
    pub(crate) fn none() -> Guard<'static> {
        Guard {
            condition: None,
            names: Cow::Owned(BTreeMap::new()),
            values: Cow::Owned(BTreeMap::new()),
            return_old: false,
        }
    }

    /// The condition `condition` over the placeholder maps `names` and `values`.
    pub(crate) fn new(
        condition: Option<Arc<Condition>>,
        names: Cow<'a, BTreeMap<String, String>>,
        values: Cow<'a, Item>,
        return_old: bool,
    ) -> Guard<'a> {
        Guard { condition, names, values, return_old }
    }

    /// Checks the condition on the stored row `old` (decoded only when there is a condition).
    ///
    /// # Errors
    /// As [`Guard::check`], and a damaged row.
    pub(crate) fn check_row(&self, old: Option<&[u8]>) -> Result<(), DbError> {
        if self.condition.is_none() {
            return Ok(());
        }
        let old = old.map(decode_row).transpose()?;
        self.check(old.as_ref())
    }

    /// Checks the condition on `old`, the item as it is (`None`: there is none).
    ///
    /// # Errors
    /// `ConditionalCheckFailedException` (with the item when `ALL_OLD` was asked for) when the
    /// condition is false.
    pub(crate) fn check(&self, old: Option<&Item>) -> Result<(), DbError> {
        let Some(condition) = &self.condition else { return Ok(()) };
        let empty = Item::new();
        let bindings = Bindings::new(&self.names, &self.values);
        let holds =
            expr::evaluate(condition, old.unwrap_or(&empty), bindings, ExpressionKind::Condition)?;
        if holds {
            return Ok(());
        }
        Err(DbError::ConditionalCheckFailed {
            message: CONDITION_FAILED.to_string(),
            item: if self.return_old { old.cloned() } else { None },
        })
    }
}

/// Whether `ReturnValuesOnConditionCheckFailure` asks for the old item.
pub(crate) fn return_old_on_failure(value: Option<&String>) -> bool {
    value.is_some_and(|v| v == "ALL_OLD")
}
