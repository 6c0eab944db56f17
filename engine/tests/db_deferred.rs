//! Deferred item writes (`Db::put_item_deferred`, `Db::delete_item_deferred`,
//! `Db::update_item_deferred`): checked, decided and applied at once, answered through a
//! `basalt::Deferred` once durable and visible.
//!
//! - The answers equal the blocking calls' (a second database takes the same requests through
//!   `put_item` & co.), refusals come through the `Deferred` and change nothing, writes resolve in
//!   the order one thread issued them, and a write reading another one still in flight sees it.
//! - A `Deferred` is a `Future`: driven by a minimal thread-parking executor written here, which
//!   fails if it is never woken; many writes from four threads, a contended counter among them,
//!   all land and survive a reopen; a dropped `Deferred` does not undo its write.
//! - DeleteTable right after (and during) bursts of deferred puts whose answers are still
//!   pending: the answers all arrive, the purge gets every item and a new table under the same
//!   name starts empty.
//! - Streams: exactly one record per change, in order per item, with the right images; a
//!   subscriber is woken, also by a write whose answer was dropped; UpdateTable disabling the
//!   stream waits for the writes in flight.
//! - Crash safety: a child process (this test binary, re-run with only `deferred_crash_child`
//!   selected) puts and updates from three threads under `Durability::Sync`, each with several
//!   writes in flight, and acknowledges a key on stdout only once its `Deferred` answered. The
//!   parent SIGKILLs it at a random moment, reopens and checks that every acknowledged key is
//!   there with its value, that every key present was issued by the child (with its value), and
//!   that what a thread issued survives as a prefix. `BASALT_DEFERRED_CRASH_CYCLES` sets the
//!   number of kills (8 by default).

mod common;

use common::{ack, report, spawn_child};

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use basalt::api::{
    CreateTableInput, DbError, DeleteItemInput, GetItemInput, PutItemInput, Record, ScanInput,
    StreamSpecification, TableNameInput, UpdateItemInput, WriteItemOutput,
};
use basalt::core::Durability;
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db, DbOptions, Deferred, StreamOptions, TtlOptions};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const TABLE: &str = "Deferred";
/// The generous bound on any wait of these tests; reaching it is a failure (a lost wakeup, a
/// stuck completer), not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(60);

fn options(durability: Durability) -> DbOptions {
    let core = basalt::core::Options {
        durability,
        shards: 4,
        // Small enough that live trees freeze and flush while the writes run.
        memory_budget_bytes: 256 << 10,
        table_target_bytes: 64 << 10,
        level_base_bytes: 256 << 10,
        wal_segment_bytes: 128 << 10,
        ..basalt::core::Options::default()
    };
    DbOptions {
        core,
        ttl: TtlOptions { background: false, ..TtlOptions::default() },
        streams: StreamOptions { trim_interval: None, ..StreamOptions::default() },
        ..DbOptions::default()
    }
}

fn open(dir: &Path) -> Db {
    Db::open_with(dir, options(Durability::Sync)).expect("open")
}

fn create(db: &Db, name: &str) {
    db.create_table(CreateTableInput::new(name).partition_key("id", "S")).expect("create table");
}

fn get(db: &Db, table: &str, id: &str) -> Option<Item> {
    db.get_item(GetItemInput::new(table, item! { "id" => id })).expect("get item").item
}

/// Every item of `table`, by `id`, a page at a time.
fn scan_all(db: &Db, table: &str) -> BTreeMap<String, Item> {
    let mut items = BTreeMap::new();
    let mut start = None;
    loop {
        let input = ScanInput {
            table_name: Some(table.into()),
            exclusive_start_key: start.take(),
            ..ScanInput::default()
        };
        let page = db.scan(input).expect("scan");
        for item in page.items.unwrap_or_default() {
            let Some(AttributeValue::S(id)) = item.get("id") else { panic!("no id in {item:?}") };
            let previous = items.insert(id.clone(), item);
            assert!(previous.is_none(), "a scan returned an item twice");
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return items,
        }
    }
}

/// Every key in the store (catalog included), once the purges are done.
fn store_keys(db: &Db) -> usize {
    db.wait_for_purges().expect("purges");
    let all: (std::ops::Bound<&[u8]>, std::ops::Bound<&[u8]>) =
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded);
    db.core().snapshot().range(all).count()
}

// ---------------------------------------------------------------------------------------------
// A minimal executor.

