//! The SSTable reader over arbitrary bytes: opening, point lookups, seeks, bounded ranges and
//! full iteration in both directions never panic, and when both full scans succeed they agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| basalt_sstable::fuzz::read_arbitrary(bytes));
