//! `basalt-sstable`: Basalt's immutable sorted tables (SSTables).
//!
//! A [`TableWriter`] turns entries — key, [`SeqNo`], [`Kind`] (value or tombstone), value — given
//! in table order (key ascending, seqno descending) into one SSTable written to any
//! `io::Write`. A [`Table`] reads one back from a memory-mapped file or from bytes, and answers
//! point lookups (bloom filter, index, one block), seeks and bounded range scans in either
//! direction. A [`MergeIter`] merges tables and in-memory runs into one stream with one version
//! per key. The crate knows nothing of DynamoDB, the WAL or the file layer.
//!
//! # Guarantees
//! - Every block carries a CRC32; the filter, index and properties blocks are checked at open,
//!   each data block every time it is read. The footer's magic, version, CRC and recorded file
//!   length are checked at open, and the blocks must tile the file exactly.
//! - Bad bytes give [`Error::Corrupt`] or [`Error::ChecksumMismatch`] naming the file and the
//!   offset — never a panic and never wrong data (short of a CRC collision). Iterators yield the
//!   error and stop, and they check that entries come out strictly ordered.
//! - Memory and time stay proportional to the bytes read, whatever they say: opening holds the
//!   index (its keys no larger than the data blocks); a lookup decodes one block; an iterator holds
//!   one parsed block, plus one restart run of at most [`RESTART_INTERVAL_MAX`] entries when
//!   walking backwards, and visits each block's restart array once.
//! - [`Table::open`] is `unsafe`: the file must not change while it is mapped. Everything
//!   else is safe code.
//! - The format, byte by byte, is in `docs/sstable.md`; [`FORMAT_VERSION`] is in the footer at
//!   a fixed distance from the end so later versions can be read side by side. The key hash
//!   ([`KeyHash`], xxh3 with [`KEY_HASH_SEED`]) and CRC32 are part of the format and pinned by
//!   golden-value tests.
//!
//! # Example
//! ```
//! use basalt_sstable::{Direction, Entry, Table, TableWriter, WriterOptions};
//!
//! let mut writer = TableWriter::new(Vec::new(), WriterOptions::default())?;
//! writer.add_entry(&Entry::value("apple", 2, "red"))?;
//! writer.add_entry(&Entry::tombstone("banana", 5))?;
//! let bytes = writer.finish()?.output;
//! let table = Table::from_bytes("example", bytes)?;
//! assert_eq!(table.get(b"apple")?.map(|entry| entry.value), Some(b"red".to_vec()));
//! let keys: Vec<Vec<u8>> = table
//!     .iter(Direction::Backward)
//!     .map(|entry| entry.map(|entry| entry.key))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(keys, [b"banana".to_vec(), b"apple".to_vec()]);
//! # Ok::<(), basalt_sstable::Error>(())
//! ```
//!
//! # Modules
//! - `codec`: varints and fixed-width integers.
//! - `format`: magic, version, block trailer and handles, footer, size limits.
//! - `block::{builder, reader}`: prefix-compressed blocks with restart points.
//! - `index`: the index block (last key and handle per data block).
//! - `filter`: the blocked bloom filter and [`KeyHash`].
//! - `properties`: counts and key/seqno ranges.
//! - `table::{writer, reader, iter}`: whole tables.
//! - `mmap`: [`Table::open`], the only `unsafe` (see `docs/unsafe.md`).
//! - `merge`: the merging iterator.
//! - `fuzz` (feature `fuzzing`): the fuzz targets' logic, also run as seeded tests.

// Decoding untrusted bytes never panics: no slice indexing anywhere in the crate, `get` and `?`.
#![deny(clippy::indexing_slicing)]

mod block;
mod codec;
mod entry;
mod error;
mod filter;
mod format;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
mod index;
mod merge;
mod mmap;
mod properties;
mod table;

pub use entry::{cmp_versions, Direction, Entry, Kind, SeqNo};
pub use error::{Corruption, Error, IoOp, Result};
pub use filter::{KeyHash, KEY_HASH_SEED};
pub use format::{
    BlockKind, BLOCK_SIZE_MAX, BLOOM_BITS_PER_KEY_MAX, FORMAT_VERSION, KEY_LEN_MAX, MAGIC,
    RESTART_INTERVAL_MAX, VALUE_LEN_MAX,
};
pub use merge::{MergeIter, Source, Tombstones};
pub use properties::Properties;
pub use table::iter::TableIter;
pub use table::reader::{Located, Table, TableBytes};
pub use table::writer::{Finished, TableWriter, WriterOptions};
