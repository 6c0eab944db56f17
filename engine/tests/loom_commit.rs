//! loom model of the cross-shard commit (`basalt::core::Seqlock` with `VersionCell`s): the shard
//! writer hand-off and the multi-shard publication seqlock, as `core::store` runs them.
//!
//! The store is two shards, each a writer lock (a loom `Mutex` over the shard's sealed roots
//! and published LSN, with a `Condvar` for writers waiting on it) and a `VersionCell` holding
//! the published root. A root is the LSN of the newest write it contains: the working tree is
//! cumulative, so the root of a write contains every earlier write of the shard. A transaction
//! writes both shards, exactly as `Inner::write` and `Inner::publish` do: it sorts its shards
//! ascending and takes their writer locks in that order (`lock_writers`), takes its LSN in that
//! critical section, seals a root in each shard and lets go (the log wait would come here); then
//! waits in each shard until no earlier multi-shard root is pending (`Shard::drain_before`),
//! takes the seqlock, then the writer locks ascending, swaps every shard's version with the
//! sequence odd (`publish_multi` under `Publishing::swap_all`), lets go and wakes the shards.
//! A reader takes a snapshot as `Inner::snapshot` does (`Seqlock::read` over both cells).
//!
//! Checks, in every interleaving loom explores: a snapshot never holds half a transaction (both
//! shards' published LSNs are equal, since every write here spans both); two transactions whose
//! shard sets overlap but are given in different orders never deadlock (loom reports a
//! deadlock, including a lost wake-up); both commit, and the final state holds both in LSN
//! order in every shard.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p basalt --release
//! --test loom_commit`.
#![cfg(loom)]

use basalt::core::{Seqlock, VersionCell};
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A shard's writer state: what `WriterState` holds that the commit protocol reads.
#[derive(Default)]
struct Writer {
    /// LSNs of sealed roots waiting to be published, ascending (all multi-shard here).
    pending: Vec<u64>,
    /// The LSN of the published root.
    visible: u64,
}

struct Shard {
    writer: Mutex<Writer>,
    changed: Condvar,
    /// The published root (the LSN of the newest write in it).
    cell: VersionCell<u64>,
}

struct Store {
    shards: [Shard; 2],
    txn_seq: Seqlock,
    /// The log's next LSN, taken under the writer locks so LSN order is apply order.
    next_lsn: AtomicU64,
}

impl Store {
    fn new() -> Store {
        let shard = || Shard {
            writer: Mutex::new(Writer::default()),
            changed: Condvar::new(),
            cell: VersionCell::new(Arc::new(0)),
        };
        Store { shards: [shard(), shard()], txn_seq: Seqlock::new(), next_lsn: AtomicU64::new(1) }
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Writer> {
        self.shards[shard].writer.lock().expect("no model thread panics holding a lock")
    }

    /// `Inner::write` then `Inner::publish` for a write of the shards `given` (in any order).
    fn transact(&self, given: &[usize]) -> u64 {
        let mut touched = given.to_vec();
        touched.sort_unstable();
        touched.dedup();
        let lsn = self.apply(&touched);
        self.drain_before(&touched, lsn);
        self.publish(&touched, lsn);
        lsn
    }

    /// `lock_writers` and `apply_locked`: the locks ascending, the LSN, a sealed root each.
    fn apply(&self, touched: &[usize]) -> u64 {
        let mut states: Vec<_> = touched.iter().map(|&shard| self.lock(shard)).collect();
        let lsn = self.next_lsn.fetch_add(1, Ordering::SeqCst);
        for state in &mut states {
            state.pending.push(lsn);
        }
        lsn
    }

    /// `Shard::drain_before` in each shard: wait while an earlier multi-shard root is pending.
    fn drain_before(&self, touched: &[usize], lsn: u64) {
        for &shard in touched {
            let mut state = self.lock(shard);
            while state.pending.first().is_some_and(|&first| first < lsn) {
                state = self.shards[shard].changed.wait(state).expect("no model thread panics");
            }
        }
    }

    /// The multi-shard half of `Inner::publish`: seqlock, writer locks, swaps with the sequence
    /// odd, then wake the shards' waiters.
    fn publish(&self, touched: &[usize], lsn: u64) {
        let mut publishing = self.txn_seq.lock();
        let mut states: Vec<_> = touched.iter().map(|&shard| self.lock(shard)).collect();
        publishing.swap_all(|| {
            for (&shard, state) in touched.iter().zip(&mut states) {
                // `publish_through(lsn)`: the newest sealed root at or below `lsn` is this one.
                assert_eq!(state.pending.first(), Some(&lsn), "earlier roots were published");
                state.pending.remove(0);
                state.visible = lsn;
                self.shards[shard].cell.store(Arc::new(lsn));
            }
        });
        drop(states);
        for &shard in touched {
            let _state = self.lock(shard);
            self.shards[shard].changed.notify_all();
        }
    }

    /// `Inner::snapshot`: both shards' published roots, between two equal even sequences.
    fn snapshot(&self) -> [u64; 2] {
        let [first, second] = &self.shards;
        let seen = self.txn_seq.read(|| [*first.cell.load(), *second.cell.load()]);
        assert_eq!(seen[0], seen[1], "snapshot {seen:?} holds half a transaction");
        seen
    }

    /// After every thread joined: each shard published `lsn_last` and holds nothing pending.
    fn assert_settled(&self, lsn_last: u64) {
        for shard in 0..2 {
            let state = self.lock(shard);
            assert!(state.pending.is_empty(), "shard {shard}: roots left unpublished");
            assert_eq!(state.visible, lsn_last, "shard {shard}: published LSN");
            assert_eq!(*self.shards[shard].cell.load(), lsn_last, "shard {shard}: published root");
        }
    }
}

#[test]
fn snapshot_sees_all_of_a_transaction_or_none() {
    loom::model(|| {
        let store = Arc::new(Store::new());
        let reader_store = store.clone();
        let reader = loom::thread::spawn(move || reader_store.snapshot());
        let lsn = store.transact(&[1, 0]);
        let seen = reader.join().expect("reader panicked");
        assert!(seen == [0, 0] || seen == [lsn, lsn], "snapshot {seen:?}");
        assert_eq!(store.snapshot(), [lsn, lsn], "a snapshot after the commit sees it");
        store.assert_settled(lsn);
    });
}

#[test]
fn overlapping_transactions_commit_without_deadlock_or_halves() {
    loom::model(|| {
        let store = Arc::new(Store::new());
        let other_store = store.clone();
        let other = loom::thread::spawn(move || other_store.transact(&[1, 0]));
        let reader_store = store.clone();
        let reader = loom::thread::spawn(move || reader_store.snapshot());
        let lsn = store.transact(&[0, 1]);
        let other_lsn = other.join().expect("transaction panicked");
        let seen = reader.join().expect("reader panicked");
        assert_ne!(lsn, other_lsn, "each transaction has its own LSN");
        assert!([0, lsn, other_lsn].contains(&seen[0]), "snapshot {seen:?}");
        store.assert_settled(lsn.max(other_lsn));
    });
}
