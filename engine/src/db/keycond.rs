//! Query's key condition: the shape DynamoDB allows (`pk = :v`, optionally `AND` one condition
//! on the sort key), checked in DynamoDB's order with its messages, and turned into the range of
//! storage keys the query reads.
//!
//! The checks come in three rounds, as DynamoDB makes them: the operators (only `=`, `<`, `<=`,
//! `>`, `>=`, `BETWEEN`, `begins_with` and `AND`), then each condition's operands left to right
//! (one top-level attribute against values, no function calls), then, once the table is known,
//! the attributes against its key schema and the values against the key types.

use std::ops::Range;

use crate::api::DbError;
use crate::expr::ast::{Comparator, Condition, Function, Operand, PathElement};
use crate::expr::{Bindings, ExpressionKind};
use crate::model::{
    begins_with_range, partition_range, sort_bound, sort_bound_after, AttributeValue, KeyValue,
};

use super::schema::Schema;

/// How a key condition constrains its attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    BeginsWith,
}

/// One condition of a key condition: an attribute, an operator and its values.
#[derive(Clone, Debug)]
pub(crate) struct KeyTerm {
    pub(crate) attribute: String,
    pub(crate) op: KeyOp,
    pub(crate) values: Vec<AttributeValue>,
}

/// A key condition matched against a table's schema.
#[derive(Clone, Debug)]
pub(crate) struct KeyQuery {
    pub(crate) partition: KeyValue,
    pub(crate) sort: Option<(KeyOp, Vec<KeyValue>)>,
}

fn invalid(message: impl Into<String>) -> DbError {
    DbError::validation(message)
}

/// The terms of a key condition, after the checks that need no table: operators, operands,
/// one condition per attribute, at most two conditions. Values are resolved through
/// `bindings` (whose undefined placeholders were reported already).
///
/// `most` is the number of conditions allowed: 2, or more for an index whose key has several
/// attributes.
pub(crate) fn key_terms(
    condition: &Condition,
    bindings: Bindings<'_>,
    most: usize,
) -> Result<Vec<KeyTerm>, DbError> {
    check_operators(condition)?;
    let mut conditions = Vec::new();
    flatten(condition, &mut conditions);
    let mut terms: Vec<KeyTerm> = Vec::with_capacity(conditions.len());
    for condition in conditions {
        let term = term(condition, bindings)?;
        if terms.iter().any(|t| t.attribute == term.attribute) {
            return Err(invalid("KeyConditionExpressions must only contain one condition per key"));
        }
        terms.push(term);
    }
    if terms.len() > most {
        return Err(invalid("Conditions can be of length 1 or 2 only"));
    }
    Ok(terms)
}

/// Refuses any operator but the comparisons, `BETWEEN`, `begins_with` and `AND`.
fn check_operators(condition: &Condition) -> Result<(), DbError> {
    let refuse = |name: &str| {
        Err(invalid(format!("Invalid operator used in KeyConditionExpression: {name}")))
    };
    match condition {
        Condition::And { left, right, .. } => {
            check_operators(left)?;
            check_operators(right)
        }
        Condition::Compare { op: Comparator::Ne, .. } => refuse("<>"),
        Condition::Compare { .. } | Condition::Between { .. } => Ok(()),
        Condition::Call(call) if call.function == Function::BeginsWith => Ok(()),
        Condition::Call(call) => refuse(call.function.name()),
        Condition::In { .. } => refuse("IN"),
        Condition::Or { .. } => refuse("OR"),
        Condition::Not { .. } => refuse("NOT"),
    }
}

fn flatten<'c>(condition: &'c Condition, out: &mut Vec<&'c Condition>) {
    match condition {
        Condition::And { left, right, .. } => {
            flatten(left, out);
            flatten(right, out);
        }
        other => out.push(other),
    }
}

/// One condition's term: its operands checked left to right.
fn term(condition: &Condition, bindings: Bindings<'_>) -> Result<KeyTerm, DbError> {
    let (op, operands, name): (KeyOp, Vec<&Operand>, Option<&str>) = match condition {
        Condition::Compare { op, left, right, .. } => (comparison(*op), vec![left, right], None),
        Condition::Between { operand, low, high, .. } => {
            (KeyOp::Between, vec![operand, low, high], Some("BETWEEN"))
        }
        Condition::Call(call) => {
            (KeyOp::BeginsWith, call.args.iter().collect(), Some("begins_with"))
        }
        _ => unreachable!("operators were checked"),
    };
    if let Some(name) = name {
        if !matches!(operands.first(), Some(Operand::Path(_))) {
            return Err(invalid(format!(
                "Invalid condition in KeyConditionExpression: {name} operator must have the key \
                 attribute as its first operand"
            )));
        }
    }
    let mut attribute: Option<(usize, String)> = None;
    let mut values = Vec::new();
    for (position, operand) in operands.iter().enumerate() {
        match operand {
            Operand::Call(_) | Operand::Arithmetic { .. } => {
                return Err(invalid("KeyConditionExpressions cannot contain nested operations"))
            }
            Operand::Path(path) => {
                if attribute.is_some() {
                    return Err(invalid(
                        "Invalid condition in KeyConditionExpression: Multiple attribute names \
                         used in one condition",
                    ));
                }
                let [PathElement::Name { name, .. }] = path.elements.as_slice() else {
                    return Err(invalid(
                        "KeyConditionExpressions cannot have conditions on nested attributes",
                    ));
                };
                let name = bindings.name(name, ExpressionKind::KeyCondition)?;
                attribute = Some((position, name.to_string()));
            }
            Operand::Value(value) => {
                values.push(bindings.value(value, ExpressionKind::KeyCondition)?.clone());
            }
        }
    }
    let Some((position, attribute)) = attribute else {
        return Err(invalid(
            "Invalid condition in KeyConditionExpression: No key attribute specified",
        ));
    };
    if let (KeyOp::Between, [low, high]) = (op, values.as_slice()) {
        check_between(low, high)?;
    }
    // `:v < a` is `a > :v`.
    let op = if position > 0 { mirrored(op) } else { op };
    Ok(KeyTerm { attribute, op, values })
}

