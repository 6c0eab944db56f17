//! Goal: the merging iterator returns exactly the newest version of every key across tables
//! and in-memory runs, hiding or yielding tombstones as asked, forwards and backwards.
//!
//! Method: seeded random writes (puts and deletes over a small key space, so keys overlap) are
//! spread over several SSTables and one in-memory run, with globally unique seqnos; a
//! `BTreeMap` oracle keeps the newest version per key. The merge over full and bounded ranges
//! is compared with the oracle in both directions and both tombstone modes.

use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};

use basalt_sstable::{
    cmp_versions, Direction, Entry, MergeIter, Result, Source, Table, TableWriter, Tombstones,
    WriterOptions,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn table_of(mut entries: Vec<Entry>, name: &str) -> Table {
    entries.sort_by(|a, b| cmp_versions(&a.key, a.seqno, &b.key, b.seqno));
    let options = WriterOptions { block_size_bytes: 256, ..WriterOptions::default() };
    let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
    for entry in &entries {
        writer.add_entry(entry).expect("sorted");
    }
    Table::from_bytes(name, writer.finish().expect("vec").output).expect("opens")
}

fn memory_run(
    mut entries: Vec<Entry>,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    direction: Direction,
) -> Source<'static> {
    entries.sort_by(|a, b| cmp_versions(&a.key, a.seqno, &b.key, b.seqno));
    entries.retain(|e| (start, end).contains(&e.key.as_slice()));
    if direction == Direction::Backward {
        entries.reverse();
    }
    Box::new(entries.into_iter().map(Ok))
}

struct Case {
    tables: Vec<Table>,
    memory: Vec<Entry>,
    oracle: BTreeMap<Vec<u8>, Entry>,
}

fn random_case(seed: u64) -> Case {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut batches: Vec<Vec<Entry>> = vec![Vec::new(); 5];
    let mut oracle: BTreeMap<Vec<u8>, Entry> = BTreeMap::new();
    for seqno in 1..=rng.gen_range(0..2000u64) {
        let key = format!("k{:03}", rng.gen_range(0..300)).into_bytes();
        let entry = if rng.gen_bool(0.25) {
            Entry::tombstone(key.clone(), seqno)
        } else {
            Entry::value(key.clone(), seqno, format!("v{seqno}"))
        };
        // Seqnos are global; any source may hold any version (as after partial compactions).
        batches[rng.gen_range(0..5)].push(entry.clone());
        oracle.insert(key, entry);
    }
    let memory = batches.pop().unwrap_or_default();
    let tables = batches
        .into_iter()
        .enumerate()
        .map(|(i, batch)| table_of(batch, &format!("t{i}")))
        .collect();
    Case { tables, memory, oracle }
}

fn merged(
    case: &Case,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    direction: Direction,
    tombstones: Tombstones,
) -> Vec<Entry> {
    let mut sources: Vec<Source<'static>> =
        vec![memory_run(case.memory.clone(), start, end, direction)];
    for table in &case.tables {
        sources.push(Box::new(table.range(start, end, direction)));
    }
    MergeIter::new(sources, direction, tombstones).collect::<Result<_>>().expect("no corruption")
}

fn expected(
    case: &Case,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    direction: Direction,
    tombstones: Tombstones,
) -> Vec<Entry> {
    let mut want: Vec<Entry> = case
        .oracle
        .iter()
        .filter(|(key, _)| (start, end).contains(&key.as_slice()))
        .map(|(_, entry)| entry.clone())
        .filter(|entry| tombstones == Tombstones::Yield || !entry.is_tombstone())
        .collect();
    if direction == Direction::Backward {
        want.reverse();
    }
    want
}

#[test]
fn merge_matches_oracle() {
    let seeds = if std::env::var_os("BASALT_SOAK").is_some() { 0..100 } else { 0..10 };
    let bounds: [Bound<&[u8]>; 5] = [
        Bound::Unbounded,
        Bound::Included(b"k100"),
        Bound::Excluded(b"k100"),
        Bound::Included(b"k2"),
        Bound::Excluded(b"k250"),
    ];
    for seed in seeds {
        let case = random_case(seed);
        for start in bounds {
            for end in bounds {
                for direction in [Direction::Forward, Direction::Backward] {
                    for tombstones in [Tombstones::Hide, Tombstones::Yield] {
                        let got = merged(&case, start, end, direction, tombstones);
                        let want = expected(&case, start, end, direction, tombstones);
                        assert_eq!(got, want, "seed {seed} {start:?} {end:?} {direction:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn merge_stops_at_first_error() {
    let table = table_of(vec![Entry::value("a", 1, "x"), Entry::value("c", 2, "y")], "ok");
    let failing: Source<'static> = Box::new(
        vec![
            Ok(Entry::value("b", 3, "z")),
            Err(basalt_sstable::Error::Poisoned),
            Ok(Entry::value("d", 4, "w")),
        ]
        .into_iter(),
    );
    let sources: Vec<Source<'static>> = vec![Box::new(table.iter(Direction::Forward)), failing];
    let results: Vec<Result<Entry>> =
        MergeIter::new(sources, Direction::Forward, Tombstones::Hide).collect();
    assert!(results.iter().any(Result::is_err));
    assert!(results.last().is_some_and(Result::is_err), "nothing after the error");
}
