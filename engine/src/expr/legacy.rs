//! DynamoDB's legacy conditional parameters (`Expected`, `QueryFilter`, `ScanFilter`,
//! `KeyConditions`, `AttributeUpdates`, `AttributesToGet`, with `ConditionalOperator`) translated
//! into expression trees, so that one evaluator serves legacy and expression requests alike.
//!
//! Each translation validates the parameter with DynamoDB's messages (API Reference:
//! `ExpectedAttributeValue`, `Condition`, `AttributeValueUpdate`; the messages are those of
//! DynamoDB Local's `InputConverter` and `LocalDBValidatorUtils`, and of dynalite's tests, which
//! were recorded against DynamoDB), then builds a tree whose values are generated placeholders
//! (`:l0`, `:l1`, …) collected in [`Translated::values`]. A request can never mix legacy and
//! expression parameters ([`check_mixing`]), so the maps belong to the legacy parameter alone.
//! Attribute names stay literal ([`Name::Literal`]): legacy names may be reserved words or hold
//! any character, and nothing after the parser checks reserved words.
//!
//! Where a legacy operator and the expression closest to it differ, the translation adds what
//! makes them agree:
//!
//! - `NOT_CONTAINS` is false for a missing attribute, `NOT contains(a, :v)` is true, so it becomes
//!   `attribute_exists(a) AND NOT contains(a, :v)`;
//! - `NULL`/`NOT_NULL` test existence, not the `NULL` type: `attribute_not_exists(a)` /
//!   `attribute_exists(a)`;
//! - `ADD` of a list appends to the existing list:
//!   `SET a = list_append(if_not_exists(a, :empty), :v)`.
//!
//! The other operators have the semantics of their expression twins (`NE` is true for a missing
//! attribute; `IN`, `BETWEEN` and ordering are false for a missing attribute or another type).
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Display;

use super::ast::{
    Call, Comparator, Condition, Function, Name, Operand, Path, PathElement, SetAction, Span,
    UpdateClause, UpdateExpression, ValueAction, ValueRef,
};
use super::eval::{ordering, type_name};
use super::parser::IN_OPERANDS_MAX;
use super::resolve::{EvalError, EvalErrorKind};
use crate::api::{AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition};
use crate::model::{AttributeValue, Item};

/// `ComparisonOperator`'s words, in the order DynamoDB lists them in "Member must satisfy enum
/// value set: […]".
pub const COMPARISON_OPERATORS: [&str; 13] = [
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];

/// `ConditionalOperator`'s words, in DynamoDB's order for its enum message.
pub const CONDITIONAL_OPERATORS: [&str; 2] = ["OR", "AND"];

/// `AttributeValueUpdate.Action`'s words, in DynamoDB's order for its enum message.
pub const ATTRIBUTE_ACTIONS: [&str; 3] = ["ADD", "PUT", "DELETE"];

/// The legacy parameters, in the order DynamoDB names them when refusing a mix.
const NON_EXPRESSION_PARAMETERS: [&str; 7] = [
    "AttributeUpdates",
    "AttributesToGet",
    "Expected",
    "QueryFilter",
    "ScanFilter",
    "ConditionalOperator",
    "KeyConditions",
];

/// The expression parameters, in the order DynamoDB names them when refusing a mix.
const EXPRESSION_PARAMETERS: [&str; 5] = [
    "UpdateExpression",
    "ProjectionExpression",
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
];

/// A legacy parameter as an expression tree, with the placeholder maps it refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated<T> {
    /// The tree.
    pub tree: T,
    /// The name placeholders of the tree: empty, since legacy names stay literal; kept so that
    /// `Bindings::new(&t.names, &t.values)` reads like an expression request.
    pub names: BTreeMap<String, String>,
    /// The value placeholders of the tree, `:l0`, `:l1`, … in the order they were made.
    pub values: Item,
}

/// Which filter a [`filter`] call translates: it names the parameter in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterParameter {
    /// Query's `QueryFilter`.
    QueryFilter,
    /// Scan's `ScanFilter`.
    ScanFilter,
}

