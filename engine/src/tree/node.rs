//! Node layout of the copy-on-write B+-tree, and the two structural edits: split and merge.

use std::sync::Arc;

/// A key: an immutable byte string, ordered by plain byte comparison.
///
/// `Arc<[u8]>` rather than `Vec<u8>`: copying a node on a write path clones every key and value
/// in it, and with `Arc` that is a reference-count increment instead of a copy of up to 400 KB of
/// item bytes; snapshots and frozen trees share the bytes too.
pub type Key = Arc<[u8]>;

/// A value: an immutable byte string, shared like [`Key`].
pub type Value = Arc<[u8]>;

/// Most entries in a leaf, and most children of an internal node.
///
/// 32 keeps a path copy cheap (a node copy clones at most 64 fat pointers, about 1 KiB) and
/// binary search within a node to five comparisons, while a million keys still fit in a tree of
/// height five even at minimum occupancy.
pub const NODE_ENTRIES_MAX: usize = 32;

/// Fewest entries (leaf) or children (internal) in a non-root node.
pub const NODE_ENTRIES_MIN: usize = NODE_ENTRIES_MAX / 2;

// A node that overflows by one splits into two halves of at least the minimum (the left half,
// `size / 2`, is the smaller).
const OVERFLOW_SIZE: usize = NODE_ENTRIES_MAX + 1;
const _: () = assert!(OVERFLOW_SIZE / 2 >= NODE_ENTRIES_MIN);
// An underfull node merged with a minimal sibling fits in one node.
const _: () = assert!(2 * NODE_ENTRIES_MIN - 1 <= NODE_ENTRIES_MAX);
// An internal node always has a sibling to rebalance with and a middle to split at.
const _: () = assert!(NODE_ENTRIES_MIN >= 2);

/// A tree node. Immutable once shared through an `Arc`; `Clone` backs `Arc::make_mut`.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Leaf(Leaf),
    Internal(Internal),
}

/// A leaf: `keys[i]` maps to `values[i]`; keys strictly increasing.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    pub(crate) keys: Vec<Key>,
    pub(crate) values: Vec<Value>,
}

/// An internal node: `children.len() == keys.len() + 1`; keys of `children[i]` lie in
/// `[keys[i - 1], keys[i])`.
#[derive(Clone, Debug)]
pub(crate) struct Internal {
    pub(crate) keys: Vec<Key>,
    pub(crate) children: Vec<Arc<Node>>,
}

impl Leaf {
    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted.
    pub(crate) fn find(&self, key: &[u8]) -> Result<usize, usize> {
        self.keys.binary_search_by(|probe| probe.as_ref().cmp(key))
    }
}

impl Internal {
    /// Index of the child whose key span holds `key`: the number of separators `<= key`.
    pub(crate) fn child_index(&self, key: &[u8]) -> usize {
        self.keys.partition_point(|separator| separator.as_ref() <= key)
    }
}

impl Node {
    /// Entries of a leaf, or children of an internal node.
    pub(crate) fn size(&self) -> usize {
        match self {
            Node::Leaf(leaf) => leaf.keys.len(),
            Node::Internal(internal) => internal.children.len(),
        }
    }

    /// Moves the upper half of `self` into a new right sibling; returns the separator between
    /// them (the smallest key of the right sibling's span) and the sibling.
    pub(crate) fn split(&mut self) -> (Key, Node) {
        assert!(self.size() >= 2, "only a node with two or more entries can split");
        let mid = self.size() / 2;
        match self {
            Node::Leaf(leaf) => {
                let keys = leaf.keys.split_off(mid);
                let values = leaf.values.split_off(mid);
                let separator =
                    Arc::clone(keys.first().expect("right half of a split is non-empty"));
                (separator, Node::Leaf(Leaf { keys, values }))
            }
            Node::Internal(internal) => {
                let children = internal.children.split_off(mid);
                let keys = internal.keys.split_off(mid);
                // The left half keeps `mid` children, so `mid - 1` separators; the last one left
                // over moves up to the parent.
                let separator = internal.keys.pop().expect("mid >= 1 leaves a separator to lift");
                (separator, Node::Internal(Internal { keys, children }))
            }
        }
    }

    /// Appends `right`, the next sibling, to `self`; `separator` is the parent's key between them.
    pub(crate) fn absorb(&mut self, separator: Key, right: Node) {
        match (self, right) {
            (Node::Leaf(left), Node::Leaf(right)) => {
                // Leaves need no separator: their keys alone order them.
                left.keys.extend(right.keys);
                left.values.extend(right.values);
            }
            (Node::Internal(left), Node::Internal(right)) => {
                left.keys.push(separator);
                left.keys.extend(right.keys);
                left.children.extend(right.children);
            }
            _ => panic!("siblings are at the same depth, so both are leaves or both internal"),
        }
    }
}
