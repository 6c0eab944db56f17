//! Regressions found in review, each a scenario that once failed: a lost wake-up for a `sync`
//! caller, recovered bytes treated as durable, a failed segment removal that left a gap,
//! Buffered power losses that made the log unopenable, user payloads posing as records, panics
//! from hostile segment headers, and crashes in the middle of concurrent appends.

use std::path::Path;
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::Duration;

use basalt_fs::sim::{CrashMode, SimFs};
use basalt_wal::group_commit::{Group, GroupCommit, Sink};
use basalt_wal::record::{encode_into, payload_crc, seal};
use basalt_wal::{Corruption, Durability, Error, Lsn, Options, Wal};

fn options(durability: Durability) -> Options {
    Options { durability, segment_bytes_max: 1024, buffer_bytes_max: 1024, preallocate_bytes: 512 }
}

/// A sink that blocks inside its first commit until released.
struct GateSink(Arc<Mutex<Option<Arc<Barrier>>>>);

impl Sink for GateSink {
    fn commit(&mut self, _: &mut Group, _: bool) -> basalt_wal::Result<()> {
        let gate = self.0.lock().expect("gate").take();
        if let Some(gate) = gate {
            gate.wait(); // entered
            gate.wait(); // released
        }
        Ok(())
    }
}

#[test]
fn regression_sync_caller_cannot_steal_the_next_leaders_wake_up() {
    let gate = Arc::new(Barrier::new(2));
    let sink = GateSink(Arc::new(Mutex::new(Some(gate.clone()))));
    let queue = Arc::new(GroupCommit::new(sink, Lsn(1), Durability::Sync, 1 << 20));
    let q = queue.clone();
    let leader = std::thread::spawn(move || q.append(&[b"L"]));
    gate.wait(); // the leader is inside the sink with group 0
    let q = queue.clone();
    let syncer = std::thread::spawn(move || q.sync());
    std::thread::sleep(Duration::from_millis(50));
    let (tx, rx) = mpsc::channel();
    let q = queue.clone();
    std::thread::spawn(move || tx.send(q.append(&[b"A"])).expect("send"));
    std::thread::sleep(Duration::from_millis(50));
    gate.wait(); // release the leader
    assert_eq!(leader.join().expect("leader").expect("append"), Lsn(1));
    assert_eq!(syncer.join().expect("syncer").expect("sync"), Lsn(1));
    let answer = rx.recv_timeout(Duration::from_secs(10));
    assert!(matches!(answer, Ok(Ok(Lsn(2)))), "appender A never answered: {answer:?}");
}

#[test]
fn regression_recovered_unsynced_bytes_are_synced_before_new_appends() {
    let fs = SimFs::new(1);
    let (wal, _) = Wal::open_with(fs.clone(), "/w", options(Durability::Buffered)).expect("open");
    for _ in 0..10 {
        wal.append(&[7u8; 200]).expect("append");
    }
    fs.kill_process(); // the page cache keeps the writes; nothing was synced
    drop(wal);
    let (wal, _) = Wal::open_with(fs.clone(), "/w", options(Durability::Sync)).expect("reopen");
    let acked = wal.append(b"acknowledged").expect("append, rotating");
    fs.crash(CrashMode::DropUnsynced); // power loss
    drop(wal);
    let (_, recovery) = Wal::open_with(fs, "/w", options(Durability::Sync))
        .unwrap_or_else(|e| panic!("acknowledged LSN {acked}, then power loss: {e}"));
    assert!(recovery.next_lsn > acked);
}

#[test]
fn regression_reopen_after_a_failed_directory_sync_keeps_acknowledged_records() {
    let fs = SimFs::new(2);
    let (wal, _) = Wal::open_with(fs.clone(), "/w", options(Durability::Sync)).expect("open");
    for _ in 0..3 {
        wal.append(&[1u8; 300]).expect("append");
    }
    fs.with_faults(|f| f.fail_sync_dir_after = Some(0));
    assert!(matches!(wal.append(b"x"), Err(Error::Poisoned { .. })), "rotation's sync_dir fails");
    drop(wal);
    let (wal, _) = Wal::open_with(fs.clone(), "/w", options(Durability::Sync)).expect("reopen");
    let acked = wal.append(b"acknowledged").expect("append");
    fs.crash(CrashMode::DropUnsynced);
    drop(wal);
    let (wal, recovery) = Wal::open_with(fs, "/w", options(Durability::Sync)).expect("open");
    assert!(recovery.next_lsn > acked, "acknowledged LSN {acked} lost: {recovery:?}");
    let last = wal.read_from(acked).expect("read").next().expect("present").expect("valid");
    assert_eq!(last.payload, b"acknowledged");
}

