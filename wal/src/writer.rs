//! The segment writer: the [`Sink`] that puts groups into segment files and rotates them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_fs::{File, Fs};

use crate::error::{Error, IoOp, Result};
use crate::group_commit::{Group, Sink};
use crate::segment::{SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::sync::{lock, Mutex};
use crate::{Lsn, SegmentId};

/// One segment file the log holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SegmentMeta {
    pub id: SegmentId,
    pub first_lsn: Lsn,
    pub path: PathBuf,
}

/// The segments of the log, oldest first, shared by the writer (which adds) and
/// `delete_below` (which removes). The last one is the active segment.
#[derive(Debug)]
pub(crate) struct SegmentList {
    pub segments: Vec<SegmentMeta>,
    /// Bytes of the active segment holding whole written records.
    pub active_end: u64,
}

/// Writes groups at the end of the active segment.
pub(crate) struct SegmentWriter<F: Fs> {
    pub fs: F,
    pub dir: PathBuf,
    pub file: F::File,
    pub id: SegmentId,
    pub end: u64,
    pub records: u64,
    /// Bytes were written since the last sync.
    pub dirty: bool,
    pub segment_bytes_max: u64,
    pub list: Arc<Mutex<SegmentList>>,
}

impl<F: Fs> SegmentWriter<F> {
    /// Closes the active segment (synced) and starts segment `id + 1` at `first_lsn`.
    fn rotate(&mut self, first_lsn: Lsn) -> Result<()> {
        if self.dirty {
            let path = self.dir.join(self.id.file_name());
            self.file.sync_data().map_err(|e| io_error(IoOp::Sync, &path, e))?;
            self.dirty = false;
        }
        let id = SegmentId(self.id.0 + 1);
        let file = create_segment(&self.fs, &self.dir, id, first_lsn)?;
        let path = self.dir.join(id.file_name());
        let mut list = lock(&self.list);
        list.segments.push(SegmentMeta { id, first_lsn, path });
        list.active_end = SEGMENT_HEADER_BYTES as u64;
        drop(list);
        self.file = file;
        self.id = id;
        self.end = SEGMENT_HEADER_BYTES as u64;
        self.records = 0;
        Ok(())
    }

    fn path(&self) -> PathBuf {
        self.dir.join(self.id.file_name())
    }
}

impl<F: Fs> Sink for SegmentWriter<F> {
    fn commit(&mut self, group: &Group, sync: bool) -> Result<()> {
        if !group.is_empty() && self.records > 0 && self.end >= self.segment_bytes_max {
            self.rotate(group.first_lsn)?;
        }
        if group.is_empty() {
            if sync && self.dirty {
                self.file.sync_data().map_err(|e| io_error(IoOp::Sync, &self.path(), e))?;
                self.dirty = false;
            }
            return Ok(());
        }
        let written = if sync {
            self.file.write_at_and_sync(&group.bytes, self.end)
        } else {
            self.file.write_at(&group.bytes, self.end)
        };
        written
            .map_err(|e| io_error(if sync { IoOp::Sync } else { IoOp::Write }, &self.path(), e))?;
        self.dirty = !sync;
        self.end += group.bytes.len() as u64;
        self.records += group.last_lsn.0 - group.first_lsn.0 + 1;
        lock(&self.list).active_end = self.end;
        Ok(())
    }
}

/// Creates segment `id` with its header, durable together with its directory entry.
pub(crate) fn create_segment<F: Fs>(
    fs: &F,
    dir: &Path,
    id: SegmentId,
    first_lsn: Lsn,
) -> Result<F::File> {
    let path = dir.join(id.file_name());
    let file = fs.create_new(&path).map_err(|e| io_error(IoOp::Create, &path, e))?;
    let header = SegmentHeader { id, first_lsn }.encode();
    file.write_at_and_sync(&header, 0).map_err(|e| io_error(IoOp::Sync, &path, e))?;
    fs.sync_dir(dir).map_err(|e| io_error(IoOp::SyncDir, dir, e))?;
    Ok(file)
}

pub(crate) fn io_error(op: IoOp, path: &Path, source: std::io::Error) -> Error {
    Error::Io { op, path: path.to_path_buf(), source }
}
