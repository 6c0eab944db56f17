//! Crashes and faults through the simulated file system: every acknowledged record survives any
//! crash; a torn tail is cut; damage in the middle of the log fails `open` with its location; a
//! failed write or sync poisons the log, is never reported as success, and reopening recovers.

use std::path::Path;
use std::sync::Arc;

use basalt_fs::sim::{CrashMode, SimFs};
use basalt_fs::Fs;
use basalt_wal::{Corruption, Durability, Error, Lsn, Options, Wal};

const DIR: &str = "/db/wal";

fn options(durability: Durability) -> Options {
    Options { durability, segment_bytes_max: 2048, buffer_bytes_max: 1024, preallocate_bytes: 700 }
}

fn payload(lsn: u64) -> Vec<u8> {
    let len = (lsn * 31 % 300) as usize;
    (0..len).map(|j| (lsn as usize * 7 + j) as u8).collect()
}

/// Checks that the log holds exactly LSNs `1..next` with the expected payloads.
fn check_contents(wal: &Wal<SimFs>, next: Lsn) {
    let mut expected = Lsn(1);
    for record in wal.read_from(Lsn(1)).expect("reader") {
        let record = record.expect("record");
        assert_eq!(record.lsn, expected);
        assert_eq!(record.payload, payload(expected.0), "payload of {expected}");
        expected = expected.next();
    }
    assert_eq!(expected, next);
}

/// Appends from three threads until a crash at a random moment; returns the LSNs acknowledged.
fn append_then_crash(fs: &SimFs, seed: u64, mode: CrashMode, durability: Durability) -> Lsn {
    let (wal, recovery) = Wal::open_with(fs.clone(), DIR, options(durability)).expect("open");
    let wal = Arc::new(wal);
    let start = recovery.next_lsn.0;
    let count = 20 + seed % 40;
    // Payloads depend on the LSN, which is only known after the append; append a placeholder
    // sequence instead in which LSN i carries payload(i): one thread, batches of random size.
    let mut acked = Lsn(start - 1);
    let mut lsn = start;
    while lsn < start + count {
        let n = 1 + (lsn * 13 + seed) % 4;
        let payloads: Vec<Vec<u8>> = (lsn..lsn + n).map(payload).collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let first = wal.append_batch(&refs).expect("append");
        assert_eq!(first, Lsn(lsn));
        acked = Lsn(lsn + n - 1);
        lsn += n;
    }
    // Leave a group written but unsynced under the weaker modes, then crash with the log open.
    fs.crash(mode);
    drop(wal);
    acked
}

#[test]
fn acknowledged_records_survive_every_crash_mode() {
    let modes = [
        CrashMode::DropUnsynced,
        CrashMode::KeepPrefix,
        CrashMode::KeepRandomSectors,
        CrashMode::KeepAll,
    ];
    for seed in 0..40 {
        let fs = SimFs::new(seed);
        let mut acked = Lsn(0);
        for round in 0..4 {
            let mode = modes[((seed + round) % 4) as usize];
            acked = append_then_crash(&fs, seed + round, mode, Durability::Sync);
            let (wal, recovery) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync))
                .unwrap_or_else(|e| panic!("seed {seed} round {round} {mode:?}: {e}"));
            assert!(recovery.next_lsn > acked, "seed {seed}: acknowledged records lost");
            check_contents(&wal, recovery.next_lsn);
            drop(wal);
        }
        assert!(acked > Lsn(0));
    }
}

#[test]
fn a_crash_while_writing_tears_only_the_unacknowledged_group() {
    for seed in 0..60 {
        let fs = SimFs::new(seed);
        let (wal, _) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("open");
        for lsn in 1..=10 {
            wal.append(&payload(lsn)).expect("append");
        }
        // The next write tears, as if the machine lost power mid-write.
        fs.with_faults(|f| f.tear_write_after = Some(0));
        let batch: Vec<Vec<u8>> = (11..=14).map(payload).collect();
        let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        assert!(matches!(wal.append_batch(&refs), Err(Error::Poisoned { .. })));
        fs.crash(if seed % 2 == 0 { CrashMode::KeepAll } else { CrashMode::KeepRandomSectors });
        drop(wal);
        let (wal, recovery) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // Whole records of the torn group may survive (they were never acknowledged, so
        // either way is correct); the acknowledged ten always do.
        assert!((11..15).contains(&recovery.next_lsn.0), "seed {seed}: {recovery:?}");
        check_contents(&wal, recovery.next_lsn);
        let next = recovery.next_lsn;
        assert_eq!(wal.append(&payload(next.0)).expect("append after recovery"), next);
    }
}

#[test]
fn a_failed_sync_poisons_the_log_and_is_never_reported_as_success() {
    let fs = SimFs::new(9);
    let (wal, _) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("open");
    let wal = Arc::new(wal);
    for lsn in 1..=5 {
        wal.append(&payload(lsn)).expect("append");
    }
    fs.with_faults(|f| f.fail_sync_after = Some(0));
    let err = wal.append(&payload(6)).expect_err("the sync failed");
    assert!(matches!(err, Error::Poisoned { .. }), "{err}");
    // Every later append fails too, even though the simulated disk would now "succeed".
    for _ in 0..3 {
        assert!(matches!(wal.append(b"later"), Err(Error::Poisoned { .. })));
    }
    assert!(wal.sync().is_err());
    assert!(wal.poisoned().is_some());
    fs.crash(CrashMode::DropUnsynced);
    drop(wal);
    let (wal, recovery) =
        Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("reopen");
    assert_eq!(recovery.next_lsn, Lsn(6), "LSN 6 was never acknowledged and is gone");
    check_contents(&wal, Lsn(6));
}