#[test]
fn regression_a_failed_segment_removal_leaves_no_gap() {
    let fs = SimFs::new(3);
    let (wal, _) = Wal::open_with(fs.clone(), "/w", options(Durability::Sync)).expect("open");
    for _ in 0..30 {
        wal.append(&[2u8; 300]).expect("append");
    }
    let segments = wal.segment_count();
    assert!(segments >= 4);
    fs.with_faults(|f| f.fail_remove_after = Some(0));
    assert!(wal.delete_below(Lsn(9)).is_err());
    assert_eq!(wal.segment_count(), segments, "nothing left the list");
    assert!(wal.delete_below(Lsn(9)).expect("retry") > 0);
    drop(wal);
    Wal::open_with(fs, "/w", options(Durability::Sync)).expect("no gap after the retry");
}

#[test]
fn regression_buffered_power_loss_never_makes_the_log_unopenable() {
    for durability in [Durability::Buffered, Durability::None] {
        for seed in 0..50 {
            let fs = SimFs::new(seed);
            let options = Options {
                durability,
                segment_bytes_max: 1 << 20,
                buffer_bytes_max: 1024,
                preallocate_bytes: 4096,
            };
            let (wal, _) = Wal::open_with(fs.clone(), "/w", options.clone()).expect("open");
            wal.append(b"synced").expect("append");
            wal.sync().expect("sync");
            for i in 0..8u8 {
                wal.append(&[i; 700]).expect("append"); // unsynced groups
            }
            fs.crash(CrashMode::KeepRandomSectors);
            drop(wal);
            let (wal, recovery) = Wal::open_with(fs, "/w", options)
                .unwrap_or_else(|e| panic!("{durability:?} seed {seed}: {e}"));
            assert!(recovery.next_lsn >= Lsn(2), "the synced record survives");
            let records: Vec<_> = wal.read_from(Lsn(1)).expect("read").collect();
            assert!(records.iter().all(Result::is_ok));
        }
    }
}

#[test]
fn regression_a_payload_holding_a_frame_is_not_mistaken_for_a_record() {
    // A user value that contains a well-formed frame claiming a much later group.
    let mut forged = Vec::new();
    encode_into(&mut forged, Lsn(1 << 40), b"evil", payload_crc(b"evil"));
    for salt in [0, 1, u64::MAX] {
        let mut frame = forged.clone();
        seal(&mut frame, Lsn(1 << 40), salt);
        let fs = SimFs::new(5);
        let (wal, _) = Wal::open_with(fs.clone(), "/w", Options::default()).expect("open");
        wal.append(b"one").expect("append");
        let mut item = frame;
        item.extend_from_slice(&[0xab; 2000]);
        wal.append(&item).expect("append");
        wal.close().expect("close");
        let path = Path::new("/w/00000000000000000001.wal");
        let mut bytes = fs.file_bytes(path).expect("segment");
        bytes.truncate(bytes.len() - 1000); // the last write persisted only a prefix
        fs.put_durable_file(path, &bytes);
        let (_, recovery) = Wal::open_with(fs, "/w", Options::default())
            .unwrap_or_else(|e| panic!("a torn tail reported as corruption: {e}"));
        assert_eq!(recovery.next_lsn, Lsn(2));
    }
}

/// A segment header in the version 1 layout with a valid checksum.
fn header(id: u64, first_lsn: u64) -> Vec<u8> {
    let mut h = vec![0u8; 48];
    h[..8].copy_from_slice(b"BSLTWAL\0");
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    h[16..24].copy_from_slice(&id.to_le_bytes());
    h[24..32].copy_from_slice(&first_lsn.to_le_bytes());
    let crc = crc32fast::hash(&h[..40]);
    h[40..44].copy_from_slice(&crc.to_le_bytes());
    h
}

#[test]
fn regression_hostile_first_lsns_are_corruption_not_panics() {
    for first in [0, u64::MAX, (1 << 62) + 1] {
        let fs = SimFs::new(6);
        let mut segment = header(1, first);
        encode_into(&mut segment, Lsn(first), b"x", payload_crc(b"x"));
        fs.put_durable_file(Path::new("/w/00000000000000000001.wal"), &segment);
        let err = Wal::open_with(fs, "/w", Options::default()).map(drop).expect_err("corrupt");
        assert!(
            matches!(err, Error::Corrupt { what: Corruption::BadFirstLsn(f), .. } if f == first),
            "{err}"
        );
    }
}

#[test]
fn regression_a_lone_torn_header_past_the_first_segment_is_corruption() {
    let fs = SimFs::new(7);
    fs.put_durable_file(Path::new("/w/00000000000000000005.wal"), &[0x42, 0x53]);
    let err = Wal::open_with(fs, "/w", Options::default()).map(drop).expect_err("lost position");
    assert!(matches!(err, Error::Corrupt { what: Corruption::LostPosition, .. }), "{err}");
}

