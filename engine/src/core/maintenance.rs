//! Background work: flushing frozen trees, compacting SSTables, deleting what is obsolete.
//!
//! All of it runs under the store's maintenance lock, on the background worker or in the
//! caller of `flush`/`compact`/`close`. Each step makes its result durable before it becomes
//! visible or before anything it replaces is deleted (ENGINE-NOTES traps 5 and 7):
//!
//! - flush: SSTable synced and named → manifest (table added to L0, shard's `flushed_lsn`)
//!   synced → one version swap (frozen tree out, SSTable in) → log segments below every shard's
//!   oldest unflushed LSN deleted;
//! - compaction: outputs synced and named → manifest synced → one version swap → inputs to
//!   the graveyard, deleted once no snapshot maps them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use basalt_fs::Fs;
use basalt_sstable::{Direction, MergeIter, Source, Tombstones};
use basalt_wal::Durability;

use crate::core::compaction;
use crate::core::error::{io_error, Result};
use crate::core::limits::LOG_SEGMENTS_SOFT_MAX;
use crate::core::store::{lock, Inner};
use crate::core::table_file::{self, TableSink};
use crate::core::version::{tree_entry, Levels};

/// A unit of background work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    /// Flush the shard's frozen trees.
    Flush,
    /// Freeze the shard's live tree and flush it: it pins old log segments.
    Cold,
    /// Run the compactions the shard needs.
    Compact,
}

impl<F: Fs> Inner<F> {
    /// Flushes every frozen tree of every shard, then deletes obsolete log segments.
    pub(crate) fn flush_all(&self) -> Result<()> {
        for index in 0..self.shards.len() {
            self.flush_shard(index)?;
        }
        self.delete_obsolete_log()
    }

    /// Writes the shard's frozen trees, oldest first, to L0 SSTables.
    pub(crate) fn flush_shard(&self, index: usize) -> Result<()> {
        let _maintenance = lock(&self.maintenance);
        let shard = &self.shards[index];
        loop {
            let Some(frozen) = shard.lock().frozen.last().cloned() else {
                return Ok(());
            };
            if self.durability() != Durability::Sync {
                // IMPORTANT: an SSTable must never hold an LSN the log could lose, or a later
                // run would hand that LSN out again (ENGINE-NOTES trap 8).
                self.wal.sync()?;
            }
            let mut manifest = lock(&self.manifest).clone();
            let entries = frozen.tree.iter().map(|(key, slot)| Ok(tree_entry(key, slot)));
            let mut sink = TableSink {
                fs: &self.fs,
                dir: &self.dir,
                next_id: &mut manifest.next_table_id,
                target_bytes: u64::MAX,
            };
            let outputs = sink.write_all(entries)?;
            let written: u64 = outputs.iter().map(|(meta, _)| meta.len_bytes).sum();
            // ORDERING: Relaxed: a statistics counter.
            self.counters.flushed_bytes.fetch_add(written, Ordering::Relaxed);
            let mut levels: Levels = (*shard.lock().levels).clone();
            if levels.levels.is_empty() {
                levels.levels.push(Vec::new());
            }
            for (_, table) in outputs.into_iter().rev() {
                levels.levels[0].insert(0, Arc::new(table));
            }
            manifest.seq += 1;
            manifest.shards[index].flushed_lsn = frozen.max_lsn;
            compaction::apply_meta(&mut manifest.shards[index], &levels);
            crate::core::manifest::write(&self.fs, &self.dir, &manifest)?;
            *lock(&self.manifest) = manifest;
            shard.install(|state| {
                state.frozen =
                    state.frozen.iter().filter(|f| !Arc::ptr_eq(f, &frozen)).cloned().collect();
                state.levels = Arc::new(levels);
                state.flushed_lsn = frozen.max_lsn;
            });
        }
    }

