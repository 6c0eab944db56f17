//! [`Range`]: a double-ended iterator over a key range of a [`Tree`](super::Tree).

use std::iter::FusedIterator;
use std::ops::Bound;

use super::node::{Key, Node, Value};

/// A root-to-leaf path: each internal node with the index of the child taken, then a leaf with
/// the index of the current entry. Empty when the cursor is exhausted.
type Path<'a> = Vec<(&'a Node, usize)>;

/// Entries of a [`Tree`](super::Tree) in a key range, in key order, from either end.
///
/// INVARIANT: `front` and `back` are both empty (exhausted) or both point at entries, with the
/// front entry's key at most the back entry's key.
#[derive(Debug, Clone)]
pub struct Range<'a> {
    front: Path<'a>,
    back: Path<'a>,
}

impl<'a> Range<'a> {
    pub(super) fn new(root: Option<&'a Node>, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Self {
        let Some(root) = root else {
            return Self { front: Vec::new(), back: Vec::new() };
        };
        let mut range = Self { front: seek_lower(root, start), back: seek_upper(root, end) };
        let inverted = match (current(&range.front), current(&range.back)) {
            (Some((front, _)), Some((back, _))) => front > back,
            _ => true,
        };
        if inverted {
            range.front.clear();
            range.back.clear();
        }
        range
    }

    /// Whether the front and back cursors point at the same entry.
    fn cursors_meet(&self) -> bool {
        match (self.front.last(), self.back.last()) {
            (Some((front, i)), Some((back, j))) => std::ptr::eq(*front, *back) && i == j,
            _ => false,
        }
    }

    /// Yields the entry under one cursor and advances it, ending both when they meet.
    fn take(&mut self, forward: bool) -> Option<(&'a Key, &'a Value)> {
        let entry = current(if forward { &self.front } else { &self.back })?;
        if self.cursors_meet() {
            self.front.clear();
            self.back.clear();
        } else if forward {
            step_forward(&mut self.front);
        } else {
            step_backward(&mut self.back);
        }
        Some(entry)
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = (&'a Key, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.take(true)
    }
}

impl DoubleEndedIterator for Range<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.take(false)
    }
}

impl FusedIterator for Range<'_> {}

/// The entry a cursor points at.
fn current<'a>(path: &Path<'a>) -> Option<(&'a Key, &'a Value)> {
    let &(node, index) = path.last()?;
    let Node::Leaf(leaf) = node else { panic!("a cursor path ends at a leaf") };
    Some((&leaf.keys[index], &leaf.values[index]))
}

/// A cursor at the first entry satisfying the lower bound `start`.
fn seek_lower<'a>(root: &'a Node, start: Bound<&[u8]>) -> Path<'a> {
    let mut path = Vec::new();
    let mut node = root;
    loop {
        match node {
            Node::Internal(internal) => {
                let index = match start {
                    Bound::Unbounded => 0,
                    Bound::Included(key) | Bound::Excluded(key) => internal.child_index(key),
                };
                path.push((node, index));
                node = &internal.children[index];
            }
            Node::Leaf(leaf) => {
                let index = match start {
                    Bound::Unbounded => 0,
                    Bound::Included(key) => leaf.keys.count_below(key),
                    Bound::Excluded(key) => leaf.keys.count_at_or_below(key),
                };
                // Past this leaf's end, the answer is the next leaf's first entry: every key
                // there is at least the separator, which is above the bound.
                let at_end = index == leaf.keys.len();
                path.push((node, index.saturating_sub(usize::from(at_end))));
                if at_end {
                    step_forward(&mut path);
                }
                return path;
            }
        }
    }
}

/// A cursor at the last entry satisfying the upper bound `end`.
fn seek_upper<'a>(root: &'a Node, end: Bound<&[u8]>) -> Path<'a> {
    let mut path = Vec::new();
    let mut node = root;
    loop {
        match node {
            Node::Internal(internal) => {
                let index = match end {
                    Bound::Unbounded => internal.children.len() - 1,
                    Bound::Included(key) | Bound::Excluded(key) => internal.child_index(key),
                };
                path.push((node, index));
                node = &internal.children[index];
            }
            Node::Leaf(leaf) => {
                let count = match end {
                    Bound::Unbounded => leaf.keys.len(),
                    Bound::Included(key) => leaf.keys.count_at_or_below(key),
                    Bound::Excluded(key) => leaf.keys.count_below(key),
                };
                // Nothing here: the answer is the previous leaf's last entry, since every key
                // before this leaf is below its lower separator, which is at most the bound.
                path.push((node, count.saturating_sub(1)));
                if count == 0 {
                    step_backward(&mut path);
                }
                return path;
            }
        }
    }
}

/// Moves a cursor to the next entry, or empties it past the last one.
fn step_forward<'a>(path: &mut Path<'a>) {
    if let Some((Node::Leaf(leaf), index)) = path.last_mut() {
        if *index + 1 < leaf.keys.len() {
            *index += 1;
            return;
        }
    }
    path.pop();
    while let Some(top) = path.last_mut() {
        let node: &'a Node = top.0;
        let Node::Internal(internal) = node else { panic!("a leaf's ancestors are internal") };
        if top.1 + 1 < internal.children.len() {
            top.1 += 1;
            let child: &'a Node = &internal.children[top.1];
            push_edge(path, child, true);
            return;
        }
        path.pop();
    }
}

/// Moves a cursor to the previous entry, or empties it before the first one.
fn step_backward<'a>(path: &mut Path<'a>) {
    if let Some((Node::Leaf(_), index)) = path.last_mut() {
        if *index > 0 {
            *index -= 1;
            return;
        }
    }
    path.pop();
    while let Some(top) = path.last_mut() {
        let node: &'a Node = top.0;
        let Node::Internal(internal) = node else { panic!("a leaf's ancestors are internal") };
        if top.1 > 0 {
            top.1 -= 1;
            let child: &'a Node = &internal.children[top.1];
            push_edge(path, child, false);
            return;
        }
        path.pop();
    }
}

/// Extends a cursor from `node` down to its first (`first`) or last entry.
fn push_edge<'a>(path: &mut Path<'a>, mut node: &'a Node, first: bool) {
    loop {
        // INVARIANT: no node below the root is empty, so `size() - 1` cannot underflow.
        let index = if first { 0 } else { node.size() - 1 };
        path.push((node, index));
        match node {
            Node::Internal(internal) => node = &internal.children[index],
            Node::Leaf(_) => return,
        }
    }
}
