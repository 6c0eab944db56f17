//! Writing a shard's SSTable files and opening them again.
//!
//! A new SSTable is written to `tables/<id>.sst.tmp`, synced, renamed to `tables/<id>.sst`, and
//! the directory synced, before any manifest names it (ENGINE-NOTES trap 7): a crash leaves at
//! worst an unnamed file, which `open` deletes. Named files are never written again, which is
//! what makes reading them through a memory map sound.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_fs::{File, Fs};
use basalt_sstable::{Entry, Table, TableWriter, WriterOptions};

use crate::core::error::{io_error, Error, Result};
use crate::core::manifest::TableMeta;
use crate::core::version::TableFile;

/// The directory of SSTables inside a store directory.
pub(crate) const TABLES_DIR: &str = "tables";

/// `tables/<id>.sst`, 20 decimal digits so that names sort by id.
pub(crate) fn path(dir: &Path, id: u64) -> PathBuf {
    dir.join(TABLES_DIR).join(format!("{id:020}.sst"))
}

/// The id of a file named by [`path`]; `None` for any other name.
pub(crate) fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".sst")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())?
}

/// An `io::Write` over a [`File`], buffered, counting bytes.
struct FileWriter<'a, W: File> {
    file: &'a W,
    offset: u64,
    buffer: Vec<u8>,
}

const WRITE_BUFFER_BYTES: usize = 1 << 20;

impl<W: File> Write for FileWriter<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= WRITE_BUFFER_BYTES {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.file.write_at(&self.buffer, self.offset)?;
            self.offset += self.buffer.len() as u64;
            self.buffer.clear();
        }
        Ok(())
    }
}

/// Writes SSTables from sorted entries, starting a new one past `target_bytes`.
pub(crate) struct TableSink<'a, F: Fs> {
    pub(crate) fs: &'a F,
    pub(crate) dir: &'a Path,
    /// Allocates table ids (durably recorded by the manifest that names the tables).
    pub(crate) next_id: &'a mut u64,
    pub(crate) target_bytes: u64,
}

impl<F: Fs> TableSink<'_, F> {
    /// Writes `entries` (sorted, one version per key) into tables of about `target_bytes`
    /// each; returns them in key order. Nothing is written for no entries.
    ///
    /// # Errors
    /// I/O and SSTable errors; files already finished stay on disk, unnamed, until the next
    /// `open` deletes them.
    pub(crate) fn write_all(
        &mut self,
        entries: impl Iterator<Item = basalt_sstable::Result<Entry>>,
    ) -> Result<Vec<(TableMeta, TableFile)>> {
        let mut outputs = Vec::new();
        let mut entries = entries.peekable();
        while entries.peek().is_some() {
            outputs.push(self.write_one(&mut entries)?);
        }
        Ok(outputs)
    }

    fn write_one(
        &mut self,
        entries: &mut std::iter::Peekable<impl Iterator<Item = basalt_sstable::Result<Entry>>>,
    ) -> Result<(TableMeta, TableFile)> {
        let id = *self.next_id;
        *self.next_id += 1;
        let target = path(self.dir, id);
        let temp = target.with_extension("sst.tmp");
        let file = self.fs.create_new(&temp).map_err(io_error("create", &temp))?;
        let output =
            FileWriter { file: &file, offset: 0, buffer: Vec::with_capacity(WRITE_BUFFER_BYTES) };
        let mut writer = TableWriter::new(output, WriterOptions::default())?;
        let mut approx_bytes = 0u64;
        // At least one entry per table, whatever the target.
        while approx_bytes == 0 || approx_bytes < self.target_bytes {
            let Some(entry) = entries.next() else { break };
            let entry = entry?;
            approx_bytes += (entry.key.len() + entry.value.len() + 16) as u64;
            writer.add_entry(&entry)?;
        }
        let basalt_sstable::Finished { mut output, file_len_bytes, .. } = writer.finish()?;
        output.flush().map_err(io_error("write", &temp))?;
        drop(output);
        file.sync_data().map_err(io_error("sync", &temp))?;
        drop(file);
        self.fs.rename(&temp, &target).map_err(io_error("rename", &target))?;
        let tables = self.dir.join(TABLES_DIR);
        self.fs.sync_dir(&tables).map_err(io_error("sync directory", &tables))?;
        let table = open(self.fs, self.dir, TableMeta { id, len_bytes: file_len_bytes })?;
        Ok((TableMeta { id, len_bytes: file_len_bytes }, table))
    }
}

/// Opens the SSTable `meta` names and checks its length against the manifest's.
///
/// # Errors
/// I/O errors; [`Error::Corrupt`] on a length mismatch; SSTable validation errors.
pub(crate) fn open<F: Fs>(fs: &F, dir: &Path, meta: TableMeta) -> Result<TableFile> {
    let path = path(dir, meta.id);
    let bytes = fs.map_read(&path).map_err(io_error("map", &path))?;
    let len = (*bytes).as_ref().len() as u64;
    if len != meta.len_bytes {
        return Err(Error::Corrupt {
            path,
            offset: len,
            what: format!("SSTable is {len} bytes; the manifest says {}", meta.len_bytes),
        });
    }
    let table = Table::from_shared(Arc::from(path.display().to_string()), bytes)?;
    Ok(TableFile { id: meta.id, table })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let p = path(Path::new("/d"), 42);
        assert_eq!(p, Path::new("/d/tables/00000000000000000042.sst"));
        let name = p.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
        assert_eq!(parse_name(name), Some(42));
        assert_eq!(parse_name("00000000000000000042.sst.tmp"), None);
        assert_eq!(parse_name("42.sst"), None);
    }
}
