//! The group-commit queue: many appenders, one write and one sync per group.
//!
//! Leader/follower, as RocksDB's write thread: an appender encodes its records into the
//! *pending* buffer under the lock (its LSNs are assigned in that same step, so LSN order is
//! queue order). If no one is writing, it becomes the *leader*: it takes the whole pending buffer
//! as one group, drops the lock, writes and syncs the group through the [`Sink`], then publishes
//! the new written and synced LSNs. Appenders that arrive while a leader is busy add to the next
//! group and wait; when the leader finishes, it hands the role to one of them. So an appender
//! waits for at most the group in flight plus its own, and with one appender there is no
//! hand-off at all: it writes and syncs its own record.
//!
//! With a pipelined sink (io_uring) under `Sync`, the leader that finishes a group first starts
//! the pending group's write and sync, then hands the role on: the next leader reaps that group
//! while the disk is already working, so the disk never waits for a thread to be scheduled.
//!
//! Waiting is cheap for many appenders on few cores. A waiter registers its target LSN and parks
//! its thread; the leader unparks exactly the waiters its group satisfied, and they return by
//! reading the published LSN from an atomic, without taking the lock (a condition variable
//! would make every one of them re-acquire the mutex in turn). One more waiter is unparked with
//! the leader's role when work is left.
//!
//! A failed write or sync poisons the queue: the failing group and every later append get
//! [`Error::Poisoned`]; nothing is retried, because a retried `fdatasync` can report success
//! for data the kernel already dropped.
//!
//! No I/O happens here; the sink does it, which lets loom model this protocol with a mock sink.

use std::sync::Arc;

use crate::durability::Durability;
use crate::error::{Error, Result};
use crate::limits::RECORD_PAYLOAD_BYTES_MAX;
use crate::record;
use crate::sync::{
    current, lock, park, AtomicBool, AtomicU64, Mutex, MutexGuard, Ordering, Thread,
};
use crate::Lsn;

/// Where groups go: the log's segment files, or a mock in tests.
pub trait Sink: Send {
    /// Seals `group`'s records ([`record::seal`]), writes them after everything written before
    /// and, if `sync`, makes everything written so far durable. An empty group with `sync` only
    /// syncs.
    ///
    /// # Errors
    /// Any failure; the queue is poisoned by it.
    fn commit(&mut self, group: &mut Group, sync: bool) -> Result<()>;

    /// Whether [`Sink::start`] returns before the group is durable, so that the queue can start
    /// the next group's write and sync before it wakes anyone (pipelining). Only consulted under
    /// [`Durability::Sync`].
    fn pipelined(&self) -> bool {
        false
    }

    /// Starts sealing, writing and syncing `group` without waiting; [`Sink::finish`] waits.
    /// Only called when [`Sink::pipelined`] is true, with at most one group in flight.
    ///
    /// # Errors
    /// A failure before anything was submitted; the queue is poisoned by it.
    fn start(&mut self, group: Group) -> Result<()> {
        let _ = group;
        unreachable!("start is only called on pipelined sinks")
    }

    /// Waits for the group started by [`Sink::start`]; returns it (for its buffer) and whether it
    /// is durable.
    fn finish(&mut self) -> (Group, Result<()>) {
        unreachable!("finish is only called on pipelined sinks")
    }
}

/// Consecutive encoded records written together.
#[derive(Debug, Default)]
pub struct Group {
    /// The framed records.
    pub bytes: Vec<u8>,
    /// LSN of the first record; for an empty group, the next LSN to be assigned.
    pub first_lsn: Lsn,
    /// LSN of the last record; for an empty group, `first_lsn - 1`.
    pub last_lsn: Lsn,
}

impl Group {
    /// Whether the group holds no records.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.last_lsn < self.first_lsn
    }
}

/// Counters of the queue's work since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records appended.
    pub records: u64,
    /// Groups written.
    pub groups: u64,
    /// Syncs performed.
    pub syncs: u64,
    /// Bytes written, framing included.
    pub bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Enqueued,
    Written,
    Synced,
}

