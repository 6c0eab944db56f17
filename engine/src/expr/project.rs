//! `ProjectionExpression`: the part of an item that a list of document paths selects (DG:
//! Projection expressions; Accessing item attributes).
//!
//! A top-level name copies the attribute; `a.b` yields `{a: {b: …}}`; list elements `a[1]`,
//! `a[3]` yield a list holding just those elements, in index order, without gaps; a path that
//! does not resolve on the item is skipped; paths into the same map or list merge. The paths of
//! one projection must not overlap or conflict ([`resolve_projection`]).
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use super::ast::Projection;
use super::error::ExpressionKind;
use super::eval::get_path;
use super::path::{check_overlaps, resolve_path, steps, DocPath, PathStep};
use super::resolve::{Bindings, EvalError};
use crate::model::{AttributeValue, Item};

/// The resolved paths of a projection, checked for overlaps and conflicts.
///
/// # Errors
/// An undefined `#name`, or two paths that overlap or conflict ("Invalid
/// ProjectionExpression: Two document paths overlap with each other; …").
pub fn resolve_projection(
    projection: &Projection,
    bindings: Bindings<'_>,
) -> Result<Vec<DocPath>, EvalError> {
    let kind = ExpressionKind::Projection;
    let paths = projection
        .paths
        .iter()
        .map(|path| resolve_path(path, bindings, kind))
        .collect::<Result<Vec<_>, _>>()?;
    check_overlaps(&paths, kind)?;
    Ok(paths)
}

/// The part of `item` that `paths` select, with DynamoDB's projection semantics (module docs).
#[must_use]
pub fn project(item: &Item, paths: &[DocPath]) -> Item {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for path in paths {
        let Some(value) = get_path(item, &steps(path)) else { continue };
        let Some((PathStep::Name(first), rest)) = path.split_first() else { continue };
        root.entry(first.clone()).or_insert(Node::Empty).insert(rest, value);
    }
    root.into_iter().map(|(name, node)| (name, node.into_value())).collect()
}

/// The selected part of one value, built path by path.
enum Node {
    /// Not yet given a shape (a fresh entry).
    Empty,
    /// The whole value is selected.
    Whole(AttributeValue),
    /// Some members of a map.
    Map(BTreeMap<String, Node>),
    /// Some elements of a list, by index in the item.
    List(BTreeMap<u32, Node>),
}

impl Node {
    /// Selects `value`, found at `rest` below this node.
    fn insert(&mut self, rest: &[PathStep], value: &AttributeValue) {
        let Some((step, deeper)) = rest.split_first() else {
            // The whole value: it includes anything selected below it already.
            *self = Node::Whole(value.clone());
            return;
        };
        match (&mut *self, step) {
            (Node::Whole(_), _) => {} // already selected in full (a duplicate path)
            (Node::Empty, PathStep::Name(_)) => *self = Node::Map(BTreeMap::new()),
            (Node::Empty, PathStep::Index(_)) => *self = Node::List(BTreeMap::new()),
            _ => {}
        }
        match (self, step) {
            (Node::Map(members), PathStep::Name(name)) => {
                members.entry(name.clone()).or_insert(Node::Empty).insert(deeper, value);
            }
            (Node::List(elements), PathStep::Index(index)) => {
                elements.entry(*index).or_insert(Node::Empty).insert(deeper, value);
            }
            // A value is a map or a list, never both, so two paths that both resolve on one
            // item cannot step into it both ways.
            _ => {}
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            Node::Whole(value) => value,
            Node::Map(members) => AttributeValue::M(
                members.into_iter().map(|(name, node)| (name, node.into_value())).collect(),
            ),
            Node::List(elements) => {
                AttributeValue::L(elements.into_values().map(Node::into_value).collect())
            }
            // Only made by `insert`, which always gives the entry a shape.
            Node::Empty => AttributeValue::M(BTreeMap::new()),
        }
    }
}
