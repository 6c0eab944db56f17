//! Placeholder resolution: `#name` and `:value` references against a request's
//! `ExpressionAttributeNames` and `ExpressionAttributeValues`, with DynamoDB's messages for
//! undefined and unused placeholders.
//!
//! One [`Placeholders`] serves every expression of a request (condition, update, projection):
//! each `check_*` call resolves and records the placeholders one expression uses, and
//! [`Placeholders::finish`] then reports the supplied ones no expression used.
#![deny(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::ast::{
    Call, Condition, Function, Name, Operand, Path, PathElement, Projection, UpdateClause,
    UpdateExpression, ValueRef,
};
use super::error::ExpressionKind;
use crate::model::{AttributeValue, Item};

/// The class of an [`EvalError`]; its message carries the details. All are DynamoDB
/// `ValidationException`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// A `#name` used in an expression is not in `ExpressionAttributeNames`.
    UndefinedName,
    /// A `:value` used in an expression is not in `ExpressionAttributeValues`.
    UndefinedValue,
    /// `ExpressionAttributeNames` holds names no expression uses.
    UnusedNames,
    /// `ExpressionAttributeValues` holds values no expression uses.
    UnusedValues,
    /// `attribute_type` given a value that is not one of DynamoDB's type names.
    InvalidTypeName,
    /// A function given a value of a type it does not take.
    IncorrectOperandType,
    /// `BETWEEN` bounds of different types, or a lower bound above the upper one.
    BetweenBounds,
    /// A legacy parameter (`Expected`, `QueryFilter`, `AttributeUpdates`, …) DynamoDB refuses:
    /// "One or more parameter values were invalid: …" and kin.
    LegacyParameter,
    /// A member of a legacy parameter outside its constraints (an unknown `ComparisonOperator`,
    /// an empty `AttributesToGet`): "1 validation error detected: Value … at '…' failed to
    /// satisfy constraint: …".
    LegacyConstraint,
    /// Legacy and expression parameters in one request.
    MixedParameters,
    /// Two paths of one expression where one is a prefix of the other (or both are the same).
    PathOverlap,
    /// Two paths of one expression that step into the same value as a map and as a list.
    PathConflict,
    /// An update expression that writes or removes a key attribute.
    KeyAttribute,
    /// An update path whose parent is missing or of the wrong type in the item.
    InvalidUpdatePath,
    /// An update operand of a type its operator does not take, found on the item.
    IncorrectDataType,
    /// A `SET` value that reads an attribute the item does not have.
    MissingAttribute,
    /// Arithmetic whose result is not a DynamoDB number (too many digits, out of range).
    InvalidNumber,
}

/// An expression refused once its placeholders are known: the class and DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// The class of the error.
    pub kind: EvalErrorKind,
    /// The message as DynamoDB words it.
    pub message: String,
}

impl EvalError {
    /// An error about an expression of kind `expression` ("Invalid …Expression: " prefix).
    pub(crate) fn invalid(expression: ExpressionKind, kind: EvalErrorKind, detail: &str) -> Self {
        let message = format!("Invalid {}: {detail}", expression.parameter());
        Self { kind, message }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// A request's placeholder maps, read-only: what evaluation looks names and values up in.
#[derive(Debug, Clone, Copy)]
pub struct Bindings<'a> {
    names: &'a BTreeMap<String, String>,
    values: &'a Item,
}

impl<'a> Bindings<'a> {
    /// The bindings of `ExpressionAttributeNames` `names` and `ExpressionAttributeValues`
    /// `values` (either empty when the request has none).
    #[must_use]
    pub fn new(names: &'a BTreeMap<String, String>, values: &'a Item) -> Self {
        Self { names, values }
    }

    /// The attribute name `name` stands for.
    ///
    /// # Errors
    /// [`EvalErrorKind::UndefinedName`] for a placeholder missing from the names.
    pub fn name<'n>(&self, name: &'n Name, kind: ExpressionKind) -> Result<&'n str, EvalError>
    where
        'a: 'n,
    {
        match name {
            Name::Literal(text) => Ok(text),
            Name::Placeholder(placeholder) => {
                self.names.get(placeholder).map(String::as_str).ok_or_else(|| {
                    let detail = format!(
                        "An expression attribute name used in the document path is not \
                         defined; attribute name: {placeholder}"
                    );
                    EvalError::invalid(kind, EvalErrorKind::UndefinedName, &detail)
                })
            }
        }
    }

