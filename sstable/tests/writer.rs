//! Goal: the writer enforces table order and its limits, reports I/O failures and then refuses
//! further work, and reader errors say which file and offset are bad.
//!
//! Method: direct unit-style checks through the public API.

use std::io::{self, Write};

use basalt_sstable::{
    Corruption, Entry, Error, Kind, SeqNo, Table, TableWriter, WriterOptions, KEY_LEN_MAX,
};

#[test]
fn order_rules() {
    let mut writer = TableWriter::new(Vec::new(), WriterOptions::default()).expect("valid");
    writer.add_entry(&Entry::value("b", 5, "x")).expect("first");
    writer.add_entry(&Entry::value("b", 3, "older version")).expect("lower seqno, same key");
    let equal = writer.add_entry(&Entry::value("b", 3, "dup"));
    assert!(matches!(equal, Err(Error::OutOfOrder { .. })), "{equal:?}");
    let newer = writer.add_entry(&Entry::value("b", 9, "newer after older"));
    assert!(matches!(newer, Err(Error::OutOfOrder { .. })));
    let smaller = writer.add_entry(&Entry::value("a", 100, "x"));
    assert!(matches!(smaller, Err(Error::OutOfOrder { .. })));
    writer.add(b"c", SeqNo(1), Kind::Tombstone, b"").expect("rejections leave it usable");
    let finished = writer.finish().expect("finish");
    assert_eq!(finished.properties.entry_count, 3);
    let table = Table::from_bytes("t", finished.output).expect("opens");
    assert_eq!(table.get(b"b").expect("get"), Some(Entry::value("b", 5, "x")));
}

#[test]
fn oversized_key_is_rejected() {
    let mut writer = TableWriter::new(Vec::new(), WriterOptions::default()).expect("valid");
    let key = vec![b'k'; KEY_LEN_MAX + 1];
    let result = writer.add(&key, SeqNo(1), Kind::Value, b"");
    assert!(matches!(result, Err(Error::EntryTooLarge { .. })));
    writer.add(&key[..KEY_LEN_MAX], SeqNo(1), Kind::Value, b"v").expect("max key fits");
    let table = Table::from_bytes("t", writer.finish().expect("finish").output).expect("opens");
    assert!(table.get(&key[..KEY_LEN_MAX]).expect("get").is_some());
}

/// Accepts `budget` bytes, then fails every write.
struct FailingWriter {
    budget: usize,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.budget);
        self.budget -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn io_error_poisons_the_writer() {
    let options = WriterOptions { block_size_bytes: 64, ..WriterOptions::default() };
    let mut writer = TableWriter::new(FailingWriter { budget: 100 }, options).expect("valid");
    let mut failure = None;
    for i in 0..100u32 {
        if let Err(error) = writer.add_entry(&Entry::value(format!("{i:05}"), 1, "value")) {
            failure = Some(error);
            break;
        }
    }
    assert!(matches!(failure, Some(Error::Io { .. })), "{failure:?}");
    assert!(matches!(writer.add_entry(&Entry::value("zzz", 1, "")), Err(Error::Poisoned)));
    assert!(matches!(writer.finish(), Err(Error::Poisoned)));
}

#[test]
#[expect(unsafe_code, reason = "Table::open maps the file")]
fn errors_name_file_and_offset() {
    let mut writer = TableWriter::new(Vec::new(), WriterOptions::default()).expect("valid");
    writer.add_entry(&Entry::value("a", 1, "hello")).expect("add");
    let mut bytes = writer.finish().expect("finish").output;
    bytes[2] ^= 0x40;
    let table = Table::from_bytes("tables/0001.sst", bytes).expect("meta blocks are intact");
    let error = table.get(b"a").expect_err("data block is corrupt");
    assert!(matches!(error, Error::ChecksumMismatch { offset: 0, .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("tables/0001.sst") && message.contains("offset 0"), "{message}");

    let short = Table::from_bytes("short.sst", vec![0u8; 10]).expect_err("too short");
    assert!(matches!(short, Error::Corrupt { what: Corruption::TooShort { len: 10 }, .. }));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.sst");
    std::fs::write(&path, b"").expect("write");
    // SAFETY: the file is written above and never modified while mapped (it is too short to
    // be mapped at all).
    let empty = unsafe { Table::open(&path) }.expect_err("empty file");
    assert!(empty.to_string().contains("empty.sst"), "{empty}");
}
