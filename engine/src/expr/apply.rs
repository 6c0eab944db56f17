//! Applying an `UpdateExpression` to an item, with DynamoDB's semantics (DG: Update
//! expressions; the messages are the service's as dynalite's `updateParser.pegjs` and
//! `actions/updateItem.js` and ScyllaDB's `test/alternator/test_update_expression.py`, run
//! against DynamoDB, record them).
//!
//! [`check_update`] makes the checks DynamoDB makes before reading the item: placeholders,
//! overlapping or conflicting paths, the operand types of `ADD`, `DELETE`, `list_append`, `+`
//! and `-` that are known from the values alone, and writes to key attributes.
//!
//! [`apply_update`] then changes the item:
//!
//! - every `SET` value is computed on the item as it was before this expression; a path that
//!   does not resolve is an error, as are `+`/`-` on non-numbers and `list_append` on
//!   non-lists; `if_not_exists(path, v)` is the attribute when present, else `v`;
//! - every list index names a position in the list as it was: writes (`SET`, `ADD`, `DELETE`)
//!   go first, in path order, so that writes past the end of a list append in index order; the
//!   removals (`REMOVE`, and sets that `DELETE` empties) come last, from the highest index down;
//! - a write below a missing parent, or into a value of the wrong type, is "The document path
//!   provided in the update expression is invalid for update"; so is a `REMOVE` below one, while
//!   a `REMOVE` of a missing attribute or element is a no-op;
//! - `ADD` adds to a number (a missing one counts as 0) or unites sets (a missing one counts
//!   as empty); `DELETE` takes members out of a set, a missing one is a no-op and an emptied
//!   one disappears; a value of another type is "An operand in the update expression has an
//!   incorrect data type".
//!
//! DynamoDB ignores a `REMOVE` below a missing parent when the whole item is missing (ScyllaDB's
//! `test_nested_attribute_remove_from_missing_item`); this function cannot tell a missing item
//! from the bare key item, so UpdateItem drops the `REMOVE` clause itself in that case. The
//! item-size limit is the caller's to check.
#![deny(clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

use super::ast::{
    ArithmeticOp, Function, Operand, Path, SetAction, UpdateClause, UpdateExpression, ValueAction,
    ValueRef,
};
use super::error::ExpressionKind;
use super::eval::{get_path, type_name};
use super::path::{check_overlaps, resolve_path, steps, DocPath, PathStep};
use super::resolve::{Bindings, EvalError, EvalErrorKind};
use crate::model::{AttributeValue, Item, NumberError};

const KIND: ExpressionKind = ExpressionKind::Update;

/// The checks DynamoDB makes on an update expression before reading the item, in its order:
/// undefined `#names`, undefined `:values`, overlapping then conflicting paths, `ADD` and
/// `DELETE` operand types, `list_append`/`+`/`-` operand types, then writes to key attributes.
/// Returns the resolved paths the expression writes or removes, in source order (what
/// `ReturnValues` `UPDATED_OLD`/`UPDATED_NEW` report).
///
/// # Errors
/// The first check that fails, with DynamoDB's message.
pub fn check_update(
    update: &UpdateExpression,
    bindings: Bindings<'_>,
    key_attributes: &[&str],
) -> Result<Vec<DocPath>, EvalError> {
    let actions = actions(update);
    let targets = actions
        .iter()
        .map(|a| resolve_path(a.path(), bindings, KIND))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut paths, mut values) = (Vec::new(), Vec::new());
    for action in &actions {
        match action {
            Action::Set(set) => collect_operand(&set.value, &mut paths, &mut values),
            Action::Add(add) | Action::Delete(add) => values.push(&add.value),
            Action::Remove(_) => {}
        }
    }
    for path in paths {
        resolve_path(path, bindings, KIND)?;
    }
    for value in values {
        bindings.value(value, KIND)?;
    }
    check_overlaps(&targets, KIND)?;
    for action in &actions {
        match action {
            Action::Add(add) => check_operator("ADD", bindings.value(&add.value, KIND)?)?,
            Action::Delete(delete) => {
                check_operator("DELETE", bindings.value(&delete.value, KIND)?)?;
            }
            Action::Set(_) | Action::Remove(_) => {}
        }
    }
    for action in &actions {
        if let Action::Set(set) = action {
            check_function_operands(&set.value, bindings)?;
        }
    }
    check_update_keys(&targets, key_attributes)?;
    Ok(targets)
}

