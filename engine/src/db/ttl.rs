//! Time to live: UpdateTimeToLive, DescribeTimeToLive, and the expiry of items.
//!
//! A table's setting lives in its catalog record. An item expires when its TTL attribute is a
//! Number of epoch seconds earlier than now and less than five years in the past (DynamoDB
//! ignores older values and every other type). Expired items are deleted in the background
//! (`run`), as ordinary deletes: each one re-checks the item under the shard's writer lock, so
//! an item whose TTL attribute was changed or removed meanwhile is kept; they cost no capacity.
//! Until its deletion an expired item still appears in reads, as in DynamoDB. The background
//! pass scans each TTL-enabled table's snapshot (lock-free) every [`TtlOptions::scan_interval`]
//! and deletes at most [`TtlOptions::deletes_per_second`], so foreground requests only ever
//! meet it as one more writer of single items.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{
    DbError, DescribeTimeToLiveOutput, TableNameInput, TimeToLiveDescription,
    TimeToLiveSpecification, UpdateTimeToLiveInput, UpdateTimeToLiveOutput,
};
use crate::db::catalog::{self, TtlRecord};
use crate::db::check::Constraints;
use crate::db::collection::{self, Sizes};
use crate::db::control::epoch_ms;
use crate::db::index::{self, IndexDeltas};
use crate::db::row::{decode_row, row_size};
use crate::db::{lock, Db, Inner, Table};
use crate::model::{AttributeValue, Number};

/// How the background expiry of items runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtlOptions {
    /// Whether a background thread expires items. Without it, items expire only when
    /// [`Db::expire_items`] is called (an embedder that wants to choose the moment).
    pub background: bool,
    /// The pause between two passes over the TTL-enabled tables.
    pub scan_interval: Duration,
    /// At most this many expired items deleted per second.
    pub deletes_per_second: u32,
    /// After a change of a table's setting, further changes are refused for this long
    /// (DynamoDB: one hour).
    pub change_interval: Duration,
}

impl Default for TtlOptions {
    fn default() -> TtlOptions {
        TtlOptions {
            background: true,
            scan_interval: Duration::from_secs(30),
            deletes_per_second: 1_000,
            change_interval: Duration::from_secs(3_600),
        }
    }
}

/// Values this far in the past are not expiry times (DynamoDB: "five years"; Julian years).
const FIVE_YEARS_SECS: u64 = 5 * 31_557_600;

impl Db {
    /// UpdateTimeToLive: turns the expiry of a table's items on (naming the attribute that
    /// holds their expiry times) or off. The change applies at once; a further change within
    /// the hour is refused, as DynamoDB refuses it.
    ///
    /// # Errors
    /// `ValidationException` for a missing member, for enabling twice ("TimeToLive is already
    /// enabled"), disabling twice, naming another attribute than the active one, and a second
    /// change within the hour; `ResourceNotFoundException`.
    pub fn update_time_to_live(
        &self,
        input: UpdateTimeToLiveInput,
    ) -> Result<UpdateTimeToLiveOutput, DbError> {
        let mut c = Constraints::new();
        c.table_name_or_arn(input.table_name.as_ref());
        let spec = c.required(input.time_to_live_specification.as_ref(), "timeToLiveSpecification");
        if let Some(spec) = spec {
            let member = "timeToLiveSpecification.attributeName";
            c.text(spec.attribute_name.as_ref(), member, 1, 255);
            c.required(spec.enabled.as_ref(), "timeToLiveSpecification.enabled");
        }
        c.finish()?;
        let spec = spec.expect("checked");
        let (Some(enable), Some(attribute)) = (spec.enabled, spec.attribute_name.as_ref()) else {
            unreachable!("checked")
        };
        let _control = lock(&self.inner.control);
        let table = self.inner.control_table(input.table_name.as_deref().expect("checked"))?;
        let now = epoch_ms();
        let current = table.record.ttl.as_ref();
        match current {
            Some(ttl) if ttl.enabled && ttl.attribute != *attribute => {
                return Err(DbError::validation(format!(
                    "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                    ttl.attribute
                )))
            }
            Some(ttl) if ttl.enabled && enable => {
                return Err(DbError::validation("TimeToLive is already enabled"))
            }
            Some(ttl) if !ttl.enabled && !enable => {
                return Err(DbError::validation("TimeToLive is already disabled"))
            }
            None if !enable => return Err(DbError::validation("TimeToLive is already disabled")),
            _ => {}
        }
        let interval = self.inner.options.ttl.change_interval.as_millis() as u64;
        if current.is_some_and(|ttl| now.saturating_sub(ttl.changed_ms) < interval) {
            return Err(DbError::validation(
                "Time to live has been modified multiple times within a fixed interval",
            ));
        }
        let mut record = table.record.clone();
        record.ttl =
            Some(TtlRecord { attribute: attribute.clone(), enabled: enable, changed_ms: now });
        self.inner.replace_record(&table, record)?;
        if enable {
            // Look at the table now rather than at the next pass (also when a pass is running:
            // it looks again once it ends).
            lock(&self.inner.purge).ttl_kicks += 1;
            self.inner.ttl_wake.notify_all();
        }
        Ok(UpdateTimeToLiveOutput {
            time_to_live_specification: TimeToLiveSpecification {
                enabled: Some(enable),
                attribute_name: Some(attribute.clone()),
            },
        })
    }

