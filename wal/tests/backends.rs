//! The log's behaviour, run over every file backend: `std`, io_uring (when the kernel offers
//! it) and the simulated file system. Each scenario appends, reads back, reopens and compares
//! with what was appended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_fs::sim::SimFs;
use basalt_fs::{Fs, StdFs, UringFs};
use basalt_wal::{Durability, Error, Lsn, Options, Wal};

fn payload(i: u64) -> Vec<u8> {
    let len = (i * 7919 % 700) as usize;
    (0..len).map(|j| (i as usize + j) as u8).collect()
}

fn read_all<F: Fs>(wal: &Wal<F>, from: Lsn) -> Vec<(u64, Vec<u8>)> {
    let reader = wal.read_from(from).expect("reader");
    reader.map(|r| r.expect("record")).map(|r| (r.lsn.0, r.payload)).collect()
}

fn small_segments(durability: Durability) -> Options {
    Options { durability, segment_bytes_max: 4096, buffer_bytes_max: 2048, preallocate_bytes: 4096 }
}

/// Appends from several threads, rotates, reopens, reads from several places, deletes.
fn scenario<F: Fs>(fs: F, dir: &Path) {
    for durability in [Durability::Sync, Durability::Buffered, Durability::None] {
        let dir = dir.join(format!("{durability:?}"));
        let (wal, recovery) =
            Wal::open_with(fs.clone(), &dir, small_segments(durability)).expect("open a new log");
        assert_eq!((recovery.next_lsn, recovery.segments), (Lsn(1), 1));
        let wal = Arc::new(wal);
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let wal = wal.clone();
                std::thread::spawn(move || {
                    (0..50u64)
                        .map(|i| {
                            let p = payload(t * 1000 + i);
                            (wal.append(&p).expect("append").0, p)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut appended: Vec<(u64, Vec<u8>)> =
            threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
        appended.sort();
        assert_eq!(appended.iter().map(|a| a.0).collect::<Vec<_>>(), (1..=200).collect::<Vec<_>>());
        let batch_first = wal.append_batch(&[b"x", b"yy", b""]).expect("batch");
        assert_eq!(batch_first, Lsn(201));
        appended.extend([(201, b"x".to_vec()), (202, b"yy".to_vec()), (203, vec![])]);
        assert_eq!(read_all(&wal, Lsn(1)), appended);
        assert!(
            wal.segment_count() > 3,
            "4 KiB segments rotate: {} {durability:?} {:?}",
            wal.segment_count(),
            wal.stats()
        );
        let wal = Arc::try_unwrap(wal).ok().expect("sole owner");
        wal.close().expect("close");

        let (wal, recovery) =
            Wal::open_with(fs.clone(), &dir, small_segments(durability)).expect("reopen");
        assert_eq!(recovery.next_lsn, Lsn(204));
        assert_eq!(recovery.torn_tail, None);
        assert_eq!(read_all(&wal, Lsn(1)), appended);
        assert_eq!(read_all(&wal, Lsn(150)), appended[149..].to_vec());
        assert_eq!(read_all(&wal, Lsn(204)), vec![]);

        let segments = wal.segment_count();
        let deleted = wal.delete_below(Lsn(100)).expect("delete");
        assert!(deleted > 0 && wal.segment_count() == segments - deleted);
        let oldest = wal.oldest_lsn();
        assert!(oldest <= Lsn(100));
        assert!(matches!(wal.read_from(Lsn(1)), Err(Error::LsnDeleted { .. })));
        assert_eq!(read_all(&wal, oldest), appended[oldest.0 as usize - 1..].to_vec());
        wal.delete_below(Lsn(u64::MAX)).expect("delete all but the active segment");
        assert_eq!(wal.segment_count(), 1);
        assert_eq!(wal.append(b"more").expect("append"), Lsn(204));
        drop(wal);

        let (wal, recovery) =
            Wal::open_with(fs.clone(), &dir, small_segments(durability)).expect("reopen");
        assert_eq!(recovery.next_lsn, Lsn(205));
        assert_eq!(read_all(&wal, Lsn(204)), vec![(204, b"more".to_vec())]);
    }
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wal");
    (dir, path)
}

#[test]
fn std_backend() {
    let (_guard, dir) = temp();
    scenario(StdFs, &dir);
}

#[test]
fn io_uring_backend() {
    let Ok(fs) = UringFs::new() else {
        eprintln!("io_uring unavailable here: skipped");
        return;
    };
    let (_guard, dir) = temp();
    scenario(fs, &dir);
}

#[test]
fn sim_backend() {
    let fs = SimFs::new(1);
    scenario(fs, Path::new("/data/wal"));
}

#[test]
fn sim_pipelined_backend() {
    let fs = SimFs::new_pipelined(1);
    scenario(fs.clone(), Path::new("/data/wal"));
    // A longer burst, so that groups certainly meet waiters and take the pipelined path.
    let (wal, _) = Wal::open_with(fs.clone(), "/burst", Options::default()).expect("open");
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let acked: Vec<_> = (0..1500u64)
                    .map(|i| (wal.append(&payload(t * 10_000 + i)).expect("append").0, t, i))
                    .collect();
                acked
            })
        })
        .collect();
    let mut acked: Vec<_> = threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
    acked.sort_unstable();
    assert!(fs.stats().pipelined_starts > 0, "concurrent appends took the pipelined path");
    let records = read_all(&wal, Lsn(1));
    assert_eq!(records.len(), acked.len());
    for ((lsn, payload_read), (acked_lsn, t, i)) in records.into_iter().zip(acked) {
        assert_eq!((lsn, payload_read), (acked_lsn, payload(t * 10_000 + i)));
    }
}

#[test]
fn oversized_records_are_refused_and_change_nothing() {
    let fs = SimFs::new(2);
    let (wal, _) = Wal::open_with(fs, "/wal", Options::default()).expect("open");
    let big = vec![0u8; basalt_wal::RECORD_PAYLOAD_BYTES_MAX + 1];
    assert!(matches!(wal.append(&big), Err(Error::RecordTooLarge { .. })));
    assert!(matches!(wal.append_batch(&[b"ok", &big]), Err(Error::RecordTooLarge { .. })));
    assert_eq!(wal.next_lsn(), Lsn(1));
    assert_eq!(wal.append(b"ok").expect("the log still works"), Lsn(1));
}

#[test]
fn a_record_of_the_maximum_size_roundtrips() {
    let fs = SimFs::new(3);
    let (wal, _) = Wal::open_with(fs.clone(), "/wal", Options::default()).expect("open");
    let big: Vec<u8> = (0..basalt_wal::RECORD_PAYLOAD_BYTES_MAX).map(|i| (i % 253) as u8).collect();
    wal.append(b"before").expect("append");
    wal.append(&big).expect("append max");
    wal.close().expect("close");
    let (wal, _) = Wal::open_with(fs, "/wal", Options::default()).expect("reopen");
    let records = read_all(&wal, Lsn(1));
    assert_eq!(records.len(), 2);
    assert!(records[1].1 == big);
}
