//! [`Tree`], the immutable snapshot, and point lookups.

use std::ops::Bound;
use std::sync::Arc;

use super::iter::Range;
use super::mutate::TreeMut;
use super::node::{Node, Value};

/// An immutable snapshot of a copy-on-write B+-tree of byte-string keys and values.
///
/// Cloning is O(1) (one reference-count increment) and a clone is never affected by later writes
/// made through a [`TreeMut`].
///
/// # Concurrency
///
/// `Send + Sync`: any number of threads may read one `Tree` or its clones at once.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    pub(super) root: Option<Arc<Node>>,
    pub(super) len: usize,
}

impl Tree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value stored under `key`, if any.
    #[must_use]
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        get(self.root.as_ref(), key)
    }

    /// Entries with keys between `start` and `end`, in key order; iterate from either end.
    ///
    /// An empty or inverted range yields nothing (it does not panic).
    #[must_use]
    pub fn range(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Range<'_> {
        Range::new(self.root.as_deref(), start, end)
    }

    /// Entries with keys at or after `key`, in key order (also iterable from the back).
    #[must_use]
    pub fn seek(&self, key: &[u8]) -> Range<'_> {
        self.range(Bound::Included(key), Bound::Unbounded)
    }

    /// All entries in key order.
    #[must_use]
    pub fn iter(&self) -> Range<'_> {
        self.range(Bound::Unbounded, Bound::Unbounded)
    }

    /// A writable twin that starts from this snapshot; this snapshot stays unchanged.
    #[must_use]
    pub fn to_mut(&self) -> TreeMut {
        TreeMut::from_parts(self.root.clone(), self.len)
    }

    /// The root node (test helper for sharing checks).
    #[cfg(test)]
    pub(crate) fn root(&self) -> Option<&Arc<Node>> {
        self.root.as_ref()
    }
}

impl<'a> IntoIterator for &'a Tree {
    type Item = (&'a super::Key, &'a Value);
    type IntoIter = Range<'a>;

    fn into_iter(self) -> Range<'a> {
        self.iter()
    }
}

/// Looks `key` up in the tree under `root`.
pub(super) fn get<'a>(root: Option<&'a Arc<Node>>, key: &[u8]) -> Option<&'a Value> {
    let mut node: &Node = root?;
    loop {
        match node {
            Node::Internal(internal) => node = &internal.children[internal.child_index(key)],
            Node::Leaf(leaf) => return leaf.find(key).ok().map(|index| &leaf.values[index]),
        }
    }
}
