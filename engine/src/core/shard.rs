//! A shard: its writer state (working tree, sealed roots awaiting the log) and its published
//! version.
//!
//! Writes to a shard take its writer lock, take their LSN from the log in the same critical
//! section (so LSN order is apply order), apply their changes to the *working tree*, and *seal*
//! the result: an O(1) snapshot of the working tree remembered with the write's LSN in
//! `pending`. They then leave the lock and wait for the log. Once a write is durable its writer
//! *publishes* the newest sealed root at or below its LSN as the shard's new [`Version`]; every
//! earlier sealed root is durable too (the log is durable in LSN order) and is skipped. Later
//! writes of the same shard see earlier ones at once, because they read the working tree, never
//! the published version (ENGINE-NOTES trap 1).
//!
//! A sealed root of a write that spans shards must become visible in all of them together; the
//! store publishes those under its seqlock (`Core::publish_multi`). Until then it is a barrier:
//! single-shard writers behind it wait for it instead of publishing past it, because every
//! later root contains it.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use basalt_sstable::Kind;
use basalt_wal::Lsn;

use crate::core::batch::Op;
use crate::core::bytes::Bytes;
use crate::core::cell::VersionCell;
use crate::core::error::Result;
use crate::core::limits::{FROZEN_TREES_MAX, TREE_ENTRY_OVERHEAD_BYTES};
use crate::core::slot;
use crate::core::version::{Frozen, Levels, Version};
use crate::sync;
use crate::tree::{Tree, TreeMut};

/// One shard of a store.
pub(crate) struct Shard {
    cell: VersionCell<Version>,
    state: Mutex<WriterState>,
    /// Signalled when a sealed root is published or discarded, a tree frozen, or a frozen tree
    /// flushed.
    changed: Condvar,
}

/// A sealed root waiting for its log record to become durable.
struct Sealed {
    lsn: Lsn,
    root: Tree,
    /// Part of a write that spans shards: published only by its own writer, with the others.
    multi: bool,
}

/// Everything a shard's writer and its maintenance change, behind the writer lock.
pub(crate) struct WriterState {
    working: TreeMut,
    working_bytes: usize,
    /// The first LSN applied to the working tree since it was last frozen.
    working_min_lsn: Option<Lsn>,
    last_applied: Lsn,
    pending: VecDeque<Sealed>,
    /// The published live tree and LSN.
    live: Tree,
    visible_lsn: Lsn,
    pub(crate) frozen: Arc<[Arc<Frozen>]>,
    pub(crate) levels: Arc<Levels>,
    /// Every change of this shard at or below it is in its SSTables (per the manifest).
    pub(crate) flushed_lsn: Lsn,
    freeze_bytes: usize,
    /// The working tree passed `freeze_bytes`: freeze once the sealed roots are published.
    freeze_wanted: bool,
}

impl Shard {
    pub(crate) fn new(levels: Levels, flushed_lsn: Lsn, freeze_bytes: usize) -> Shard {
        let levels = Arc::new(levels);
        let version = Version { levels: levels.clone(), ..Version::empty() };
        let state = WriterState {
            working: TreeMut::new(),
            working_bytes: 0,
            working_min_lsn: None,
            last_applied: flushed_lsn,
            pending: VecDeque::new(),
            live: Tree::new(),
            visible_lsn: flushed_lsn,
            frozen: Arc::from([]),
            levels,
            flushed_lsn,
            freeze_bytes,
            freeze_wanted: false,
        };
        Shard {
            cell: VersionCell::new(sync::Arc::new(version)),
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    /// The published version: one pointer load and a reference count, never a lock.
    pub(crate) fn version(&self) -> sync::Arc<Version> {
        self.cell.load()
    }

    /// Takes the writer lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, WriterState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the writer lock for a new write, first waiting while a freeze is due or, when
    /// `stall` is set, while the shard holds too many frozen trees (backpressure until the
    /// background flush catches up). `gave_up` ends the wait for the background flush (the
    /// store is poisoned).
    ///
    /// IMPORTANT: never wait here while holding another shard's writer lock: the flush being
    /// waited for may need that lock. Multi-shard writes wait with [`Shard::wait_writable`]
    /// first, holding nothing, then lock with [`Shard::lock`] and check [`WriterState::writable`].
    pub(crate) fn lock_for_write(
        &self,
        stall: bool,
        gave_up: impl Fn() -> bool,
    ) -> MutexGuard<'_, WriterState> {
        let mut state = self.lock();
        while !state.writable(stall, &gave_up) {
            state = self.wait(state);
        }
        state
    }

    /// Waits until a write could proceed (see [`Shard::lock_for_write`]), then lets go.
    pub(crate) fn wait_writable(&self, stall: bool, gave_up: impl Fn() -> bool) {
        drop(self.lock_for_write(stall, gave_up));
    }

    fn wait<'a>(&self, state: MutexGuard<'a, WriterState>) -> MutexGuard<'a, WriterState> {
        self.changed.wait(state).unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes this shard's sealed roots through `lsn` (durable) for a single-shard write,
    /// waiting behind any unpublished multi-shard root at or below it. Returns whether the
    /// shard froze its live tree (a flush is due).
    pub(crate) fn publish_single(&self, lsn: Lsn) -> bool {
        self.publish_until_multi(lsn, lsn)
    }

