//! The group-commit queue: many appenders, one write and one sync per group.
//!
//! Leader/follower, as RocksDB's write thread: an appender encodes its records into the
//! *pending* buffer under the lock (its LSNs are assigned in that same step, so LSN order is
//! queue order). If no one is writing, it becomes the *leader*: it takes the whole pending buffer
//! as one group, drops the lock, writes and syncs the group through the [`Sink`], then publishes
//! the new written and synced LSNs and wakes everyone. Appenders that arrive while a leader is
//! busy add to the next group and wait; when the leader finishes, one of them leads the next
//! group. So an appender waits for at most the group in flight plus its own, and with one
//! appender there is no hand-off at all: it writes and syncs its own record.
//!
//! Groups are taken whole, so every record knows at encoding time which group it belongs to:
//! the first LSN of the pending buffer. Recovery relies on that (see `recovery`).
//!
//! Wake-ups are targeted, which matters with many appenders on few cores: groups are numbered,
//! and the waiters of group `g` sleep on condition variable `g % 2`. When group `g` is done its
//! leader wakes all of group `g` (their records are durable) and one waiter of group `g + 1`
//! (to lead it); no waiter of the next group is woken just to go back to sleep.
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
use crate::sync::{lock, wait, Condvar, Mutex, MutexGuard};
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

struct State {
    next_lsn: Lsn,
    pending: Vec<u8>,
    pending_first: Lsn,
    spare: Vec<u8>,
    leading: bool,
    /// The number of the pending group; groups are numbered in the order they are taken.
    group_seq: u64,
    /// The group being written and synced: its number and last LSN.
    in_flight: Option<(u64, Lsn)>,
    written: Lsn,
    synced: Lsn,
    sync_wanted: bool,
    poisoned: Option<Arc<Error>>,
    stats: Stats,
}

/// The state, locked again, and the number of the group that was completed.
type Finished<'a> = (MutexGuard<'a, State>, Option<u64>);

