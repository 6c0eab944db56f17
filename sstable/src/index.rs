//! The index block: for every data block, its last key and its handle. Stored with the block
//! encoding (`docs/sstable.md`, "Index block"); decoded into memory once when a table opens, so a
//! lookup is one binary search over contiguous memory.
#![deny(clippy::indexing_slicing)]

use crate::block::builder::BlockBuilder;
use crate::block::reader::{Block, BlockError, Cursor};
use crate::codec::{put_varint, Decoder};
use crate::format::{BlockHandle, TRAILER_LEN};

/// Restart interval of the index block; it is decoded sequentially, so density matters more.
const INDEX_RESTART_INTERVAL: usize = 16;

/// The most an index entry can add to the index payload besides its key: three entry-header
/// varints and two handle varints (10 bytes each at most) and one restart slot.
const ENTRY_OVERHEAD_BYTES_MAX: usize = 5 * 10 + 4;

/// Collects one entry per data block.
#[derive(Debug)]
pub(crate) struct IndexBuilder {
    block: BlockBuilder,
    scratch: Vec<u8>,
    size_bytes_max: usize,
}

impl IndexBuilder {
    /// A builder whose payload must stay at most `size_bytes_max` bytes (see
    /// [`IndexBuilder::size_with`]).
    pub(crate) fn new(size_bytes_max: usize) -> Self {
        IndexBuilder {
            block: BlockBuilder::new(INDEX_RESTART_INTERVAL),
            scratch: Vec::new(),
            size_bytes_max,
        }
    }

    /// The payload size, in the worst case, after adding an entry whose key is `key_len`
    /// bytes, if that stays within the limit. The writer asks before accepting each entry, so
    /// whichever key ends up last in a data block has been cleared, and the index never
    /// outgrows the `u32` offsets inside it.
    pub(crate) fn size_with(&self, key_len: usize) -> Result<usize, usize> {
        let size = self.block.len_estimate() + ENTRY_OVERHEAD_BYTES_MAX + key_len;
        if size <= self.size_bytes_max {
            Ok(size)
        } else {
            Err(size)
        }
    }

    /// The largest payload this builder accepts.
    pub(crate) fn size_bytes_max(&self) -> usize {
        self.size_bytes_max
    }

    /// Records a data block whose last key is `last_key`.
    ///
    /// # Panics
    /// If the entry does not fit ([`IndexBuilder::size_with`] was not asked first).
    pub(crate) fn add(&mut self, last_key: &[u8], handle: BlockHandle) {
        assert!(self.size_with(last_key.len()).is_ok(), "index entry was checked to fit");
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
    /// Decodes an index block payload, for a table whose data blocks (trailers included) take
    /// the first `data_len` bytes of the file. Checks that last keys do not decrease (equal
    /// last keys are legal: versions of one key may span blocks).
    ///
    /// Memory stays proportional to the file: entries are decoded one at a time, and each
    /// key must be no longer than its data block (the block holds that key, built from its own
    /// bytes) while the blocks' sizes may not add up past `data_len`.
    pub(crate) fn decode(payload: &[u8], data_len: u64) -> Result<Self, BlockError> {
        let block = Block::parse(payload)?;
        let mut index = Index::default();
        let mut cursor = Cursor::at_run(&block, 0)?;
        let mut data_left = data_len;
        while cursor.advance(&block)? {
            let key = cursor.key();
            if index.handles.last().is_some() && key < index.key(index.len() - 1) {
                return Err("index keys out of order");
            }
            let mut value = Decoder::at(block.value(cursor.value())?, 0);
            let offset = value.varint().ok_or("bad index handle")?;
            let size = value.varint().ok_or("bad index handle")?;
            if !value.is_empty() {
                return Err("trailing bytes in index entry");
            }
            let block_len = size.checked_add(TRAILER_LEN as u64).ok_or("bad index handle")?;
            data_left = data_left.checked_sub(block_len).ok_or("data blocks overrun the file")?;
            if key.len() as u64 > size {
                return Err("index key longer than its data block");
            }
            index.keys.extend_from_slice(key);
            index.key_ends.push(index.keys.len());
            index.handles.push(BlockHandle { offset, size });
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
