//! fjall with its defaults; single-item writes and load batches are `PersistMode::SyncData`
//! batches.

use super::{touch, Engine, Session, LOAD_BATCH_ITEMS};
use crate::{engine_error, KeySpace, Result};
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use std::{ops::Range, path::Path};

const NAME: &str = "fjall";

pub(super) struct Fjall {
    db: Database,
    items: Keyspace,
}

impl Fjall {
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let db = Database::builder(dir).open().map_err(engine_error(NAME, "open"))?;
        let items = db
            .keyspace("kv", KeyspaceCreateOptions::default)
            .map_err(engine_error(NAME, "keyspace"))?;
        Ok(Self { db, items })
    }

    fn durable_batch(&self) -> fjall::OwnedWriteBatch {
        self.db.batch().durability(Some(PersistMode::SyncData))
    }
}

impl Engine for Fjall {
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()> {
        let mut batch = self.durable_batch();
        for index in indexes {
            batch.insert(&self.items, KeySpace::key(index), space.value(index, value_len));
            if batch.len() == LOAD_BATCH_ITEMS {
                let full = std::mem::replace(&mut batch, self.durable_batch());
                full.commit().map_err(engine_error(NAME, "commit"))?;
            }
        }
        batch.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(())
    }

    fn session(&self) -> Result<Box<dyn Session + '_>> {
        Ok(Box::new(FjallSession { fjall: self }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.db.persist(PersistMode::SyncAll).map_err(engine_error(NAME, "persist"))?;
        Ok(())
    }
}

struct FjallSession<'a> {
    fjall: &'a Fjall,
}

impl Session for FjallSession<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>> {
        let value = self.fjall.items.get(key).map_err(engine_error(NAME, "get"))?;
        Ok(value.as_deref().map(touch))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = self.fjall.durable_batch();
        batch.insert(&self.fjall.items, key, value);
        batch.commit().map_err(engine_error(NAME, "commit"))
    }

    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize> {
        let mut read = 0;
        for guard in self.fjall.items.range(start..).take(count) {
            let (key, value) = guard.into_inner().map_err(engine_error(NAME, "range"))?;
            touch(&key);
            touch(&value);
            read += 1;
        }
        Ok(read)
    }
}