/// The queue; see the module documentation.
///
/// # Concurrency
/// `append` and `sync` may be called from any number of threads at once.
pub struct GroupCommit<S> {
    state: Mutex<State>,
    /// Waiters of group `g` wait on `wakers[g % 2]`.
    wakers: [Condvar; 2],
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
            group_seq: 0,
            in_flight: None,
            written: before,
            synced: before,
            sync_wanted: false,
            poisoned: None,
            stats: Stats::default(),
        };
        let pipelined = durability == Durability::Sync && sink.pipelined();
        GroupCommit {
            pipelined,
            state: Mutex::new(state),
            wakers: [Condvar::new(), Condvar::new()],
            sink: Mutex::new(sink),
            durability,
            buffer_bytes_max,
        }
    }

    /// Appends `payloads` as consecutive records and returns the first one's LSN once the
    /// durability chosen at creation holds for all of them.
    ///
    /// # Errors
    /// [`Error::RecordTooLarge`] (nothing appended), [`Error::Poisoned`].
    pub fn append(&self, payloads: &[&[u8]]) -> Result<Lsn> {
        let crcs = checked_crcs(payloads)?;
        let mut state = lock(&self.state);
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
        self.wait_for(state, Lsn(lsn.0 - 1), need)?;
        Ok(first)
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
        // The group whose completion can satisfy us: the one in flight if it holds the target
        // (a `sync` or `flush` of records already taken), else the pending one.
        let group = match state.in_flight {
            Some((number, last)) if target <= last => number,
            _ => state.group_seq,
        };
        let mut woken = false;
        loop {
            let reached = match need {
                Need::Enqueued => true,
                Need::Written => state.written >= target,
                Need::Synced => state.synced >= target,
            };
            if reached {
                // If we were woken to lead but are done, pass the wake-up on: work that is left
                // must never wait for an appender that may not come.
                if woken {
                    self.wake_next_leader(&state);
                }
                return Ok(());
            }
            if let Some(cause) = &state.poisoned {
                return Err(Error::Poisoned { cause: cause.clone() });
            }
            if need == Need::Synced {
                state.sync_wanted = true;
            }
            if state.leading {
                state = wait(self.waker(group), state);
                woken = true;
            } else {
                state = self.lead(state);
            }
        }
    }

    /// Takes the leader's role: writes the pending group, or finishes the group in flight;
    /// called and returns with the state locked.
    fn lead<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        assert!(!state.leading, "one leader at a time");
        assert!(state.poisoned.is_none(), "a poisoned queue elects no leader");
        state.leading = true;
        let mut finished = None;
        if self.pipelined {
            if state.in_flight.is_none() {
                state = self.start_pending(state);
            }
            if state.in_flight.is_some() {
                (state, finished) = self.finish_in_flight(state);
            }
        } else {
            (state, finished) = self.commit_pending(state);
        }
        state.leading = false;
        if state.poisoned.is_some() {
            self.wakers.iter().for_each(Condvar::notify_all);
        }
        // Wake the next leader first: it has work to do (finish the group the pipeline started,
        // or write the pending one); the finished group's waiters only return.
        self.wake_next_leader(&state);
        if let Some(number) = finished {
            self.waker(number).notify_all();
        }
        state
    }

    /// Wakes one waiter to take the leader's role, if work is left and no one has it.
    fn wake_next_leader(&self, state: &State) {
        if state.leading {
            return;
        }
        match state.in_flight {
            Some((number, _)) => self.waker(number).notify_one(),
            None if !state.pending.is_empty() || state.sync_wanted => {
                self.waker(state.group_seq).notify_one();
            }
            None => {}
        }
    }

    /// Takes the pending bytes as the next group, numbered.
    fn take_pending(&self, state: &mut State) -> (u64, Group) {
        let number = state.group_seq;
        state.group_seq += 1;
        let spare = std::mem::take(&mut state.spare);
        let bytes = std::mem::replace(&mut state.pending, spare);
        let first_lsn = if bytes.is_empty() { state.next_lsn } else { state.pending_first };
        (number, Group { bytes, first_lsn, last_lsn: Lsn(state.next_lsn.0 - 1) })
    }

    /// The synchronous path: write (and sync) the pending group, then publish it.
    fn commit_pending<'a>(&'a self, mut state: MutexGuard<'a, State>) -> Finished<'a> {
        let (number, mut group) = self.take_pending(&mut state);
        state.in_flight = Some((number, group.last_lsn));
        let sync = self.durability == Durability::Sync || state.sync_wanted;
        state.sync_wanted = false;
        drop(state);

        let result = lock(&self.sink).commit(&mut group, sync);

        let mut state = lock(&self.state);
        state.in_flight = None;
        self.publish(&mut state, group, result, sync);
        (state, Some(number))
    }

    /// The pipelined path, first half: hand the pending group to the sink without waiting.
    fn start_pending<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        if state.pending.is_empty() {
            // Under `Sync` every write is synced, so there is nothing to sync on its own.
            state.sync_wanted = false;
            return state;
        }
        let (number, group) = self.take_pending(&mut state);
        state.in_flight = Some((number, group.last_lsn));
        state.sync_wanted = false;
        drop(state);

        let result = lock(&self.sink).start(group);

        let mut state = lock(&self.state);
        if let Err(error) = result {
            state.in_flight = None;
            state.poisoned = Some(Arc::new(error));
        }
        state
    }

    /// The pipelined path, second half: wait for the group in flight, publish it, and start
    /// the next one before waking anyone, so the disk never waits for a thread to wake.
    fn finish_in_flight<'a>(&'a self, state: MutexGuard<'a, State>) -> Finished<'a> {
        let (number, _) = state.in_flight.expect("a group is in flight");
        drop(state);

        let (group, result) = lock(&self.sink).finish();

        let mut state = lock(&self.state);
        state.in_flight = None;
        self.publish(&mut state, group, result, true);
        if state.poisoned.is_none() {
            state = self.start_pending(state);
        }
        (state, Some(number))
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
                }
                if sync {
                    state.synced = state.written;
                    state.stats.syncs += 1;
                }
            }
            Err(error) => state.poisoned = Some(Arc::new(error)),
        }
        let mut bytes = group.bytes;
        bytes.clear();
        if bytes.capacity() <= 2 * self.buffer_bytes_max.max(1 << 20) {
            state.spare = bytes;
        }
    }

    fn waker(&self, group: u64) -> &Condvar {
        &self.wakers[usize::from(group % 2 == 1)]
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

    /// Runs `f` on the sink, waiting for any group in flight.
    pub fn with_sink<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut lock(&self.sink))
    }
}

/// Checks every payload's size and computes its CRC, before the queue's lock is taken.
fn checked_crcs(payloads: &[&[u8]]) -> Result<Vec<u32>> {
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
