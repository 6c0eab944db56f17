//! Opens an SSTable (from a file through mmap, or from bytes) and answers point lookups.
//! Everything the footer points to is validated at open; data blocks are CRC-checked each time
//! they are used, because they are read straight from the mapping, with no cache in between.

use std::fs::File;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use crate::block::reader::{split_data_value, Block, BlockError};
use crate::entry::{Direction, Entry};
use crate::error::{Corruption, Error, IoOp, Result};
use crate::filter::{Filter, KeyHash};
use crate::format::{checked_block, BlockHandle, BlockKind, Footer, FOOTER_LEN};
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
    /// Maps the file at `path` and validates it (see [`Table::from_bytes`]).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened or mapped, else as [`Table::from_bytes`].
    pub fn open(path: &Path) -> Result<Table> {
        let name: Arc<str> = Arc::from(path.display().to_string());
        let file = File::open(path).map_err(|source| Error::Io { op: IoOp::Open, source })?;
        let len = file.metadata().map_err(|source| Error::Io { op: IoOp::Metadata, source })?.len();
        if len < FOOTER_LEN as u64 {
            // Mapping an empty file fails with EINVAL; report what is actually wrong.
            return Err(Error::Corrupt {
                file: name,
                offset: 0,
                what: Corruption::TooShort { len },
            });
        }
        let map = crate::mmap::map_table_file(&file)
            .map_err(|source| Error::Io { op: IoOp::Map, source })?;
        Table::from_shared(name, Arc::new(map))
    }

    /// Validates `bytes` as an SSTable named `name` (used in error messages).
    ///
    /// Checks the footer (magic, version, CRC, file length), that the blocks tile the file
    /// exactly, the CRCs of the filter, index and properties blocks, and that they agree.
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
        let index = Index::decode(payload)
            .map_err(|detail| malformed(footer.index, BlockKind::Index, detail))?;
        check_data_layout(&index, &footer, &name)?;
        check_properties(&properties, &index).map_err(|detail| Error::Corrupt {
            file: name.clone(),
            offset: footer.properties.offset,
            what: Corruption::Inconsistent { detail },
        })?;
        let payload = checked_block(file, &name, footer.filter, BlockKind::Filter)?;
        Filter::parse(payload)
            .map_err(|detail| malformed(footer.filter, BlockKind::Filter, detail))?;
        let filter_start = footer.filter.offset as usize;
        let filter = filter_start..filter_start + payload.len();
        Ok(Table { inner: Arc::new(Inner { name, bytes, index, properties, filter }) })
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
        if !self.may_contain(hash) {
            return Ok(None);
        }
        let block_index = self.inner.index.partition_point(|last| last < key);
        if block_index == self.inner.index.len() {
            return Ok(None);
        }
        let block = self.data_block(block_index, true)?;
        let handle = self.handle(block_index)?;
        let found = block.find(key).map_err(|detail| self.malformed(handle, detail))?;
        match found {
            Some(raw) if raw.key == key => {
                let entry = self.decode_entry(&block, handle, raw.key, raw.value)?;
                Ok(Some(entry))
            }
            _ => Ok(None),
        }
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

    /// Data block `block_index`, CRC-checked when `verify` (callers verify on first use).
    pub(crate) fn data_block(&self, block_index: usize, verify: bool) -> Result<Block<'_>> {
        let handle = self.handle(block_index)?;
        let payload = if verify {
            checked_block(self.bytes(), &self.inner.name, handle, BlockKind::Data)?
        } else {
            let start = handle.offset as usize;
            self.bytes().get(start..start + handle.size as usize).unwrap_or_default()
        };
        Block::parse(payload).map_err(|detail| self.malformed(handle, detail))
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

fn check_properties(properties: &Properties, index: &Index) -> Result<(), &'static str> {
    if properties.data_block_count != index.len() as u64 {
        return Err("data block count");
    }
    if (properties.entry_count == 0) != (index.len() == 0) {
        return Err("entry count");
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
