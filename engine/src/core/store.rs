//! `Core`: the storage core's handle, and its write and read paths.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;

use basalt_fs::{Fs, SystemFs};
use basalt_wal::{Durability, Lsn, Ticket, Wal};

use crate::core::batch::{self, Batch, Op};
use crate::core::bytes::Bytes;
use crate::core::defer::{Durable, Queue, Slot};
use crate::core::error::{io_error, Error, Result};
use crate::core::manifest::Manifest;
use crate::core::options::Options;
use crate::core::route::{Routing, ShardId};
use crate::core::seqlock::Seqlock;
use crate::core::shard::{Shard, WriterState};
use crate::core::snapshot::Snapshot;
use crate::core::version::TableFile;

/// A sharded, durable, ordered key-value store: the storage core under Basalt's DynamoDB layer.
///
/// Keys are byte strings ordered bytewise; the first eight bytes pick the key's shard
/// ([`ShardId::of`]), so callers put a hash there to spread load (under [`Routing::Spaced`],
/// the eight bytes after a 4-byte space id). Every write goes through the
/// write-ahead log and becomes visible, to every reader, only once it is as durable as the
/// store's [`Durability`] promises; a [`Batch`] is atomic and becomes visible at once in every
/// shard it touches. Reads never take a lock and never wait for writers. `docs/core.md`
/// describes the design and the files.
///
/// # Concurrency
/// `Core` is `Send + Sync`; share it with `Arc`. Writes to different shards proceed in
/// parallel and meet only in the log's group commit; writes to one shard are applied one at a
/// time but wait for the disk together.
///
/// # Example
/// ```
/// use basalt::core::{Batch, Core, Options};
///
/// let dir = tempfile::tempdir()?;
/// let core = Core::open(dir.path(), Options::default())?;
/// core.put(b"key-0001", b"hello")?;
/// let mut batch = Batch::new();
/// batch.put(b"key-0002", b"world").delete(b"key-0001");
/// core.write(batch)?;
/// assert_eq!(core.get(b"key-0001")?, None);
/// let all: Vec<_> = core.snapshot().range(..).collect::<Result<_, _>>()?;
/// assert_eq!(all.len(), 1);
/// core.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Core<F: Fs = SystemFs> {
    inner: Arc<Inner<F>>,
    worker: Option<JoinHandle<()>>,
}

/// The state shared with the background worker.
pub(crate) struct Inner<F: Fs> {
    pub(crate) fs: F,
    pub(crate) dir: PathBuf,
    pub(crate) options: Options,
    pub(crate) wal: Wal<F>,
    pub(crate) shards: Box<[Shard]>,
    /// How keys map to shards: the manifest's rule, whatever the options say.
    routing: Routing,
    /// The manifest as last written; changed only under `maintenance`.
    pub(crate) manifest: Mutex<Manifest>,
    /// Serializes flushes and compactions.
    pub(crate) maintenance: Mutex<()>,
    /// SSTables no version lists any more, removed once no snapshot maps them.
    pub(crate) graveyard: Mutex<Vec<Arc<TableFile>>>,
    pub(crate) poisoned: OnceLock<Arc<Error>>,
    /// The multi-shard publication seqlock: odd while a multi-shard write is being published.
    txn_seq: Seqlock,
    pub(crate) jobs: Mutex<Jobs>,
    pub(crate) jobs_ready: Condvar,
    pub(crate) counters: Counters,
    /// Deferred writes waiting for the completer thread (`defer`), and that thread once
    /// started (on the first deferred write).
    deferred: Queue<Deferred>,
    completer: Mutex<Option<JoinHandle<()>>>,
}

/// A write handed to the completer, and where its outcome goes.
struct Deferred {
    pending: Pending,
    slot: Arc<Slot>,
}

/// The jobs of a run the completer has not finished. Should the completer panic (a broken
/// invariant), they fail and the store is poisoned, so that no owner (nor a `settle`) waits
/// forever.
struct Unfinished<'a, F: Fs> {
    jobs: std::vec::IntoIter<Deferred>,
    /// The job being completed.
    current: Option<Arc<Slot>>,
    inner: &'a Inner<F>,
}

