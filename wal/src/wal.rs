//! The log: opening (with recovery), appending, syncing, reading and deleting.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_fs::{File, Fs, SystemFs};

use crate::durability::Durability;
use crate::error::{Corruption, Error, IoOp, Result};
use crate::group_commit::{GroupCommit, Stats, Ticket};
use crate::limits::{BUFFER_BYTES_DEFAULT, PREALLOCATE_BYTES_DEFAULT, SEGMENT_BYTES_DEFAULT};
use crate::reader::{Plan, Reader};
use crate::recovery::{scan_segment, Scanned};
use crate::segment::{new_salt, SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::sync::{lock, Mutex};
use crate::writer::{create_segment, io_error, SegmentList, SegmentMeta, SegmentWriter};
use crate::{Lsn, SegmentId};

/// How to open a log.
#[derive(Clone, Debug)]
pub struct Options {
    /// What a successful append promises; [`Durability::Sync`] by default.
    pub durability: Durability,
    /// The size past which the log starts a new segment (a group is never split, so a segment
    /// can exceed it by one group).
    pub segment_bytes_max: u64,
    /// Under [`Durability::None`], how many appended bytes may wait in memory before an append
    /// writes them out.
    pub buffer_bytes_max: usize,
    /// How many zeros to write ahead of the records at a time (see `docs/wal.md`); 0 writes
    /// none, at the cost of a slower `fdatasync` for every group that extends the file.
    pub preallocate_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            durability: Durability::Sync,
            segment_bytes_max: SEGMENT_BYTES_DEFAULT,
            buffer_bytes_max: BUFFER_BYTES_DEFAULT,
            preallocate_bytes: PREALLOCATE_BYTES_DEFAULT,
        }
    }
}

/// What opening the log found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// Segment files kept.
    pub segments: usize,
    /// The oldest LSN in the log; equal to `next_lsn` when the log holds no record.
    pub oldest_lsn: Lsn,
    /// The LSN the next append gets.
    pub next_lsn: Lsn,
    /// A torn tail that was cut off, if the last run ended in a crash mid-write.
    pub torn_tail: Option<TornTail>,
}

/// A torn tail removed at open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment it was in.
    pub segment: PathBuf,
    /// Where the log now ends.
    pub offset: u64,
    /// How many bytes were cut.
    pub bytes_cut: u64,
    /// What was wrong with the first cut record.
    pub what: Corruption,
}

/// A segmented write-ahead log with group commit. See the crate documentation.
///
/// # Concurrency
/// `Wal` is `Send + Sync`; share it with `Arc`. Any number of threads may append at once.
pub struct Wal<F: Fs = SystemFs> {
    fs: F,
    dir: PathBuf,
    list: Arc<Mutex<SegmentList>>,
    queue: GroupCommit<SegmentWriter<F>>,
}

impl Wal<SystemFs> {
    /// Opens (or creates) the log in `dir` on the default file system (io_uring when the kernel
    /// offers it, `std` otherwise).
    ///
    /// # Errors
    /// As [`Wal::open_with`].
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<(Self, Recovery)> {
        Wal::open_with(SystemFs::detect(), dir, options)
    }
}

