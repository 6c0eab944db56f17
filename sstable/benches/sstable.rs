//! SSTable benchmarks: write throughput against the disk's raw sequential write bandwidth in
//! the same run, point lookups (hits and misses) and scans over a table larger than the CPU
//! caches. Results and the command line: `docs/benchmarks.md`, section "basalt-sstable".

#![expect(missing_docs, reason = "criterion_group! generates an undocumented public function")]

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use basalt_sstable::{Direction, Kind, SeqNo, Table, TableWriter, WriterOptions};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const WRITE_ENTRIES: u64 = 200_000;
/// About 80 MiB of table: well past this machine's 32 MiB L3.
const READ_ENTRIES: u64 = 640_000;
const VALUE: [u8; 100] = [0x5a; 100];

/// 16-byte keys of even numbers; odd numbers in the same range are misses the index cannot
/// rule out, so only the bloom filter saves the block read.
fn key(i: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key.copy_from_slice(format!("{:016}", i * 2).as_bytes());
    key
}

/// Benchmarks run in the target directory, which is on the real disk (not a tmpfs).
fn scratch_dir() -> tempfile::TempDir {
    let base =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    std::fs::create_dir_all(&base).expect("target dir");
    tempfile::tempdir_in(base).expect("scratch dir")
}

fn write_table(path: &Path, entries: u64) -> u64 {
    let file = File::create(path).expect("create");
    let mut writer =
        TableWriter::new(BufWriter::with_capacity(1 << 20, file), WriterOptions::default())
            .expect("valid options");
    for i in 0..entries {
        writer.add(&key(i), SeqNo(i + 1), Kind::Value, &VALUE).expect("sorted");
    }
    let finished = writer.finish().expect("write");
    let file = finished.output.into_inner().expect("flush");
    file.sync_all().expect("sync");
    finished.file_len_bytes
}

fn write_raw(path: &Path, len: u64) {
    let mut file = File::create(path).expect("create");
    let chunk = vec![0xa5u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    file.sync_all().expect("sync");
}

fn bench_write(c: &mut Criterion) {
    let dir = scratch_dir();
    let table_len = write_table(&dir.path().join("probe.sst"), WRITE_ENTRIES);
    let mut group = c.benchmark_group("write");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes(table_len));
    let path = dir.path().join("w.sst");
    group.bench_function("sstable_200k_entries_synced", |b| {
        b.iter(|| black_box(write_table(&path, WRITE_ENTRIES)));
    });
    let raw = dir.path().join("raw.bin");
    group.bench_function("raw_file_same_bytes_synced", |b| b.iter(|| write_raw(&raw, table_len)));
    group.bench_function("sstable_200k_entries_to_vec", |b| {
        b.iter(|| {
            let options = WriterOptions::default();
            let mut writer = TableWriter::new(Vec::with_capacity(table_len as usize), options)
                .expect("valid options");
            for i in 0..WRITE_ENTRIES {
                writer.add(&key(i), SeqNo(i + 1), Kind::Value, &VALUE).expect("sorted");
            }
            black_box(writer.finish().expect("vec").file_len_bytes)
        });
    });
    group.finish();
}

#[expect(unsafe_code, reason = "Table::open maps the table under test")]
fn bench_read(c: &mut Criterion) {
    let dir = scratch_dir();
    let path = dir.path().join("r.sst");
    let table_len = write_table(&path, READ_ENTRIES);
    // SAFETY: `write_table` wrote, synced and closed the file; nothing writes to it again and
    // the scratch directory outlives the table.
    let table = unsafe { Table::open(&path) }.expect("open");
    eprintln!("read table: {} entries, {} bytes", READ_ENTRIES, table_len);
    let mut rng = SmallRng::seed_from_u64(7);
    let mut group = c.benchmark_group("lookup");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    group.bench_function("get_hit", |b| {
        b.iter_batched(
            || key(rng.gen_range(0..READ_ENTRIES)),
            |k| black_box(table.get(&k).expect("get").expect("hit")),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("get_miss", |b| {
        b.iter_batched(
            || {
                let mut k = key(rng.gen_range(0..READ_ENTRIES));
                k[15] += 1;
                k
            },
            |k| black_box(table.get(&k).expect("get")),
            BatchSize::SmallInput,
        );
    });
    group.finish();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes(table_len));
    for (name, direction) in [("forward", Direction::Forward), ("backward", Direction::Backward)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut count = 0u64;
                for entry in table.iter(direction) {
                    count += black_box(entry.expect("scan")).value.len() as u64;
                }
                count
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_write, bench_read);
criterion_main!(benches);