impl<F: Fs> Drop for Unfinished<'_, F> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let error = self.inner.poison(Error::Panicked { thread: "completer" });
        let Error::Poisoned { cause } = error else { unreachable!("poison returns Poisoned") };
        let mut count = 0;
        let slots = self.current.take().into_iter().chain(self.jobs.by_ref().map(|job| job.slot));
        for slot in slots {
            slot.fail_if_pending(Error::Poisoned { cause: cause.clone() });
            count += 1;
        }
        self.inner.deferred.completed(count);
        // No completer from now on: later deferred writes complete in their callers (and the
        // poisoned store refuses new ones); those queued already fail.
        self.inner.deferred.stop();
        while let Some(run) = self.inner.deferred.take() {
            let count = run.len();
            for job in run {
                job.slot.fail_if_pending(Error::Poisoned { cause: cause.clone() });
            }
            self.inner.deferred.completed(count);
        }
    }
}

/// What a [`Core::write_with`] leaves to wait for before its outcome may be reported.
enum Pending {
    /// Nothing.
    Nothing,
    /// Nothing was written, but the reads saw changes not yet published: these shards must
    /// publish through these LSNs first.
    Seen(Vec<(ShardId, Lsn)>),
    /// The write, applied and sealed, waiting for the log.
    Applied(Applied),
}

impl Pending {
    fn seen(seen: Vec<(ShardId, Lsn)>) -> Pending {
        if seen.is_empty() {
            Pending::Nothing
        } else {
            Pending::Seen(seen)
        }
    }

    /// The last LSN the log must make durable for this to complete.
    fn last_lsn(&self) -> Option<Lsn> {
        match self {
            Pending::Nothing => None,
            Pending::Seen(seen) => seen.iter().map(|&(_, lsn)| lsn).max(),
            Pending::Applied(applied) => Some(applied.ticket.last),
        }
    }
}

/// A write applied under its writer locks, waiting for the log ([`Inner::complete`]).
struct Applied {
    ticket: Ticket,
    /// The shards it changed, ascending.
    touched: Vec<ShardId>,
    payload_bytes: usize,
}

/// Byte counts for write amplification.
#[derive(Default)]
pub(crate) struct Counters {
    /// Log payload bytes of acknowledged writes.
    pub(crate) written_bytes: AtomicU64,
    /// SSTable bytes written by flushes.
    pub(crate) flushed_bytes: AtomicU64,
    /// SSTable bytes written by compactions.
    pub(crate) compacted_bytes: AtomicU64,
}

/// Background work that is due.
#[derive(Default)]
pub(crate) struct Jobs {
    pub(crate) flush: std::collections::BTreeSet<usize>,
    pub(crate) cold: std::collections::BTreeSet<usize>,
    pub(crate) compact: std::collections::BTreeSet<usize>,
    pub(crate) stop: bool,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Core<SystemFs> {
    /// Opens (creating if needed) the store in `dir`, on the system's file layer.
    ///
    /// # Errors
    /// I/O errors; [`Error::Corrupt`] or a log or SSTable error naming damaged bytes;
    /// [`Error::Incompatible`].
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Core<SystemFs>> {
        Core::open_with(SystemFs::default(), dir, options)
    }
}

impl<F: Fs> Core<F> {
    /// As [`Core::open`], on the file layer `fs`.
    ///
    /// # Errors
    /// As [`Core::open`].
    pub fn open_with(fs: F, dir: impl AsRef<Path>, options: Options) -> Result<Core<F>> {
        let inner = Arc::new(Inner::open(fs, dir.as_ref(), options)?);
        let worker = inner.options.background.then(|| Inner::spawn_worker(&inner)).transpose()?;
        inner.schedule_due_work();
        Ok(Core { inner, worker })
    }

    /// Sets `key` to `value`; returns the write's LSN once it is durable and visible.
    ///
    /// # Errors
    /// As [`Core::write`].
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<Lsn> {
        let mut batch = Batch::new();
        batch.put(key, value);
        self.write(batch)
    }

    /// Deletes `key` (a missing key is not an error); returns the write's LSN.
    ///
    /// # Errors
    /// As [`Core::write`].
    pub fn delete(&self, key: &[u8]) -> Result<Lsn> {
        let mut batch = Batch::new();
        batch.delete(key);
        self.write(batch)
    }

