//! `basalt::Db`'s item operations and expressions against a reference model: arbitrary
//! sequences of conditional puts and deletes, updates, gets, paged queries and scans, batches,
//! transactions and reopens on one small table, every answer compared.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let ops = basalt::testing::table_ops::ops_from(bytes);
    let dir = tempfile::tempdir().expect("tempdir");
    basalt::testing::table_ops::run(&ops, dir.path());
});
