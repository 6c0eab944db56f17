//! The bank test: transactions keep an invariant under concurrency and across crashes.
//!
//! A table holds 32 accounts (`id`, `balance`). Writer threads move random amounts between
//! random accounts with TransactWriteItems: an Update `SET balance = balance - :x` guarded by
//! `balance >= :x` on one account, `SET balance = balance + :x` on the other. Reader threads
//! read every balance with one TransactGetItems (32 reads ≤ 100) and check that the total never
//! changes and no balance goes negative: a reader that saw half a transfer, or a transfer that
//! applied one side only, breaks the total.
//!
//! The crash variant follows `crash_db.rs`: a child process (this test binary, re-run with only
//! `bank_crash_child` selected) runs transfers from two threads under `Durability::Sync` and
//! reports each one's outcome on stdout after the call returns; the parent SIGKILLs it at a
//! random moment, reopens the database and checks that the total is unchanged and that every
//! balance equals the last checked state plus every acknowledged transfer plus some subset of
//! the transfers in flight at the kill (at most one per thread). `BASALT_BANK_CRASH_CYCLES`
//! sets the number of kills (8 by default).

mod common;

use common::{ack, report, spawn_child};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt::api::{
    DbError, Get, GetItemInput, PutItemInput, TableNameInput, TransactGetItem,
    TransactGetItemsInput, TransactWriteItem, TransactWriteItemsInput, Update,
};
use basalt::core::Durability;
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db, DbOptions};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const TABLE: &str = "Bank";
const ACCOUNTS: usize = 32;
const OPENING_BALANCE: i64 = 1_000;
const TOTAL: i64 = OPENING_BALANCE * ACCOUNTS as i64;
/// The largest transfer; large enough that some transfers find too little money and cancel.
const AMOUNT_MAX: i64 = 400;

fn options(durability: Durability) -> DbOptions {
    let core = basalt::core::Options {
        durability,
        shards: 8,
        // Small enough that live trees freeze and flush while the transfers run.
        memory_budget_bytes: 256 << 10,
        table_target_bytes: 64 << 10,
        level_base_bytes: 256 << 10,
        wal_segment_bytes: 128 << 10,
        ..basalt::core::Options::default()
    };
    DbOptions { core, ..DbOptions::default() }
}

fn account_id(account: usize) -> String {
    format!("acct-{account:02}")
}

fn key(account: usize) -> Item {
    item! { "id" => account_id(account) }
}

fn number(value: &AttributeValue) -> i64 {
    match value {
        AttributeValue::N(n) => n.to_i64().expect("balances are integers"),
        other => panic!("balance is not a number: {other:?}"),
    }
}

