//! The expression parameters of a request: the cache of parsed expressions, DynamoDB's checks of
//! `ExpressionAttributeNames` and `ExpressionAttributeValues` made before any expression is
//! parsed, and the conversion of expression errors to `ValidationException`s.
//!
//! Parsing is the costly part of an expression request after the storage work itself, and
//! applications send the same few expressions over and over: parsed trees are kept by their
//! source text (one map per expression kind, since a text parses differently as a condition
//! and as a projection) and shared as `Arc`s. The cache is bounded: when a map is full it is
//! emptied, which keeps memory bounded without bookkeeping on the hot path.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::api::DbError;
use crate::db::lock;
use crate::expr::ast::{Condition, Projection, UpdateExpression};
use crate::expr::{self, EvalError, ExprError, ExpressionKind};
use crate::model::{validate_value, Item};

/// Most parsed expressions kept per kind.
const CACHE_ENTRIES_MAX: usize = 1024;

/// The expression kinds, as indexes into the cache's maps.
const KINDS: [ExpressionKind; 5] = [
    ExpressionKind::Condition,
    ExpressionKind::Filter,
    ExpressionKind::KeyCondition,
    ExpressionKind::Update,
    ExpressionKind::Projection,
];

#[derive(Clone)]
enum Parsed {
    Condition(Arc<Condition>),
    Update(Arc<UpdateExpression>),
    Projection(Arc<Projection>),
}

/// Parsed expressions by kind and source text.
#[derive(Default)]
pub(crate) struct ExprCache {
    maps: [Mutex<HashMap<Box<str>, Parsed>>; 5],
}

impl ExprCache {
    /// The condition (of kind `kind`: condition, filter or key condition) `source` parses to.
    pub(crate) fn condition(
        &self,
        source: &str,
        kind: ExpressionKind,
    ) -> Result<Arc<Condition>, DbError> {
        let parsed = self.get_or_parse(kind, source, |s| {
            expr::parse_condition_as(s, kind).map(|c| Parsed::Condition(Arc::new(c)))
        })?;
        match parsed {
            Parsed::Condition(condition) => Ok(condition),
            _ => unreachable!("the condition maps hold conditions"),
        }
    }

    /// The update expression `source` parses to.
    pub(crate) fn update(&self, source: &str) -> Result<Arc<UpdateExpression>, DbError> {
        let parsed = self.get_or_parse(ExpressionKind::Update, source, |s| {
            expr::parse_update(s).map(|u| Parsed::Update(Arc::new(u)))
        })?;
        match parsed {
            Parsed::Update(update) => Ok(update),
            _ => unreachable!("the update map holds updates"),
        }
    }

    /// The projection expression `source` parses to.
    pub(crate) fn projection(&self, source: &str) -> Result<Arc<Projection>, DbError> {
        let parsed = self.get_or_parse(ExpressionKind::Projection, source, |s| {
            expr::parse_projection(s).map(|p| Parsed::Projection(Arc::new(p)))
        })?;
        match parsed {
            Parsed::Projection(projection) => Ok(projection),
            _ => unreachable!("the projection map holds projections"),
        }
    }

    fn get_or_parse(
        &self,
        kind: ExpressionKind,
        source: &str,
        parse: impl FnOnce(&str) -> Result<Parsed, ExprError>,
    ) -> Result<Parsed, DbError> {
        let index = KINDS.iter().position(|k| *k == kind).unwrap_or_default();
        let map = &self.maps[index];
        if let Some(parsed) = lock(map).get(source) {
            return Ok(parsed.clone());
        }
        // Parsed outside the lock: a slow parse does not hold up other requests.
        let parsed = parse(source).map_err(|e| DbError::validation(e.message))?;
        let mut map = lock(map);
        if map.len() >= CACHE_ENTRIES_MAX {
            map.clear();
        }
        map.insert(source.into(), parsed.clone());
        Ok(parsed)
    }
}

impl From<EvalError> for DbError {
    fn from(error: EvalError) -> DbError {
        DbError::Validation(error.message)
    }
}

/// An empty map, for requests without `ExpressionAttributeNames`.
pub(crate) static NO_NAMES: BTreeMap<String, String> = BTreeMap::new();
/// An empty item, for requests without `ExpressionAttributeValues`.
pub(crate) static NO_VALUES: Item = BTreeMap::new();