    /// Applies `batch` atomically: one log record, made visible in every shard it touches at
    /// once. Returns its LSN once it is as durable as the store's durability promises.
    ///
    /// # Errors
    /// Invalid batches ([`Error::EmptyBatch`], [`Error::EmptyKey`], [`Error::KeyTooLarge`],
    /// [`Error::BatchTooLarge`]) change nothing. A log failure poisons the store: this and every
    /// later write fail ([`Error::Wal`], [`Error::Poisoned`]); reopen to recover.
    pub fn write(&self, batch: Batch) -> Result<Lsn> {
        self.inner.write(batch)
    }

    /// Reads `reads` and writes what `decide` makes of them, atomically with respect to every
    /// other write of the shards involved: the read-check-write of conditional writes, writes
    /// that return old values, and counters.
    ///
    /// Takes the writer locks of the shards of `reads` (ascending, with [`Core::write`]'s
    /// backpressure), reads each key from the shards' *working* state (which includes writes
    /// applied but not yet durable, so the write that just preceded this one on another thread
    /// is seen), and calls `decide` with the values in the order of `reads`, still holding the
    /// locks. A non-empty batch it returns is written like [`Core::write`]'s, in the same
    /// critical section: no other write of those shards comes between the reads and it. Returns
    /// `(Some(lsn), t)` once the batch is durable and visible, `(None, t)` for an empty batch.
    ///
    /// Whatever the outcome, a value `decide` saw is as durable as the store promises before
    /// this returns (a crash cannot take back what a caller reported): when nothing is written,
    /// this waits for the publication of the changes the locked shards held at read time.
    ///
    /// # Concurrency
    /// `decide` runs under writer locks: keep it short, and never call into the store from it
    /// (a write or `write_with` of a locked shard would deadlock). A panic in it writes nothing.
    /// Every operation of the batch must route to a shard of `reads` (under
    /// [`Routing::Spaced`], put the keys to write among `reads`).
    ///
    /// # Errors
    /// `decide`'s own error, after which nothing is written. [`Error::InvalidArgument`] for empty
    /// `reads` or a batch that writes an unlocked shard; the errors of [`Core::write`]; a
    /// damaged SSTable block met while reading.
    pub fn write_with<T, E: From<Error>>(
        &self,
        reads: &[&[u8]],
        decide: impl FnOnce(&[Option<Bytes>]) -> std::result::Result<(Batch, T), E>,
    ) -> std::result::Result<(Option<Lsn>, T), E> {
        self.inner.write_with(reads, decide)
    }

    /// As [`Core::write_with`], but returns as soon as the batch is applied and its log record
    /// enqueued, with a [`Durable`] that becomes ready once the write is durable and visible
    /// (`docs/core.md`, write path step 9), and with `decide`'s outcome, which the caller must
    /// not report before then: when nothing is written, the [`Durable`] becomes ready once the
    /// changes `decide` saw are durable and visible (at once if they were already). If it ends
    /// in an error, that error is the outcome (the log failed: what `decide` saw, or this write,
    /// may be lost).
    ///
    /// For callers that must not block for the log, such as an async server: the store's
    /// completer thread waits for the log once for all the writes deferred meanwhile (sharing
    /// the group commit with every other writer), publishes them and wakes their owners. This
    /// call still takes writer locks (briefly) and may wait under backpressure as
    /// [`Core::write_with`] does. Under [`Durability::None`] (no wait for the log to hand off)
    /// and for a write locking several shards (its publication may have to wait for other
    /// multi-shard writes, which the completer must never do) the write completes in the call.
    ///
    /// # Errors
    /// `decide`'s outcome is `Err` as [`Core::write_with`]'s would be, for everything up to the
    /// log; the log's own failure comes through the [`Durable`].
    pub fn write_with_deferred<T, E: From<Error>>(
        &self,
        reads: &[&[u8]],
        decide: impl FnOnce(&[Option<Bytes>]) -> std::result::Result<(Batch, T), E>,
    ) -> (Durable, std::result::Result<T, E>) {
        let (pending, decided) = self.inner.apply_with(reads, decide);
        (self.defer(pending), decided)
    }

    /// Waits until every write deferred before this call is complete (durable and visible, or
    /// failed): for changes that must come after the writes in flight, such as dropping a table
    /// whose items they wrote.
    pub fn settle(&self) {
        self.inner.deferred.settle();
    }