    /// Runs the compactions shard `index` needs (`full`: merges everything into one level).
    pub(crate) fn compact_shard(&self, index: usize, full: bool) -> Result<()> {
        let _maintenance = lock(&self.maintenance);
        let shard = &self.shards[index];
        loop {
            let levels = shard.lock().levels.clone();
            let plan = if full {
                compaction::full(&levels)
            } else {
                compaction::pick(&levels, &self.options)
            };
            let Some(plan) = plan else { return self.reap_graveyard() };
            let mut manifest = lock(&self.manifest).clone();
            let outputs = if plan.trivial_move {
                plan.inputs.clone()
            } else {
                let sources: Vec<Source<'_>> = plan
                    .inputs
                    .iter()
                    .map(|t| Box::new(t.table.iter(Direction::Forward)) as Source<'_>)
                    .collect();
                let tombstones =
                    if plan.drop_tombstones { Tombstones::Hide } else { Tombstones::Yield };
                let merged = MergeIter::new(sources, Direction::Forward, tombstones);
                let mut sink = TableSink {
                    fs: &self.fs,
                    dir: &self.dir,
                    next_id: &mut manifest.next_table_id,
                    target_bytes: self.options.table_target_bytes,
                };
                let outputs = sink.write_all(merged)?;
                let written: u64 = outputs.iter().map(|(meta, _)| meta.len_bytes).sum();
                // ORDERING: Relaxed: a statistics counter.
                self.counters.compacted_bytes.fetch_add(written, Ordering::Relaxed);
                outputs.into_iter().map(|(_, table)| Arc::new(table)).collect()
            };
            let new_levels = compaction::apply(&levels, &plan, &outputs);
            manifest.seq += 1;
            compaction::apply_meta(&mut manifest.shards[index], &new_levels);
            crate::core::manifest::write(&self.fs, &self.dir, &manifest)?;
            *lock(&self.manifest) = manifest;
            shard.install(|state| state.levels = Arc::new(new_levels));
            if !plan.trivial_move {
                lock(&self.graveyard).extend(plan.inputs);
            }
            if full {
                return self.reap_graveyard();
            }
        }
    }

    /// Deletes log segments whose records every shard has flushed.
    ///
    /// A shard that writes little keeps its live tree, and with it the log, for a long time.
    /// When the log passes [`LOG_SEGMENTS_SOFT_MAX`] segments, the shard holding the oldest
    /// unflushed change is frozen and flushed on purpose (a cold-shard flush).
    pub(crate) fn delete_obsolete_log(&self) -> Result<()> {
        let _maintenance = lock(&self.maintenance);
        // Read the next LSN first: a write that takes an LSN after this point is at or above it.
        let mut needed = self.wal.next_lsn();
        let mut pinning = None;
        for (index, shard) in self.shards.iter().enumerate() {
            if let Some(lsn) = shard.log_needed_from() {
                if lsn < needed {
                    (needed, pinning) = (lsn, Some(index));
                }
            }
        }
        // IMPORTANT: record in the manifest that the log may now start at `needed` before any
        // segment goes, so that `open` can tell a log we shortened from one that lost records.
        let mut manifest = lock(&self.manifest).clone();
        if needed > manifest.log_start && self.wal.segment_count() > 1 {
            manifest.seq += 1;
            manifest.log_start = needed;
            crate::core::manifest::write(&self.fs, &self.dir, &manifest)?;
            *lock(&self.manifest) = manifest;
        }
        self.wal.delete_below(lock(&self.manifest).log_start.min(needed))?;
        if let Some(index) = pinning.filter(|_| self.wal.segment_count() > LOG_SEGMENTS_SOFT_MAX) {
            lock(&self.jobs).cold.insert(index);
            self.jobs_ready.notify_all();
        }
        Ok(())
    }

    /// Removes SSTables that no version lists and no snapshot maps any more.
    pub(crate) fn reap_graveyard(&self) -> Result<()> {
        let dead: Vec<u64> = {
            let mut graveyard = lock(&self.graveyard);
            let dead =
                graveyard.iter().filter(|t| Arc::strong_count(t) == 1).map(|t| t.id).collect();
            graveyard.retain(|t| Arc::strong_count(t) > 1);
            dead
        };
        for id in &dead {
            let path = table_file::path(&self.dir, *id);
            self.fs.remove_file(&path).map_err(io_error("remove", &path))?;
        }
        if !dead.is_empty() {
            let tables = self.dir.join(table_file::TABLES_DIR);
            self.fs.sync_dir(&tables).map_err(io_error("sync directory", &tables))?;
        }
        Ok(())
    }

    /// Queues flushes for `shards` and wakes the worker.
    pub(crate) fn schedule_flush(&self, shards: &[usize]) {
        lock(&self.jobs).flush.extend(shards.iter().copied());
        self.jobs_ready.notify_all();
    }

    /// Queues whatever recovery left due: flushes of frozen trees, compactions.
    pub(crate) fn schedule_due_work(&self) {
        let mut jobs = lock(&self.jobs);
        for (index, shard) in self.shards.iter().enumerate() {
            let version = shard.version();
            if !version.frozen.is_empty() {
                jobs.flush.insert(index);
            }
            jobs.compact.insert(index);
        }
        drop(jobs);
        self.jobs_ready.notify_all();
    }

    pub(crate) fn spawn_worker(inner: &Arc<Inner<F>>) -> Result<std::thread::JoinHandle<()>> {
        let worker = inner.clone();
        std::thread::Builder::new()
            .name("basalt-maintenance".into())
            .spawn(move || worker.run_worker())
            .map_err(io_error("spawn thread", &inner.dir))
    }

    fn run_worker(&self) {
        loop {
            let job = {
                let mut jobs = lock(&self.jobs);
                loop {
                    if jobs.stop {
                        return;
                    }
                    if let Some(index) = jobs.flush.pop_first() {
                        break (index, Job::Flush);
                    }
                    if let Some(index) = jobs.cold.pop_first() {
                        break (index, Job::Cold);
                    }
                    if let Some(index) = jobs.compact.pop_first() {
                        break (index, Job::Compact);
                    }
                    jobs = self
                        .jobs_ready
                        .wait(jobs)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            };
            if self.poisoned.get().is_some() {
                continue;
            }
            let (index, job) = job;
            // On failure `guard` poisons the store and wakes its writers; nothing else to do.
            let _failed = self.guard(|inner| match job {
                Job::Flush | Job::Cold => {
                    if job == Job::Cold {
                        inner.shards[index].freeze_now();
                    }
                    inner.flush_shard(index)?;
                    inner.delete_obsolete_log()?;
                    lock(&inner.jobs).compact.insert(index);
                    Ok(())
                }
                Job::Compact => inner.compact_shard(index, false),
            });
        }
    }
}
