//! Merging many sorted sources into one sorted stream with one version per key.
//!
//! Sources are any iterators of `Result<Entry>` in table order for the chosen direction
//! (tables, in-memory runs, other merges). For each key the version with the highest seqno
//! wins; on equal seqnos the earlier source wins, so pass sources newest first. A winning
//! tombstone hides the key (reads) or is yielded (compaction, which must keep it).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::entry::{Direction, Entry};
use crate::error::Result;

/// A boxed source for [`MergeIter`].
pub type Source<'a> = Box<dyn Iterator<Item = Result<Entry>> + Send + 'a>;

/// What [`MergeIter`] does with a key whose newest version is a tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tombstones {
    /// Skip the key entirely (reads).
    Hide,
    /// Yield the tombstone (compaction into a level that is not the last).
    Yield,
}

/// Merges sorted sources; yields one entry per key, in `direction`.
///
/// Every source must already be ordered for `direction` (as [`crate::Table::range`] yields):
/// forwards, key ascending then seqno descending; backwards, the exact reverse. Older versions
/// of a key are dropped. The first error from any source is yielded and ends the merge.
///
/// Cost: O(log n) per entry read from n sources, plus one key comparison per shadowed version.
pub struct MergeIter<'a> {
    sources: Vec<Source<'a>>,
    heap: BinaryHeap<Head>,
    direction: Direction,
    tombstones: Tombstones,
    started: bool,
    failed: bool,
}

impl std::fmt::Debug for MergeIter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MergeIter")
            .field("sources", &self.sources.len())
            .field("direction", &self.direction)
            .field("tombstones", &self.tombstones)
            .finish()
    }
}

/// The current entry of one source, ordered so that `BinaryHeap` (a max-heap) pops the next
/// key in iteration order, its highest seqno first, and on ties the earliest source.
struct Head {
    entry: Entry,
    source: usize,
    direction: Direction,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        let keys = match self.direction {
            Direction::Forward => other.entry.key.cmp(&self.entry.key),
            Direction::Backward => self.entry.key.cmp(&other.entry.key),
        };
        keys.then(self.entry.seqno.cmp(&other.entry.seqno)).then(other.source.cmp(&self.source))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl<'a> MergeIter<'a> {
    /// Merges `sources` (newest first, for seqno ties) in `direction`.
    pub fn new(sources: Vec<Source<'a>>, direction: Direction, tombstones: Tombstones) -> Self {
        MergeIter {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            direction,
            tombstones,
            started: false,
            failed: false,
        }
    }

    /// Pulls the next entry of `source` into the heap.
    fn refill(&mut self, source: usize) -> Result<()> {
        if let Some(next) = self.sources.get_mut(source).and_then(Iterator::next) {
            self.heap.push(Head { entry: next?, source, direction: self.direction });
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Entry>> {
        if !self.started {
            self.started = true;
            for source in 0..self.sources.len() {
                self.refill(source)?;
            }
        }
        while let Some(Head { entry: mut winner, source, .. }) = self.heap.pop() {
            self.refill(source)?;
            let mut winner_source = source;
            // Backwards, a source yields a key's versions oldest first, so a newer version — or
            // an equally new one from an earlier source — can surface after the first pop:
            // drain every head with this key and keep the best by the rule above.
            while self.heap.peek().is_some_and(|head| head.entry.key == winner.key) {
                let Some(head) = self.heap.pop() else { break };
                self.refill(head.source)?;
                if beats(&head.entry, head.source, &winner, winner_source) {
                    winner = head.entry;
                    winner_source = head.source;
                }
            }
            if winner.is_tombstone() && self.tombstones == Tombstones::Hide {
                continue;
            }
            return Ok(Some(winner));
        }
        Ok(None)
    }
}

/// True if version `a` of a key, from source `a_source`, wins over version `b` from
/// `b_source`: the higher seqno wins, and on equal seqnos the earlier source.
fn beats(a: &Entry, a_source: usize, b: &Entry, b_source: usize) -> bool {
    a.seqno.cmp(&b.seqno).then(b_source.cmp(&a_source)) == Ordering::Greater
}

impl Iterator for MergeIter<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(entry) => entry.map(Ok),
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(entries: Vec<Entry>) -> Source<'static> {
        Box::new(entries.into_iter().map(Ok))
    }

    #[test]
    fn newest_wins_and_tombstones_hide() {
        let newer = vec![Entry::tombstone("a", 9), Entry::value("c", 7, "c7")];
        let older = vec![
            Entry::value("a", 3, "a3"),
            Entry::value("b", 2, "b2"),
            Entry::value("c", 1, "c1"),
        ];
        let merged: Vec<Entry> = MergeIter::new(
            vec![source(newer.clone()), source(older.clone())],
            Direction::Forward,
            Tombstones::Hide,
        )
        .collect::<Result<_>>()
        .expect("no errors");
        assert_eq!(merged, vec![Entry::value("b", 2, "b2"), Entry::value("c", 7, "c7")]);
        let reversed = |mut v: Vec<Entry>| {
            v.reverse();
            source(v)
        };
        let merged: Vec<Entry> = MergeIter::new(
            vec![reversed(newer), reversed(older)],
            Direction::Backward,
            Tombstones::Yield,
        )
        .collect::<Result<_>>()
        .expect("no errors");
        assert_eq!(
            merged,
            vec![Entry::value("c", 7, "c7"), Entry::value("b", 2, "b2"), Entry::tombstone("a", 9)]
        );
    }

    #[test]
    fn backward_sources_with_several_versions() {
        // One source holding three versions of "k", oldest first as a backward table yields them.
        let versions =
            vec![Entry::value("k", 1, "1"), Entry::value("k", 3, "3"), Entry::value("k", 5, "5")];
        let merged: Vec<Entry> =
            MergeIter::new(vec![source(versions)], Direction::Backward, Tombstones::Hide)
                .collect::<Result<_>>()
                .expect("no errors");
        assert_eq!(merged, vec![Entry::value("k", 5, "5")]);
    }

    #[test]
    fn equal_seqnos_go_to_the_earlier_source_in_both_directions() {
        // Backwards, source 1's only version pops before source 0 has reached its copy.
        let first = vec![Entry::value("k", 5, "first"), Entry::value("k", 3, "old")];
        let second = vec![Entry::value("k", 5, "second")];
        for direction in [Direction::Forward, Direction::Backward] {
            let order = |mut v: Vec<Entry>| {
                if direction == Direction::Backward {
                    v.reverse();
                }
                source(v)
            };
            let sources = vec![order(first.clone()), order(second.clone())];
            let merged: Vec<Entry> = MergeIter::new(sources, direction, Tombstones::Hide)
                .collect::<Result<_>>()
                .expect("no errors");
            assert_eq!(merged, vec![Entry::value("k", 5, "first")], "{direction:?}");
        }
    }
}