/// BETWEEN's bounds: of one type, the lower not above the upper, with DynamoDB's messages.
fn check_between(low: &AttributeValue, high: &AttributeValue) -> Result<(), DbError> {
    let problem = if crate::expr::type_name(low) != crate::expr::type_name(high) {
        "requires same data type for lower and upper bounds"
    } else if crate::expr::ordering(low, high) == Some(std::cmp::Ordering::Greater) {
        "requires upper bound to be greater than or equal to lower bound"
    } else {
        return Ok(());
    };
    Err(invalid(format!(
        "Invalid KeyConditionExpression: The BETWEEN operator {problem}; lower bound operand: \
         AttributeValue: {}, upper bound operand: AttributeValue: {}",
        crate::expr::describe(low),
        crate::expr::describe(high)
    )))
}

fn comparison(op: Comparator) -> KeyOp {
    match op {
        Comparator::Eq => KeyOp::Eq,
        Comparator::Lt => KeyOp::Lt,
        Comparator::Le => KeyOp::Le,
        Comparator::Gt => KeyOp::Gt,
        Comparator::Ge => KeyOp::Ge,
        Comparator::Ne => unreachable!("<> was refused"),
    }
}

fn mirrored(op: KeyOp) -> KeyOp {
    match op {
        KeyOp::Lt => KeyOp::Gt,
        KeyOp::Le => KeyOp::Ge,
        KeyOp::Gt => KeyOp::Lt,
        KeyOp::Ge => KeyOp::Le,
        other => other,
    }
}

/// Matches the terms against the table's key schema.
pub(crate) fn match_schema(terms: &[KeyTerm], schema: &Schema) -> Result<KeyQuery, DbError> {
    let not_supported = || invalid("Query key condition not supported");
    let missed = |name: &str| invalid(format!("Query condition missed key schema element: {name}"));
    if schema.sort.is_none() && terms.len() > 1 {
        return Err(not_supported());
    }
    let partition_name = &schema.partition.name;
    let Some(partition) = terms.iter().find(|t| &t.attribute == partition_name) else {
        return Err(missed(partition_name));
    };
    if partition.op != KeyOp::Eq {
        return Err(not_supported());
    }
    let partition_value =
        key_value_of(&partition.values, schema.partition.key_type, partition_name)?;
    let sort = match terms.iter().find(|t| &t.attribute != partition_name) {
        None => None,
        Some(term) => {
            let Some(sort) = schema.sort.as_ref().filter(|s| s.name == term.attribute) else {
                let name = schema.sort.as_ref().map_or(partition_name, |s| &s.name);
                return Err(missed(name));
            };
            let values = term
                .values
                .iter()
                .map(|v| key_value_of(std::slice::from_ref(v), sort.key_type, &sort.name))
                .collect::<Result<Vec<_>, _>>()?;
            Some((term.op, values))
        }
    };
    Ok(KeyQuery { partition: partition_value, sort })
}

/// The one value of a term as a key value of type `key_type`.
pub(crate) fn key_value_of(
    values: &[AttributeValue],
    key_type: crate::model::KeyType,
    name: &str,
) -> Result<KeyValue, DbError> {
    let mismatch =
        || DbError::invalid_parameter("Condition parameter type does not match schema type");
    let value = values.first().ok_or_else(mismatch)?;
    let key = match (value, key_type) {
        (AttributeValue::S(s), crate::model::KeyType::S) => KeyValue::S(s.clone()),
        (AttributeValue::N(n), crate::model::KeyType::N) => KeyValue::N(*n),
        (AttributeValue::B(b), crate::model::KeyType::B) => KeyValue::B(b.clone()),
        _ => return Err(mismatch()),
    };
    let empty = match &key {
        KeyValue::S(s) => s.is_empty().then_some("string"),
        KeyValue::B(b) => b.is_empty().then_some("binary"),
        KeyValue::N(_) => None,
    };
    if let Some(kind) = empty {
        return Err(DbError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty {kind} value. Key: {name}"
        )));
    }
    Ok(key)
}

impl KeyQuery {
    /// The item keys (without the table's space) the query reads, in ascending order.
    pub(crate) fn item_range(&self) -> Result<Range<Vec<u8>>, DbError> {
        let p = &self.partition;
        let whole = partition_range(p);
        let Some((op, values)) = &self.sort else { return Ok(whole) };
        let first = values.first().ok_or_else(|| invalid("Query key condition not supported"))?;
        Ok(match op {
            KeyOp::Eq => sort_bound(p, first)..sort_bound_after(p, first),
            KeyOp::Lt => whole.start..sort_bound(p, first),
            KeyOp::Le => whole.start..sort_bound_after(p, first),
            KeyOp::Gt => sort_bound_after(p, first)..whole.end,
            KeyOp::Ge => sort_bound(p, first)..whole.end,
            KeyOp::Between => {
                let high = values.get(1).unwrap_or(first);
                sort_bound(p, first)..sort_bound_after(p, high)
            }
            KeyOp::BeginsWith => begins_with_range(p, first).map_err(|_| {
                invalid(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or \
                     function; operator or function: begins_with, operand type: N",
                )
            })?,
        })
    }
}
