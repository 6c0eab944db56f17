//! Opening a store: manifest, then SSTables, then the log replayed from the oldest unflushed
//! change (`docs/core.md`, "Recovery").

use std::path::Path;

use basalt_fs::Fs;
use basalt_wal::{Durability, Lsn, Wal};

use crate::core::batch;
use crate::core::error::{io_error, Error, Result};
use crate::core::manifest::{self, Manifest};
use crate::core::options::Options;
use crate::core::shard::Shard;
use crate::core::store::Inner;
use crate::core::table_file::{self, TABLES_DIR};
use crate::core::version::Levels;

/// The log's directory inside a store directory.
const WAL_DIR: &str = "wal";

impl<F: Fs> Inner<F> {
    pub(crate) fn open(fs: F, dir: &Path, options: Options) -> Result<Inner<F>> {
        options.validate()?;
        let tables = dir.join(TABLES_DIR);
        fs.create_dir_all(&tables).map_err(io_error("create directory", &tables))?;
        fs.sync_dir(dir).map_err(io_error("sync directory", dir))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs.sync_dir(parent).map_err(io_error("sync directory", parent))?;
        }
        let (manifest, existed) = match manifest::read(&fs, dir)? {
            Some(manifest) => (manifest, true),
            None => (create(&fs, dir, &options)?, false),
        };
        let wal_dir = dir.join(WAL_DIR);
        // A manifest still at sequence 0 was written by a creation that may have crashed before
        // making the log; from sequence 1 on, the log must exist.
        if existed
            && manifest.seq > 0
            && fs.read_dir(&wal_dir).map_or(true, |entries| entries.is_empty())
        {
            return Err(Error::Corrupt {
                path: wal_dir,
                offset: 0,
                what: "the store's log is missing".into(),
            });
        }
        remove_orphans(&fs, dir, &manifest)?;
        let shards =
            open_shards(&fs, dir, &manifest, options.freeze_bytes(manifest.shard_count()))?;
        let wal_options = basalt_wal::Options {
            durability: options.durability,
            segment_bytes_max: options.wal_segment_bytes,
            // Zeros ahead of the records keep `fdatasync` from updating the file's size; a log
            // that is never synced per group gains nothing from them and would write every
            // byte twice.
            preallocate_bytes: match options.durability {
                Durability::Sync => basalt_wal::Options::default().preallocate_bytes,
                Durability::Buffered | Durability::None => 0,
            },
            ..basalt_wal::Options::default()
        };
        let (wal, recovery) = Wal::open_with(fs.clone(), wal_dir.clone(), wal_options)?;
        check_log_reaches(&manifest, &recovery, &wal_dir)?;
        let manifest = if manifest.seq == 0 {
            // The log now exists: record that, so that its loss is detected from now on.
            let created = Manifest { seq: 1, ..manifest };
            manifest::write(&fs, dir, &created)?;
            created
        } else {
            manifest
        };
        let inner = Inner::new(fs, dir.to_path_buf(), options, wal, shards.into(), manifest);
        inner.replay()?;
        Ok(inner)
    }

    /// Applies the log's records that some shard has not flushed.
    fn replay(&self) -> Result<()> {
        let from = self.wal.oldest_lsn();
        let mut last = vec![Lsn::ZERO; self.shards.len()];
        for record in self.wal.read_from(from)? {
            let record = record?;
            let ops = batch::decode(&record.payload).map_err(|what| Error::Corrupt {
                path: self.dir.join(WAL_DIR),
                offset: 0,
                what: format!("record {} holds a malformed batch: {what}", record.lsn.0),
            })?;
            let mut touched = Vec::new();
            for op in &ops {
                let index = self.route(op.key).index();
                let mut state = self.shards[index].lock();
                if record.lsn > state.flushed_lsn {
                    state.apply(op, record.lsn);
                    if last[index] != record.lsn {
                        last[index] = record.lsn;
                        touched.push(index);
                    }
                }
            }
            for index in touched {
                self.replayed(index, record.lsn)?;
            }
        }
        for (index, shard) in self.shards.iter().enumerate() {
            shard.lock().publish_recovered(last[index], shard);
        }
        Ok(())
    }

    /// After a replayed record touched shard `index`: a shard past its budget freezes, and one
    /// with too many frozen trees flushes now, so replaying a long log needs bounded memory.
    fn replayed(&self, index: usize, lsn: Lsn) -> Result<()> {
        let shard = &self.shards[index];
        let frozen = {
            let mut state = shard.lock();
            state.mark_applied(lsn);
            if state.freeze_due() {
                state.publish_recovered(lsn, shard);
            }
            state.frozen.len()
        };
        if frozen >= crate::core::limits::FROZEN_TREES_MAX {
            self.flush_shard(index)?;
        }
        Ok(())
    }
}

