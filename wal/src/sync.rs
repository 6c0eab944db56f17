//! Synchronization primitives: `std`'s, or loom's when built with `--cfg loom`.
//!
//! The group-commit queue takes its mutexes and condition variables from here, so the loom
//! model in `tests/loom_group_commit.rs` explores the very code the log runs.

#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

use std::sync::PoisonError;

/// Locks `mutex`. A panic in another holder cannot leave the guarded state torn (every critical
/// section here either completes its updates or panics before making any), so poisoning is
/// ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar`, ignoring poisoning as [`lock`] does.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}
