//! Goal: the bloom filter has no false negatives and about 1% false positives at the default
//! 10 bits per key, and lookups by a precomputed hash agree with lookups by key.
//!
//! Method: write 50,000 keys with default options, probe every key (all must pass) and 200,000
//! keys that are absent, and measure the fraction the filter lets through.

use basalt_sstable::{Entry, KeyHash, Table, TableWriter, WriterOptions};

fn table_of(count: u32, options: WriterOptions) -> Table {
    let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
    for i in 0..count {
        writer.add_entry(&Entry::value(format!("key{i:08}"), 1, "v")).expect("sorted");
    }
    Table::from_bytes("filter", writer.finish().expect("vec").output).expect("opens")
}

fn false_positive_rate(table: &Table, probes: u32) -> f64 {
    let passed = (0..probes)
        .filter(|i| table.may_contain(KeyHash::of(format!("absent{i:08}").as_bytes())))
        .count();
    passed as f64 / f64::from(probes)
}

#[test]
fn default_filter_false_positive_rate_is_about_one_percent() {
    let table = table_of(50_000, WriterOptions::default());
    for i in 0..50_000u32 {
        let key = format!("key{i:08}");
        assert!(table.may_contain(KeyHash::of(key.as_bytes())), "false negative for {key}");
    }
    let rate = false_positive_rate(&table, 200_000);
    eprintln!("bloom false-positive rate at 10 bits/key: {:.3}%", rate * 100.0);
    assert!(rate < 0.02, "false-positive rate {rate}");
}

#[test]
fn more_bits_fewer_false_positives_and_zero_disables() {
    let sparse = false_positive_rate(
        &table_of(20_000, WriterOptions { bloom_bits_per_key: 5, ..WriterOptions::default() }),
        50_000,
    );
    let dense = false_positive_rate(
        &table_of(20_000, WriterOptions { bloom_bits_per_key: 16, ..WriterOptions::default() }),
        50_000,
    );
    eprintln!("bloom false-positive rate: 5 bits/key {sparse:.4}, 16 bits/key {dense:.4}");
    assert!(dense < sparse);
    assert!(dense < 0.002);
    let disabled =
        table_of(1000, WriterOptions { bloom_bits_per_key: 0, ..WriterOptions::default() });
    assert!((false_positive_rate(&disabled, 100) - 1.0).abs() < f64::EPSILON);
}

#[test]
fn get_with_hash_matches_get() {
    let table = table_of(5000, WriterOptions::default());
    for i in (0..6000u32).step_by(7) {
        let key = format!("key{i:08}");
        let hash = KeyHash::of(key.as_bytes());
        let by_key = table.get(key.as_bytes()).expect("get");
        assert_eq!(table.get_with_hash(key.as_bytes(), hash).expect("get"), by_key);
        assert_eq!(by_key.is_some(), i < 5000);
    }
}
