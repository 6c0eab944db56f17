//! Regression tests from a review of `basalt::core`: each test is named after a defect the
//! review found (deadlocks between multi-shard writes, backpressure and the flush worker;
//! writes lost from view after a log failure; concurrent log deletion; a log that lost
//! segments; invalid options; a crash while creating a store; a deferred write that wrote
//! nothing blocking its caller for the log) and passes now that it is fixed.
//!
//! Concurrency tests drive exact interleavings through `GateFs`, a wrapper around `StdFs`
//! whose `sync_data` can be held (a gate with permits) or made to fail, separately for log
//! segments and for SSTables. They never hang the test binary: the threads they start report
//! through channels with a timeout, and a deadlocked store is leaked instead of dropped.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io;
use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use basalt::core::{Batch, Core, Durability, Lsn, Options, Routing};
use basalt_fs::{File, Fs, Mapped, StdFile, StdFs};

// ---------------------------------------------------------------------------------------------
// GateFs
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct GateState {
    closed: bool,
    permits: u64,
    /// Syncs that reached the gate so far (passed or waiting).
    arrived: u64,
    /// Syncs waiting at the gate now.
    waiting: u64,
    fail: bool,
    /// When set: this many more syncs pass, every later one fails.
    fail_after: Option<u64>,
}

#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn pass(&self) -> io::Result<()> {
        let mut s = self.state.lock().unwrap();
        s.arrived += 1;
        self.changed.notify_all();
        while s.closed && s.permits == 0 && !s.fail && s.fail_after.is_none() {
            s.waiting += 1;
            s = self.changed.wait(s).unwrap();
            s.waiting -= 1;
        }
        if let Some(n) = s.fail_after {
            if n == 0 {
                return Err(io::Error::other("injected EIO"));
            }
            s.fail_after = Some(n - 1);
            return Ok(());
        }
        if s.fail {
            return Err(io::Error::other("injected EIO"));
        }
        if s.closed {
            s.permits -= 1;
        }
        Ok(())
    }

    fn close(&self) {
        let mut s = self.state.lock().unwrap();
        s.closed = true;
        s.permits = 0;
    }

    fn open(&self) {
        self.state.lock().unwrap().closed = false;
        self.changed.notify_all();
    }

    fn allow(&self, n: u64) {
        self.state.lock().unwrap().permits += n;
        self.changed.notify_all();
    }

    fn fail(&self) {
        self.state.lock().unwrap().fail = true;
        self.changed.notify_all();
    }

    /// The next `n` syncs pass (whatever the gate), every later one fails.
    fn fail_after(&self, n: u64) {
        self.state.lock().unwrap().fail_after = Some(n);
        self.changed.notify_all();
    }

    fn arrived(&self) -> u64 {
        self.state.lock().unwrap().arrived
    }

    /// Waits until `n` syncs in total have reached the gate.
    fn wait_arrived(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut s = self.state.lock().unwrap();
        while s.arrived < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "sync #{n} never reached the gate ({} did)", s.arrived);
            s = self.changed.wait_timeout(s, left).unwrap().0;
        }
    }
}

#[derive(Clone, Default)]
struct GateFs {
    inner: StdFs,
    wal: Arc<Gate>,
    sst: Arc<Gate>,
}

struct GateFile {
    inner: StdFile,
    gate: Option<Arc<Gate>>,
}

impl GateFs {
    fn gate_for(&self, path: &Path) -> Option<Arc<Gate>> {
        let name = path.to_string_lossy();
        if path.components().any(|c| c.as_os_str() == "wal") {
            Some(self.wal.clone())
        } else if name.ends_with(".sst.tmp") {
            Some(self.sst.clone())
        } else {
            None
        }
    }

    fn wrap(&self, path: &Path, inner: StdFile) -> GateFile {
        GateFile { inner, gate: self.gate_for(path) }
    }
}

impl File for GateFile {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> io::Result<()> {
        if let Some(gate) = &self.gate {
            gate.pass()?;
        }
        self.inner.sync_data()
    }
}