/// Opens every shard's SSTables, as the manifest lists them.
fn open_shards<F: Fs>(
    fs: &F,
    dir: &Path,
    manifest: &Manifest,
    freeze_bytes: usize,
) -> Result<Vec<Shard>> {
    let mut shards = Vec::with_capacity(manifest.shards.len());
    for meta in &manifest.shards {
        let mut levels = Levels::default();
        for level in &meta.levels {
            let tables =
                level.iter().map(|&t| table_file::open(fs, dir, t).map(std::sync::Arc::new));
            levels.levels.push(tables.collect::<Result<_>>()?);
        }
        let path = dir.join(manifest::FILE_NAME);
        levels.check().map_err(|what| Error::Corrupt { path, offset: 0, what })?;
        shards.push(Shard::new(levels, meta.flushed_lsn, freeze_bytes));
    }
    Ok(shards)
}

/// Checks that the log holds every record the shards have not flushed, and no LSN the manifest
/// already counts as flushed could be handed out again.
fn check_log_reaches(
    manifest: &Manifest,
    recovery: &basalt_wal::Recovery,
    wal_dir: &Path,
) -> Result<()> {
    if recovery.oldest_lsn > manifest.log_start {
        return Err(Error::Corrupt {
            path: wal_dir.to_path_buf(),
            offset: 0,
            what: format!(
                "the log starts at LSN {}, but records from LSN {} on were never flushed",
                recovery.oldest_lsn.0, manifest.log_start.0
            ),
        });
    }
    if let Some(shard) = manifest.shards.iter().find(|s| s.flushed_lsn >= recovery.next_lsn) {
        return Err(Error::Incompatible(format!(
            "the manifest says LSN {} is flushed, but the log ends before LSN {}",
            shard.flushed_lsn.0, recovery.next_lsn.0
        )));
    }
    Ok(())
}

/// Writes the manifest of a new store.
fn create<F: Fs>(fs: &F, dir: &Path, options: &Options) -> Result<Manifest> {
    let wal = dir.join(WAL_DIR);
    let has_log = fs.read_dir(&wal).map(|entries| !entries.is_empty()).unwrap_or(false);
    if has_log {
        return Err(Error::Incompatible(format!(
            "{} holds a log but no {}: not a store, or its manifest was deleted",
            dir.display(),
            manifest::FILE_NAME
        )));
    }
    let manifest = Manifest::new(options.shards, options.routing);
    manifest::write(fs, dir, &manifest)?;
    Ok(manifest)
}

/// Deletes SSTables the manifest does not name (a crash between writing one and recording it)
/// and unfinished temporary files.
fn remove_orphans<F: Fs>(fs: &F, dir: &Path, manifest: &Manifest) -> Result<()> {
    manifest::remove_if_exists(fs, &dir.join(manifest::TEMP_NAME))?;
    let tables = dir.join(TABLES_DIR);
    let listed: std::collections::HashSet<u64> =
        manifest.shards.iter().flat_map(|s| s.levels.iter().flatten()).map(|t| t.id).collect();
    let mut removed = false;
    for path in fs.read_dir(&tables).map_err(io_error("list", &tables))? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let orphan = match table_file::parse_name(name) {
            Some(id) => !listed.contains(&id),
            None => name.ends_with(".sst.tmp"),
        };
        if orphan {
            fs.remove_file(&path).map_err(io_error("remove", &path))?;
            removed = true;
        }
    }
    if removed {
        fs.sync_dir(&tables).map_err(io_error("sync directory", &tables))?;
    }
    Ok(())
}