impl<F: Fs> Wal<F> {
    /// Opens (or creates) the log in `dir` on `fs`, recovering from a crash: a torn tail at the
    /// very end of the log is cut off; anything else that is not a valid log fails.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming segment and offset, [`Error::Io`].
    pub fn open_with(fs: F, dir: impl AsRef<Path>, options: Options) -> Result<(Self, Recovery)> {
        let dir = dir.as_ref().to_path_buf();
        fs.create_dir_all(&dir).map_err(|e| io_error(IoOp::CreateDir, &dir, e))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs.sync_dir(parent).map_err(|e| io_error(IoOp::SyncDir, parent, e))?;
        }
        let found = recover(&fs, &dir)?;
        let (writer, list, recovery) = start_writer(&fs, &dir, found, &options)?;
        // IMPORTANT: what recovery read may exist only in the page cache (the last run died
        // between a write and its sync, or a directory sync failed). Make it durable before
        // treating it as the durable log that new records are written after.
        writer.file.sync_data().map_err(|e| io_error(IoOp::Sync, &writer.path(), e))?;
        fs.sync_dir(&dir).map_err(|e| io_error(IoOp::SyncDir, &dir, e))?;
        let next_lsn = recovery.next_lsn;
        let queue =
            GroupCommit::new(writer, next_lsn, options.durability, options.buffer_bytes_max);
        Ok((Wal { fs, dir, list, queue }, recovery))
    }

    /// Appends one record; returns its LSN once it is as durable as the log's [`Durability`]
    /// promises.
    ///
    /// # Errors
    /// [`Error::RecordTooLarge`] (nothing appended), [`Error::Poisoned`] after a failed write or
    /// sync (this append is not durable; reopen the log).
    pub fn append(&self, payload: &[u8]) -> Result<Lsn> {
        self.queue.append(&[payload])
    }

    /// Appends records with consecutive LSNs, written in one group; returns the first LSN.
    ///
    /// # Errors
    /// As [`Wal::append`]; an oversized payload rejects the whole batch;
    /// [`Error::EmptyBatch`] for no payloads.
    pub fn append_batch(&self, payloads: &[&[u8]]) -> Result<Lsn> {
        self.queue.append(payloads)
    }

    /// Appends records with consecutive LSNs without waiting for them to be durable; pass the
    /// ticket to [`Wal::wait`]. Records enqueued by one thread in a row are in LSN order, so a
    /// caller that enqueues under its own lock orders its records by that lock.
    ///
    /// # Errors
    /// As [`Wal::append_batch`].
    pub fn enqueue(&self, payloads: &[&[u8]]) -> Result<Ticket> {
        self.queue.enqueue(payloads)
    }

    /// Waits until the records of `ticket` are as durable as the log's [`Durability`] promises.
    ///
    /// # Errors
    /// [`Error::Poisoned`].
    pub fn wait(&self, ticket: Ticket) -> Result<()> {
        self.queue.wait(ticket)
    }

    /// Waits until every record through `last` (an LSN already assigned, perhaps to another
    /// appender's record) is as durable as the log's [`Durability`] promises.
    ///
    /// # Errors
    /// [`Error::Poisoned`].
    pub fn wait_through(&self, last: Lsn) -> Result<()> {
        self.queue.wait_through(last)
    }

    /// Makes every record appended so far durable, whatever the log's durability; returns the
    /// last LSN now durable.
    ///
    /// # Errors
    /// [`Error::Poisoned`].
    pub fn sync(&self) -> Result<Lsn> {
        self.queue.sync()
    }

    /// Reads the records from `from` to the end of the log as it is now (records buffered in
    /// memory are written out first).
    ///
    /// # Errors
    /// [`Error::LsnDeleted`] if `from` is older than the oldest record kept; [`Error::Poisoned`].
    /// Errors met while reading come from the iterator.
    pub fn read_from(&self, from: Lsn) -> Result<Reader<F>> {
        self.queue.flush()?;
        let list = lock(&self.list);
        let oldest = list.segments.first().expect("at least the active segment").first_lsn;
        if from < oldest && from > Lsn::ZERO {
            return Err(Error::LsnDeleted { requested: from, oldest });
        }
        let start = list.segments.iter().rposition(|s| s.first_lsn <= from).unwrap_or(0);
        let last = list.segments.len() - 1;
        let segments = list.segments.iter().enumerate().skip(start);
        let segments =
            segments.map(|(i, meta)| (meta.clone(), (i == last).then_some(list.active_end)));
        let segments = segments.collect();
        drop(list);
        Ok(Reader::new(self.fs.clone(), Plan { segments }, from))
    }

    /// Deletes every whole segment whose records all have LSNs below `lsn`, oldest first, each
    /// removal made durable before the next; the active segment is never deleted. Returns how
    /// many segments were deleted.
    ///
    /// # Errors
    /// [`Error::Io`]; the segments deleted before the error stay deleted.
    pub fn delete_below(&self, lsn: Lsn) -> Result<usize> {
        let mut deleted = 0;
        loop {
            let list = lock(&self.list);
            let Some(next) = list.segments.get(1) else { break };
            if next.first_lsn > lsn {
                break;
            }
            let victim = list.segments.first().expect("two segments listed").path.clone();
            drop(list);
            // The segment leaves the list only once its removal is durable: a failure leaves
            // log and list as they were, and a retry starts again from the oldest segment.
            self.fs.remove_file(&victim).map_err(|e| io_error(IoOp::Remove, &victim, e))?;
            self.fs.sync_dir(&self.dir).map_err(|e| io_error(IoOp::SyncDir, &self.dir, e))?;
            lock(&self.list).segments.remove(0);
            deleted += 1;
        }
        Ok(deleted)
    }

    /// The LSN the next append gets.
    pub fn next_lsn(&self) -> Lsn {
        self.queue.next_lsn()
    }

    /// The last LSN known to be on stable storage.
    pub fn synced_lsn(&self) -> Lsn {
        self.queue.synced_lsn()
    }

    /// The oldest LSN still in the log.
    pub fn oldest_lsn(&self) -> Lsn {
        lock(&self.list).segments.first().expect("at least the active segment").first_lsn
    }

    /// Counters of appends, groups, syncs and bytes since the log was opened.
    pub fn stats(&self) -> Stats {
        self.queue.stats()
    }

    /// The number of segment files.
    pub fn segment_count(&self) -> usize {
        lock(&self.list).segments.len()
    }

    /// The failure that poisoned the log, if any.
    pub fn poisoned(&self) -> Option<Arc<Error>> {
        self.queue.poisoned()
    }

    /// Syncs everything appended and closes the log.
    ///
    /// # Errors
    /// [`Error::Poisoned`]: what was appended since the last successful sync may be lost.
    pub fn close(self) -> Result<()> {
        self.queue.sync()?;
        self.queue.with_sink(SegmentWriter::trim)
    }
}

