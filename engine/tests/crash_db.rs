//! Process crash test of the DynamoDB layer (`basalt::Db`): the catalog and the items survive a
//! restart and a crash. A child process creates tables (two in its first run, a third from the
//! fourth run on), and from three threads puts and deletes items of a composite-key table and
//! of hash-key tables, each thread on keys of its own; a fourth thread creates a scratch table,
//! fills it, deletes it and creates it again under the same name, over and over. The child
//! reports every acknowledged operation on stdout (CreateTable and DeleteTable included); the
//! parent kills it with SIGKILL at a random moment (sometimes while it is still opening and
//! recovering), reopens the database and checks:
//!
//! - every acknowledged table exists, a table created without acknowledgement is empty, and the
//!   scratch table exists exactly when its last acknowledged (or its in-flight) CreateTable or
//!   DeleteTable says so;
//! - every item holds its last acknowledged state, or the effect of the one operation its
//!   thread had in flight; a recreated scratch table never shows its predecessor's items;
//! - DescribeTable's `ItemCount` and `TableSizeBytes` (recounted after the crash) equal what a
//!   read of every possible key finds; twice a clean `close()` and reopen follow the check, and
//!   the counts from the clean-close record must be the same.
//!
//! `BASALT_DB_CRASH_CYCLES` sets the number of cycles (20 by default). The child is this test
//! binary, re-run with only `crash_db_child` selected.

mod common;

use common::{ack, report, spawn_child};

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt::api::{
    AttributeDefinition, CreateTableInput, DeleteItemInput, GetItemInput, KeySchemaElement,
    PutItemInput, TableNameInput,
};
use basalt::model::{item_size_bytes, Item};
use basalt::{item, Db, DbOptions};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const CHILD_ENV: &str = "BASALT_DB_CRASH_CHILD";
const RUN_ENV: &str = "BASALT_DB_CRASH_RUN";
const THREADS: u64 = 3;
const KEYS_PER_THREAD: u64 = 40;
/// The data tables; the first has a partition and a sort key, the others a partition key.
const TABLES: [&str; 3] = ["crash-t0", "crash-t1", "crash-t2"];
const SCRATCH: &str = "crash-scratch";
/// Items put into each incarnation of the scratch table before it is deleted.
const SCRATCH_ITEMS: u64 = 12;
/// How long the long runs last; they must still be making progress when killed.
const LONG_RUN_MILLIS: u64 = 3_000;

