//! `Snapshot`: a consistent, lock-free view of a whole store.

use std::ops::{Bound, RangeBounds};

use basalt_sstable::{Direction, MergeIter, Tombstones};

use crate::core::bytes::Bytes;
use crate::core::error::Result;
use crate::core::route::Routing;
use crate::core::version::Version;
use crate::sync::Arc;

/// A view of every shard as of one moment: later writes, flushes and compactions do not change
/// it. A write that spans shards is in it entirely or not at all.
///
/// # Concurrency
/// `Send + Sync`; reading takes no lock. A snapshot keeps the trees and SSTables it reads alive
/// until dropped.
#[derive(Clone, Debug)]
pub struct Snapshot {
    versions: Vec<Arc<Version>>,
    routing: Routing,
}

impl Snapshot {
    pub(crate) fn new(versions: Vec<Arc<Version>>, routing: Routing) -> Snapshot {
        assert!(!versions.is_empty(), "a store has at least one shard");
        Snapshot { versions, routing }
    }

    fn shard_count(&self) -> u16 {
        u16::try_from(self.versions.len()).expect("shard count fits u16")
    }

    fn shard_of(&self, key: &[u8]) -> usize {
        self.routing.shard_of(key, self.shard_count()).index()
    }

    /// The value of `key` in this snapshot, or `None`.
    ///
    /// # Errors
    /// A damaged SSTable block.
    pub fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        self.versions[self.shard_of(key)].get(key)
    }

    /// The keys and values in `range`, in ascending key order.
    pub fn range(&self, range: impl RangeBounds<[u8]>) -> Range<'_> {
        Range::new(self, range, Direction::Forward)
    }

    /// The keys and values in `range`, in descending key order.
    pub fn range_rev(&self, range: impl RangeBounds<[u8]>) -> Range<'_> {
        Range::new(self, range, Direction::Backward)
    }
}

/// An iterator over a key range of a [`Snapshot`]; see [`Snapshot::range`].
///
/// Shards hold disjoint, ordered slices of the key space (under [`Routing::Spaced`], of each
/// space), so a range that stays in one space visits the shards that can hold its keys one after
/// another, merging each shard's trees and SSTables lazily. A range that crosses spaces under
/// [`Routing::Spaced`] merges the sources of every shard at once: their keys interleave, but
/// never repeat across shards.
pub struct Range<'a> {
    snapshot: &'a Snapshot,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    /// Shards still to visit: taken from the front forwards, from the back backwards.
    shards: std::ops::Range<usize>,
    /// Visit all of `shards` at once, in one merge (a range across spaces).
    merge_all: bool,
    current: Option<MergeIter<'a>>,
    done: bool,
}

impl std::fmt::Debug for Range<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Range")
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl<'a> Range<'a> {
    fn new(
        snapshot: &'a Snapshot,
        range: impl RangeBounds<[u8]>,
        direction: Direction,
    ) -> Range<'a> {
        let start = range.start_bound().map(<[u8]>::to_vec);
        let end = range.end_bound().map(<[u8]>::to_vec);
        let plan = snapshot.routing.within_one_space(
            start.as_ref().map(Vec::as_slice),
            end.as_ref().map(Vec::as_slice),
            snapshot.shard_count(),
        );
        let (first, last, merge_all) = match plan {
            Some((first, last)) => (first.index(), last.index(), false),
            None => (0, snapshot.versions.len() - 1, true),
        };
        let inverted = match (&start, &end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Included(e) | Bound::Excluded(e)) => {
                s >= e
            }
            _ => false,
        };
        let empty = inverted || first > last;
        let shards = first..last + 1;
        Range { snapshot, start, end, direction, shards, merge_all, current: None, done: empty }
    }

    /// Opens the merge of the next shard (or of all shards, under `merge_all`); false when
    /// none is left.
    fn open_next_shard(&mut self) -> bool {
        let indexes: Vec<usize> = if self.merge_all {
            self.shards.by_ref().collect()
        } else {
            let next = match self.direction {
                Direction::Forward => self.shards.next(),
                Direction::Backward => self.shards.next_back(),
            };
            next.into_iter().collect()
        };
        if indexes.is_empty() {
            return false;
        }
        let (start, end) =
            (self.start.as_ref().map(Vec::as_slice), self.end.as_ref().map(Vec::as_slice));
        let snapshot: &'a Snapshot = self.snapshot;
        let sources = indexes
            .into_iter()
            .flat_map(|index| snapshot.versions[index].sources(start, end, self.direction))
            .collect();
        self.current = Some(MergeIter::new(sources, self.direction, Tombstones::Hide));
        true
    }
}

impl Iterator for Range<'_> {
    type Item = Result<(Bytes, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            if let Some(merge) = &mut self.current {
                match merge.next() {
                    Some(Ok(entry)) => return Some(Ok((entry.key.into(), entry.value.into()))),
                    Some(Err(error)) => {
                        self.done = true;
                        return Some(Err(error.into()));
                    }
                    None => self.current = None,
                }
            } else if !self.open_next_shard() {
                self.done = true;
            }
        }
        None
    }
}

impl std::iter::FusedIterator for Range<'_> {}
