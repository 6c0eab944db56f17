//! Goal: everything written to an SSTable reads back exactly, through every read path.
//!
//! Method: seeded random entry sets — empty values, values above the block size, one ~400 KB
//! value, long shared key prefixes, several versions per key, tombstones — are written with
//! varied block sizes and restart intervals, then read back and compared with a `BTreeMap`
//! oracle: point lookups (hits and misses), seeks, and range scans forwards and backwards with
//! included, excluded and open bounds. One table goes through a real file and mmap.
//! `BASALT_SOAK=1` runs many more seeds.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Bound;

use basalt_sstable::{Direction, Entry, Kind, SeqNo, Table, TableWriter, WriterOptions};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

type Oracle = BTreeMap<(Vec<u8>, Reverse<u64>), (Kind, Vec<u8>)>;

fn soak() -> bool {
    std::env::var_os("BASALT_SOAK").is_some()
}

fn random_key(rng: &mut SmallRng, prefixes: &[Vec<u8>]) -> Vec<u8> {
    let mut key = prefixes[rng.gen_range(0..prefixes.len())].clone();
    let suffix_len = rng.gen_range(0..6);
    key.extend((0..suffix_len).map(|_| rng.gen_range(b'0'..=b'9')));
    key
}

fn random_value(rng: &mut SmallRng) -> Vec<u8> {
    let len = match rng.gen_range(0..100) {
        0..=9 => 0,
        10..=11 => rng.gen_range(16 * 1024..40 * 1024),
        _ => rng.gen_range(1..200),
    };
    (0..len).map(|_| rng.gen()).collect()
}

/// A random oracle: keys share long prefixes (up to 300 bytes), some keys have several
/// versions, about 15% of versions are tombstones.
fn random_oracle(rng: &mut SmallRng, count: usize) -> Oracle {
    let long_prefix: Vec<u8> = (0..300).map(|i| b'p' + (i % 3) as u8).collect();
    let prefixes = vec![b"".to_vec(), b"user#".to_vec(), b"user#1234#order#".to_vec(), long_prefix];
    let mut oracle = Oracle::new();
    for _ in 0..count {
        let key = random_key(rng, &prefixes);
        let seqno = rng.gen_range(1..1_000_000);
        let entry = if rng.gen_bool(0.15) {
            (Kind::Tombstone, Vec::new())
        } else {
            (Kind::Value, random_value(rng))
        };
        oracle.insert((key, Reverse(seqno)), entry);
    }
    oracle
}

fn entries(oracle: &Oracle) -> Vec<Entry> {
    oracle
        .iter()
        .map(|((key, Reverse(seqno)), (kind, value))| Entry {
            key: key.clone(),
            seqno: SeqNo(*seqno),
            kind: *kind,
            value: value.clone(),
        })
        .collect()
}

fn write(entries: &[Entry], options: WriterOptions) -> Vec<u8> {
    let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
    for entry in entries {
        writer.add_entry(entry).expect("entries are sorted");
    }
    writer.finish().expect("vec output").output
}

fn collect(iter: impl Iterator<Item = basalt_sstable::Result<Entry>>) -> Vec<Entry> {
    iter.collect::<basalt_sstable::Result<_>>().expect("no corruption")
}

fn in_range(key: &[u8], start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    let after_start = match start {
        Bound::Included(s) => key >= s,
        Bound::Excluded(s) => key > s,
        Bound::Unbounded => true,
    };
    let before_end = match end {
        Bound::Included(e) => key <= e,
        Bound::Excluded(e) => key < e,
        Bound::Unbounded => true,
    };
    after_start && before_end
}

fn random_bound(rng: &mut SmallRng, keys: &[Entry]) -> Bound<Vec<u8>> {
    let key = if keys.is_empty() || rng.gen_bool(0.3) {
        random_key(rng, &[b"user#".to_vec(), b"".to_vec()])
    } else {
        keys[rng.gen_range(0..keys.len())].key.clone()
    };
    match rng.gen_range(0..5) {
        0 => Bound::Unbounded,
        1 | 2 => Bound::Included(key),
        _ => Bound::Excluded(key),
    }
}

fn check(table: &Table, expected: &[Entry], rng: &mut SmallRng) {
    assert_eq!(collect(table.iter(Direction::Forward)), expected);
    let mut backward = collect(table.iter(Direction::Backward));
    backward.reverse();
    assert_eq!(backward, expected);
    let props = table.properties();
    assert_eq!(props.entry_count, expected.len() as u64);
    let tombstones = expected.iter().filter(|e| e.kind == Kind::Tombstone).count();
    assert_eq!(props.tombstone_count, tombstones as u64);
    check_point_lookups(table, expected, rng);
    for _ in 0..60 {
        let start = random_bound(rng, expected);
        let end = random_bound(rng, expected);
        let (start, end) = (start.as_ref().map(Vec::as_slice), end.as_ref().map(Vec::as_slice));
        let want: Vec<Entry> =
            expected.iter().filter(|e| in_range(&e.key, start, end)).cloned().collect();
        assert_eq!(collect(table.range(start, end, Direction::Forward)), want, "{start:?} {end:?}");
        let mut got = collect(table.range(start, end, Direction::Backward));
        got.reverse();
        assert_eq!(got, want, "backward {start:?} {end:?}");
    }
}