/// Wakes the thread blocked in [`block_on`], remembering that it was woken.
struct Unpark {
    woken: AtomicBool,
    thread: Thread,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Runs `future` to completion on this thread, parking between polls; returns its output and
/// how many times it was polled. Polls again only when woken: a future that returns `Pending`
/// and is never woken fails the test (after [`PATIENCE`]) instead of being polled until ready.
fn block_on<F: Future>(future: F) -> (F::Output, usize) {
    let mut future = pin!(future);
    let unpark = Arc::new(Unpark { woken: AtomicBool::new(false), thread: std::thread::current() });
    let waker = Waker::from(unpark.clone());
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + PATIENCE;
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        while !unpark.woken.swap(false, Ordering::SeqCst) {
            let left = deadline
                .checked_duration_since(Instant::now())
                .expect("a pending future was never woken");
            std::thread::park_timeout(left);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The answers.

/// Two databases taking the same requests: `blocking` through the blocking calls, `deferred`
/// through the deferred ones.
struct Pair {
    _dirs: [tempfile::TempDir; 2],
    blocking: Db,
    deferred: Db,
}

impl Pair {
    fn new() -> Pair {
        let dirs = [tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir")];
        let (blocking, deferred) = (open(dirs[0].path()), open(dirs[1].path()));
        create(&blocking, TABLE);
        create(&deferred, TABLE);
        Pair { _dirs: dirs, blocking, deferred }
    }

    /// Runs one write on both; checks that the answers (or errors) are equal and that the item
    /// is then the same in both.
    #[track_caller]
    fn write(
        &self,
        id: &str,
        blocking: impl FnOnce(&Db) -> Result<WriteItemOutput, DbError>,
        deferred: impl FnOnce(&Db) -> Deferred<WriteItemOutput>,
    ) -> Result<WriteItemOutput, DbError> {
        let before = get(&self.deferred, TABLE, id);
        let want = blocking(&self.blocking);
        let got = deferred(&self.deferred).wait();
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "the answers for {id}");
        let after = get(&self.deferred, TABLE, id);
        assert_eq!(after, get(&self.blocking, TABLE, id), "{id} once the answers are in");
        if got.is_err() {
            assert_eq!(after, before, "a failed write of {id} changed it");
        }
        got
    }

    fn put(&self, input: PutItemInput) -> Result<WriteItemOutput, DbError> {
        let id = checked_id(input.item.as_ref());
        let copy = input.clone();
        self.write(&id, |db| db.put_item(copy), |db| db.put_item_deferred(input))
    }

    fn update(&self, input: UpdateItemInput) -> Result<WriteItemOutput, DbError> {
        let id = checked_id(input.key.as_ref());
        let copy = input.clone();
        self.write(&id, |db| db.update_item(copy), |db| db.update_item_deferred(input))
    }

    fn delete(&self, input: DeleteItemInput) -> Result<WriteItemOutput, DbError> {
        let id = checked_id(input.key.as_ref());
        let copy = input.clone();
        self.write(&id, |db| db.delete_item(copy), |db| db.delete_item_deferred(input))
    }
}

fn id_of(item: Option<&Item>) -> String {
    match item.and_then(|item| item.get("id")) {
        Some(AttributeValue::S(id)) => id.clone(),
        _ => String::new(),
    }
}

/// The item a [`Pair`] write is checked on: its own, or for a request without a key, "a".
fn checked_id(item: Option<&Item>) -> String {
    Some(id_of(item)).filter(|id| !id.is_empty()).unwrap_or_else(|| "a".into())
}

#[track_caller]
fn assert_failed<T: std::fmt::Debug>(deferred: Deferred<T>, name: &str) {
    assert_refused(deferred.wait(), name);
}

#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T, DbError>, name: &str) {
    let error = result.expect_err("the write must fail");
    assert_eq!(error.name(), name, "{error:?}");
}

#[test]
fn deferred_answers_equal_the_blocking_ones() {
    let pair = Pair::new();
    let first = item! { "id" => "a", "v" => "one", "n" => 1 };
    let second = item! { "id" => "a", "v" => "two", "n" => 1 };
    let out = pair.put(PutItemInput::new(TABLE, first.clone()).return_values("ALL_OLD"));
    assert_eq!(out.expect("first put").attributes, None);
    let out = pair.put(
        PutItemInput::new(TABLE, second.clone())
            .return_values("ALL_OLD")
            .return_consumed_capacity("TOTAL"),
    );
    let out = out.expect("second put");
    assert_eq!(out.attributes, Some(first));
    assert!(out.consumed_capacity.is_some(), "capacity asked for");
    assert_eq!(get(&pair.deferred, TABLE, "a"), Some(second.clone()), "visible once answered");

    let key = || item! { "id" => "a" };
    let increment = || UpdateItemInput::new(TABLE, key(), "SET n = n + :one").value(":one", 1);
    let out = pair.update(increment().return_values("UPDATED_NEW")).expect("update");
    assert_eq!(out.attributes, Some(item! { "n" => 2 }));
    let out = pair.update(increment().return_values("ALL_NEW")).expect("update");
    assert_eq!(out.attributes, Some(item! { "id" => "a", "v" => "two", "n" => 3 }));
    let out = pair.update(increment().return_values("UPDATED_OLD")).expect("update");
    assert_eq!(out.attributes, Some(item! { "n" => 3 }));
    let out = pair.update(increment().return_values("ALL_OLD")).expect("update");
    assert_eq!(out.attributes, Some(item! { "id" => "a", "v" => "two", "n" => 4 }));
    let created = UpdateItemInput::new(TABLE, item! { "id" => "b" }, "SET v = :v")
        .value(":v", "new")
        .return_values("ALL_NEW");
    let out = pair.update(created).expect("an update creating the item");
    assert_eq!(out.attributes, Some(item! { "id" => "b", "v" => "new" }));

    // Refusals come through the Deferred and change nothing.
    let absent = PutItemInput::new(TABLE, item! { "id" => "a", "v" => "three" })
        .condition("attribute_not_exists(id)");
    assert_refused(pair.put(absent), "ConditionalCheckFailedException");
    let mut with_old = PutItemInput::new(TABLE, item! { "id" => "a", "v" => "three" })
        .condition("v = :v")
        .value(":v", "nope");
    with_old.return_values_on_condition_check_failure = Some("ALL_OLD".into());
    assert_refused(pair.put(with_old), "ConditionalCheckFailedException");
    let guarded = increment().condition("n > :big").value(":big", 100);
    assert_refused(pair.update(guarded), "ConditionalCheckFailedException");
    let guarded = DeleteItemInput::new(TABLE, key()).condition("attribute_not_exists(v)");
    assert_refused(pair.delete(guarded), "ConditionalCheckFailedException");
    let keyless = PutItemInput::new(TABLE, item! { "v" => "no key" });
    assert_refused(pair.put(keyless), "ValidationException");
    let returns = PutItemInput::new(TABLE, item! { "id" => "a" }).return_values("ALL_NEW");
    assert_refused(pair.put(returns), "ValidationException");
    let mistyped = UpdateItemInput::new(TABLE, key(), "SET v = v + :one").value(":one", 1);
    assert_refused(pair.update(mistyped), "ValidationException");
    let rekey = UpdateItemInput::new(TABLE, key(), "SET id = :x").value(":x", "z");
    assert_refused(pair.update(rekey), "ValidationException");
    let missing = DeleteItemInput::new("Missing", key());
    assert_refused(pair.delete(missing), "ResourceNotFoundException");
    assert_eq!(
        get(&pair.deferred, TABLE, "a"),
        Some(item! { "id" => "a", "v" => "two", "n" => 5 }),
        "the failures changed nothing"
    );

    let out = pair.delete(DeleteItemInput::new(TABLE, key()).return_values("ALL_OLD"));
    assert_eq!(
        out.expect("delete").attributes,
        Some(item! { "id" => "a", "v" => "two", "n" => 5 })
    );
    let out = pair.delete(DeleteItemInput::new(TABLE, key()).return_values("ALL_OLD"));
    assert_eq!(out.expect("delete nothing").attributes, None);
    assert_eq!(get(&pair.deferred, TABLE, "a"), None);
    assert_eq!(scan_all(&pair.deferred, TABLE), scan_all(&pair.blocking, TABLE));
}

/// Writes issued while earlier ones are still in flight: they see those (conditions, updates,
/// failures alike), and answer in the order they were issued.
#[test]
fn writes_in_flight_are_seen_and_answered_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db, TABLE);
    let key = || item! { "id" => "c" };
    let put = db.put_item_deferred(PutItemInput::new(TABLE, item! { "id" => "c", "n" => 0 }));
    let put = put;
    // A condition on the item the put in flight wrote.
    let again = PutItemInput::new(TABLE, item! { "id" => "c", "n" => 100 })
        .condition("attribute_not_exists(id)");
    assert_failed(db.put_item_deferred(again), "ConditionalCheckFailedException");
    // An update failing on it (a type mismatch found under the writer lock).
    let mistyped = UpdateItemInput::new(TABLE, key(), "SET n = n + :s").value(":s", "text");
    assert_failed(db.update_item_deferred(mistyped), "ValidationException");
    // Increments, each on the one before, none awaited yet.
    let increments: Vec<Deferred<WriteItemOutput>> = (0..20)
        .map(|_| {
            let input = UpdateItemInput::new(TABLE, key(), "SET n = n + :one")
                .value(":one", 1)
                .return_values("UPDATED_NEW");
            db.update_item_deferred(input)
        })
        .collect();
    let delete = DeleteItemInput::new(TABLE, key()).return_values("ALL_OLD");
    let delete = db.delete_item_deferred(delete);
    // The last one answered means every earlier one was answered too.
    let deleted = delete.wait().expect("delete durable");
    assert_eq!(deleted.attributes, Some(item! { "id" => "c", "n" => 20 }));
    assert!(put.is_ready(), "the put answers before a later write of the same thread");
    assert!(increments.iter().all(Deferred::is_ready), "the increments answer before the delete");
    assert_eq!(put.wait().expect("put durable"), WriteItemOutput::default());
    for (i, increment) in (1..).zip(increments) {
        let out = increment.wait().expect("increment durable");
        assert_eq!(out.attributes, Some(item! { "n" => i }));
    }
    assert_eq!(get(&db, TABLE, "c"), None);
}

