//! The background deletion of a dropped table's (or index's) items, and the thread that also
//! backfills indexes being created (`backfill.rs`).
//!
//! DeleteTable removes the table from the catalog and records its space under a purge key in
//! the same write, then answers; this thread deletes the space's items in batches and finally
//! the purge key. A crash in between leaves the purge key, and the purge resumes after the
//! next open. No write can reach a purged space: item operations hold the table's liveness
//! lock, which DeleteTable takes exclusively before it records the purge.

use std::ops::Bound;

use crate::api::DbError;
use crate::core::Batch;
use crate::db::{backfill, catalog, lock, Inner};

/// Bytes of keys deleted per batch: keeps each log record small.
const BATCH_KEY_BYTES: usize = 256 * 1024;

/// The purge thread's loop: purge everything pending, then sleep until a table is deleted or
/// the database closes.
pub(crate) fn run(inner: &Inner) {
    let mut seen = u64::MAX;
    loop {
        let generation = {
            let mut state = lock(&inner.purge);
            while !state.stop && state.generation == seen {
                state = inner.purge_wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            if state.stop {
                return;
            }
            state.generation
        };
        seen = generation;
        // Then the backfill of indexes being created (`backfill.rs`), on the same thread.
        let outcome =
            purge_pending(inner)
                .and_then(|done| if done { backfill::pending(inner) } else { Ok(false) });
        let mut state = lock(&inner.purge);
        match outcome {
            Ok(true) if state.generation == generation => state.idle_at = Some(generation),
            Ok(_) => {}
            // The store is poisoned: nothing more can be written until it is reopened. The purge
            // key stays, and the purge resumes after the next open.
            Err(error) => state.failed = Some(error),
        }
        inner.purge_wake.notify_all();
        if state.failed.is_some() {
            return;
        }
    }
}

/// Purges every pending space; `Ok(false)` when it stopped early because the database is
/// closing.
fn purge_pending(inner: &Inner) -> Result<bool, DbError> {
    let snapshot = inner.core.snapshot();
    let pending: Vec<Vec<u8>> = snapshot
        .range(catalog::as_slices(&catalog::tag_range(catalog::purge_tag())))
        .map(|entry| entry.map(|(key, _)| key.to_vec()))
        .collect::<Result<_, _>>()?;
    drop(snapshot);
    for purge_key in pending {
        let Some(space) = catalog::purge_space(&purge_key) else { continue };
        if !purge_space(inner, space)? {
            return Ok(false);
        }
        inner.core.delete(&purge_key)?;
    }
    Ok(true)
}

/// Deletes every key of `space`; `Ok(false)` if asked to stop first.
fn purge_space(inner: &Inner, space: u32) -> Result<bool, DbError> {
    let range = catalog::space_range(space);
    // Each batch starts after the last key deleted, so it does not walk the tombstones of the
    // batches before it.
    let mut after: Option<Vec<u8>> = None;
    loop {
        if lock(&inner.purge).stop {
            return Ok(false);
        }
        let snapshot = inner.core.snapshot();
        let start = match &after {
            Some(key) => Bound::Excluded(key.as_slice()),
            None => Bound::Included(range.start.as_slice()),
        };
        let mut batch = Batch::new();
        let mut bytes = 0;
        let mut last = None;
        for entry in snapshot.range((start, Bound::Excluded(range.end.as_slice()))) {
            let (key, _) = entry?;
            batch.delete(&key);
            bytes += key.len();
            last = Some(key);
            if bytes >= BATCH_KEY_BYTES {
                break;
            }
        }
        let Some(last) = last else { return Ok(true) };
        inner.core.write(batch)?;
        after = Some(last.to_vec());
    }
}

/// Blocks until the purge thread has found nothing left to do since the last DeleteTable, or
/// has failed.
pub(crate) fn wait_idle(inner: &Inner) -> Result<(), DbError> {
    let mut state = lock(&inner.purge);
    while !state.stop && state.failed.is_none() && state.idle_at != Some(state.generation) {
        state = inner.purge_wake.wait(state).unwrap_or_else(|e| e.into_inner());
    }
    state.failed.clone().map_or(Ok(()), Err)
}
