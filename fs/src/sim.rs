//! A fault-injecting, crash-simulating file system in memory (feature `sim`).
//!
//! Every file has a *volatile* image (what the running process reads) and a *durable* image
//! (what survives a crash), and the directory namespace has both forms too. `sync_data` moves a
//! file's unsynced writes into its durable image; `sync_dir` does the same for the entries of one
//! directory. [`SimFs::crash`] throws away the volatile state, keeping of the unsynced writes what
//! the chosen [`CrashMode`] says, and invalidates every open handle.
//!
//! Faults are armed through [`SimFs::with_faults`]:
//! - a failing `sync_data` (EIO). As on Linux after a writeback error, the unsynced writes it was
//!   meant to persist are lost to the durable image even though the process still reads them,
//!   and a *later* sync succeeds: a caller that retries is told its data is safe when it is not;
//! - `ENOSPC` once a byte budget is spent (the write lands partially, then fails);
//! - a torn write (only a prefix of the next write lands, then EIO);
//! - bit flips at rest ([`SimFs::flip_bit`]).
//!
//! Directories are durable as soon as they are created; Basalt creates its directories once, at
//! open, and syncs their parents.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::{File, Fs};

/// Sector size used when a crash keeps or drops unsynced data piecewise.
pub const SECTOR_BYTES: usize = 512;

/// What a simulated crash keeps of the writes that were not synced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashMode {
    /// Nothing: every unsynced byte is lost.
    DropUnsynced,
    /// A random prefix of the unsynced writes, in order, the last one torn at a random byte
    /// (a process killed mid-write, or a disk that persists in order).
    KeepPrefix,
    /// Each 512-byte sector of each unsynced write is kept or lost independently (a disk or page
    /// cache that persists out of order).
    KeepRandomSectors,
    /// Everything written reaches the disk (a process crash: the page cache survives).
    KeepAll,
}

/// Faults to inject; every counter counts down to the failure.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fail the `sync_data` call after this many more succeed.
    pub fail_sync_after: Option<u64>,
    /// Fail writes with `ENOSPC` once this many more bytes have been written.
    pub enospc_after_bytes: Option<u64>,
    /// The write call after this many more tears: a random prefix lands, then it fails with EIO.
    pub tear_write_after: Option<u64>,
    /// Fail the `sync_dir` call after this many more succeed (the entries stay unsynced).
    pub fail_sync_dir_after: Option<u64>,
    /// Fail the `remove_file` call after this many more succeed (nothing is removed).
    pub fail_remove_after: Option<u64>,
}

/// Counts of operations, for tests that check how the file system was used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Successful `sync_data` calls.
    pub syncs: u64,
    /// Successful `write_at` calls.
    pub writes: u64,
    /// Bytes written by successful writes.
    pub bytes_written: u64,
    /// Pipelined writes started (`start_write_and_sync`).
    pub pipelined_starts: u64,
}

#[derive(Clone, Debug)]
enum Op {
    Write { offset: u64, bytes: Vec<u8> },
    SetLen(u64),
}

#[derive(Debug, Default)]
struct Inode {
    volatile: Vec<u8>,
    durable: Vec<u8>,
    unsynced: Vec<Op>,
}

#[derive(Debug)]
struct State {
    inodes: HashMap<u64, Inode>,
    volatile_names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: Vec<PathBuf>,
    next_inode: u64,
    generation: u64,
    faults: Faults,
    stats: SimStats,
    rng: SmallRng,
    /// Files offer `start_write_and_sync`, as io_uring files do.
    pipelined: bool,
}

/// The simulated file system; clones share one state.
#[derive(Clone, Debug)]
pub struct SimFs {
    state: Arc<Mutex<State>>,
}

/// A file opened on a [`SimFs`]; it stops working after a crash.
#[derive(Debug)]
pub struct SimFile {
    state: Arc<Mutex<State>>,
    inode: u64,
    generation: u64,
    writable: bool,
    in_flight: Mutex<Option<(Vec<u8>, u64)>>,
}

