//! `Core::write_with`: read-check-write under the shard writer locks.
//!
//! Goal: the reads see the shards' working state (a write applied but not yet durable), the
//! decision and its write are atomic against every other write of those shards (no lost
//! update), a value is reported only once it is durable, and every path that writes nothing
//! (a `decide` error, an empty batch, a batch writing an unlocked shard, empty `reads`)
//! changes nothing. Method: concurrent counters over one and two shards, and a log whose syncs
//! can be held (`GateFs`) to catch a write between apply and publication.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use basalt::core::{Batch, Bytes, Core, Durability, Error, Options, Routing};
use basalt_fs::{File, Fs, Mapped, StdFile, StdFs};

/// A key routed to shard `shard` of 2 (hash-prefix routing).
fn key(shard: u8, name: &str) -> Vec<u8> {
    let mut key = vec![shard * 0x80, 0, 0, 0, 0, 0, 0, 0];
    key.extend_from_slice(name.as_bytes());
    key
}

fn options(routing: Routing) -> Options {
    Options {
        shards: 2,
        durability: Durability::Sync,
        background: false,
        routing,
        ..Options::default()
    }
}

fn count(value: Option<&Bytes>) -> u64 {
    value.map_or(0, |v| u64::from_le_bytes(v[..8].try_into().unwrap()))
}

/// Adds one to every key of `keys` (read and written together).
fn increment<F: Fs>(core: &Core<F>, keys: &[&[u8]]) {
    let (lsn, ()) = core
        .write_with(keys, |values| {
            let mut batch = Batch::new();
            for (key, value) in keys.iter().zip(values) {
                batch.put(key, (count(value.as_ref()) + 1).to_le_bytes());
            }
            Ok::<_, Error>((batch, ()))
        })
        .unwrap();
    assert!(lsn.is_some());
}

fn counters_end_exact(keys: &[Vec<u8>], routing: Routing) {
    const THREADS: usize = 6;
    const TIMES: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), options(routing)).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
                for _ in 0..TIMES {
                    increment(&core, &keys);
                }
            });
        }
    });
    for key in keys {
        assert_eq!(count(core.get(key).unwrap().as_ref()), (THREADS * TIMES) as u64);
    }
    core.close().unwrap();
    let core = Core::open(dir.path(), options(Routing::HashPrefix)).unwrap();
    assert_eq!(core.routing(), routing);
    for key in keys {
        assert_eq!(count(core.get(key).unwrap().as_ref()), (THREADS * TIMES) as u64);
    }
}

#[test]
fn concurrent_increments_of_one_shard_lose_no_update() {
    counters_end_exact(&[key(0, "counter")], Routing::HashPrefix);
}

#[test]
fn concurrent_increments_across_two_shards_lose_no_update() {
    counters_end_exact(&[key(1, "b"), key(0, "a")], Routing::HashPrefix);
}

#[test]
fn concurrent_increments_under_spaced_routing_lose_no_update() {
    let spaced = |shard: u8| [&[0, 0, 0, 7][..], &key(shard, "c")].concat();
    counters_end_exact(&[spaced(0), spaced(1)], Routing::Spaced);
}

#[test]
fn a_decide_error_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), options(Routing::HashPrefix)).unwrap();
    let k = key(0, "k");
    core.put(&k, b"old").unwrap();
    let result: Result<(Option<_>, ()), Error> = core.write_with(&[&k], |values| {
        assert_eq!(values[0].as_deref(), Some(&b"old"[..]));
        Err(Error::InvalidArgument("condition failed".into()))
    });
    assert!(matches!(result, Err(Error::InvalidArgument(_))));
    assert_eq!(core.get(&k).unwrap().as_deref(), Some(&b"old"[..]));
    let published = core.stats().published_lsn;
    core.put(&k, b"new").unwrap();
    assert_eq!(core.stats().published_lsn.0, published.0 + 1, "no LSN was used");
}

#[test]
fn an_empty_batch_writes_nothing_and_returns_none() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), options(Routing::HashPrefix)).unwrap();
    let (a, b) = (key(0, "a"), key(1, "b"));
    core.put(&a, b"1").unwrap();
    let published = core.stats().published_lsn;
    let (lsn, seen) = core
        .write_with(&[&b, &a], |values| Ok::<_, Error>((Batch::new(), values.to_vec())))
        .unwrap();
    assert_eq!(lsn, None);
    assert_eq!(seen[0], None);
    assert_eq!(seen[1].as_deref(), Some(&b"1"[..]));
    assert_eq!(core.stats().published_lsn, published);
}

