//! loom model of the cross-shard commit (`basalt::core::Seqlock` with `VersionCell`s): the shard
//! writer hand-off and the multi-shard publication seqlock, as `core::store` and `core::shard`
//! run them.
//!
//! The store is two shards, each a writer lock (a loom `Mutex` over the shard's sealed roots
//! and published LSN, with a `Condvar` for writers waiting on it) and a `VersionCell` holding
//! the published root. A root is named by the LSN it was sealed under: the working tree is
//! cumulative, so the root of a write contains every earlier write of the shard. A write runs
//! as `Inner::write_with` and `Inner::publish` do: it sorts the shards it locks ascending and
//! takes their writer locks in that order (`lock_writers`), takes its LSN in that critical
//! section and seals a root in every locked shard, also one it only read, marked multi when
//! there are several (`apply_locked`), and lets go (the log wait would come here). A
//! single-shard write then publishes through its LSN unless a multi-shard root at or below it
//! is pending, which it waits for (`Shard::publish_single`). A multi-shard write waits in each
//! shard until no earlier multi-shard root is pending (`Shard::drain_before`), takes the
//! seqlock, then the writer locks ascending, swaps every shard's version with the sequence odd
//! (`publish_multi` under `Publishing::swap_all`), lets go and wakes the shards. A reader takes
//! a snapshot as `Inner::snapshot` does (`Seqlock::read` over both cells).
//!
//! Checks, in every interleaving loom explores: a snapshot never holds half a transaction; a
//! single-shard write behind a transaction that only read its shard never becomes visible
//! before the transaction (the read-only shard's root is the barrier); two transactions whose
//! shard sets overlap but are given in different orders never deadlock (loom reports a
//! deadlock, including a lost wake-up); every write commits, and the final state holds them
//! all in LSN order in every shard.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p basalt --release
//! --test loom_commit`.
#![cfg(loom)]

use std::collections::VecDeque;

use basalt::core::{Seqlock, VersionCell};
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A sealed root waiting to be published (`shard::Sealed`); the root is its LSN.
struct Sealed {
    lsn: u64,
    /// Part of a write that spans shards: published only by its own writer, with the others.
    multi: bool,
}

/// A shard's writer state: what `WriterState` holds that the commit protocol reads.
#[derive(Default)]
struct Writer {
    /// Sealed roots waiting to be published, ascending by LSN.
    pending: VecDeque<Sealed>,
    /// The LSN of the published root.
    visible: u64,
}

impl Writer {
    /// `WriterState::publish_through`: publishes the newest sealed root at or below `lsn`.
    fn publish_through(&mut self, lsn: u64, cell: &VersionCell<u64>) {
        let mut newest = None;
        while self.pending.front().is_some_and(|sealed| sealed.lsn <= lsn) {
            newest = self.pending.pop_front();
        }
        if let Some(sealed) = newest {
            self.visible = sealed.lsn;
            cell.store(Arc::new(sealed.lsn));
        }
    }
}

struct Shard {
    writer: Mutex<Writer>,
    changed: Condvar,
    /// The published root (the LSN it was sealed under).
    cell: VersionCell<u64>,
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().expect("no model thread panics holding a lock")
    }

    fn wait<'a>(&self, state: MutexGuard<'a, Writer>) -> MutexGuard<'a, Writer> {
        self.changed.wait(state).expect("no model thread panics holding a lock")
    }

    /// `Shard::publish_single`.
    fn publish_single(&self, lsn: u64) {
        self.publish_until_multi(lsn, lsn);
    }

    /// `Shard::drain_before`.
    fn drain_before(&self, lsn: u64) {
        self.publish_until_multi(lsn - 1, lsn);
    }

    /// `Shard::publish_until_multi`: publishes through `through`, never past a multi-shard root
    /// other than the one at `own`, waiting for such roots to be published by their writers.
    fn publish_until_multi(&self, through: u64, own: u64) {
        let mut state = self.lock();
        loop {
            if state.visible >= through {
                return;
            }
            let barrier = state
                .pending
                .iter()
                .take_while(|sealed| sealed.lsn <= through)
                .position(|sealed| sealed.multi && sealed.lsn != own);
            match barrier {
                None => {
                    state.publish_through(through, &self.cell);
                    self.changed.notify_all();
                    return;
                }
                Some(0) => {}
                Some(position) => {
                    let before = state.pending[position - 1].lsn;
                    state.publish_through(before, &self.cell);
                    self.changed.notify_all();
                }
            }
            state = self.wait(state);
        }
    }

    /// `Shard::wake_all`.
    fn wake_all(&self) {
        let _state = self.lock();
        self.changed.notify_all();
    }
}

struct Store {
    shards: [Shard; 2],
    txn_seq: Seqlock,
    /// The log's next LSN, taken under the writer locks so LSN order is apply order.
    next_lsn: AtomicU64,
}

/// A write applied and sealed, not yet published (`Applied`).
struct Applied {
    lsn: u64,
    /// The shards sealed under `lsn`, ascending.
    touched: Vec<usize>,
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

