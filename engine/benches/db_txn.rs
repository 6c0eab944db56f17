//! Batch and transaction benchmarks through the embedded API [`basalt::Db`]:
//!
//! - `BatchWriteItem` of 25 new 1 KB items per call, reported as items/s, with `Buffered`
//!   durability (the CPU cost: checks, encoding, one log record) and the default `Sync` (one
//!   `fdatasync` per batch, shared with concurrent writers);
//! - `TransactWriteItems` of 2 and 10 conditional updates (`SET balance = balance + :d` if
//!   `attribute_exists(pk)`; the amounts sum to zero, like transfers) from 2 threads, without
//!   contention (random accounts of 10,000, so the two threads rarely meet) and with contention
//!   (every transaction takes its accounts from the same 10, so the threads queue on the same
//!   shard writer locks), with `Sync` and `Buffered` durability; reported as transactions/s.
//!
//! The accounts table is loaded with `Durability::None` and closed cleanly before measuring.
//! Requests are built before the clock starts.
//!
//! Run: `cargo bench -p basalt --bench db_txn`.
#![expect(missing_docs, reason = "criterion_group! generates undocumented public functions")]

mod common;

use common::{open, TABLE};

use std::time::{Duration, Instant};

use basalt::api::{
    BatchWriteItemInput, PutItemInput, PutRequest, TransactWriteItem, TransactWriteItemsInput,
    Update, WriteRequest,
};
use basalt::core::Durability;
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::seq::index::sample;
use rand::SeedableRng;

const ACCOUNTS: u64 = 10_000;
const HOT_ACCOUNTS: u64 = 10;

fn account_key(account: u64) -> Item {
    item! { "pk" => format!("account#{account:08}"), "sk" => 0 }
}

/// Loads the accounts (about 1 KB each) into a fresh database in `dir`, then closes it.
fn load_accounts(dir: &std::path::Path) {
    let db = open(dir, Durability::None);
    for account in 0..ACCOUNTS {
        let mut item = account_key(account);
        item.insert("balance".into(), AttributeValue::from(1_000_000));
        item.insert("blob".into(), AttributeValue::from(vec![7u8; 950]));
        db.put_item(PutItemInput::new(TABLE, item)).expect("put");
    }
    db.close().expect("close");
}

/// A transaction moving money among `accounts`: each gets `+d` or `-d`, summing to zero
/// (for an odd count the last gets nothing added).
fn transfer(accounts: &[u64]) -> TransactWriteItemsInput {
    let actions = accounts.iter().enumerate().map(|(i, &account)| {
        let delta = match (i % 2, i + 1 == accounts.len() && accounts.len() % 2 == 1) {
            (_, true) => 0,
            (0, _) => -3,
            _ => 3,
        };
        TransactWriteItem {
            update: Some(Update {
                table_name: Some(TABLE.into()),
                key: Some(account_key(account)),
                update_expression: Some("SET balance = balance + :d".into()),
                condition_expression: Some("attribute_exists(pk)".into()),
                expression_attribute_values: Some(
                    [(":d".to_string(), AttributeValue::from(delta))].into(),
                ),
                ..Update::default()
            }),
            ..TransactWriteItem::default()
        }
    });
    TransactWriteItemsInput { transact_items: Some(actions.collect()), ..Default::default() }
}

/// Runs `iters` transactions of `size` accounts drawn from the first `pool` accounts, split
/// between two threads; returns the wall time.
fn run_transfers(db: &Db, iters: u64, size: usize, pool: u64, seed: u64) -> Duration {
    let per_thread = iters.div_ceil(2);
    let inputs: Vec<Vec<TransactWriteItemsInput>> = (0..2)
        .map(|t| {
            let mut rng = SmallRng::seed_from_u64(seed * 2 + t);
            (0..per_thread)
                .map(|_| {
                    let picked: Vec<u64> = sample(&mut rng, pool as usize, size)
                        .into_iter()
                        .map(|a| a as u64)
                        .collect();
                    transfer(&picked)
                })
                .collect()
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for batch in inputs {
            scope.spawn(move || {
                for input in batch {
                    db.transact_write_items(input).expect("transaction");
                }
            });
        }
    });
    start.elapsed().mul_f64(iters as f64 / (per_thread * 2) as f64)
}

fn transactions(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    load_accounts(dir.path());
    for (durability_name, durability) in
        [("sync", Durability::Sync), ("buffered", Durability::Buffered)]
    {
        let db = open(dir.path(), durability);
        let mut group = c.benchmark_group(format!("db_txn/transact_write_items_{durability_name}"));
        group
            .throughput(Throughput::Elements(1))
            .sample_size(10)
            .measurement_time(Duration::from_secs(5));
        let mut seed = 0;
        for size in [2usize, 10] {
            for (contention, pool) in [("no_contention", ACCOUNTS), ("contention", HOT_ACCOUNTS)] {
                group.bench_function(format!("{size}_items_2_threads_{contention}"), |b| {
                    b.iter_custom(|iters| {
                        seed += 1;
                        run_transfers(&db, iters, size, pool, seed)
                    });
                });
            }
        }
        group.finish();
        db.close().expect("close");
    }
}

/// A BatchWriteItem of 25 new 1 KB items, numbered from `first`.
fn batch_of_25(first: u64) -> BatchWriteItemInput {
    let writes = (first..first + 25).map(|n| WriteRequest {
        put_request: Some(PutRequest {
            item: Some(item! {
                "pk" => format!("batch#{n:010}"),
                "sk" => n % 7,
                "blob" => vec![9u8; 1000],
            }),
        }),
        delete_request: None,
    });
    BatchWriteItemInput {
        request_items: Some([(TABLE.to_string(), writes.collect())].into()),
        ..Default::default()
    }
}

fn batches(c: &mut Criterion) {
    for (name, durability) in
        [("buffered_no_fsync", Durability::Buffered), ("sync", Durability::Sync)]
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(dir.path(), durability);
        let mut group = c.benchmark_group("db_txn/batch_write_item_25_items_1kb");
        group
            .throughput(Throughput::Elements(25))
            .sample_size(20)
            .measurement_time(Duration::from_secs(5));
        let mut next = 0u64;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    next += 25;
                    batch_of_25(next)
                },
                |input| db.batch_write_item(input).expect("batch"),
                BatchSize::SmallInput,
            );
        });
        group.finish();
        db.close().expect("close");
    }
}

criterion_group!(benches, batches, transactions);
criterion_main!(benches);
