//! [`Db`]: DynamoDB's tables and operations over the storage core.
//!
//! One storage core holds every table: the catalog in space 0 and each table's items in a
//! space of its own (`catalog.rs`). Requests arrive as [`crate::api`] types; each is checked
//! completely before anything is touched, so a bad request gets DynamoDB's error and changes
//! nothing. Writes of items go through [`Core::write_with`], which reads the current item under
//! the shard's writer lock: the old item (for `ReturnValues`, capacity and the table's item
//! count) is exactly the one the write replaces. PutItem, UpdateItem and DeleteItem also come
//! in a deferred form (`deferred.rs`, [`Deferred`]) whose answer is awaited rather than waited
//! for, over [`Core::write_with_deferred`].

mod backfill;
mod batch;
pub(crate) mod catalog;
mod check;
mod collection;
mod control;
mod deferred;
mod exprs;
#[doc(hidden)]
pub mod fuzz;
mod guard;
mod index;
mod index_defs;
mod items;
mod keycond;
mod purge;
mod query;
mod row;
mod schema;
mod stream;
mod streams_api;
mod tokens;
mod transact;
mod ttl;
mod update;
#[doc(hidden)]
pub mod wakeup;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;

use crate::api::DbError;
use crate::core::{Core, Options, Routing};

use catalog::{CleanStats, TableRecord};
use schema::Schema;

pub use collection::ITEM_COLLECTION_BYTES_MAX;
pub use deferred::Deferred;
pub use schema::{PARTITION_KEY_BYTES_MAX, SORT_KEY_BYTES_MAX};
pub use stream::StreamOptions;
pub use streams_api::StreamWaiter;
pub use ttl::TtlOptions;

/// A [`Db`]'s settings.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// The storage core's settings; its routing is always [`Routing::Spaced`].
    pub core: Options,
    /// The region named in ARNs.
    pub region: String,
    /// The account id named in ARNs.
    pub account_id: String,
    /// The address DescribeEndpoints reports.
    pub endpoint_address: String,
    /// The background expiry of items (time to live).
    pub ttl: TtlOptions,
    /// Stream retention and iterator lifetime.
    pub streams: StreamOptions,
    /// The most bytes an item collection (a partition of a table with local secondary
    /// indexes: its items and their index entries) may hold; DynamoDB's 10 GB by default.
    pub item_collection_bytes_max: u64,
}

impl Default for DbOptions {
    fn default() -> DbOptions {
        DbOptions {
            core: Options::default(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            endpoint_address: "localhost:8000".into(),
            ttl: TtlOptions::default(),
            streams: StreamOptions::default(),
            item_collection_bytes_max: collection::ITEM_COLLECTION_BYTES_MAX,
        }
    }
}

/// A DynamoDB-compatible database in a directory.
///
/// Every operation takes `&self`; share a `Db` between threads with `Arc`. Operations on items
/// of different partitions run in parallel; control-plane operations (CreateTable, …) are
/// applied one at a time.
///
/// # Example
/// ```
/// use basalt::api::{CreateTableInput, GetItemInput, PutItemInput};
/// use basalt::{item, Db};
///
/// let dir = tempfile::tempdir()?;
/// let db = Db::open(dir.path())?;
/// db.create_table(CreateTableInput::new("MyTable").partition_key("userId", "S"))?;
/// let item = item! { "userId" => "12345", "name" => "John Doe", "age" => 30 };
/// db.put_item(PutItemInput::new("MyTable", item.clone()))?;
/// let got = db.get_item(GetItemInput::new("MyTable", item! { "userId" => "12345" }))?;
/// assert_eq!(got.item, Some(item));
/// db.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Db {
    pub(crate) inner: Arc<Inner>,
    purger: Purger,
}