/// Records enqueued by [`GroupCommit::enqueue`], to be waited for with [`GroupCommit::wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "enqueued records are not durable until waited for"]
pub struct Ticket {
    /// The first record's LSN.
    pub first: Lsn,
    /// The last record's LSN.
    pub last: Lsn,
    need: Need,
}

/// One parked appender (or `sync`/`flush` caller).
struct Waiter {
    target: Lsn,
    need: Need,
    thread: Thread,
    /// Set, before the unpark, when the leader's role is handed to this waiter.
    lead: AtomicBool,
}

struct State {
    next_lsn: Lsn,
    pending: Vec<u8>,
    pending_first: Lsn,
    spare: Vec<u8>,
    leading: bool,
    /// The last LSN of the group being written and synced, if any.
    in_flight: Option<Lsn>,
    written: Lsn,
    synced: Lsn,
    /// A `sync` caller wants everything through this LSN synced, whatever the durability.
    sync_wanted: Lsn,
    poisoned: Option<Arc<Error>>,
    waiters: Vec<Arc<Waiter>>,
    stats: Stats,
}

/// The queue; see the module documentation.
///
/// # Concurrency
/// `append` and `sync` may be called from any number of threads at once.
pub struct GroupCommit<S> {
    state: Mutex<State>,
    /// Copies of `State::written`, `State::synced` and whether the queue is poisoned, stored
    /// under the lock, read without it by parked waiters.
    written: AtomicU64,
    synced: AtomicU64,
    poisoned: AtomicBool,
    sink: Mutex<S>,
    durability: Durability,
    buffer_bytes_max: usize,
    /// The sink overlaps a group's write and sync with the hand-off to the next leader.
    pipelined: bool,
}

impl<S: Sink> GroupCommit<S> {
    /// A queue whose first record gets `next_lsn`; everything before it counts as durable.
    ///
    /// `buffer_bytes_max` bounds the pending bytes under [`Durability::None`].
    pub fn new(sink: S, next_lsn: Lsn, durability: Durability, buffer_bytes_max: usize) -> Self {
        assert!(next_lsn >= Lsn::FIRST, "LSN 0 means no record");
        let before = Lsn(next_lsn.0 - 1);
        let state = State {
            next_lsn,
            pending: Vec::new(),
            pending_first: next_lsn,
            spare: Vec::new(),
            leading: false,
            in_flight: None,
            written: before,
            synced: before,
            sync_wanted: before,
            poisoned: None,
            waiters: Vec::new(),
            stats: Stats::default(),
        };
        let pipelined = durability == Durability::Sync && sink.pipelined();
        GroupCommit {
            state: Mutex::new(state),
            written: AtomicU64::new(before.0),
            synced: AtomicU64::new(before.0),
            poisoned: AtomicBool::new(false),
            sink: Mutex::new(sink),
            durability,
            buffer_bytes_max,
            pipelined,
        }
    }

    /// Appends `payloads` as consecutive records and returns the first one's LSN once the
    /// durability chosen at creation holds for all of them.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`], [`Error::RecordTooLarge`] (nothing appended), [`Error::Poisoned`].
    pub fn append(&self, payloads: &[&[u8]]) -> Result<Lsn> {
        // Enqueue and wait under one lock acquisition: an appender that finds no leader leads
        // its own group at once.
        let crcs = checked_crcs(payloads)?;
        let mut state = lock(&self.state);
        let ticket = self.enqueue_locked(&mut state, payloads, crcs)?;
        self.wait_for(state, ticket.last, ticket.need)?;
        Ok(ticket.first)
    }

    /// Assigns LSNs to `payloads` and queues them for the next group, without waiting; then
    /// [`GroupCommit::wait`] waits for the durability chosen at creation. Callers that must
    /// order their records (a shard writer applying changes in LSN order) enqueue under their
    /// own lock and wait outside it, so that their waits share groups.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`], [`Error::RecordTooLarge`] (nothing appended), [`Error::Poisoned`].
    pub fn enqueue(&self, payloads: &[&[u8]]) -> Result<Ticket> {
        let crcs = checked_crcs(payloads)?;
        let mut state = lock(&self.state);
        self.enqueue_locked(&mut state, payloads, crcs)
    }

