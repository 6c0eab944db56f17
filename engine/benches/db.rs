//! DynamoDB-layer benchmarks through the embedded API [`basalt::Db`]: `PutItem` from 1 thread
//! (default `Sync` durability, then the relaxed `Buffered` and `None` durabilities, which show the
//! CPU cost of the layer without the `fdatasync`), `PutItem` from 8 threads (default durability,
//! as throughput, so group commit shows), and `GetItem` of random present keys from a table of
//! 100k items, from 1, 2 and 4 threads.
//!
//! Items have 10 attributes and are about 1 KB: `pk` (S), `sk` (N), `name`, `email` (S), `age`,
//! `balance` (N), `active` (BOOL), `tags` (L of 3 S), `address` (M of 3 S) and `blob` (B of
//! [`BLOB_BYTES`] bytes). Their exact DynamoDB size (`basalt::model::item_size_bytes`) is printed
//! when the benchmarks start: 1000 to 1006 bytes, depending on the digits of `sk` and `balance`.
//!
//! Requests are built before the clock starts (criterion's `iter_batched` on 1 thread; on several
//! threads each thread builds its requests, then all start together), so the figures are the
//! `Db` call alone. Puts always insert new keys. The table is `PAY_PER_REQUEST` with key schema
//! `pk` (HASH, S) and `sk` (RANGE, N).
//!
//! Run: `cargo bench -p basalt --bench db`.
#![expect(missing_docs, reason = "criterion_group! generates undocumented public functions")]

mod common;

use common::{open, TABLE};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use basalt::api::{GetItemInput, PutItemInput};
use basalt::core::Durability;
use basalt::item;
use basalt::model::{item_size_bytes, AttributeValue, Item, Number};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The size of each item's `blob` attribute, chosen so that items are about 1000 bytes.
const BLOB_BYTES: usize = 777;
/// Items preloaded for the `GetItem` benchmarks.
const PRELOADED: u64 = 100_000;

/// The item with index `i`: 10 attributes, about 1 KB.
fn item(i: u64) -> Item {
    let balance = Number::parse(&format!("{}.{:02}", 1000 + i % 9000, i % 100)).expect("number");
    item! {
        "pk" => format!("customer#{i:010}"),
        "sk" => i,
        "name" => "Ada Augusta King, Countess of Lovelace",
        "email" => format!("customer{i:010}@example.com"),
        "age" => 18 + i % 80,
        "balance" => balance,
        "active" => i % 3 != 0,
        "tags" => vec![
            AttributeValue::from("premium"),
            AttributeValue::from("newsletter"),
            AttributeValue::from("eu-west"),
        ],
        "address" => item! {
            "street" => "12 Analytical Engine Way",
            "city" => "London",
            "zip" => "NW1 2DB",
        },
        "blob" => vec![u8::try_from(i % 251).expect("below 251"); BLOB_BYTES],
    }
}

fn key(i: u64) -> Item {
    item! { "pk" => format!("customer#{i:010}"), "sk" => i }
}

fn put_input(i: u64) -> PutItemInput {
    PutItemInput { table_name: Some(TABLE.into()), item: Some(item(i)), ..Default::default() }
}

fn get_input(i: u64) -> GetItemInput {
    GetItemInput { table_name: Some(TABLE.into()), key: Some(key(i)), ..Default::default() }
}

