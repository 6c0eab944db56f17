//! The backfill of a global secondary index added to a table that holds items.
//!
//! UpdateTable records the index as `CREATING` and swaps it into the table's liveness lock
//! before it answers (`Inner::replace_definition`): from then on every item write maintains
//! the index. The background thread (the purge thread's second job) then walks the table in
//! runs of [`RUN_ITEMS`] items, each from a fresh snapshot, and adds the entry of every item
//! that has none yet, in a [`Core::write_with`] over the run's item keys and their entry keys:
//!
//! - An item whose row under the writer lock differs from the row the snapshot showed was
//!   written since (after the index existed): that write maintained its entry. Skipped.
//! - An item whose entry already exists was written since, or backfilled before a restart.
//!   Skipped.
//! - Otherwise the row is the one read, written before the index existed: its entry is put.
//!
//! So no write during the backfill is lost from the index and no entry is put twice; the walk
//! is idempotent, and a crash leaves the index `CREATING`, to be walked again after the next
//! open. Items whose index key has the wrong type are left out, as DynamoDB leaves them out.
//! At the end the index turns `ACTIVE` (under the control lock, if it still exists), and its
//! entries are counted while the table's writes wait (a write during the backfill cannot
//! tell whether an item's old entry was there yet, so its statistics are not exact).
//!
//! [`Core::write_with`]: crate::core::Core::write_with

use std::ops::Bound;
use std::sync::PoisonError;

use crate::api::DbError;
use crate::core::Batch;
use crate::db::catalog::{self, INDEX_ACTIVE, INDEX_CREATING};
use crate::db::index::{Index, IndexDeltas, WrittenBy};
use crate::db::row::decode_row;
use crate::db::{lock, Inner, Table};

/// Items per backfill write.
const RUN_ITEMS: usize = 256;

/// Backfills every index being created; `Ok(false)` when it stopped because the database is
/// closing.
pub(crate) fn pending(inner: &Inner) -> Result<bool, DbError> {
    let creating: Vec<(String, String, u32)> = {
        let tables = inner.tables.read().unwrap_or_else(PoisonError::into_inner);
        tables
            .values()
            .flat_map(|t| {
                let indexes = t.record.indexes.iter().filter(|i| i.status == INDEX_CREATING);
                indexes.map(|i| (t.record.name.clone(), i.name.clone(), i.space))
            })
            .collect()
    };
    for (table, index, space) in creating {
        if !backfill(inner, &table, space)? {
            return Ok(false);
        }
        activate(inner, &table, &index, space)?;
    }
    Ok(true)
}

/// Walks the table `name`, adding the entries of index `space`; `Ok(false)` if asked to stop.
/// Returns `Ok(true)` also when the table or index disappeared meanwhile.
fn backfill(inner: &Inner, name: &str, space: u32) -> Result<bool, DbError> {
    let mut after: Option<Vec<u8>> = None;
    loop {
        if lock(&inner.purge).stop {
            return Ok(false);
        }
        let Ok(table) = inner.table(name) else { return Ok(true) };
        match backfill_run(inner, &table, space, after.as_deref())? {
            Run::Next(last) => after = Some(last),
            Run::Done => return Ok(true),
        }
    }
}

/// An item of a run: its key, its row as the snapshot showed it, and its entry key if the row
/// has an entry.
type Walked = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

enum Run {
    /// The run ended at this item key; more may follow.
    Next(Vec<u8>),
    /// The table was walked to its end, or the table or index is gone.
    Done,
}

/// One run of the walk: up to [`RUN_ITEMS`] items after `after`.
fn backfill_run(
    inner: &Inner,
    table: &Table,
    space: u32,
    after: Option<&[u8]>,
) -> Result<Run, DbError> {
    let live = table.alive.read().unwrap_or_else(PoisonError::into_inner);
    let Some(index) = live.indexes.iter().find(|i| i.record.space == space).cloned() else {
        return Ok(Run::Done);
    };
    if !live.open {
        return Ok(Run::Done);
    }
    let shards = inner.core.shard_count();
    let range = catalog::space_range(table.record.space);
    let start = after.map_or(Bound::Included(range.start.as_slice()), Bound::Excluded);
    let snapshot = inner.core.snapshot();
    let mut run: Vec<Walked> = Vec::with_capacity(RUN_ITEMS);
    for entry in snapshot.range((start, Bound::Excluded(range.end.as_slice()))).take(RUN_ITEMS) {
        let (key, row) = entry?;
        let entry_key = entry_key_of(&index, &key, &row, shards)?;
        run.push((key.to_vec(), row.to_vec(), entry_key));
    }
    drop(snapshot);
    let Some(last) = run.last().map(|(key, _, _)| key.clone()) else { return Ok(Run::Done) };
    let mut reads: Vec<&[u8]> = run.iter().map(|(key, _, _)| key.as_slice()).collect();
    reads.extend(run.iter().filter_map(|(_, _, entry)| entry.as_deref()));
    let (_, deltas) = inner.core.write_with(&reads, |values| {
        let (items, entries) = values.split_at(run.len());
        let mut entries = entries.iter();
        let mut batch = Batch::new();
        let mut deltas = IndexDeltas::default();
        for ((key, row, entry_key), now) in run.iter().zip(items) {
            if entry_key.is_none() {
                continue;
            }
            let exists = entries.next().is_some_and(Option::is_some);
            if exists || now.as_deref() != Some(row.as_slice()) {
                continue;
            }
            crate::db::index::maintain(
                std::slice::from_ref(&index),
                shards,
                key,
                None,
                Some(row),
                &mut batch,
                &mut deltas,
            )?;
        }
        Ok::<_, DbError>((batch, deltas))
    })?;
    deltas.apply();
    Ok(Run::Next(last))
}

/// The entry key of the stored item `row` under `key`, or `None` when it has no entry (also
/// when its index key has the wrong type: left out).
fn entry_key_of(
    index: &Index,
    key: &[u8],
    row: &[u8],
    shards: u16,
) -> Result<Option<Vec<u8>>, DbError> {
    let item = decode_row(row)?;
    Ok(match index.key_values(&item, WrittenBy::Put) {
        Ok(Some(values)) => Some(index.entry_key(key, &values, shards)),
        _ => None,
    })
}

/// Marks index `name` (in `space`) of table `table` active, if it is still there.
fn activate(inner: &Inner, table: &str, name: &str, space: u32) -> Result<(), DbError> {
    let _control = lock(&inner.control);
    let Ok(current) = inner.table(table) else { return Ok(()) };
    let mut record = current.record.clone();
    let Some(index) = record.indexes.iter_mut().find(|i| i.space == space && i.name == name) else {
        return Ok(());
    };
    index.status = INDEX_ACTIVE.to_string();
    // Writes during the backfill could not tell whether an item's old entry was there yet, so
    // their counts are not to be trusted: the index is counted while writes wait.
    inner.replace_definition(
        &current,
        record,
        crate::core::Batch::new(),
        Some(space),
        crate::db::streams_api::StreamChange::Keep,
    )?;
    Ok(())
}