    /// Encodes `payloads` (with their `crcs`, computed before the lock was taken) into the
    /// pending group.
    fn enqueue_locked(
        &self,
        state: &mut MutexGuard<'_, State>,
        payloads: &[&[u8]],
        crcs: Vec<u32>,
    ) -> Result<Ticket> {
        if let Some(cause) = &state.poisoned {
            return Err(Error::Poisoned { cause: cause.clone() });
        }
        let first = state.next_lsn;
        if state.pending.is_empty() {
            state.pending_first = first;
        }
        let mut lsn = first;
        for (payload, crc) in payloads.iter().zip(crcs) {
            record::encode_into(&mut state.pending, lsn, payload, crc);
            lsn = lsn.next();
        }
        state.next_lsn = lsn;
        state.stats.records += payloads.len() as u64;
        let need = match self.durability {
            Durability::Sync => Need::Synced,
            Durability::Buffered => Need::Written,
            Durability::None if state.pending.len() > self.buffer_bytes_max => Need::Written,
            Durability::None => Need::Enqueued,
        };
        Ok(Ticket { first, last: Lsn(lsn.0 - 1), need })
    }

    /// Waits until the records of `ticket` are as durable as the queue's durability promises
    /// (this may make this thread the leader that writes a group).
    ///
    /// # Errors
    /// [`Error::Poisoned`]: a group holding, or written before, these records failed.
    pub fn wait(&self, ticket: Ticket) -> Result<()> {
        let state = lock(&self.state);
        self.wait_for(state, ticket.last, ticket.need)
    }

    /// Waits until every record through `last` (an LSN already assigned) is as durable as the
    /// queue's durability promises: [`GroupCommit::wait`] for a caller that holds no ticket,
    /// only an LSN (one it read from a record another appender enqueued).
    ///
    /// # Errors
    /// [`Error::Poisoned`]: a group holding, or written before, those records failed.
    pub fn wait_through(&self, last: Lsn) -> Result<()> {
        let state = lock(&self.state);
        assert!(last < state.next_lsn, "waiting for {last:?}, which is not assigned yet");
        let need = match self.durability {
            Durability::Sync => Need::Synced,
            Durability::Buffered => Need::Written,
            Durability::None => Need::Enqueued,
        };
        self.wait_for(state, last, need)
    }

    /// Writes and syncs everything appended so far, whatever the durability; returns the last
    /// LSN now durable.
    ///
    /// # Errors
    /// [`Error::Poisoned`].
    pub fn sync(&self) -> Result<Lsn> {
        let state = lock(&self.state);
        let target = Lsn(state.next_lsn.0 - 1);
        self.wait_for(state, target, Need::Synced)?;
        Ok(target)
    }

    /// Writes (without syncing) everything appended so far; returns the last LSN written.
    ///
    /// # Errors
    /// [`Error::Poisoned`].
    pub fn flush(&self) -> Result<Lsn> {
        let state = lock(&self.state);
        let target = Lsn(state.next_lsn.0 - 1);
        self.wait_for(state, target, Need::Written)?;
        Ok(target)
    }