impl FilterParameter {
    /// The member name in constraint messages (`queryFilter`, `scanFilter`).
    fn member(self) -> &'static str {
        match self {
            Self::QueryFilter => "queryFilter",
            Self::ScanFilter => "scanFilter",
        }
    }
}

/// Translates `Expected` and `ConditionalOperator` (PutItem, UpdateItem, DeleteItem) into a
/// condition on the existing item; `None` when `expected` is empty, which DynamoDB accepts as no
/// condition. Pass an empty map when the request has `ConditionalOperator` but no `Expected`, to
/// get DynamoDB's refusal.
///
/// `Value` alone is `EQ`; `Exists: false` is `NULL` (the attribute is absent); `Exists: true`
/// needs `Value`. Entries join with `AND`, or `OR` under `ConditionalOperator: OR`.
///
/// # Errors
/// An [`EvalErrorKind::LegacyConstraint`] for an operator outside its word set, else an
/// [`EvalErrorKind::LegacyParameter`] with DynamoDB's message.
pub fn expected(
    expected: &BTreeMap<String, ExpectedAttributeValue>,
    conditional_operator: Option<&str>,
) -> Result<Option<Translated<Condition>>, EvalError> {
    let mut constraints = Constraints::default();
    constraints.one_of(conditional_operator, "conditionalOperator", &CONDITIONAL_OPERATORS);
    for (name, entry) in expected {
        let member = format!("expected.{name}.member.comparisonOperator");
        constraints.one_of(entry.comparison_operator.as_deref(), &member, &COMPARISON_OPERATORS);
    }
    constraints.finish()?;
    let joiner = joiner(conditional_operator, expected.len())?;
    let mut builder = Builder::default();
    let mut conditions = Vec::with_capacity(expected.len());
    for (name, entry) in expected {
        let test = expected_test(name, entry)?;
        conditions.push(builder.condition(name, test));
    }
    Ok(join(conditions, joiner).map(|tree| builder.finish(tree)))
}

/// Translates `QueryFilter` or `ScanFilter` (`parameter`) and `ConditionalOperator` into a
/// filter; `None` when `conditions` is empty, which DynamoDB accepts as no filter. Pass an
/// empty map when the request has `ConditionalOperator` but no filter, to get DynamoDB's
/// refusal.
///
/// # Errors
/// An [`EvalErrorKind::LegacyConstraint`] for a missing or unknown operator, else an
/// [`EvalErrorKind::LegacyParameter`] with DynamoDB's message.
pub fn filter(
    conditions: &BTreeMap<String, LegacyCondition>,
    conditional_operator: Option<&str>,
    parameter: FilterParameter,
) -> Result<Option<Translated<Condition>>, EvalError> {
    let mut constraints = Constraints::default();
    constraints.one_of(conditional_operator, "conditionalOperator", &CONDITIONAL_OPERATORS);
    for (name, condition) in conditions {
        let member = format!("{}.{name}.member.comparisonOperator", parameter.member());
        constraints.required_one_of(condition.comparison_operator.as_deref(), &member);
    }
    constraints.finish()?;
    let joiner = joiner(conditional_operator, conditions.len())?;
    let mut builder = Builder::default();
    let mut translated = Vec::with_capacity(conditions.len());
    for (name, condition) in conditions {
        translated.push(builder.condition(name, condition_test(condition)?));
    }
    Ok(join(translated, joiner).map(|tree| builder.finish(tree)))
}

