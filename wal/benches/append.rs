//! Append throughput under `Sync` with 1, 4, 16 and 64 concurrent appenders of 200-byte
//! records, on the `std` and io_uring backends, next to the raw `fdatasync` rate of the same
//! disk measured in the same run. Criterion reports appends/s as throughput; after each case a
//! line on stderr gives syncs/s and records per sync.
//!
//! Run: `cargo bench -p basalt-wal --bench append`. The files live under `target/`, on the
//! same disk as the build (not `/tmp`, which may be memory).

#![expect(missing_docs, reason = "criterion_group! generates undocumented public functions")]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt_fs::{File, Fs, StdFs, UringFs};
use basalt_wal::{Options, Wal};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const RECORD_BYTES: usize = 200;
const APPENDERS: [u64; 4] = [1, 4, 16, 64];

fn scratch_dir() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-scratch");
    std::fs::create_dir_all(&base).expect("scratch dir");
    tempfile::tempdir_in(base).expect("tempdir")
}

/// Raw rate: write 232 bytes (a framed 200-byte record) after the last and fdatasync, one at a
/// time; `preallocated` writes into a file already filled with synced zeros (as the log does),
/// otherwise each write extends the file.
fn raw_fdatasync<F: Fs>(c: &mut Criterion, fs: F, name: &str, linked: bool, preallocated: bool) {
    let dir = scratch_dir();
    let file = fs.create_new(&dir.path().join("raw")).expect("create");
    if preallocated {
        let zeros = vec![0u8; 1 << 20];
        for i in 0..256u64 {
            file.write_at(&zeros, i << 20).expect("zero fill");
        }
        file.sync_data().expect("sync");
    }
    let block = [0xabu8; RECORD_BYTES + 32];
    let mut offset = 0u64;
    let mut group = c.benchmark_group("raw_fdatasync");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter(|| {
            if linked {
                // One linked write+fsync submission through the ring, then its completion.
                file.start_write_and_sync(block.to_vec(), offset).expect("start");
                file.finish_write_and_sync().1.expect("write and sync");
            } else {
                file.write_at(&block, offset).expect("write");
                file.sync_data().expect("sync");
            }
            offset += block.len() as u64;
        });
    });
    group.finish();
}

fn run_appenders<F: Fs>(wal: &Arc<Wal<F>>, appenders: u64, total: u64) -> Duration {
    let per_thread = total.div_ceil(appenders);
    let start = Instant::now();
    let threads: Vec<_> = (0..appenders)
        .map(|_| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let record = [0x5au8; RECORD_BYTES];
                for _ in 0..per_thread {
                    wal.append(&record).expect("append");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("appender");
    }
    start.elapsed()
}

fn sync_append<F: Fs>(c: &mut Criterion, fs: F, backend: &str) {
    let mut group = c.benchmark_group(format!("sync_append/{backend}"));
    group.throughput(Throughput::Elements(1));
    for appenders in APPENDERS {
        let dir: PathBuf = scratch_dir().keep();
        let (wal, _) = Wal::open_with(fs.clone(), &dir, Options::default()).expect("open");
        let wal = Arc::new(wal);
        let before = wal.stats();
        let mut elapsed = Duration::ZERO;
        group.bench_with_input(BenchmarkId::from_parameter(appenders), &appenders, |b, &n| {
            b.iter_custom(|iters| {
                let took = run_appenders(&wal, n, iters.max(n));
                elapsed += took;
                took
            });
        });
        let after = wal.stats();
        let (records, syncs) = (after.records - before.records, after.syncs - before.syncs);
        if records == 0 {
            continue; // filtered out on the command line
        }
        let secs = elapsed.as_secs_f64().max(f64::EPSILON);
        eprintln!(
            "sync_append/{backend}/{appenders}: {:.0} appends/s, {:.0} syncs/s, {:.1} records per sync",
            records as f64 / secs,
            syncs as f64 / secs,
            records as f64 / syncs.max(1) as f64,
        );
        drop(wal);
        let _ = std::fs::remove_dir_all(dir);
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    raw_fdatasync(c, StdFs, "std_extending", false, false);
    raw_fdatasync(c, StdFs, "std_preallocated", false, true);
    sync_append(c, StdFs, "std");
    match UringFs::new() {
        Ok(uring) => {
            raw_fdatasync(c, uring, "io_uring_linked_preallocated", true, true);
            sync_append(c, uring, "io_uring");
        }
        Err(e) => eprintln!("io_uring unavailable ({e}); skipping its cases"),
    }
}

criterion_group! {
    name = append;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(append);