impl<F: Fs> Drop for Wal<F> {
    fn drop(&mut self) {
        // Best effort: a log dropped without `close` still writes out what it buffered. Errors
        // are not lost: they poison the log, and the next open recovers from what reached disk.
        if self.queue.poisoned().is_none() && self.queue.sync().is_ok() {
            let _ = self.queue.with_sink(SegmentWriter::trim);
        }
    }
}

/// One segment as found at open.
struct Found {
    meta: SegmentMeta,
    header: SegmentHeader,
    count: u64,
    valid_end: u64,
    file_len: u64,
}

/// Scans every segment, cuts a torn tail, removes a torn newest header; returns the segments
/// kept and what was done.
fn recover<F: Fs>(fs: &F, dir: &Path) -> Result<(Vec<Found>, Option<TornTail>, Option<SegmentId>)> {
    let ids = segment_ids(fs, dir)?;
    let mut found: Vec<Found> = Vec::with_capacity(ids.len());
    let mut torn_tail = None;
    let mut removed = None;
    for (i, &id) in ids.iter().enumerate() {
        let path = dir.join(id.file_name());
        let newest = i + 1 == ids.len();
        let bytes = read_whole(fs, &path)?;
        let corrupt = |(offset, what)| Error::Corrupt { segment: path.clone(), offset, what };
        match scan_segment(&bytes, id, newest).map_err(corrupt)? {
            Scanned::TornHeader(_) => {
                fs.remove_file(&path).map_err(|e| io_error(IoOp::Remove, &path, e))?;
                fs.sync_dir(dir).map_err(|e| io_error(IoOp::SyncDir, dir, e))?;
                removed = Some(id);
            }
            Scanned::Records { header, count, valid_end, torn } => {
                if let Some(prev) = found.last() {
                    let expected = prev.meta.first_lsn.0 + prev.count;
                    if header.first_lsn.0 != expected {
                        let what = Corruption::SegmentGap { expected, found: header.first_lsn.0 };
                        return Err(Error::Corrupt { segment: path, offset: 24, what });
                    }
                }
                let mut file_len = bytes.len() as u64;
                if let Some(what) = torn {
                    cut_tail(fs, &path, valid_end)?;
                    file_len = valid_end;
                    let bytes_cut = bytes.len() as u64 - valid_end;
                    torn_tail = Some(TornTail {
                        segment: path.clone(),
                        offset: valid_end,
                        bytes_cut,
                        what,
                    });
                }
                let meta = SegmentMeta { id, first_lsn: header.first_lsn, path };
                found.push(Found { meta, header, count, valid_end, file_len });
            }
        }
    }
    Ok((found, torn_tail, removed))
}

