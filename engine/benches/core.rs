//! Storage-core benchmarks: durable puts from 1 and 8 threads, batched loading, point reads from
//! the live tree and from SSTables, 100-key range scans, and reopening a store after a clean
//! close. Keys are 16 bytes (an 8-byte hash prefix, then the index), values 100 bytes.
//!
//! Run: `cargo bench -p basalt --bench core`. Figures: `docs/benchmarks.md`.
#![expect(missing_docs, reason = "criterion_group! generates undocumented public functions")]

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt::core::{Batch, Core, Options};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const VALUE: [u8; 100] = [0x5a; 100];

fn key(i: u64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    key[8..].copy_from_slice(&i.to_be_bytes());
    key
}

fn load(core: &Core, items: u64) {
    for chunk in (0..items).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Batch::new();
        for &i in chunk {
            batch.put(key(i), VALUE);
        }
        core.write(batch).expect("load");
    }
}

fn durable_puts(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/durable_put");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for threads in [1u64, 8] {
        group.bench_function(format!("{threads}_threads"), |b| {
            let dir = tempfile::tempdir().expect("tempdir");
            let core = Arc::new(Core::open(dir.path(), Options::default()).expect("open"));
            let next = Arc::new(AtomicU64::new(0));
            b.iter_custom(|iters| {
                // Each thread does iters/threads puts; throughput is per put.
                let per_thread = iters.div_ceil(threads);
                let start = Instant::now();
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (core, next) = (core.clone(), next.clone());
                        std::thread::spawn(move || {
                            for _ in 0..per_thread {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                core.put(&key(i), &VALUE).expect("put");
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.join().expect("writer");
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

fn bulk_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/bulk_load");
    let items = 100_000u64;
    group.throughput(Throughput::Elements(items)).sample_size(10);
    group.bench_function("100k_in_batches_of_1000", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let core = Core::open(dir.path(), Options::default()).expect("open");
                load(&core, items);
                drop(core);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let items = 200_000u64;
    let mut group = c.benchmark_group("core/get");
    group.throughput(Throughput::Elements(1));
    let dir = tempfile::tempdir().expect("tempdir");
    let options = Options { memory_budget_bytes: 1 << 30, ..Options::default() };
    let core = Core::open(dir.path(), options.clone()).expect("open");
    load(&core, items);
    let mut i = 0u64;
    group.bench_function("live_tree_hit", |b| {
        b.iter(|| {
            i = (i + 7919) % items;
            core.get(&key(i)).expect("get").expect("present")
        });
    });
    core.close().expect("close");
    let core = Core::open(dir.path(), options).expect("reopen");
    group.bench_function("sstable_hit", |b| {
        b.iter(|| {
            i = (i + 7919) % items;
            core.get(&key(i)).expect("get").expect("present")
        });
    });
    group.bench_function("sstable_miss", |b| {
        b.iter(|| {
            i = (i + 7919) % items;
            assert!(core.get(&key(items + i)).expect("get").is_none());
        });
    });
    group.finish();
    let mut group = c.benchmark_group("core/scan");
    group.throughput(Throughput::Elements(100));
    group.bench_function("100_keys_from_sstables", |b| {
        b.iter(|| {
            i = (i + 7919) % items;
            let snapshot = core.snapshot();
            let start = key(i);
            let n = snapshot
                .range((Bound::Included(&start[..]), Bound::Unbounded))
                .take(100)
                .map(|r| r.expect("scan").1.len())
                .sum::<usize>();
            assert!(n > 0);
        });
    });
    group.finish();
}

fn reopen(c: &mut Criterion) {
    let mut group = c.benchmark_group("core/reopen");
    group.sample_size(10);
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Core::open(dir.path(), Options::default()).expect("open");
    load(&core, 1_000_000);
    core.close().expect("close");
    group.bench_function("after_clean_close_1M_items", |b| {
        b.iter(|| {
            Core::open(dir.path(), Options::default()).expect("reopen").close().expect("close")
        });
    });
    group.finish();
}

criterion_group!(benches, durable_puts, bulk_load, reads, reopen);
criterion_main!(benches);
