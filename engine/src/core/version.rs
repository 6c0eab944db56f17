//! A shard's *version*: what a reader of the shard sees, immutable once published.
//!
//! `Version { live, frozen, levels, visible_lsn }`: the live tree as of the last durable write,
//! the frozen trees waiting to be flushed (newest first), and the shard's SSTables by level.
//! Level 0 holds flushed trees, newest first, whose key ranges may overlap; each deeper level is
//! one sorted run of SSTables with disjoint key ranges, ordered by key. A key's newest version
//! is in the first of live → frozen (newest first) → L0 (newest first) → L1 → L2 … that holds
//! it. Versions share their trees and tables by reference count: dropping the last version
//! that reaches a node or an SSTable mapping frees it.

use std::ops::Bound;
use std::sync::Arc;

use basalt_sstable::{Direction, Entry, KeyHash, Kind, SeqNo, Source, Table};
use basalt_wal::Lsn;

use crate::core::bytes::Bytes;
use crate::core::error::Result;
use crate::core::slot;
use crate::tree::Tree;

/// A frozen tree: a former live tree, immutable, waiting to be flushed.
#[derive(Debug)]
pub(crate) struct Frozen {
    pub(crate) tree: Tree,
    /// The first and last LSN applied to it; `min_lsn` pins the log until it is flushed.
    pub(crate) min_lsn: Lsn,
    pub(crate) max_lsn: Lsn,
    /// Estimated memory, as counted against the budget.
    pub(crate) bytes: usize,
}

/// An SSTable of a shard.
#[derive(Debug)]
pub(crate) struct TableFile {
    /// Names the file: `tables/<id>.sst`.
    pub(crate) id: u64,
    pub(crate) table: Table,
}

impl TableFile {
    pub(crate) fn key_min(&self) -> &[u8] {
        &self.table.properties().key_min
    }

    pub(crate) fn key_max(&self) -> &[u8] {
        &self.table.properties().key_max
    }

    pub(crate) fn len_bytes(&self) -> u64 {
        self.table.len_bytes()
    }

    /// Whether the table's keys may fall in `[start, end]` (inclusive).
    pub(crate) fn overlaps(&self, start: &[u8], end: &[u8]) -> bool {
        self.key_min() <= end && start <= self.key_max()
    }
}

/// A shard's SSTables by level.
#[derive(Clone, Debug, Default)]
pub(crate) struct Levels {
    /// `levels[0]` newest first; `levels[i ≥ 1]` ordered by key, disjoint.
    pub(crate) levels: Vec<Vec<Arc<TableFile>>>,
}

