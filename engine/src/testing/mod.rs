//! Model-based checks of [`crate::Db`], shared by the fuzz targets and the seeded tests that run
//! them under `cargo test`: `table_ops` compares every answer of the item operations and their
//! expressions, every secondary index and the table's stream with a reference written
//! independently of [`crate::expr`] and [`crate::db`].

pub mod table_ops;

use crate::api::DbError;
use crate::model::Item;
use crate::Db;

/// The storage-core shard that holds the item with `key` in `table`: lets tests place items on
/// the same or on different shards.
///
/// # Errors
/// A missing table, or a key that does not match the table's schema.
pub fn shard_of(db: &Db, table: &str, key: &Item) -> Result<u16, DbError> {
    let table = db.inner.table(table)?;
    let item_key = table.schema.key_of_key(key)?;
    let storage_key = crate::db::catalog::item_storage_key(table.record.space, &item_key);
    let core = &db.inner.core;
    Ok(core.routing().shard_of(&storage_key, core.shard_count()).0)
}
