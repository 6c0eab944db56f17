//! The segment writer: the [`Sink`] that puts groups into segment files and rotates them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_fs::{File, Fs};

use crate::error::{Error, IoOp, Result};
use crate::group_commit::{Group, Sink};
use crate::limits::PREALLOCATE_BYTES_DEFAULT;
use crate::record;
use crate::segment::{new_salt, SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::sync::{lock, Mutex};
use crate::{Lsn, SegmentId};

/// The zeros written ahead of the records (static, so they cost no allocation).
static ZEROS: [u8; PREALLOCATE_BYTES_DEFAULT] = [0; PREALLOCATE_BYTES_DEFAULT];

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
    /// The salt of the active segment's record checksums.
    pub salt: u64,
    /// Where the next group goes: the end of the records written.
    pub end: u64,
    /// The file's length: records up to `end`, then zeros written ahead.
    pub allocated: u64,
    /// The end of the records known durable in the active segment.
    pub synced_end: u64,
    /// The last LSN written, and the last LSN known durable.
    pub written_lsn: Lsn,
    pub synced_lsn: Lsn,
    /// Zeros were written ahead since the last sync.
    pub unsynced_zeros: bool,
    /// The first and last LSN of the group started but not finished (pipelined).
    pub in_flight: Option<(Lsn, Lsn)>,
    pub segment_bytes_max: u64,
    /// How many zeros to write ahead of the records at a time; 0 writes none.
    pub preallocate_bytes: u64,
    pub list: Arc<Mutex<SegmentList>>,
}

impl<F: Fs> SegmentWriter<F> {
    fn dirty(&self) -> bool {
        self.written_lsn > self.synced_lsn || self.unsynced_zeros
    }

    fn sync(&mut self) -> Result<()> {
        self.file.sync_data().map_err(|e| io_error(IoOp::Sync, &self.path(), e))?;
        self.synced(self.end);
        Ok(())
    }

    fn synced(&mut self, end: u64) {
        self.synced_lsn = self.written_lsn;
        self.synced_end = end;
        self.unsynced_zeros = false;
    }

    /// Closes the active segment (its zeros cut, synced) and starts segment `id + 1` at
    /// `first_lsn`.
    fn rotate(&mut self, first_lsn: Lsn) -> Result<()> {
        // IMPORTANT: the old segment must be whole and durable before the next one exists:
        // recovery treats damage in any segment but the newest as corruption.
        self.trim()?;
        let id = SegmentId(self.id.0 + 1);
        let salt = new_salt(id);
        let file = create_segment(&self.fs, &self.dir, SegmentHeader { id, first_lsn, salt })?;
        let path = self.dir.join(id.file_name());
        let mut list = lock(&self.list);
        list.segments.push(SegmentMeta { id, first_lsn, path });
        list.active_end = SEGMENT_HEADER_BYTES as u64;
        drop(list);
        self.file = file;
        self.id = id;
        self.salt = salt;
        self.end = SEGMENT_HEADER_BYTES as u64;
        self.allocated = self.end;
        self.synced_end = self.end;
        Ok(())
    }

    /// Cuts the zeros after the records and syncs: the segment at rest holds records only.
    pub fn trim(&mut self) -> Result<()> {
        let cut = self.allocated > self.end;
        if cut {
            let path = self.path();
            self.file.set_len(self.end).map_err(|e| io_error(IoOp::Truncate, &path, e))?;
            self.allocated = self.end;
        }
        if cut || self.dirty() {
            self.sync()?;
        }
        Ok(())
    }

    /// Writes zeros ahead of the records so that the group of `len` bytes lands in space that
    /// is already allocated; the group's own sync then makes the zeros durable with it.
    fn preallocate(&mut self, len: u64) -> Result<()> {
        let needed = self.end + len;
        if needed <= self.allocated || self.preallocate_bytes == 0 {
            return Ok(());
        }
        let path = self.path();
        let target = needed + self.preallocate_bytes;
        let mut at = needed;
        while at < target {
            let chunk = usize::try_from(target - at).map_or(ZEROS.len(), |n| n.min(ZEROS.len()));
            let zeros = ZEROS.get(..chunk).expect("chunk fits in ZEROS");
            self.file.write_at(zeros, at).map_err(|e| io_error(IoOp::Write, &path, e))?;
            at += chunk as u64;
        }
        self.allocated = target;
        self.unsynced_zeros = true;
        Ok(())
    }

