//! `basalt`: a DynamoDB-compatible storage engine, embeddable as a crate.
//!
//! Basalt is being built from the disk up. What works today is its durable foundation, re-exported
//! here so that programs can depend on the one crate:
//!
//! - [`wal`]: the segmented write-ahead log with group commit and crash recovery;
//! - [`fs`]: the file layer under it (`std`, io_uring, and a fault-injecting simulation).
//!
//! The storage core (shards, SSTables, snapshots) and the DynamoDB data model and API
//! are not built yet; README.md's compatibility table says what is and is not available.
//! One building block exists: [`Tree`]/[`TreeMut`], the in-memory copy-on-write B+-tree that
//! will be a shard's live tree, not yet wired to the log.

pub mod core;
mod sync;
mod tree;

pub use basalt_fs as fs;
pub use basalt_wal as wal;
pub use tree::{Key, Range, Tree, TreeMut, Value, NODE_ENTRIES_MAX, NODE_ENTRIES_MIN};