/// Under `Durability::None` there is no log to wait for: the answer is ready at once.
#[test]
fn without_durability_the_answer_is_ready_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_with(dir.path(), options(Durability::None)).expect("open");
    create(&db, TABLE);
    let put = db.put_item_deferred(PutItemInput::new(TABLE, item! { "id" => "x" }));
    assert!(put.is_ready());
    assert_eq!(put.wait().expect("put"), WriteItemOutput::default());
    assert_eq!(get(&db, TABLE, "x"), Some(item! { "id" => "x" }));
    let update = UpdateItemInput::new(TABLE, item! { "id" => "x" }, "SET v = :v").value(":v", 1);
    let update = db.update_item_deferred(update);
    assert!(update.is_ready());
    let delete = db.delete_item_deferred(DeleteItemInput::new(TABLE, item! { "id" => "x" }));
    let delete = delete;
    assert!(delete.is_ready());
    update.wait().expect("update");
    delete.wait().expect("delete");
    assert_eq!(get(&db, TABLE, "x"), None);
}

// ---------------------------------------------------------------------------------------------
// 2. The future.

#[test]
fn a_deferred_is_a_future() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db, TABLE);
    let first = item! { "id" => "f", "v" => 1 };
    let put = db.put_item_deferred(PutItemInput::new(TABLE, first.clone()));
    let (out, _) = block_on(put);
    assert_eq!(out.expect("durable"), WriteItemOutput::default());
    assert_eq!(get(&db, TABLE, "f"), Some(first.clone()), "visible once ready");

    // Awaited inside an async block, one after the other.
    let replace =
        PutItemInput::new(TABLE, item! { "id" => "f", "v" => 2 }).return_values("ALL_OLD");
    let replace = db.put_item_deferred(replace);
    let update = UpdateItemInput::new(TABLE, item! { "id" => "f" }, "SET v = v * :ten")
        .value(":ten", 10)
        .return_values("ALL_NEW");
    // `*` is not an update operator: a validation error from the call, and nothing changes.
    assert_failed(db.update_item_deferred(update), "ValidationException");
    let update = UpdateItemInput::new(TABLE, item! { "id" => "f" }, "SET v = v + :ten")
        .value(":ten", 10)
        .return_values("ALL_NEW");
    let update = db.update_item_deferred(update);
    let ((replaced, updated), _) = block_on(async {
        let replaced = replace.await.expect("put durable");
        let updated = update.await.expect("update durable");
        (replaced, updated)
    });
    assert_eq!(replaced.attributes, Some(first));
    assert_eq!(updated.attributes, Some(item! { "id" => "f", "v" => 12 }));

    // A dropped Deferred does not undo its write: it becomes visible all the same.
    let dropped = db.put_item_deferred(PutItemInput::new(TABLE, item! { "id" => "g", "v" => 7 }));
    drop(dropped);
    let deadline = Instant::now() + PATIENCE;
    while get(&db, TABLE, "g").is_none() {
        assert!(Instant::now() < deadline, "a dropped deferred put never became visible");
        std::thread::sleep(Duration::from_millis(2));
    }
    db.close().expect("close");
    let db = open(dir.path());
    assert_eq!(get(&db, TABLE, "g"), Some(item! { "id" => "g", "v" => 7 }));
    assert_eq!(get(&db, TABLE, "f"), Some(item! { "id" => "f", "v" => 12 }));
}