    fn wait_for<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        target: Lsn,
        need: Need,
    ) -> Result<()> {
        loop {
            if reached(state.written, state.synced, target, need) {
                return Ok(());
            }
            if let Some(cause) = &state.poisoned {
                return Err(Error::Poisoned { cause: cause.clone() });
            }
            if need == Need::Synced {
                state.sync_wanted = state.sync_wanted.max(target);
            }
            if !state.leading {
                state = self.lead(state);
                continue;
            }
            let waiter =
                Arc::new(Waiter { target, need, thread: current(), lead: AtomicBool::new(false) });
            state.waiters.push(waiter.clone());
            drop(state);
            if self.park_until_done_or_leader(&waiter) {
                return Ok(());
            }
            state = lock(&self.state);
        }
    }

    /// Parks until the waiter's target is reached (true) or it is handed the leader's role or
    /// the queue is poisoned (false: the caller re-locks and looks again).
    fn park_until_done_or_leader(&self, waiter: &Waiter) -> bool {
        loop {
            park();
            // ORDERING: Acquire pairs with the leader's Release stores, so a waiter that sees
            // its LSN published also sees everything the leader did before (the sink's work).
            let written = Lsn(self.written.load(Ordering::Acquire));
            let synced = Lsn(self.synced.load(Ordering::Acquire));
            if reached(written, synced, waiter.target, waiter.need) {
                return true;
            }
            // ORDERING: Acquire pairs with the Release store that hands over the role.
            if waiter.lead.load(Ordering::Acquire) || self.poisoned.load(Ordering::Acquire) {
                return false;
            }
            // A spurious or stale unpark: park again.
        }
    }

    /// Takes the leader's role: writes the pending group, or finishes the group in flight;
    /// then hands the role on and unparks the satisfied waiters. Called and returns with the
    /// state locked.
    fn lead<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        assert!(!state.leading, "one leader at a time");
        assert!(state.poisoned.is_none(), "a poisoned queue elects no leader");
        state.leading = true;
        // Pipeline only when others are waiting: a lone appender gains nothing from overlapping
        // its sync with a hand-off, and the synchronous path is the cheaper one.
        if self.pipelined && (state.in_flight.is_some() || !state.waiters.is_empty()) {
            if state.in_flight.is_none() {
                state = self.start_pending(state);
            }
            if state.in_flight.is_some() {
                state = self.finish_in_flight(state);
            }
        } else {
            state = self.commit_pending(state);
        }
        state.leading = false;
        let (next_leader, done) = self.release(&mut state);
        drop(state);
        // Wake the next leader first: it has work to do; the others only return.
        if let Some(thread) = next_leader {
            thread.unpark();
        }
        done.iter().for_each(Thread::unpark);
        lock(&self.state)
    }

    /// Removes from the waiters those that are done (or must learn of poisoning) and, if work
    /// is left, one to take the leader's role; returns the threads to unpark.
    fn release(&self, state: &mut State) -> (Option<Thread>, Vec<Thread>) {
        let poisoned = state.poisoned.is_some();
        let (written, synced) = (state.written, state.synced);
        let mut done = Vec::new();
        state.waiters.retain(|w| {
            let finished = poisoned || reached(written, synced, w.target, w.need);
            if finished {
                done.push(w.thread.clone());
            }
            !finished
        });
        let work_left = state.in_flight.is_some() || !state.pending.is_empty();
        let next_leader = if work_left || state.sync_wanted > state.synced {
            // The oldest waiter: its records are the ones in flight or pending.
            (!state.waiters.is_empty()).then(|| {
                let waiter = state.waiters.remove(0);
                // ORDERING: Release pairs with the waiter's Acquire load after its unpark.
                waiter.lead.store(true, Ordering::Release);
                waiter.thread.clone()
            })
        } else {
            None
        };
        (next_leader, done)
    }

    /// Takes the pending bytes as the next group.
    fn take_pending(&self, state: &mut State) -> Group {
        let spare = std::mem::take(&mut state.spare);
        let bytes = std::mem::replace(&mut state.pending, spare);
        let first_lsn = if bytes.is_empty() { state.next_lsn } else { state.pending_first };
        Group { bytes, first_lsn, last_lsn: Lsn(state.next_lsn.0 - 1) }
    }

    /// The synchronous path: write (and sync) the pending group, then publish it.
    fn commit_pending<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        let mut group = self.take_pending(&mut state);
        state.in_flight = Some(group.last_lsn);
        let sync = self.durability == Durability::Sync || state.sync_wanted > state.synced;
        drop(state);

        let result = lock(&self.sink).commit(&mut group, sync);

        let mut state = lock(&self.state);
        state.in_flight = None;
        self.publish(&mut state, group, result, sync);
        state
    }

    /// The pipelined path, first half: hand the pending group to the sink without waiting.
    fn start_pending<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        // Under `Sync` every write is synced, so there is nothing to sync on its own.
        if state.pending.is_empty() {
            return state;
        }
        let group = self.take_pending(&mut state);
        state.in_flight = Some(group.last_lsn);
        drop(state);

        let result = lock(&self.sink).start(group);

        let mut state = lock(&self.state);
        if let Err(error) = result {
            state.in_flight = None;
            self.poison(&mut state, error);
        }
        state
    }

    /// The pipelined path, second half: wait for the group in flight, publish it, and start
    /// the next one before anyone is woken, so the disk never waits for a thread to wake.
    fn finish_in_flight<'a>(&'a self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        drop(state);

        let (group, result) = lock(&self.sink).finish();

        let mut state = lock(&self.state);
        state.in_flight = None;
        self.publish(&mut state, group, result, true);
        if state.poisoned.is_none() {
            state = self.start_pending(state);
        }
        state
    }

    /// Records the outcome of a group: written and synced LSNs, or the poisoning failure.
    fn publish(&self, state: &mut State, group: Group, result: Result<()>, sync: bool) {
        match result {
            Ok(()) => {
                if !group.is_empty() {
                    assert!(group.last_lsn > state.written, "written LSN only grows");
                    state.written = group.last_lsn;
                    state.stats.groups += 1;
                    state.stats.bytes += group.bytes.len() as u64;
                    // ORDERING: Release pairs with the parked waiters' Acquire loads.
                    self.written.store(state.written.0, Ordering::Release);
                }
                if sync {
                    state.synced = state.written;
                    state.stats.syncs += 1;
                    // ORDERING: as above.
                    self.synced.store(state.synced.0, Ordering::Release);
                }
            }
            Err(error) => self.poison(state, error),
        }
        let mut bytes = group.bytes;
        bytes.clear();
        if bytes.capacity() <= 2 * self.buffer_bytes_max.max(1 << 20) {
            state.spare = bytes;
        }
    }

    fn poison(&self, state: &mut State, error: Error) {
        state.poisoned = Some(Arc::new(error));
        // ORDERING: Release pairs with the parked waiters' Acquire load.
        self.poisoned.store(true, Ordering::Release);
    }

    /// The next LSN to be assigned.
    pub fn next_lsn(&self) -> Lsn {
        lock(&self.state).next_lsn
    }

    /// The last LSN synced to stable storage.
    pub fn synced_lsn(&self) -> Lsn {
        lock(&self.state).synced
    }

    /// The last LSN written to the sink.
    pub fn written_lsn(&self) -> Lsn {
        lock(&self.state).written
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        lock(&self.state).stats
    }

    /// The failure that poisoned the queue, if any.
    pub fn poisoned(&self) -> Option<Arc<Error>> {
        lock(&self.state).poisoned.clone()
    }

    /// Runs `f` on the sink, waiting for a synchronous group in flight. Call it only when no
    /// pipelined group can be in flight (after `sync`, with no appends running).
    pub fn with_sink<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut lock(&self.sink))
    }
}

fn reached(written: Lsn, synced: Lsn, target: Lsn, need: Need) -> bool {
    match need {
        Need::Enqueued => true,
        Need::Written => written >= target,
        Need::Synced => synced >= target,
    }
}

/// Checks every payload's size and computes its CRC, before the queue's lock is taken.
///
/// # Errors
/// [`Error::EmptyBatch`], [`Error::RecordTooLarge`].
fn checked_crcs(payloads: &[&[u8]]) -> Result<Vec<u32>> {
    if payloads.is_empty() {
        return Err(Error::EmptyBatch);
    }
    payloads
        .iter()
        .map(|payload| {
            if payload.len() > RECORD_PAYLOAD_BYTES_MAX {
                return Err(Error::RecordTooLarge {
                    len: payload.len(),
                    max: RECORD_PAYLOAD_BYTES_MAX,
                });
            }
            Ok(record::payload_crc(payload))
        })
        .collect()
}