fn check_point_lookups(table: &Table, expected: &[Entry], rng: &mut SmallRng) {
    let mut newest: BTreeMap<&[u8], &Entry> = BTreeMap::new();
    for entry in expected.iter().rev() {
        newest.insert(&entry.key, entry);
    }
    for (key, entry) in &newest {
        assert_eq!(table.get(key).expect("get").as_ref(), Some(*entry));
        let seek: Vec<Entry> = table.seek(key).take(2).map(|e| e.expect("seek")).collect();
        assert_eq!(seek.first(), Some(*entry));
    }
    for _ in 0..200 {
        let probe = random_key(rng, &[b"user#".to_vec(), b"x".to_vec(), b"".to_vec()]);
        let want = newest.get(probe.as_slice()).copied();
        assert_eq!(table.get(&probe).expect("get").as_ref(), want);
        let first_at_or_after = expected.iter().find(|e| e.key >= probe);
        let got = table.seek(&probe).next().transpose().expect("seek");
        assert_eq!(got.as_ref(), first_at_or_after);
    }
}

fn options(rng: &mut SmallRng) -> WriterOptions {
    WriterOptions {
        block_size_bytes: [128, 1024, 4096, 16 * 1024][rng.gen_range(0..4)],
        restart_interval: [1, 2, 16, 64][rng.gen_range(0..4)],
        bloom_bits_per_key: [0, 4, 10][rng.gen_range(0..3)],
    }
}

#[test]
fn random_tables_match_oracle() {
    let seeds = if soak() { 0..200 } else { 0..16 };
    for seed in seeds {
        let mut rng = SmallRng::seed_from_u64(seed);
        let count = rng.gen_range(0..1500);
        let mut oracle = random_oracle(&mut rng, count);
        if seed == 3 {
            let big: Vec<u8> = (0..400 * 1024).map(|i| (i % 251) as u8).collect();
            oracle.insert((b"user#big".to_vec(), Reverse(5)), (Kind::Value, big));
        }
        let expected = entries(&oracle);
        let options = options(&mut rng);
        let table = Table::from_bytes("memory", write(&expected, options)).expect("opens");
        check(&table, &expected, &mut rng);
    }
}

#[test]
fn empty_table() {
    let table = Table::from_bytes("empty", write(&[], WriterOptions::default())).expect("opens");
    assert_eq!(table.properties().entry_count, 0);
    assert!(table.get(b"a").expect("get").is_none());
    assert_eq!(table.iter(Direction::Forward).count(), 0);
    assert_eq!(table.iter(Direction::Backward).count(), 0);
    assert_eq!(
        table.range(Bound::Included(b"a"), Bound::Unbounded, Direction::Backward).count(),
        0
    );
}

#[test]
#[expect(unsafe_code, reason = "Table::open maps the file")]
fn huge_value_makes_one_large_block_through_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.sst");
    let big: Vec<u8> = (0..1_500_000u32).map(|i| (i % 253) as u8).collect();
    let expected = vec![
        Entry::value("a", 1, "small"),
        Entry::value("b", 2, big.clone()),
        Entry::tombstone("c", 3),
        Entry::value("d", 4, ""),
    ];
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = TableWriter::new(std::io::BufWriter::new(file), WriterOptions::default())
        .expect("valid options");
    for entry in &expected {
        writer.add_entry(entry).expect("sorted");
    }
    let finished = writer.finish().expect("write");
    let file = finished.output.into_inner().expect("flushed");
    file.sync_all().expect("sync");
    // SAFETY: the file was written, synced and closed above; nothing touches it again
    // until the temporary directory is removed after the table is dropped.
    let table = unsafe { Table::open(&path) }.expect("opens");
    assert_eq!(table.len_bytes(), finished.file_len_bytes);
    assert_eq!(table.get(b"b").expect("get").map(|e| e.value), Some(big));
    check(&table, &expected, &mut SmallRng::seed_from_u64(1));
    assert_eq!(table.properties().key_min, b"a");
    assert_eq!(table.properties().key_max, b"d");
    assert_eq!((table.properties().seqno_min, table.properties().seqno_max), (SeqNo(1), SeqNo(4)));
}
