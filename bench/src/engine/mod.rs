//! The engines under test, behind one small interface.
//!
//! Each adapter opens its engine with its defaults except for durability: every single-item write
//! is its own durable commit (the data is on stable storage when the call returns), and a bulk
//! load is durable when it returns. Bulk loads batch as each engine does best: the B-trees
//! (redb, LMDB, SQLite) load in one transaction, since every commit rewrites the pages it
//! touches; the log-structured engines (Basalt, RocksDB, fjall) write batches of
//! [`LOAD_BATCH_ITEMS`], each one durable atomic commit.

mod basalt_core;
#[cfg(feature = "peers")]
mod fjall;
#[cfg(feature = "peers")]
mod lmdb;
#[cfg(feature = "peers")]
mod redb;
#[cfg(feature = "peers")]
mod rocksdb;
#[cfg(feature = "peers")]
mod sqlite;

use crate::{Error, KeySpace, Result};
use serde::{Deserialize, Serialize};
use std::{fmt, ops::Range, path::Path, str::FromStr};

/// Reads one byte of every 64 (every cache line) of `bytes`, as a reader of a value would, and
/// returns the length.
///
/// IMPORTANT: an engine that hands out a slice of its memory map or cache (LMDB, fjall) would
/// otherwise be timed without the value ever being brought into the CPU, or paged in.
pub fn touch(bytes: &[u8]) -> usize {
    let folded = bytes.iter().step_by(64).fold(0u8, |acc, &b| acc ^ b);
    std::hint::black_box(folded);
    bytes.len()
}

/// Items per durable batch in the bulk load of the log-structured engines.
pub const LOAD_BATCH_ITEMS: usize = 1000;

/// An open engine, shared by the threads of a workload.
pub trait Engine: Sync {
    /// Writes items `indexes` (keys from [`KeySpace::key`], `value_len`-byte values) and returns
    /// once they are durable.
    ///
    /// # Errors
    ///
    /// When the engine fails.
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()>;

    /// A handle for one thread's operations.
    ///
    /// # Errors
    ///
    /// When the engine fails (SQLite opens a connection per session).
    fn session(&self) -> Result<Box<dyn Session + '_>>;

    /// Closes the engine, writing out what it keeps in memory as it does on a clean shutdown.
    ///
    /// # Errors
    ///
    /// When the engine fails.
    fn close(self: Box<Self>) -> Result<()>;
}

/// One thread's access to an engine.
pub trait Session {
    /// The length of the value stored under `key`, if any.
    ///
    /// # Errors
    ///
    /// When the engine fails.
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>>;

    /// Stores `value` under `key` as one durable commit.
    ///
    /// # Errors
    ///
    /// When the engine fails.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()>;

    /// Reads up to `count` items forward from the first key at or after `start`; returns how many
    /// it read.
    ///
    /// # Errors
    ///
    /// When the engine fails.
    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize>;
}

/// The engines the harness knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// Basalt's storage core (`basalt::core::Core`).
    Basalt,
    /// redb: copy-on-write B-tree, pure Rust.
    Redb,
    /// LMDB through `heed`: copy-on-write B-tree over a memory map.
    Lmdb,
    /// RocksDB through the `rocksdb` crate, linked against the system library.
    Rocksdb,
    /// fjall: LSM tree, pure Rust.
    Fjall,
    /// SQLite through `rusqlite`: B-tree, WAL mode, `synchronous=FULL`.
    Sqlite,
}

impl EngineKind {
    /// Every engine, in report order.
    pub const ALL: [Self; 6] =
        [Self::Basalt, Self::Redb, Self::Lmdb, Self::Rocksdb, Self::Fjall, Self::Sqlite];

    /// The engine's name on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Basalt => "basalt",
            Self::Redb => "redb",
            Self::Lmdb => "lmdb",
            Self::Rocksdb => "rocksdb",
            Self::Fjall => "fjall",
            Self::Sqlite => "sqlite",
        }
    }

    /// Whether this build can run the engine (the peers need the `peers` feature).
    #[must_use]
    pub fn is_built(self) -> bool {
        self == Self::Basalt || cfg!(feature = "peers")
    }

    /// Opens (creating) the engine's data in the empty directory `dir`.
    ///
    /// # Errors
    ///
    /// When the engine fails to open, or this build does not include it.
    pub fn open(self, dir: &Path) -> Result<Box<dyn Engine>> {
        #[cfg(feature = "peers")]
        match self {
            Self::Basalt => {}
            Self::Redb => return Ok(Box::new(redb::Redb::open(dir)?)),
            Self::Lmdb => return Ok(Box::new(lmdb::Lmdb::open(dir)?)),
            Self::Rocksdb => return Ok(Box::new(rocksdb::Rocks::open(dir)?)),
            Self::Fjall => return Ok(Box::new(fjall::Fjall::open(dir)?)),
            Self::Sqlite => return Ok(Box::new(sqlite::Sqlite::open(dir)?)),
        }
        if self == Self::Basalt {
            return basalt_core::open(dir);
        }
        Err(Error::Usage(format!("{self} needs the `peers` feature: cargo run --features peers")))
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| Error::Usage(format!("unknown engine {s:?}")))
    }
}