#[test]
fn regression_crashes_during_concurrent_appends_keep_every_acknowledged_record() {
    let modes = [CrashMode::DropUnsynced, CrashMode::KeepPrefix, CrashMode::KeepRandomSectors];
    for seed in 0..60u64 {
        // Odd seeds run the pipelined commit path (as io_uring does).
        let fs = if seed % 2 == 0 { SimFs::new(seed) } else { SimFs::new_pipelined(seed) };
        let (wal, _) = Wal::open_with(fs.clone(), "/w", options(Durability::Sync)).expect("open");
        let wal = Arc::new(wal);
        let appenders: Vec<_> = (0..3u8)
            .map(|t| {
                let wal = wal.clone();
                std::thread::spawn(move || {
                    let mut acked = Vec::new();
                    for i in 0..200u32 {
                        let payload = [vec![t], i.to_le_bytes().to_vec(), vec![t; 90]].concat();
                        match wal.append(&payload) {
                            Ok(lsn) => acked.push((lsn, payload)),
                            Err(_) => break,
                        }
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_micros(200 + seed * 97 % 3000));
        fs.crash(modes[(seed / 2 % 3) as usize]); // power loss with groups in flight
        let acked: Vec<_> = appenders.into_iter().flat_map(|a| a.join().expect("thread")).collect();
        drop(wal);
        let (wal, recovery) = Wal::open_with(fs, "/w", options(Durability::Sync))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let records: Vec<_> =
            wal.read_from(Lsn(1)).expect("read").map(|r| r.expect("valid")).collect();
        assert_eq!(records.len() as u64, recovery.next_lsn.0 - 1);
        for (lsn, payload) in acked {
            let record = &records[lsn.0 as usize - 1];
            assert_eq!(record.payload, payload, "seed {seed}: acknowledged LSN {lsn}");
        }
    }
}

#[test]
fn regression_an_empty_batch_is_refused() {
    let (wal, _) = Wal::open_with(SimFs::new(8), "/w", Options::default()).expect("open");
    assert!(matches!(wal.append_batch(&[]), Err(Error::EmptyBatch)));
    assert_eq!(wal.append(b"x").expect("append"), Lsn(1));
    assert_eq!(wal.append(b"y").expect("append"), Lsn(2));
}

/// A pipelined sink: its first synchronous commit blocks until released through `commit_gate`,
/// and its first `finish` through `finish_gate`.
struct PipelinedGateSink {
    commit_gate: Option<Arc<Barrier>>,
    finish_gate: Option<Arc<Barrier>>,
    in_flight: Option<Group>,
}

fn pass(gate: &mut Option<Arc<Barrier>>) {
    if let Some(gate) = gate.take() {
        gate.wait(); // entered
        gate.wait(); // released
    }
}

impl Sink for PipelinedGateSink {
    fn commit(&mut self, _: &mut Group, _: bool) -> basalt_wal::Result<()> {
        pass(&mut self.commit_gate);
        Ok(())
    }

    fn pipelined(&self) -> bool {
        true
    }

    fn start(&mut self, group: Group) -> basalt_wal::Result<()> {
        self.in_flight = Some(group);
        Ok(())
    }

    fn finish(&mut self) -> (Group, basalt_wal::Result<()>) {
        pass(&mut self.finish_gate);
        (self.in_flight.take().expect("finish follows start"), Ok(()))
    }
}

#[test]
fn regression_a_group_started_in_flight_is_handed_to_a_waiter_to_reap() {
    // T commits group 0 synchronously (alone) and blocks; L and X queue behind it. L gets the
    // role and, with X waiting, takes the pipelined path: it starts group 1 and blocks in
    // `finish`; A and B queue group 2. Released, L publishes group 1, starts group 2 and
    // returns, and so does X: someone must still be woken to reap group 2 for A and B.
    let (commit_gate, finish_gate) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let sink = PipelinedGateSink {
        commit_gate: Some(commit_gate.clone()),
        finish_gate: Some(finish_gate.clone()),
        in_flight: None,
    };
    let queue = Arc::new(GroupCommit::new(sink, Lsn(1), Durability::Sync, 1 << 20));
    let (tx, rx) = mpsc::channel();
    let append = |name: &'static [u8]| {
        let (q, tx) = (queue.clone(), tx.clone());
        std::thread::spawn(move || tx.send((name, q.append(&[name]))).expect("send"));
    };
    append(b"T");
    commit_gate.wait();
    append(b"L");
    std::thread::sleep(Duration::from_millis(50));
    append(b"X");
    std::thread::sleep(Duration::from_millis(50));
    commit_gate.wait();
    finish_gate.wait();
    append(b"A");
    append(b"B");
    std::thread::sleep(Duration::from_millis(50));
    finish_gate.wait();
    for _ in 0..5 {
        let answer = rx.recv_timeout(Duration::from_secs(10));
        assert!(matches!(answer, Ok((_, Ok(_)))), "an appender hung: {answer:?}");
    }
}