/// Translates Query's `KeyConditions` into the `pk = :v AND sk <op> …` shape of a
/// `KeyConditionExpression` (conditions in attribute-name order). Only `EQ`, `LE`, `LT`, `GE`,
/// `GT`, `BEGINS_WITH` and `BETWEEN` are allowed; which attribute is the partition key, and
/// whether the types match the key schema, is for the key-condition analysis to decide.
///
/// # Errors
/// An [`EvalErrorKind::LegacyConstraint`] for a missing or unknown operator, else an
/// [`EvalErrorKind::LegacyParameter`]: argument problems, "Conditions can be of length 1 or 2
/// only", "Attempted conditional constraint is not an indexable operation".
pub fn key_conditions(
    conditions: &BTreeMap<String, LegacyCondition>,
) -> Result<Translated<Condition>, EvalError> {
    let mut constraints = Constraints::default();
    for (name, condition) in conditions {
        let member = format!("keyConditions.{name}.member.comparisonOperator");
        constraints.required_one_of(condition.comparison_operator.as_deref(), &member);
    }
    constraints.finish()?;
    let mut tests = Vec::with_capacity(conditions.len());
    for (name, condition) in conditions {
        tests.push((name, condition_test(condition)?));
    }
    if !(1..=2).contains(&tests.len()) {
        return Err(refused("Conditions can be of length 1 or 2 only"));
    }
    if tests.iter().any(|(_, test)| !test.is_indexable()) {
        return Err(refused("Attempted conditional constraint is not an indexable operation"));
    }
    let mut builder = Builder::default();
    let translated = tests.into_iter().map(|(name, test)| builder.condition(name, test)).collect();
    match join(translated, Joiner::And) {
        Some(tree) => Ok(builder.finish(tree)),
        None => Err(refused("Conditions can be of length 1 or 2 only")),
    }
}

/// Translates UpdateItem's `AttributeUpdates` into an update expression; `None` when `updates`
/// is empty. `PUT` (the default action) becomes `SET`, `DELETE` without a value `REMOVE`,
/// `DELETE` of a set `DELETE`, `ADD` of a number or set `ADD`, and `ADD` of a list an append.
///
/// # Errors
/// An [`EvalErrorKind::LegacyConstraint`] for an unknown action, else an
/// [`EvalErrorKind::LegacyParameter`]: a missing value for `PUT`/`ADD`, or a value type the
/// action does not take.
pub fn attribute_updates(
    updates: &BTreeMap<String, AttributeValueUpdate>,
) -> Result<Option<Translated<UpdateExpression>>, EvalError> {
    let mut constraints = Constraints::default();
    for (name, update) in updates {
        let member = format!("attributeUpdates.{name}.member.action");
        constraints.one_of(update.action.as_deref(), &member, &ATTRIBUTE_ACTIONS);
    }
    constraints.finish()?;
    let mut builder = Builder::default();
    let mut clauses = Clauses::default();
    for (name, update) in updates {
        let action = update.action.as_deref().unwrap_or("PUT");
        match (action, update.value.as_ref()) {
            ("DELETE", None) => clauses.remove.push(path(name)),
            (_, None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            ("DELETE", Some(value)) => {
                if !is_set(value) {
                    let kind = type_name(value);
                    return Err(invalid(format!(
                        "DELETE action with value is not supported for the type {kind}"
                    )));
                }
                clauses.delete.push(builder.value_action(name, value));
            }
            ("ADD", Some(value)) => builder.add(&mut clauses, name, value)?,
            (_, Some(value)) => {
                let value = builder.value(value);
                clauses.set.push(SetAction { path: path(name), value, span: Span::default() });
            }
        }
    }
    Ok(clauses.finish().map(|tree| builder.finish(tree)))
}

/// Refuses a request that has both legacy parameters (`non_expression`: the names of those
/// present, e.g. `["Expected"]`) and expression parameters (`expression`: e.g.
/// `["ConditionExpression"]`). `KeyConditions` only counts next to a `KeyConditionExpression`:
/// DynamoDB accepts `KeyConditions` with a `FilterExpression` or `ProjectionExpression`. Names
/// are listed in DynamoDB's order, whatever the order given.
///
/// # Errors
/// [`EvalErrorKind::MixedParameters`]: "Can not use both expression and non-expression
/// parameters in the same request: Non-expression parameters: {Expected} Expression parameters:
/// {ConditionExpression}".
pub fn check_mixing(non_expression: &[&str], expression: &[&str]) -> Result<(), EvalError> {
    let key_condition_expression = expression.contains(&"KeyConditionExpression");
    let mut legacy: Vec<&str> = non_expression
        .iter()
        .copied()
        .filter(|p| *p != "KeyConditions" || key_condition_expression)
        .collect();
    let mut modern = expression.to_vec();
    if legacy.is_empty() || modern.is_empty() {
        return Ok(());
    }
    legacy.sort_by_key(|p| NON_EXPRESSION_PARAMETERS.iter().position(|q| q == p));
    modern.sort_by_key(|p| EXPRESSION_PARAMETERS.iter().position(|q| q == p));
    let message = format!(
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        modern.join(", ")
    );
    Err(EvalError { kind: EvalErrorKind::MixedParameters, message })
}

/// A legacy comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl Op {
    const ALL: [Op; 13] = [
        Op::Eq,
        Op::Ne,
        Op::Le,
        Op::Lt,
        Op::Ge,
        Op::Gt,
        Op::NotNull,
        Op::Null,
        Op::Contains,
        Op::NotContains,
        Op::BeginsWith,
        Op::In,
        Op::Between,
    ];

    fn parse(word: &str) -> Option<Op> {
        Self::ALL.into_iter().find(|op| op.name() == word)
    }

    fn name(self) -> &'static str {
        match self {
            Op::Eq => "EQ",
            Op::Ne => "NE",
            Op::Le => "LE",
            Op::Lt => "LT",
            Op::Ge => "GE",
            Op::Gt => "GT",
            Op::NotNull => "NOT_NULL",
            Op::Null => "NULL",
            Op::Contains => "CONTAINS",
            Op::NotContains => "NOT_CONTAINS",
            Op::BeginsWith => "BEGINS_WITH",
            Op::In => "IN",
            Op::Between => "BETWEEN",
        }
    }

    /// Whether `count` values suit the operator.
    fn takes_count(self, count: usize) -> bool {
        match self {
            Op::Null | Op::NotNull => count == 0,
            Op::In => count >= 1,
            Op::Between => count == 2,
            _ => count == 1,
        }
    }

    /// Whether the operator takes values of type `kind` (DynamoDB Local's `isTypeSupported`):
    /// `EQ`/`NE` any type, ordering and `IN` the ordered scalars, `CONTAINS` any scalar.
    fn takes_type(self, kind: &str) -> bool {
        match self {
            Op::Eq | Op::Ne | Op::Null | Op::NotNull => true,
            Op::Le | Op::Lt | Op::Ge | Op::Gt | Op::In | Op::Between => {
                matches!(kind, "S" | "N" | "B")
            }
            Op::Contains | Op::NotContains => matches!(kind, "S" | "N" | "B" | "BOOL" | "NULL"),
            Op::BeginsWith => matches!(kind, "S" | "B"),
        }
    }
}

