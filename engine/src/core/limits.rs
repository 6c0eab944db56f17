//! Named bounds of the storage core.

/// The longest key: room for the longest key the DynamoDB layer writes, a global secondary
/// index entry (`docs/model.md`, "Index entries"): a 4-byte space and an 8-byte route, four
/// partition attributes of up to 2048 bytes and four sort attributes of up to 1024 bytes in their
/// worst-case order-preserving encoding (every byte escaped to two, plus terminators), and the
/// item's key (8 + 4098 + 2050 = 6156 bytes): 12 + 4·4098 + 4·2050 + 6156 = 30,760 bytes.
pub const KEY_BYTES_MAX: usize = 32 * 1024;

/// Frozen trees a shard may hold before its writers wait for a flush (backpressure).
pub(crate) const FROZEN_TREES_MAX: usize = 4;

/// L0 SSTables that trigger a compaction into L1.
pub(crate) const L0_COMPACTION_TRIGGER: usize = 4;

/// The deepest level.
pub(crate) const LEVELS_MAX: usize = 7;

/// Log segments past which the shard pinning the oldest one is flushed on purpose.
pub(crate) const LOG_SEGMENTS_SOFT_MAX: usize = 4;

/// The bytes a tree entry costs beyond its key and value (node slots, `Arc` headers).
pub(crate) const TREE_ENTRY_OVERHEAD_BYTES: usize = 64;

const _: () = assert!(KEY_BYTES_MAX <= basalt_sstable::KEY_LEN_MAX);
const _: () = assert!(KEY_BYTES_MAX < basalt_wal::RECORD_PAYLOAD_BYTES_MAX);