#[test]
fn a_batch_writing_an_unlocked_shard_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), options(Routing::HashPrefix)).unwrap();
    let (a, b) = (key(0, "a"), key(1, "b"));
    let result = core.write_with(&[&a], |_| {
        let mut batch = Batch::new();
        batch.put(&a, b"x").put(&b, b"y");
        Ok::<_, Error>((batch, ()))
    });
    assert!(matches!(result, Err(Error::InvalidArgument(_))), "{result:?}");
    assert_eq!(core.get(&a).unwrap(), None);
    assert_eq!(core.get(&b).unwrap(), None);
    // The locks were released: both shards still take writes.
    increment(&core, &[&a, &b]);
    let empty: Result<(Option<_>, ()), Error> = core.write_with(&[], |_| unreachable!());
    assert!(matches!(empty, Err(Error::InvalidArgument(_))));
    let invalid = core.write_with(&[&a], |_| {
        let mut batch = Batch::new();
        batch.put(b"", b"empty key");
        Ok::<_, Error>((batch, ()))
    });
    assert!(matches!(invalid, Err(Error::EmptyKey)), "{invalid:?}");
    assert_eq!(count(core.get(&a).unwrap().as_ref()), 1);
}

#[test]
fn values_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (key(0, "a"), key(1, "b"));
    {
        let core = Core::open(dir.path(), options(Routing::HashPrefix)).unwrap();
        increment(&core, &[&a, &b]);
        increment(&core, &[&b]);
        // Dropped without close: the log replays.
    }
    let core = Core::open(dir.path(), options(Routing::HashPrefix)).unwrap();
    assert_eq!(count(core.get(&a).unwrap().as_ref()), 1);
    assert_eq!(count(core.get(&b).unwrap().as_ref()), 2);
}

/// A write another thread has applied but the log has not yet synced is seen by `write_with`,
/// which reports it only once it is durable (published), even when it writes nothing.
#[test]
fn reads_see_an_applied_write_and_report_it_only_once_durable() {
    let fs = GateFs::default();
    let dir = tempfile::tempdir().unwrap();
    let core =
        Arc::new(Core::open_with(fs.clone(), dir.path(), options(Routing::HashPrefix)).unwrap());
    let k = key(1, "k");
    let synced_before = fs.gate.arrived();
    fs.gate.close();
    let writer = {
        let (core, k) = (core.clone(), k.clone());
        std::thread::spawn(move || core.put(&k, b"v").unwrap())
    };
    fs.gate.wait_arrived(synced_before + 1);
    let (seen_tx, seen_rx) = mpsc::channel();
    let returned = Arc::new(AtomicBool::new(false));
    let reader = {
        let (core, k, returned) = (core.clone(), k.clone(), returned.clone());
        std::thread::spawn(move || {
            let result = core.write_with(&[&k], |values| {
                seen_tx.send(values[0].clone()).unwrap();
                Ok::<_, Error>((Batch::new(), values[0].clone()))
            });
            // ORDERING: SeqCst: a test flag, read after the sleep below.
            returned.store(true, Ordering::SeqCst);
            result
        })
    };
    let seen = seen_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(seen.as_deref(), Some(&b"v"[..]), "the working state holds the applied write");
    assert_eq!(core.get(&k).unwrap(), None, "not yet durable, so not published");
    std::thread::sleep(Duration::from_millis(100));
    // ORDERING: SeqCst, as above.
    assert!(!returned.load(Ordering::SeqCst), "reported a value that was not durable");
    fs.gate.open();
    writer.join().unwrap();
    let (lsn, value) = reader.join().unwrap().unwrap();
    assert_eq!((lsn, value.as_deref()), (None, Some(&b"v"[..])));
    assert_eq!(core.get(&k).unwrap().as_deref(), Some(&b"v"[..]));
}

// ---------------------------------------------------------------------------------------------
// GateFs: StdFs whose log syncs can be held.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Gate {
    /// (closed, syncs that reached the gate)
    state: Mutex<(bool, u64)>,
    changed: Condvar,
}

impl Gate {
    fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        self.changed.notify_all();
        while state.0 {
            state = self.changed.wait(state).unwrap();
        }
    }

    fn close(&self) {
        self.state.lock().unwrap().0 = true;
    }

    fn open(&self) {
        self.state.lock().unwrap().0 = false;
        self.changed.notify_all();
    }

    fn arrived(&self) -> u64 {
        self.state.lock().unwrap().1
    }

    fn wait_arrived(&self, n: u64) {
        let mut state = self.state.lock().unwrap();
        while state.1 < n {
            let (next, timeout) =
                self.changed.wait_timeout(state, Duration::from_secs(10)).unwrap();
            assert!(!timeout.timed_out(), "sync #{n} never reached the gate");
            state = next;
        }
    }
}

#[derive(Clone, Default)]
struct GateFs {
    inner: StdFs,
    gate: Arc<Gate>,
}

struct GateFile {
    inner: StdFile,
    gate: Option<Arc<Gate>>,
}

impl GateFs {
    fn wrap(&self, path: &Path, inner: StdFile) -> GateFile {
        let is_log = path.components().any(|c| c.as_os_str() == "wal");
        GateFile { inner, gate: is_log.then(|| self.gate.clone()) }
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
            gate.pass();
        }
        self.inner.sync_data()
    }
}

impl Fs for GateFs {
    type File = GateFile;
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
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
