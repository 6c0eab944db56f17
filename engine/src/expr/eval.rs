//! Evaluating conditions (`ConditionExpression`, `FilterExpression`) on an item, with
//! DynamoDB's semantics (DG: Comparison operator and function reference):
//!
//! - `=` and `<>` compare values of any types: same type and equal, where sets ignore order and
//!   numbers compare numerically; `<>` is the negation, so it is true when an operand is missing
//!   or the types differ;
//! - `<`, `<=`, `>`, `>=` and `BETWEEN` order `S` by UTF-8 bytes, `N` numerically and `B` by
//!   unsigned bytes; a missing operand or operands of different or unordered types make them
//!   false;
//! - `IN` is true when the operand equals any candidate;
//! - `size` is a string's length in UTF-8 bytes, a binary's length in bytes and a set's, list's
//!   or map's element count; it has no value for other types or a missing attribute.
#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::{Call, Comparator, Condition, Function, Operand, Path, PathElement};
use super::error::ExpressionKind;
use super::resolve::{Bindings, EvalError, EvalErrorKind};
use crate::model::{AttributeValue, Item, Number};

/// The type names `attribute_type` accepts, in DynamoDB's order for its message.
const TYPE_NAMES: [&str; 10] = ["B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M"];

/// One resolved step of a document path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'p> {
    /// A top-level attribute or map member.
    Name(&'p str),
    /// A list element.
    Index(u32),
}

/// The value at the resolved path `steps` in `item`, or `None` when a step is missing, indexes
/// a non-list or names a member of a non-map.
#[must_use]
pub fn get_path<'i>(item: &'i Item, steps: &[Step<'_>]) -> Option<&'i AttributeValue> {
    let (first, rest) = steps.split_first()?;
    let Step::Name(name) = first else { return None };
    rest.iter().try_fold(item.get(*name)?, |value, step| match (step, value) {
        (Step::Name(name), AttributeValue::M(map)) => map.get(*name),
        (Step::Index(index), AttributeValue::L(list)) => list.get(usize::try_from(*index).ok()?),
        _ => None,
    })
}

/// The value at `path` in `item`, its `#name` placeholders resolved by `bindings`.
///
/// # Errors
/// An undefined name placeholder.
pub fn eval_path<'i>(
    path: &Path,
    item: &'i Item,
    bindings: Bindings<'_>,
    kind: ExpressionKind,
) -> Result<Option<&'i AttributeValue>, EvalError> {
    let steps = path
        .elements
        .iter()
        .map(|element| match element {
            PathElement::Name { name, .. } => bindings.name(name, kind).map(Step::Name),
            PathElement::Index { index, .. } => Ok(Step::Index(*index)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(get_path(item, &steps))
}

/// Whether the condition `condition` (of kind `kind`) holds for `item`.
///
/// Call [`Placeholders::check_condition`](super::Placeholders::check_condition) first: it
/// applies the checks of values DynamoDB makes before looking at any item.
///
/// # Errors
/// An undefined placeholder.
pub fn evaluate(
    condition: &Condition,
    item: &Item,
    bindings: Bindings<'_>,
    kind: ExpressionKind,
) -> Result<bool, EvalError> {
    let cx = Context { item, bindings, kind };
    cx.condition(condition)
}

/// What evaluation reads.
#[derive(Clone, Copy)]
struct Context<'a> {
    item: &'a Item,
    bindings: Bindings<'a>,
    kind: ExpressionKind,
}

type Value<'v> = Option<Cow<'v, AttributeValue>>;

impl<'a> Context<'a> {
    fn condition(&self, condition: &Condition) -> Result<bool, EvalError> {
        Ok(match condition {
            Condition::Compare { op, left, right, .. } => {
                compare(*op, self.operand(left)?.as_deref(), self.operand(right)?.as_deref())
            }
            Condition::Between { operand, low, high, .. } => {
                let value = self.operand(operand)?;
                let (low, high) = (self.operand(low)?, self.operand(high)?);
                compare(Comparator::Ge, value.as_deref(), low.as_deref())
                    && compare(Comparator::Le, value.as_deref(), high.as_deref())
            }
            Condition::In { operand, list, .. } => {
                let value = self.operand(operand)?;
                for candidate in list {
                    let candidate = self.operand(candidate)?;
                    if compare(Comparator::Eq, value.as_deref(), candidate.as_deref()) {
                        return Ok(true);
                    }
                }
                false
            }
            Condition::Call(call) => self.function(call)?,
            Condition::Not { inner, .. } => !self.condition(inner)?,
            Condition::And { left, right, .. } => self.condition(left)? && self.condition(right)?,
            Condition::Or { left, right, .. } => self.condition(left)? || self.condition(right)?,
        })
    }

    /// An operand's value; `None` for a missing attribute or a function without a result.
    fn operand(&self, operand: &Operand) -> Result<Value<'a>, EvalError> {
        Ok(match operand {
            Operand::Path(path) => {
                eval_path(path, self.item, self.bindings, self.kind)?.map(Cow::Borrowed)
            }
            Operand::Value(value) => Some(Cow::Borrowed(self.bindings.value(value, self.kind)?)),
            Operand::Call(call) if call.function == Function::Size => {
                let arg = match call.args.first() {
                    Some(arg) => self.operand(arg)?,
                    None => None,
                };
                arg.and_then(|v| size(&v)).map(Cow::Owned)
            }
            // Update-only operands never reach a parsed condition.
            Operand::Call(_) | Operand::Arithmetic { .. } => None,
        })
    }

    fn function(&self, call: &Call) -> Result<bool, EvalError> {
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(self.operand(arg)?);
        }
        let first = args.first().and_then(Option::as_deref);
        let second = args.get(1).and_then(Option::as_deref);
        Ok(match call.function {
            Function::AttributeExists => first.is_some(),
            Function::AttributeNotExists => first.is_none(),
            Function::AttributeType => match (first, second) {
                (Some(value), Some(AttributeValue::S(name))) => type_name(value) == name,
                _ => false,
            },
            Function::BeginsWith => begins_with(first, second),
            Function::Contains => contains(first, second),
            Function::Size | Function::IfNotExists | Function::ListAppend => false,
        })
    }
}