    /// The value `value` stands for.
    ///
    /// # Errors
    /// [`EvalErrorKind::UndefinedValue`] for a placeholder missing from the values.
    pub fn value(
        &self,
        value: &ValueRef,
        kind: ExpressionKind,
    ) -> Result<&'a AttributeValue, EvalError> {
        self.values.get(&value.name).ok_or_else(|| {
            let detail = format!(
                "An expression attribute value used in expression is not defined; attribute \
                 value: {}",
                value.name
            );
            EvalError::invalid(kind, EvalErrorKind::UndefinedValue, &detail)
        })
    }
}

/// The placeholder maps of one request and which placeholders its expressions have used.
#[derive(Debug, Clone)]
pub struct Placeholders<'a> {
    bindings: Bindings<'a>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Placeholders<'a> {
    /// Accounting for a request with these `ExpressionAttributeNames` and
    /// `ExpressionAttributeValues`.
    #[must_use]
    pub fn new(names: &'a BTreeMap<String, String>, values: &'a Item) -> Self {
        let bindings = Bindings::new(names, values);
        Self { bindings, used_names: BTreeSet::new(), used_values: BTreeSet::new() }
    }

    /// The maps, for evaluation.
    #[must_use]
    pub fn bindings(&self) -> Bindings<'a> {
        self.bindings
    }

    /// Resolves and records every placeholder of the condition `condition` (of kind `kind`),
    /// and applies the checks that need the values: `attribute_type` names, the operand types of
    /// `begins_with`, and `BETWEEN` bounds that are both values.
    ///
    /// # Errors
    /// An undefined placeholder, or a value a check refuses.
    pub fn check_condition(
        &mut self,
        condition: &Condition,
        kind: ExpressionKind,
    ) -> Result<(), EvalError> {
        match condition {
            Condition::Compare { left, right, .. } => {
                self.operand(left, kind)?;
                self.operand(right, kind)
            }
            Condition::Between { operand, low, high, .. } => {
                for o in [operand, low, high] {
                    self.operand(o, kind)?;
                }
                self.check_between(low, high, kind)
            }
            Condition::In { operand, list, .. } => {
                self.operand(operand, kind)?;
                list.iter().try_for_each(|o| self.operand(o, kind))
            }
            Condition::Call(call) => {
                self.call(call, kind)?;
                super::eval::check_call_values(call, self.bindings, kind)
            }
            Condition::Not { inner, .. } => self.check_condition(inner, kind),
            Condition::And { left, right, .. } | Condition::Or { left, right, .. } => {
                self.check_condition(left, kind)?;
                self.check_condition(right, kind)
            }
        }
    }

    /// Resolves and records every placeholder of an update expression.
    ///
    /// # Errors
    /// An undefined placeholder.
    pub fn check_update(&mut self, update: &UpdateExpression) -> Result<(), EvalError> {
        let kind = ExpressionKind::Update;
        for clause in &update.clauses {
            match clause {
                UpdateClause::Set { actions, .. } => {
                    for action in actions {
                        self.path(&action.path, kind)?;
                        self.operand(&action.value, kind)?;
                    }
                }
                UpdateClause::Remove { paths, .. } => {
                    paths.iter().try_for_each(|p| self.path(p, kind))?;
                }
                UpdateClause::Add { actions, .. } | UpdateClause::Delete { actions, .. } => {
                    for action in actions {
                        self.path(&action.path, kind)?;
                        self.value(&action.value, kind)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Resolves and records every placeholder of a projection expression.
    ///
    /// # Errors
    /// An undefined placeholder.
    pub fn check_projection(&mut self, projection: &Projection) -> Result<(), EvalError> {
        let kind = ExpressionKind::Projection;
        projection.paths.iter().try_for_each(|p| self.path(p, kind))
    }

    /// Ends the accounting: every supplied placeholder must have been used.
    ///
    /// # Errors
    /// [`EvalErrorKind::UnusedNames`] first, then [`EvalErrorKind::UnusedValues`]:
    /// "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}".
    pub fn finish(self) -> Result<(), EvalError> {
        let unused_names = self.bindings.names.keys().filter(|k| !self.used_names.contains(*k));
        if let Some(message) = unused_message("ExpressionAttributeNames", unused_names) {
            return Err(EvalError { kind: EvalErrorKind::UnusedNames, message });
        }
        let unused_values = self.bindings.values.keys().filter(|k| !self.used_values.contains(*k));
        if let Some(message) = unused_message("ExpressionAttributeValues", unused_values) {
            return Err(EvalError { kind: EvalErrorKind::UnusedValues, message });
        }
        Ok(())
    }

    fn path(&mut self, path: &Path, kind: ExpressionKind) -> Result<(), EvalError> {
        for element in &path.elements {
            if let PathElement::Name { name, .. } = element {
                self.bindings.name(name, kind)?;
                if let Name::Placeholder(placeholder) = name {
                    self.used_names.insert(placeholder.clone());
                }
            }
        }
        Ok(())
    }

    fn value(&mut self, value: &ValueRef, kind: ExpressionKind) -> Result<(), EvalError> {
        self.bindings.value(value, kind)?;
        self.used_values.insert(value.name.clone());
        Ok(())
    }

    fn call(&mut self, call: &Call, kind: ExpressionKind) -> Result<(), EvalError> {
        call.args.iter().try_for_each(|a| self.operand(a, kind))
    }

    fn operand(&mut self, operand: &Operand, kind: ExpressionKind) -> Result<(), EvalError> {
        match operand {
            Operand::Path(path) => self.path(path, kind),
            Operand::Value(value) => self.value(value, kind),
            Operand::Call(call) => {
                self.call(call, kind)?;
                if call.function == Function::Size {
                    super::eval::check_call_values(call, self.bindings, kind)?;
                }
                Ok(())
            }
            Operand::Arithmetic { left, right, .. } => {
                self.operand(left, kind)?;
                self.operand(right, kind)
            }
        }
    }

    fn check_between(
        &self,
        low: &Operand,
        high: &Operand,
        kind: ExpressionKind,
    ) -> Result<(), EvalError> {
        let (Operand::Value(low), Operand::Value(high)) = (low, high) else {
            return Ok(());
        };
        let (low, high) = (self.bindings.value(low, kind)?, self.bindings.value(high, kind)?);
        let problem = if super::eval::type_name(low) != super::eval::type_name(high) {
            "requires same data type for lower and upper bounds"
        } else if super::eval::ordering(low, high) == Some(std::cmp::Ordering::Greater) {
            "requires upper bound to be greater than or equal to lower bound"
        } else {
            return Ok(());
        };
        let detail = format!(
            "The BETWEEN operator {problem}; lower bound operand: AttributeValue: {}, upper bound \
             operand: AttributeValue: {}",
            describe(low),
            describe(high)
        );
        Err(EvalError::invalid(kind, EvalErrorKind::BetweenBounds, &detail))
    }
}

/// "Value provided in {parameter} unused in expressions: keys: {a, b}", or `None` when no key
/// is unused.
fn unused_message<'k>(
    parameter: &str,
    mut unused: impl Iterator<Item = &'k String>,
) -> Option<String> {
    let first = unused.next()?;
    let keys = unused.fold(first.clone(), |keys, key| format!("{keys}, {key}"));
    Some(format!("Value provided in {parameter} unused in expressions: keys: {{{keys}}}"))
}

/// A value as DynamoDB prints it in `BETWEEN` messages: `{N:5}`, `{S:a}`; binaries in
/// base64, sets, lists and maps in their JSON form.
pub(crate) fn describe(value: &AttributeValue) -> String {
    let text = match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null => "true".to_owned(),
        other => {
            let json = other.to_json();
            match json.as_object().and_then(|object| object.values().next()) {
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(inner) => inner.to_string(),
                None => json.to_string(),
            }
        }
    };
    format!("{{{}:{text}}}", super::eval::type_name(value))
}