/// Creates the table and opens every account, unless the table exists.
fn open_bank(db: &Db) {
    let exists = db.describe_table(TableNameInput { table_name: Some(TABLE.into()) });
    match exists {
        Ok(_) => return,
        Err(e) if e.name() == "ResourceNotFoundException" => {}
        Err(e) => panic!("describe {TABLE}: {e:?}"),
    }
    let create = serde_json::json!({
        "TableName": TABLE,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    db.create_table(serde_json::from_value(create).expect("request decodes"))
        .expect("create table");
    for account in 0..ACCOUNTS {
        let mut item = key(account);
        item.insert("balance".into(), OPENING_BALANCE.into());
        let input =
            PutItemInput { table_name: Some(TABLE.into()), item: Some(item), ..Default::default() };
        db.put_item(input).expect("open account");
    }
}

/// A transfer of `amount` from account `from` to account `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Transfer {
    from: usize,
    to: usize,
    amount: i64,
}

fn random_transfer(rng: &mut SmallRng) -> Transfer {
    let from = rng.gen_range(0..ACCOUNTS);
    let to = (from + rng.gen_range(1..ACCOUNTS)) % ACCOUNTS;
    Transfer { from, to, amount: rng.gen_range(1..=AMOUNT_MAX) }
}

fn update(account: usize, expression: &str, condition: Option<&str>, amount: i64) -> Update {
    Update {
        table_name: Some(TABLE.into()),
        key: Some(key(account)),
        update_expression: Some(expression.into()),
        condition_expression: condition.map(str::to_string),
        expression_attribute_values: Some(item! { ":x" => amount }),
        ..Default::default()
    }
}

/// Runs `transfer`: `Ok(true)` when it committed, `Ok(false)` when `from` had too little.
fn run_transfer(db: &Db, transfer: Transfer) -> Result<bool, DbError> {
    let withdraw =
        update(transfer.from, "SET balance = balance - :x", Some("balance >= :x"), transfer.amount);
    let deposit = update(transfer.to, "SET balance = balance + :x", None, transfer.amount);
    let input = TransactWriteItemsInput {
        transact_items: Some(vec![
            TransactWriteItem { update: Some(withdraw), ..Default::default() },
            TransactWriteItem { update: Some(deposit), ..Default::default() },
        ]),
        ..Default::default()
    };
    match db.transact_write_items(input) {
        Ok(_) => Ok(true),
        Err(DbError::TransactionCanceled { reasons, .. }) => {
            let codes: Vec<Option<&str>> = reasons.iter().map(|r| r.code.as_deref()).collect();
            assert_eq!(codes, [Some("ConditionalCheckFailed"), Some("None")], "{transfer:?}");
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// Every balance, read with one TransactGetItems.
fn balances(db: &Db) -> Vec<i64> {
    let gets = (0..ACCOUNTS)
        .map(|account| TransactGetItem {
            get: Some(Get {
                table_name: Some(TABLE.into()),
                key: Some(key(account)),
                ..Default::default()
            }),
        })
        .collect();
    let input = TransactGetItemsInput { transact_items: Some(gets), ..Default::default() };
    let responses = db.transact_get_items(input).expect("transact get").responses;
    responses
        .expect("responses")
        .into_iter()
        .map(|r| number(r.item.expect("every account exists").get("balance").expect("balance")))
        .collect()
}

#[track_caller]
fn assert_consistent(balances: &[i64], context: &str) {
    assert_eq!(balances.iter().sum::<i64>(), TOTAL, "{context}: the total changed: {balances:?}");
    assert!(balances.iter().all(|b| *b >= 0), "{context}: a negative balance: {balances:?}");
}

#[test]
fn concurrent_transfers_keep_the_total() {
    const WRITERS: u64 = 3;
    const READERS: u64 = 2;
    const TRANSFERS_PER_WRITER: usize = 150;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(Db::open_with(dir.path(), options(Durability::Sync)).expect("open"));
    open_bank(&db);
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (db, done) = (db.clone(), done.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                // ORDERING: Relaxed: the flag only ends the loop.
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    assert_consistent(&balances(&db), "a reader");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(0xba4c ^ writer);
                let mut committed = 0usize;
                for _ in 0..TRANSFERS_PER_WRITER {
                    let transfer = random_transfer(&mut rng);
                    committed += usize::from(run_transfer(&db, transfer).expect("transfer"));
                }
                committed
            })
        })
        .collect();
    let committed: usize = writers.into_iter().map(|w| w.join().expect("writer")).sum();
    // ORDERING: Relaxed: see the readers.
    done.store(true, Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|r| r.join().expect("reader")).sum();
    let total = WRITERS as usize * TRANSFERS_PER_WRITER;
    assert!(committed > total / 2, "most transfers commit: {committed} of {total}");
    assert_consistent(&balances(&db), "at the end");
    // Single-item reads agree with the transactional read once nothing runs.
    let single: Vec<i64> = (0..ACCOUNTS)
        .map(|account| {
            let input = GetItemInput {
                table_name: Some(TABLE.into()),
                key: Some(key(account)),
                consistent_read: Some(true),
                ..Default::default()
            };
            let item = db.get_item(input).expect("get item").item.expect("account exists");
            number(item.get("balance").expect("balance"))
        })
        .collect();
    assert_eq!(single, balances(&db));
    db.core().check_invariants();
    eprintln!(
        "{committed} of {total} transfers committed, {reads} consistent reads, in {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// The crash variant: the child.

const CHILD_ENV: &str = "BASALT_BANK_CRASH_CHILD";
const RUN_ENV: &str = "BASALT_BANK_CRASH_RUN";
const CHILD_WRITERS: u64 = 2;

/// The `counter`-th transfer of `thread` in process `run`: the parent recomputes it.
fn child_transfer(run: u64, thread: u64, counter: u64) -> Transfer {
    let seed = (run << 48) ^ (thread << 40) ^ counter ^ 0x5eed_0000_0000_0000;
    random_transfer(&mut SmallRng::seed_from_u64(seed))
}

#[test]
fn bank_crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let run: u64 = std::env::var(RUN_ENV).expect("run").parse().expect("number");
    let db = Arc::new(Db::open_with(&dir, options(Durability::Sync)).expect("child open"));
    report("open");
    let writers: Vec<_> = (0..CHILD_WRITERS)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                for counter in 0.. {
                    let transfer = child_transfer(run, thread, counter);
                    let committed = run_transfer(&db, transfer).expect("transfer");
                    report(&format!("{thread} {counter} {}", u8::from(committed)));
                }
            })
        })
        .collect();
    for writer in writers {
        let _ = writer.join();
    }
}

