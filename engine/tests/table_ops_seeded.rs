//! The check of the fuzz target `table_ops` over seeded random inputs: operation sequences
//! drawn from pseudo-random bytes (as `cargo fuzz` draws them from its corpus) run against a
//! fresh database and the reference of `basalt::testing::table_ops`, every answer compared.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::testing::table_ops::{ops_from, run};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A debug build runs one in about 20 ms.
const RUNS: u64 = 300;

/// `TABLE_OPS_RUNS` (a number) runs more, or fewer, to hunt for bugs.
fn runs() -> u64 {
    std::env::var("TABLE_OPS_RUNS").map_or(RUNS, |runs| runs.parse().unwrap())
}

#[test]
fn seeded_operation_sequences_match_the_reference() {
    for seed in 0..runs() {
        let mut rng = SmallRng::seed_from_u64(0x7ab1e ^ seed);
        let len = rng.gen_range(64..2048);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        let ops = ops_from(&bytes);
        eprintln!("seed {seed}: {} operations", ops.len());
        let dir = tempfile::tempdir().unwrap();
        run(&ops, dir.path());
    }
}
