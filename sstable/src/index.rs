//! The index block: for every data block, its last key and its handle. Stored with the block
//! encoding (`docs/sstable.md`, "Index block"); decoded into memory once when a table opens, so a
//! lookup is one binary search over contiguous memory.
#![deny(clippy::indexing_slicing)]

use std::collections::VecDeque;

use crate::block::builder::BlockBuilder;
use crate::block::reader::{Block, BlockError};
use crate::codec::{put_varint, Decoder};
use crate::format::BlockHandle;

/// Restart interval of the index block; it is decoded sequentially, so density matters more.
const INDEX_RESTART_INTERVAL: usize = 16;

/// Collects one entry per data block.
#[derive(Debug)]
pub(crate) struct IndexBuilder {
    block: BlockBuilder,
    scratch: Vec<u8>,
}

impl IndexBuilder {
    pub(crate) fn new() -> Self {
        IndexBuilder { block: BlockBuilder::new(INDEX_RESTART_INTERVAL), scratch: Vec::new() }
    }

    /// Records a data block whose last key is `last_key`.
    pub(crate) fn add(&mut self, last_key: &[u8], handle: BlockHandle) {
        self.scratch.clear();
        put_varint(&mut self.scratch, handle.offset);
        put_varint(&mut self.scratch, handle.size);
        self.block.add(last_key, &self.scratch, &[]);
    }

    /// The index block payload.
    pub(crate) fn finish(&mut self) -> &[u8] {
        self.block.finish()
    }
}

/// The decoded index: last keys in one buffer, and handles.
#[derive(Debug, Default)]
pub(crate) struct Index {
    keys: Vec<u8>,
    key_ends: Vec<usize>,
    handles: Vec<BlockHandle>,
}

impl Index {
    /// Decodes an index block payload. Checks that last keys do not decrease (equal last keys
    /// are legal: versions of one key may span blocks).
    pub(crate) fn decode(payload: &[u8]) -> Result<Self, BlockError> {
        let block = Block::parse(payload)?;
        let mut index = Index::default();
        let mut run = VecDeque::new();
        for r in 0..block.restart_count() {
            block.decode_run(r, &mut run)?;
            for raw in run.drain(..) {
                if index.len() > 0 && raw.key.as_slice() < index.key(index.len() - 1) {
                    return Err("index keys out of order");
                }
                let mut value = Decoder::at(block.value(raw.value)?, 0);
                let offset = value.varint().ok_or("bad index handle")?;
                let size = value.varint().ok_or("bad index handle")?;
                if !value.is_empty() {
                    return Err("trailing bytes in index entry");
                }
                index.keys.extend_from_slice(&raw.key);
                index.key_ends.push(index.keys.len());
                index.handles.push(BlockHandle { offset, size });
            }
        }
        Ok(index)
    }

    /// Number of data blocks.
    pub(crate) fn len(&self) -> usize {
        self.handles.len()
    }

    /// Last key of data block `i`.
    ///
    /// # Panics
    /// If `i` is out of range (a caller bug: indexes come from this type).
    pub(crate) fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.key_ends.get(i - 1).copied().unwrap_or(0) };
        let end = *self.key_ends.get(i).expect("index position in range");
        self.keys.get(start..end).expect("key ends are increasing")
    }

    /// Handle of data block `i`, if it exists.
    pub(crate) fn handle(&self, i: usize) -> Option<BlockHandle> {
        self.handles.get(i).copied()
    }

    /// All handles in file order.
    pub(crate) fn handles(&self) -> &[BlockHandle] {
        &self.handles
    }

    /// The number of leading blocks whose last key satisfies `pred` (true for a prefix).
    pub(crate) fn partition_point(&self, pred: impl Fn(&[u8]) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = low + (high - low) / 2;
            if pred(self.key(mid)) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }
}