impl SimFs {
    /// An empty file system whose random choices (torn lengths, crash modes) follow `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let state = State {
            inodes: HashMap::new(),
            volatile_names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            dirs: vec![PathBuf::from("/")],
            next_inode: 1,
            generation: 0,
            faults: Faults::default(),
            stats: SimStats::default(),
            rng: SmallRng::seed_from_u64(seed),
            pipelined: false,
        };
        SimFs { state: Arc::new(Mutex::new(state)) }
    }

    /// Like [`SimFs::new`], but files are pipelined: `start_write_and_sync` only records the
    /// write, and `finish_write_and_sync` performs it and the sync (with any armed faults). A
    /// crash in between loses the write, as if it had not reached the kernel.
    #[must_use]
    pub fn new_pipelined(seed: u64) -> Self {
        let fs = SimFs::new(seed);
        fs.lock().pipelined = true;
        fs
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Changes the armed faults.
    pub fn with_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.lock().faults);
    }

    /// Operation counts so far.
    #[must_use]
    pub fn stats(&self) -> SimStats {
        self.lock().stats
    }

    /// Simulates a crash: volatile state is replaced by durable state plus what `mode` keeps of
    /// the unsynced writes; every open [`SimFile`] fails from now on; faults are disarmed.
    pub fn crash(&self, mode: CrashMode) {
        let mut state = self.lock();
        let state = &mut *state;
        for inode in state.inodes.values_mut() {
            let ops = std::mem::take(&mut inode.unsynced);
            let mut image = std::mem::take(&mut inode.durable);
            apply_on_crash(&mut image, &ops, mode, &mut state.rng);
            inode.volatile.clone_from(&image);
            inode.durable = image;
        }
        state.volatile_names = state.durable_names.clone();
        let live: std::collections::HashSet<u64> = state.durable_names.values().copied().collect();
        state.inodes.retain(|id, _| live.contains(id));
        state.generation += 1;
        state.faults = Faults::default();
    }

    /// Simulates the death of the process alone: every open [`SimFile`] fails from now on, but
    /// the page cache survives, so files read as they did, and what was not synced is still not
    /// durable (a later [`SimFs::crash`] can lose it). Faults are disarmed.
    pub fn kill_process(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.faults = Faults::default();
    }

    /// The bytes a reader sees in `path` now, if it exists.
    #[must_use]
    pub fn file_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let state = self.lock();
        let id = state.volatile_names.get(path)?;
        state.inodes.get(id).map(|inode| inode.volatile.clone())
    }

    /// Creates (or replaces) `path` with `bytes`, already durable; for tests and fuzzing.
    pub fn put_durable_file(&self, path: &Path, bytes: &[u8]) {
        let mut state = self.lock();
        let id = state.next_inode;
        state.next_inode += 1;
        let inode = Inode { volatile: bytes.to_vec(), durable: bytes.to_vec(), unsynced: vec![] };
        state.inodes.insert(id, inode);
        state.volatile_names.insert(path.to_path_buf(), id);
        state.durable_names.insert(path.to_path_buf(), id);
    }

    /// Flips bit `bit` (0–7) of the byte at `offset` of `path`, in both images (bit rot).
    ///
    /// # Panics
    /// If the file does not exist or is shorter than `offset`: a broken test.
    pub fn flip_bit(&self, path: &Path, offset: u64, bit: u8) {
        let mut state = self.lock();
        let id = *state.volatile_names.get(path).expect("flip_bit on a missing file");
        let inode = state.inodes.get_mut(&id).expect("named inode exists");
        let at = usize::try_from(offset).expect("offset fits in memory");
        inode.volatile[at] ^= 1 << bit;
        if let Some(byte) = inode.durable.get_mut(at) {
            *byte ^= 1 << bit;
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn apply(image: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Write { offset, bytes } => write_into(image, *offset, bytes),
        Op::SetLen(len) => image.resize(usize::try_from(*len).expect("sim files fit in memory"), 0),
    }
}

fn write_into(image: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let start = usize::try_from(offset).expect("sim files fit in memory");
    let end = start + bytes.len();
    if image.len() < end {
        image.resize(end, 0);
    }
    image[start..end].copy_from_slice(bytes);
}

fn apply_on_crash(image: &mut Vec<u8>, ops: &[Op], mode: CrashMode, rng: &mut SmallRng) {
    match mode {
        CrashMode::DropUnsynced => {}
        CrashMode::KeepAll => ops.iter().for_each(|op| apply(image, op)),
        CrashMode::KeepPrefix => {
            let keep = rng.gen_range(0..=ops.len());
            for (i, op) in ops.iter().take(keep).enumerate() {
                match op {
                    Op::Write { offset, bytes } if i + 1 == keep => {
                        let cut = rng.gen_range(0..=bytes.len());
                        write_into(image, *offset, &bytes[..cut]);
                    }
                    _ => apply(image, op),
                }
            }
        }
        CrashMode::KeepRandomSectors => {
            for op in ops {
                match op {
                    Op::Write { offset, bytes } => {
                        // Split on the disk's sector boundaries, not the write's own start.
                        let mut at = 0usize;
                        while at < bytes.len() {
                            let position = offset + at as u64;
                            let to_boundary =
                                SECTOR_BYTES - (position % SECTOR_BYTES as u64) as usize;
                            let end = (at + to_boundary).min(bytes.len());
                            if rng.gen_bool(0.5) {
                                write_into(image, position, &bytes[at..end]);
                            }
                            at = end;
                        }
                    }
                    Op::SetLen(_) => {
                        if rng.gen_bool(0.5) {
                            apply(image, op);
                        }
                    }
                }
            }
        }
    }
}

fn no_flight() -> Mutex<Option<(Vec<u8>, u64)>> {
    Mutex::new(None)
}

fn stale_handle() -> io::Error {
    io::Error::other("sim: file handle from before a simulated crash")
}

/// Counts a fault counter down; true when it fires.
fn fires(counter: &mut Option<u64>) -> bool {
    match counter {
        Some(0) => {
            *counter = None;
            true
        }
        Some(n) => {
            *n -= 1;
            false
        }
        None => false,
    }
}

impl SimFile {
    fn with_inode<T>(&self, f: impl FnOnce(&mut State, u64) -> io::Result<T>) -> io::Result<T> {
        let mut state = lock(&self.state);
        if state.generation != self.generation || !state.inodes.contains_key(&self.inode) {
            return Err(stale_handle());
        }
        f(&mut state, self.inode)
    }
}

fn inode(state: &mut State, id: u64) -> &mut Inode {
    state.inodes.get_mut(&id).expect("with_inode checked that the inode exists")
}

impl File for SimFile {
    fn len(&self) -> io::Result<u64> {
        self.with_inode(|state, id| Ok(inode(state, id).volatile.len() as u64))
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.with_inode(|state, id| {
            let data = &inode(state, id).volatile;
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            Ok(n)
        })
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::from_raw_os_error(9));
        }
        self.with_inode(|state, id| {
            let mut landed = buf.len();
            let mut error = None;
            if let Some(budget) = state.faults.enospc_after_bytes {
                if (buf.len() as u64) > budget {
                    landed = usize::try_from(budget).expect("smaller than buf.len()");
                    error = Some(io::Error::from_raw_os_error(28));
                }
                state.faults.enospc_after_bytes = Some(budget.saturating_sub(landed as u64));
            }
            if error.is_none() && fires(&mut state.faults.tear_write_after) {
                landed = state.rng.gen_range(0..buf.len().max(1));
                error = Some(io::Error::other("sim: torn write"));
            }
            let op = Op::Write { offset, bytes: buf[..landed].to_vec() };
            let node = inode(state, id);
            apply(&mut node.volatile, &op);
            node.unsynced.push(op);
            if let Some(error) = error {
                return Err(error);
            }
            state.stats.writes += 1;
            state.stats.bytes_written += buf.len() as u64;
            Ok(())
        })
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.with_inode(|state, id| {
            let node = inode(state, id);
            apply(&mut node.volatile, &Op::SetLen(len));
            node.unsynced.push(Op::SetLen(len));
            Ok(())
        })
    }

    fn pipelined(&self) -> bool {
        lock(&self.state).pipelined
    }

    fn start_write_and_sync(&self, buf: Vec<u8>, offset: u64) -> io::Result<()> {
        if !self.pipelined() {
            return Err(io::ErrorKind::Unsupported.into());
        }
        let mut in_flight =
            self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(in_flight.is_none(), "one pipelined write at a time");
        *in_flight = Some((buf, offset));
        lock(&self.state).stats.pipelined_starts += 1;
        Ok(())
    }

    fn finish_write_and_sync(&self) -> (Vec<u8>, io::Result<()>) {
        let taken = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let Some((buf, offset)) = taken else {
            return (Vec::new(), Err(io::Error::other("sim: no pipelined write in flight")));
        };
        let result = self.write_at(&buf, offset).and_then(|()| self.sync_data());
        (buf, result)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.with_inode(|state, id| {
            let failed = fires(&mut state.faults.fail_sync_after);
            let node = inode(state, id);
            let ops = std::mem::take(&mut node.unsynced);
            if failed {
                // The writeback failed: these writes never reach the durable image, and the
                // kernel forgets they were dirty.
                return Err(io::Error::from_raw_os_error(5));
            }
            ops.iter().for_each(|op| apply(&mut node.durable, op));
            state.stats.syncs += 1;
            Ok(())
        })
    }
}

