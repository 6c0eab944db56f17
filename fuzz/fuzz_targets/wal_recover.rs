//! Recovery of the write-ahead log over arbitrary segment bytes, and over real logs damaged at
//! rest: `open` never panics, and a log it accepts reads back as a contiguous run of records.
#![no_main]

use arbitrary::Arbitrary;
use basalt_wal::fuzz::{recover_arbitrary, recover_mutated, Mutation};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Damage {
    FlipBit(u16, u32, u8),
    Truncate(u16, u32),
    Zero(u16, u32, u16),
    Remove(u16),
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(Vec<Vec<u8>>),
    Damaged { records: Vec<Vec<u8>>, damage: Vec<Damage> },
}

fuzz_target!(|input: Input| match input {
    Input::Raw(segments) => recover_arbitrary(&segments),
    Input::Damaged { records, damage } => {
        let mutations: Vec<Mutation> = damage
            .into_iter()
            .take(8)
            .map(|d| match d {
                Damage::FlipBit(s, o, b) => Mutation::FlipBit(s, o, b),
                Damage::Truncate(s, l) => Mutation::Truncate(s, l),
                Damage::Zero(s, o, l) => Mutation::Zero(s, o, l),
                Damage::Remove(s) => Mutation::Remove(s),
            })
            .collect();
        recover_mutated(&records, &mutations);
    }
});