/// A validated legacy condition on one attribute.
#[derive(Debug, Clone, PartialEq)]
enum Test<'v> {
    /// `EQ`, `NE`, `LT`, `LE`, `GT`, `GE`.
    Compare(Comparator, &'v AttributeValue),
    /// `BETWEEN low high`.
    Between(&'v AttributeValue, &'v AttributeValue),
    /// `IN` (at least one value).
    In(Vec<&'v AttributeValue>),
    /// `NOT_NULL` (true) or `NULL` (false).
    Exists(bool),
    /// `CONTAINS` (true) or `NOT_CONTAINS` (false).
    Contains(bool, &'v AttributeValue),
    /// `BEGINS_WITH`.
    BeginsWith(&'v AttributeValue),
}

impl Test<'_> {
    /// Whether a key condition may use it.
    fn is_indexable(&self) -> bool {
        match self {
            Test::Compare(op, _) => *op != Comparator::Ne,
            Test::Between(..) | Test::BeginsWith(_) => true,
            Test::In(_) | Test::Exists(_) | Test::Contains(..) => false,
        }
    }
}

/// Validates one `Expected` entry (DynamoDB's checks, in DynamoDB's order) and says what it
/// tests.
fn expected_test<'v>(name: &str, entry: &'v ExpectedAttributeValue) -> Result<Test<'v>, EvalError> {
    let value = entry.value.as_ref();
    let list = entry.attribute_value_list.as_deref();
    let word = entry.comparison_operator.as_deref();
    let problem = if entry.exists.is_some() && word.is_some() {
        Some("Exists and ComparisonOperator cannot be used together".to_owned())
    } else if value.is_some() && list.is_some() {
        Some("Value and AttributeValueList cannot be used together".to_owned())
    } else if word.is_none() && list.is_some() {
        Some("AttributeValueList can only be used with a ComparisonOperator".to_owned())
    } else if entry.exists == Some(false) && value.is_some() {
        Some("Value cannot be used when Exists is false".to_owned())
    } else if value.is_none() && list.is_none() {
        match (word, entry.exists) {
            (Some(op), _) if op != "NULL" && op != "NOT_NULL" => Some(format!(
                "Value or AttributeValueList must be used with ComparisonOperator: {op}"
            )),
            (None, None) => Some("Value must be provided when Exists is null".to_owned()),
            (None, Some(true)) => Some("Value must be provided when Exists is true".to_owned()),
            _ => None,
        }
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(invalid(format!("{problem} for Attribute: {name}")));
    }
    let Some(word) = word else {
        return Ok(match value {
            Some(value) => Test::Compare(Comparator::Eq, value),
            None => Test::Exists(false),
        });
    };
    let args = match (value, list) {
        (Some(value), _) => vec![value],
        (None, list) => list.unwrap_or_default().iter().collect(),
    };
    check_arguments(operator(word)?, args)
}