/// The key of item `i` of thread `thread`.
fn concurrent_id(thread: usize, i: usize) -> String {
    format!("t{thread}-{i:04}")
}

#[test]
fn many_deferred_writes_from_four_threads() {
    const THREADS: usize = 4;
    const ITEMS: usize = 120;
    const IN_FLIGHT: usize = 8;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(open(dir.path()));
    create(&db, TABLE);
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (db, start) = (db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                // Each thread also increments one shared counter after every put: the counter's
                // answers, over all threads, must be 1..=THREADS*ITEMS exactly once each.
                let mut counts = Vec::new();
                let mut flight: VecDeque<(bool, Deferred<WriteItemOutput>)> = VecDeque::new();
                let mut settle = |counter: bool, deferred: Deferred<WriteItemOutput>, i: usize| {
                    // Half through the executor, half through `wait`.
                    let out = if i % 2 == 0 { block_on(deferred).0 } else { deferred.wait() };
                    let out = out.expect("a deferred write failed");
                    if counter {
                        let Some(AttributeValue::N(n)) =
                            out.attributes.and_then(|a| a.get("n").cloned())
                        else {
                            panic!("the counter's answer has no n")
                        };
                        counts.push(n.to_string().parse::<usize>().expect("a count"));
                    } else {
                        assert_eq!(out.attributes, None, "a new item replaced nothing");
                    }
                };
                for i in 0..ITEMS {
                    let item = item! { "id" => concurrent_id(thread, i), "i" => i as i64 };
                    let put = PutItemInput::new(TABLE, item).return_values("ALL_OLD");
                    flight.push_back((false, db.put_item_deferred(put)));
                    let count =
                        UpdateItemInput::new(TABLE, item! { "id" => "counter" }, "ADD n :one")
                            .value(":one", 1)
                            .return_values("UPDATED_NEW");
                    flight.push_back((true, db.update_item_deferred(count)));
                    while flight.len() > IN_FLIGHT {
                        let (counter, deferred) = flight.pop_front().expect("in flight");
                        settle(counter, deferred, i);
                    }
                }
                for (i, (counter, deferred)) in flight.into_iter().enumerate() {
                    settle(counter, deferred, i);
                }
                counts
            })
        })
        .collect();
    let mut counts: Vec<usize> =
        threads.into_iter().flat_map(|t| t.join().expect("writer thread")).collect();
    counts.sort_unstable();
    let total = THREADS * ITEMS;
    assert!(counts.iter().copied().eq(1..=total), "each increment saw every one before it");
    let check = |db: &Db| {
        let items = scan_all(db, TABLE);
        assert_eq!(items.len(), total + 1, "every item and the counter");
        for thread in 0..THREADS {
            for i in 0..ITEMS {
                let want = item! { "id" => concurrent_id(thread, i), "i" => i as i64 };
                assert_eq!(items.get(&concurrent_id(thread, i)), Some(&want));
            }
        }
        assert_eq!(
            get(db, TABLE, "counter"),
            Some(item! { "id" => "counter", "n" => total as i64 })
        );
    };
    check(&db);
    Arc::into_inner(db).expect("the threads are done").close().expect("close");
    let db = open(dir.path());
    check(&db);
    db.core().check_invariants();
}

