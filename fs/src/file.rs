//! The two traits every file implementation provides.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One open file, read and written at explicit offsets.
///
/// # Concurrency
/// Every method takes `&self`; implementations are `Send + Sync`. Concurrent writes to
/// overlapping ranges are the caller's problem, as with `pwrite`.
pub trait File: Send + Sync + 'static {
    /// The file's current length in bytes.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn len(&self) -> io::Result<u64>;

    /// Whether the file holds no bytes.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Fills `buf` from `offset`, returning how many bytes were read; fewer than `buf.len()` only
    /// at the end of the file.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Writes all of `buf` at `offset`, extending the file if needed.
    ///
    /// # Errors
    /// Any I/O error; a failed write may have written any prefix of `buf`.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;

    /// Truncates or extends the file to `len` bytes.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn set_len(&self, len: u64) -> io::Result<()>;

    /// Makes every byte written so far durable (`fdatasync`).
    ///
    /// # Errors
    /// Any I/O error. After an error, nothing is promised about unsynced bytes; never retry and
    /// carry on as if the data were durable.
    fn sync_data(&self) -> io::Result<()>;

    /// Writes all of `buf` at `offset`, then makes the file's data durable.
    ///
    /// Implementations may do both in one step (io_uring links the two operations into one
    /// submission); the default calls [`File::write_at`] then [`File::sync_data`].
    ///
    /// # Errors
    /// As [`File::write_at`] and [`File::sync_data`].
    fn write_at_and_sync(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.write_at(buf, offset)?;
        self.sync_data()
    }

    /// Whether [`File::start_write_and_sync`] returns before the write and sync complete, so
    /// that the caller can do other work meanwhile (io_uring). When false, the two `start`/
    /// `finish` methods are not implemented and must not be called.
    fn pipelined(&self) -> bool {
        false
    }

    /// Starts writing `buf` at `offset` followed by a data sync, and returns without waiting;
    /// [`File::finish_write_and_sync`] waits for both and gives the buffer back. At most one may
    /// be in flight per file, and no other operation may run on the file until it is finished.
    ///
    /// # Errors
    /// An error submitting the operations (nothing is in flight then), or `Unsupported` if the
    /// file is not [`File::pipelined`].
    fn start_write_and_sync(&self, buf: Vec<u8>, offset: u64) -> io::Result<()> {
        let _ = (buf, offset);
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Waits for the write and sync started by [`File::start_write_and_sync`]; returns the
    /// buffer and the outcome (whole write and successful sync, or the error).
    fn finish_write_and_sync(&self) -> (Vec<u8>, io::Result<()>) {
        (Vec::new(), Err(io::ErrorKind::Unsupported.into()))
    }

    /// Reads exactly `buf.len()` bytes from `offset`.
    ///
    /// # Errors
    /// `UnexpectedEof` if the file ends first; any I/O error.
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read_at(buf, offset)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file ended early"));
            }
            buf = &mut buf[n..];
            offset += n as u64;
        }
        Ok(())
    }
}

/// A directory tree of [`File`]s.
///
/// # Concurrency
/// Every method takes `&self`; implementations are `Send + Sync` and cheap to clone.
pub trait Fs: Clone + Send + Sync + 'static {
    /// The file type this file system opens.
    type File: File;

    /// Creates `path` and its missing parents.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;

    /// Creates a new file for reading and writing; fails if it exists.
    ///
    /// The new directory entry is durable only after [`Fs::sync_dir`] on its parent.
    ///
    /// # Errors
    /// `AlreadyExists` if the file exists; any I/O error.
    fn create_new(&self, path: &Path) -> io::Result<Self::File>;

    /// Opens an existing file for reading and writing.
    ///
    /// # Errors
    /// `NotFound` if it does not exist; any I/O error.
    fn open(&self, path: &Path) -> io::Result<Self::File>;

    /// Opens an existing file for reading only.
    ///
    /// # Errors
    /// `NotFound` if it does not exist; any I/O error.
    fn open_read(&self, path: &Path) -> io::Result<Self::File>;

    /// Removes a file. Durable only after [`Fs::sync_dir`] on its parent.
    ///
    /// # Errors
    /// `NotFound` if it does not exist; any I/O error.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Renames `source` to `target`, replacing `target`. Durable only after [`Fs::sync_dir`].
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn rename(&self, source: &Path, target: &Path) -> io::Result<()>;

    /// The paths of the entries of directory `path`, in no particular order.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;

    /// Makes the creations, renames and removals inside directory `path` durable.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;

    /// The whole contents of an immutable file, for reading in place: a memory map where the
    /// implementation can make one, else a copy read into memory (the default).
    ///
    /// The caller promises that nothing writes to or truncates the file while the returned
    /// bytes live; a file changed under a map breaks Rust's aliasing rules, and an I/O error
    /// under a map arrives as SIGBUS, not as an error. Basalt maps only SSTables, which are
    /// complete and synced before they are named, and never rewritten.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    fn map_read(&self, path: &Path) -> io::Result<Mapped> {
        let file = self.open_read(path)?;
        let len = usize::try_from(file.len()?)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file too large to read"))?;
        let mut bytes = vec![0; len];
        file.read_exact_at(&mut bytes, 0)?;
        Ok(Arc::new(bytes))
    }
}

/// Bytes returned by [`Fs::map_read`], shared by every reader of the file.
pub type Mapped = Arc<dyn AsRef<[u8]> + Send + Sync>;