/// Validates one `QueryFilter`/`ScanFilter`/`KeyConditions` condition and says what it tests.
fn condition_test(condition: &LegacyCondition) -> Result<Test<'_>, EvalError> {
    let word = condition.comparison_operator.as_deref().unwrap_or_default();
    let list = condition.attribute_value_list.as_deref().unwrap_or_default();
    check_arguments(operator(word)?, list.iter().collect())
}

/// The operator `word` names; the constraint checks have refused unknown words already.
fn operator(word: &str) -> Result<Op, EvalError> {
    Op::parse(word).ok_or_else(|| refused("Comparison type does not exist in DynamoDB"))
}

/// DynamoDB's checks of an operator's values: their number, each one's type, one type for all,
/// and `BETWEEN` bounds in order.
fn check_arguments(op: Op, args: Vec<&AttributeValue>) -> Result<Test<'_>, EvalError> {
    let name = op.name();
    if !op.takes_count(args.len()) {
        return Err(invalid(format!(
            "Invalid number of argument(s) for the {name} ComparisonOperator"
        )));
    }
    let first = args.first().map(|v| type_name(v));
    for value in &args {
        let kind = type_name(value);
        if !op.takes_type(kind) {
            return Err(invalid(format!(
                "ComparisonOperator {name} is not valid for {kind} AttributeValue type"
            )));
        }
        if Some(kind) != first {
            return Err(invalid("AttributeValues inside AttributeValueList must be of same type"));
        }
    }
    let miscounted =
        || invalid(format!("Invalid number of argument(s) for the {name} ComparisonOperator"));
    Ok(match (op, args.as_slice()) {
        (Op::Null, []) => Test::Exists(false),
        (Op::NotNull, []) => Test::Exists(true),
        (Op::In, [_, ..]) => Test::In(args),
        (Op::Between, [low, high]) => {
            if ordering(low, high) == Some(std::cmp::Ordering::Greater) {
                return Err(refused(
                    "The BETWEEN condition was provided a range where the lower bound is greater \
                     than the upper bound",
                ));
            }
            Test::Between(low, high)
        }
        (Op::Contains, [value]) => Test::Contains(true, value),
        (Op::NotContains, [value]) => Test::Contains(false, value),
        (Op::BeginsWith, [value]) => Test::BeginsWith(value),
        (op, [value]) => Test::Compare(comparator(op).ok_or_else(miscounted)?, value),
        _ => return Err(miscounted()),
    })
}

/// The comparator of an ordering or equality operator.
fn comparator(op: Op) -> Option<Comparator> {
    Some(match op {
        Op::Eq => Comparator::Eq,
        Op::Ne => Comparator::Ne,
        Op::Lt => Comparator::Lt,
        Op::Le => Comparator::Le,
        Op::Gt => Comparator::Gt,
        Op::Ge => Comparator::Ge,
        _ => return None,
    })
}

/// How the conditions of one parameter combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joiner {
    And,
    Or,
}

