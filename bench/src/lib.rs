//! `basalt-bench`: side-by-side comparisons of Basalt with other engines.
//!
//! Empty for now: the comparisons arrive with the storage core. The benchmarks of the individual
//! crates live beside them (`cargo bench -p basalt-wal`); `docs/benchmarks.md` has the figures.
