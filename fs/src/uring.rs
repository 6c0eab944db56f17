//! Files driven through Linux io_uring.
//!
//! Each open file owns a small ring behind a mutex. A plain write or read is one submission; a
//! write followed by a sync is two operations linked into one submission (`IOSQE_IO_LINK`), so
//! the log's commit costs one system call instead of two. Opening, renaming and listing go
//! through `std::fs`: they are rare and gain nothing from the ring.
#![allow(unsafe_code, reason = "io_uring submissions hand raw buffer pointers to the kernel")]

use std::io;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use io_uring::{opcode, squeue, types, IoUring};

use crate::std_fs::{StdFile, StdFs};
use crate::{File, Fs};

/// Entries in each file's ring: at most two operations are ever in flight (a linked write and
/// sync).
const RING_ENTRIES: u32 = 4;
/// The largest single read or write submitted at once; larger buffers go in pieces.
const CHUNK_BYTES_MAX: usize = 1 << 30;

const USER_DATA_WRITE: u64 = 1;
const USER_DATA_SYNC: u64 = 2;
const USER_DATA_READ: u64 = 3;

const EIO: i32 = 5;
const EAGAIN: i32 = 11;
const EBUSY: i32 = 16;
const RING_ROOM: &str = "the ring has room: every call reaps all it submits before returning";

/// Files whose reads, writes and syncs go through io_uring.
#[derive(Clone, Copy, Debug)]
pub struct UringFs {
    _private: (),
}

impl UringFs {
    /// Checks that the kernel offers io_uring (it may be missing, or forbidden by seccomp).
    ///
    /// # Errors
    /// The error from `io_uring_setup` when the kernel refuses.
    pub fn new() -> io::Result<Self> {
        drop(IoUring::new(RING_ENTRIES)?);
        Ok(UringFs { _private: () })
    }

    fn wrap(file: std::fs::File) -> io::Result<UringFile> {
        let ring = Ring { uring: IoUring::new(RING_ENTRIES)?, in_flight: None };
        Ok(UringFile { file, ring: Mutex::new(ring) })
    }
}

/// A file opened by [`UringFs`].
pub struct UringFile {
    file: std::fs::File,
    ring: Mutex<Ring>,
}

/// A file's ring and the buffer of its pipelined write, if one is in flight.
struct Ring {
    uring: IoUring,
    /// The buffer (and offset) of a write started by `start_write_and_sync`; the kernel may be
    /// reading it until `finish_write_and_sync` reaps its completion.
    in_flight: Option<(Vec<u8>, u64)>,
}

impl std::ops::Deref for Ring {
    type Target = IoUring;
    fn deref(&self) -> &IoUring {
        &self.uring
    }
}

impl std::ops::DerefMut for Ring {
    fn deref_mut(&mut self) -> &mut IoUring {
        &mut self.uring
    }
}

impl std::fmt::Debug for UringFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringFile").field("file", &self.file).finish_non_exhaustive()
    }
}