impl Fs for GateFs {
    type File = GateFile;
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        // A failing log gate also refuses to create the log directory: the state a crash right
        // after a new store's first manifest leaves.
        if path.ends_with("wal") && self.wal.state.lock().unwrap().fail {
            return Err(io::Error::other("log directory refused"));
        }
        self.inner.create_dir_all(path)
    }
    fn create_new(&self, path: &Path) -> io::Result<GateFile> {
        Ok(self.wrap(path, self.inner.create_new(path)?))
    }
    fn open(&self, path: &Path) -> io::Result<GateFile> {
        Ok(self.wrap(path, self.inner.open(path)?))
    }
    fn open_read(&self, path: &Path) -> io::Result<GateFile> {
        Ok(self.wrap(path, self.inner.open_read(path)?))
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn rename(&self, source: &Path, target: &Path) -> io::Result<()> {
        self.inner.rename(source, target)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.inner.read_dir(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
    fn map_read(&self, path: &Path) -> io::Result<Mapped> {
        self.inner.map_read(path)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A key routed by its first byte (`prefix`), then `name`.
fn key(prefix: u8, name: &str) -> Vec<u8> {
    let mut key = vec![prefix, 0, 0, 0, 0, 0, 0, 0];
    key.extend_from_slice(name.as_bytes());
    key
}

/// Shard prefixes for a 3-shard store: 0x00 → shard 0, 0x60 → shard 1, 0xb0 → shard 2.
const S0: u8 = 0x00;
const S1: u8 = 0x60;
const S2: u8 = 0xb0;

/// More than the smallest freeze threshold (16 KiB): one such value freezes its shard.
fn big() -> Vec<u8> {
    vec![7; 20 << 10]
}

fn options(shards: u16, background: bool) -> Options {
    Options {
        durability: Durability::Sync,
        shards,
        // 64 KiB: every shard count used here freezes at the 16 KiB floor (2 shards: 64/4).
        memory_budget_bytes: 64 << 10,
        table_target_bytes: 1 << 20,
        level_base_bytes: 4 << 20,
        wal_segment_bytes: 4 << 20,
        background,
        routing: Routing::HashPrefix,
    }
}

/// A fresh directory that is never deleted (tests that deadlock leak their store).
fn leaked_dir() -> PathBuf {
    tempfile::Builder::new().prefix("basalt-review-").tempdir().unwrap().keep()
}

/// Runs `work` on a thread; its result arrives on the returned channel.
fn spawn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx
}

fn batch(ops: &[(&[u8], &[u8])]) -> Batch {
    let mut batch = Batch::new();
    for (k, v) in ops {
        batch.put(k, v);
    }
    batch
}

fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

// ---------------------------------------------------------------------------------------------
// Finding 1: a multi-shard writer waiting in `lock_for_write` for a freeze holds the writer
// locks of lower shards; the batch whose publication would do that freeze needs one of them.
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_shard_writer_waiting_for_a_freeze_deadlocks_with_the_batch_that_would_freeze() {
    let fs = GateFs::default();
    let core = Arc::new(Core::open_with(fs.clone(), leaked_dir(), options(2, false)).unwrap());
    std::mem::forget(core.clone()); // never run Drop on a possibly deadlocked store

    fs.wal.close();
    let syncs = fs.wal.arrived();
    // M: shard 0 (small) + shard 1 (past the freeze threshold): shard 1 now wants a freeze,
    // which happens when M publishes; M waits for its log sync, held by the gate.
    let m = {
        let core = core.clone();
        spawn(move || core.write(batch(&[(&key(0x00, "m"), b"m"), (&key(0x80, "m"), &big())])))
    };
    fs.wal.wait_arrived(syncs + 1);
    // W: shard 0 + shard 1: takes shard 0's lock, then waits for shard 1's freeze.
    let w = {
        let core = core.clone();
        spawn(move || core.write(batch(&[(&key(0x00, "w"), b"w"), (&key(0x80, "w"), b"w")])))
    };
    settle();
    // M's record becomes durable; M publishes: drain_before(shard 0) needs W's lock.
    fs.wal.open();
    let m = m.recv_timeout(Duration::from_secs(10));
    let w = w.recv_timeout(Duration::from_secs(1));
    assert!(
        m.is_ok() && w.is_ok(),
        "deadlock: batch M finished: {}, batch W finished: {}",
        m.is_ok(),
        w.is_ok()
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 2: a multi-shard writer stalled by backpressure on one shard holds the writer lock
// of a lower shard; the single background worker, working on that lower shard, needs it.
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_shard_writer_stalled_by_backpressure_deadlocks_with_the_flush_worker() {
    let fs = GateFs::default();
    let core = Arc::new(Core::open_with(fs.clone(), leaked_dir(), options(3, true)).unwrap());
    std::mem::forget(core.clone());

    fs.sst.close();
    // Shard 0 freezes; the worker starts flushing it and waits at the SSTable sync.
    core.put(&key(S0, "a"), &big()).unwrap();
    fs.sst.wait_arrived(1);
    // Shard 2 collects FROZEN_TREES_MAX (4) frozen trees while the worker is busy.
    for i in 0..4 {
        core.put(&key(S2, &format!("f{i}")), &big()).unwrap();
    }
    assert_eq!(core.stats().frozen_trees, 5);
    // W (shards 0 and 2) takes shard 0's lock, then stalls on shard 2's backpressure.
    let w = {
        let core = core.clone();
        spawn(move || core.write(batch(&[(&key(S0, "w"), b"w"), (&key(S2, "w"), b"w")])))
    };
    settle();
    // The worker may go on: it finishes shard 0's flush and needs shard 0's lock to install it.
    fs.sst.open();
    let w = w.recv_timeout(Duration::from_secs(10));
    assert!(w.is_ok(), "deadlock: W waits for shard 2's flush, the worker for shard 0's lock");
}

// ---------------------------------------------------------------------------------------------
// Finding 3: after the store is poisoned, a writer stalled by backpressure is never woken
// (the worker skips all jobs, nobody notifies the shard's condition variable).
// ---------------------------------------------------------------------------------------------

#[test]
fn writer_stalled_by_backpressure_hangs_after_a_log_failure_poisons_the_store() {
    let fs = GateFs::default();
    let core = Arc::new(Core::open_with(fs.clone(), leaked_dir(), options(3, true)).unwrap());
    std::mem::forget(core.clone());

    fs.sst.close();
    core.put(&key(S0, "a"), &big()).unwrap();
    fs.sst.wait_arrived(1);
    for i in 0..4 {
        core.put(&key(S2, &format!("f{i}")), &big()).unwrap();
    }
    // S stalls on shard 2 (4 frozen trees; the worker is busy with shard 0).
    let s = {
        let core = core.clone();
        spawn(move || core.put(&key(S2, "s"), b"s"))
    };
    settle();
    // A log sync fails: the store is poisoned.
    fs.wal.fail();
    assert!(core.put(&key(S1, "b"), b"b").is_err());
    // The worker finishes shard 0's flush, then skips every job because the store is poisoned.
    fs.sst.open();
    let s = s.recv_timeout(Duration::from_secs(10));
    assert!(s.is_ok(), "the stalled writer never returned after the store was poisoned");
    assert!(s.unwrap().is_err(), "and it must fail with Poisoned");
}

// ---------------------------------------------------------------------------------------------
// Finding 5: `table_target_bytes: 0` makes compaction write empty SSTables forever.
// ---------------------------------------------------------------------------------------------

#[test]
fn zero_table_target_bytes_makes_compaction_loop_forever() {
    let dir = leaked_dir();
    let opts = Options { table_target_bytes: 0, ..options(1, false) };
    let core = match Core::open(&dir, opts) {
        Ok(core) => Arc::new(core),
        Err(e) => return eprintln!("refused at open (fixed): {e}"),
    };
    std::mem::forget(core.clone());
    core.put(b"k1", b"v").unwrap();
    core.flush().unwrap();
    let done = {
        let core = core.clone();
        spawn(move || core.compact())
    };
    let result = done.recv_timeout(Duration::from_secs(2));
    let files = std::fs::read_dir(dir.join("tables")).map(|d| d.count()).unwrap_or(0);
    assert!(result.is_ok(), "compact did not return within 2 s; tables/ holds {files} files");
}

// ---------------------------------------------------------------------------------------------
// Finding 6: `Options { shards: 0 }` panics in `open` (even for an existing store, whose
// manifest fixes the count) instead of returning an error.
// ---------------------------------------------------------------------------------------------

#[test]
fn zero_shards_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    Core::open(dir.path(), options(2, false)).unwrap().close().unwrap();
    let result = std::panic::catch_unwind(|| Core::open(dir.path(), options(0, false)).map(|_| ()));
    assert!(result.is_ok(), "Core::open panicked on Options {{ shards: 0 }}");
}

// ---------------------------------------------------------------------------------------------
// Checks that pass: read precedence and compaction across levels, ranges across shards, reopen.
// ---------------------------------------------------------------------------------------------

fn all(core: &Core) -> Vec<(Vec<u8>, Vec<u8>)> {
    core.snapshot()
        .range(..)
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn precedence_live_frozen_l0_l1_and_tombstones_survive_compaction_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(4, false);
    let core = Core::open(dir.path(), opts.clone()).unwrap();
    let k = |i: u8| key(i * 0x40, "x");
    // Oldest: every shard has k = "v1" in L1 after a full compaction.
    for i in 0..4 {
        core.put(&k(i), b"v1").unwrap();
    }
    core.flush().unwrap();
    core.compact().unwrap();
    // L0: deletes of shard 0 and 1's keys.
    core.delete(&k(0)).unwrap();
    core.delete(&k(1)).unwrap();
    core.flush().unwrap();
    // Frozen would need a freeze; live: shard 1's key comes back, shard 2 overwritten.
    core.put(&k(1), b"v3").unwrap();
    core.put(&k(2), b"v3").unwrap();
    let expect = vec![(k(1), b"v3".to_vec()), (k(2), b"v3".to_vec()), (k(3), b"v1".to_vec())];
    assert_eq!(all(&core), expect);
    let rev: Vec<_> = core.snapshot().range_rev(..).map(|r| r.unwrap().0.to_vec()).collect();
    assert_eq!(rev, vec![k(3), k(2), k(1)]);
    // Partial compaction with deletes at L0 over data at L1: tombstones must be kept or applied.
    for _ in 0..4 {
        core.delete(&k(3)).unwrap();
        core.flush().unwrap();
    }
    core.compact().unwrap();
    assert_eq!(all(&core), expect[..2].to_vec());
    core.close().unwrap();
    let core = Core::open(dir.path(), opts).unwrap();
    assert_eq!(all(&core), expect[..2].to_vec());
    assert_eq!(core.get(&k(0)).unwrap(), None);
    assert_eq!(core.get(&k(3)).unwrap(), None);
    // Ranges with bounds in different shards, both directions, excluded bounds.
    let keys = |r: basalt::core::Range<'_>| r.map(|x| x.unwrap().0.to_vec()).collect::<Vec<_>>();
    let snap = core.snapshot();
    let (k0, k1, k2) = (k(0), k(1), k(2));
    fn b<'a>(s: Bound<&'a Vec<u8>>, e: Bound<&'a Vec<u8>>) -> (Bound<&'a [u8]>, Bound<&'a [u8]>) {
        (s.map(|v| v.as_slice()), e.map(|v| v.as_slice()))
    }
    assert_eq!(keys(snap.range(b(Included(&k0), Excluded(&k2)))), vec![k(1)]);
    assert_eq!(keys(snap.range_rev(b(Included(&k0), Included(&k2)))), vec![k(2), k(1)]);
    assert_eq!(keys(snap.range(b(Excluded(&k1), Included(&k2)))), vec![k(2)]);
    assert_eq!(keys(snap.range_rev(b(Excluded(&k1), Unbounded))), vec![k(2)]);
    assert!(keys(snap.range(b(Included(&k2), Excluded(&k1)))).is_empty());
    assert!(keys(snap.range_rev(b(Excluded(&k1), Excluded(&k1)))).is_empty());
}

#[test]
fn reopen_after_drop_without_close_keeps_lsns_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(2, false);
    let core = Core::open(dir.path(), opts.clone()).unwrap();
    let mut last = Lsn(0);
    for i in 0..50u32 {
        last = core.put(&key(0x80, &i.to_string()), b"v").unwrap();
    }
    core.flush().unwrap();
    drop(core);
    let core = Core::open(dir.path(), opts).unwrap();
    let next = core.put(&key(0, "after"), b"v").unwrap();
    assert!(next > last, "LSN {next:?} reused after reopen (last was {last:?})");
}

// ---------------------------------------------------------------------------------------------
// Findings 1 and 2 without any gate: plain files, several threads writing two-shard batches
// whose shard-1 halves are larger (shard 1 reaches its freeze threshold first).
// ---------------------------------------------------------------------------------------------

fn two_shard_batches_under_load(background: bool) {
    let dir = leaked_dir();
    let core = Arc::new(Core::open(&dir, options(2, background)).unwrap());
    std::mem::forget(core.clone());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let core = core.clone();
            spawn(move || {
                for i in 0..400 {
                    let name = format!("{t}-{i}");
                    let b = batch(&[(&key(0x00, &name), b"s"), (&key(0x80, &name), &[1; 3000])]);
                    core.write(b).unwrap();
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    for (t, done) in threads.into_iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            done.recv_timeout(left).is_ok(),
            "thread {t} did not finish within 60 s: deadlock (stats {:?})",
            core.stats()
        );
    }
}

#[test]
fn two_shard_batches_under_load_without_background_work() {
    two_shard_batches_under_load(false);
}

#[test]
fn two_shard_batches_under_load_with_background_work() {
    two_shard_batches_under_load(true);
}

// ---------------------------------------------------------------------------------------------
// Finding 7: `delete_obsolete_log` runs outside the maintenance lock (from `Core::flush` and
// from the worker), and `Wal::delete_below` is not safe to run twice at once: both pick the
// same oldest segment, the second `remove_file` fails with NotFound, and the store is poisoned.
// ---------------------------------------------------------------------------------------------

#[test]
fn concurrent_flushes_race_on_log_deletion_and_poison_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { wal_segment_bytes: 16 << 10, ..options(2, false) };
    let core = Arc::new(Core::open(dir.path(), opts).unwrap());
    let mut failures = Vec::new();
    for round in 0..20 {
        // Many small segments, each removal followed by a directory sync.
        for i in 0..200 {
            core.put(&key(0x80, &format!("{round}-{i}")), &[3; 1000]).unwrap();
        }
        let flushes: Vec<_> = (0..2)
            .map(|_| {
                let core = core.clone();
                spawn(move || core.flush())
            })
            .collect();
        for flush in flushes {
            if let Err(e) = flush.recv_timeout(Duration::from_secs(30)).unwrap() {
                failures.push(format!("round {round}: {e}"));
            }
        }
        if !failures.is_empty() {
            break;
        }
    }
    assert!(failures.is_empty(), "concurrent Core::flush calls failed: {failures:?}");
}

// ---------------------------------------------------------------------------------------------
// Finding 8: recovery replays from the log's oldest LSN, not from the oldest LSN the shards
// need (min flushed_lsn + 1), so a log missing its oldest segment(s) opens silently without
// the records they held, instead of failing `open` (`read_from` would report LsnDeleted).
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_oldest_log_segment_fails_open_instead_of_losing_writes_silently() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { wal_segment_bytes: 16 << 10, ..options(2, false) };
    let core = Core::open(dir.path(), opts.clone()).unwrap();
    for i in 0..100u32 {
        core.put(&key(0x80, &format!("{i:03}")), &[5; 1000]).unwrap();
    }
    drop(core); // no flush: every write lives only in the log
    let first = dir.path().join("wal").join(format!("{:020}.wal", 1));
    std::fs::remove_file(&first).unwrap();
    match Core::open(dir.path(), opts) {
        Err(e) => eprintln!("open failed as it should: {e}"),
        Ok(core) => {
            let present = (0..100u32)
                .filter(|i| core.get(&key(0x80, &format!("{i:03}"))).unwrap().is_some())
                .count();
            panic!("open succeeded with {present} of 100 acknowledged writes; the rest is gone");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 4: `discard_unpublished` after a log failure also drops sealed roots whose records
// were durable, without relying on a writer that holds locks while it waits (so it also
// holds once findings 1 and 2 are fixed): one group {M, A} is durable, the next group {B}
// fails. B's `discard_unpublished` on the last shard races with M's publication, which walks
// every shard; with many shards B wins, and both A and M were acknowledged.
// ---------------------------------------------------------------------------------------------

/// A key of shard `shard` of `count`, then `name`.
fn key_of_shard(shard: u16, count: u16, name: &str) -> Vec<u8> {
    let prefix = ((u128::from(shard) << 64).div_ceil(u128::from(count))) as u64;
    let mut key = prefix.to_be_bytes().to_vec();
    key.extend_from_slice(name.as_bytes());
    key
}

#[test]
fn log_failure_discards_acknowledged_writes_race() {
    // Many shards make M's publication long, so B's discard lands first. Stores that cap the
    // shard count get the cap (the race is then narrower).
    let probe = leaked_dir();
    let shards: u16 = if Core::open(&probe, options(32768, false)).is_ok() { 32768 } else { 1024 };
    let last = move |name: &str| key_of_shard(shards - 1, shards, name);
    let mut outcomes = Vec::new();
    for attempt in 0..5 {
        let fs = GateFs::default();
        let dir = leaked_dir();
        let core = Arc::new(Core::open_with(fs.clone(), &dir, options(shards, false)).unwrap());
        std::mem::forget(core.clone());
        fs.wal.close();
        let syncs = fs.wal.arrived();
        // Z: a leader whose sync is held, so that M and A queue into the next group.
        let z = {
            let core = core.clone();
            spawn(move || core.put(&key(0x00, "z"), b"z"))
        };
        fs.wal.wait_arrived(syncs + 1);
        // M: one key in every shard.
        let m = {
            let core = core.clone();
            spawn(move || {
                let mut b = Batch::new();
                for shard in 0..shards {
                    b.put(key_of_shard(shard, shards, "m"), b"m");
                }
                core.write(b)
            })
        };
        settle();
        let a = {
            let core = core.clone();
            spawn(move || core.put(&last("a"), b"a"))
        };
        settle();
        // Z's group syncs; the next leader takes {M, A} and waits at the gate.
        fs.wal.allow(1);
        fs.wal.wait_arrived(syncs + 2);
        // B joins the group after that one.
        let b = {
            let core = core.clone();
            spawn(move || core.put(&last("b"), b"b"))
        };
        settle();
        // {M, A} syncs, {B} fails.
        fs.wal.fail_after(1);
        z.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
        let b = b.recv_timeout(Duration::from_secs(10)).unwrap();
        let a = a.recv_timeout(Duration::from_secs(10)).unwrap();
        let m = m.recv_timeout(Duration::from_secs(10)).unwrap();
        let snap = core.snapshot();
        let a_seen = snap.get(&last("a")).unwrap().is_some();
        let (m_first, m_last) = (key_of_shard(0, shards, "m"), last("m"));
        let m_seen = (snap.get(&m_first).unwrap().is_some(), snap.get(&m_last).unwrap().is_some());
        let outcome = format!(
            "attempt {attempt}: B {:?}, A {:?} visible {a_seen}, M {:?} visible (shard 0, shard \
             {}) = {m_seen:?}",
            b.is_ok(),
            a.as_ref().map(|_| ()),
            m.as_ref().map(|_| ()),
            shards - 1
        );
        eprintln!("{outcome}");
        let bad = (a.is_ok() && !a_seen) || (m.is_ok() && m_seen.0 != m_seen.1);
        outcomes.push((bad, outcome));
        if bad {
            break;
        }
    }
    let bad: Vec<_> = outcomes.iter().filter(|(bad, _)| *bad).map(|(_, o)| o).collect();
    assert!(bad.is_empty(), "acknowledged writes invisible / batch split: {bad:?}");
}

// ---------------------------------------------------------------------------------------------
// Finding 9: a crash between writing a new store's first manifest and creating its log must
// leave a store that opens (it never held anything).
// ---------------------------------------------------------------------------------------------

#[test]
fn crash_between_creating_the_manifest_and_the_log_leaves_an_openable_store() {
    let dir = tempfile::tempdir().unwrap();
    let fs =
        GateFs { inner: StdFs, wal: Arc::new(Gate::default()), sst: Arc::new(Gate::default()) };
    fs.wal.fail();
    assert!(
        Core::open_with(fs, dir.path(), options(2, false)).is_err(),
        "the log cannot be created"
    );
    assert!(dir.path().join("MANIFEST").exists() && !dir.path().join("wal").exists());
    let reopened = Core::open(dir.path(), options(2, false));
    assert!(reopened.is_ok(), "a never-used store cannot be opened: {:?}", reopened.err());
    drop(reopened);
    // Once the log exists, losing it is detected.
    std::fs::remove_dir_all(dir.path().join("wal")).unwrap();
    assert!(Core::open(dir.path(), options(2, false)).is_err(), "a lost log is refused");
}

// ---------------------------------------------------------------------------------------------
// Deferred writes (`Core::write_with_deferred`), from the review of the completer.

/// Polls `durable` once without a task to wake.
fn poll_once(durable: &mut basalt::core::Durable) -> bool {
    use std::future::Future;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(durable).poll(&mut cx).is_ready()
}

fn put_deferred(core: &Core<GateFs>, key: &[u8], value: &[u8]) -> basalt::core::Durable {
    let (durable, decided) = core.write_with_deferred(&[key], |_| {
        let mut batch = Batch::new();
        batch.put(key, value);
        Ok::<_, basalt::core::Error>((batch, ()))
    });
    decided.unwrap();
    durable
}

/// A deferred write that writes nothing (a condition that fails, a delete of a missing item)
/// on a shard holding another deferred write not yet durable blocked its caller until the log
/// synced: an event loop stalled for a group commit. Now the call returns at once and its
/// `Durable` becomes ready once what its decision read is durable and visible.
#[test]
fn deferred_write_that_writes_nothing_blocked_its_caller_for_the_log() {
    let fs = GateFs::default();
    let core = Arc::new(Core::open_with(fs.clone(), leaked_dir(), options(3, false)).unwrap());
    fs.wal.close();
    let syncs = fs.wal.arrived();
    let mut first = put_deferred(&core, &key(S0, "a"), b"1");
    fs.wal.wait_arrived(syncs + 1);
    assert!(!poll_once(&mut first), "the put is durable only once its sync passes");
    // Decides on the same shard (so its read sees the put in flight) and writes nothing.
    let core2 = core.clone();
    let call = spawn(move || {
        let (durable, decided) = core2.write_with_deferred(&[&key(S0, "a")], |values| {
            Ok::<_, basalt::core::Error>((Batch::new(), values[0].as_deref().map(<[u8]>::to_vec)))
        });
        (durable, decided.unwrap())
    });
    let (mut second, saw) = call.recv_timeout(Duration::from_secs(10)).expect("the call returned");
    assert_eq!(saw.as_deref(), Some(&b"1"[..]), "the decision saw the put in flight");
    assert!(!poll_once(&mut second), "what it saw is not durable yet");
    fs.wal.open();
    assert_eq!(second.wait().unwrap(), None, "it wrote nothing");
    assert!(poll_once(&mut first));
    assert_eq!(core.get(&key(S0, "a")).unwrap().as_deref(), Some(&b"1"[..]), "and it is visible");
    std::mem::forget(core);
}

/// A log failure with several deferred writes in one run: those of a group synced before the
/// failure are durable and answered, the rest fail and are never visible.
#[test]
fn log_failure_with_deferred_writes_in_flight_fails_only_the_lost_ones() {
    let fs = GateFs::default();
    let core = Arc::new(Core::open_with(fs.clone(), leaked_dir(), options(3, false)).unwrap());
    fs.wal.close();
    let syncs = fs.wal.arrived();
    let first = put_deferred(&core, &key(S0, "a"), b"1");
    // The completer is syncing the group of `a`; the next two make another group.
    fs.wal.wait_arrived(syncs + 1);
    let second = put_deferred(&core, &key(S0, "b"), b"2");
    let third = put_deferred(&core, &key(S1, "c"), b"3");
    fs.wal.fail_after(1);
    assert!(first.wait().is_ok(), "its group synced");
    assert!(second.wait().is_err() && third.wait().is_err(), "their group failed");
    assert_eq!(core.get(&key(S0, "a")).unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(core.get(&key(S0, "b")).unwrap(), None);
    assert_eq!(core.get(&key(S1, "c")).unwrap(), None);
    core.settle();
    std::mem::forget(core);
}

/// Dropping the store with deferred writes queued completes them first.
#[test]
fn dropping_the_store_completes_the_deferred_writes_queued() {
    let fs = GateFs::default();
    let dir = leaked_dir();
    let core = Core::open_with(fs.clone(), &dir, options(3, true)).unwrap();
    fs.wal.close();
    let syncs = fs.wal.arrived();
    let first = put_deferred(&core, &key(S0, "a"), b"1");
    fs.wal.wait_arrived(syncs + 1);
    let second = put_deferred(&core, &key(S1, "b"), b"2");
    let gate = fs.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        gate.wal.open();
    });
    drop(core);
    assert!(first.wait().unwrap().is_some());
    assert!(second.wait().unwrap().is_some());
    let core = Core::open_with(fs, &dir, options(3, true)).unwrap();
    assert_eq!(core.get(&key(S1, "b")).unwrap().as_deref(), Some(&b"2"[..]));
    core.close().unwrap();
}

/// A completer that panicked (here: in a hook an embedder gave `Durable::on_ready`) left the
/// other deferred writes waiting forever, and `settle` with them. Now they fail, the store is
/// poisoned, and `settle` returns.
#[test]
fn a_panic_on_the_completer_fails_the_deferred_writes_instead_of_hanging_them() {
    let fs = GateFs::default();
    let core = Arc::new(Core::open_with(fs.clone(), leaked_dir(), options(3, false)).unwrap());
    fs.wal.close();
    let syncs = fs.wal.arrived();
    let first = put_deferred(&core, &key(S0, "a"), b"1");
    first.on_ready(|_| panic!("a hook that panics"));
    fs.wal.wait_arrived(syncs + 1);
    // Queued behind the run the completer is syncing.
    let second = put_deferred(&core, &key(S1, "b"), b"2");
    let third = put_deferred(&core, &key(S2, "c"), b"3");
    fs.wal.open();
    assert!(first.wait().is_ok(), "its outcome was left before the hook ran");
    let results = spawn(move || (second.wait(), third.wait()));
    let (second, third) = results.recv_timeout(Duration::from_secs(10)).expect("no hang");
    assert!(second.is_err() && third.is_err(), "{second:?} {third:?}");
    let settle = spawn({
        let core = core.clone();
        move || core.settle()
    });
    settle.recv_timeout(Duration::from_secs(10)).expect("settle returns");
    let refused = put_deferred_result(&core, &key(S0, "d"), b"4");
    assert!(matches!(refused, Err(basalt::core::Error::Poisoned { .. })), "{refused:?}");
    std::mem::forget(core);
}

fn put_deferred_result(
    core: &Core<GateFs>,
    key: &[u8],
    value: &[u8],
) -> basalt::core::Result<Option<Lsn>> {
    let (durable, decided) = core.write_with_deferred(&[key], |_| {
        let mut batch = Batch::new();
        batch.put(key, value);
        Ok::<_, basalt::core::Error>((batch, ()))
    });
    decided?;
    durable.wait()
}