/// The background threads (the deletion of dropped tables' items, the expiry of items);
/// dropping it stops them and waits for them.
struct Purger {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Purger {
    fn drop(&mut self) {
        lock(&self.inner.purge).stop = true;
        self.inner.purge_wake.notify_all();
        self.inner.ttl_wake.notify_all();
        self.inner.streams_wake.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

pub(crate) struct Inner {
    pub(crate) core: Core,
    pub(crate) options: DbOptions,
    pub(crate) tables: RwLock<BTreeMap<String, Arc<Table>>>,
    /// Serializes control-plane changes (and guards the next space id).
    pub(crate) control: Mutex<()>,
    pub(crate) purge: Mutex<PurgeState>,
    pub(crate) purge_wake: Condvar,
    /// Wakes the expiry thread: a table turned TTL on (`PurgeState::ttl_kicks`), or closing.
    pub(crate) ttl_wake: Condvar,
    /// Parsed expressions, by source text.
    pub(crate) exprs: exprs::ExprCache,
    /// TransactWriteItems' client request tokens.
    pub(crate) tokens: Mutex<tokens::Tokens>,
    /// Every stream (enabled, or disabled and still retained), by ARN.
    pub(crate) streams: RwLock<stream::Registry>,
    /// Wakes the stream trimming thread (closing).
    pub(crate) streams_wake: Condvar,
}

#[derive(Default)]
pub(crate) struct PurgeState {
    pub(crate) stop: bool,
    /// Bumped whenever a table is deleted, so the purger looks again.
    pub(crate) generation: u64,
    /// The purger found nothing left to delete at this generation.
    pub(crate) idle_at: Option<u64>,
    /// The purge failed (the store is poisoned); it resumes after the next open.
    pub(crate) failed: Option<DbError>,
    /// Bumped whenever a table turns TTL on, so the expiry thread looks again at once.
    pub(crate) ttl_kicks: u64,
}

/// A table as the data plane sees it. Control-plane changes replace the `Table` in the map;
/// the statistics and the liveness lock are shared by every version of one table.
pub(crate) struct Table {
    pub(crate) record: TableRecord,
    pub(crate) schema: Schema,
    pub(crate) stats: Arc<TableStats>,
    /// Whether the table exists, and the indexes its writes maintain. Item operations hold the
    /// read lock while they work and take the indexes from it, so that DeleteTable and index
    /// changes (the write lock) wait for them: no write can land in a space after its purge has
    /// started, and once an index is added every write that has not finished maintains it.
    pub(crate) alive: Arc<RwLock<Live>>,
}

/// What item writes read under a table's liveness lock.
pub(crate) struct Live {
    /// `false` once the table is deleted.
    pub(crate) open: bool,
    /// The secondary indexes, also those being backfilled.
    pub(crate) indexes: Vec<Arc<index::Index>>,
    /// The enabled stream, which every write records its change in.
    pub(crate) stream: Option<Arc<stream::Stream>>,
}

impl Table {
    /// The index `name` if the table has it (whatever its status).
    pub(crate) fn index(&self, name: &str) -> Option<Arc<index::Index>> {
        let live = self.alive.read().unwrap_or_else(PoisonError::into_inner);
        live.indexes.iter().find(|i| i.name() == name).cloned()
    }

    /// Checks an item about to be written against the index key types.
    pub(crate) fn check_indexed(&self, item: &crate::model::Item) -> Result<(), DbError> {
        let live = self.alive.read().unwrap_or_else(PoisonError::into_inner);
        index::check_item(&live.indexes, item)
    }

    /// The table as DescribeTable shows it, with `status`, its statistics and its indexes'.
    pub(crate) fn describe(&self, status: &str) -> crate::api::TableDescription {
        let (items, bytes) = self.stats.get();
        let mut description = self.record.describe(status, items, bytes);
        let live = self.alive.read().unwrap_or_else(PoisonError::into_inner);
        let stats = |name: &str| {
            live.indexes.iter().find(|i| i.name() == name).map_or((0, 0), |i| i.stats.get())
        };
        self.record.describe_indexes(&mut description, &stats);
        description
    }
}

/// Live item count and total item size of a table.
#[derive(Debug, Default)]
pub(crate) struct TableStats {
    pub(crate) items: AtomicI64,
    pub(crate) bytes: AtomicI64,
}

impl Table {
    /// A table as its catalog record defines it, with fresh statistics.
    pub(crate) fn new(record: TableRecord) -> Result<Table, DbError> {
        let schema = record.schema()?;
        let indexes = record
            .indexes
            .iter()
            .map(|i| index::Index::new(&record, i.clone()).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Table {
            record,
            schema,
            stats: Arc::new(TableStats::default()),
            alive: Arc::new(RwLock::new(Live { open: true, indexes, stream: None })),
        })
    }
}

impl TableStats {
    pub(crate) fn add(&self, items: i64, bytes: i64) {
        // ORDERING: Relaxed: statistics, summed independently; readers want a recent value.
        self.items.fetch_add(items, Ordering::Relaxed);
        // ORDERING: Relaxed, as above.
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Accounts for a write that replaced an item of `old` bytes (`None`: there was none) by
    /// one of `new` bytes (`None`: deleted).
    pub(crate) fn replace(&self, old: Option<usize>, new: Option<usize>) {
        let items = i64::from(new.is_some()) - i64::from(old.is_some());
        self.add(items, new.unwrap_or(0) as i64 - old.unwrap_or(0) as i64);
    }

    /// Sets the statistics outright (a recount, with no write in flight).
    pub(crate) fn set(&self, items: i64, bytes: i64) {
        // ORDERING: Relaxed: see `add`; the caller excludes concurrent writers by a lock.
        self.items.store(items, Ordering::Relaxed);
        // ORDERING: Relaxed, as above.
        self.bytes.store(bytes, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> (i64, i64) {
        // ORDERING: Relaxed: see `add`.
        let items = self.items.load(Ordering::Relaxed);
        // ORDERING: Relaxed: see `add`.
        (items, self.bytes.load(Ordering::Relaxed))
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Db {
    /// Opens (or creates) the database in `dir` with default options.
    ///
    /// # Errors
    /// The directory cannot be used, or its files are damaged (`InternalServerError`).
    pub fn open(dir: impl AsRef<Path>) -> Result<Db, DbError> {
        Db::open_with(dir, DbOptions::default())
    }

    /// Opens (or creates) the database in `dir`.
    ///
    /// After a clean [`Db::close`] the item counts are read back; after a crash they are
    /// recounted from the tables (a scan of every table's row headers).
    ///
    /// # Errors
    /// As [`Db::open`], and invalid options.
    pub fn open_with(dir: impl AsRef<Path>, options: DbOptions) -> Result<Db, DbError> {
        let core_options = Options { routing: Routing::Spaced, ..options.core.clone() };
        let core = Core::open(dir, core_options)?;
        if core.routing() != Routing::Spaced {
            // A store created by `Core::open` keeps its routing: every table would land in one
            // shard. Correct, but not what a database should silently become.
            return Err(DbError::Internal(format!(
                "Internal server error: {} holds a storage core created without the DynamoDB \
                 layer's routing; open it with basalt::core::Core",
                core.dir().display()
            )));
        }
        let inner = Arc::new(Inner {
            core,
            options,
            tables: RwLock::new(BTreeMap::new()),
            control: Mutex::new(()),
            purge: Mutex::new(PurgeState::default()),
            purge_wake: Condvar::new(),
            ttl_wake: Condvar::new(),
            exprs: exprs::ExprCache::default(),
            tokens: Mutex::new(tokens::Tokens::default()),
            streams: RwLock::new(stream::Registry::new()),
            streams_wake: Condvar::new(),
        });
        inner.load_catalog()?;
        let mut purger = Purger { inner: inner.clone(), threads: Vec::new() };
        let spawn = |name: &str, work: fn(&Inner)| {
            let worker = inner.clone();
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || work(&worker))
                .map_err(|e| DbError::Internal(format!("Internal server error: {e}")))
        };
        purger.threads.push(spawn("basalt-purge", purge::run)?);
        if inner.options.ttl.background {
            purger.threads.push(spawn("basalt-ttl", ttl::run)?);
        }
        if inner.options.streams.trim_interval.is_some() {
            purger.threads.push(spawn("basalt-streams", streams_api::run)?);
        }
        Ok(Db { inner, purger })
    }

    /// Closes the database: waits for the background threads (the deletion of dropped tables'
    /// items, the expiry of items) to stop, records the item counts, and closes the storage
    /// core.
    ///
    /// # Errors
    /// The storage core failed to write or close.
    pub fn close(self) -> Result<(), DbError> {
        let Db { inner, purger } = self;
        drop(purger);
        let inner = Arc::try_unwrap(inner)
            .map_err(|_| DbError::Internal("Internal server error: Db still shared".into()))?;
        inner.save_clean_stats()?;
        inner.core.close()?;
        Ok(())
    }

    /// The storage core under the database, for statistics and maintenance.
    #[must_use]
    pub fn core(&self) -> &Core {
        &self.inner.core
    }

    /// Waits until the background deletion of dropped tables has nothing left to do.
    ///
    /// # Errors
    /// The deletion failed (the storage core failed and is poisoned); it resumes when the
    /// database is next opened.
    pub fn wait_for_purges(&self) -> Result<(), DbError> {
        purge::wait_idle(&self.inner)
    }

    /// Waits until every global secondary index being created (UpdateTable) is backfilled and
    /// `ACTIVE`, and the deletion of dropped tables and indexes is done.
    ///
    /// # Errors
    /// As [`Db::wait_for_purges`].
    pub fn wait_for_backfills(&self) -> Result<(), DbError> {
        purge::wait_idle(&self.inner)
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("dir", &self.inner.core.dir()).finish_non_exhaustive()
    }
}

impl Inner {
    /// Reads every table from the catalog and sets its statistics: from the clean-close
    /// record when there is one (deleting it first, so a crash from now on recounts), else by
    /// counting.
    fn load_catalog(&self) -> Result<(), DbError> {
        let snapshot = self.core.snapshot();
        let mut tables = BTreeMap::new();
        for entry in snapshot.range(catalog::as_slices(&catalog::tag_range(catalog::table_tag()))) {
            let (_, value) = entry?;
            let record = TableRecord::decode(&value)?;
            let table = Table::new(record)?;
            tables.insert(table.record.name.clone(), Arc::new(table));
        }
        let clean: Option<CleanStats> = match snapshot.get(&catalog::clean_stats_key())? {
            Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                DbError::Internal(format!("Internal server error: clean-close statistics: {e}"))
            })?),
            None => None,
        };
        let counted = |space: u32| match clean.as_ref().and_then(|c| c.get(&space)) {
            Some(&counted) => Ok(counted),
            None => count_space(&snapshot, space),
        };
        for table in tables.values() {
            let (items, bytes) = counted(table.record.space)?;
            table.stats.add(items, bytes);
            let live = table.alive.read().unwrap_or_else(PoisonError::into_inner);
            for index in &live.indexes {
                let (items, bytes) = counted(index.record.space)?;
                index.stats.add(items, bytes);
            }
        }
        self.load_streams(&snapshot, &tables)?;
        if clean.is_some() {
            self.core.delete(&catalog::clean_stats_key())?;
        }
        *self.tables.write().unwrap_or_else(PoisonError::into_inner) = tables;
        Ok(())
    }

    fn save_clean_stats(&self) -> Result<(), DbError> {
        let tables = self.tables.read().unwrap_or_else(PoisonError::into_inner);
        let mut stats: CleanStats =
            tables.values().map(|t| (t.record.space, t.stats.get())).collect();
        for table in tables.values() {
            let live = table.alive.read().unwrap_or_else(PoisonError::into_inner);
            stats.extend(live.indexes.iter().map(|i| (i.record.space, i.stats.get())));
        }
        let bytes = serde_json::to_vec(&stats).expect("statistics serialize");
        self.core.put(&catalog::clean_stats_key(), &bytes)?;
        Ok(())
    }

    /// The table named by `name_or_arn`, or DynamoDB's data-plane ResourceNotFoundException.
    pub(crate) fn table(&self, name_or_arn: &str) -> Result<Arc<Table>, DbError> {
        let tables = self.tables.read().unwrap_or_else(PoisonError::into_inner);
        let found = if name_or_arn.starts_with("arn:") {
            tables.values().find(|t| t.record.arn == name_or_arn)
        } else {
            tables.get(name_or_arn)
        };
        found.cloned().ok_or_else(DbError::table_not_found)
    }
}

/// Counts the items of `space` and sums their sizes from the row headers.
pub(crate) fn count_space(
    snapshot: &crate::core::Snapshot,
    space: u32,
) -> Result<(i64, i64), DbError> {
    let (mut items, mut bytes) = (0i64, 0i64);
    for entry in snapshot.range(catalog::as_slices(&catalog::space_range(space))) {
        let (_, row) = entry?;
        items += 1;
        bytes += row::row_size(&row)? as i64;
    }
    Ok((items, bytes))
}