impl UringFile {
    /// The ring, for an operation that submits and reaps before returning.
    ///
    /// # Panics
    /// If a pipelined write is in flight: the caller broke `start_write_and_sync`'s contract.
    fn ring(&self) -> MutexGuard<'_, Ring> {
        let ring = self.ring_any();
        assert!(ring.in_flight.is_none(), "an operation while a pipelined write is in flight");
        ring
    }

    fn ring_any(&self) -> MutexGuard<'_, Ring> {
        // A panic while holding the ring leaves no submission half-pushed that matters: every
        // push is followed by its submission before the lock is released.
        self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Pushes a write of `len` bytes at `ptr` linked to a data sync.
    ///
    /// # Safety
    /// The `len` bytes at `ptr` must stay valid and unmodified until both completions have been
    /// reaped.
    unsafe fn push_linked(&self, ring: &mut IoUring, ptr: *const u8, len: usize, offset: u64) {
        let write = opcode::Write::new(self.fd(), ptr, chunk_len(len))
            .offset(offset)
            .build()
            .user_data(USER_DATA_WRITE)
            .flags(squeue::Flags::IO_LINK);
        let sync = opcode::Fsync::new(self.fd())
            .flags(types::FsyncFlags::DATASYNC)
            .build()
            .user_data(USER_DATA_SYNC);
        let mut queue = ring.submission();
        // SAFETY: the caller keeps the buffer valid until both completions are reaped.
        unsafe {
            queue.push(&write).expect(RING_ROOM);
            queue.push(&sync).expect(RING_ROOM);
        }
    }

    /// Reaps the linked write and sync of `buf`, finishing a short write the slow way.
    fn reap_linked(&self, ring: &mut IoUring, buf: &[u8], offset: u64) -> io::Result<()> {
        let (mut written, mut synced) = (None, None);
        for (user_data, res) in complete(ring, 2) {
            match user_data {
                USER_DATA_WRITE => written = Some(res),
                USER_DATA_SYNC => synced = Some(res),
                _ => unreachable!("only the write and the sync were submitted"),
            }
        }
        let written = check(written.ok_or_else(missing_completion)?)?;
        let synced = synced.ok_or_else(missing_completion)?;
        if written < buf.len() {
            // A short write breaks the link and the kernel cancels the sync: finish both the
            // slow way.
            self.write_all(ring, &buf[written..], offset + written as u64)?;
            return self.sync(ring);
        }
        check(synced).map(drop)
    }

    fn fd(&self) -> types::Fd {
        types::Fd(self.file.as_raw_fd())
    }

    /// Submits one prepared operation and returns its result (bytes, or a negative errno).
    fn run_one(ring: &mut IoUring, entry: &squeue::Entry) -> i32 {
        // SAFETY: every entry built in this module points at a buffer that the calling function
        // borrows for the whole call, and `complete` reaps the completion before this returns,
        // so the kernel never touches the buffer after the borrow ends.
        unsafe { ring.submission().push(entry) }.expect(RING_ROOM);
        let done = complete(ring, 1);
        done.first().map_or(-EIO, |&(_, res)| res)
    }

    fn write_chunk(&self, ring: &mut IoUring, buf: &[u8], offset: u64) -> io::Result<usize> {
        let len = buf.len().min(CHUNK_BYTES_MAX);
        let entry = opcode::Write::new(self.fd(), buf.as_ptr(), chunk_len(len))
            .offset(offset)
            .build()
            .user_data(USER_DATA_WRITE);
        loop {
            let res = Self::run_one(ring, &entry);
            match check(res) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(n),
            }
        }
    }

    fn write_all(&self, ring: &mut IoUring, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write_chunk(ring, buf, offset)?;
            buf = &buf[n..];
            offset += n as u64;
        }
        Ok(())
    }

    fn sync(&self, ring: &mut IoUring) -> io::Result<()> {
        let entry = opcode::Fsync::new(self.fd())
            .flags(types::FsyncFlags::DATASYNC)
            .build()
            .user_data(USER_DATA_SYNC);
        check(Self::run_one(ring, &entry)).map(drop)
    }
}

