//! The storage core: a sharded, durable, ordered key-value store (`docs/core.md`).
//!
//! A store is a directory: `MANIFEST` (which SSTables make up each shard), `wal/` (the
//! write-ahead log) and `tables/` (SSTables). Keys are split into shards by their first eight
//! bytes (a hash prefix supplied by the layer above, see [`ShardId::of`]), or under
//! [`Routing::Spaced`] by bytes 4..12 after a 4-byte space id. Each shard is a live
//! copy-on-write B+-tree, frozen trees waiting to be flushed, and leveled SSTables; its
//! published [`Snapshot`]-able state is one immutable version behind an atomic pointer.
//!
//! # Guarantees
//! - A write is visible to readers only once it is durable (under [`Durability::Sync`], the
//!   default); it survives `kill -9` and power loss from then on.
//! - A [`Batch`] is one log record: after a crash it is there entirely or not at all, and
//!   readers see all of it or none of it, across shards.
//! - Readers never lock and never wait for writers or background work.
//! - Damaged files fail `open` (or the read that meets them) with an error naming them.
//!
//! # Map
//! - [`Core`] (`store`): open, write path, reads. `open`: recovery. `maintenance`: flush,
//!   compaction, log deletion, the background worker. `compaction`: the policy. `defer`:
//!   deferred writes and their completer thread ([`Durable`]).
//! - `shard`: a shard's writer state and publication. `version`: what readers see. `cell`: the
//!   lock-free version pointer. `seqlock`: multi-shard publication. [`Snapshot`] (`snapshot`):
//!   reads across shards.
//! - `manifest`, `table_file`, `batch` (log payload), `slot` (tree entries): formats.
//!
//! [`Durability::Sync`]: basalt_wal::Durability::Sync

mod batch;
mod bytes;
mod cell;
mod compaction;
mod defer;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
mod limits;
mod maintenance;
mod manifest;
mod open;
mod options;
mod route;
mod seqlock;
mod shard;
mod slot;
mod snapshot;
mod store;
mod table_file;
mod version;

pub use basalt_wal::{Durability, Lsn};
pub use batch::Batch;
pub use bytes::Bytes;
pub use defer::Durable;
pub use error::{Error, Result};
pub use limits::KEY_BYTES_MAX;
pub use options::{Options, SHARDS_MAX};
pub use route::{Routing, ShardId};
pub use snapshot::{Range, Snapshot};
pub use store::{Core, Stats};

#[cfg(loom)]
#[doc(hidden)]
pub use cell::VersionCell;
#[cfg(loom)]
#[doc(hidden)]
pub use defer::{Queue, Slot};
#[cfg(loom)]
#[doc(hidden)]
pub use seqlock::{Publishing, Seqlock};
