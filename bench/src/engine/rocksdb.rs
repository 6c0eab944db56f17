//! RocksDB with its default options; single-item writes and load batches use `sync = true`.

use super::{touch, Engine, Session, LOAD_BATCH_ITEMS};
use crate::{engine_error, KeySpace, Result};
use rocksdb::{Options, WriteBatch, WriteOptions, DB};
use std::{ops::Range, path::Path};

const NAME: &str = "rocksdb";

pub(super) struct Rocks {
    db: DB,
    sync: WriteOptions,
}

impl Rocks {
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let mut options = Options::default();
        options.create_if_missing(true);
        let db = DB::open(&options, dir).map_err(engine_error(NAME, "open"))?;
        let mut sync = WriteOptions::default();
        sync.set_sync(true);
        Ok(Self { db, sync })
    }
}

impl Engine for Rocks {
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()> {
        let mut batch = WriteBatch::default();
        for index in indexes {
            batch.put(KeySpace::key(index), space.value(index, value_len));
            if batch.len() == LOAD_BATCH_ITEMS {
                let full = std::mem::take(&mut batch);
                self.db.write_opt(full, &self.sync).map_err(engine_error(NAME, "write"))?;
            }
        }
        if !batch.is_empty() {
            self.db.write_opt(batch, &self.sync).map_err(engine_error(NAME, "write"))?;
        }
        Ok(())
    }

    fn session(&self) -> Result<Box<dyn Session + '_>> {
        Ok(Box::new(RocksSession { rocks: self }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        drop(self.db);
        Ok(())
    }
}

struct RocksSession<'a> {
    rocks: &'a Rocks,
}

impl Session for RocksSession<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>> {
        let value = self.rocks.db.get_pinned(key).map_err(engine_error(NAME, "get"))?;
        Ok(value.as_deref().map(touch))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.rocks.db.put_opt(key, value, &self.rocks.sync).map_err(engine_error(NAME, "put"))
    }

    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize> {
        let mut iter = self.rocks.db.raw_iterator();
        iter.seek(start);
        let mut read = 0;
        while read < count && iter.valid() {
            touch(iter.key().unwrap_or_default());
            touch(iter.value().unwrap_or_default());
            read += 1;
            iter.next();
        }
        iter.status().map_err(engine_error(NAME, "iterate"))?;
        Ok(read)
    }
}