/// Runs `iters` operations split over `threads` threads and returns the elapsed time. Each
/// thread first builds its requests with `build` (untimed), then all start together.
fn run_threads<T: Send + 'static>(
    threads: u64,
    iters: u64,
    build: impl Fn(u64, u64) -> Vec<T> + Send + Sync + 'static,
    run: impl Fn(T) + Send + Sync + 'static,
) -> Duration {
    let per_thread = iters.div_ceil(threads);
    let barrier = Arc::new(Barrier::new(usize::try_from(threads).expect("threads") + 1));
    let (build, run) = (Arc::new(build), Arc::new(run));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (barrier, build, run) = (barrier.clone(), build.clone(), run.clone());
            std::thread::spawn(move || {
                let requests = build(t, per_thread);
                barrier.wait();
                for request in requests {
                    run(request);
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for handle in handles {
        handle.join().expect("worker");
    }
    start.elapsed()
}

#[expect(clippy::print_stdout, reason = "the benchmark reports the item size it measures")]
fn report_item_size() {
    // Every preloaded item, and a few from the range the put benchmarks reach.
    let sizes: Vec<usize> = (0..PRELOADED)
        .chain([123_456, 999_999, 9_999_999])
        .map(|i| item_size_bytes(&item(i)))
        .collect();
    let (min, max) = (sizes.iter().min().expect("sizes"), sizes.iter().max().expect("sizes"));
    println!("db bench: items of 10 attributes, DynamoDB item size {min}..={max} bytes");
}

fn put_one_thread(c: &mut Criterion, group_name: &str, durability: Durability, samples: usize) {
    let mut group = c.benchmark_group(group_name);
    group
        .throughput(Throughput::Elements(1))
        .sample_size(samples)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("1_thread", |b| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(dir.path(), durability);
        let mut next = 0u64;
        b.iter_batched(
            || {
                next += 1;
                put_input(next)
            },
            |input| db.put_item(input).expect("put"),
            BatchSize::SmallInput,
        );
        db.close().expect("close");
    });
    group.finish();
}

fn puts(c: &mut Criterion) {
    report_item_size();
    put_one_thread(c, "db/put_item_sync", Durability::Sync, 10);
    put_one_thread(c, "db/put_item_buffered_no_fsync", Durability::Buffered, 50);
    put_one_thread(c, "db/put_item_none_in_memory_log", Durability::None, 50);

    let mut group = c.benchmark_group("db/put_item_sync");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let threads = 8u64;
    group.bench_function(format!("{threads}_threads"), |b| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Arc::new(open(dir.path(), Durability::Sync));
        let next = Arc::new(AtomicU64::new(0));
        b.iter_custom(|iters| {
            let (db, next) = (db.clone(), next.clone());
            run_threads(
                threads,
                iters,
                move |_, n| {
                    let first = next.fetch_add(n, Ordering::Relaxed);
                    (first..first + n).map(put_input).collect()
                },
                move |input| {
                    db.put_item(input).expect("put");
                },
            )
        });
    });
    group.finish();
}

fn gets(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        // Preload with relaxed durability, then close cleanly: reads come from SSTables.
        let db = Arc::new(open(dir.path(), Durability::None));
        let loaders = 4u64;
        let handles: Vec<_> = (0..loaders)
            .map(|t| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for i in (t..PRELOADED).step_by(usize::try_from(loaders).expect("loaders")) {
                        db.put_item(put_input(i)).expect("preload");
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().expect("loader");
        }
        Arc::into_inner(db).expect("loaders finished").close().expect("close");
    }
    let db = Arc::new(open(dir.path(), Durability::Sync));

    let mut group = c.benchmark_group("db/get_item_100k");
    group.throughput(Throughput::Elements(1)).measurement_time(Duration::from_secs(5));
    let mut rng = SmallRng::seed_from_u64(1);
    group.bench_function("1_thread", |b| {
        b.iter_batched(
            || get_input(rng.gen_range(0..PRELOADED)),
            |input| assert!(db.get_item(input).expect("get").item.is_some()),
            BatchSize::SmallInput,
        );
    });
    for threads in [2u64, 4] {
        group.bench_function(format!("{threads}_threads"), |b| {
            let seed = Arc::new(AtomicU64::new(0));
            b.iter_custom(|iters| {
                let (db, seed) = (db.clone(), seed.clone());
                run_threads(
                    threads,
                    iters,
                    move |_, n| {
                        let mut rng = SmallRng::seed_from_u64(seed.fetch_add(1, Ordering::Relaxed));
                        (0..n).map(|_| get_input(rng.gen_range(0..PRELOADED))).collect()
                    },
                    move |input| {
                        assert!(db.get_item(input).expect("get").item.is_some());
                    },
                )
            });
        });
    }
    group.finish();
    Arc::into_inner(db).expect("readers finished").close().expect("close");
}

criterion_group!(benches, puts, gets);
criterion_main!(benches);