impl SimFs {
    fn open_file(&self, path: &Path, writable: bool) -> io::Result<SimFile> {
        let state = self.lock();
        let id = *state.volatile_names.get(path).ok_or_else(|| not_found(path))?;
        let generation = state.generation;
        Ok(SimFile {
            state: self.state.clone(),
            inode: id,
            generation,
            writable,
            in_flight: no_flight(),
        })
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("sim: {} not found", path.display()))
}

fn parent_exists(state: &State, path: &Path) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    if parent.as_os_str().is_empty() || state.dirs.iter().any(|d| d == parent) {
        Ok(())
    } else {
        Err(not_found(parent))
    }
}

impl Fs for SimFs {
    type File = SimFile;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        for dir in path.ancestors() {
            if !dir.as_os_str().is_empty() && !state.dirs.iter().any(|d| d == dir) {
                state.dirs.push(dir.to_path_buf());
            }
        }
        Ok(())
    }

    fn create_new(&self, path: &Path) -> io::Result<SimFile> {
        let mut state = self.lock();
        parent_exists(&state, path)?;
        if state.volatile_names.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, path.display().to_string()));
        }
        let id = state.next_inode;
        state.next_inode += 1;
        state.inodes.insert(id, Inode::default());
        state.volatile_names.insert(path.to_path_buf(), id);
        let generation = state.generation;
        Ok(SimFile {
            state: self.state.clone(),
            inode: id,
            generation,
            writable: true,
            in_flight: no_flight(),
        })
    }

    fn open(&self, path: &Path) -> io::Result<SimFile> {
        self.open_file(path, true)
    }

    fn open_read(&self, path: &Path) -> io::Result<SimFile> {
        self.open_file(path, false)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        if fires(&mut state.faults.fail_remove_after) {
            return Err(io::Error::from_raw_os_error(5));
        }
        state.volatile_names.remove(path).map(drop).ok_or_else(|| not_found(path))
    }

    fn rename(&self, source: &Path, target: &Path) -> io::Result<()> {
        let mut state = self.lock();
        parent_exists(&state, target)?;
        let id = state.volatile_names.remove(source).ok_or_else(|| not_found(source))?;
        state.volatile_names.insert(target.to_path_buf(), id);
        Ok(())
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let state = self.lock();
        if !state.dirs.iter().any(|d| d == path) {
            return Err(not_found(path));
        }
        let files = state.volatile_names.keys().filter(|p| p.parent() == Some(path));
        let dirs = state.dirs.iter().filter(|p| p.parent() == Some(path));
        Ok(files.chain(dirs).cloned().collect())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        if fires(&mut state.faults.fail_sync_dir_after) {
            return Err(io::Error::from_raw_os_error(5));
        }
        let state = &mut *state;
        state.durable_names.retain(|p, _| p.parent() != Some(path));
        for (p, id) in &state.volatile_names {
            if p.parent() == Some(path) {
                state.durable_names.insert(p.clone(), *id);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (SimFs, PathBuf) {
        let fs = SimFs::new(7);
        let dir = PathBuf::from("/db");
        fs.create_dir_all(&dir).expect("mkdir");
        (fs, dir)
    }

    #[test]
    fn unsynced_writes_and_unsynced_names_vanish_on_crash() {
        let (fs, dir) = setup();
        let a = dir.join("a");
        let file = fs.create_new(&a).expect("create");
        file.write_at(b"abc", 0).expect("write");
        file.sync_data().expect("sync");
        fs.crash(CrashMode::KeepAll);
        assert_eq!(fs.file_bytes(&a), None, "the entry was never made durable by sync_dir");

        let file = fs.create_new(&a).expect("create");
        file.write_at(b"abc", 0).expect("write");
        file.sync_data().expect("sync");
        fs.sync_dir(&dir).expect("sync dir");
        file.write_at(b"def", 3).expect("write");
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.file_bytes(&a).as_deref(), Some(&b"abc"[..]));
        assert!(file.len().is_err(), "handles from before the crash are dead");
    }

    #[test]
    fn a_killed_process_leaves_unsynced_data_readable_but_not_durable() {
        let (fs, dir) = setup();
        let path = dir.join("f");
        let file = fs.create_new(&path).expect("create");
        fs.sync_dir(&dir).expect("sync dir");
        file.write_at(b"cached", 0).expect("write");
        fs.kill_process();
        assert!(file.len().is_err(), "the dead process's handles fail");
        assert_eq!(fs.file_bytes(&path).as_deref(), Some(&b"cached"[..]));
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.file_bytes(&path).as_deref(), Some(&b""[..]));
    }

    #[test]
    fn directory_and_remove_faults_change_nothing() {
        let (fs, dir) = setup();
        let path = dir.join("f");
        drop(fs.create_new(&path).expect("create"));
        fs.with_faults(|f| f.fail_sync_dir_after = Some(0));
        assert!(fs.sync_dir(&dir).is_err());
        fs.sync_dir(&dir).expect("the next one works");
        fs.with_faults(|f| f.fail_remove_after = Some(0));
        assert!(fs.remove_file(&path).is_err());
        assert!(fs.file_bytes(&path).is_some());
    }

    #[test]
    fn a_failed_sync_loses_the_data_and_a_retry_lies() {
        let (fs, dir) = setup();
        let path = dir.join("f");
        let file = fs.create_new(&path).expect("create");
        fs.sync_dir(&dir).expect("sync dir");
        fs.with_faults(|f| f.fail_sync_after = Some(0));
        file.write_at(b"lost", 0).expect("write");
        assert!(file.sync_data().is_err());
        file.sync_data().expect("the retry reports success");
        fs.crash(CrashMode::DropUnsynced);
        assert_eq!(fs.file_bytes(&path).as_deref(), Some(&b""[..]));
    }

    #[test]
    fn enospc_and_torn_writes_land_partially() {
        let (fs, dir) = setup();
        let file = fs.create_new(&dir.join("f")).expect("create");
        fs.with_faults(|f| f.enospc_after_bytes = Some(5));
        let err = file.write_at(b"0123456789", 0).expect_err("no space");
        assert_eq!(err.raw_os_error(), Some(28));
        assert_eq!(file.len().expect("len"), 5);
        fs.with_faults(|f| {
            f.enospc_after_bytes = None;
            f.tear_write_after = Some(1);
        });
        file.write_at(b"x", 5).expect("first write is whole");
        file.write_at(b"torn-write", 6).expect_err("second write tears");
        assert!(file.len().expect("len") < 16);
    }

    #[test]
    fn crash_modes_keep_subsets_of_unsynced_writes() {
        for mode in [CrashMode::KeepPrefix, CrashMode::KeepRandomSectors] {
            for seed in 0..20 {
                let fs = SimFs::new(seed);
                fs.create_dir_all(Path::new("/d")).expect("mkdir");
                let path = Path::new("/d/f");
                let file = fs.create_new(path).expect("create");
                fs.sync_dir(Path::new("/d")).expect("sync dir");
                let data: Vec<u8> = (0..4000u32).map(|i| (i % 251) as u8 + 1).collect();
                file.write_at(&data, 0).expect("write");
                fs.crash(mode);
                let after = fs.file_bytes(path).expect("file survives");
                assert!(after.len() <= data.len());
                for (i, byte) in after.iter().enumerate() {
                    assert!(*byte == 0 || *byte == data[i], "{mode:?} invented byte {i}");
                }
            }
        }
    }

    #[test]
    fn rename_and_remove_are_durable_after_sync_dir() {
        let (fs, dir) = setup();
        let (a, b) = (dir.join("a"), dir.join("b"));
        drop(fs.create_new(&a).expect("create"));
        fs.sync_dir(&dir).expect("sync");
        fs.rename(&a, &b).expect("rename");
        fs.crash(CrashMode::KeepAll);
        assert!(fs.file_bytes(&a).is_some() && fs.file_bytes(&b).is_none());
        fs.rename(&a, &b).expect("rename");
        fs.sync_dir(&dir).expect("sync");
        fs.remove_file(&b).expect("remove");
        fs.crash(CrashMode::KeepAll);
        assert!(fs.file_bytes(&a).is_none() && fs.file_bytes(&b).is_some());
        assert_eq!(fs.read_dir(&dir).expect("ls"), vec![b]);
    }
}
