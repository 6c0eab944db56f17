//! `basalt`: a DynamoDB-compatible storage engine, embeddable as a crate.
//!
//! Basalt is being built from the disk up. What works today is its durable foundation, re-exported
//! here so that programs can depend on the one crate:
//!
//! - [`wal`]: the segmented write-ahead log with group commit and crash recovery;
//! - [`fs`]: the file layer under it (`std`, io_uring, and a fault-injecting simulation).
//!
//! The storage core (B+-tree, shards, SSTables, snapshots) and the DynamoDB data model and API
//! are not built yet; README.md's compatibility table says what is and is not available.

pub use basalt_fs as fs;
pub use basalt_wal as wal;
