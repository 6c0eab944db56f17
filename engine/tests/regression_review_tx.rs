//! Findings of an independent review of batches and transactions, kept as regression tests.
//!
//! 1. A transaction that only *reads* an item on one shard (a ConditionCheck) and writes
//!    another was published through the single-shard path of the shard it wrote; a later
//!    write of the item it read (another shard, a higher LSN) could become visible first, and
//!    a TransactGetItems then saw the later write without the transaction it followed. Every
//!    shard a transaction locks is now sealed and published with it.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use basalt::api::DbError;
use basalt::model::Item;
use basalt::{Db, DbOptions};
use common::{open_two_tables, req};
use serde_json::{json, Value};

const ACCOUNTS: &str = "Accounts";

fn counter(item: Option<&Item>) -> i64 {
    let value = serde_json::to_value(item.expect("the item exists")).expect("serializes");
    value["c"]["N"].as_str().expect("a number").parse().expect("an integer")
}

fn get_x(db: &Db) -> i64 {
    let got =
        db.get_item(req(json!({"TableName": ACCOUNTS, "Key": {"id": {"S": "x"}}}))).expect("get x");
    counter(got.item.as_ref())
}

/// `[ConditionCheck x (c = n), Put y (c = n)]`.
fn check_and_copy(db: &Db, y: &str, n: i64) -> Result<(), DbError> {
    let mut actions = vec![json!({"ConditionCheck": {
        "TableName": ACCOUNTS, "Key": {"id": {"S": "x"}}, "ConditionExpression": "c = :n",
        "ExpressionAttributeValues": {":n": {"N": n.to_string()}}}})];
    actions.push(json!({"Put": {"TableName": ACCOUNTS,
        "Item": {"id": {"S": y}, "c": {"N": n.to_string()}}}}));
    db.transact_write_items(req(json!({"TransactItems": actions}))).map(|_| ())
}

/// `(x.c, [y.c])` from one TransactGetItems.
fn read_all(db: &Db, y: &str) -> (i64, Vec<i64>) {
    let gets = vec![
        json!({"Get": {"TableName": ACCOUNTS, "Key": {"id": {"S": "x"}}}}),
        json!({"Get": {"TableName": ACCOUNTS, "Key": {"id": {"S": y}}}}),
    ];
    let out = db.transact_get_items(req(json!({"TransactItems": gets}))).expect("read");
    let responses = out.responses.expect("responses");
    let x = counter(responses[0].item.as_ref());
    (x, responses[1..].iter().map(|r| counter(r.item.as_ref())).collect())
}

#[test]
fn a_transaction_that_only_reads_a_shard_is_never_seen_after_a_later_write_of_it() {
    let (_dir, db) = open_two_tables(DbOptions::default(), (ACCOUNTS, "id"), "Orders");
    let db = Arc::new(db);
    let put = |id: String, c: i64| {
        let item: Value = json!({"id": {"S": id}, "c": {"N": c.to_string()}});
        db.put_item(req(json!({"TableName": ACCOUNTS, "Item": item}))).expect("put");
    };
    let shard = |id: &str| {
        let key: Item = req(json!({"id": {"S": id}}));
        basalt::testing::shard_of(&db, ACCOUNTS, &key).expect("shard")
    };
    let x_shard = shard("x");
    let y = (0..100).map(|i| format!("y{i}")).find(|y| shard(y) != x_shard).expect("another shard");
    assert_ne!(shard(&y), x_shard);
    put("x".into(), 0);
    put(y.clone(), -1);
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(Mutex::new(Vec::new()));
    let checker = {
        let (db, stop, committed, y) = (db.clone(), stop.clone(), committed.clone(), y.clone());
        std::thread::spawn(move || {
            // ORDERING: Relaxed: a stop flag; the join below synchronizes.
            while !stop.load(Ordering::Relaxed) {
                let n = get_x(&db);
                if check_and_copy(&db, &y, n).is_ok() {
                    committed.lock().expect("lock").push(n);
                }
            }
        })
    };
    let incrementer = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            // ORDERING: Relaxed, as above.
            while !stop.load(Ordering::Relaxed) {
                db.update_item(req(json!({"TableName": ACCOUNTS, "Key": {"id": {"S": "x"}},
                    "UpdateExpression": "SET c = c + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}})))
                    .expect("increment");
            }
        })
    };
    let mut seen = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        seen.push(read_all(&db, &y));
    }
    // ORDERING: Relaxed, as above.
    stop.store(true, Ordering::Relaxed);
    checker.join().expect("checker");
    incrementer.join().expect("incrementer");
    let committed: BTreeSet<i64> = committed.lock().expect("lock").iter().copied().collect();
    assert!(!committed.is_empty(), "no checking transaction committed");
    // A transaction that committed with n read x = n before any increment past n: a snapshot
    // that shows x > n must show every y at n or later.
    for (x, ys) in &seen {
        if let Some(&n) = committed.range(..*x).next_back() {
            for y in ys {
                assert!(*y >= n, "x = {x} but y = {y}, older than the transaction with n = {n}");
            }
        }
    }
}

