//! The portable implementation over `std::fs`.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use crate::Mapped;
use crate::{File, Fs};

/// Files through `std::fs`, with positional I/O (`pread`/`pwrite` on Unix).
#[derive(Clone, Copy, Debug, Default)]
pub struct StdFs;

/// A file opened by [`StdFs`].
#[derive(Debug)]
pub struct StdFile {
    file: std::fs::File,
}

impl StdFile {
    /// Wraps an open file.
    #[must_use]
    pub fn new(file: std::fs::File) -> Self {
        StdFile { file }
    }

    /// The underlying file.
    #[must_use]
    pub fn inner(&self) -> &std::fs::File {
        &self.file
    }

    /// Writes all of `buf` at `offset` of `file` with `pwrite`.
    ///
    /// # Errors
    /// Any I/O error from the operating system.
    pub fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> io::Result<()> {
        positional::write_all_at(file, buf, offset)
    }

    /// Unwraps the underlying file.
    #[must_use]
    pub fn into_inner(self) -> std::fs::File {
        self.file
    }
}

impl File for StdFile {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match positional::read_at(&self.file, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        positional::write_all_at(&self.file, buf, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

impl Fs for StdFs {
    type File = StdFile;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn create_new(&self, path: &Path) -> io::Result<StdFile> {
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
        Ok(StdFile::new(file))
    }

    fn open(&self, path: &Path) -> io::Result<StdFile> {
        Ok(StdFile::new(OpenOptions::new().read(true).write(true).open(path)?))
    }

    fn open_read(&self, path: &Path) -> io::Result<StdFile> {
        Ok(StdFile::new(OpenOptions::new().read(true).open(path)?))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn rename(&self, source: &Path, target: &Path) -> io::Result<()> {
        std::fs::rename(source, target)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        std::fs::read_dir(path)?.map(|entry| entry.map(|e| e.path())).collect()
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        sync_dir(path)
    }

    fn map_read(&self, path: &Path) -> io::Result<Mapped> {
        crate::map::map_file(path)
    }
}

/// `fsync` on a directory, which makes its entries durable on Unix.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(path)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Windows offers no directory fsync; NTFS journals metadata itself.
        let _ = path;
        Ok(())
    }
}

#[cfg(unix)]
mod positional {
    use std::io;
    use std::os::unix::fs::FileExt;

    pub fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        file.read_at(buf, offset)
    }

    pub fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> io::Result<()> {
        file.write_all_at(buf, offset)
    }
}

#[cfg(windows)]
mod positional {
    use std::io;
    use std::os::windows::fs::FileExt;

    pub fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        file.seek_read(buf, offset)
    }

    pub fn write_all_at(file: &std::fs::File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match file.seek_write(buf, offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
