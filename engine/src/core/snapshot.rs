//! `Snapshot`: a consistent, lock-free view of a whole store.

use std::ops::{Bound, RangeBounds};

use basalt_sstable::{Direction, MergeIter, Tombstones};

use crate::core::bytes::Bytes;
use crate::core::error::Result;
use crate::core::route::ShardId;
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
}

impl Snapshot {
    pub(crate) fn new(versions: Vec<Arc<Version>>) -> Snapshot {
        assert!(!versions.is_empty(), "a store has at least one shard");
        Snapshot { versions }
    }

    fn shard_of(&self, key: &[u8]) -> usize {
        let count = u16::try_from(self.versions.len()).expect("shard count fits u16");
        ShardId::of(key, count).index()
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
/// Shards hold disjoint, ordered slices of the key space, so the range visits the shards that
/// can hold its keys one after another, merging each shard's trees and SSTables lazily.
pub struct Range<'a> {
    snapshot: &'a Snapshot,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    /// Shards still to visit, as a half-open range of indexes.
    next_shard: usize,
    end_shard: usize,
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
        let first = match &start {
            Bound::Included(key) | Bound::Excluded(key) => snapshot.shard_of(key),
            Bound::Unbounded => 0,
        };
        let last = match &end {
            Bound::Included(key) | Bound::Excluded(key) => snapshot.shard_of(key),
            Bound::Unbounded => snapshot.versions.len() - 1,
        };
        let (next_shard, end_shard) = match direction {
            Direction::Forward => (first, last + 1),
            // Backwards, indexes count down from `end_shard - 1`; stored mirrored.
            Direction::Backward => {
                (snapshot.versions.len() - 1 - last, snapshot.versions.len() - first)
            }
        };
        let inverted = match (&start, &end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Included(e) | Bound::Excluded(e)) => {
                s >= e
            }
            _ => false,
        };
        let empty = inverted || first > last;
        Range { snapshot, start, end, direction, next_shard, end_shard, current: None, done: empty }
    }

    fn open_next_shard(&mut self) -> bool {
        if self.next_shard >= self.end_shard {
            return false;
        }
        let index = match self.direction {
            Direction::Forward => self.next_shard,
            Direction::Backward => self.snapshot.versions.len() - 1 - self.next_shard,
        };
        self.next_shard += 1;
        let version: &'a Version = &self.snapshot.versions[index];
        let sources = version.sources(as_ref(&self.start), as_ref(&self.end), self.direction);
        self.current = Some(MergeIter::new(sources, self.direction, Tombstones::Hide));
        true
    }
}

fn as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key),
        Bound::Excluded(key) => Bound::Excluded(key),
        Bound::Unbounded => Bound::Unbounded,
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