/// `ConditionalOperator` for a parameter of `count` conditions (its word already checked).
fn joiner(conditional_operator: Option<&str>, count: usize) -> Result<Joiner, EvalError> {
    match conditional_operator {
        None => Ok(Joiner::And),
        Some(_) if count == 0 => {
            Err(refused("ConditionalOperator cannot be used without Filter or Expected"))
        }
        Some(_) if count == 1 => Err(refused(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        )),
        Some("OR") => Ok(Joiner::Or),
        Some(_) => Ok(Joiner::And),
    }
}

/// The conditions joined left to right; `None` for none.
fn join(conditions: Vec<Condition>, joiner: Joiner) -> Option<Condition> {
    conditions.into_iter().reduce(|left, right| {
        let (left, right, span) = (Box::new(left), Box::new(right), Span::default());
        match joiner {
            Joiner::And => Condition::And { left, right, span },
            Joiner::Or => Condition::Or { left, right, span },
        }
    })
}

/// The top-level attribute `name`, literally.
fn path(name: &str) -> Path {
    let element = PathElement::Name { name: Name::Literal(name.to_owned()), span: Span::default() };
    Path { elements: vec![element], span: Span::default() }
}

fn call(function: Function, args: Vec<Operand>) -> Call {
    Call { function, args, span: Span::default() }
}

fn is_set(value: &AttributeValue) -> bool {
    matches!(value, AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_))
}

/// Builds trees, numbering the value placeholders.
#[derive(Debug, Default)]
struct Builder {
    values: Item,
}

impl Builder {
    fn value_ref(&mut self, value: &AttributeValue) -> ValueRef {
        let name = format!(":l{}", self.values.len());
        self.values.insert(name.clone(), value.clone());
        ValueRef { name, span: Span::default() }
    }

    fn value(&mut self, value: &AttributeValue) -> Operand {
        Operand::Value(self.value_ref(value))
    }

    fn value_action(&mut self, name: &str, value: &AttributeValue) -> ValueAction {
        ValueAction { path: path(name), value: self.value_ref(value), span: Span::default() }
    }

    fn finish<T>(self, tree: T) -> Translated<T> {
        Translated { tree, names: BTreeMap::new(), values: self.values }
    }

    /// The condition `test` on the top-level attribute `name`.
    fn condition(&mut self, name: &str, test: Test<'_>) -> Condition {
        let attribute = || Operand::Path(path(name));
        let span = Span::default();
        match test {
            Test::Compare(op, value) => {
                Condition::Compare { op, left: attribute(), right: self.value(value), span }
            }
            Test::Between(low, high) => {
                let (low, high) = (self.value(low), self.value(high));
                Condition::Between { operand: attribute(), low, high, span }
            }
            Test::In(values) => {
                // INVARIANT: an `In` node holds at most IN_OPERANDS_MAX candidates; a longer
                // legacy list becomes an `OR` of `IN`s.
                let nodes = values
                    .chunks(IN_OPERANDS_MAX)
                    .map(|chunk| {
                        let list = chunk.iter().map(|v| self.value(v)).collect();
                        Condition::In { operand: attribute(), list, span }
                    })
                    .collect();
                join(nodes, Joiner::Or).unwrap_or_else(|| exists(name, false))
            }
            Test::Exists(present) => exists(name, present),
            Test::Contains(true, value) => {
                Condition::Call(call(Function::Contains, vec![attribute(), self.value(value)]))
            }
            Test::Contains(false, value) => {
                let contains = call(Function::Contains, vec![attribute(), self.value(value)]);
                let not = Condition::Not { inner: Box::new(Condition::Call(contains)), span };
                let both = vec![exists(name, true), not];
                join(both, Joiner::And).unwrap_or_else(|| exists(name, true))
            }
            Test::BeginsWith(value) => {
                Condition::Call(call(Function::BeginsWith, vec![attribute(), self.value(value)]))
            }
        }
    }

