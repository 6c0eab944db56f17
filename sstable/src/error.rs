//! The crate's one error type.

use std::io;
use std::sync::Arc;

use crate::format::BlockKind;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong writing or reading an SSTable.
///
/// Reader errors name the file (the path, or the name given to [`crate::Table::from_bytes`]) and
/// the absolute byte offset of the structure that failed, so an operator can find it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes on disk do not form a valid SSTable.
    #[error("{file}: corrupt SSTable at offset {offset}: {what}")]
    Corrupt {
        /// The SSTable's path or name.
        file: Arc<str>,
        /// Absolute offset of the structure that failed to decode.
        offset: u64,
        /// What was wrong.
        what: Corruption,
    },
    /// A block's CRC32 does not match its bytes.
    #[error(
        "{file}: checksum mismatch in {block} block at offset {offset}: \
         expected {expected:#010x}, actual {actual:#010x}"
    )]
    ChecksumMismatch {
        /// The SSTable's path or name.
        file: Arc<str>,
        /// Absolute offset of the block (or footer).
        offset: u64,
        /// Which kind of block failed.
        block: BlockKind,
        /// The CRC stored in the file.
        expected: u32,
        /// The CRC computed over the bytes read.
        actual: u32,
    },
    /// The footer names a format version this build cannot read.
    #[error("{file}: unsupported SSTable format version {version}")]
    UnsupportedVersion {
        /// The SSTable's path or name.
        file: Arc<str>,
        /// The version found in the footer.
        version: u32,
    },
    /// The writer was given an entry that does not sort after the previous one.
    #[error(
        "entry out of order: key {key:?} seqno {seqno} after key {prev_key:?} seqno {prev_seqno}"
    )]
    OutOfOrder {
        /// Key of the rejected entry.
        key: Vec<u8>,
        /// Sequence number of the rejected entry.
        seqno: u64,
        /// Key of the previous entry.
        prev_key: Vec<u8>,
        /// Sequence number of the previous entry.
        prev_seqno: u64,
    },
    /// The writer was given a key or value beyond the format's limits.
    #[error("entry too large: key {key_len} bytes (max {key_max}), value {value_len} bytes (max {value_max})")]
    EntryTooLarge {
        /// Length of the rejected key.
        key_len: usize,
        /// Length of the rejected value.
        value_len: usize,
        /// [`crate::KEY_LEN_MAX`].
        key_max: usize,
        /// [`crate::VALUE_LEN_MAX`].
        value_max: usize,
    },
    /// A [`crate::WriterOptions`] field is outside the range the format allows; see
    /// [`crate::WriterOptions::validate`].
    #[error("writer option {option} = {value} is outside {min}..={max}")]
    InvalidOption {
        /// The field's name.
        option: &'static str,
        /// The value given.
        value: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// Accepting the entry could push the index block past the largest size the format can
    /// address. The entry is rejected and the writer stays usable: finish this table and write
    /// the rest into another.
    #[error("index block would reach {index_size_bytes} bytes (max {index_size_bytes_max})")]
    IndexTooLarge {
        /// The index size the entry could lead to, in the worst case.
        index_size_bytes: u64,
        /// The largest index block payload.
        index_size_bytes_max: u64,
    },
    /// An earlier write failed; the writer's output is incomplete and must be discarded.
    #[error("SSTable writer is poisoned by an earlier I/O error")]
    Poisoned,
    /// An operating-system I/O call failed.
    #[error("I/O error during {op}: {source}")]
    Io {
        /// What the crate was doing.
        op: IoOp,
        /// The underlying error.
        source: io::Error,
    },
}

/// What kind of I/O failed, for [`Error::Io`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoOp {
    /// Writing table bytes to the output.
    Write,
    /// Flushing the output at the end of a table.
    Flush,
    /// Opening the SSTable file.
    Open,
    /// Reading the file's metadata (its length).
    Metadata,
    /// Memory-mapping the file.
    Map,
}

impl std::fmt::Display for IoOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            IoOp::Write => "write",
            IoOp::Flush => "flush",
            IoOp::Open => "open",
            IoOp::Metadata => "metadata",
            IoOp::Map => "mmap",
        };
        f.write_str(name)
    }
}

/// The specific defect behind [`Error::Corrupt`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The file is shorter than a footer.
    #[error("file of {len} bytes is too short to be an SSTable")]
    TooShort {
        /// The file's length.
        len: u64,
    },
    /// The footer does not end in the SSTable magic number.
    #[error("bad magic number {found:#018x}")]
    BadMagic {
        /// The eight bytes found where the magic belongs.
        found: u64,
    },
    /// The footer records a different file length than the file has.
    #[error("footer records file length {recorded}, file has {actual}")]
    LengthMismatch {
        /// Length recorded in the footer.
        recorded: u64,
        /// Actual length.
        actual: u64,
    },
    /// Blocks do not tile the file as the format requires.
    #[error("{block} block handle out of place (offset {handle_offset}, size {handle_size})")]
    BadHandle {
        /// Which block the handle points to.
        block: BlockKind,
        /// The handle's offset.
        handle_offset: u64,
        /// The handle's size.
        handle_size: u64,
    },
    /// A block's trailer names a different block kind than expected.
    #[error("expected a {expected} block, trailer says kind {found}")]
    WrongBlockKind {
        /// The kind the reader expected.
        expected: BlockKind,
        /// The kind byte found.
        found: u8,
    },
    /// A block's contents do not decode.
    #[error("malformed {block} block: {detail}")]
    Malformed {
        /// Which kind of block.
        block: BlockKind,
        /// What failed to decode.
        detail: &'static str,
    },
    /// Entries are not in (key ascending, seqno descending) order.
    #[error("entries out of order")]
    OutOfOrder,
    /// The properties block disagrees with the rest of the file.
    #[error("properties disagree with the table: {detail}")]
    Inconsistent {
        /// Which property disagrees.
        detail: &'static str,
    },
}