// ---------------------------------------------------------------------------------------------
// The crash variant: the parent.

/// One acknowledged transfer: thread, counter, whether it committed.
type Ack = (u64, u64, bool);

fn parse_ack(line: &str) -> Option<Ack> {
    let rest = ack(line)?;
    let words: Vec<&str> = rest.split(' ').collect();
    let [thread, counter, committed] = words.as_slice() else { return None };
    Some((thread.parse().ok()?, counter.parse().ok()?, *committed == "1"))
}

/// Starts a child, SIGKILLs it after `millis`, returns its acknowledgements.
fn run_child(dir: &Path, run: u64, millis: u64) -> Vec<Ack> {
    let mut child = spawn_child("bank_crash_child", (CHILD_ENV, dir), (RUN_ENV, run));
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).filter_map(|l| parse_ack(&l)).collect()
    });
    std::thread::sleep(Duration::from_millis(millis));
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    reader.join().expect("reader thread")
}

fn apply(balances: &mut [i64], transfer: Transfer) {
    balances[transfer.from] -= transfer.amount;
    balances[transfer.to] += transfer.amount;
}

/// The balances the acknowledgements of run `run` lead to from `before`, and the transfers
/// in flight at the kill (each thread's next one).
fn expected(before: &[i64], run: u64, acks: &[Ack]) -> (Vec<i64>, Vec<Transfer>) {
    let mut balances = before.to_vec();
    let mut next = [0u64; CHILD_WRITERS as usize];
    for &(thread, counter, committed) in acks {
        let slot = &mut next[usize::try_from(thread).expect("small")];
        assert_eq!(*slot, counter, "run {run}: thread {thread} acknowledges in order");
        *slot += 1;
        if committed {
            apply(&mut balances, child_transfer(run, thread, counter));
        }
    }
    let in_flight = (0..CHILD_WRITERS).map(|t| child_transfer(run, t, next[t as usize])).collect();
    (balances, in_flight)
}

#[test]
fn transfers_survive_crashes() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: u64 =
        std::env::var("BASALT_BANK_CRASH_CYCLES").map_or(8, |v| v.parse().expect("n"));
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path().join("db");
    let mut rng = SmallRng::seed_from_u64(0xba4c_c4a5);
    // The parent opens the bank, so that every child finds all accounts.
    let db = Db::open_with(&dir, options(Durability::Sync)).expect("open");
    open_bank(&db);
    db.close().expect("close");
    // The balances checked after the last reopen.
    let mut state = vec![OPENING_BALANCE; ACCOUNTS];
    let (mut acknowledged, mut landed) = (0usize, 0usize);
    for run in 0..cycles {
        let millis = if run % 4 == 1 { rng.gen_range(0..30) } else { rng.gen_range(100..600) };
        let acks = run_child(&dir, run, millis);
        acknowledged += acks.len();
        let db = Db::open_with(&dir, options(Durability::Sync))
            .unwrap_or_else(|e| panic!("run {run}: reopen: {e}"));
        let actual = balances(&db);
        let context = format!("run {run} after the kill");
        assert_consistent(&actual, &context);
        let (want, in_flight) = expected(&state, run, &acks);
        // Every acknowledged transfer is there; of those in flight, any may have landed.
        let explained = (0..1u32 << in_flight.len()).find(|mask| {
            let mut with = want.clone();
            for (i, transfer) in in_flight.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    apply(&mut with, *transfer);
                }
            }
            with == actual
        });
        let Some(mask) = explained else {
            panic!(
                "{context}: balances {actual:?} are not the acknowledged state {want:?} plus \
                 any of the transfers in flight {in_flight:?}"
            )
        };
        landed += mask.count_ones() as usize;
        let count = db.describe_table(TableNameInput { table_name: Some(TABLE.into()) });
        assert_eq!(count.expect("describe").table.item_count, ACCOUNTS as i64, "{context}");
        db.core().check_invariants();
        state = actual;
        if run % 4 == 3 {
            db.close().unwrap_or_else(|e| panic!("run {run}: close: {e}"));
        }
    }
    assert!(acknowledged > cycles as usize, "the children acknowledged transfers");
    eprintln!(
        "{cycles} SIGKILL cycles, {acknowledged} acknowledged transfers, {landed} unacknowledged \
         transfers found applied, in {:?}",
        started.elapsed()
    );
}