// ---------------------------------------------------------------------------------------------
// 3. DeleteTable.

#[test]
fn delete_table_after_a_burst_of_deferred_puts() {
    const ITEMS: usize = 300;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db, TABLE);
    let baseline = store_keys(&db);
    let pending: Vec<Deferred<WriteItemOutput>> = (0..ITEMS)
        .map(|i| {
            let item = item! { "id" => format!("k{i}"), "pad" => "x".repeat(100) };
            db.put_item_deferred(PutItemInput::new(TABLE, item))
        })
        .collect();
    let deleted = db.delete_table(TableNameInput::new(TABLE)).expect("delete table");
    assert_eq!(deleted.table_description.item_count, ITEMS as i64, "every put counted");
    assert!(pending.iter().all(Deferred::is_ready), "DeleteTable waited for the writes in flight");
    for deferred in pending {
        assert_eq!(deferred.wait().expect("durable"), WriteItemOutput::default());
    }
    create(&db, TABLE);
    assert!(scan_all(&db, TABLE).is_empty(), "a new table under the old name starts empty");
    assert_eq!(get(&db, TABLE, "k0"), None);
    let left = store_keys(&db);
    assert!(
        left <= baseline,
        "{left} keys in the store after the purge, {baseline} before the puts"
    );
    db.close().expect("close");
    let db = open(dir.path());
    assert!(scan_all(&db, TABLE).is_empty(), "still empty after a reopen");
}

/// DeleteTable while three threads are putting: each put is either refused (the table is gone)
/// or answered, and the purge gets everything that was answered (or still in flight).
#[test]
fn delete_table_while_deferred_puts_run() {
    const THREADS: usize = 3;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(open(dir.path()));
    create(&db, TABLE);
    let baseline = store_keys(&db);
    let issued = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (db, issued) = (db.clone(), issued.clone());
            std::thread::spawn(move || {
                let mut pending = Vec::new();
                let mut answered = 0;
                for i in 0.. {
                    let item = item! { "id" => format!("t{thread}-{i}") };
                    let deferred = db.put_item_deferred(PutItemInput::new(TABLE, item));
                    if !deferred.is_ready() {
                        pending.push(deferred);
                    } else {
                        // A refusal is ready at once; a put rarely is (only if the completer
                        // was quicker than this check).
                        match deferred.wait() {
                            Ok(_) => answered += 1,
                            Err(e) => {
                                assert_eq!(e.name(), "ResourceNotFoundException", "{e:?}");
                                break;
                            }
                        }
                    }
                    issued.fetch_add(1, Ordering::SeqCst);
                }
                // Awaited only now, after the table is gone.
                let count = pending.len() + answered;
                for deferred in pending {
                    deferred.wait().expect("a put accepted before DeleteTable is durable");
                }
                count
            })
        })
        .collect();
    let deadline = Instant::now() + PATIENCE;
    while issued.load(Ordering::SeqCst) < 200 {
        assert!(Instant::now() < deadline, "the writers made no progress");
        std::thread::sleep(Duration::from_millis(1));
    }
    db.delete_table(TableNameInput::new(TABLE)).expect("delete table");
    let accepted: usize = threads.into_iter().map(|t| t.join().expect("writer")).sum();
    assert!(accepted >= 200);
    create(&db, TABLE);
    assert!(scan_all(&db, TABLE).is_empty(), "a new table under the old name starts empty");
    let left = store_keys(&db);
    assert!(left <= baseline, "{left} keys in the store after the purge, {baseline} before");
}