fn options() -> DbOptions {
    let core = basalt::core::Options {
        shards: 4,
        memory_budget_bytes: 256 << 10,
        table_target_bytes: 64 << 10,
        level_base_bytes: 256 << 10,
        wal_segment_bytes: 128 << 10,
        ..basalt::core::Options::default()
    };
    DbOptions { core, ..DbOptions::default() }
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The data tables of process `run`: the third joins from the fourth run on.
fn tables_in_run(run: u64) -> usize {
    if run >= 3 {
        3
    } else {
        2
    }
}

fn name_input(name: &str) -> TableNameInput {
    TableNameInput { table_name: Some(name.into()) }
}

fn create_input(name: &str, composite: bool) -> CreateTableInput {
    let (key_schema, definitions) = if composite {
        let schema = vec![KeySchemaElement::hash("pk"), KeySchemaElement::range("sk")];
        (schema, vec![AttributeDefinition::new("pk", "S"), AttributeDefinition::new("sk", "N")])
    } else {
        (vec![KeySchemaElement::hash("id")], vec![AttributeDefinition::new("id", "S")])
    };
    CreateTableInput {
        table_name: Some(name.into()),
        key_schema: Some(key_schema),
        attribute_definitions: Some(definitions),
        billing_mode: Some("PAY_PER_REQUEST".into()),
        ..CreateTableInput::default()
    }
}

/// The key of item `index` of `thread` in data table `table`.
fn item_key(table: usize, thread: u64, index: u64) -> Item {
    if table == 0 {
        item! { "pk" => format!("w{thread}-p{}", index % 5), "sk" => index }
    } else {
        item! { "id" => format!("w{thread}-k{index}") }
    }
}

/// The `counter`-th operation of `thread` in process `run`: a put (`item`) or a delete.
#[derive(Clone, Debug)]
struct DataWrite {
    table: usize,
    index: u64,
    item: Option<Item>,
}

fn write_for(run: u64, thread: u64, counter: u64) -> DataWrite {
    let h = mix(run << 48 | thread << 40 | counter);
    let table = (h % tables_in_run(run) as u64) as usize;
    let index = (h >> 8) % KEYS_PER_THREAD;
    if (h >> 16) % 4 == 0 {
        return DataWrite { table, index, item: None };
    }
    let len = 10 + (h >> 24) as usize % 400;
    let text: String = format!("{run}/{thread}/{counter}/").chars().cycle().take(len).collect();
    let mut item = item_key(table, thread, index);
    item.insert("v".into(), text.into());
    item.insert("c".into(), counter.into());
    DataWrite { table, index, item: Some(item) }
}

/// Item `i` of the scratch table's incarnation `generation`.
fn scratch_item(generation: u64, i: u64) -> Item {
    item! { "id" => format!("s{i}"), "gen" => generation, "pad" => "p".repeat(1 + i as usize * 7) }
}

fn get(db: &Db, table: &str, key: Item) -> Option<Item> {
    let input =
        GetItemInput { table_name: Some(table.into()), key: Some(key), ..Default::default() };
    db.get_item(input).expect("get item").item
}

fn exists(db: &Db, name: &str) -> bool {
    match db.describe_table(name_input(name)) {
        Ok(_) => true,
        Err(e) if e.name() == "ResourceNotFoundException" => false,
        Err(e) => panic!("describe {name}: {e:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The child.

#[test]
fn crash_db_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let run: u64 = std::env::var(RUN_ENV).expect("run").parse().expect("number");
    let db = Arc::new(Db::open_with(&dir, options()).expect("child open"));
    for (table, name) in TABLES.iter().enumerate().take(tables_in_run(run)) {
        if !exists(&db, name) {
            db.create_table(create_input(name, table == 0)).expect("create table");
            report(&format!("table {table}"));
        }
    }
    let mut threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || child_writer(&db, run, thread))
        })
        .collect();
    threads.push(std::thread::spawn(move || child_scratch(&db, run)));
    for thread in threads {
        let _ = thread.join();
    }
}

fn child_writer(db: &Db, run: u64, thread: u64) {
    for counter in 0.. {
        let write = write_for(run, thread, counter);
        let table = Some(TABLES[write.table].to_string());
        match write.item {
            Some(item) => {
                let input =
                    PutItemInput { table_name: table, item: Some(item), ..Default::default() };
                db.put_item(input).expect("put item");
            }
            None => {
                let key = Some(item_key(write.table, thread, write.index));
                let input = DeleteItemInput { table_name: table, key, ..Default::default() };
                db.delete_item(input).expect("delete item");
            }
        }
        report(&format!("w {thread} {counter}"));
    }
}

/// Deletes the scratch table if it is there, then creates, fills and deletes it again and again.
fn child_scratch(db: &Db, run: u64) {
    if exists(db, SCRATCH) {
        db.delete_table(name_input(SCRATCH)).expect("delete scratch");
        report("s drop");
    }
    for cycle in 0.. {
        let generation = run << 32 | cycle;
        db.create_table(create_input(SCRATCH, false)).expect("create scratch");
        report(&format!("s create {generation}"));
        for i in 0..SCRATCH_ITEMS {
            let item = Some(scratch_item(generation, i));
            let input =
                PutItemInput { table_name: Some(SCRATCH.into()), item, ..Default::default() };
            db.put_item(input).expect("put scratch item");
            report(&format!("s put {generation} {i}"));
        }
        db.delete_table(name_input(SCRATCH)).expect("delete scratch");
        report("s drop");
    }
}

// ---------------------------------------------------------------------------------------------
// The parent.

