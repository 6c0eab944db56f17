//! The in-memory copy-on-write B+-tree that a shard uses as its *live tree* (no I/O).
//!
//! A [`Tree`] is an immutable snapshot: cloning it is O(1) and a clone never changes. A
//! [`TreeMut`] is its writable twin: writes copy the nodes on their path, except nodes that this
//! `TreeMut` already owns alone, which it mutates in place; [`TreeMut::freeze`] seals it back into
//! a `Tree`. Keys are ordered by plain byte comparison.
//!
//! Invariants (checked by `check_invariants` in tests and under the `verify` feature):
//! - keys in each node are strictly increasing; every key in an internal node's child `i` lies in
//!   `[keys[i - 1], keys[i])` (a separator is at most the smallest key to its right);
//! - all leaves are at the same depth; an internal node has one more child than separators;
//! - a non-root node holds between [`NODE_ENTRIES_MIN`] and [`NODE_ENTRIES_MAX`] entries (leaf) or
//!   children (internal); a root leaf is non-empty, a root internal node has at least two
//!   children; an empty tree has no root;
//! - the stored length equals the number of leaf entries.
//!
//! Modules: `node` (node layout, split and merge), `search` (`Tree` and point lookups), `iter`
//! (double-ended range iterator), `mutate` (`TreeMut`: insert, remove, rebalance), `verify`
//! (whole-tree checks).

mod iter;
mod mutate;
mod node;
mod search;
#[cfg(any(test, feature = "verify"))]
mod verify;

#[cfg(test)]
mod tests;

pub use iter::Range;
pub use mutate::TreeMut;
pub use node::{Key, Value, NODE_ENTRIES_MAX, NODE_ENTRIES_MIN};
pub use search::Tree;