    /// DescribeTimeToLive: whether the expiry of a table's items is on, and the attribute.
    ///
    /// # Errors
    /// `ResourceNotFoundException`; `ValidationException` for a bad table name.
    pub fn describe_time_to_live(
        &self,
        input: TableNameInput,
    ) -> Result<DescribeTimeToLiveOutput, DbError> {
        let mut c = Constraints::new();
        c.table_name_or_arn(input.table_name.as_ref());
        c.finish()?;
        let table = self.inner.control_table(input.table_name.as_deref().expect("checked"))?;
        let enabled = table.record.ttl.as_ref().filter(|ttl| ttl.enabled);
        Ok(DescribeTimeToLiveOutput {
            time_to_live_description: TimeToLiveDescription {
                time_to_live_status: if enabled.is_some() { "ENABLED" } else { "DISABLED" }.into(),
                attribute_name: enabled.map(|ttl| ttl.attribute.clone()),
            },
        })
    }

    /// Deletes, now, every expired item of every table with time to live on, as the background
    /// expiry would (without its rate limit); returns how many it deleted.
    ///
    /// # Errors
    /// A storage failure.
    pub fn expire_items(&self) -> Result<u64, DbError> {
        match expire_pass(&self.inner, &mut Pacer::unlimited())? {
            Pass::Done(deleted) => Ok(deleted),
            Pass::Stopped => Ok(0),
        }
    }
}

