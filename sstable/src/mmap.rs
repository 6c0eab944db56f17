//! The crate's only `unsafe`: [`Table::open`], which memory-maps an SSTable file. Listed in
//! `docs/unsafe.md`.
#![expect(unsafe_code, reason = "memory-mapping a file is unsafe; see Table::open's # Safety")]
#![deny(unsafe_op_in_unsafe_fn)]

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use crate::error::{Corruption, Error, IoOp, Result};
use crate::format::FOOTER_LEN;
use crate::table::reader::Table;

impl Table {
    /// Maps the file at `path` read-only and validates it (see [`Table::from_bytes`]). The
    /// returned table, its clones and its iterators read straight from the mapping.
    ///
    /// # Safety
    /// The file must not be written to, truncated or otherwise modified in place — by this
    /// process or any other — while the returned `Table`, any clone of it or any iterator over
    /// it is alive. The mapping hands out `&[u8]` borrows of the file's pages: a write would
    /// change bytes behind a shared reference (undefined behaviour), and truncation makes
    /// reads fault with SIGBUS. Deleting the file or renaming another file over its path is
    /// fine: the mapping keeps the original inode. Basalt meets this by writing SSTables under
    /// a temporary name, syncing and renaming them, and never opening a published one for
    /// writing. Bad *contents* are not a safety concern: every byte is checked before use.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened or mapped, else as [`Table::from_bytes`].
    ///
    /// # Examples
    /// ```
    /// # use basalt_sstable::{Entry, Table, TableWriter, WriterOptions};
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("000001.sst");
    /// let mut writer = TableWriter::new(std::fs::File::create(&path)?, WriterOptions::default())?;
    /// writer.add_entry(&Entry::value("k", 1, "v"))?;
    /// writer.finish()?.output.sync_all()?;
    /// // SAFETY: the file is complete and nothing writes to or truncates it from here on.
    /// let table = unsafe { Table::open(&path)? };
    /// assert_eq!(table.get(b"k")?.map(|entry| entry.value), Some(b"v".to_vec()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub unsafe fn open(path: &Path) -> Result<Table> {
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
        // SAFETY: `Mmap::map` is unsafe because the mapped bytes change if the file is written
        // or truncated while mapped, which would break the aliasing rules for the `&[u8]` we
        // hand out. The caller promises that this file is not modified while the mapping lives
        // (this function's `# Safety`); the mapping lives in the returned `Table`, its clones and
        // iterators, and is dropped with the last of them. What the promise cannot cover is an
        // I/O error under the mapping, which also delivers SIGBUS (ENGINE-NOTES trap 6).
        let map =
            unsafe { Mmap::map(&file) }.map_err(|source| Error::Io { op: IoOp::Map, source })?;
        Table::from_shared(name, Arc::new(map))
    }
}