/// Applies `update` to `item`: the existing item, or one holding just the key when there is
/// none (an update creates the item). Run [`check_update`] first; on an error, `item` may be
/// partly changed and must be dropped.
///
/// # Errors
/// A value of the wrong type, a path that does not resolve, or arithmetic whose result is not
/// a DynamoDB number, with DynamoDB's message (module docs).
pub fn apply_update(
    update: &UpdateExpression,
    item: &mut Item,
    bindings: Bindings<'_>,
) -> Result<(), EvalError> {
    let mut writes: Vec<(DocPath, Write<'_>)> = Vec::new();
    let mut removals: Vec<DocPath> = Vec::new();
    // First pass, on the item as it was: every SET value, and which removals find something.
    for action in actions(update) {
        let path = resolve_path(action.path(), bindings, KIND)?;
        match action {
            Action::Set(set) => {
                writes.push((path, Write::Set(evaluate(&set.value, item, bindings)?)))
            }
            Action::Remove(_) => {
                if target_exists(item, &path)? {
                    removals.push(path);
                }
            }
            Action::Add(add) => writes.push((path, Write::Add(bindings.value(&add.value, KIND)?))),
            Action::Delete(delete) => {
                writes.push((path, Write::Delete(bindings.value(&delete.value, KIND)?)));
            }
        }
    }
    // IMPORTANT: writes replace in place or append past the end, so no original index moves
    // until the removals, which go from the highest index down.
    writes.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, write) in writes {
        if apply_write(item, &path, write)? {
            removals.push(path);
        }
    }
    removals.sort_unstable_by(|a, b| b.cmp(a));
    for path in &removals {
        slot(item, path)?.remove();
    }
    Ok(())
}

/// One action of an update expression.
#[derive(Clone, Copy)]
enum Action<'u> {
    Set(&'u SetAction),
    Remove(&'u Path),
    Add(&'u ValueAction),
    Delete(&'u ValueAction),
}

impl Action<'_> {
    fn path(&self) -> &Path {
        match self {
            Action::Set(set) => &set.path,
            Action::Remove(path) => path,
            Action::Add(action) | Action::Delete(action) => &action.path,
        }
    }
}

/// Every action, clause by clause in source order.
fn actions(update: &UpdateExpression) -> Vec<Action<'_>> {
    let mut all = Vec::new();
    for clause in &update.clauses {
        match clause {
            UpdateClause::Set { actions, .. } => all.extend(actions.iter().map(Action::Set)),
            UpdateClause::Remove { paths, .. } => all.extend(paths.iter().map(Action::Remove)),
            UpdateClause::Add { actions, .. } => all.extend(actions.iter().map(Action::Add)),
            UpdateClause::Delete { actions, .. } => {
                all.extend(actions.iter().map(Action::Delete));
            }
        }
    }
    all
}

/// Collects the paths and value placeholders a `SET` value reads.
fn collect_operand<'u>(
    operand: &'u Operand,
    paths: &mut Vec<&'u Path>,
    values: &mut Vec<&'u ValueRef>,
) {
    match operand {
        Operand::Path(path) => paths.push(path),
        Operand::Value(value) => values.push(value),
        Operand::Call(call) => call.args.iter().for_each(|a| collect_operand(a, paths, values)),
        Operand::Arithmetic { left, right, .. } => {
            collect_operand(left, paths, values);
            collect_operand(right, paths, values);
        }
    }
}