    /// `Inner::write` then `Inner::publish` for a write of the shards `given` (in any order).
    fn transact(&self, given: &[usize]) -> u64 {
        let applied = self.apply(given, given);
        self.publish(&applied);
        applied.lsn
    }

    /// `lock_writers` and `apply_locked`: locks the shards `read` and `written` name,
    /// ascending, takes the LSN and seals a root in each locked shard.
    fn apply(&self, read: &[usize], written: &[usize]) -> Applied {
        let mut locked: Vec<usize> = read.iter().chain(written).copied().collect();
        locked.sort_unstable();
        locked.dedup();
        let mut states: Vec<_> = locked.iter().map(|&shard| self.shards[shard].lock()).collect();
        // ORDERING: SeqCst; any ordering would do: the counter is only ever touched under the
        // writer locks here, and the mutexes order it (the log hands out LSNs under its lock).
        let lsn = self.next_lsn.fetch_add(1, Ordering::SeqCst);
        // Every locked shard is sealed, also one the write only read: sealing only the written
        // ones lets a later write of a read shard be published first, which
        // `later_write_of_a_read_shard_waits_for_the_transaction` catches.
        let touched = locked.clone();
        let multi = touched.len() > 1;
        for (shard, state) in locked.iter().zip(&mut states) {
            if touched.contains(shard) {
                state.pending.push_back(Sealed { lsn, multi });
            }
        }
        Applied { lsn, touched }
    }

    /// `Inner::publish`: a single-shard write publishes in its shard; a multi-shard write drains
    /// the earlier roots, then takes the seqlock and the writer locks ascending, swaps with the
    /// sequence odd, and wakes the shards' waiters.
    fn publish(&self, applied: &Applied) {
        let Applied { lsn, touched } = applied;
        if let [only] = touched[..] {
            self.shards[only].publish_single(*lsn);
            return;
        }
        for &shard in touched {
            self.shards[shard].drain_before(*lsn);
        }
        let mut publishing = self.txn_seq.lock();
        let mut states: Vec<_> = touched.iter().map(|&shard| self.shards[shard].lock()).collect();
        publishing.swap_all(|| {
            for (&shard, state) in touched.iter().zip(&mut states) {
                // `publish_multi`: earlier roots were published by `drain_before` or their own
                // writers, and no later write publishes past this root.
                let first = state.pending.front().map(|sealed| sealed.lsn);
                assert_eq!(first, Some(*lsn), "shard {shard}: the write's root is next");
                state.publish_through(*lsn, &self.shards[shard].cell);
            }
        });
        drop(states);
        for &shard in touched {
            self.shards[shard].wake_all();
        }
    }

    /// `Inner::snapshot`: both shards' published roots, between two equal even sequences.
    fn snapshot(&self) -> [u64; 2] {
        let [first, second] = &self.shards;
        self.txn_seq.read(|| [*first.cell.load(), *second.cell.load()])
    }

    /// After every thread joined: each shard published its last root and holds nothing pending.
    fn assert_settled(&self, lsn_last: [u64; 2]) {
        for (shard, lsn) in lsn_last.into_iter().enumerate() {
            let state = self.shards[shard].lock();
            assert!(state.pending.is_empty(), "shard {shard}: roots left unpublished");
            assert_eq!(state.visible, lsn, "shard {shard}: published LSN");
            assert_eq!(*self.shards[shard].cell.load(), lsn, "shard {shard}: published root");
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
        store.assert_settled([lsn, lsn]);
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
        assert_eq!(seen[0], seen[1], "snapshot {seen:?} holds half a transaction");
        assert!([0, lsn, other_lsn].contains(&seen[0]), "snapshot {seen:?}");
        store.assert_settled([lsn.max(other_lsn); 2]);
    });
}

/// A transaction reads shard 0 (a condition check) and writes shard 1; a single-shard write of
/// shard 0 takes its LSN after the transaction let go of its locks. Its root contains the
/// transaction's barrier root, so it must wait for the transaction to be published.
#[test]
fn later_write_of_a_read_shard_waits_for_the_transaction() {
    loom::model(|| {
        let store = Arc::new(Store::new());
        let reader_store = store.clone();
        let reader = loom::thread::spawn(move || reader_store.snapshot());
        let txn = store.apply(&[0], &[1]);
        let single_store = store.clone();
        let single = loom::thread::spawn(move || single_store.transact(&[0]));
        store.publish(&txn);
        let single_lsn = single.join().expect("single-shard write panicked");
        let seen = reader.join().expect("reader panicked");
        assert!(single_lsn > txn.lsn, "the single-shard write came after the transaction");
        assert!([0, txn.lsn, single_lsn].contains(&seen[0]), "snapshot {seen:?}");
        assert!([0, txn.lsn].contains(&seen[1]), "snapshot {seen:?}");
        assert!(
            seen[0] != single_lsn || seen[1] == txn.lsn,
            "snapshot {seen:?} sees the write {single_lsn} of shard 0 without the transaction {}",
            txn.lsn,
        );
        assert!(
            seen[0] != txn.lsn || seen[1] == txn.lsn,
            "snapshot {seen:?} holds half a transaction",
        );
        store.assert_settled([single_lsn, txn.lsn]);
    });
}