// ---------------------------------------------------------------------------------------------
// 4. Streams.

/// A sequence number, for ordering (digits, compared by length first).
fn sequence(record: &Record) -> (usize, String) {
    let number = &record.dynamodb.sequence_number;
    (number.len(), number.clone())
}

#[test]
fn deferred_writes_make_one_stream_record_each() {
    const ITEMS: i64 = 6;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(open(dir.path()));
    let mut input = CreateTableInput::new(TABLE).partition_key("id", "S");
    input.stream_specification = Some(StreamSpecification::enabled("NEW_AND_OLD_IMAGES"));
    db.create_table(input).expect("create");
    let described = db.describe_table(TableNameInput::new(TABLE)).expect("describe").table;
    let arn = described.latest_stream_arn.expect("a stream");
    let mut waiter = db.subscribe(&arn).expect("subscribe");
    let woken = std::thread::spawn(move || waiter.wait(PATIENCE));

    let id = |i: i64| format!("s{i}");
    let mut pending = Vec::new();
    // Every write in flight at once: puts, then increments, then deletes of the odd ones, and a
    // put that changes nothing for the even ones (no record).
    for i in 0..ITEMS {
        let put = PutItemInput::new(TABLE, item! { "id" => id(i), "v" => 1 });
        pending.push(db.put_item_deferred(put));
    }
    for i in 0..ITEMS {
        let update = UpdateItemInput::new(TABLE, item! { "id" => id(i) }, "SET v = v + :one")
            .value(":one", 1);
        pending.push(db.update_item_deferred(update));
    }
    for i in 0..ITEMS {
        if i % 2 == 1 {
            let delete = DeleteItemInput::new(TABLE, item! { "id" => id(i) });
            pending.push(db.delete_item_deferred(delete));
        } else {
            let same = PutItemInput::new(TABLE, item! { "id" => id(i), "v" => 2 });
            pending.push(db.put_item_deferred(same));
        }
    }
    for (i, deferred) in pending.into_iter().enumerate() {
        if i % 2 == 0 {
            deferred.wait().expect("durable");
        } else {
            block_on(deferred).0.expect("durable");
        }
    }
    assert!(woken.join().expect("waiter"), "the subscriber was woken");

    let records = common::stream_records(&db, &arn, 7);
    assert_eq!(records.len(), (ITEMS * 2 + ITEMS / 2) as usize, "one record per change");
    let mut by_item: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
    for record in &records {
        by_item.entry(id_of(Some(&record.dynamodb.keys))).or_default().push(record);
    }
    for i in 0..ITEMS {
        let records = by_item.get(&id(i)).expect("records of every item");
        let key = item! { "id" => id(i) };
        let image = |v: i64| item! { "id" => id(i), "v" => v };
        let mut want =
            vec![("INSERT", None, Some(image(1))), ("MODIFY", Some(image(1)), Some(image(2)))];
        if i % 2 == 1 {
            want.push(("REMOVE", Some(image(2)), None));
        }
        let got: Vec<_> = records
            .iter()
            .map(|r| {
                assert_eq!(r.dynamodb.keys, key);
                (r.event_name.as_str(), r.dynamodb.old_image.clone(), r.dynamodb.new_image.clone())
            })
            .collect();
        assert_eq!(got, want, "the records of {}", id(i));
        let numbers: Vec<_> = records.iter().map(|r| sequence(r)).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in order: {numbers:?}");
    }
    let numbers: BTreeSet<_> = records.iter().map(sequence).collect();
    assert_eq!(numbers.len(), records.len(), "no sequence number twice");

    // A subscriber blocked before a deferred write is woken by it.
    let mut waiter = db.subscribe(&arn).expect("subscribe");
    let woken = std::thread::spawn(move || waiter.wait(PATIENCE));
    let put = PutItemInput::new(TABLE, item! { "id" => "late" });
    block_on(db.put_item_deferred(put)).0.expect("durable");
    assert!(woken.join().expect("waiter"), "the subscriber was woken");
    assert_eq!(common::stream_records(&db, &arn, 7).len(), records.len() + 1);
}

/// A deferred write whose answer is dropped (a client that disconnected) still wakes the
/// stream's subscribers once it is published: the wake-up comes from the completer, not from
/// whoever awaits the answer.
#[test]
fn a_dropped_answer_still_wakes_stream_subscribers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    let mut input = CreateTableInput::new(TABLE).partition_key("id", "S");
    input.stream_specification = Some(StreamSpecification::enabled("NEW_IMAGE"));
    db.create_table(input).expect("create");
    let described = db.describe_table(TableNameInput::new(TABLE)).expect("describe").table;
    let arn = described.latest_stream_arn.expect("a stream");
    let mut waiter = db.subscribe(&arn).expect("subscribe");
    drop(db.put_item_deferred(PutItemInput::new(TABLE, item! { "id" => "x" })));
    let deadline = Instant::now() + PATIENCE;
    while get(&db, TABLE, "x").is_none() {
        assert!(Instant::now() < deadline, "the dropped write was never published");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(waiter.wait(PATIENCE), "the subscriber was not woken by the published write");
    assert_eq!(common::stream_records(&db, &arn, 7).len(), 1);
}

