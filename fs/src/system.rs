//! The file system Basalt uses by default: io_uring where the kernel offers it, `std` elsewhere.

use std::io;
use std::path::{Path, PathBuf};

use crate::Mapped;
use crate::{File, Fs, StdFile, StdFs};
#[cfg(target_os = "linux")]
use crate::{UringFile, UringFs};

/// Chooses io_uring when available and falls back to [`StdFs`].
///
/// Setting the environment variable `BASALT_FS=std` forces the portable backend.
#[derive(Clone, Copy, Debug)]
pub enum SystemFs {
    /// Portable `std::fs`.
    Std(StdFs),
    /// Linux io_uring.
    #[cfg(target_os = "linux")]
    Uring(UringFs),
}

/// A file opened by [`SystemFs`].
#[derive(Debug)]
pub enum SystemFile {
    /// Opened through [`StdFs`].
    Std(StdFile),
    /// Opened through [`UringFs`] (boxed: it carries its ring).
    #[cfg(target_os = "linux")]
    Uring(Box<UringFile>),
}

impl SystemFs {
    /// io_uring if the kernel offers it (and `BASALT_FS` is not `std`), else `std`.
    #[must_use]
    pub fn detect() -> Self {
        if std::env::var("BASALT_FS").is_ok_and(|v| v == "std") {
            return SystemFs::Std(StdFs);
        }
        #[cfg(target_os = "linux")]
        if let Ok(uring) = UringFs::new() {
            return SystemFs::Uring(uring);
        }
        SystemFs::Std(StdFs)
    }

    /// The backend's name, for logs and benchmark labels: `"io_uring"` or `"std"`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            SystemFs::Std(_) => "std",
            #[cfg(target_os = "linux")]
            SystemFs::Uring(_) => "io_uring",
        }
    }
}

impl Default for SystemFs {
    fn default() -> Self {
        Self::detect()
    }
}

macro_rules! dispatch {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            SystemFile::Std($inner) => $body,
            #[cfg(target_os = "linux")]
            SystemFile::Uring($inner) => $body,
        }
    };
}

macro_rules! dispatch_fs {
    ($value:expr, $inner:ident => $body:expr, $file:ident) => {
        match $value {
            SystemFs::Std($inner) => $body.map(SystemFile::Std),
            #[cfg(target_os = "linux")]
            SystemFs::Uring($inner) => $body.map(|f| SystemFile::Uring(Box::new(f))),
        }
    };
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            SystemFs::Std($inner) => $body,
            #[cfg(target_os = "linux")]
            SystemFs::Uring($inner) => $body,
        }
    };
}

impl File for SystemFile {
    fn len(&self) -> io::Result<u64> {
        dispatch!(self, f => f.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        dispatch!(self, f => f.read_at(buf, offset))
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        dispatch!(self, f => f.write_at(buf, offset))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        dispatch!(self, f => f.set_len(len))
    }

    fn sync_data(&self) -> io::Result<()> {
        dispatch!(self, f => f.sync_data())
    }

    fn write_at_and_sync(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        dispatch!(self, f => f.write_at_and_sync(buf, offset))
    }

    fn pipelined(&self) -> bool {
        dispatch!(self, f => f.pipelined())
    }

    fn start_write_and_sync(&self, buf: Vec<u8>, offset: u64) -> io::Result<()> {
        dispatch!(self, f => f.start_write_and_sync(buf, offset))
    }

    fn finish_write_and_sync(&self) -> (Vec<u8>, io::Result<()>) {
        dispatch!(self, f => f.finish_write_and_sync())
    }
}

impl Fs for SystemFs {
    type File = SystemFile;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        dispatch_fs!(self, fs => fs.create_dir_all(path))
    }

    fn create_new(&self, path: &Path) -> io::Result<SystemFile> {
        dispatch_fs!(self, fs => fs.create_new(path), file)
    }

    fn open(&self, path: &Path) -> io::Result<SystemFile> {
        dispatch_fs!(self, fs => fs.open(path), file)
    }

    fn open_read(&self, path: &Path) -> io::Result<SystemFile> {
        dispatch_fs!(self, fs => fs.open_read(path), file)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        dispatch_fs!(self, fs => fs.remove_file(path))
    }

    fn rename(&self, source: &Path, target: &Path) -> io::Result<()> {
        dispatch_fs!(self, fs => fs.rename(source, target))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        dispatch_fs!(self, fs => fs.read_dir(path))
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        dispatch_fs!(self, fs => fs.sync_dir(path))
    }

    fn map_read(&self, path: &Path) -> io::Result<Mapped> {
        crate::map::map_file(path)
    }
}
