//! Resolved document paths: a parsed [`Path`] with its `#name` placeholders replaced by the
//! names they stand for, owned, so that it outlives the request's maps (for `ReturnValues` and
//! projections), and DynamoDB's check that the paths of one expression neither overlap nor
//! conflict.
//!
//! DynamoDB compares the paths of an expression pairwise, each against every earlier one
//! (dynalite's `updateParser.pegjs` and `projectionParser.pegjs`, which reproduce the service's
//! messages): walking both from the start, a position where one has a name and the other an
//! index is a *conflict* (`a.b` and `a[1]`); a path that matches the other all along their
//! common length is an *overlap* (`a` and `a.b`, or `a` twice). An overlap is reported in
//! preference to a conflict. Paths print as DynamoDB prints them: `[a, b, [1]]`.
#![deny(clippy::indexing_slicing)]

use std::fmt;

use super::ast::{Path, PathElement};
use super::error::ExpressionKind;
use super::eval::Step;
use super::resolve::{Bindings, EvalError, EvalErrorKind};

/// One step of a resolved document path.
///
/// The derived order (names before indexes, names by UTF-8 bytes, indexes numerically) orders
/// the paths of one expression so that list elements come in index order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// A top-level attribute or a map member.
    Name(String),
    /// A list element.
    Index(u32),
}

/// A resolved document path; INVARIANT (when made by [`resolve_path`]): non-empty and starting
/// with a name.
pub type DocPath = Vec<PathStep>;

/// The path `path` with its placeholders resolved by `bindings`.
///
/// # Errors
/// [`EvalErrorKind::UndefinedName`] for a `#name` missing from `ExpressionAttributeNames`.
pub fn resolve_path(
    path: &Path,
    bindings: Bindings<'_>,
    kind: ExpressionKind,
) -> Result<DocPath, EvalError> {
    path.elements
        .iter()
        .map(|element| match element {
            PathElement::Name { name, .. } => {
                Ok(PathStep::Name(bindings.name(name, kind)?.to_owned()))
            }
            PathElement::Index { index, .. } => Ok(PathStep::Index(*index)),
        })
        .collect()
}

/// The borrowed steps of `path`, for [`get_path`](super::get_path).
#[must_use]
pub fn steps(path: &[PathStep]) -> Vec<Step<'_>> {
    path.iter()
        .map(|step| match step {
            PathStep::Name(name) => Step::Name(name),
            PathStep::Index(index) => Step::Index(*index),
        })
        .collect()
}

/// Refuses two paths of one expression that overlap or conflict, comparing each path with
/// every earlier one; the first overlap wins over any conflict, else the first conflict.
///
/// # Errors
/// [`EvalErrorKind::PathOverlap`]: "Invalid UpdateExpression: Two document paths overlap with
/// each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]";
/// [`EvalErrorKind::PathConflict`]: "… Two document paths conflict with each other; …".
pub fn check_overlaps(paths: &[DocPath], kind: ExpressionKind) -> Result<(), EvalError> {
    let mut conflict: Option<(&DocPath, &DocPath)> = None;
    for (i, later) in paths.iter().enumerate() {
        for earlier in paths.iter().take(i) {
            match relation(earlier, later) {
                Relation::Overlap => {
                    return Err(pair_error(kind, EvalErrorKind::PathOverlap, earlier, later));
                }
                Relation::Conflict => {
                    conflict = conflict.or(Some((earlier, later)));
                }
                Relation::Disjoint => {}
            }
        }
    }
    match conflict {
        Some((one, two)) => Err(pair_error(kind, EvalErrorKind::PathConflict, one, two)),
        None => Ok(()),
    }
}

/// How two paths of one expression relate.
enum Relation {
    /// They part at a name or an index: independent.
    Disjoint,
    /// One is a prefix of the other, or they are the same.
    Overlap,
    /// At some position one has a name where the other has an index.
    Conflict,
}

fn relation(one: &[PathStep], two: &[PathStep]) -> Relation {
    for (a, b) in one.iter().zip(two) {
        match (a, b) {
            (PathStep::Name(x), PathStep::Name(y)) if x != y => return Relation::Disjoint,
            (PathStep::Index(x), PathStep::Index(y)) if x != y => return Relation::Disjoint,
            (PathStep::Name(_), PathStep::Index(_)) | (PathStep::Index(_), PathStep::Name(_)) => {
                return Relation::Conflict;
            }
            _ => {}
        }
    }
    Relation::Overlap
}

fn pair_error(
    kind: ExpressionKind,
    class: EvalErrorKind,
    one: &[PathStep],
    two: &[PathStep],
) -> EvalError {
    let verb = if class == EvalErrorKind::PathOverlap { "overlap" } else { "conflict" };
    let detail = format!(
        "Two document paths {verb} with each other; must remove or rewrite one of these paths; \
         path one: {}, path two: {}",
        DisplayPath(one),
        DisplayPath(two)
    );
    EvalError::invalid(kind, class, &detail)
}

/// Prints a path as DynamoDB's messages do: `[a, b, [1]]`.
#[derive(Debug, Clone, Copy)]
pub struct DisplayPath<'p>(pub &'p [PathStep]);

impl fmt::Display for DisplayPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match step {
                PathStep::Name(name) => f.write_str(name)?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        f.write_str("]")
    }
}
