//! Opens an SSTable (from bytes, or from a file through mmap: `Table::open` is in `mmap.rs`)
//! and answers point lookups. Everything the footer points to is validated at open; data
//! blocks are CRC-checked each time they are used, because they are read straight from the
//! mapping, with no cache in between.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::block::reader::{split_data_value, Block, BlockError, Shape};
use crate::entry::{Direction, Entry, Kind, SeqNo};
use crate::error::{Corruption, Error, Result};
use crate::filter::{Filter, KeyHash};
use crate::format::{checked_block, BlockHandle, BlockKind, Footer};
use crate::index::Index;
use crate::properties::Properties;
use crate::table::iter::TableIter;

/// The bytes behind a table: a memory map, a `Vec<u8>`, an `Arc<[u8]>`, …
pub type TableBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// An open, validated, immutable SSTable. Cloning is cheap (one reference count); iterators
/// hold a clone, so the bytes stay mapped until the last of them is dropped.
///
/// # Concurrency
/// `Send + Sync`; any number of threads may read one table at once without locking.
#[derive(Clone)]
pub struct Table {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    bytes: TableBytes,
    index: Index,
    properties: Properties,
    filter: std::ops::Range<usize>,
    /// One bit per data block: its CRC has been checked since the table was opened. The bytes
    /// are immutable, so a block checked once is not checked again on every read (as a block
    /// cache verifies a block once when it loads it).
    verified: Box<[AtomicU64]>,
}

/// Where a value lies: what [`Table::locate_with_hash`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The version's sequence number.
    pub seqno: SeqNo,
    /// Value or tombstone.
    pub kind: Kind,
    /// The value's bytes within [`Table::as_bytes`].
    pub value: std::ops::Range<usize>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.inner.name)
            .field("len", &self.bytes().len())
            .field("properties", &self.inner.properties)
            .finish()
    }
}

impl Table {
    /// Validates `bytes` as an SSTable named `name` (used in error messages).
    ///
    /// Checks, in this order: the footer (length, magic, CRC, version, recorded file length);
    /// that the filter, index and properties blocks lie back to back before the footer; the
    /// properties, index and filter blocks (CRC, then contents); that the data blocks the
    /// index lists tile the file from offset 0 up to the filter; and that the properties agree
    /// with the index and the filter (`docs/sstable.md`, "Checks at open").
    ///
    /// # Errors
    /// [`Error::Corrupt`], [`Error::ChecksumMismatch`] or [`Error::UnsupportedVersion`].
    pub fn from_bytes(
        name: &str,
        bytes: impl AsRef<[u8]> + Send + Sync + 'static,
    ) -> Result<Table> {
        Table::from_shared(Arc::from(name), Arc::new(bytes))
    }

    /// As [`Table::from_bytes`], for bytes already shared.
    ///
    /// # Errors
    /// As [`Table::from_bytes`].
    pub fn from_shared(name: Arc<str>, bytes: TableBytes) -> Result<Table> {
        let file = (*bytes).as_ref();
        let footer = Footer::decode(file, &name)?;
        check_meta_layout(&footer, &name)?;
        let malformed = |handle: BlockHandle, block, detail| Error::Corrupt {
            file: name.clone(),
            offset: handle.offset,
            what: Corruption::Malformed { block, detail },
        };
        let payload = checked_block(file, &name, footer.properties, BlockKind::Properties)?;
        let properties = Properties::decode(payload)
            .map_err(|detail| malformed(footer.properties, BlockKind::Properties, detail))?;
        let payload = checked_block(file, &name, footer.index, BlockKind::Index)?;
        let index = Index::decode(payload, footer.filter.offset)
            .map_err(|detail| malformed(footer.index, BlockKind::Index, detail))?;
        let payload = checked_block(file, &name, footer.filter, BlockKind::Filter)?;
        let filter = Filter::parse(payload)
            .map_err(|detail| malformed(footer.filter, BlockKind::Filter, detail))?;
        check_data_layout(&index, &footer, &name)?;
        check_properties(&properties, &index, &filter).map_err(|detail| Error::Corrupt {
            file: name.clone(),
            offset: footer.properties.offset,
            what: Corruption::Inconsistent { detail },
        })?;
        let filter_start = footer.filter.offset as usize;
        let filter = filter_start..filter_start + payload.len();
        let verified = (0..index.len().div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        Ok(Table { inner: Arc::new(Inner { name, bytes, index, properties, filter, verified }) })
    }

    /// The path or name the table was opened with.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The table's properties (counts, key and seqno ranges).
    pub fn properties(&self) -> &Properties {
        &self.inner.properties
    }

    /// The table's length in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.bytes().len() as u64
    }