    /// Hands `pending` to the completer thread (started on first use), or completes it here
    /// when there is nothing to wait for or it must not be handed over.
    fn defer(&self, pending: Pending) -> Durable {
        let complete_here = |pending| Durable::ready(self.inner.finish(pending));
        let here = match &pending {
            Pending::Nothing => true,
            Pending::Applied(applied) => applied.touched.len() > 1,
            Pending::Seen(_) => false,
        };
        if here || self.inner.durability() == Durability::None {
            return complete_here(pending);
        }
        if self.start_completer().is_err() {
            // No thread for the completer (the system is out of threads): the write completes
            // here, blocking, as under `write_with`; it is not lost.
            return complete_here(pending);
        }
        let (durable, slot) = Durable::pending();
        match self.inner.deferred.push(Deferred { pending, slot }) {
            Ok(()) => durable,
            Err(job) => {
                // The store is closing: complete it here.
                job.slot.fulfil(self.inner.finish(job.pending));
                durable
            }
        }
    }

    fn start_completer(&self) -> Result<()> {
        let mut completer = lock(&self.inner.completer);
        if completer.is_none() {
            let inner = self.inner.clone();
            let thread = std::thread::Builder::new()
                .name("basalt-completer".into())
                .spawn(move || inner.run_completer())
                .map_err(io_error("spawn thread", &self.inner.dir))?;
            *completer = Some(thread);
        }
        Ok(())
    }

    /// The value of `key`, or `None`: the newest durable write, from the published version.
    ///
    /// # Errors
    /// A damaged SSTable block.
    pub fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        let shard = &self.inner.shards[self.inner.route(key).index()];
        // Under the publication seqlock (two loads of the sequence): a read that sees one shard
        // of a multi-shard write started after all of its shards were published, so a later
        // read of another of its shards sees it too.
        let version = self.inner.txn_seq.read(|| shard.version());
        version.get(key)
    }

    /// A consistent view of the whole store as of now, unaffected by later writes, flushes and
    /// compactions; cheap to take. It pins the memory and SSTables it reads until dropped, so
    /// hold it no longer than needed.
    pub fn snapshot(&self) -> Snapshot {
        self.inner.snapshot()
    }

    /// Freezes every shard's live tree and writes all frozen trees to SSTables, then deletes
    /// the log segments no longer needed.
    ///
    /// # Errors
    /// I/O errors, which poison the store.
    pub fn flush(&self) -> Result<()> {
        self.inner.check_poisoned()?;
        for index in 0..self.inner.shards.len() {
            self.inner.shards[index].freeze_now();
        }
        self.inner.guard(|inner| inner.flush_all())
    }

    /// Merges every shard's SSTables into one sorted run, dropping overwritten versions and
    /// tombstones.
    ///
    /// # Errors
    /// I/O and SSTable errors, which poison the store.
    pub fn compact(&self) -> Result<()> {
        self.inner.check_poisoned()?;
        self.inner.guard(|inner| {
            for index in 0..inner.shards.len() {
                inner.compact_shard(index, true)?;
            }
            Ok(())
        })
    }

    /// Flushes everything (so the next open replays no log), stops background work and closes
    /// the log.
    ///
    /// # Errors
    /// As [`Core::flush`]; [`Error::Poisoned`] if the store failed earlier (nothing more is
    /// written; what was durable stays so).
    pub fn close(mut self) -> Result<()> {
        self.stop_worker();
        self.flush()?;
        self.inner.reap_graveyard()?;
        let inner = self.inner.clone();
        drop(self);
        let inner = Arc::try_unwrap(inner).map_err(|_| Error::Closed)?;
        inner.wal.close()?;
        Ok(())
    }

    /// Figures for tests and monitoring.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }

    /// How durable a write is when it returns (fixed when the store was opened).
    pub fn durability(&self) -> Durability {
        self.inner.durability()
    }

    /// The number of shards (fixed when the store was created).
    pub fn shard_count(&self) -> u16 {
        self.inner.shard_count()
    }

