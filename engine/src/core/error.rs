//! The storage core's error type.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// What went wrong in the storage core.
///
/// Client mistakes ([`Error::EmptyKey`], [`Error::KeyTooLarge`], [`Error::EmptyBatch`],
/// [`Error::BatchTooLarge`], [`Error::InvalidArgument`]) change nothing. I/O failures on the write path poison the store
/// ([`Error::Poisoned`]) until it is reopened; damaged files fail `open` with a location.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Keys must not be empty.
    #[error("key is empty")]
    EmptyKey,
    /// A key longer than [`crate::core::KEY_BYTES_MAX`].
    #[error("key of {len} bytes exceeds the limit of {max} bytes")]
    KeyTooLarge {
        /// The key's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A batch with no operations.
    #[error("batch is empty")]
    EmptyBatch,
    /// A batch whose log record would exceed the log's record limit.
    #[error("batch of {bytes} bytes exceeds the limit of {max} bytes")]
    BatchTooLarge {
        /// The encoded size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A call broke its contract (a programming error of the caller, such as a
    /// [`crate::core::Core::write_with`] batch that writes a shard its reads did not lock);
    /// nothing was changed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An [`crate::core::Options`] field is out of range.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The field.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The write-ahead log failed (I/O, corruption found at open, poisoned).
    #[error("write-ahead log: {0}")]
    Wal(#[from] basalt_wal::Error),
    /// An SSTable failed to open or read (I/O, checksum, corruption).
    #[error("SSTable: {0}")]
    Table(#[from] basalt_sstable::Error),
    /// An I/O operation on one of the store's own files failed.
    #[error("{op} {path}: {source}", path = path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file's bytes are not what the store wrote.
    #[error("{path} is corrupt at offset {offset}: {what}", path = path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The store was opened with settings its files contradict.
    #[error("incompatible store: {0}")]
    Incompatible(String),
    /// An earlier write-path or background failure; reopen the store to recover.
    #[error("store is poisoned by an earlier failure: {cause}")]
    Poisoned {
        /// The first failure.
        cause: Arc<Error>,
    },
    /// The store was closed.
    #[error("store is closed")]
    Closed,
    /// A thread of the store panicked (a broken invariant: a bug); the store is poisoned.
    #[error("the store's {thread} thread panicked")]
    Panicked {
        /// Which thread.
        thread: &'static str,
    },
}

/// The storage core's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// An [`Error::Io`] for `op` on `path`.
pub(crate) fn io_error(
    op: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { op, path, source }
}