/// DynamoDB's checks of the placeholder maps before any expression is parsed. `expressions`
/// names the operation's expression parameters that may use values, each with whether the
/// request has it (in DynamoDB's order for its message); `any_expression` says whether the
/// request has any expression parameter at all (a projection counts for names).
pub(crate) fn check_maps(
    names: Option<&BTreeMap<String, String>>,
    values: Option<&Item>,
    expressions: &[(&str, bool)],
    any_expression: bool,
) -> Result<(), DbError> {
    if !any_expression && names.is_some() {
        return Err(DbError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values.is_some() && !expressions.iter().any(|(_, present)| *present) {
        let null: Vec<&str> = expressions.iter().map(|(name, _)| *name).collect();
        let verb = if null.len() == 1 { "is" } else { "are" };
        return Err(DbError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {verb} null",
            null.join(" and ")
        )));
    }
    if names.is_some_and(BTreeMap::is_empty) {
        return Err(DbError::validation("ExpressionAttributeNames must not be empty"));
    }
    if values.is_some_and(BTreeMap::is_empty) {
        return Err(DbError::validation("ExpressionAttributeValues must not be empty"));
    }
    for (key, name) in names.into_iter().flatten() {
        check_placeholder_key("ExpressionAttributeNames", key, '#')?;
        if name.is_empty() {
            return Err(DbError::validation(format!(
                "ExpressionAttributeNames contains invalid value: Empty attribute name for key \
                 {key}"
            )));
        }
    }
    for (key, value) in values.into_iter().flatten() {
        check_placeholder_key("ExpressionAttributeValues", key, ':')?;
        validate_value(value).map_err(|e| {
            DbError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {e} for key {key}"
            ))
        })?;
    }
    Ok(())
}

/// A placeholder is its sigil and one or more letters, digits or underscores.
fn check_placeholder_key(parameter: &str, key: &str, sigil: char) -> Result<(), DbError> {
    let valid = key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if valid {
        Ok(())
    } else {
        Err(DbError::validation(format!(
            "{parameter} contains invalid key: Syntax error; key: \"{key}\""
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::model::AttributeValue;

    #[test]
    fn cache_returns_the_same_tree_and_keeps_errors_out() {
        let cache = ExprCache::default();
        let a = cache.condition("a = :b", ExpressionKind::Condition).unwrap();
        let b = cache.condition("a = :b", ExpressionKind::Condition).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        // The same text as a filter is a separate entry (its errors name FilterExpression).
        let c = cache.condition("a = :b", ExpressionKind::Filter).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        let error = cache.condition("a = ", ExpressionKind::Filter).unwrap_err();
        assert!(error.message().starts_with("Invalid FilterExpression: Syntax error;"));
        let update = cache.update("SET a = :b").unwrap();
        assert!(Arc::ptr_eq(&update, &cache.update("SET a = :b").unwrap()));
        let projection = cache.projection("a, b").unwrap();
        assert_eq!(projection.paths.len(), 2);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = ExprCache::default();
        for i in 0..CACHE_ENTRIES_MAX + 10 {
            cache.projection(&format!("a{i}")).unwrap();
        }
        assert!(lock(&cache.maps[4]).len() <= CACHE_ENTRIES_MAX);
    }

    #[test]
    fn map_checks_use_dynamodbs_messages() {
        let names: BTreeMap<String, String> = [("#a".to_string(), "a".to_string())].into();
        let values: Item = [(":a".to_string(), AttributeValue::S("x".into()))].into();
        type Case<'a> = (Option<&'a BTreeMap<String, String>>, Option<&'a Item>, bool, &'a str);
        let cases: Vec<Case<'_>> = vec![
            (
                Some(&names),
                None,
                false,
                "ExpressionAttributeNames can only be specified when using expressions",
            ),
            (
                None,
                Some(&values),
                false,
                "ExpressionAttributeValues can only be specified when using expressions: \
                 FilterExpression and KeyConditionExpression are null",
            ),
        ];
        let expressions = [("FilterExpression", false), ("KeyConditionExpression", false)];
        for (names, values, any, message) in cases {
            let error = check_maps(names, values, &expressions, any).unwrap_err();
            assert_eq!(error.message(), message);
        }
        let one = [("ConditionExpression", false)];
        let error = check_maps(None, Some(&values), &one, false).unwrap_err();
        assert!(error.message().ends_with("ConditionExpression is null"), "{error}");
        let present = [("ConditionExpression", true)];
        let empty = BTreeMap::new();
        let error = check_maps(Some(&empty), None, &present, true).unwrap_err();
        assert_eq!(error.message(), "ExpressionAttributeNames must not be empty");
        let error = check_maps(None, Some(&Item::new()), &present, true).unwrap_err();
        assert_eq!(error.message(), "ExpressionAttributeValues must not be empty");
        let bad: BTreeMap<String, String> = [("a".to_string(), "a".to_string())].into();
        let error = check_maps(Some(&bad), None, &present, true).unwrap_err();
        assert_eq!(
            error.message(),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
        );
        let bad: Item = [(":".to_string(), AttributeValue::Null)].into();
        let error = check_maps(None, Some(&bad), &present, true).unwrap_err();
        assert_eq!(
            error.message(),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \":\""
        );
        let set: Item = [(":s".to_string(), AttributeValue::Ss(Default::default()))].into();
        let error = check_maps(None, Some(&set), &present, true).unwrap_err();
        assert!(
            error.message().starts_with("ExpressionAttributeValues contains invalid value: "),
            "{error}"
        );
        assert!(check_maps(Some(&names), Some(&values), &present, true).is_ok());
    }
}