    /// Rotation, sealing and zeros ahead: everything a group needs before its bytes go out.
    fn prepare(&mut self, group: &mut Group) -> Result<()> {
        let has_records = self.end > SEGMENT_HEADER_BYTES as u64;
        if has_records && self.end >= self.segment_bytes_max {
            self.rotate(group.first_lsn)?;
        }
        // Everything up to `synced_lsn` is durable; the records of this group, and any written
        // but unsynced before them, are not (see `recovery`).
        record::seal(&mut group.bytes, self.synced_lsn.next(), self.salt);
        self.preallocate(group.bytes.len() as u64)
    }

    /// Bookkeeping once a group's bytes are written, and synced if `sync`.
    fn wrote(&mut self, group: &Group, sync: bool) {
        self.end += group.bytes.len() as u64;
        self.written_lsn = group.last_lsn;
        if sync {
            self.synced(self.end);
        }
        lock(&self.list).active_end = self.end;
    }

    fn write_group(&mut self, group: &mut Group, sync: bool) -> Result<()> {
        if group.is_empty() {
            return if sync && self.dirty() { self.sync() } else { Ok(()) };
        }
        self.prepare(group)?;
        let path = self.path();
        if sync {
            self.file.write_at_and_sync(&group.bytes, self.end)
        } else {
            self.file.write_at(&group.bytes, self.end)
        }
        .map_err(|e| io_error(if sync { IoOp::Sync } else { IoOp::Write }, &path, e))?;
        self.wrote(group, sync);
        Ok(())
    }

    /// After a failed write or sync, the page cache may hold bytes that will never reach the
    /// disk (a failed fdatasync marks them clean). Cut them, so that a reopen in this process
    /// does not read them as part of the log. Best effort: the log is poisoned either way, and
    /// recovery copes with whatever is on disk.
    fn cut_unsynced(&mut self) {
        let _ = self.file.set_len(self.synced_end);
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(self.id.file_name())
    }
}

impl<F: Fs> Sink for SegmentWriter<F> {
    fn commit(&mut self, group: &mut Group, sync: bool) -> Result<()> {
        let result = self.write_group(group, sync);
        if result.is_err() {
            self.cut_unsynced();
        }
        result
    }

    fn pipelined(&self) -> bool {
        self.file.pipelined()
    }

    fn start(&mut self, mut group: Group) -> Result<()> {
        assert!(!group.is_empty(), "only groups of records are pipelined");
        let prepared = self.prepare(&mut group);
        let (first_lsn, last_lsn) = (group.first_lsn, group.last_lsn);
        let started = prepared.and_then(|()| {
            let path = self.path();
            self.file
                .start_write_and_sync(group.bytes, self.end)
                .map_err(|e| io_error(IoOp::Sync, &path, e))
        });
        match started {
            Ok(()) => {
                self.in_flight = Some((first_lsn, last_lsn));
                Ok(())
            }
            Err(error) => {
                self.cut_unsynced();
                Err(error)
            }
        }
    }

    fn finish(&mut self) -> (Group, Result<()>) {
        let (first_lsn, last_lsn) = self.in_flight.take().expect("finish follows start");
        let (bytes, result) = self.file.finish_write_and_sync();
        let group = Group { bytes, first_lsn, last_lsn };
        match result {
            Ok(()) => {
                self.wrote(&group, true);
                (group, Ok(()))
            }
            Err(e) => {
                self.cut_unsynced();
                let error = io_error(IoOp::Sync, &self.path(), e);
                (group, Err(error))
            }
        }
    }
}

/// Creates segment `id` with its header, durable together with its directory entry.
pub(crate) fn create_segment<F: Fs>(fs: &F, dir: &Path, header: SegmentHeader) -> Result<F::File> {
    let path = dir.join(header.id.file_name());
    let file = fs.create_new(&path).map_err(|e| io_error(IoOp::Create, &path, e))?;
    let header = header.encode();
    file.write_at_and_sync(&header, 0).map_err(|e| io_error(IoOp::Sync, &path, e))?;
    fs.sync_dir(dir).map_err(|e| io_error(IoOp::SyncDir, dir, e))?;
    Ok(file)
}

pub(crate) fn io_error(op: IoOp, path: &Path, source: std::io::Error) -> Error {
    Error::Io { op, path: path.to_path_buf(), source }
}
