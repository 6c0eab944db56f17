//! Synchronization primitives: `std`'s, or loom's when built with `--cfg loom`.
//!
//! The version cell, the publication seqlock and the stream wake-up take their atomics, locks
//! and `Arc` from here, and the deferred writes' queue and slots their locks and condvars, so the
//! loom models in `tests/loom_version_cell.rs`, `tests/loom_commit.rs`,
//! `tests/loom_stream_wakeup.rs` and `tests/loom_deferred.rs` explore the code the engine runs.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use std::sync::PoisonError;

/// Locks `mutex`, ignoring poisoning: every critical section in the engine either completes its
/// updates or panics before making any, so a panicking holder cannot leave torn state behind.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lets another thread run while this one waits for a few instructions' worth of work.
pub(crate) fn spin_wait() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}
