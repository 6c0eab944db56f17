//! Goal: damaged bytes never cause a panic or wrong data; every read either fails or returns
//! exactly what was written.
//!
//! Method: a small table (several data blocks, versions, tombstones, a filter) is damaged in
//! every possible single place — each byte flipped in turn (XOR 0x01 and XOR 0xff) — and
//! truncated at every length. For each damaged image, opening either fails or every read path
//! (full scans both ways, point lookups of present and absent keys, bounded ranges both ways)
//! returns either an error or exactly the oracle's answer.

use std::ops::Bound;

use basalt_sstable::{Direction, Entry, Table, TableWriter, WriterOptions};

fn sample() -> (Vec<u8>, Vec<Entry>) {
    let mut entries = Vec::new();
    for i in 0..40u32 {
        let key = format!("key{:03}", i * 3).into_bytes();
        if i % 7 == 0 {
            entries.push(Entry::tombstone(key.clone(), 100 + u64::from(i)));
        }
        entries.push(Entry::value(
            key,
            u64::from(i) + 1,
            format!("value-{i}").repeat(i as usize % 4),
        ));
    }
    let options =
        WriterOptions { block_size_bytes: 128, restart_interval: 4, bloom_bits_per_key: 10 };
    let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
    for entry in &entries {
        writer.add_entry(entry).expect("sorted");
    }
    (writer.finish().expect("vec").output, entries)
}

/// Checks one damaged image; returns how many reads failed.
fn check_image(image: Vec<u8>, entries: &[Entry]) -> usize {
    let Ok(table) = Table::from_bytes("damaged", image) else {
        return 1;
    };
    let mut failures = 0;
    let mut compare = |got: basalt_sstable::Result<Vec<Entry>>, want: Vec<Entry>| match got {
        Ok(got) => assert_eq!(got, want, "wrong data returned"),
        Err(_) => failures += 1,
    };
    compare(table.iter(Direction::Forward).collect(), entries.to_vec());
    compare(table.iter(Direction::Backward).collect(), entries.iter().rev().cloned().collect());
    let (start, end) = (b"key030".as_slice(), b"key090".as_slice());
    let want: Vec<Entry> = entries
        .iter()
        .filter(|e| e.key.as_slice() > start && e.key.as_slice() <= end)
        .cloned()
        .collect();
    let range = |direction| table.range(Bound::Excluded(start), Bound::Included(end), direction);
    compare(range(Direction::Forward).collect(), want.clone());
    compare(range(Direction::Backward).collect(), want.into_iter().rev().collect());
    for i in 0..121u32 {
        let key = format!("key{i:03}").into_bytes();
        let newest = entries.iter().find(|e| e.key == key).cloned();
        compare(
            table.get(&key).map(|found| found.into_iter().collect()),
            newest.into_iter().collect(),
        );
    }
    failures
}

#[test]
fn every_byte_flip_is_caught_or_harmless() {
    let (bytes, entries) = sample();
    assert_eq!(check_image(bytes.clone(), &entries), 0, "the undamaged table reads cleanly");
    let mut detected = 0;
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0xff] {
            let mut image = bytes.clone();
            image[at] ^= mask;
            detected += usize::from(check_image(image, &entries) > 0);
        }
    }
    // Every byte is covered by a CRC (or is a CRC), so every flip must be noticed somewhere.
    assert_eq!(detected, 2 * bytes.len(), "some flip went unnoticed");
}

#[test]
fn every_truncation_fails_to_open() {
    let (bytes, entries) = sample();
    for len in 0..bytes.len() {
        assert!(Table::from_bytes("truncated", bytes[..len].to_vec()).is_err(), "length {len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Table::from_bytes("extended", longer).is_err());
    assert_eq!(check_image(bytes, &entries), 0);
}