/// One acknowledged operation, as the child reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ack {
    /// Data table `table` was created.
    Table(usize),
    /// `thread`'s operation `counter`.
    Write(u64, u64),
    /// The scratch table was created as incarnation `generation`.
    Create(u64),
    /// Item `i` of scratch incarnation `generation` was put.
    Put(u64, u64),
    /// The scratch table was deleted.
    Drop,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let rest = ack(line)?;
    let words: Vec<&str> = rest.split(' ').collect();
    let n = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
    match (words.first().copied()?, words.get(1).copied()) {
        ("table", _) => Some(Ack::Table(usize::try_from(n(1)?).ok()?)),
        ("w", _) => Some(Ack::Write(n(1)?, n(2)?)),
        ("s", Some("create")) => Some(Ack::Create(n(2)?)),
        ("s", Some("put")) => Some(Ack::Put(n(2)?, n(3)?)),
        ("s", Some("drop")) => Some(Ack::Drop),
        _ => None,
    }
}

/// Starts a child, lets it work for `millis`, SIGKILLs it; returns its acknowledgements in
/// order and how long before the kill the last one arrived.
fn run_child(dir: &Path, run: u64, millis: u64) -> (Vec<Ack>, Option<Duration>) {
    let mut child = spawn_child("crash_db_child", (CHILD_ENV, dir), (RUN_ENV, run));
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        let mut last_at = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(ack) = parse_ack(&line) {
                acks.push(ack);
                last_at = Some(Instant::now());
            }
        }
        (acks, last_at)
    });
    std::thread::sleep(Duration::from_millis(millis));
    let killed_at = Instant::now();
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    let (acks, last_at) = reader.join().expect("reader thread");
    (acks, last_at.map(|at| killed_at.saturating_duration_since(at)))
}

/// The scratch table: absent, or incarnation `generation` holding items with these numbers.
type Scratch = Option<(u64, BTreeSet<u64>)>;

/// What the database must hold: acknowledged tables and items.
#[derive(Debug, Default)]
struct Model {
    tables: BTreeSet<usize>,
    /// Present items by (table, thread, index).
    items: BTreeMap<(usize, u64, u64), Item>,
    scratch: Scratch,
}

impl Model {
    fn apply_write(&mut self, thread: u64, write: &DataWrite) {
        let key = (write.table, thread, write.index);
        match &write.item {
            Some(item) => self.items.insert(key, item.clone()),
            None => self.items.remove(&key),
        };
    }
}

/// The operations in flight at the kill: each writer's next one, and the scratch table's state
/// if its next operation landed.
struct InFlight {
    writes: BTreeMap<u64, DataWrite>,
    scratch: Scratch,
}

/// Applies a run's acknowledgements to `model`; returns what was in flight.
fn apply(model: &mut Model, run: u64, acks: &[Ack]) -> InFlight {
    let mut last: BTreeMap<u64, u64> = BTreeMap::new();
    let (mut scratch_last, mut creates) = (None, 0);
    for &ack in acks {
        match ack {
            Ack::Table(table) => {
                model.tables.insert(table);
            }
            Ack::Write(thread, counter) => {
                let previous = last.insert(thread, counter);
                assert_eq!(previous.map_or(0, |p| p + 1), counter, "thread {thread} acks in order");
                model.apply_write(thread, &write_for(run, thread, counter));
            }
            Ack::Create(generation) => {
                model.scratch = Some((generation, BTreeSet::new()));
                creates += 1;
            }
            Ack::Put(generation, i) => {
                let scratch = model.scratch.as_mut().expect("a put follows a create");
                assert_eq!(scratch.0, generation, "run {run}: scratch acks in order");
                scratch.1.insert(i);
            }
            Ack::Drop => model.scratch = None,
        }
        if !matches!(ack, Ack::Table(_) | Ack::Write(..)) {
            scratch_last = Some(ack);
        }
    }
    let writes =
        (0..THREADS).map(|t| (t, write_for(run, t, last.get(&t).map_or(0, |&c| c + 1)))).collect();
    let next_create = Some((run << 32 | creates, BTreeSet::new()));
    let scratch = match scratch_last {
        None if model.scratch.is_some() => None,
        None | Some(Ack::Drop) => next_create,
        Some(Ack::Create(generation)) => Some((generation, BTreeSet::from([0]))),
        Some(Ack::Put(_, i)) if i + 1 == SCRATCH_ITEMS => None,
        Some(Ack::Put(generation, i)) => {
            let mut items = model.scratch.as_ref().expect("put after create").1.clone();
            items.insert(i + 1);
            Some((generation, items))
        }
        Some(other) => unreachable!("not a scratch ack: {other:?}"),
    };
    InFlight { writes, scratch }
}