/// The background expiry's loop, on its own thread: a pass over every TTL-enabled table each
/// `scan_interval`, and at once when a table turns TTL on, until the database closes. A pass
/// that fails (a damaged block, a poisoned store) is retried at the next interval.
pub(crate) fn run(inner: &Inner) {
    let interval = inner.options.ttl.scan_interval.max(SCAN_INTERVAL_MIN);
    let mut seen_kicks = 0;
    loop {
        {
            let mut state = lock(&inner.purge);
            let deadline = Instant::now() + interval;
            while !state.stop && state.ttl_kicks == seen_kicks {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state =
                    inner.ttl_wake.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            if state.stop {
                return;
            }
            seen_kicks = state.ttl_kicks;
        }
        let mut pacer = Pacer::new(inner.options.ttl.deletes_per_second);
        if let Ok(Pass::Stopped) = expire_pass(inner, &mut pacer) {
            return;
        }
    }
}

/// How a pass ended.
enum Pass {
    Done(u64),
    /// The database is closing.
    Stopped,
}

/// Rows a pass reads from one snapshot before it takes a fresh one (a snapshot pins the
/// versions it reads) and looks again whether it should go on.
const ROWS_PER_SNAPSHOT: usize = 1024;
/// The shortest pause between two passes.
const SCAN_INTERVAL_MIN: Duration = Duration::from_millis(10);

/// One pass over every TTL-enabled table.
fn expire_pass(inner: &Inner, pacer: &mut Pacer) -> Result<Pass, DbError> {
    let tables: Vec<Arc<Table>> = {
        let tables = inner.tables.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        tables.values().filter(|t| ttl_on(t).is_some()).cloned().collect()
    };
    let mut deleted = 0;
    for table in tables {
        match expire_table(inner, &table, pacer)? {
            Pass::Done(count) => deleted += count,
            Pass::Stopped => return Ok(Pass::Stopped),
        }
    }
    Ok(Pass::Done(deleted))
}

/// The expiry attribute of a table with TTL on.
fn ttl_on(table: &Table) -> Option<&str> {
    table.record.ttl.as_ref().filter(|ttl| ttl.enabled).map(|ttl| ttl.attribute.as_str())
}

/// Expires the items of one table, reading it in runs of [`ROWS_PER_SNAPSHOT`] rows, each from
/// a fresh snapshot; stops early when the table is gone or its TTL was turned off or changed.
fn expire_table(inner: &Inner, table: &Table, pacer: &mut Pacer) -> Result<Pass, DbError> {
    let Some(attribute) = ttl_on(table) else { return Ok(Pass::Done(0)) };
    let range = catalog::space_range(table.record.space);
    let mut after: Option<Vec<u8>> = None;
    let mut deleted = 0;
    loop {
        if lock(&inner.purge).stop {
            return Ok(Pass::Stopped);
        }
        if !still_expiring(inner, table) {
            return Ok(Pass::Done(deleted));
        }
        let window = Window::now();
        let snapshot = inner.core.snapshot();
        let start = match &after {
            Some(key) => std::ops::Bound::Excluded(key.as_slice()),
            None => std::ops::Bound::Included(range.start.as_slice()),
        };
        let mut rows = 0;
        for entry in snapshot.range((start, std::ops::Bound::Excluded(range.end.as_slice()))) {
            let (key, row) = entry?;
            rows += 1;
            after = Some(key.to_vec());
            if window.expired(&row, attribute)? {
                if !pacer.pace(inner) {
                    return Ok(Pass::Stopped);
                }
                match delete_if_expired(inner, table, &key, attribute, &window)? {
                    Deleted::Yes => deleted += 1,
                    Deleted::No => {}
                    Deleted::TableGone => return Ok(Pass::Done(deleted)),
                }
            }
            if rows == ROWS_PER_SNAPSHOT {
                break;
            }
        }
        if rows < ROWS_PER_SNAPSHOT {
            return Ok(Pass::Done(deleted));
        }
    }
}

/// Whether `table` is still in the catalog, the same incarnation, with the same TTL setting.
fn still_expiring(inner: &Inner, table: &Table) -> bool {
    let tables = inner.tables.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    tables.get(&table.record.name).is_some_and(|current| {
        current.record.space == table.record.space && ttl_on(current) == ttl_on(table)
    })
}

/// What [`delete_if_expired`] did.
enum Deleted {
    Yes,
    No,
    TableGone,
}

/// Deletes the item under `key` if it is still expired under the writer lock; whether it did.
fn delete_if_expired(
    inner: &Inner,
    table: &Table,
    key: &[u8],
    attribute: &str,
    window: &Window,
) -> Result<Deleted, DbError> {
    let live = table.alive.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !live.open {
        return Ok(Deleted::TableGone);
    }
    let shards = inner.core.shard_count();
    let counters = collection::counters(std::iter::once((table, key)))?;
    let counter = counters.first().and_then(Option::as_ref);
    let reads: Vec<&[u8]> = std::iter::once(key).chain(counter.map(Vec::as_slice)).collect();
    let (_, (size, deltas)) = inner.core.write_with(&reads, |rows| {
        let mut batch = crate::core::Batch::new();
        let mut deltas = IndexDeltas::default();
        let row = rows.first().and_then(Option::as_deref);
        let size = match row {
            Some(row) if window.expired(row, attribute)? => {
                let local = index::maintain(
                    &live.indexes,
                    shards,
                    key,
                    Some(row),
                    None,
                    &mut batch,
                    &mut deltas,
                )?;
                if let Some(stream) = &live.stream {
                    // A deletion by the service, as DynamoDB's streams show expiries.
                    stream.record(key, Some(row), None, true, &mut batch);
                }
                if let Some(counter) = counter {
                    let mut sizes = Sizes::new(inner.options.item_collection_bytes_max);
                    sizes.read(counter, rows.get(1).and_then(Option::as_deref))?;
                    sizes.add(counter, local - row_size(row)? as i64)?;
                    sizes.write(&mut batch);
                }
                batch.delete(key);
                Some(row_size(row)?)
            }
            _ => None,
        };
        Ok::<_, DbError>((batch, (size, deltas)))
    })?;
    deltas.apply();
    if let Some(stream) = &live.stream {
        stream.written();
    }
    Ok(match size {
        Some(size) => {
            table.stats.replace(Some(size), None);
            Deleted::Yes
        }
        None => Deleted::No,
    })
}

/// The expiry window at one moment: a Number strictly between `oldest` and `now` has expired.
struct Window {
    now: Number,
    oldest: Number,
}

impl Window {
    fn now() -> Window {
        let ms = epoch_ms();
        let number = |ms: u64| {
            Number::parse(&format!("{}.{:03}", ms / 1000, ms % 1000)).expect("a valid number")
        };
        Window { now: number(ms), oldest: number(ms.saturating_sub(FIVE_YEARS_SECS * 1000)) }
    }

    /// Whether the stored `row` holds an expired `attribute`. Rows that do not contain the
    /// attribute's name at all are passed over without decoding.
    fn expired(&self, row: &[u8], attribute: &str) -> Result<bool, DbError> {
        let name = attribute.as_bytes();
        if !row.windows(name.len()).any(|window| window == name) {
            return Ok(false);
        }
        let item = decode_row(row)?;
        Ok(match item.get(attribute) {
            Some(AttributeValue::N(expiry)) => *expiry < self.now && *expiry > self.oldest,
            _ => false,
        })
    }
}

/// Keeps deletions under a rate: a token bucket holding at most a tenth of a second's worth,
/// so time spent reading rows that have not expired does not turn into a burst. Sleeps
/// interruptibly (the database may close).
struct Pacer {
    per_second: Option<f64>,
    tokens: f64,
    refilled: Instant,
}

impl Pacer {
    fn new(per_second: u32) -> Pacer {
        let per_second = f64::from(per_second.max(1));
        Pacer { per_second: Some(per_second), tokens: 1.0, refilled: Instant::now() }
    }

    fn unlimited() -> Pacer {
        Pacer { per_second: None, tokens: 0.0, refilled: Instant::now() }
    }

    /// Waits until one more deletion is within the rate; `false` if the database is closing.
    fn pace(&mut self, inner: &Inner) -> bool {
        let Some(per_second) = self.per_second else { return true };
        let burst = (per_second / 10.0).max(1.0);
        let mut state = lock(&inner.purge);
        loop {
            if state.stop {
                return false;
            }
            let now = Instant::now();
            let earned = now.duration_since(self.refilled).as_secs_f64() * per_second;
            self.tokens = (self.tokens + earned).min(burst);
            self.refilled = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                return true;
            }
            let wait = Duration::from_secs_f64((1.0 - self.tokens) / per_second);
            state = inner.ttl_wake.wait_timeout(state, wait).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}
