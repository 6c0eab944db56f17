//! How to open a store.

use basalt_wal::Durability;

use crate::core::error::{Error, Result};
use crate::core::route::Routing;

/// The most shards a store may have.
pub const SHARDS_MAX: u16 = 1024;
const MEMORY_BUDGET_BYTES_MIN: usize = 64 << 10;
const TABLE_TARGET_BYTES_MIN: u64 = 4 << 10;
const WAL_SEGMENT_BYTES_MIN: u64 = 4 << 10;

/// Settings for [`crate::core::Core::open`].
#[derive(Clone, Debug)]
pub struct Options {
    /// What a successful write promises; [`Durability::Sync`] (on stable storage before the
    /// write returns or becomes visible) by default.
    pub durability: Durability,
    /// Shards for a new store (an existing store keeps the count it was created with). Default:
    /// four per core, between 4 and 64.
    pub shards: u16,
    /// Memory for live and frozen trees across all shards. A shard freezes its live tree when it
    /// passes `memory_budget_bytes / (2 × shards)`; the other half covers frozen trees waiting to
    /// be flushed. Default 64 MiB.
    pub memory_budget_bytes: usize,
    /// The size past which compaction starts a new SSTable. Default 16 MiB.
    pub table_target_bytes: u64,
    /// The size of level 1 of a shard before it compacts into level 2; each deeper level may be
    /// ten times larger. Default 64 MiB.
    pub level_base_bytes: u64,
    /// The log's segment size. Default 64 MiB.
    pub wal_segment_bytes: u64,
    /// Whether flushes and compactions run on a background thread as they become due (the
    /// default). When false they run only through `flush` and `compact`, which tests use to
    /// control timing.
    pub background: bool,
    /// How keys map to shards, for a new store. Like `shards`, part of the on-disk format: an
    /// existing store keeps the rule it was created with (recorded in its manifest) whatever
    /// this says, and [`crate::core::Core::routing`] reports the rule in force. Default
    /// [`Routing::HashPrefix`].
    pub routing: Routing,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Options {
            durability: Durability::Sync,
            shards: u16::try_from((cores * 4).clamp(4, 64)).unwrap_or(4),
            memory_budget_bytes: 64 << 20,
            table_target_bytes: 16 << 20,
            level_base_bytes: 64 << 20,
            wal_segment_bytes: 64 << 20,
            background: true,
            routing: Routing::HashPrefix,
        }
    }
}

impl Options {
    /// Checks every field against its range.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let invalid =
            |name: &'static str, reason: String| Err(Error::InvalidOption { name, reason });
        if self.shards == 0 || self.shards > SHARDS_MAX {
            return invalid("shards", format!("{} is not between 1 and {SHARDS_MAX}", self.shards));
        }
        if self.memory_budget_bytes < MEMORY_BUDGET_BYTES_MIN {
            return invalid(
                "memory_budget_bytes",
                format!("below the minimum of {MEMORY_BUDGET_BYTES_MIN}"),
            );
        }
        if self.table_target_bytes < TABLE_TARGET_BYTES_MIN {
            return invalid(
                "table_target_bytes",
                format!("below the minimum of {TABLE_TARGET_BYTES_MIN}"),
            );
        }
        if self.level_base_bytes < self.table_target_bytes {
            return invalid("level_base_bytes", "below table_target_bytes".to_string());
        }
        if self.wal_segment_bytes < WAL_SEGMENT_BYTES_MIN {
            return invalid(
                "wal_segment_bytes",
                format!("below the minimum of {WAL_SEGMENT_BYTES_MIN}"),
            );
        }
        Ok(())
    }

    /// The live-tree size at which a shard freezes it.
    pub(crate) fn freeze_bytes(&self, shards: u16) -> usize {
        (self.memory_budget_bytes / (2 * usize::from(shards.max(1)))).max(16 << 10)
    }
}
