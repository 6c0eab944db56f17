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
//! - [`Db`]: DynamoDB's tables and single-item operations (CreateTable, PutItem, GetItem, …)
//!   over the storage core, with the request and response types of [`api`] and DynamoDB's
//!   errors ([`api::DbError`]);
//! - [`model`]: the DynamoDB data model: attribute values, exact numbers, item sizes, key and
//!   item encodings, and serde conversion between Rust types and items.
//!
//! README.md's compatibility table says which DynamoDB operations are available.

pub mod api;
pub mod core;
#[doc(hidden)]
pub mod db;
pub mod expr;
pub mod model;
mod sync;
/// Model-based checks of [`Db`] driven by the fuzz targets and seeded tests (`table_ops`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod testing;
pub mod time;
mod tree;

pub use basalt_fs as fs;
pub use basalt_wal as wal;
pub use db::{
    Db, DbOptions, Deferred, StreamOptions, StreamWaiter, TtlOptions, PARTITION_KEY_BYTES_MAX,
    SORT_KEY_BYTES_MAX,
};
pub use tree::{Key, Range, Tree, TreeMut, Value, NODE_ENTRIES_MAX, NODE_ENTRIES_MIN};