/// Refuses an `ADD` value that is neither a number nor a set, and a `DELETE` value that is not
/// a set: "Incorrect operand type for operator or function; operator: ADD, operand type:
/// STRING".
fn check_operator(operator: &str, value: &AttributeValue) -> Result<(), EvalError> {
    let refused = match value {
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => return Ok(()),
        AttributeValue::N(_) if operator == "ADD" => return Ok(()),
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::S(_) => "STRING",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::L(_) => "LIST",
        AttributeValue::M(_) => "MAP",
    };
    let detail = format!(
        "Incorrect operand type for operator or function; operator: {operator}, operand type: \
         {refused}"
    );
    Err(EvalError::invalid(KIND, EvalErrorKind::IncorrectOperandType, &detail))
}

/// Refuses a value operand of `list_append` that is not a list, and of `+`/`-` that is not a
/// number: "Incorrect operand type for operator or function; operator or function:
/// list_append, operand type: S". Nested calls are checked first, as DynamoDB parses them
/// first.
fn check_function_operands(operand: &Operand, bindings: Bindings<'_>) -> Result<(), EvalError> {
    let (name, wanted, args): (&str, &str, Vec<&Operand>) = match operand {
        Operand::Call(call) if call.function == Function::ListAppend => {
            ("list_append", "L", call.args.iter().collect())
        }
        Operand::Call(call) => ("", "", call.args.iter().collect()),
        Operand::Arithmetic { op, left, right, .. } => {
            let symbol = if *op == ArithmeticOp::Add { "+" } else { "-" };
            (symbol, "N", vec![left.as_ref(), right.as_ref()])
        }
        Operand::Path(_) | Operand::Value(_) => return Ok(()),
    };
    for arg in &args {
        check_function_operands(arg, bindings)?;
    }
    for arg in args {
        let Operand::Value(value) = arg else { continue };
        let found = type_name(bindings.value(value, KIND)?);
        if !name.is_empty() && found != wanted {
            let detail = format!(
                "Incorrect operand type for operator or function; operator or function: {name}, \
                 operand type: {found}"
            );
            return Err(EvalError::invalid(KIND, EvalErrorKind::IncorrectOperandType, &detail));
        }
    }
    Ok(())
}

/// Refuses an update whose `targets` (as [`check_update`] returns them) write or remove one of
/// `key_attributes`: "One or more parameter values were invalid: Cannot update attribute pk.
/// This attribute is part of the key". It names the first of `key_attributes` (the partition
/// key before the sort key) that a target starts with, as dynalite's `validateUpdates` does.
///
/// # Errors
/// [`EvalErrorKind::KeyAttribute`].
pub fn check_update_keys(targets: &[DocPath], key_attributes: &[&str]) -> Result<(), EvalError> {
    let touched = |key: &&&str| {
        targets.iter().any(|t| matches!(t.first(), Some(PathStep::Name(first)) if first == **key))
    };
    match key_attributes.iter().find(touched) {
        Some(key) => {
            let message = format!(
                "One or more parameter values were invalid: Cannot update attribute {key}. \
                 This attribute is part of the key"
            );
            Err(EvalError { kind: EvalErrorKind::KeyAttribute, message })
        }
        None => Ok(()),
    }
}

