//! Whole-tree invariant checks, for tests, fuzzers and the `verify` feature.

use std::sync::Arc;

use super::mutate::TreeMut;
use super::node::{Node, NODE_ENTRIES_MAX, NODE_ENTRIES_MIN};
use super::search::Tree;

impl Tree {
    /// Checks every structural invariant listed in the [module docs](super).
    ///
    /// # Panics
    ///
    /// Panics, naming the invariant, if any is broken. O(n).
    pub fn check_invariants(&self) {
        check(self.root.as_ref(), self.len);
    }
}

impl TreeMut {
    /// Checks every structural invariant listed in the [module docs](super).
    ///
    /// # Panics
    ///
    /// Panics, naming the invariant, if any is broken. O(n).
    pub fn check_invariants(&self) {
        let (root, len) = self.parts();
        check(root, len);
    }
}

fn check(root: Option<&Arc<Node>>, len: usize) {
    let Some(root) = root else {
        assert_eq!(len, 0, "an empty tree has length 0");
        return;
    };
    let (_depth, entries) = check_node(root, None, None, true);
    assert_eq!(entries, len, "length matches the number of leaf entries");
}

/// Checks the subtree `node`, whose keys must lie in `[lower, upper)`; returns its height and
/// number of entries.
fn check_node(
    node: &Node,
    lower: Option<&[u8]>,
    upper: Option<&[u8]>,
    is_root: bool,
) -> (usize, usize) {
    let (keys, size_min) = match node {
        Node::Leaf(leaf) => (leaf.keys.as_slice(), if is_root { 1 } else { NODE_ENTRIES_MIN }),
        Node::Internal(internal) => {
            (internal.keys.as_slice(), if is_root { 2 } else { NODE_ENTRIES_MIN })
        }
    };
    assert!(node.size() >= size_min, "node has at least {size_min} entries: {}", node.size());
    assert!(node.size() <= NODE_ENTRIES_MAX, "node has at most the maximum entries");
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "keys strictly increase");
    let inline_prefixes_match = match node {
        Node::Leaf(leaf) => leaf.keys.prefixes_match(),
        Node::Internal(internal) => internal.keys.prefixes_match(),
    };
    assert!(inline_prefixes_match, "inline key prefixes match their keys");
    for key in keys {
        assert!(lower.is_none_or(|lower| lower <= key.as_ref()), "key at or above lower bound");
        assert!(upper.is_none_or(|upper| key.as_ref() < upper), "key below upper bound");
    }
    match node {
        Node::Leaf(leaf) => {
            assert_eq!(leaf.keys.len(), leaf.values.len(), "one value per key");
            (1, leaf.keys.len())
        }
        Node::Internal(internal) => {
            assert_eq!(internal.children.len(), internal.keys.len() + 1, "children = keys + 1");
            let mut height = None;
            let mut entries = 0;
            for (index, child) in internal.children.iter().enumerate() {
                let child_lower = if index == 0 { lower } else { Some(&*keys[index - 1]) };
                let child_upper = keys.get(index).map(AsRef::as_ref).or(upper);
                let (child_height, child_entries) =
                    check_node(child, child_lower, child_upper, false);
                assert!(height.is_none_or(|h| h == child_height), "leaves at the same depth");
                height = Some(child_height);
                entries += child_entries;
            }
            (height.expect("internal node has children") + 1, entries)
        }
    }
}