    /// Phase one of a multi-shard publication: publishes the single-shard roots below `lsn`
    /// and waits until no other multi-shard root below `lsn` is pending here.
    pub(crate) fn drain_before(&self, lsn: Lsn) {
        let froze = self.publish_until_multi(Lsn(lsn.0 - 1), lsn);
        assert!(!froze, "froze with the multi-shard root {lsn:?} pending");
    }

    /// Publishes through `through`, never past a multi-shard root other than the one at
    /// `own`, waiting for such roots to be published by their writers.
    fn publish_until_multi(&self, through: Lsn, own: Lsn) -> bool {
        let mut state = self.lock();
        let mut froze = false;
        loop {
            if state.visible_lsn >= through {
                return froze;
            }
            let barrier = state
                .pending
                .iter()
                .take_while(|s| s.lsn <= through)
                .position(|s| s.multi && s.lsn != own);
            match barrier {
                None => {
                    froze |= state.publish_through(through, &self.cell);
                    self.changed.notify_all();
                    return froze;
                }
                Some(0) => {}
                Some(position) => {
                    let before = state.pending[position - 1].lsn;
                    froze |= state.publish_through(before, &self.cell);
                    self.changed.notify_all();
                }
            }
            state = self.wait(state);
        }
    }

    /// Phase two, with `state` (this shard's, locked) and the store's seqlock held: publishes
    /// through `lsn`, which includes this write's own root. Returns whether the shard froze its
    /// live tree. The caller notifies waiters ([`Shard::wake_all`]) after unlocking.
    pub(crate) fn publish_multi(&self, state: &mut WriterState, lsn: Lsn) -> bool {
        state.publish_through(lsn, &self.cell)
    }

    /// Publishes through `lsn`, whose record (and so every earlier one) is durable, on behalf
    /// of whichever writers sealed those roots; a multi-shard root among them is left to its
    /// own writer, which this waits for. Returns whether the shard froze its live tree.
    pub(crate) fn publish_durable(&self, lsn: Lsn) -> bool {
        // LSN 0 is no record's: no multi-shard root is this caller's own.
        self.publish_until_multi(lsn, Lsn(0))
    }

    /// Drops the sealed roots at or after `lsn`, whose log records failed; the working tree goes
    /// back to the newest root kept. Earlier roots are durable and stay for their writers to
    /// publish. (No write is applied after a log failure: the log refuses every later record.)
    pub(crate) fn discard_from(&self, lsn: Lsn) {
        let mut state = self.lock();
        state.pending.retain(|sealed| sealed.lsn < lsn);
        let newest = state.pending.back().map_or_else(|| state.live.clone(), |s| s.root.clone());
        state.working = newest.to_mut();
        state.freeze_wanted = false;
        self.changed.notify_all();
    }

    /// Wakes every writer waiting on this shard, to look at the store again.
    pub(crate) fn wake_all(&self) {
        let _state = self.lock();
        self.changed.notify_all();
    }

    /// Waits until this shard has published through `lsn` (so everything at or below it is as
    /// durable as the store promises). Returns false, without waiting further, once the store
    /// `gave_up` (poisoned: the roots may have been discarded and will never be published).
    ///
    /// Cheaper than asking the log: the writers of those records are already waiting for the
    /// log and publish them as soon as it is durable, so this adds no sync and no group.
    pub(crate) fn wait_published(&self, lsn: Lsn, gave_up: impl Fn() -> bool) -> bool {
        let mut state = self.lock();
        while state.visible_lsn < lsn {
            if gave_up() {
                return false;
            }
            state = self.wait(state);
        }
        true
    }

    /// Freezes the live tree now if it holds anything (explicit flush, close); waits for the
    /// shard's sealed roots to be published first. Returns whether it froze.
    pub(crate) fn freeze_now(&self) -> bool {
        let mut state = self.lock();
        // New writes wait while a freeze is wanted, so the pending roots drain within a group
        // commit even under a steady stream of writes.
        state.freeze_wanted = true;
        while !state.pending.is_empty() {
            state = self.wait(state);
        }
        let froze = state.freeze(&self.cell);
        self.changed.notify_all();
        froze
    }

    /// Replaces the frozen list and levels (a flush or compaction installing its result) and
    /// publishes the shard's version with them.
    pub(crate) fn install(&self, change: impl FnOnce(&mut WriterState)) {
        let mut state = self.lock();
        change(&mut state);
        state.republish(&self.cell);
        self.changed.notify_all();
    }

    /// The oldest LSN this shard still needs from the log, if any.
    pub(crate) fn log_needed_from(&self) -> Option<Lsn> {
        let state = self.lock();
        state.frozen.last().map(|f| f.min_lsn).or(state.working_min_lsn)
    }
}