/// The type name of a value, as `attribute_type` and DynamoDB's messages spell it.
#[must_use]
pub fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
    }
}

/// The order of two values of one ordered type (`S`, `N`, `B`); `None` otherwise.
#[must_use]
pub fn ordering(left: &AttributeValue, right: &AttributeValue) -> Option<Ordering> {
    match (left, right) {
        (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
        (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Whether two values are equal as DynamoDB's `=` sees them: same type, numbers numerically,
/// sets regardless of order, lists and maps element by element.
#[must_use]
pub fn values_equal(left: &AttributeValue, right: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (left, right) {
        (V::L(a), V::L(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| values_equal(x, y))
        }
        (V::M(a), V::M(b)) => {
            a.len() == b.len()
                && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| values_equal(x, y)))
        }
        (V::Ss(a), V::Ss(b)) => same_members(a, b),
        (V::Ns(a), V::Ns(b)) => same_members(a, b),
        (V::Bs(a), V::Bs(b)) => same_members(a, b),
        _ => left == right,
    }
}

/// Whether two sets (without duplicates) hold the same members.
fn same_members<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// `left <op> right`; a missing operand makes every comparator false but `<>`.
fn compare(op: Comparator, left: Option<&AttributeValue>, right: Option<&AttributeValue>) -> bool {
    let (Some(left), Some(right)) = (left, right) else {
        return op == Comparator::Ne;
    };
    match op {
        Comparator::Eq => values_equal(left, right),
        Comparator::Ne => !values_equal(left, right),
        Comparator::Lt => ordering(left, right) == Some(Ordering::Less),
        Comparator::Le => ordering(left, right).is_some_and(Ordering::is_le),
        Comparator::Gt => ordering(left, right) == Some(Ordering::Greater),
        Comparator::Ge => ordering(left, right).is_some_and(Ordering::is_ge),
    }
}

/// `begins_with(value, prefix)`: a string prefix of a string, or a byte prefix of a binary.
fn begins_with(value: Option<&AttributeValue>, prefix: Option<&AttributeValue>) -> bool {
    match (value, prefix) {
        (Some(AttributeValue::S(s)), Some(AttributeValue::S(p))) => s.starts_with(p.as_str()),
        (Some(AttributeValue::B(b)), Some(AttributeValue::B(p))) => b.starts_with(p),
        _ => false,
    }
}

/// `contains(value, operand)`: a substring of a string, a subsequence of a binary, a member of
/// a set, or an element of a list.
fn contains(value: Option<&AttributeValue>, operand: Option<&AttributeValue>) -> bool {
    use AttributeValue as V;
    let (Some(value), Some(operand)) = (value, operand) else {
        return false;
    };
    match (value, operand) {
        (V::S(s), V::S(part)) => s.contains(part.as_str()),
        (V::B(b), V::B(part)) => {
            part.is_empty() || b.windows(part.len()).any(|window| window == part.as_slice())
        }
        (V::Ss(set), V::S(member)) => set.contains(member),
        (V::Ns(set), V::N(member)) => set.contains(member),
        (V::Bs(set), V::B(member)) => set.contains(member),
        (V::L(list), _) => list.iter().any(|element| values_equal(element, operand)),
        _ => false,
    }
}

/// `size(value)`, as a number; `None` for types without a size.
fn size(value: &AttributeValue) -> Option<AttributeValue> {
    let count = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(set) => set.len(),
        AttributeValue::Ns(set) => set.len(),
        AttributeValue::Bs(set) => set.len(),
        AttributeValue::L(list) => list.len(),
        AttributeValue::M(map) => map.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    };
    Number::parse(&count.to_string()).ok().map(AttributeValue::N)
}

/// The checks of a function's arguments DynamoDB makes before reading any item:
/// `attribute_type`'s type name, and the operand types of `attribute_type`, `begins_with` and
/// `size` where the type is known without the item (a value, or `size`'s number).
pub(crate) fn check_call_values(
    call: &Call,
    bindings: Bindings<'_>,
    kind: ExpressionKind,
) -> Result<(), EvalError> {
    let mut types = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        types.push(static_type(arg, bindings, kind)?);
    }
    let refused = match call.function {
        Function::AttributeType => match types.get(1).copied().flatten() {
            Some((_, Some(AttributeValue::S(name)))) => {
                return check_type_name(name, kind);
            }
            Some((type_name, _)) => Some(type_name),
            None => Some("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"),
        },
        Function::BeginsWith => {
            types.iter().flatten().map(|(t, _)| *t).find(|t| !matches!(*t, "S" | "B"))
        }
        Function::Size => {
            types.iter().flatten().map(|(t, _)| *t).find(|t| matches!(*t, "N" | "BOOL" | "NULL"))
        }
        _ => None,
    };
    match refused {
        Some(operand_type) => {
            let detail = format!(
                "Incorrect operand type for operator or function; operator or function: {}, \
                 operand type: {operand_type}",
                call.function.name()
            );
            Err(EvalError::invalid(kind, EvalErrorKind::IncorrectOperandType, &detail))
        }
        None => Ok(()),
    }
}

/// The type of an operand known before reading the item, with the value when it is one:
/// a value's own type, or `N` for `size(…)`.
fn static_type<'b>(
    operand: &Operand,
    bindings: Bindings<'b>,
    kind: ExpressionKind,
) -> Result<Option<(&'static str, Option<&'b AttributeValue>)>, EvalError> {
    Ok(match operand {
        Operand::Value(value) => {
            let value = bindings.value(value, kind)?;
            Some((type_name(value), Some(value)))
        }
        Operand::Call(call) if call.function == Function::Size => Some(("N", None)),
        _ => None,
    })
}

/// Refuses an `attribute_type` type name DynamoDB does not have.
fn check_type_name(name: &str, kind: ExpressionKind) -> Result<(), EvalError> {
    if TYPE_NAMES.contains(&name) {
        return Ok(());
    }
    let detail = format!(
        "Invalid attribute type name found; type: {name}, valid types: {{{}}}",
        TYPE_NAMES.join(",")
    );
    Err(EvalError::invalid(kind, EvalErrorKind::InvalidTypeName, &detail))
}
