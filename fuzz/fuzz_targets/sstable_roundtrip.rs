//! Arbitrary entries (sorted and deduplicated by the library function) written with arbitrary
//! writer options (clamped by the library function into the ranges `WriterOptions::validate`
//! accepts) read back exactly through every read path.
#![no_main]

use arbitrary::Arbitrary;
use basalt_sstable::fuzz::roundtrip;
use basalt_sstable::{Entry, Kind, SeqNo, WriterOptions};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    entries: Vec<(Vec<u8>, u64, bool, Vec<u8>)>,
    block_size_bytes: u16,
    restart_interval: u8,
    bloom_bits_per_key: u8,
    probes: Vec<Vec<u8>>,
}

fuzz_target!(|input: Input| {
    let entries = input
        .entries
        .into_iter()
        .map(|(key, seqno, tombstone, value)| Entry {
            key,
            seqno: SeqNo(seqno),
            kind: if tombstone { Kind::Tombstone } else { Kind::Value },
            value,
        })
        .collect();
    let options = WriterOptions {
        block_size_bytes: usize::from(input.block_size_bytes),
        restart_interval: usize::from(input.restart_interval),
        bloom_bits_per_key: u32::from(input.bloom_bits_per_key),
    };
    roundtrip(entries, options, &input.probes);
});
