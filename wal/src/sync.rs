//! Synchronization primitives: `std`'s, or loom's when built with `--cfg loom`.
//!
//! The group-commit queue takes its mutexes, atomics and thread parking from here, so the loom
//! model in `tests/loom_group_commit.rs` explores the very code the log runs.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread::{current, park, Thread};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread::{current, park, Thread};

use std::sync::PoisonError;

/// Locks `mutex`. A panic in another holder cannot leave the guarded state torn (every critical
/// section here either completes its updates or panics before making any), so poisoning is
/// ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
