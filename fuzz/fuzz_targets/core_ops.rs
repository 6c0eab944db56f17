//! The storage core against a `BTreeMap` model: arbitrary sequences of puts, deletes, batches,
//! gets, ranges, snapshots, flushes, compactions and reopens, every answer compared.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("tempdir");
    basalt::core::fuzz::run(bytes, dir.path());
});