/// A `SET` value, computed on `item`.
fn evaluate(
    operand: &Operand,
    item: &Item,
    bindings: Bindings<'_>,
) -> Result<AttributeValue, EvalError> {
    match operand {
        Operand::Path(path) => {
            let path = resolve_path(path, bindings, KIND)?;
            get_path(item, &steps(&path)).cloned().ok_or_else(missing_attribute)
        }
        Operand::Value(value) => Ok(bindings.value(value, KIND)?.clone()),
        Operand::Call(call) => {
            let (first, second) = match call.args.as_slice() {
                [first, second] => (first, second),
                _ => return Err(incorrect_data_type()), // no other function parses in a SET
            };
            match call.function {
                Function::IfNotExists => {
                    if let Operand::Path(path) = first {
                        let path = resolve_path(path, bindings, KIND)?;
                        if let Some(value) = get_path(item, &steps(&path)) {
                            return Ok(value.clone());
                        }
                    }
                    evaluate(second, item, bindings)
                }
                Function::ListAppend => {
                    let AttributeValue::L(mut list) = evaluate(first, item, bindings)? else {
                        return Err(incorrect_data_type());
                    };
                    let AttributeValue::L(tail) = evaluate(second, item, bindings)? else {
                        return Err(incorrect_data_type());
                    };
                    list.extend(tail);
                    Ok(AttributeValue::L(list))
                }
                _ => Err(incorrect_data_type()),
            }
        }
        Operand::Arithmetic { op, left, right, .. } => {
            let AttributeValue::N(left) = evaluate(left, item, bindings)? else {
                return Err(incorrect_data_type());
            };
            let AttributeValue::N(right) = evaluate(right, item, bindings)? else {
                return Err(incorrect_data_type());
            };
            let result = match op {
                ArithmeticOp::Add => left.checked_add(&right),
                ArithmeticOp::Subtract => left.checked_sub(&right),
            };
            result.map(AttributeValue::N).map_err(number_error)
        }
    }
}