    /// False only if no key with this hash is in the table (bloom filter check).
    pub fn may_contain(&self, hash: KeyHash) -> bool {
        // The filter was CRC-checked and parsed at open; the bytes are immutable.
        let payload = self.bytes().get(self.inner.filter.clone()).unwrap_or_default();
        Filter::parse(payload).map(|filter| filter.may_contain(hash)).unwrap_or(true)
    }

    /// The newest version of `key` (a value or a tombstone), or `None` if the table has none.
    ///
    /// # Errors
    /// [`Error::ChecksumMismatch`] or [`Error::Corrupt`] if the block holding the key is bad.
    pub fn get(&self, key: &[u8]) -> Result<Option<Entry>> {
        self.get_with_hash(key, KeyHash::of(key))
    }

    /// As [`Table::get`] with the key's hash computed once by the caller ([`KeyHash::of`]),
    /// so a lookup through many tables hashes the key once.
    ///
    /// # Errors
    /// As [`Table::get`].
    pub fn get_with_hash(&self, key: &[u8], hash: KeyHash) -> Result<Option<Entry>> {
        let Some(found) = self.locate_with_hash(key, hash)? else {
            return Ok(None);
        };
        let value = self.bytes().get(found.value).unwrap_or_default().to_vec();
        Ok(Some(Entry { key: key.to_vec(), seqno: found.seqno, kind: found.kind, value }))
    }

    /// As [`Table::get_with_hash`], but without copying: where the newest version of `key`
    /// lies in the table's bytes ([`Table::as_bytes`]), or `None`.
    ///
    /// # Errors
    /// As [`Table::get`].
    pub fn locate_with_hash(&self, key: &[u8], hash: KeyHash) -> Result<Option<Located>> {
        if !self.may_contain(hash) {
            return Ok(None);
        }
        let block_index = self.inner.index.partition_point(|last| last < key);
        if block_index == self.inner.index.len() {
            return Ok(None);
        }
        let (handle, block) = self.data_block(block_index)?;
        let found = block.find(key).map_err(|detail| self.malformed(handle, detail))?;
        let Some(found) = found.filter(|found| found.key == key) else {
            return Ok(None);
        };
        let bytes = block.value(found.value).map_err(|detail| self.malformed(handle, detail))?;
        let (seqno, kind, value) =
            split_data_value(bytes).map_err(|detail| self.malformed(handle, detail))?;
        let start = value.as_ptr().addr() - self.bytes().as_ptr().addr();
        Ok(Some(Located { seqno, kind, value: start..start + value.len() }))
    }

    /// The whole table's bytes (for the ranges [`Table::locate_with_hash`] returns).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// Every entry, in `direction`.
    pub fn iter(&self, direction: Direction) -> TableIter {
        self.range(Bound::Unbounded, Bound::Unbounded, direction)
    }

    /// Entries from the first key at or after `key`, forwards.
    pub fn seek(&self, key: &[u8]) -> TableIter {
        self.range(Bound::Included(key), Bound::Unbounded, Direction::Forward)
    }

    /// Entries whose keys lie between `start` and `end`, in `direction`. Every version of a key
    /// in range is yielded. Iteration is lazy: nothing is read until the first `next`.
    pub fn range(&self, start: Bound<&[u8]>, end: Bound<&[u8]>, direction: Direction) -> TableIter {
        TableIter::new(self.clone(), start.map(<[u8]>::to_vec), end.map(<[u8]>::to_vec), direction)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        (*self.inner.bytes).as_ref()
    }

    pub(crate) fn index(&self) -> &Index {
        &self.inner.index
    }

    pub(crate) fn handle(&self, block_index: usize) -> Result<BlockHandle> {
        self.inner.index.handle(block_index).ok_or_else(|| {
            let detail = "block number out of range";
            self.corrupt(0, Corruption::Malformed { block: BlockKind::Index, detail })
        })
    }

    /// Data block `block_index` and its handle, CRC-checked and parsed: O(block size), so
    /// callers do it once per visit and keep the block (or its [`Shape`], see
    /// [`Table::reopen_block`]).
    pub(crate) fn data_block(&self, block_index: usize) -> Result<(BlockHandle, Block<'_>)> {
        let handle = self.handle(block_index)?;
        let (word, bit) = (block_index / 64, 1u64 << (block_index % 64));
        let verified = self.inner.verified.get(word);
        // ORDERING: Relaxed: the bit only records that the immutable bytes were checked; it
        // guards no other memory.
        let payload = if verified.is_some_and(|w| w.load(Ordering::Relaxed) & bit != 0) {
            self.block_payload(handle)?
        } else {
            let payload = checked_block(self.bytes(), &self.inner.name, handle, BlockKind::Data)?;
            // ORDERING: Relaxed, as above.
            verified.map(|w| w.fetch_or(bit, Ordering::Relaxed));
            payload
        };
        let block = Block::parse(payload).map_err(|detail| self.malformed(handle, detail))?;
        // A data block holds at least one entry, so every block an index entry names has a
        // last key; only the index block of an empty table has no restart point.
        if block.restart_count() == 0 {
            return Err(self.malformed(handle, "data block without entries"));
        }
        Ok((handle, block))
    }

