//! Writes completed off the writer's thread, for callers that must not block (an async event
//! loop serving many connections on one thread).
//!
//! [`Core::write_with_deferred`] applies a write under its writer lock and enqueues its log
//! record like any write, but instead of waiting for the log it hands the write to the store's
//! *completer* thread and returns a [`Durable`] at once. The completer takes every write handed
//! to it so far as one run, waits for the log once (through the run's highest LSN: the log is
//! made durable in LSN order, so that covers them all, and the run shares its group commit with
//! every other writer), then completes the writes in LSN order exactly as a waiting writer
//! completes its own (publish, or on a log failure discard and poison) and fulfils each one's
//! [`Durable`]. So the rule that a write is visible, and reported, only once durable holds
//! unchanged; what changes is who waits: one thread per group commit instead of one per write.
//!
//! A deferred write's root stays pending in its shard until the completer publishes it, and
//! the completer never waits for a caller, so a caller may block on a shard (a freeze draining
//! the pending roots, a writer lock) without deadlocking on its own deferred writes.
//!
//! [`Core::write_with_deferred`]: crate::core::Core::write_with_deferred

use std::future::Future;
use std::pin::Pin;
// `std`'s `Arc` also under loom: the store (built on `std`'s primitives) holds the slot in one,
// and what there is to model is the slot's lock and condvar, which are loom's under loom.
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use basalt_wal::Lsn;

use crate::core::error::Result;
use crate::sync::{lock, Condvar, Mutex};

/// The outcome of a deferred write, once its log record is durable and the write is visible
/// (`Ok(Some(lsn))`), or known not to be (an error: the store is poisoned). `Ok(None)`: the
/// write wrote nothing.
///
/// Await it (it is a [`Future`], independent of any async runtime) or [`Durable::wait`] for it.
/// Dropping it does not cancel the write. Its outcome is handed out once: polled again after it
/// was ready, it stays pending.
#[derive(Debug)]
#[must_use = "a deferred write is neither durable nor visible until its Durable is ready"]
pub struct Durable {
    state: Known,
}

/// Whether a [`Durable`]'s outcome was known when it was made.
#[derive(Debug)]
enum Known {
    /// Known at once (a write completed in its call, or one that wrote nothing): no slot to
    /// share, so a write that never leaves its caller allocates and locks nothing more.
    Ready { outcome: Option<Result<Option<Lsn>>>, published: bool },
    /// Left in `Slot` by the completer.
    Later(Arc<Slot>),
}

/// Where the completer leaves a deferred write's outcome.
#[derive(Debug)]
pub struct Slot {
    state: Mutex<SlotState>,
    ready: Condvar,
}

struct SlotState {
    outcome: Option<Result<Option<Lsn>>>,
    /// The task to wake when the outcome arrives (the last one that polled).
    waker: Option<Waker>,
    /// Run by whoever leaves the outcome, with whether the write was published
    /// ([`Durable::on_ready`]).
    hook: Option<Hook>,
    /// Once the outcome was left (it may have been taken since): whether the write was
    /// published.
    published: Option<bool>,
    /// A thread waits on `ready` ([`Durable::wait`]); only then does the completer signal it
    /// (a condition variable's signal is a system call even with nobody waiting).
    blocked: bool,
}

type Hook = Box<dyn FnOnce(bool) + Send>;

impl std::fmt::Debug for SlotState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotState")
            .field("outcome", &self.outcome)
            .field("published", &self.published)
            .finish_non_exhaustive()
    }
}

impl Durable {
    /// A write not complete yet, and the slot its completer fulfils.
    pub(crate) fn pending() -> (Durable, Arc<Slot>) {
        let state =
            SlotState { outcome: None, waker: None, hook: None, published: None, blocked: false };
        let slot = Arc::new(Slot { state: Mutex::new(state), ready: Condvar::new() });
        (Durable { state: Known::Later(slot.clone()) }, slot)
    }