/// Item counts and sizes by table name, as read back.
type Counts = BTreeMap<String, (i64, i64)>;

/// Checks the whole database against `model` (resolving in-flight operations that landed) and
/// returns the counts it read.
fn check(db: &Db, model: &mut Model, flight: &InFlight, run: u64) -> Counts {
    let listed = db.list_tables(Default::default()).expect("list tables").table_names;
    for (table, name) in TABLES.iter().enumerate() {
        let present = listed.iter().any(|n| n == name);
        assert!(present || !model.tables.contains(&table), "run {run}: table {name} was lost");
        if present {
            model.tables.insert(table); // an unacknowledged CreateTable may have landed
        }
    }
    let known = |n: &String| n == SCRATCH || TABLES.contains(&n.as_str());
    assert!(listed.iter().all(known), "run {run}: unexpected tables in {listed:?}");
    let mut counts = check_items(db, model, flight, run);
    if let Some(scratch) =
        check_scratch(db, model, flight, run, listed.iter().any(|n| n == SCRATCH))
    {
        counts.insert(SCRATCH.into(), scratch);
    }
    for (name, &(items, bytes)) in &counts {
        let table = db.describe_table(name_input(name)).expect("describe").table;
        assert_eq!(
            (table.item_count, table.table_size_bytes),
            (items, bytes),
            "run {run}: {name}: DescribeTable's (ItemCount, TableSizeBytes) against the items read"
        );
    }
    counts
}

/// Reads every possible key of every data table; returns each table's count and size.
fn check_items(db: &Db, model: &mut Model, flight: &InFlight, run: u64) -> Counts {
    let mut counts = Counts::new();
    for thread in 0..THREADS {
        let write = flight.writes.get(&thread);
        let mut landed = false;
        for (table, name) in TABLES.iter().enumerate() {
            if !model.tables.contains(&table) {
                let orphan = model.items.keys().any(|k| k.0 == table);
                assert!(!orphan, "run {run}: items acknowledged in a table never created");
                continue;
            }
            let count = counts.entry(name.to_string()).or_default();
            for index in 0..KEYS_PER_THREAD {
                let actual = get(db, name, item_key(table, thread, index));
                if let Some(item) = &actual {
                    *count = (count.0 + 1, count.1 + item_size_bytes(item) as i64);
                }
                let want = model.items.get(&(table, thread, index));
                if actual.as_ref() != want {
                    let in_flight = write.filter(|w| w.table == table && w.index == index);
                    assert!(
                        in_flight.is_some_and(|w| actual == w.item),
                        "run {run}: {name} thread {thread} key {index}: found {actual:?}, \
                         acknowledged {want:?}"
                    );
                    landed = true;
                }
            }
        }
        if let (true, Some(write)) = (landed, write) {
            model.apply_write(thread, write);
        }
    }
    counts
}