/// 2. TransactWriteItems checked each action whole before the next, so a missing table in
///    the first action won over a syntax error in the second; expressions are checked for
///    every action before any table is looked up.
/// 3. BatchGetItem looked tables up one at a time, so a duplicate key in one table won over a
///    missing later table; every table is looked up first, as in BatchWriteItem.
#[test]
fn expressions_before_tables_and_tables_before_duplicates() {
    let (_dir, db) = open_two_tables(DbOptions::default(), (ACCOUNTS, "id"), "Orders");
    let error = db
        .transact_write_items(req(json!({"TransactItems": [
            {"Put": {"TableName": "Nope", "Item": {"id": {"S": "a"}}}},
            {"ConditionCheck": {"TableName": ACCOUNTS, "Key": {"id": {"S": "b"}},
                "ConditionExpression": "(("}}
        ]})))
        .expect_err("refused");
    assert_eq!(error.name(), "ValidationException", "{error}");
    assert!(error.message().starts_with("Invalid ConditionExpression: Syntax error"), "{error}");
    let error = db
        .batch_get_item(req(json!({"RequestItems": {
            ACCOUNTS: {"Keys": [{"id": {"S": "a"}}, {"id": {"S": "a"}}]},
            "Zmissing": {"Keys": [{"id": {"S": "a"}}]}
        }})))
        .expect_err("refused");
    assert_eq!(error.name(), "ResourceNotFoundException", "{error}");
}

/// 4. The token's fingerprint took sets in the order sent, so the same request with a set's
///    members in another order was an IdempotentParameterMismatchException.
#[test]
fn a_set_in_another_order_is_the_same_request() {
    let (_dir, db) = open_two_tables(DbOptions::default(), (ACCOUNTS, "id"), "Orders");
    let request = |set: Value| {
        req(json!({"ClientRequestToken": "token-1", "TransactItems": [
            {"Update": {"TableName": ACCOUNTS, "Key": {"id": {"S": "t"}},
                "UpdateExpression": "ADD n :one, s :s",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":s": {"SS": set}}}}]}))
    };
    db.transact_write_items(request(json!(["a", "b"]))).expect("first");
    db.transact_write_items(request(json!(["b", "a"]))).expect("a replay");
    assert_eq!(get_n(&db), 1, "applied once");
    let error = db.transact_write_items(request(json!(["a", "c"]))).expect_err("another request");
    assert_eq!(error.name(), "IdempotentParameterMismatchException");
}

fn get_n(db: &Db) -> i64 {
    let got =
        db.get_item(req(json!({"TableName": ACCOUNTS, "Key": {"id": {"S": "t"}}}))).expect("get");
    let value = serde_json::to_value(got.item.expect("exists")).expect("serializes");
    value["n"]["N"].as_str().expect("a number").parse().expect("an integer")
}
