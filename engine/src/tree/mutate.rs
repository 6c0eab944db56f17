//! [`TreeMut`]: the writable twin of [`Tree`]; insert, remove and rebalancing by path copying.

use std::mem;
use std::sync::Arc;

use super::node::{Internal, Key, Keys, Leaf, Node, Value, NODE_ENTRIES_MAX, NODE_ENTRIES_MIN};
use super::search::{self, Tree};

/// A writable copy-on-write B+-tree, started from a [`Tree`] snapshot and sealed by
/// [`freeze`](Self::freeze).
///
/// A write copies the nodes on its root-to-leaf path that are shared (with a snapshot or another
/// tree) and mutates in place the nodes this `TreeMut` owns alone, which includes every node it
/// already copied: a batch of k writes costs about k leaf copies plus the shared upper nodes once,
/// not k times the height.
///
/// # Concurrency
///
/// One writer owns a `TreeMut`; readers use snapshots taken with [`snapshot`](Self::snapshot) or
/// [`freeze`](Self::freeze).
#[derive(Debug, Default)]
pub struct TreeMut {
    root: Option<Arc<Node>>,
    len: usize,
}

impl TreeMut {
    /// An empty writable tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn from_parts(root: Option<Arc<Node>>, len: usize) -> Self {
        Self { root, len }
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

    /// The value stored under `key`, if any, including this tree's own writes.
    #[must_use]
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        search::get(self.root.as_ref(), key)
    }

    /// An O(1) snapshot of the current contents. Later writes here do not affect it; the first
    /// write after it copies the nodes on its path, since they are then shared.
    #[must_use]
    pub fn snapshot(&self) -> Tree {
        Tree { root: self.root.clone(), len: self.len }
    }

    /// Seals this tree into an immutable [`Tree`].
    #[must_use]
    pub fn freeze(self) -> Tree {
        Tree { root: self.root, len: self.len }
    }

    /// Stores `value` under `key`; returns the value it replaces, if any.
    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> Option<Value> {
        let (key, value) = (key.into(), value.into());
        let Some(root) = self.root.as_mut() else {
            let leaf = Leaf { keys: Keys::from_vec(vec![key]), values: vec![value] };
            self.root = Some(Arc::new(Node::Leaf(leaf)));
            self.len = 1;
            return None;
        };
        let (old, split) = insert_into(root, key, value);
        if let Some((separator, right)) = split {
            let left = self.root.take().expect("root exists: it was just split");
            let children = vec![left, Arc::new(right)];
            self.root = Some(Arc::new(Node::Internal(Internal {
                keys: Keys::from_vec(vec![separator]),
                children,
            })));
        }
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `key`; returns its value, if it was present. Removing an absent key copies nothing.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        // Look first so that a miss leaves shared nodes shared.
        self.get(key)?;
        let root = self.root.as_mut().expect("root exists: the key was found in it");
        let old = remove_from(root, key).expect("the key was found by the lookup above");
        self.len -= 1;
        self.collapse_root();
        Some(old)
    }

    /// Restores the root invariants after a remove: no empty root leaf, no one-child root.
    fn collapse_root(&mut self) {
        loop {
            let replacement = match self.root.as_deref() {
                Some(Node::Leaf(leaf)) if leaf.keys.is_empty() => None,
                Some(Node::Internal(internal)) if internal.children.len() == 1 => {
                    Some(Arc::clone(&internal.children[0]))
                }
                _ => return,
            };
            self.root = replacement;
        }
    }

    /// The root node (test helper for sharing checks).
    #[cfg(test)]
    pub(crate) fn root(&self) -> Option<&Arc<Node>> {
        self.root.as_ref()
    }

    #[cfg(any(test, feature = "verify"))]
    pub(super) fn parts(&self) -> (Option<&Arc<Node>>, usize) {
        (self.root.as_ref(), self.len)
    }
}

/// Inserts into the subtree `node`; returns the replaced value and, if `node` overflowed, the
/// separator and new right sibling its parent must adopt.
fn insert_into(
    node: &mut Arc<Node>,
    key: Key,
    value: Value,
) -> (Option<Value>, Option<(Key, Node)>) {
    // IMPORTANT: `make_mut` copies the node only if it is shared; a node this tree owns alone
    // (including one it copied earlier) is edited in place.
    let node = Arc::make_mut(node);
    let old = match node {
        Node::Leaf(leaf) => match leaf.find(&key) {
            Ok(index) => Some(mem::replace(&mut leaf.values[index], value)),
            Err(index) => {
                leaf.keys.insert(index, key);
                leaf.values.insert(index, value);
                None
            }
        },
        Node::Internal(internal) => {
            let index = internal.child_index(&key);
            let (old, split) = insert_into(&mut internal.children[index], key, value);
            if let Some((separator, right)) = split {
                internal.keys.insert(index, separator);
                internal.children.insert(index + 1, Arc::new(right));
            }
            old
        }
    };
    let split = (node.size() > NODE_ENTRIES_MAX).then(|| node.split());
    (old, split)
}

/// Removes `key` from the subtree `node`, rebalancing any child left underfull. The caller
/// checked that `key` is present, so every node on the path is copied only when needed.
fn remove_from(node: &mut Arc<Node>, key: &[u8]) -> Option<Value> {
    match Arc::make_mut(node) {
        Node::Leaf(leaf) => {
            let index = leaf.find(key).ok()?;
            leaf.keys.remove(index);
            Some(leaf.values.remove(index))
        }
        Node::Internal(internal) => {
            let index = internal.child_index(key);
            let old = remove_from(&mut internal.children[index], key)?;
            if internal.children[index].size() < NODE_ENTRIES_MIN {
                rebalance(internal, index);
            }
            Some(old)
        }
    }
}

/// Fixes the underfull child `index` of `internal`: merges it with an adjacent sibling, and if
/// the merged node is too large, splits it evenly again (which is a borrow).
fn rebalance(internal: &mut Internal, index: usize) {
    assert!(internal.children.len() >= 2, "an internal node has a sibling for every child");
    let left_index = index.saturating_sub(1);
    let separator = internal.keys.remove(left_index);
    let right = Arc::unwrap_or_clone(internal.children.remove(left_index + 1));
    let left = Arc::make_mut(&mut internal.children[left_index]);
    left.absorb(separator, right);
    if left.size() > NODE_ENTRIES_MAX {
        let (separator, right) = left.split();
        internal.keys.insert(left_index, separator);
        internal.children.insert(left_index + 1, Arc::new(right));
    }
}