/// UpdateTable disabling the stream right after deferred writes not yet answered: it waits for
/// them, and the closed stream holds exactly their records.
#[test]
fn update_table_after_deferred_writes_in_flight() {
    const ITEMS: usize = 50;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    let mut input = CreateTableInput::new(TABLE).partition_key("id", "S");
    input.stream_specification = Some(StreamSpecification::enabled("KEYS_ONLY"));
    db.create_table(input).expect("create");
    let described = db.describe_table(TableNameInput::new(TABLE)).expect("describe").table;
    let arn = described.latest_stream_arn.expect("a stream");
    let pending: Vec<Deferred<WriteItemOutput>> = (0..ITEMS)
        .map(|i| {
            let put = PutItemInput::new(TABLE, item! { "id" => format!("u{i}") });
            db.put_item_deferred(put)
        })
        .collect();
    let update = basalt::api::UpdateTableInput {
        table_name: Some(TABLE.into()),
        stream_specification: Some(StreamSpecification::disabled()),
        ..Default::default()
    };
    db.update_table(update).expect("disable the stream");
    assert!(pending.iter().all(Deferred::is_ready), "UpdateTable waited for the writes in flight");
    for deferred in pending {
        deferred.wait().expect("durable");
    }
    let records = common::stream_records(&db, &arn, 7);
    let ids: BTreeSet<String> = records.iter().map(|r| id_of(Some(&r.dynamodb.keys))).collect();
    assert_eq!(records.len(), ITEMS, "one record per put, in the stream closed after them");
    assert_eq!(ids, (0..ITEMS).map(|i| format!("u{i}")).collect());
    assert_eq!(scan_all(&db, TABLE).len(), ITEMS);
}

// ---------------------------------------------------------------------------------------------
// 5. Crash safety.

const CHILD_ENV: &str = "BASALT_DEFERRED_CRASH_CHILD";
const RUN_ENV: &str = "BASALT_DEFERRED_CRASH_RUN";
const CRASH_THREADS: u64 = 3;
/// Writes each child thread keeps in flight before it waits for the oldest.
const WINDOW: u64 = 4;
/// How long the long runs last.
const LONG_RUN_MILLIS: u64 = 1_000;

fn crash_id(run: u64, thread: u64, counter: u64) -> String {
    format!("r{run}-t{thread}-{counter:06}")
}

/// The inverse of [`crash_id`].
fn parse_crash_id(id: &str) -> Option<(u64, u64, u64)> {
    let mut parts = id.split('-');
    let run = parts.next()?.strip_prefix('r')?.parse().ok()?;
    let thread = parts.next()?.strip_prefix('t')?.parse().ok()?;
    let counter = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((run, thread, counter))
}

/// The item write `counter` of `thread` in run `run` leaves.
fn crash_item(run: u64, thread: u64, counter: u64) -> Item {
    let len = 10 + common::mix(run << 48 | thread << 40 | counter) as usize % 300;
    let text: String = format!("{run}/{thread}/{counter}/").chars().cycle().take(len).collect();
    item! { "id" => crash_id(run, thread, counter), "v" => text, "c" => counter as i64 }
}

#[test]
fn deferred_crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let run: u64 = std::env::var(RUN_ENV).expect("run").parse().expect("number");
    let db = Arc::new(open(Path::new(&dir)));
    if db.describe_table(TableNameInput::new(TABLE)).is_err() {
        create(&db, TABLE);
        report("table");
    }
    let threads: Vec<_> = (0..CRASH_THREADS)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || crash_writer(&db, run, thread))
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
}

/// Writes item after item, `WINDOW` in flight; acknowledges each once its Deferred answered.
fn crash_writer(db: &Db, run: u64, thread: u64) {
    let mut flight = VecDeque::new();
    for counter in 0.. {
        let item = crash_item(run, thread, counter);
        let deferred = if counter % 4 == 3 {
            // Every fourth through UpdateItem, which creates the same item.
            let key = item! { "id" => crash_id(run, thread, counter) };
            let input = UpdateItemInput::new(TABLE, key, "SET v = :v, c = :c")
                .value(":v", item.get("v").cloned().expect("v"))
                .value(":c", counter as i64);
            db.update_item_deferred(input)
        } else {
            db.put_item_deferred(PutItemInput::new(TABLE, item))
        };
        flight.push_back((counter, deferred));
        if flight.len() as u64 > WINDOW {
            let (oldest, deferred) = flight.pop_front().expect("in flight");
            let answer = if oldest % 2 == 0 { deferred.wait() } else { block_on(deferred).0 };
            answer.expect("durable");
            report(&format!("{thread} {oldest}"));
        }
    }
}