    /// How keys map to shards (fixed when the store was created; see [`Options::routing`]).
    pub fn routing(&self) -> Routing {
        self.inner.routing
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Checks every shard's version invariants (levels sorted and disjoint, trees valid).
    ///
    /// # Panics
    /// On a violation.
    #[cfg(any(test, feature = "verify"))]
    pub fn check_invariants(&self) {
        for (index, shard) in self.inner.shards.iter().enumerate() {
            let version = shard.version();
            version.live.check_invariants();
            for frozen in version.frozen.iter() {
                frozen.tree.check_invariants();
                assert!(frozen.max_lsn <= version.visible_lsn, "shard {index}: frozen tree ahead");
            }
            if let Err(problem) = version.levels.check() {
                panic!("shard {index}: {problem}");
            }
        }
    }

    fn stop_worker(&mut self) {
        // The completer first: it completes the deferred writes queued, which may publish roots
        // a flush is waiting for.
        self.inner.deferred.stop();
        let completer = lock(&self.inner.completer).take();
        // A hook run on the completer (`Durable::on_ready`) may drop the last handle: a thread
        // cannot join itself; it finishes its run and ends, the queue being stopped.
        if let Some(completer) =
            completer.filter(|c| c.thread().id() != std::thread::current().id())
        {
            let _ = completer.join();
        }
        lock(&self.inner.jobs).stop = true;
        self.inner.jobs_ready.notify_all();
        if let Some(worker) = self.worker.take() {
            // A panicking worker has already poisoned the store; nothing more to report here.
            let _ = worker.join();
        }
    }
}

impl<F: Fs> Drop for Core<F> {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

impl<F: Fs> std::fmt::Debug for Core<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("dir", &self.inner.dir)
            .field("shards", &self.shard_count())
            .finish()
    }
}

/// Figures about a store, for tests and monitoring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Entries in live trees (including tombstones).
    pub live_entries: usize,
    /// Frozen trees waiting to be flushed.
    pub frozen_trees: usize,
    /// Estimated bytes of frozen trees.
    pub memory_bytes: usize,
    /// SSTables per level, summed over shards.
    pub tables_per_level: Vec<usize>,
    /// Bytes of all SSTables.
    pub table_bytes: u64,
    /// Log segment files.
    pub log_segments: usize,
    /// The highest LSN any shard has published.
    pub published_lsn: Lsn,
    /// Log payload bytes of the writes acknowledged since open.
    pub written_bytes: u64,
    /// SSTable bytes written by flushes since open.
    pub flushed_bytes: u64,
    /// SSTable bytes written by compactions since open.
    pub compacted_bytes: u64,
}

impl<F: Fs> Inner<F> {
    pub(crate) fn new(
        fs: F,
        dir: PathBuf,
        options: Options,
        wal: Wal<F>,
        shards: Box<[Shard]>,
        manifest: Manifest,
    ) -> Inner<F> {
        Inner {
            fs,
            dir,
            options,
            wal,
            shards,
            routing: manifest.routing,
            manifest: Mutex::new(manifest),
            maintenance: Mutex::new(()),
            graveyard: Mutex::new(Vec::new()),
            poisoned: OnceLock::new(),
            txn_seq: Seqlock::new(),
            jobs: Mutex::new(Jobs::default()),
            jobs_ready: Condvar::new(),
            counters: Counters::default(),
            deferred: Queue::default(),
            completer: Mutex::new(None),
        }
    }

    pub(crate) fn shard_count(&self) -> u16 {
        u16::try_from(self.shards.len()).expect("shard count fits u16 by construction")
    }

    pub(crate) fn route(&self, key: &[u8]) -> ShardId {
        self.routing.shard_of(key, self.shard_count())
    }

    pub(crate) fn check_poisoned(&self) -> Result<()> {
        match self.poisoned.get() {
            Some(cause) => Err(Error::Poisoned { cause: cause.clone() }),
            None => Ok(()),
        }
    }

    /// Runs `work`; a failure poisons the store.
    pub(crate) fn guard(&self, work: impl FnOnce(&Self) -> Result<()>) -> Result<()> {
        work(self).map_err(|error| self.poison(error))
    }

    /// Records `error` as the store's poison (the first one wins), wakes every writer waiting
    /// on a shard (a stalled writer must not wait for a flush that will never come), and
    /// returns the error to report.
    pub(crate) fn poison(&self, error: Error) -> Error {
        let cause = match error {
            Error::Poisoned { cause } => cause,
            other => Arc::new(other),
        };
        let _ = self.poisoned.set(cause.clone());
        for shard in self.shards.iter() {
            shard.wake_all();
        }
        Error::Poisoned { cause }
    }

