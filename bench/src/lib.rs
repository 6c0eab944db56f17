//! `basalt-bench`: Basalt's storage core side by side with other embedded key-value engines.
//!
//! The `peers` binary runs the same workloads on Basalt, redb, LMDB (`heed`), RocksDB, fjall
//! and SQLite in the same run, each workload on each engine in its own child process on a fresh
//! data directory, and prints the medians across runs; `bench/README.md` says how to run it and
//! what each workload does. The peer engines are compiled only with the `peers` feature.
//!
//! Every engine sees the same keys ([`KeySpace`]): 16 bytes, a hash of the item index then the
//! index, so that Basalt's shard routing (by the first 8 bytes) spreads them and a range scan
//! reads the same items everywhere. Every single-item write is a durable commit.
//!
//! Modules: [`engine`] (the `Engine`/`Session` interface and one adapter per engine),
//! `workload` (the workloads; the child's side), `phase` (timed multi-threaded phases),
//! `matrix` (the parent's side), `report` (medians and the table), `keyspace`, `zipfian`,
//! `latency`, `resources` (disk bytes, peak RSS).

pub mod engine;
mod error;
mod keyspace;
mod latency;
mod matrix;
mod phase;
mod report;
pub mod resources;
mod workload;
mod zipfian;

pub use engine::{Engine, EngineKind, Session};
pub use error::{engine_error, io_error, Error, Result};
pub use keyspace::{Key, KeySpace, KEY_LEN};
pub use latency::{Latencies, LatencySummary};
pub use matrix::{run_matrix, Matrix};
pub use phase::{run_phase, Operation, PhaseReport, PhaseSpec};
pub use report::{format_rate, markdown, median, medians, MedianRow, RunRecord};
pub use workload::{run_child, ChildReport, Settings, Workload, ITEMS_FULL, SCAN_LEN, VALUE_LEN};
pub use zipfian::{Zipfian, ZIPFIAN_CONSTANT};