impl File for UringFile {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut ring = self.ring();
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            let len = rest.len().min(CHUNK_BYTES_MAX);
            let entry = opcode::Read::new(self.fd(), rest.as_mut_ptr(), chunk_len(len))
                .offset(offset + done as u64)
                .build()
                .user_data(USER_DATA_READ);
            match check(Self::run_one(&mut ring, &entry)) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
                Ok(0) => break,
                Ok(n) => done += n,
            }
        }
        Ok(done)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        // A plain `pwrite`, as in `write_at_and_sync`: a buffered write submitted to the ring
        // usually cannot complete without blocking, so the kernel punts it to an io-wq worker
        // thread, and waiting for that worker cost ~70 µs per write here against ~5 µs for the
        // system call (docs/benchmarks.md, `Buffered` PutItem). The lock keeps the file's
        // operations ordered as the ring's are.
        let _ring = self.ring();
        StdFile::write_all_at(&self.file, buf, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        // A plain `fdatasync`: see `write_at_and_sync`.
        let _ring = self.ring();
        self.file.sync_data()
    }

    fn write_at_and_sync(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        // Measured here (docs/benchmarks.md): a linked write+fsync through the ring is slower
        // than `pwrite` + `fdatasync`, because the kernel hands a ring's fsync to a worker
        // thread. The ring earns its keep only where the caller can overlap the wait with other
        // work: `start_write_and_sync`.
        let _ring = self.ring();
        StdFile::write_all_at(&self.file, buf, offset)?;
        self.file.sync_data()
    }

    fn pipelined(&self) -> bool {
        true
    }

    fn start_write_and_sync(&self, buf: Vec<u8>, offset: u64) -> io::Result<()> {
        let mut ring = self.ring();
        if buf.is_empty() || buf.len() > CHUNK_BYTES_MAX {
            // Rare shapes go the synchronous way; `finish` then only hands the buffer back.
            self.write_all(&mut ring, &buf, offset)?;
            self.sync(&mut ring)?;
            ring.in_flight = Some((buf, offset));
            return Ok(());
        }
        // SAFETY: the buffer moves into `ring.in_flight` below (moving a `Vec` does not move
        // its heap allocation) and stays there, unmodified, until `finish_write_and_sync` or
        // `Drop` reaps both completions.
        unsafe { self.push_linked(&mut ring, buf.as_ptr(), buf.len(), offset) };
        submit(&mut ring);
        ring.in_flight = Some((buf, offset));
        Ok(())
    }

    fn finish_write_and_sync(&self) -> (Vec<u8>, io::Result<()>) {
        let mut ring = self.ring_any();
        let Some((buf, offset)) = ring.in_flight.take() else {
            return (Vec::new(), Err(io::Error::other("no pipelined write in flight")));
        };
        if buf.is_empty() || buf.len() > CHUNK_BYTES_MAX {
            return (buf, Ok(()));
        }
        let result = self.reap_linked(&mut ring, &buf, offset);
        (buf, result)
    }
}

impl Drop for UringFile {
    fn drop(&mut self) {
        // IMPORTANT: the kernel may still be reading the in-flight buffer; reap before it is
        // freed.
        let ring = self.ring.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((buf, _)) = ring.in_flight.take() {
            if !buf.is_empty() && buf.len() <= CHUNK_BYTES_MAX {
                complete(&mut ring.uring, 2);
            }
        }
    }
}

impl Fs for UringFs {
    type File = UringFile;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        StdFs.create_dir_all(path)
    }

    fn create_new(&self, path: &Path) -> io::Result<UringFile> {
        Self::wrap(StdFs.create_new(path)?.into_inner())
    }

    fn open(&self, path: &Path) -> io::Result<UringFile> {
        Self::wrap(StdFs.open(path)?.into_inner())
    }

    fn open_read(&self, path: &Path) -> io::Result<UringFile> {
        Self::wrap(StdFs.open_read(path)?.into_inner())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        StdFs.remove_file(path)
    }

    fn rename(&self, source: &Path, target: &Path) -> io::Result<()> {
        StdFs.rename(source, target)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        StdFs.read_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        StdFs.sync_dir(path)
    }
}

fn chunk_len(len: usize) -> u32 {
    u32::try_from(len).expect("chunks are at most CHUNK_BYTES_MAX, which fits in u32")
}

/// Turns a completion result into bytes transferred or the errno it carries.
fn check(res: i32) -> io::Result<usize> {
    usize::try_from(res).map_err(|_| io::Error::from_raw_os_error(-res))
}

/// Submits what was pushed without waiting, retrying as `complete` does.
fn submit(ring: &mut IoUring) {
    loop {
        match ring.submit() {
            Ok(_) => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if matches!(e.raw_os_error(), Some(EAGAIN | EBUSY)) => {}
            Err(_) => std::process::abort(),
        }
    }
}

