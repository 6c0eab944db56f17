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

/// The first 16 bytes of `key`, zero-padded, as a big-endian number: `a < b` implies
/// `prefix(a) <= prefix(b)`, so comparing prefixes first decides most comparisons without
/// touching the key's own allocation.
pub(crate) fn prefix(key: &[u8]) -> u128 {
    let mut bytes = [0u8; 16];
    let len = key.len().min(16);
    bytes[..len].copy_from_slice(&key[..len]);
    u128::from_be_bytes(bytes)
}

/// A node's keys, with each key's [`prefix`] stored inline beside them, so that a search reads
/// one contiguous array and dereferences a key only when two prefixes tie. (Keys arrive with a
/// hash prefix, so ties are rare outside one partition.)
#[derive(Debug, Default)]
pub(crate) struct Keys {
    keys: Vec<Key>,
    prefixes: Vec<u128>,
}

/// A copy with room for the insert that follows a copy-on-write (see [`with_room`]).
impl Clone for Keys {
    fn clone(&self) -> Keys {
        Keys { keys: with_room(&self.keys), prefixes: with_room(&self.prefixes) }
    }
}

/// A copy of `items` with capacity for a node that overflows by one: a node is copied on write
/// just before an insert, and a copy sized exactly would reallocate at once.
fn with_room<T: Clone>(items: &[T]) -> Vec<T> {
    let mut copy = Vec::with_capacity(OVERFLOW_SIZE.max(items.len()));
    copy.extend_from_slice(items);
    copy
}

impl Keys {
    pub(crate) fn from_vec(keys: Vec<Key>) -> Keys {
        let prefixes = keys.iter().map(|k| prefix(k)).collect();
        Keys { keys, prefixes }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    #[cfg(any(test, feature = "verify"))]
    pub(crate) fn as_slice(&self) -> &[Key] {
        &self.keys
    }

    pub(crate) fn insert(&mut self, index: usize, key: Key) {
        self.prefixes.insert(index, prefix(&key));
        self.keys.insert(index, key);
    }

    pub(crate) fn remove(&mut self, index: usize) -> Key {
        self.prefixes.remove(index);
        self.keys.remove(index)
    }

    pub(crate) fn push(&mut self, key: Key) {
        self.prefixes.push(prefix(&key));
        self.keys.push(key);
    }

    pub(crate) fn pop(&mut self) -> Option<Key> {
        self.prefixes.pop();
        self.keys.pop()
    }

    pub(crate) fn split_off(&mut self, at: usize) -> Keys {
        Keys { keys: self.keys.split_off(at), prefixes: self.prefixes.split_off(at) }
    }

    pub(crate) fn extend(&mut self, other: Keys) {
        self.keys.extend(other.keys);
        self.prefixes.extend(other.prefixes);
    }

    /// Whether every stored prefix is its key's (checked by `check_invariants`).
    #[cfg(any(test, feature = "verify"))]
    pub(crate) fn prefixes_match(&self) -> bool {
        self.keys.len() == self.prefixes.len()
            && self.keys.iter().zip(&self.prefixes).all(|(k, p)| prefix(k) == *p)
    }

    /// How key `index` compares with `key`, whose prefix is `key_prefix`.
    fn cmp_at(&self, index: usize, key: &[u8], key_prefix: u128) -> std::cmp::Ordering {
        self.prefixes[index].cmp(&key_prefix).then_with(|| self.keys[index].as_ref().cmp(key))
    }

    /// The number of keys for which `keep(ordering of the key against key)` holds, assuming
    /// they come first (a partition point).
    fn partition(&self, key: &[u8], keep: impl Fn(std::cmp::Ordering) -> bool) -> usize {
        let key_prefix = prefix(key);
        let (mut low, mut high) = (0, self.keys.len());
        while low < high {
            let mid = low + (high - low) / 2;
            if keep(self.cmp_at(mid, key, key_prefix)) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }

    /// The number of keys `< key`.
    pub(crate) fn count_below(&self, key: &[u8]) -> usize {
        self.partition(key, std::cmp::Ordering::is_lt)
    }

    /// The number of keys `<= key`.
    pub(crate) fn count_at_or_below(&self, key: &[u8]) -> usize {
        self.partition(key, std::cmp::Ordering::is_le)
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted.
    pub(crate) fn find(&self, key: &[u8]) -> Result<usize, usize> {
        let key_prefix = prefix(key);
        let index = self.partition(key, std::cmp::Ordering::is_lt);
        // Different prefixes settle it without reading the stored key (a likely cache miss).
        match (self.prefixes.get(index), self.keys.get(index)) {
            (Some(&found_prefix), Some(found))
                if found_prefix == key_prefix && found.as_ref() == key =>
            {
                Ok(index)
            }
            _ => Err(index),
        }
    }
}

impl std::ops::Index<usize> for Keys {
    type Output = Key;

    fn index(&self, index: usize) -> &Key {
        &self.keys[index]
    }
}

/// A tree node. Immutable once shared through an `Arc`; `Clone` backs `Arc::make_mut`.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Leaf(Leaf),
    Internal(Internal),
}

/// A leaf: `keys[i]` maps to `values[i]`; keys strictly increasing.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) keys: Keys,
    pub(crate) values: Vec<Value>,
}

/// An internal node: `children.len() == keys.len() + 1`; keys of `children[i]` lie in
/// `[keys[i - 1], keys[i])`.
#[derive(Debug)]
pub(crate) struct Internal {
    pub(crate) keys: Keys,
    pub(crate) children: Vec<Arc<Node>>,
}

impl Clone for Leaf {
    fn clone(&self) -> Leaf {
        Leaf { keys: self.keys.clone(), values: with_room(&self.values) }
    }
}

impl Clone for Internal {
    fn clone(&self) -> Internal {
        Internal { keys: self.keys.clone(), children: with_room(&self.children) }
    }
}

impl Leaf {
    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted.
    pub(crate) fn find(&self, key: &[u8]) -> Result<usize, usize> {
        self.keys.find(key)
    }
}

impl Internal {
    /// Index of the child whose key span holds `key`: the number of separators `<= key`.
    pub(crate) fn child_index(&self, key: &[u8]) -> usize {
        self.keys.count_at_or_below(key)
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
                let separator = Arc::clone(&keys[0]);
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