/// Checks the scratch table against the model or its in-flight state; returns its count and
/// size when it exists.
fn check_scratch(
    db: &Db,
    model: &mut Model,
    flight: &InFlight,
    run: u64,
    present: bool,
) -> Option<(i64, i64)> {
    let actual: BTreeMap<u64, Item> = if present {
        let key = |i: u64| item! { "id" => format!("s{i}") };
        (0..SCRATCH_ITEMS).filter_map(|i| get(db, SCRATCH, key(i)).map(|item| (i, item))).collect()
    } else {
        BTreeMap::new()
    };
    let matches = |state: &Scratch| match state {
        None => !present,
        Some((generation, items)) => {
            present
                && actual.keys().copied().eq(items.iter().copied())
                && actual.iter().all(|(&i, item)| *item == scratch_item(*generation, i))
        }
    };
    if !matches(&model.scratch) {
        assert!(
            matches(&flight.scratch),
            "run {run}: scratch table present: {present}, items {actual:?}; acknowledged \
             {:?}, in flight {:?}",
            model.scratch,
            flight.scratch
        );
        model.scratch = flight.scratch.clone();
    }
    let size = actual.values().map(|item| item_size_bytes(item) as i64).sum();
    present.then_some((actual.len() as i64, size))
}

/// When to kill run `run`: often within the first milliseconds (while the child opens and
/// recovers), twice after a long run, else after a few hundred milliseconds.
fn kill_after(run: u64, cycles: u64, rng: &mut SmallRng) -> u64 {
    if run % 5 == 2 {
        rng.gen_range(0..40)
    } else if run == cycles / 2 || run == 3 {
        LONG_RUN_MILLIS
    } else {
        rng.gen_range(60..400)
    }
}

#[test]
fn catalog_and_items_survive_a_restart_and_a_crash() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: u64 = std::env::var("BASALT_DB_CRASH_CYCLES").map_or(20, |v| v.parse().expect("n"));
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path().join("db");
    let mut rng = SmallRng::seed_from_u64(0xdb_c0de);
    let mut model = Model::default();
    let (mut acked, mut creates, mut landed, mut clean) = (0, 0, 0, 0);
    for run in 0..cycles {
        let millis = kill_after(run, cycles, &mut rng);
        let (acks, silent_for) = run_child(&dir, run, millis);
        if millis >= LONG_RUN_MILLIS {
            // A deadlock (a writer stalled behind a flush or a DeleteTable) shows as silence.
            let silent_for = silent_for.unwrap_or(Duration::MAX);
            assert!(silent_for < Duration::from_secs(2), "run {run}: silent for {silent_for:?}");
        }
        acked += acks.len();
        creates += acks.iter().filter(|a| matches!(a, Ack::Create(_))).count();
        let flight = apply(&mut model, run, &acks);
        let before = (model.items.clone(), model.scratch.clone());
        let db =
            Db::open_with(&dir, options()).unwrap_or_else(|e| panic!("run {run}: reopen: {e}"));
        let counts = check(&db, &mut model, &flight, run);
        landed += usize::from(before != (model.items.clone(), model.scratch.clone()));
        db.core().check_invariants();
        if run % 10 == 4 {
            // A clean close in between: the next opens read the counts from its record.
            clean_close_cycle(db, &dir, &mut model, &counts, run);
            clean += 1;
        }
    }
    assert!(acked as u64 > cycles * THREADS, "the children acknowledged operations");
    assert!(creates as u64 > cycles / 2, "the scratch table was created again and again");
    if cycles > 4 {
        assert_eq!(model.tables.len(), TABLES.len(), "every data table was created");
    }
    eprintln!(
        "{cycles} SIGKILL cycles, {acked} acknowledged operations, {creates} scratch tables \
         created, {landed} checks found unacknowledged operations applied, {clean} clean closes; \
         {} items in the data tables at the end",
        model.items.len()
    );
}

/// Closes `db` cleanly, reopens it (the counts now come from the clean-close record) and
/// checks that nothing changed.
fn clean_close_cycle(db: Db, dir: &Path, model: &mut Model, counts: &Counts, run: u64) {
    db.close().unwrap_or_else(|e| panic!("run {run}: close: {e}"));
    let db = Db::open_with(dir, options()).expect("reopen after a clean close");
    let settled = InFlight { writes: BTreeMap::new(), scratch: model.scratch.clone() };
    let before = model.items.clone();
    let again = check(&db, model, &settled, run);
    assert_eq!(before, model.items, "run {run}: items changed across a clean close");
    assert_eq!(&again, counts, "run {run}: counts after a clean close");
    db.core().check_invariants();
}
