//! `Seqlock`: the store's multi-shard publication seqlock.
//!
//! A write that spans shards becomes visible in all of them together. Its writer takes the
//! seqlock's mutex ([`Seqlock::lock`]; multi-shard publishers serialize there, single-shard ones
//! never touch it), then the writer locks of the shards it touched, ascending, and only then
//! makes the sequence odd, swaps every shard's version, and makes the sequence even again
//! ([`Publishing::swap_all`]). Taking the locks first keeps the sequence odd only for the pointer
//! swaps themselves, since readers spin while it is odd. A reader ([`Seqlock::read`]) loads an
//! even sequence, loads every shard's version, and keeps the result only if the sequence is
//! unchanged, so it has all of a multi-shard publication or none of it.
//!
//! The seqlock guards atomic pointer loads only (the versions behind them are immutable), so it
//! has none of the data-race trouble of optimistic reads of mutable memory. loom checks it with
//! the shard writer hand-off around it: `tests/loom_commit.rs`.

use crate::sync::{lock, spin_wait, AtomicU64, Mutex, MutexGuard, Ordering};

/// A sequence that is odd while a multi-shard publication is swapping versions, and the mutex
/// that serializes those publications; see the module documentation.
pub struct Seqlock {
    /// Every access is SeqCst. A reader that loads a version a publication stored synchronizes
    /// with that version's Release swap, which comes after the increment to odd, so its second
    /// load of the sequence sees the odd value or later and it retries; a reader whose first
    /// load saw the final even value synchronizes with the increment to even, which comes after
    /// every swap, so it loads every new version (or later ones).
    seq: AtomicU64,
    publishers: Mutex<()>,
}

/// The right to publish, held by one multi-shard publisher at a time ([`Seqlock::lock`]).
pub struct Publishing<'a> {
    seq: &'a AtomicU64,
    _publishers: MutexGuard<'a, ()>,
}

impl Seqlock {
    /// A seqlock with no publication in progress.
    pub fn new() -> Self {
        Seqlock { seq: AtomicU64::new(0), publishers: Mutex::new(()) }
    }

    /// Waits for other multi-shard publishers and returns the right to publish.
    ///
    /// # Concurrency
    /// Take it before the writer locks of the shards to publish (lock order: this, then shard
    /// writers ascending), and call [`Publishing::swap_all`] once those are held.
    pub fn lock(&self) -> Publishing<'_> {
        Publishing { seq: &self.seq, _publishers: lock(&self.publishers) }
    }

    /// Runs `loads` (which loads the published state of every shard) until it ran entirely
    /// between two equal even readings of the sequence, and returns that run's result: it saw
    /// every multi-shard publication wholly or not at all.
    ///
    /// # Concurrency
    /// Takes no lock; spins while a publication is swapping (a few pointer swaps), and runs
    /// `loads` again if one happened meanwhile.
    pub fn read<R>(&self, mut loads: impl FnMut() -> R) -> R {
        loop {
            // ORDERING: SeqCst, paired with the increments in `swap_all` (see `Seqlock::seq`).
            let before = self.seq.load(Ordering::SeqCst);
            if before % 2 == 1 {
                spin_wait();
                continue;
            }
            let loaded = loads();
            // ORDERING: SeqCst, as above; the Acquire pointer loads in `loads` keep this load
            // after them.
            if self.seq.load(Ordering::SeqCst) == before {
                return loaded;
            }
        }
    }
}

impl Default for Seqlock {
    fn default() -> Self {
        Seqlock::new()
    }
}

impl Publishing<'_> {
    /// Runs `swaps` (which replaces the published version of every shard of one write) with the
    /// sequence odd, so no [`Seqlock::read`] keeps a result that saw only some of them.
    ///
    /// # Concurrency
    /// Call it holding the writer locks of the shards `swaps` publishes (so no other write of
    /// those shards publishes meanwhile). Readers spin while it runs: keep `swaps` to the swaps.
    pub fn swap_all<R>(&mut self, swaps: impl FnOnce() -> R) -> R {
        // ORDERING: SeqCst (see `Seqlock::seq`): the increment to odd comes before every swap.
        let odd = self.seq.fetch_add(1, Ordering::SeqCst);
        assert!(odd % 2 == 0, "publications are serialized: the sequence was even");
        let swapped = swaps();
        // ORDERING: SeqCst (see `Seqlock::seq`): every swap comes before the increment to even.
        self.seq.fetch_add(1, Ordering::SeqCst);
        swapped
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn read_retries_until_no_publication_came_between() {
        let seqlock = Seqlock::new();
        let mut runs = 0;
        let seen = seqlock.read(|| {
            runs += 1;
            if runs == 1 {
                // A whole publication between the reader's two loads of the sequence.
                seqlock.lock().swap_all(|| ());
            }
            runs
        });
        assert_eq!(seen, 2, "the first run saw a publication and was discarded");
    }

    #[test]
    fn swap_all_returns_what_the_swaps_return() {
        let seqlock = Seqlock::new();
        let mut publishing = seqlock.lock();
        assert_eq!(publishing.swap_all(|| 7), 7);
        drop(publishing);
        assert_eq!(seqlock.read(|| 8), 8);
    }
}