impl Levels {
    pub(crate) fn level(&self, level: usize) -> &[Arc<TableFile>] {
        self.levels.get(level).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn level_bytes(&self, level: usize) -> u64 {
        self.level(level).iter().map(|t| t.len_bytes()).sum()
    }

    pub(crate) fn tables(&self) -> impl Iterator<Item = (usize, &Arc<TableFile>)> {
        self.levels
            .iter()
            .enumerate()
            .flat_map(|(level, tables)| tables.iter().map(move |t| (level, t)))
    }

    /// The deepest level holding a table, if any.
    pub(crate) fn deepest(&self) -> Option<usize> {
        self.levels.iter().rposition(|tables| !tables.is_empty())
    }

    /// Checks the level invariants: deeper levels sorted and disjoint.
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        for (level, tables) in self.levels.iter().enumerate().skip(1) {
            for pair in tables.windows(2) {
                if pair[0].key_max() >= pair[1].key_min() {
                    return Err(format!(
                        "level {level}: tables {} and {} overlap",
                        pair[0].id, pair[1].id
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What readers of a shard see. See the module documentation.
#[derive(Debug)]
pub(crate) struct Version {
    pub(crate) live: Tree,
    pub(crate) frozen: Arc<[Arc<Frozen>]>,
    pub(crate) levels: Arc<Levels>,
    /// The last LSN whose changes this version shows.
    pub(crate) visible_lsn: Lsn,
}

impl Version {
    pub(crate) fn empty() -> Version {
        Version {
            live: Tree::new(),
            frozen: Arc::from([]),
            levels: Arc::default(),
            visible_lsn: Lsn::ZERO,
        }
    }

    /// The newest value of `key`, or `None` if it is missing or deleted.
    ///
    /// # Errors
    /// A damaged SSTable block.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        let trees = std::iter::once(&self.live).chain(self.frozen.iter().map(|f| &f.tree));
        for tree in trees {
            if let Some(slot) = tree.get(key) {
                return Ok(match slot::kind(slot) {
                    Kind::Value => Some(slot::value(slot)),
                    Kind::Tombstone => None,
                });
            }
        }
        let hash = KeyHash::of(key);
        for (level, tables) in self.levels.levels.iter().enumerate() {
            let candidates: &[Arc<TableFile>] = if level == 0 {
                tables
            } else {
                let at = tables.partition_point(|t| t.key_max() < key);
                tables.get(at..at + 1).unwrap_or(&[])
            };
            for file in candidates {
                if key < file.key_min() || key > file.key_max() || !file.table.may_contain(hash) {
                    continue;
                }
                if let Some(found) = file.table.locate_with_hash(key, hash)? {
                    return Ok(match found.kind {
                        Kind::Value => Some(Bytes::in_table(file.table.clone(), found.value)),
                        Kind::Tombstone => None,
                    });
                }
            }
        }
        Ok(None)
    }

    /// One source per tree and per SSTable that may hold keys in the range, newest first, for
    /// a [`basalt_sstable::MergeIter`].
    pub(crate) fn sources<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        direction: Direction,
    ) -> Vec<Source<'a>> {
        let mut sources: Vec<Source<'a>> = Vec::new();
        let trees = std::iter::once(&self.live).chain(self.frozen.iter().map(|f| &f.tree));
        for tree in trees.filter(|t| !t.is_empty()) {
            let range = tree.range(start, end).map(|(key, slot)| Ok(tree_entry(key, slot)));
            match direction {
                Direction::Forward => sources.push(Box::new(range)),
                Direction::Backward => sources.push(Box::new(range.rev())),
            }
        }
        for (level, tables) in self.levels.levels.iter().enumerate() {
            let overlapping = tables.iter().filter(|file| range_overlaps(file, start, end));
            if level == 0 {
                for file in overlapping {
                    sources.push(Box::new(file.table.range(start, end, direction)));
                }
            } else {
                // A deeper level is one sorted run: one source that opens its tables in turn,
                // so a short scan touches one table per level, not every table in range.
                let mut run: Vec<Table> = overlapping.map(|file| file.table.clone()).collect();
                if direction == Direction::Backward {
                    run.reverse();
                }
                if !run.is_empty() {
                    sources.push(Box::new(LevelIter::new(run, start, end, direction)));
                }
            }
        }
        sources
    }
}

/// A tree entry as an SSTable entry (copied: merge sources yield owned entries).
pub(crate) fn tree_entry(key: &[u8], slot: &[u8]) -> Entry {
    Entry {
        key: key.to_vec(),
        seqno: SeqNo(slot::lsn(slot).0),
        kind: slot::kind(slot),
        value: slot::value_bytes(slot).to_vec(),
    }
}

fn range_overlaps(file: &TableFile, start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    let after_start = match start {
        Bound::Included(s) => file.key_max() >= s,
        Bound::Excluded(s) => file.key_max() > s,
        Bound::Unbounded => true,
    };
    let before_end = match end {
        Bound::Included(e) => file.key_min() <= e,
        Bound::Excluded(e) => file.key_min() < e,
        Bound::Unbounded => true,
    };
    after_start && before_end
}

/// The entries of one sorted run of SSTables in a key range: each table is opened only when the
/// previous one is exhausted.
struct LevelIter {
    /// The tables still to open, in iteration order, reversed (the next one is last).
    pending: Vec<Table>,
    current: Option<basalt_sstable::TableIter>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
}

impl LevelIter {
    fn new(
        mut run: Vec<Table>,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        direction: Direction,
    ) -> LevelIter {
        run.reverse();
        LevelIter {
            pending: run,
            current: None,
            start: start.map(<[u8]>::to_vec),
            end: end.map(<[u8]>::to_vec),
            direction,
        }
    }
}

impl Iterator for LevelIter {
    type Item = basalt_sstable::Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.current.as_mut().and_then(Iterator::next) {
                return Some(entry);
            }
            let table = self.pending.pop()?;
            let (start, end) =
                (self.start.as_ref().map(Vec::as_slice), self.end.as_ref().map(Vec::as_slice));
            self.current = Some(table.range(start, end, self.direction));
        }
    }
}
