//! `basalt`: a DynamoDB-compatible storage engine, embeddable as a crate.
//!
//! Basalt is being built from the disk up. What works today:
//!
//! - [`core`]: the storage core, a sharded, durable, ordered key-value store with lock-free
//!   snapshots, atomic batches, background flushes and leveled compaction (`docs/core.md`);
//! - [`Tree`]/[`TreeMut`]: the in-memory copy-on-write B+-tree that holds each shard's live tree;
//! - [`wal`]: the segmented write-ahead log with group commit and crash recovery;
//! - [`fs`]: the file layer under it (`std`, io_uring, and a fault-injecting simulation).
//!
//! The DynamoDB data model and API are not built yet; README.md's compatibility table says what
//! is and is not available.

pub mod core;
pub mod model;
mod sync;
mod tree;

pub use basalt_fs as fs;
pub use basalt_wal as wal;
pub use tree::{Key, Range, Tree, TreeMut, Value, NODE_ENTRIES_MAX, NODE_ENTRIES_MIN};
