//! redb with its defaults: every commit `Durability::Immediate`.

use super::{touch, Engine, Session};
use crate::{engine_error, KeySpace, Result};
use redb::{Database, ReadableDatabase, TableDefinition};
use std::{ops::Range, path::Path};

const NAME: &str = "redb";
const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

pub(super) struct Redb {
    db: Database,
}

impl Redb {
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let db = Database::create(dir.join("redb")).map_err(engine_error(NAME, "open"))?;
        // The table exists before the first read transaction asks for it.
        let tx = db.begin_write().map_err(engine_error(NAME, "begin_write"))?;
        tx.open_table(TABLE).map_err(engine_error(NAME, "open_table"))?;
        tx.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(Self { db })
    }
}

impl Engine for Redb {
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()> {
        let tx = self.db.begin_write().map_err(engine_error(NAME, "begin_write"))?;
        {
            let mut table = tx.open_table(TABLE).map_err(engine_error(NAME, "open_table"))?;
            for index in indexes {
                let key = KeySpace::key(index);
                let value = space.value(index, value_len);
                table.insert(&key[..], value).map_err(engine_error(NAME, "insert"))?;
            }
        }
        tx.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(())
    }

    fn session(&self) -> Result<Box<dyn Session + '_>> {
        Ok(Box::new(RedbSession { db: &self.db }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        drop(self.db);
        Ok(())
    }
}

struct RedbSession<'a> {
    db: &'a Database,
}

impl Session for RedbSession<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>> {
        let tx = self.db.begin_read().map_err(engine_error(NAME, "begin_read"))?;
        let table = tx.open_table(TABLE).map_err(engine_error(NAME, "open_table"))?;
        let value = table.get(key).map_err(engine_error(NAME, "get"))?;
        Ok(value.map(|v| touch(v.value())))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let tx = self.db.begin_write().map_err(engine_error(NAME, "begin_write"))?;
        {
            let mut table = tx.open_table(TABLE).map_err(engine_error(NAME, "open_table"))?;
            table.insert(key, value).map_err(engine_error(NAME, "insert"))?;
        }
        tx.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(())
    }

    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize> {
        let tx = self.db.begin_read().map_err(engine_error(NAME, "begin_read"))?;
        let table = tx.open_table(TABLE).map_err(engine_error(NAME, "open_table"))?;
        let mut read = 0;
        for item in table.range(start..).map_err(engine_error(NAME, "range"))?.take(count) {
            let (key, value) = item.map_err(engine_error(NAME, "range"))?;
            touch(key.value());
            touch(value.value());
            read += 1;
        }
        Ok(read)
    }
}