/// Waits until `expected` completions have been reaped and returns them as (tag, result).
///
/// IMPORTANT: this never returns while an operation it submitted is still in flight, because the
/// kernel would then write into or read from a buffer the caller is about to release. Waits
/// interrupted by a signal, or refused for lack of resources, are retried; any other failure
/// of `io_uring_enter` leaves operations whose state is unknown, and the process aborts rather
/// than risk the kernel writing into freed memory.
fn complete(ring: &mut IoUring, expected: usize) -> Vec<(u64, i32)> {
    let mut done = Vec::with_capacity(expected);
    while done.len() < expected {
        match ring.submit_and_wait(expected - done.len()) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if matches!(e.raw_os_error(), Some(EAGAIN | EBUSY)) => {}
            Err(_) => std::process::abort(),
        }
        done.extend(ring.completion().map(|cqe| (cqe.user_data(), cqe.result())));
    }
    done
}

fn missing_completion() -> io::Error {
    io::Error::other("io_uring returned no completion for a submitted operation")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs_or_skip() -> Option<UringFs> {
        UringFs::new().ok()
    }

    #[test]
    fn write_read_sync_roundtrip() {
        let Some(fs) = fs_or_skip() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let file = fs.create_new(&path).expect("create");
        file.write_at(b"hello ", 0).expect("write");
        file.write_at_and_sync(b"world", 6).expect("write and sync");
        assert_eq!(file.len().expect("len"), 11);
        let mut buf = [0u8; 11];
        file.read_exact_at(&mut buf, 0).expect("read");
        assert_eq!(&buf, b"hello world");
        let mut tail = [0u8; 8];
        assert_eq!(file.read_at(&mut tail, 6).expect("read"), 5);
        assert_eq!(std::fs::read(&path).expect("std read"), b"hello world");
    }

    #[test]
    fn many_linked_commits_append() {
        let Some(fs) = fs_or_skip() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        let file = fs.create_new(&dir.path().join("log")).expect("create");
        let mut expected = Vec::new();
        for i in 0..100u32 {
            let chunk = vec![u8::try_from(i % 251).expect("small"); 1 + (i as usize * 37) % 600];
            file.write_at_and_sync(&chunk, expected.len() as u64).expect("commit");
            expected.extend_from_slice(&chunk);
        }
        let mut buf = vec![0u8; expected.len()];
        file.read_exact_at(&mut buf, 0).expect("read");
        assert_eq!(buf, expected);
    }

    #[test]
    fn pipelined_writes_land_and_hand_their_buffers_back() {
        let Some(fs) = fs_or_skip() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let file = fs.create_new(&path).expect("create");
        assert!(file.pipelined());
        let mut expected = Vec::new();
        for i in 0..50u8 {
            let chunk = vec![i; 1 + usize::from(i) * 13];
            file.start_write_and_sync(chunk.clone(), expected.len() as u64).expect("start");
            let (buf, result) = file.finish_write_and_sync();
            result.expect("finish");
            assert_eq!(buf, chunk, "the buffer comes back");
            expected.extend_from_slice(&chunk);
        }
        assert_eq!(std::fs::read(&path).expect("read"), expected);
        // Dropping a file with a write in flight waits for it before freeing the buffer.
        file.start_write_and_sync(vec![9; 4096], expected.len() as u64).expect("start");
        drop(file);
        assert_eq!(std::fs::read(&path).expect("read").len(), expected.len() + 4096);
    }

    #[test]
    #[should_panic(expected = "in flight")]
    fn other_operations_while_a_write_is_in_flight_are_a_bug() {
        let Some(fs) = fs_or_skip() else { panic!("in flight (io_uring unavailable)") };
        let dir = tempfile::tempdir().expect("tempdir");
        let file = fs.create_new(&dir.path().join("f")).expect("create");
        file.start_write_and_sync(vec![1; 10], 0).expect("start");
        let _ = file.sync_data();
    }

    #[test]
    fn errors_come_back_as_errno() {
        let Some(fs) = fs_or_skip() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ro");
        drop(fs.create_new(&path).expect("create"));
        let file = fs.open_read(&path).expect("open read-only");
        let err = file.write_at(b"x", 0).expect_err("write to a read-only fd");
        assert_eq!(err.raw_os_error(), Some(9), "EBADF: {err}");
    }
}