/// A child's acknowledgements: whether it created the table, and each thread's acknowledged
/// counters in order.
#[derive(Debug, Default)]
struct Acks {
    table: bool,
    writes: BTreeMap<u64, Vec<u64>>,
}

/// Starts a child, lets it work for `millis`, SIGKILLs it; returns its acknowledgements.
fn run_child(dir: &Path, run: u64, millis: u64) -> Acks {
    let mut child = spawn_child("deferred_crash_child", (CHILD_ENV, dir), (RUN_ENV, run));
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut acks = Acks::default();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Some(text) = ack(&line) else { continue };
            if text == "table" {
                acks.table = true;
                continue;
            }
            let words: Vec<u64> = text.split(' ').filter_map(|w| w.parse().ok()).collect();
            let [thread, counter] = words[..] else { panic!("a malformed ack: {line:?}") };
            acks.writes.entry(thread).or_default().push(counter);
        }
        acks
    });
    std::thread::sleep(Duration::from_millis(millis));
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    reader.join().expect("reader thread")
}

/// When to kill run `run`: sometimes while the child still opens and recovers, twice after a
/// long run, else after a few hundred milliseconds.
fn kill_after(run: u64, cycles: u64, rng: &mut SmallRng) -> u64 {
    if run % 4 == 3 {
        rng.gen_range(0..40)
    } else if run == 1 || run == cycles / 2 + 1 {
        LONG_RUN_MILLIS
    } else {
        rng.gen_range(100..400)
    }
}

#[test]
fn acknowledged_deferred_writes_survive_a_crash() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: u64 =
        std::env::var("BASALT_DEFERRED_CRASH_CYCLES").map_or(8, |v| v.parse().expect("a number"));
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path().join("db");
    let mut rng = SmallRng::seed_from_u64(0xdefe_44ed);
    // What must be there from now on: every acknowledged item, and every item found present.
    let mut model: BTreeMap<String, Item> = BTreeMap::new();
    let mut table = false;
    // Per (run, thread): the highest counter the thread may have issued.
    let mut issued: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let (mut acked, mut landed) = (0, 0);
    for run in 0..cycles {
        let millis = kill_after(run, cycles, &mut rng);
        let acks = run_child(&dir, run, millis);
        table |= acks.table;
        for thread in 0..CRASH_THREADS {
            let counters = acks.writes.get(&thread).map(Vec::as_slice).unwrap_or_default();
            assert!(
                counters.iter().copied().eq(0..counters.len() as u64),
                "run {run} thread {thread}: acknowledgements in order: {counters:?}"
            );
            acked += counters.len();
            for &counter in counters {
                model.insert(crash_id(run, thread, counter), crash_item(run, thread, counter));
            }
            // After acknowledging counter c a thread holds c+1..=c+WINDOW and may have issued
            // c+WINDOW+1 before its next wait.
            issued.insert((run, thread), counters.len() as u64 + WINDOW);
        }
        let db = Db::open_with(&dir, options(Durability::Sync))
            .unwrap_or_else(|e| panic!("run {run}: reopen: {e}"));
        if db.describe_table(TableNameInput::new(TABLE)).is_err() {
            assert!(!table && model.is_empty(), "run {run}: the acknowledged table was lost");
            continue;
        }
        table = true;
        let items = scan_all(&db, TABLE);
        for (id, want) in &model {
            assert_eq!(items.get(id), Some(want), "run {run}: {id} acknowledged (or seen) before");
        }
        let mut present: BTreeMap<(u64, u64), Vec<u64>> = BTreeMap::new();
        for (id, item) in &items {
            let (r, thread, counter) =
                parse_crash_id(id).unwrap_or_else(|| panic!("run {run}: a key never issued: {id}"));
            let most = issued.get(&(r, thread)).copied().unwrap_or(0);
            assert!(
                r <= run && thread < CRASH_THREADS && counter <= most,
                "run {run}: {id} was never issued (at most counter {most})"
            );
            assert_eq!(item, &crash_item(r, thread, counter), "run {run}: the value of {id}");
            present.entry((r, thread)).or_default().push(counter);
        }
        for ((r, thread), counters) in &present {
            // A thread's writes have increasing log positions, and recovery replays a prefix
            // of the log: what survives of a thread is a prefix of what it issued.
            assert!(
                counters.iter().copied().eq(0..counters.len() as u64),
                "run {run}: run {r} thread {thread} survived with gaps: {counters:?}"
            );
        }
        landed += items.len() - model.len();
        model = items;
        let described = db.describe_table(TableNameInput::new(TABLE)).expect("describe").table;
        assert_eq!(described.item_count, model.len() as i64, "run {run}: ItemCount after recovery");
        db.core().check_invariants();
    }
    assert!(acked > 0, "the children acknowledged writes");
    eprintln!(
        "{cycles} SIGKILL cycles, {acked} acknowledged deferred writes, {landed} more found \
         applied, {} items at the end",
        model.len()
    );
}
