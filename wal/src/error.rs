//! The log's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::Lsn;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system failed an operation.
    #[error("{op} of {} failed: {source}", path.display())]
    Io {
        /// What the log was doing.
        op: IoOp,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Bytes on disk are not a valid log: found at open or while reading.
    #[error("write-ahead log corrupt in {} at offset {offset}: {what}", segment.display())]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the first bad byte, or of the record that is bad.
        offset: u64,
        /// What is wrong.
        what: Corruption,
    },
    /// An earlier write or sync failed, so the log accepts no more appends. Reopen to recover.
    #[error(
        "the write-ahead log is poisoned by an earlier failure ({cause}); reopen it to recover"
    )]
    Poisoned {
        /// The failure that poisoned the log.
        cause: Arc<Error>,
    },
    /// A record larger than the log accepts; nothing was written.
    #[error("a record of {len} bytes exceeds the limit of {max} bytes")]
    RecordTooLarge {
        /// The payload's length.
        len: usize,
        /// [`crate::RECORD_PAYLOAD_BYTES_MAX`].
        max: usize,
    },
    /// A batch of no records: there is no LSN to answer with.
    #[error("a batch must hold at least one record")]
    EmptyBatch,
    /// The requested LSN was deleted from the log.
    #[error("LSN {requested} is no longer in the log; the oldest record kept is {oldest}")]
    LsnDeleted {
        /// The LSN asked for.
        requested: Lsn,
        /// The oldest LSN still in the log.
        oldest: Lsn,
    },
}

/// The operation behind an [`Error::Io`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoOp {
    /// Creating a directory.
    CreateDir,
    /// Listing a directory.
    ReadDir,
    /// Creating a file.
    Create,
    /// Opening a file.
    Open,
    /// Reading a file.
    Read,
    /// Writing a file.
    Write,
    /// Truncating a file.
    Truncate,
    /// `fdatasync` of a file.
    Sync,
    /// `fsync` of a directory.
    SyncDir,
    /// Removing a file.
    Remove,
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoOp::CreateDir => "creating directory",
            IoOp::ReadDir => "listing directory",
            IoOp::Create => "creating",
            IoOp::Open => "opening",
            IoOp::Read => "reading",
            IoOp::Write => "writing",
            IoOp::Truncate => "truncating",
            IoOp::Sync => "syncing",
            IoOp::SyncDir => "syncing directory",
            IoOp::Remove => "removing",
        })
    }
}

/// What is wrong with corrupt log bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The segment header is shorter than its fixed size.
    #[error("segment header truncated")]
    HeaderTruncated,
    /// The segment header does not start with the log's magic bytes.
    #[error("bad segment magic")]
    BadMagic,
    /// The segment was written by a format version this build cannot read.
    #[error("unsupported segment format version {0}")]
    UnsupportedVersion(u32),
    /// The segment header's checksum does not match.
    #[error("segment header checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    SegmentHeaderChecksum {
        /// The CRC in the header.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// The segment header's first LSN is 0 or beyond any real log.
    #[error("segment header has impossible first LSN {0}")]
    BadFirstLsn(u64),
    /// The segment's first LSN differs from what the log recorded when it was opened.
    #[error("segment starts at LSN {found}, expected {expected}")]
    FirstLsnMismatch {
        /// What the log recorded.
        expected: u64,
        /// What the header says.
        found: u64,
    },
    /// The only segment's header is torn and it is not the log's first segment, so nothing
    /// says where the LSNs stood.
    #[error("the only segment's header is torn, and it is not the log's first segment")]
    LostPosition,
    /// The header names a different segment than the file name.
    #[error("segment header names segment {found}, file name says {expected}")]
    SegmentIdMismatch {
        /// From the file name.
        expected: u64,
        /// From the header.
        found: u64,
    },
    /// Fewer bytes remain than the record's header or payload needs.
    #[error("record truncated")]
    RecordTruncated,
    /// The record header's checksum does not match.
    #[error("record header checksum mismatch")]
    RecordHeaderChecksum,
    /// The payload's checksum does not match.
    #[error("record payload checksum mismatch")]
    PayloadChecksum,
    /// The record claims a payload larger than any record the log writes.
    #[error("record length {0} exceeds the record size limit")]
    RecordTooLarge(u64),
    /// The record kind byte is not one this build knows.
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    /// The record's LSN breaks the sequence.
    #[error("expected LSN {expected}, found {found}")]
    UnexpectedLsn {
        /// The LSN that should come next.
        expected: u64,
        /// The LSN in the record.
        found: u64,
    },
    /// The record's group LSN is outside the segment or after the record itself.
    #[error("record {lsn} claims group start {group_lsn}")]
    BadGroupLsn {
        /// The record's LSN.
        lsn: u64,
        /// The group LSN it carries.
        group_lsn: u64,
    },
    /// Segments do not follow each other without a gap.
    #[error("segments are not contiguous: expected first LSN {expected}, found {found}")]
    SegmentGap {
        /// The LSN after the previous segment's last record.
        expected: u64,
        /// The first LSN of this segment.
        found: u64,
    },
    /// The file was shorter, when read, than the log had recorded writing.
    #[error("segment shorter than the log wrote")]
    Shrunk,
}
