//! Goal: format version 1 stays readable and the writer keeps producing it byte for byte.
//!
//! Method: `fixtures/sstable_v1/small.sst` was written once by this crate from the fixed
//! entries below (regenerate only on purpose, with `BASALT_BLESS=1`, and never for a released
//! version). The test reads it back and checks every entry, and checks that writing the same
//! entries today yields identical bytes — which pins the block encoding, the bloom filter's
//! hash and probe sequence, the properties, the footer and every CRC at once.

use std::path::PathBuf;

use basalt_sstable::{Direction, Entry, Table, TableWriter, WriterOptions, FORMAT_VERSION};

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sstable_v1/small.sst")
}

fn sample_entries() -> Vec<Entry> {
    let mut entries = Vec::new();
    for i in 0..60u32 {
        let key = format!("item#{:04}", i * 5);
        if i % 9 == 0 {
            entries.push(Entry::tombstone(key.clone(), 1000 + u64::from(i)));
        }
        let value = format!("value {i} ").repeat(i as usize % 5);
        entries.push(Entry::value(key, u64::from(i) + 1, value));
    }
    entries
}

fn write_sample() -> Vec<u8> {
    let options =
        WriterOptions { block_size_bytes: 256, restart_interval: 4, bloom_bits_per_key: 10 };
    let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
    for entry in sample_entries() {
        writer.add_entry(&entry).expect("sorted");
    }
    writer.finish().expect("vec").output
}

#[test]
#[expect(unsafe_code, reason = "Table::open maps the fixture")]
fn v1_fixture_reads_back_and_writer_reproduces_it() {
    assert_eq!(FORMAT_VERSION, 1, "a new version needs its own fixture directory");
    if std::env::var_os("BASALT_BLESS").is_some() {
        std::fs::write(fixture_path(), write_sample()).expect("write fixture");
    }
    let fixture = std::fs::read(fixture_path()).expect("fixture present");
    // SAFETY: the fixture is checked in and nothing writes to it while the test runs.
    let table = unsafe { Table::open(&fixture_path()) }.expect("v1 fixture opens");
    let entries: Vec<Entry> =
        table.iter(Direction::Forward).collect::<basalt_sstable::Result<_>>().expect("scan");
    assert_eq!(entries, sample_entries());
    assert_eq!(table.get(b"item#0045").expect("get"), Some(Entry::tombstone("item#0045", 1009)));
    assert_eq!(write_sample(), fixture, "the writer no longer produces format v1 byte for byte");
}