    /// A block's payload, without checking its CRC (done once, in `data_block`).
    fn block_payload(&self, handle: BlockHandle) -> Result<&[u8]> {
        let payload = usize::try_from(handle.offset)
            .ok()
            .and_then(|start| self.bytes().get(start..)?.get(..usize::try_from(handle.size).ok()?));
        payload.ok_or_else(|| self.malformed(handle, "block outside the file"))
    }

    /// The block [`Table::data_block`] returned for `handle`, in O(1), from its shape.
    pub(crate) fn reopen_block(&self, handle: BlockHandle, shape: Shape) -> Result<Block<'_>> {
        let payload = usize::try_from(handle.offset)
            .ok()
            .and_then(|start| self.bytes().get(start..)?.get(..usize::try_from(handle.size).ok()?));
        let payload = payload.ok_or_else(|| self.malformed(handle, "block outside the file"))?;
        Block::reopen(payload, shape).map_err(|detail| self.malformed(handle, detail))
    }

    /// Builds an owned entry from a decoded key and its data-block value.
    pub(crate) fn decode_entry(
        &self,
        block: &Block<'_>,
        handle: BlockHandle,
        key: Vec<u8>,
        value: std::ops::Range<usize>,
    ) -> Result<Entry> {
        let bytes = block.value(value).map_err(|detail| self.malformed(handle, detail))?;
        let (seqno, kind, value) =
            split_data_value(bytes).map_err(|detail| self.malformed(handle, detail))?;
        Ok(Entry { key, seqno, kind, value: value.to_vec() })
    }

    pub(crate) fn corrupt(&self, offset: u64, what: Corruption) -> Error {
        Error::Corrupt { file: self.inner.name.clone(), offset, what }
    }

    pub(crate) fn malformed(&self, handle: BlockHandle, detail: BlockError) -> Error {
        self.corrupt(handle.offset, Corruption::Malformed { block: BlockKind::Data, detail })
    }
}

/// Filter, index and properties blocks must follow each other and end at the footer.
fn check_meta_layout(footer: &Footer, name: &Arc<str>) -> Result<()> {
    let sequence = [
        (footer.filter, BlockKind::Filter, footer.index.offset),
        (footer.index, BlockKind::Index, footer.properties.offset),
        (footer.properties, BlockKind::Properties, footer.start()),
    ];
    for (handle, block, next) in sequence {
        if handle.end() != Some(next) {
            return Err(bad_handle(name, handle, block));
        }
    }
    Ok(())
}

/// Data blocks must start at offset 0, follow each other and end where the filter starts.
fn check_data_layout(index: &Index, footer: &Footer, name: &Arc<str>) -> Result<()> {
    let mut expected = 0u64;
    for &handle in index.handles() {
        if handle.offset != expected || handle.size == 0 {
            return Err(bad_handle(name, handle, BlockKind::Data));
        }
        expected = handle.end().ok_or_else(|| bad_handle(name, handle, BlockKind::Data))?;
    }
    if expected != footer.filter.offset {
        return Err(bad_handle(name, footer.filter, BlockKind::Filter));
    }
    Ok(())
}

/// The properties must agree with the index and the filter. Each data block holds at least
/// one entry; an enabled filter has buckets exactly when the table has keys (otherwise a lost
/// bucket array would silently turn every lookup into a miss).
fn check_properties(
    properties: &Properties,
    index: &Index,
    filter: &Filter<'_>,
) -> Result<(), &'static str> {
    if properties.data_block_count != index.len() as u64 {
        return Err("data block count");
    }
    if (properties.entry_count == 0) != (index.len() == 0)
        || properties.entry_count < properties.data_block_count
    {
        return Err("entry count");
    }
    if filter.is_enabled() && (filter.bucket_count() == 0) != (properties.entry_count == 0) {
        return Err("filter size");
    }
    if properties.tombstone_count > properties.entry_count {
        return Err("tombstone count");
    }
    if index.len() > 0 && index.key(index.len() - 1) != properties.key_max.as_slice() {
        return Err("largest key");
    }
    if properties.key_min > properties.key_max || properties.seqno_min > properties.seqno_max {
        return Err("key or seqno range");
    }
    Ok(())
}

fn bad_handle(name: &Arc<str>, handle: BlockHandle, block: BlockKind) -> Error {
    Error::Corrupt {
        file: name.clone(),
        offset: handle.offset,
        what: Corruption::BadHandle {
            block,
            handle_offset: handle.offset,
            handle_size: handle.size,
        },
    }
}
