//! loom model of version publication and reclamation (`basalt::core::VersionCell`): one writer
//! publishing a sequence of versions (as a shard does for a write, a freeze and a flush
//! install) while two readers load, read and drop them, in every interleaving loom explores.
//! Checks: a reader never holds a version that has been dropped (the drop is recorded in a
//! flag outside the version, so a premature drop is caught without touching freed memory);
//! a version's contents are whole; versions seen by one reader never go backwards; a key
//! written before a swap is in every later version (never in neither place); every version is
//! dropped exactly once by the end (loom also reports leaked `Arc`s).
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p basalt --release
//! --test loom_version_cell`.
#![cfg(loom)]

use basalt::core::VersionCell;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;

/// A stand-in for a shard version: `generation` counts publications; `live` and `flushed`
/// model the live tree and the SSTables, and a freeze/flush moves keys between them.
struct Version {
    generation: usize,
    live: Vec<u8>,
    flushed: Vec<u8>,
    dropped: Arc<[AtomicBool; 4]>,
}

impl Drop for Version {
    fn drop(&mut self) {
        let was = self.dropped[self.generation].swap(true, Ordering::SeqCst);
        assert!(!was, "version {} dropped twice", self.generation);
    }
}

fn version(
    generation: usize,
    live: &[u8],
    flushed: &[u8],
    dropped: &Arc<[AtomicBool; 4]>,
) -> Arc<Version> {
    Arc::new(Version {
        generation,
        live: live.to_vec(),
        flushed: flushed.to_vec(),
        dropped: dropped.clone(),
    })
}

/// One "dropped" flag per version generation, outside the versions themselves.
fn dropped_flags() -> Arc<[AtomicBool; 4]> {
    Arc::new([
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
    ])
}

/// Checks, after the cell is gone, that generations 0..3 were each dropped.
fn assert_all_dropped(dropped: &[AtomicBool; 4]) {
    for (generation, flag) in dropped.iter().enumerate().take(3) {
        assert!(flag.load(Ordering::SeqCst), "version {generation} never dropped");
    }
}

fn reader(cell: &VersionCell<Version>, loads: usize) {
    let mut last = 0;
    for _ in 0..loads {
        let seen = cell.load();
        assert!(
            !seen.dropped[seen.generation].load(Ordering::SeqCst),
            "reader holds a dropped version"
        );
        assert!(seen.generation >= last, "versions went backwards");
        last = seen.generation;
        // Key 1 was written in generation 1, then frozen and flushed: it must be in exactly
        // one place in every version from generation 1 on.
        if seen.generation >= 1 {
            let places =
                usize::from(seen.live.contains(&1)) + usize::from(seen.flushed.contains(&1));
            assert_eq!(places, 1, "key 1 in {places} places in generation {}", seen.generation);
        }
    }
}

#[test]
fn writer_publishes_while_two_readers_load() {
    loom::model(|| {
        let dropped = dropped_flags();
        let cell = Arc::new(VersionCell::new(version(0, &[], &[], &dropped)));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                loom::thread::spawn(move || reader(&cell, 2))
            })
            .collect();
        cell.store(version(1, &[1], &[], &dropped)); // a write
        cell.store(version(2, &[], &[1], &dropped)); // freeze + flush install in one swap
        for reader in readers {
            reader.join().expect("reader panicked");
        }
        drop(cell);
        assert_all_dropped(&dropped);
    });
}

#[test]
fn two_stores_race_with_one_reader() {
    loom::model(|| {
        let dropped = dropped_flags();
        let cell = Arc::new(VersionCell::new(version(0, &[], &[], &dropped)));
        let reader_cell = cell.clone();
        let reader = loom::thread::spawn(move || {
            for _ in 0..2 {
                let seen = reader_cell.load();
                assert!(
                    !seen.dropped[seen.generation].load(Ordering::SeqCst),
                    "reader holds a dropped version"
                );
            }
        });
        let writer_cell = cell.clone();
        let dropped_for_writer = dropped.clone();
        let writer = loom::thread::spawn(move || {
            writer_cell.store(version(1, &[1], &[], &dropped_for_writer))
        });
        cell.store(version(2, &[1], &[], &dropped));
        reader.join().expect("reader panicked");
        writer.join().expect("writer panicked");
        drop(cell);
        assert_all_dropped(&dropped);
    });
}
