//! [`Wakeup`]: a counter of events that threads can wait on, woken as soon as the count moves,
//! with no lock and no system call for the event's side while nobody waits. Streams use it to
//! wake their subscribers (`Db::subscribe`) after each write that added records.
//!
//! The protocol, modelled by `tests/loom_stream_wakeup.rs`: the notifier bumps the count, then
//! reads the number of waiters; a waiter registers, then (under the mutex) reads the count. With
//! sequentially consistent atomics one of the two sees the other, so either the waiter's check
//! sees the bump and does not sleep, or the notifier sees the waiter and, after taking the mutex
//! (so the waiter is past its check and asleep, or not yet at it), notifies. A sequentially
//! consistent fence sits between each side's store and load: loom models SeqCst accesses as
//! acquire/release, under which the model finds the lost wake-up; the fences give the
//! store-load order in a form both the hardware and the model check.

use std::time::{Duration, Instant};

use crate::sync::{fence, lock, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering};

/// A counter of events with waiting (see the module documentation).
#[derive(Debug)]
pub struct Wakeup {
    count: AtomicU64,
    waiting: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Default for Wakeup {
    fn default() -> Wakeup {
        Wakeup::new()
    }
}

impl Wakeup {
    /// A counter at zero.
    #[must_use]
    pub fn new() -> Wakeup {
        Wakeup {
            count: AtomicU64::new(0),
            waiting: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Counts an event and wakes the waiters, if any.
    pub fn notify(&self) {
        // ORDERING: SeqCst: store (the count) then load (the waiters) here, store (the waiters)
        // then load (the count) in `wait`: only a single total order guarantees that one side
        // sees the other's store.
        self.count.fetch_add(1, Ordering::SeqCst);
        // ORDERING: the fence makes the store-load order explicit (see the module
        // documentation).
        fence(Ordering::SeqCst);
        // ORDERING: SeqCst, as above.
        if self.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        drop(lock(&self.lock));
        self.wake.notify_all();
    }

    /// The events counted so far.
    pub fn count(&self) -> u64 {
        // ORDERING: SeqCst, see `notify`.
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until the count differs from `seen` or `timeout` passes (`None`: no timeout);
    /// returns the count.
    pub fn wait(&self, seen: u64, timeout: Option<Duration>) -> u64 {
        let deadline = timeout.map(|t| Instant::now() + t);
        // ORDERING: SeqCst, see `notify`.
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // ORDERING: pairs with the fence in `notify`.
        fence(Ordering::SeqCst);
        let mut guard = lock(&self.lock);
        while self.count() == seen {
            guard = match deadline {
                None => self.wake.wait(guard).unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    let waited = self.wake.wait_timeout(guard, left);
                    waited.unwrap_or_else(std::sync::PoisonError::into_inner).0
                }
            };
        }
        drop(guard);
        // ORDERING: SeqCst, see `notify`.
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        self.count()
    }
}