    fn write(&self, batch: Batch) -> Result<Lsn> {
        self.check_poisoned()?;
        let payload = batch.into_payload()?;
        let ops = batch::decode(&payload).expect("a batch's own payload decodes");
        // The shards to lock, found before any lock is taken.
        let mut touched: Vec<ShardId> = ops.iter().map(|op| self.route(op.key)).collect();
        touched.sort_unstable();
        touched.dedup();
        let mut states = self.lock_writers(&touched);
        let applied = self.apply_locked(&mut states, &touched, &payload, &ops);
        drop(states);
        self.complete(applied?)
    }

    /// The locked half of a write, with `states` (the writer locks of `locked`, ascending)
    /// held: takes the record's LSN from the log in this critical section (so LSN order is
    /// apply order in every shard), applies every operation (`ops`, decoded from `payload`),
    /// and seals each touched shard.
    ///
    /// # Errors
    /// An operation routed to a shard outside `locked` ([`Error::InvalidArgument`]), a poisoned
    /// store or log: nothing is written.
    fn apply_locked(
        &self,
        states: &mut [MutexGuard<'_, WriterState>],
        locked: &[ShardId],
        payload: &[u8],
        ops: &[Op<'_>],
    ) -> Result<Applied> {
        assert_eq!(states.len(), locked.len(), "one writer lock per locked shard");
        let mut slots = Vec::with_capacity(ops.len());
        for op in ops {
            let id = self.route(op.key);
            let slot = locked.binary_search(&id).map_err(|_| {
                Error::InvalidArgument(format!(
                    "the batch writes shard {}, which is not locked",
                    id.0
                ))
            })?;
            slots.push(slot);
        }
        // Every locked shard is sealed and published with the write, also one it only read
        // (`write_with`): a later write of a shard this one read must not become visible before
        // this one, or a reader could see that later write without this one, which read the
        // older value (a transaction's condition check on one shard and its put on another).
        // The read-only shard gets a root equal to its working tree, under this LSN, as a
        // barrier for the writes behind it. (For `Core::write` the locked shards are exactly
        // the written ones.)
        let touched_slots: Vec<usize> = (0..locked.len()).collect();
        let multi = touched_slots.len() > 1;
        self.check_poisoned()?;
        let ticket = self.wal.enqueue(&[payload])?;
        let lsn = ticket.first;
        for (op, &slot) in ops.iter().zip(&slots) {
            states[slot].apply(op, lsn);
        }
        for &slot in &touched_slots {
            states[slot].seal(lsn, multi);
        }
        let touched = touched_slots.iter().map(|&slot| locked[slot]).collect();
        Ok(Applied { ticket, touched, payload_bytes: payload.len() })
    }

    /// The unlocked half of a write: waits for the log (sharing its group commit with other
    /// writers), then publishes. A log failure drops the write's roots and poisons the store.
    fn complete(&self, applied: Applied) -> Result<Lsn> {
        let lsn = applied.ticket.first;
        if let Err(error) = self.wal.wait(applied.ticket) {
            // This record and every later one are lost to the log; earlier ones are durable and
            // their writers publish them. Drop the roots from this LSN on.
            for id in &applied.touched {
                self.shards[id.index()].discard_from(lsn);
            }
            return Err(self.poison(Error::from(error)));
        }
        self.publish(&applied.touched, lsn);
        // ORDERING: Relaxed: a statistics counter.
        self.counters.written_bytes.fetch_add(applied.payload_bytes as u64, Ordering::Relaxed);
        Ok(lsn)
    }

    /// The completer thread: completes the deferred writes in runs, one wait for the log per
    /// run, until the queue is stopped and empty.
    fn run_completer(&self) {
        while let Some(mut run) = self.deferred.take() {
            run.sort_unstable_by_key(|job| job.pending.last_lsn());
            if let Some(last) = run.last().and_then(|job| job.pending.last_lsn()) {
                // One wait for the whole run: the log becomes durable in LSN order, so the last
                // record's durability covers every earlier one. A failure is reported per write
                // below (the writes of groups synced before it are durable and succeed).
                let _ = self.wal.wait_through(last);
            }
            let count = run.len();
            let mut run = Unfinished { jobs: run.into_iter(), current: None, inner: self };
            for job in run.jobs.by_ref() {
                run.current = Some(job.slot.clone());
                // In LSN order; each wait for the log now returns at once.
                job.slot.fulfil(self.finish(job.pending));
                run.current = None;
            }
            self.deferred.completed(count);
        }
    }

    /// Completes `pending`: waits for the log and publishes (the write's own roots, or those
    /// its reads saw). Returns the write's LSN, `None` if it wrote nothing.
    fn finish(&self, pending: Pending) -> Result<Option<Lsn>> {
        match pending {
            Pending::Nothing => Ok(None),
            Pending::Seen(seen) => self.publish_seen(&seen).map(|()| None),
            Pending::Applied(applied) => self.complete(applied).map(Some),
        }
    }

    /// Publishes each shard of `seen` through its LSN once the log has made it durable, without
    /// waiting for the writers of those records: one of them may be a deferred write behind
    /// this one in the completer's queue. (Publishing a durable root early is what every writer
    /// does for the roots below its own; a multi-shard root is still left to its writer, which
    /// is never deferred.)
    fn publish_seen(&self, seen: &[(ShardId, Lsn)]) -> Result<()> {
        for &(id, lsn) in seen {
            if let Err(error) = self.wal.wait_through(lsn) {
                return Err(self.poison(Error::from(error)));
            }
            if self.shards[id.index()].publish_durable(lsn) {
                self.schedule_flush(&[id.index()]);
            }
        }
        Ok(())
    }

    fn write_with<T, E: From<Error>>(
        &self,
        reads: &[&[u8]],
        decide: impl FnOnce(&[Option<Bytes>]) -> std::result::Result<(Batch, T), E>,
    ) -> std::result::Result<(Option<Lsn>, T), E> {
        let (pending, decided) = self.apply_with(reads, decide);
        match pending {
            Pending::Nothing => decided.map(|decided| (None, decided)),
            Pending::Seen(seen) => {
                // If the log failed meanwhile, its error wins over `decide`'s: what `decide`
                // saw may be lost.
                self.wait_published(&seen)?;
                decided.map(|decided| (None, decided))
            }
            Pending::Applied(applied) => {
                let decided = decided?;
                // The write's publication covers every locked shard through its LSN, so also
                // the changes `decide` saw (at lower LSNs).
                let lsn = self.complete(applied)?;
                Ok((Some(lsn), decided))
            }
        }
    }

    /// [`Inner::write_with`] up to the log: reads, decides and applies under the writer locks.
    /// Returns what is left to wait for (the write applied and waiting for the log; or, when
    /// nothing was written, the changes `decide` saw that are not published yet) and the
    /// outcome, to be reported once that wait is over.
    fn apply_with<T, E: From<Error>>(
        &self,
        reads: &[&[u8]],
        decide: impl FnOnce(&[Option<Bytes>]) -> std::result::Result<(Batch, T), E>,
    ) -> (Pending, std::result::Result<T, E>) {
        if reads.is_empty() {
            let error = Error::InvalidArgument("write_with needs at least one key to read".into());
            return (Pending::Nothing, Err(E::from(error)));
        }
        if let Err(error) = self.check_poisoned() {
            return (Pending::Nothing, Err(E::from(error)));
        }
        let routes: Vec<ShardId> = reads.iter().map(|key| self.route(key)).collect();
        let mut locked = routes.clone();
        locked.sort_unstable();
        locked.dedup();
        let mut states = self.lock_writers(&locked);
        if let Err(error) = self.check_poisoned() {
            return (Pending::Nothing, Err(E::from(error)));
        }
        // What the reads may see beyond the published versions: to be published (so durable and
        // visible) before any outcome is reported.
        let seen = self.unpublished(&states, &locked);
        let mut values = Vec::with_capacity(reads.len());
        for (key, id) in reads.iter().zip(&routes) {
            let slot = locked.binary_search(id).expect("every read's shard is locked");
            match states[slot].read(key) {
                Ok(value) => values.push(value),
                Err(error) => return (Pending::Nothing, Err(E::from(error))),
            }
        }
        let (batch, decided) = match decide(&values) {
            Ok((batch, decided)) if !batch.is_empty() => (batch, decided),
            nothing => return (Pending::seen(seen), nothing.map(|(_, decided)| decided)),
        };
        let applied = batch.into_payload().and_then(|payload| {
            let ops = batch::decode(&payload).expect("a batch's own payload decodes");
            self.apply_locked(&mut states, &locked, &payload, &ops)
        });
        drop(states);
        match applied {
            Ok(applied) => (Pending::Applied(applied), Ok(decided)),
            Err(error) => (Pending::seen(seen), Err(error.into())),
        }
    }

    /// The shards among `locked` (whose writer locks `states` are) that hold changes not yet
    /// published, with the LSN through which they must be published before a value read from
    /// them may be reported.
    fn unpublished(
        &self,
        states: &[MutexGuard<'_, WriterState>],
        locked: &[ShardId],
    ) -> Vec<(ShardId, Lsn)> {
        let through = states.iter().map(|state| state.unpublished_through());
        locked.iter().zip(through).filter_map(|(&id, lsn)| Some((id, lsn?))).collect()
    }

    /// Waits, holding no writer lock, until every `(shard, lsn)` of `seen` is published: the
    /// changes a [`Core::write_with`] read are then as durable as the store promises.
    fn wait_published(&self, seen: &[(ShardId, Lsn)]) -> Result<()> {
        let gave_up = || self.poisoned.get().is_some();
        for &(id, lsn) in seen {
            if !self.shards[id.index()].wait_published(lsn, gave_up) {
                self.check_poisoned()?;
            }
        }
        Ok(())
    }

    /// Takes the writer locks of `touched` (ascending, so two multi-shard writes cannot
    /// deadlock), each shard ready for a write. Backpressure waits happen holding no lock.
    fn lock_writers(&self, touched: &[ShardId]) -> Vec<MutexGuard<'_, WriterState>> {
        let stall = self.options.background;
        let gave_up = || self.poisoned.get().is_some();
        if let [only] = touched {
            return vec![self.shards[only.index()].lock_for_write(stall, gave_up)];
        }
        loop {
            for id in touched {
                self.shards[id.index()].wait_writable(stall, gave_up);
            }
            let states: Vec<_> = touched.iter().map(|id| self.shards[id.index()].lock()).collect();
            if states.iter().all(|state| state.writable(stall, gave_up)) {
                return states;
            }
        }
    }

    fn publish(&self, touched: &[ShardId], lsn: Lsn) {
        let froze: Vec<usize> = if let [only] = touched {
            let shard = &self.shards[only.index()];
            if shard.publish_single(lsn) {
                vec![only.index()]
            } else {
                vec![]
            }
        } else {
            for id in touched {
                self.shards[id.index()].drain_before(lsn);
            }
            let mut publishing = self.txn_seq.lock();
            // Lock first, so that `txn_seq` is odd only for the pointer swaps themselves
            // (snapshots spin while it is odd).
            let mut states: Vec<_> =
                touched.iter().map(|id| self.shards[id.index()].lock()).collect();
            let froze = publishing.swap_all(|| {
                let mut froze = Vec::new();
                for (id, state) in touched.iter().zip(&mut states) {
                    if self.shards[id.index()].publish_multi(state, lsn) {
                        froze.push(id.index());
                    }
                }
                froze
            });
            drop(states);
            for id in touched {
                self.shards[id.index()].wake_all();
            }
            froze
        };
        if !froze.is_empty() {
            self.schedule_flush(&froze);
        }
    }

    fn snapshot(&self) -> Snapshot {
        let versions = self.txn_seq.read(|| self.shards.iter().map(Shard::version).collect());
        Snapshot::new(versions, self.routing)
    }

    fn stats(&self) -> Stats {
        let counters = &self.counters;
        let mut stats = Stats {
            log_segments: self.wal.segment_count(),
            // ORDERING: Relaxed: independent counters, read for reporting only.
            written_bytes: counters.written_bytes.load(Ordering::Relaxed),
            // ORDERING: as above.
            flushed_bytes: counters.flushed_bytes.load(Ordering::Relaxed),
            // ORDERING: as above.
            compacted_bytes: counters.compacted_bytes.load(Ordering::Relaxed),
            ..Stats::default()
        };
        for shard in self.shards.iter() {
            let version = shard.version();
            stats.published_lsn = stats.published_lsn.max(version.visible_lsn);
            stats.live_entries += version.live.len();
            stats.frozen_trees += version.frozen.len();
            stats.memory_bytes += version.frozen.iter().map(|f| f.bytes).sum::<usize>();
            for (level, table) in version.levels.tables() {
                if stats.tables_per_level.len() <= level {
                    stats.tables_per_level.resize(level + 1, 0);
                }
                stats.tables_per_level[level] += 1;
                stats.table_bytes += table.len_bytes();
            }
        }
        stats
    }

    pub(crate) fn durability(&self) -> Durability {
        self.options.durability
    }
}