    /// [`Durable::pending`], for the loom model `tests/loom_deferred.rs`.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn for_loom() -> (Durable, Arc<Slot>) {
        Durable::pending()
    }

    /// A write completed already (or one that wrote nothing, or failed before its record).
    pub(crate) fn ready(outcome: Result<Option<Lsn>>) -> Durable {
        let published = matches!(outcome, Ok(Some(_)));
        Durable { state: Known::Ready { outcome: Some(outcome), published } }
    }

    /// Blocks until the write is complete; returns its outcome.
    ///
    /// # Errors
    /// The log failed before the write was durable: the store is poisoned, and the write will
    /// never be visible.
    pub fn wait(self) -> Result<Option<Lsn>> {
        let slot = match self.state {
            Known::Ready { outcome, .. } => {
                return outcome.expect("the outcome is handed out once")
            }
            Known::Later(slot) => slot,
        };
        let mut state = lock(&slot.state);
        loop {
            if let Some(outcome) = state.outcome.take() {
                return outcome;
            }
            // Set under the lock the completer takes to leave the outcome: it either sees this
            // and signals, or left the outcome before, which the check above found.
            state.blocked = true;
            state = slot.ready.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Whether the outcome is there (so that [`Durable::wait`] returns at once).
    pub fn is_ready(&self) -> bool {
        match &self.state {
            Known::Ready { outcome, .. } => outcome.is_some(),
            Known::Later(slot) => lock(&slot.state).outcome.is_some(),
        }
    }

    /// Runs `hook` once the outcome is known, whoever holds this `Durable` and even if it is
    /// dropped: at once if it is known already, else on the completer's thread right after the
    /// write is published (`true`) or has failed (`false`) and its owner is woken. For what
    /// must follow the write's publication whatever becomes of its answer, such as waking a
    /// stream's readers. One hook per write; keep it short.
    pub fn on_ready(&self, hook: impl FnOnce(bool) + Send + 'static) {
        let slot = match &self.state {
            Known::Ready { published, .. } => return hook(*published),
            Known::Later(slot) => slot,
        };
        let mut state = lock(&slot.state);
        assert!(state.hook.is_none(), "one hook per deferred write");
        let Some(published) = state.published else {
            state.hook = Some(Box::new(hook));
            return;
        };
        drop(state);
        hook(published);
    }
}

impl Future for Durable {
    type Output = Result<Option<Lsn>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = match &mut self.state {
            Known::Ready { outcome, .. } => {
                return outcome.take().map_or(Poll::Pending, Poll::Ready)
            }
            Known::Later(slot) => slot,
        };
        let mut state = lock(&slot.state);
        if let Some(outcome) = state.outcome.take() {
            return Poll::Ready(outcome);
        }
        // Registered under the same lock the completer takes to leave the outcome, so the
        // outcome is either seen above or left after this waker is in place: never lost.
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Slot {
    /// Leaves `error` for the write's owner unless an outcome was left already (the completer
    /// panicked while completing it).
    pub fn fail_if_pending(&self, error: crate::core::Error) {
        if lock(&self.state).published.is_none() {
            self.fulfil(Err(error));
        }
    }

    /// Leaves `outcome` for the write's owner and wakes it (outside the lock).
    pub fn fulfil(&self, outcome: Result<Option<Lsn>>) {
        let mut state = lock(&self.state);
        assert!(state.published.is_none(), "a deferred write is completed once");
        let published = matches!(outcome, Ok(Some(_)));
        state.outcome = Some(outcome);
        state.published = Some(published);
        let waker = state.waker.take();
        let hook = state.hook.take();
        let blocked = state.blocked;
        drop(state);
        if blocked {
            self.ready.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        // Last: should it panic, the owner has its outcome all the same.
        if let Some(hook) = hook {
            hook(published);
        }
    }
}

/// The deferred writes waiting for the completer, handed over in runs.
#[derive(Debug)]
pub struct Queue<J> {
    state: Mutex<QueueState<J>>,
    /// Signalled when jobs arrive for an idle completer, and when a run is done.
    changed: Condvar,
}

#[derive(Debug)]
struct QueueState<J> {
    jobs: Vec<J>,
    /// The completer is waiting for jobs (so a push must signal it).
    idle: bool,
    stop: bool,
    /// Jobs pushed and jobs completed since the queue was made.
    pushed: u64,
    completed: u64,
    /// Callers of [`Queue::settle`] waiting.
    settling: usize,
}

impl<J> Default for Queue<J> {
    fn default() -> Self {
        let state = QueueState {
            jobs: Vec::new(),
            idle: false,
            stop: false,
            pushed: 0,
            completed: 0,
            settling: 0,
        };
        Queue { state: Mutex::new(state), changed: Condvar::new() }
    }
}

impl<J> Queue<J> {
    /// Hands `job` to the completer. Returns it back if the queue is stopped (the store is
    /// closing: the caller completes it itself).
    pub fn push(&self, job: J) -> std::result::Result<(), J> {
        let mut state = lock(&self.state);
        if state.stop {
            return Err(job);
        }
        state.jobs.push(job);
        state.pushed += 1;
        // A busy completer takes this job with its next run without being signalled (one
        // futex wake per run, not per write).
        let wake = state.idle;
        drop(state);
        if wake {
            self.changed.notify_all();
        }
        Ok(())
    }

    /// The completer's next run: every job pushed since the last one, waiting while there are
    /// none. `None` once the queue is stopped and empty.
    pub fn take(&self) -> Option<Vec<J>> {
        let mut state = lock(&self.state);
        loop {
            if !state.jobs.is_empty() {
                state.idle = false;
                return Some(std::mem::take(&mut state.jobs));
            }
            if state.stop {
                return None;
            }
            state.idle = true;
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Counts `count` jobs of a run as completed.
    pub fn completed(&self, count: usize) {
        let mut state = lock(&self.state);
        state.completed += count as u64;
        let settling = state.settling > 0;
        drop(state);
        if settling {
            self.changed.notify_all();
        }
    }

    /// Waits until every job pushed before this call is completed.
    pub fn settle(&self) {
        let mut state = lock(&self.state);
        let target = state.pushed;
        state.settling += 1;
        while state.completed < target {
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        state.settling -= 1;
    }

    /// Refuses later pushes; the completer finishes the jobs queued, then [`Queue::take`]
    /// returns `None`.
    pub fn stop(&self) {
        lock(&self.state).stop = true;
        self.changed.notify_all();
    }
}
