//! Expression benchmarks through the embedded API [`basalt::Db`]:
//!
//! - `UpdateItem` with a condition (`SET balance = balance + :d, visits = if_not_exists(visits,
//!   :zero) + :one` if `attribute_exists(pk) AND balance >= :min`) on random items of a
//!   10,000-item table of 1 KB items, with `Buffered` durability (the CPU cost: decode, check,
//!   apply, encode, no `fdatasync`) and the default `Sync` durability;
//! - `Query` of one whole partition of 100 items of 1 KB (`pk = :p`), random partitions of 200,
//!   reported as items/s;
//! - `Scan` of a table of 1,000,000 items of about 200 bytes, whole (every page, 1 MB each)
//!   from one thread and as a parallel scan of 2 segments on 2 threads, reported as items/s.
//!
//! Tables are loaded with `Durability::None` and closed cleanly before measuring, so reads come
//! from SSTables as they would after a restart. Requests are built before the clock starts.
//!
//! Run: `cargo bench -p basalt --bench db_expr`.
#![expect(missing_docs, reason = "criterion_group! generates undocumented public functions")]

mod common;

use common::{open, TABLE};

use std::collections::BTreeMap;
use std::time::Duration;

use basalt::api::{PutItemInput, QueryInput, ScanInput, UpdateItemInput};
use basalt::core::Durability;
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// An item of partition `p`, sort key `s`, with a blob of `blob` bytes.
fn item(p: u64, s: u64, blob: usize) -> Item {
    item! {
        "pk" => format!("customer#{p:08}"),
        "sk" => s,
        "name" => "Ada Augusta King, Countess of Lovelace",
        "balance" => 1000 + (p * 7 + s) % 9000,
        "active" => s % 3 != 0,
        "tags" => vec![AttributeValue::from("premium"), AttributeValue::from("eu-west")],
        "blob" => vec![7u8; blob],
    }
}

/// Loads `partitions × per_partition` items with `blob`-byte blobs into a fresh database in
/// `dir`, then closes it cleanly.
fn load(dir: &std::path::Path, partitions: u64, per_partition: u64, blob: usize) {
    let db = open(dir, Durability::None);
    for p in 0..partitions {
        for s in 0..per_partition {
            let input = PutItemInput::new(TABLE, item(p, s, blob));
            db.put_item(input).expect("put");
        }
    }
    db.close().expect("close");
}

fn values(pairs: &[(&str, AttributeValue)]) -> Option<Item> {
    Some(pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect())
}

fn update_input(p: u64) -> UpdateItemInput {
    UpdateItemInput {
        table_name: Some(TABLE.into()),
        key: Some(item! { "pk" => format!("customer#{p:08}"), "sk" => 0 }),
        update_expression: Some(
            "SET balance = balance + :d, visits = if_not_exists(visits, :zero) + :one".into(),
        ),
        condition_expression: Some("attribute_exists(pk) AND balance >= :min".into()),
        expression_attribute_values: values(&[
            (":d", AttributeValue::from(5)),
            (":zero", AttributeValue::from(0)),
            (":one", AttributeValue::from(1)),
            (":min", AttributeValue::from(0)),
        ]),
        ..Default::default()
    }
}

fn updates(c: &mut Criterion) {
    const ITEMS: u64 = 10_000;
    for (name, durability, samples) in
        [("buffered_no_fsync", Durability::Buffered, 50), ("sync", Durability::Sync, 10)]
    {
        let dir = tempfile::tempdir().expect("tempdir");
        load(dir.path(), ITEMS, 1, 850);
        let db = open(dir.path(), durability);
        let mut group = c.benchmark_group("db_expr/update_item_conditional");
        group
            .throughput(Throughput::Elements(1))
            .sample_size(samples)
            .measurement_time(Duration::from_secs(5));
        let mut rng = SmallRng::seed_from_u64(1);
        group.bench_function(name, |b| {
            b.iter_batched(
                || update_input(rng.gen_range(0..ITEMS)),
                |input| db.update_item(input).expect("update"),
                BatchSize::SmallInput,
            );
        });
        group.finish();
        db.close().expect("close");
    }
}

fn queries(c: &mut Criterion) {
    const PARTITIONS: u64 = 200;
    const PER_PARTITION: u64 = 100;
    let dir = tempfile::tempdir().expect("tempdir");
    load(dir.path(), PARTITIONS, PER_PARTITION, 850);
    let db = open(dir.path(), Durability::Sync);
    let mut group = c.benchmark_group("db_expr/query");
    group
        .throughput(Throughput::Elements(PER_PARTITION))
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    let mut rng = SmallRng::seed_from_u64(2);
    group.bench_function("partition_of_100_items", |b| {
        b.iter_batched(
            || QueryInput {
                table_name: Some(TABLE.into()),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: values(&[(
                    ":p",
                    AttributeValue::from(format!("customer#{:08}", rng.gen_range(0..PARTITIONS))),
                )]),
                ..Default::default()
            },
            |input| {
                let out = db.query(input).expect("query");
                assert_eq!(out.count, 100);
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
    db.close().expect("close");
}

/// Scans `segment` of `total` to its end; the number of items read.
fn scan_segment(db: &Db, segment: Option<(i64, i64)>) -> u64 {
    let mut start: Option<BTreeMap<String, AttributeValue>> = None;
    let mut items = 0u64;
    loop {
        let out = db
            .scan(ScanInput {
                table_name: Some(TABLE.into()),
                exclusive_start_key: start.take(),
                segment: segment.map(|s| s.0),
                total_segments: segment.map(|s| s.1),
                ..Default::default()
            })
            .expect("scan");
        items += out.count as u64;
        match out.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return items,
        }
    }
}

fn scans(c: &mut Criterion) {
    const ITEMS: u64 = 1_000_000;
    let dir = tempfile::tempdir().expect("tempdir");
    load(dir.path(), ITEMS / 10, 10, 60);
    let db = open(dir.path(), Durability::Sync);
    let mut group = c.benchmark_group("db_expr/scan_1m_items");
    group
        .throughput(Throughput::Elements(ITEMS))
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("1_thread", |b| {
        b.iter(|| assert_eq!(scan_segment(&db, None), ITEMS));
    });
    group.bench_function("2_segments_2_threads", |b| {
        b.iter(|| {
            let db_ref = &db;
            let total: u64 = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..2)
                    .map(|s| scope.spawn(move || scan_segment(db_ref, Some((s, 2)))))
                    .collect();
                handles.into_iter().map(|h| h.join().expect("segment")).sum()
            });
            assert_eq!(total, ITEMS);
        });
    });
    group.finish();
    db.close().expect("close");
}

criterion_group!(benches, updates, queries, scans);
criterion_main!(benches);