/// The ids of the segment files in `dir`, ascending and checked to be consecutive.
fn segment_ids<F: Fs>(fs: &F, dir: &Path) -> Result<Vec<SegmentId>> {
    let entries = fs.read_dir(dir).map_err(|e| io_error(IoOp::ReadDir, dir, e))?;
    let mut ids: Vec<SegmentId> = entries
        .iter()
        .filter_map(|p| p.file_name()?.to_str().and_then(SegmentId::parse_file_name))
        .collect();
    ids.sort_unstable();
    for pair in ids.windows(2) {
        if let [a, b] = pair {
            if b.0 != a.0 + 1 {
                let what = Corruption::SegmentGap { expected: a.0 + 1, found: b.0 };
                return Err(Error::Corrupt { segment: dir.join(b.file_name()), offset: 0, what });
            }
        }
    }
    Ok(ids)
}

fn read_whole<F: Fs>(fs: &F, path: &Path) -> Result<Vec<u8>> {
    let file = fs.open_read(path).map_err(|e| io_error(IoOp::Open, path, e))?;
    let len = file.len().map_err(|e| io_error(IoOp::Read, path, e))?;
    let len = usize::try_from(len).map_err(|_| io_error(IoOp::Read, path, too_big()))?;
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, 0).map_err(|e| io_error(IoOp::Read, path, e))?;
    Ok(bytes)
}

fn too_big() -> std::io::Error {
    std::io::Error::other("segment larger than the address space")
}

/// Truncates a torn tail, durably: a crash in the middle leaves the same torn tail to cut again.
fn cut_tail<F: Fs>(fs: &F, path: &Path, len: u64) -> Result<()> {
    let file = fs.open(path).map_err(|e| io_error(IoOp::Open, path, e))?;
    file.set_len(len).map_err(|e| io_error(IoOp::Truncate, path, e))?;
    file.sync_data().map_err(|e| io_error(IoOp::Sync, path, e))
}

type Started<F> = (SegmentWriter<F>, Arc<Mutex<SegmentList>>, Recovery);

/// Opens the newest segment for appending, or creates the first one.
fn start_writer<F: Fs>(
    fs: &F,
    dir: &Path,
    (found, torn_tail, removed): (Vec<Found>, Option<TornTail>, Option<SegmentId>),
    options: &Options,
) -> Result<Started<F>> {
    let header_end = SEGMENT_HEADER_BYTES as u64;
    let (file, header, (end, allocated), records) = match found.last() {
        Some(last) => {
            let path = &last.meta.path;
            let file = fs.open(path).map_err(|e| io_error(IoOp::Open, path, e))?;
            (file, last.header, (last.valid_end, last.file_len), last.count)
        }
        None => {
            let id = removed.unwrap_or(SegmentId(1));
            if id != SegmentId(1) {
                // Only the first segment of a log may be created from nothing: any later one
                // had a predecessor that said where the LSNs stood.
                let path = dir.join(id.file_name());
                return Err(Error::Corrupt {
                    segment: path,
                    offset: 0,
                    what: Corruption::LostPosition,
                });
            }
            let header = SegmentHeader { id, first_lsn: Lsn::FIRST, salt: new_salt(id) };
            (create_segment(fs, dir, header)?, header, (header_end, header_end), 0)
        }
    };
    let (id, next_lsn) = (header.id, Lsn(header.first_lsn.0 + records));
    let mut segments: Vec<SegmentMeta> = found.into_iter().map(|f| f.meta).collect();
    if segments.is_empty() {
        segments.push(SegmentMeta { id, first_lsn: next_lsn, path: dir.join(id.file_name()) });
    }
    let recovery = Recovery {
        segments: segments.len(),
        oldest_lsn: segments.first().map_or(next_lsn, |s| s.first_lsn),
        next_lsn,
        torn_tail,
    };
    let list = Arc::new(Mutex::new(SegmentList { segments, active_end: end }));
    let before = Lsn(next_lsn.0 - 1);
    let writer = SegmentWriter {
        fs: fs.clone(),
        dir: dir.to_path_buf(),
        file,
        id,
        salt: header.salt,
        end,
        allocated,
        synced_end: end,
        written_lsn: before,
        synced_lsn: before,
        unsynced_zeros: false,
        in_flight: None,
        segment_bytes_max: options.segment_bytes_max,
        preallocate_bytes: options.preallocate_bytes as u64,
        list: list.clone(),
    };
    Ok((writer, list, recovery))
}