#[test]
fn waiting_appenders_all_fail_when_the_group_sync_fails() {
    for seed in 0..20 {
        // Odd seeds run the pipelined commit path (as io_uring does).
        let fs = if seed % 2 == 0 { SimFs::new(seed) } else { SimFs::new_pipelined(seed) };
        let (wal, _) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("open");
        let wal = Arc::new(wal);
        fs.with_faults(|f| f.fail_sync_after = Some(seed / 2 % 3));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let wal = wal.clone();
                std::thread::spawn(move || {
                    (0..20).map(|_| wal.append(b"concurrent").ok()).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut ok: Vec<Lsn> =
            threads.into_iter().flat_map(|t| t.join().expect("thread")).flatten().collect();
        ok.sort();
        // Successes are exactly the records synced before the failure: a prefix of LSNs.
        assert_eq!(ok, (1..=ok.len() as u64).map(Lsn).collect::<Vec<_>>());
        assert!(ok.len() < 80, "seed {seed}: the failed sync must fail someone");
        fs.crash(CrashMode::DropUnsynced);
        drop(wal);
        let (_, recovery) =
            Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("reopen");
        assert!(recovery.next_lsn.0 > ok.len() as u64);
    }
}

#[test]
fn no_space_poisons_and_recovers() {
    let fs = SimFs::new(4);
    let (wal, _) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("open");
    wal.append(&payload(1)).expect("append");
    fs.with_faults(|f| f.enospc_after_bytes = Some(50));
    let err = wal.append(&vec![1u8; 500]).expect_err("ENOSPC");
    let Error::Poisoned { cause } = err else { panic!("expected poisoned") };
    assert!(cause.to_string().contains("os error 28"), "{cause}");
    drop(wal);
    let (wal, recovery) = Wal::open_with(fs, DIR, options(Durability::Sync)).expect("reopen");
    assert_eq!(recovery.next_lsn, Lsn(2));
    check_contents(&wal, Lsn(2));
}

#[test]
fn weaker_durability_loses_only_what_it_says() {
    // Buffered: a process crash (page cache survives) keeps everything acknowledged.
    let fs = SimFs::new(5);
    let acked = append_then_crash(&fs, 5, CrashMode::KeepAll, Durability::Buffered);
    let (_, recovery) = Wal::open_with(fs, DIR, options(Durability::Buffered)).expect("reopen");
    assert_eq!(recovery.next_lsn, acked.next());
    // None: what was still in memory is gone, but what was written is whole.
    let fs = SimFs::new(6);
    let acked = append_then_crash(&fs, 6, CrashMode::KeepAll, Durability::None);
    let (wal, recovery) = Wal::open_with(fs, DIR, options(Durability::None)).expect("reopen");
    assert!(recovery.next_lsn <= acked.next());
    check_contents(&wal, recovery.next_lsn);
    // `sync` makes everything durable in every mode.
    for durability in [Durability::Buffered, Durability::None] {
        let fs = SimFs::new(7);
        let (wal, _) = Wal::open_with(fs.clone(), DIR, options(durability)).expect("open");
        for lsn in 1..=9 {
            wal.append(&payload(lsn)).expect("append");
        }
        assert_eq!(wal.sync().expect("sync"), Lsn(9));
        fs.crash(CrashMode::DropUnsynced);
        drop(wal);
        let (wal, recovery) = Wal::open_with(fs, DIR, options(durability)).expect("reopen");
        assert_eq!(recovery.next_lsn, Lsn(10), "{durability:?}");
        check_contents(&wal, Lsn(10));
    }
}

/// Builds a closed log of several segments; returns the file system and segment paths.
fn closed_log() -> (SimFs, Vec<std::path::PathBuf>) {
    let fs = SimFs::new(8);
    let (wal, _) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync)).expect("open");
    for lsn in 1..=60 {
        wal.append(&payload(lsn)).expect("append");
    }
    wal.close().expect("close");
    let mut paths = fs.read_dir(Path::new(DIR)).expect("ls");
    paths.sort();
    assert!(paths.len() >= 3);
    (fs, paths)
}

#[test]
fn damage_in_an_older_segment_fails_open_with_its_location() {
    let (fs, paths) = closed_log();
    fs.flip_bit(&paths[0], 100, 3);
    match Wal::open_with(fs, DIR, options(Durability::Sync)) {
        Err(Error::Corrupt { segment, offset, .. }) => {
            assert_eq!(segment, paths[0]);
            assert!(offset <= 100, "offset {offset} is the record holding byte 100");
        }
        other => panic!("expected corruption, got {:?}", other.map(|(_, r)| r)),
    }
}

#[test]
fn a_missing_middle_segment_fails_open() {
    let (fs, paths) = closed_log();
    fs.remove_file(&paths[1]).expect("rm");
    let err = Wal::open_with(fs, DIR, options(Durability::Sync)).map(drop).expect_err("gap");
    assert!(matches!(err, Error::Corrupt { what: Corruption::SegmentGap { .. }, .. }), "{err}");
}

#[test]
fn every_bit_flip_in_the_newest_segment_is_an_error_or_a_clean_prefix() {
    let (fs, paths) = closed_log();
    let newest = paths.last().expect("segments");
    let original = fs.file_bytes(newest).expect("exists");
    for offset in 0..original.len() as u64 {
        fs.flip_bit(newest, offset, (offset % 8) as u8);
        if let Ok((wal, recovery)) = Wal::open_with(fs.clone(), DIR, options(Durability::Sync)) {
            // Accepted only as a torn tail: whatever is kept is exactly what was written.
            check_contents(&wal, recovery.next_lsn);
            drop(wal);
        }
        // Restore the original bytes (recovery may have cut the tail).
        fs.put_durable_file(newest, &original);
    }
}