impl WriterState {
    /// Whether a new write may be applied now: no freeze is due, and (under `stall`) the frozen
    /// trees are below their bound or the store has `gave_up`.
    pub(crate) fn writable(&self, stall: bool, gave_up: impl Fn() -> bool) -> bool {
        !(self.freeze_wanted || (stall && self.frozen.len() >= FROZEN_TREES_MAX && !gave_up()))
    }

    /// The newest value of `key` as the shard's writers see it: the working tree (which holds
    /// writes applied but not yet durable, and everything of the live tree), then the frozen
    /// trees and SSTables. `None` for a missing or deleted key.
    ///
    /// # Errors
    /// A damaged SSTable block.
    pub(crate) fn read(&self, key: &[u8]) -> Result<Option<Bytes>> {
        if let Some(slot) = self.working.get(key) {
            return Ok(match slot::kind(slot) {
                Kind::Value => Some(slot::value(slot)),
                Kind::Tombstone => None,
            });
        }
        // The working tree contains the live tree, so the rest is an empty live tree's version.
        let rest = Version {
            live: Tree::new(),
            frozen: self.frozen.clone(),
            levels: self.levels.clone(),
            visible_lsn: self.last_applied,
        };
        rest.get(key)
    }

    /// The LSN through which [`WriterState::read`] may see changes not yet published (and so
    /// perhaps not durable), or `None` when everything applied is published.
    pub(crate) fn unpublished_through(&self) -> Option<Lsn> {
        (self.last_applied > self.visible_lsn).then_some(self.last_applied)
    }

    /// Applies one operation of the write with LSN `lsn` to the working tree.
    pub(crate) fn apply(&mut self, op: &Op<'_>, lsn: Lsn) {
        assert!(lsn > self.last_applied, "LSN {lsn:?} applied after {:?}", self.last_applied);
        let entry_bytes = op.key.len() + op.value.len() + TREE_ENTRY_OVERHEAD_BYTES;
        let old = self.working.insert(op.key, slot::encode(op.kind, lsn, op.value));
        let old_bytes = old.map_or(0, |old| op.key.len() + old.len() + TREE_ENTRY_OVERHEAD_BYTES);
        self.working_bytes = (self.working_bytes + entry_bytes).saturating_sub(old_bytes);
        self.working_min_lsn.get_or_insert(lsn);
        if self.working_bytes >= self.freeze_bytes {
            self.freeze_wanted = true;
        }
    }

    /// Ends the write with LSN `lsn`: remembers the working tree's root for publication.
    pub(crate) fn seal(&mut self, lsn: Lsn, multi: bool) {
        self.last_applied = lsn;
        self.pending.push_back(Sealed { lsn, root: self.working.snapshot(), multi });
    }

    /// Records that replay applied everything of this shard up to `lsn`.
    pub(crate) fn mark_applied(&mut self, lsn: Lsn) {
        self.last_applied = lsn;
    }

    /// Whether the working tree passed its budget.
    pub(crate) fn freeze_due(&self) -> bool {
        self.freeze_wanted
    }

    /// Ends recovery's replay of the log: everything applied is durable and visible.
    pub(crate) fn publish_recovered(&mut self, last_lsn: Lsn, cell_owner: &Shard) {
        self.last_applied = self.last_applied.max(last_lsn);
        self.live = self.working.snapshot();
        self.visible_lsn = self.last_applied;
        if self.freeze_wanted {
            self.freeze(&cell_owner.cell);
        } else {
            self.republish(&cell_owner.cell);
        }
    }

    /// Publishes the newest sealed root at or below `lsn`; freezes if a freeze is due and
    /// nothing is left pending. Returns whether it froze.
    fn publish_through(&mut self, lsn: Lsn, cell: &VersionCell<Version>) -> bool {
        let mut newest = None;
        while self.pending.front().is_some_and(|s| s.lsn <= lsn) {
            newest = self.pending.pop_front();
        }
        if let Some(sealed) = newest {
            self.live = sealed.root;
            self.visible_lsn = sealed.lsn;
            if !(self.freeze_wanted && self.pending.is_empty()) {
                self.republish(cell);
            }
        }
        self.freeze_wanted && self.pending.is_empty() && self.freeze(cell)
    }

    /// Moves the live tree to the front of the frozen list. Requires `pending` empty (the
    /// working tree then equals the published live tree).
    fn freeze(&mut self, cell: &VersionCell<Version>) -> bool {
        assert!(self.pending.is_empty(), "freeze with sealed roots pending");
        self.freeze_wanted = false;
        let Some(min_lsn) = self.working_min_lsn.take() else {
            return false;
        };
        let frozen = Arc::new(Frozen {
            tree: std::mem::take(&mut self.live),
            min_lsn,
            max_lsn: self.last_applied,
            bytes: std::mem::take(&mut self.working_bytes),
        });
        self.working = TreeMut::new();
        self.frozen = std::iter::once(frozen).chain(self.frozen.iter().cloned()).collect();
        self.republish(cell);
        true
    }

    fn republish(&self, cell: &VersionCell<Version>) {
        cell.store(sync::Arc::new(Version {
            live: self.live.clone(),
            frozen: self.frozen.clone(),
            levels: self.levels.clone(),
            visible_lsn: self.visible_lsn,
        }));
    }
}
