//! Model tests against a `BTreeMap` oracle, snapshot isolation, and structural sharing.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::node::Node;
use super::{Tree, TreeMut, NODE_ENTRIES_MAX};

type Oracle = BTreeMap<Vec<u8>, Vec<u8>>;

/// Big-endian so that byte order equals numeric order.
fn key(n: u32) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

fn entries(tree: &Tree) -> Vec<(Vec<u8>, Vec<u8>)> {
    tree.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
}

fn oracle_entries(oracle: &Oracle) -> Vec<(Vec<u8>, Vec<u8>)> {
    oracle.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn random_bound(rng: &mut SmallRng, key_space: u32) -> Bound<Vec<u8>> {
    let k = key(rng.gen_range(0..key_space + 2));
    match rng.gen_range(0..3) {
        0 => Bound::Included(k),
        1 => Bound::Excluded(k),
        _ => Bound::Unbounded,
    }
}

fn in_bounds(k: &[u8], start: &Bound<Vec<u8>>, end: &Bound<Vec<u8>>) -> bool {
    let above = match start {
        Bound::Included(s) => k >= s.as_slice(),
        Bound::Excluded(s) => k > s.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match end {
        Bound::Included(e) => k <= e.as_slice(),
        Bound::Excluded(e) => k < e.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

/// Compares a random range, read forwards, backwards, and alternating from both ends.
fn check_random_range(rng: &mut SmallRng, tree: &Tree, oracle: &Oracle, key_space: u32) {
    let (start, end) = (random_bound(rng, key_space), random_bound(rng, key_space));
    let expected: Vec<_> = oracle
        .iter()
        .filter(|(k, _)| in_bounds(k, &start, &end))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let range = || tree.range(start.as_ref().map(Vec::as_slice), end.as_ref().map(Vec::as_slice));
    let forward: Vec<_> = range().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
    assert_eq!(forward, expected, "forward range {start:?}..{end:?}");
    let mut backward: Vec<_> = range().rev().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
    backward.reverse();
    assert_eq!(backward, expected, "backward range {start:?}..{end:?}");
    let (mut front, mut back, mut iter) = (Vec::new(), Vec::new(), range());
    loop {
        let item = if rng.gen_bool(0.5) { iter.next() } else { iter.next_back() };
        let Some((k, v)) = item else { break };
        if front.len() + back.len() < expected.len() && expected[front.len()].0 == k.as_ref() {
            front.push((k.to_vec(), v.to_vec()));
        } else {
            back.push((k.to_vec(), v.to_vec()));
        }
    }
    assert!(iter.next().is_none() && iter.next_back().is_none(), "range is fused");
    back.reverse();
    front.extend(back);
    assert_eq!(front, expected, "two-ended range {start:?}..{end:?}");
}

/// One seeded run: random batches of inserts and removes over `key_space` keys.
fn model_run(seed: u64, key_space: u32, batches: usize, insert_percent: u32) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut oracle = Oracle::new();
    let mut tree = Tree::new();
    for _ in 0..batches {
        let mut writer = tree.to_mut();
        for _ in 0..rng.gen_range(1..64) {
            let k = key(rng.gen_range(0..key_space));
            if rng.gen_range(0..100) < insert_percent {
                let v = rng.gen::<u64>().to_le_bytes().to_vec();
                let old = writer.insert(k.clone(), v.clone());
                assert_eq!(old.as_deref(), oracle.insert(k, v).as_deref(), "insert seed {seed}");
            } else {
                let old = writer.remove(&k);
                assert_eq!(old.as_deref(), oracle.remove(&k).as_deref(), "remove seed {seed}");
            }
            let probe = key(rng.gen_range(0..key_space));
            assert_eq!(writer.get(&probe).map(|v| v.to_vec()), oracle.get(&probe).cloned());
        }
        writer.check_invariants();
        tree = writer.freeze();
        tree.check_invariants();
        assert_eq!(tree.len(), oracle.len());
        assert_eq!(tree.is_empty(), oracle.is_empty());
        for _ in 0..4 {
            check_random_range(&mut rng, &tree, &oracle, key_space);
        }
    }
    assert_eq!(entries(&tree), oracle_entries(&oracle), "final contents, seed {seed}");
}

#[test]
fn model_mixed_small_key_space_forces_merges() {
    for seed in 0..6 {
        model_run(seed, 200, 150, 55);
    }
}

#[test]
fn model_grow_then_shrink_large_key_space() {
    for seed in 10..13 {
        model_run(seed, 5_000, 150, 80);
        model_run(seed, 5_000, 150, 30);
    }
}

#[test]
fn model_sequential_and_reverse_inserts_then_removes() {
    for reverse in [false, true] {
        let mut oracle = Oracle::new();
        let mut writer = TreeMut::new();
        let order: Vec<u32> =
            if reverse { (0..3_000).rev().collect() } else { (0..3_000).collect() };
        for (step, &n) in order.iter().enumerate() {
            assert!(writer.insert(key(n), key(n)).is_none());
            oracle.insert(key(n), key(n));
            if step % 97 == 0 {
                writer.check_invariants();
            }
        }
        writer.check_invariants();
        let tree = writer.freeze();
        assert_eq!(entries(&tree), oracle_entries(&oracle));
        let mut writer = tree.to_mut();
        for (step, &n) in order.iter().enumerate() {
            assert_eq!(writer.remove(&key(n)).as_deref(), Some(key(n).as_slice()));
            assert!(writer.remove(&key(n)).is_none(), "second remove finds nothing");
            if step % 97 == 0 {
                writer.check_invariants();
            }
        }
        writer.check_invariants();
        assert!(writer.is_empty());
        assert!(writer.freeze().iter().next().is_none());
        assert_eq!(tree.len(), 3_000, "the snapshot kept every entry");
    }
}

#[test]
fn seek_and_empty_ranges() {
    let mut writer = TreeMut::new();
    for n in (0..1_000).step_by(2) {
        writer.insert(key(n), key(n));
    }
    let tree = writer.freeze();
    let first = tree.seek(&key(501)).next().map(|(k, _)| k.to_vec());
    assert_eq!(first, Some(key(502)));
    assert!(tree.seek(&key(999)).next().is_none());
    let last = tree.seek(&key(0)).next_back().map(|(k, _)| k.to_vec());
    assert_eq!(last, Some(key(998)));
    let (a, b) = (key(10), key(5));
    assert_eq!(tree.range(Bound::Included(&a), Bound::Included(&b)).count(), 0, "inverted");
    assert_eq!(tree.range(Bound::Excluded(&a), Bound::Excluded(&a)).count(), 0, "empty");
    assert_eq!(tree.range(Bound::Included(&a), Bound::Included(&a)).count(), 1, "one key");
    assert!(Tree::new().iter().next().is_none());
    assert!(Tree::new().get(&a).is_none());
}

#[test]
fn snapshots_are_isolated_from_later_writes() {
    for seed in 20..24 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut oracle = Oracle::new();
        let mut writer = TreeMut::new();
        let mut snapshots: Vec<(Tree, Oracle)> = Vec::new();
        for step in 0..6_000 {
            let k = key(rng.gen_range(0..400));
            if rng.gen_range(0..100) < 60 {
                let v = key(step);
                writer.insert(k.clone(), v.clone());
                oracle.insert(k, v);
            } else {
                writer.remove(&k);
                oracle.remove(&k);
            }
            if rng.gen_range(0..100) == 0 {
                // Alternate the two ways of taking a snapshot.
                let snapshot = if rng.gen_bool(0.5) {
                    writer.snapshot()
                } else {
                    let frozen = writer.freeze();
                    writer = frozen.to_mut();
                    frozen
                };
                snapshots.push((snapshot, oracle.clone()));
            }
        }
        assert!(snapshots.len() > 20, "seed {seed} took enough snapshots");
        for (snapshot, expected) in &snapshots {
            snapshot.check_invariants();
            assert_eq!(entries(snapshot), oracle_entries(expected), "seed {seed}");
        }
    }
}

/// Every node pointer reachable from `root`.
fn node_pointers(root: Option<&Arc<Node>>) -> HashSet<*const Node> {
    let mut seen = HashSet::new();
    let mut stack: Vec<&Arc<Node>> = root.into_iter().collect();
    while let Some(node) = stack.pop() {
        seen.insert(Arc::as_ptr(node));
        if let Node::Internal(internal) = node.as_ref() {
            stack.extend(internal.children.iter());
        }
    }
    seen
}

fn height(root: Option<&Arc<Node>>) -> usize {
    let mut height = 0;
    let mut node = root.map(AsRef::as_ref);
    while let Some(current) = node {
        height += 1;
        node = match current {
            Node::Internal(internal) => internal.children.first().map(AsRef::as_ref),
            Node::Leaf(_) => None,
        };
    }
    height
}

#[test]
fn batch_writes_copy_each_shared_node_once() {
    let mut writer = TreeMut::new();
    for n in 0..20_000 {
        writer.insert(key(n), key(n));
    }
    let before = writer.freeze();
    let height = height(before.root());
    assert!(height >= 3, "the tree is deep enough to show sharing: {height}");
    let old_nodes = node_pointers(before.root());

    // Overwrite several keys of one leaf: no splits, so only the path may be new.
    let leaf_keys: Vec<_> = before.seek(&key(10_000)).take(NODE_ENTRIES_MAX / 4).collect();
    let mut writer = before.to_mut();
    let mut root_after_first = None;
    for (k, _) in &leaf_keys {
        writer.insert(Arc::clone(k), b"new".to_vec());
        let root = Arc::as_ptr(writer.root().expect("tree is non-empty"));
        // The first write copies the root; later ones must edit that copy in place.
        assert_eq!(*root_after_first.get_or_insert(root), root, "root edited in place");
    }
    let after = writer.freeze();
    let new_nodes = node_pointers(after.root());
    let copied = new_nodes.difference(&old_nodes).count();
    // Consecutive keys span at most two leaves, which share every ancestor but maybe the parent.
    assert!(copied <= height + 2, "copied {copied} nodes for a tree of height {height}");
    assert!(copied >= height, "every node on the path was copied once: {copied}");
    assert_eq!(new_nodes.len(), old_nodes.len(), "no node added or lost");
    after.check_invariants();
    assert_eq!(before.get(leaf_keys[0].0).map(|v| v.to_vec()), Some(leaf_keys[0].0.to_vec()));
    assert_eq!(after.get(leaf_keys[0].0).map(|v| v.to_vec()), Some(b"new".to_vec()));

    // Removing an absent key copies nothing at all.
    let mut writer = after.to_mut();
    assert!(writer.remove(&key(1_000_000)).is_none());
    let unchanged = writer.freeze();
    assert!(Arc::ptr_eq(unchanged.root().expect("non-empty"), after.root().expect("non-empty")));
}