/// A change to one path, applied after every `SET` value is known.
enum Write<'b> {
    Set(AttributeValue),
    Add(&'b AttributeValue),
    Delete(&'b AttributeValue),
}

/// Applies one write; true when it emptied a set, which must then be removed.
fn apply_write(item: &mut Item, path: &[PathStep], write: Write<'_>) -> Result<bool, EvalError> {
    let mut slot = slot(item, path)?;
    match write {
        Write::Set(value) => slot.put(value),
        Write::Add(value) => {
            check_operator("ADD", value)?;
            match slot.get() {
                Some(existing) => add_into(existing, value)?,
                None => slot.put(value.clone()),
            }
        }
        Write::Delete(value) => {
            check_operator("DELETE", value)?;
            if let Some(existing) = slot.get() {
                return delete_from(existing, value);
            }
        }
    }
    Ok(false)
}

/// `ADD`: a number sum or a set union, in place.
fn add_into(existing: &mut AttributeValue, value: &AttributeValue) -> Result<(), EvalError> {
    match (existing, value) {
        (AttributeValue::N(sum), AttributeValue::N(n)) => {
            *sum = sum.checked_add(n).map_err(number_error)?;
        }
        (AttributeValue::Ss(set), AttributeValue::Ss(members)) => unite(set, members),
        (AttributeValue::Ns(set), AttributeValue::Ns(members)) => unite(set, members),
        (AttributeValue::Bs(set), AttributeValue::Bs(members)) => unite(set, members),
        _ => return Err(incorrect_data_type()),
    }
    Ok(())
}

/// `DELETE`: a set difference, in place; true when the set is left empty.
fn delete_from(existing: &mut AttributeValue, value: &AttributeValue) -> Result<bool, EvalError> {
    Ok(match (existing, value) {
        (AttributeValue::Ss(set), AttributeValue::Ss(members)) => subtract(set, members),
        (AttributeValue::Ns(set), AttributeValue::Ns(members)) => subtract(set, members),
        (AttributeValue::Bs(set), AttributeValue::Bs(members)) => subtract(set, members),
        _ => return Err(incorrect_data_type()),
    })
}

/// Appends the members of `members` that `set` lacks, keeping the set's order.
fn unite<T: Clone + Eq + Hash>(set: &mut Vec<T>, members: &[T]) {
    let mut present: HashSet<T> = set.iter().cloned().collect();
    for member in members {
        if present.insert(member.clone()) {
            set.push(member.clone());
        }
    }
}

/// Drops the members of `members` from `set`; true when it is left empty.
fn subtract<T: Eq + Hash>(set: &mut Vec<T>, members: &[T]) -> bool {
    let gone: HashSet<&T> = members.iter().collect();
    set.retain(|member| !gone.contains(member));
    set.is_empty()
}

/// Whether `path` names something in `item`; an error when its parent is missing or cannot
/// hold it (a name in a non-map, an index in a non-list).
fn target_exists(item: &Item, path: &[PathStep]) -> Result<bool, EvalError> {
    let Some((last, parent)) = path.split_last() else { return Err(invalid_update_path()) };
    let found = match (parent.is_empty(), last) {
        (true, PathStep::Name(name)) => item.contains_key(name),
        (true, PathStep::Index(_)) => return Err(invalid_update_path()),
        (false, _) => match (get_path(item, &steps(parent)), last) {
            (Some(AttributeValue::M(map)), PathStep::Name(name)) => map.contains_key(name),
            (Some(AttributeValue::L(list)), PathStep::Index(index)) => {
                usize::try_from(*index).is_ok_and(|i| i < list.len())
            }
            _ => return Err(invalid_update_path()),
        },
    };
    Ok(found)
}

/// Where a path's last step lives in its parent.
enum Slot<'i, 'p> {
    /// A member of the item or of a map.
    Member(&'i mut BTreeMap<String, AttributeValue>, &'p str),
    /// An element of a list (possibly past its end).
    Element(&'i mut Vec<AttributeValue>, usize),
}

impl Slot<'_, '_> {
    fn get(&mut self) -> Option<&mut AttributeValue> {
        match self {
            Slot::Member(map, name) => map.get_mut(*name),
            Slot::Element(list, index) => list.get_mut(*index),
        }
    }

    /// Writes `value`; an index past the end of the list appends.
    fn put(self, value: AttributeValue) {
        match self {
            Slot::Member(map, name) => {
                map.insert(name.to_owned(), value);
            }
            Slot::Element(list, index) => match list.get_mut(index) {
                Some(element) => *element = value,
                None => list.push(value),
            },
        }
    }

    /// Removes the value, if there is one; later list elements move down.
    fn remove(self) {
        match self {
            Slot::Member(map, name) => {
                map.remove(name);
            }
            Slot::Element(list, index) => {
                if index < list.len() {
                    list.remove(index);
                }
            }
        }
    }
}

/// The slot of `path` in `item`; an error when the parent is missing or cannot hold it.
fn slot<'i, 'p>(item: &'i mut Item, path: &'p [PathStep]) -> Result<Slot<'i, 'p>, EvalError> {
    let Some((last, parent)) = path.split_last() else { return Err(invalid_update_path()) };
    let Some((PathStep::Name(first), between)) = parent.split_first() else {
        return match last {
            PathStep::Name(name) => Ok(Slot::Member(item, name)),
            PathStep::Index(_) => Err(invalid_update_path()),
        };
    };
    let mut container = item.get_mut(first.as_str());
    for step in between {
        container = match (step, container) {
            (PathStep::Name(name), Some(AttributeValue::M(map))) => map.get_mut(name.as_str()),
            (PathStep::Index(index), Some(AttributeValue::L(list))) => {
                usize::try_from(*index).ok().and_then(|i| list.get_mut(i))
            }
            _ => None,
        };
    }
    match (container, last) {
        (Some(AttributeValue::M(map)), PathStep::Name(name)) => Ok(Slot::Member(map, name)),
        (Some(AttributeValue::L(list)), PathStep::Index(index)) => {
            let index = usize::try_from(*index).map_err(|_| invalid_update_path())?;
            Ok(Slot::Element(list, index))
        }
        _ => Err(invalid_update_path()),
    }
}

fn invalid_update_path() -> EvalError {
    EvalError {
        kind: EvalErrorKind::InvalidUpdatePath,
        message: "The document path provided in the update expression is invalid for update"
            .to_owned(),
    }
}

fn incorrect_data_type() -> EvalError {
    EvalError {
        kind: EvalErrorKind::IncorrectDataType,
        message: "An operand in the update expression has an incorrect data type".to_owned(),
    }
}

fn missing_attribute() -> EvalError {
    EvalError {
        kind: EvalErrorKind::MissingAttribute,
        message: "The provided expression refers to an attribute that does not exist in the item"
            .to_owned(),
    }
}

fn number_error(error: NumberError) -> EvalError {
    EvalError { kind: EvalErrorKind::InvalidNumber, message: error.to_string() }
}