    /// `ADD` of `value` to `name`: numbers and sets to the `ADD` clause, lists appended.
    fn add(
        &mut self,
        clauses: &mut Clauses,
        name: &str,
        value: &AttributeValue,
    ) -> Result<(), EvalError> {
        match value {
            AttributeValue::N(_)
            | AttributeValue::Ss(_)
            | AttributeValue::Ns(_)
            | AttributeValue::Bs(_) => clauses.add.push(self.value_action(name, value)),
            AttributeValue::L(_) => {
                let empty = self.value(&AttributeValue::L(Vec::new()));
                let existing = call(Function::IfNotExists, vec![Operand::Path(path(name)), empty]);
                let appended = Operand::Call(call(
                    Function::ListAppend,
                    vec![Operand::Call(existing), self.value(value)],
                ));
                let action = SetAction { path: path(name), value: appended, span: Span::default() };
                clauses.set.push(action);
            }
            other => {
                let kind = type_name(other);
                return Err(invalid(format!("ADD action is not supported for the type {kind}")));
            }
        }
        Ok(())
    }
}

/// `attribute_exists(name)` (`present`) or `attribute_not_exists(name)`.
fn exists(name: &str, present: bool) -> Condition {
    let function = if present { Function::AttributeExists } else { Function::AttributeNotExists };
    Condition::Call(call(function, vec![Operand::Path(path(name))]))
}

/// The actions of an update expression, by clause.
#[derive(Debug, Default)]
struct Clauses {
    set: Vec<SetAction>,
    remove: Vec<Path>,
    add: Vec<ValueAction>,
    delete: Vec<ValueAction>,
}

impl Clauses {
    /// The update of the non-empty clauses (`SET`, `REMOVE`, `ADD`, `DELETE`), if any.
    fn finish(self) -> Option<UpdateExpression> {
        let span = Span::default();
        let mut clauses = Vec::new();
        if !self.set.is_empty() {
            clauses.push(UpdateClause::Set { actions: self.set, span });
        }
        if !self.remove.is_empty() {
            clauses.push(UpdateClause::Remove { paths: self.remove, span });
        }
        if !self.add.is_empty() {
            clauses.push(UpdateClause::Add { actions: self.add, span });
        }
        if !self.delete.is_empty() {
            clauses.push(UpdateClause::Delete { actions: self.delete, span });
        }
        (!clauses.is_empty()).then_some(UpdateExpression { clauses, span })
    }
}

/// "One or more parameter values were invalid: {detail}".
fn invalid(detail: impl Display) -> EvalError {
    let message = format!("One or more parameter values were invalid: {detail}");
    EvalError { kind: EvalErrorKind::LegacyParameter, message }
}

/// A legacy-parameter error whose message has no prefix.
fn refused(message: &str) -> EvalError {
    EvalError { kind: EvalErrorKind::LegacyParameter, message: message.to_owned() }
}

/// Constraint failures of legacy members, reported together as DynamoDB's request validation
/// does: "1 validation error detected: Value 'X' at 'member' failed to satisfy constraint: …".
#[derive(Debug, Default)]
struct Constraints {
    failures: Vec<String>,
}

impl Constraints {
    fn fail(&mut self, value: Option<&str>, member: &str, rule: &str) {
        let shown = value.map_or_else(|| "null".to_owned(), |v| format!("'{v}'"));
        self.failures.push(format!(
            "Value {shown} at '{member}' failed to satisfy constraint: Member must {rule}"
        ));
    }

    fn one_of(&mut self, value: Option<&str>, member: &str, allowed: &[&str]) {
        if let Some(value) = value {
            if !allowed.contains(&value) {
                let rule = format!("satisfy enum value set: [{}]", allowed.join(", "));
                self.fail(Some(value), member, &rule);
            }
        }
    }

    /// A required `ComparisonOperator`.
    fn required_one_of(&mut self, value: Option<&str>, member: &str) {
        match value {
            None => self.fail(None, member, "not be null"),
            Some(_) => self.one_of(value, member, &COMPARISON_OPERATORS),
        }
    }

    fn finish(self) -> Result<(), EvalError> {
        let count = self.failures.len();
        let message = match count {
            0 => return Ok(()),
            1 => format!("1 validation error detected: {}", self.failures.join("; ")),
            n => format!("{n} validation errors detected: {}", self.failures.join("; ")),
        };
        Err(EvalError { kind: EvalErrorKind::LegacyConstraint, message })
    }
}
