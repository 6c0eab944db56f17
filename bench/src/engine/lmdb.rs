//! LMDB through `heed`, with its default (durable) flags: every commit syncs.
#![expect(unsafe_code, reason = "heed's EnvOpenOptions::open is unsafe (memory map)")]

use super::{touch, Engine, Session};
use crate::{engine_error, KeySpace, Result};
use heed::{types::Bytes, CommitOrAbort, Database, Env, EnvOpenOptions};
use std::{ops::Bound, ops::Range, path::Path};

const NAME: &str = "lmdb";

/// The memory map's size: address space only, the file grows as pages are written.
const MAP_SIZE_BYTES: usize = 64 << 30;

pub(super) struct Lmdb {
    env: Env,
    db: Database<'static, Bytes, Bytes>,
}

impl Lmdb {
    pub(super) fn open(dir: &Path) -> Result<Self> {
        // SAFETY: the environment lives in a directory this process created for itself; nothing
        // else opens, modifies or truncates its files while the map is alive, and it is opened
        // once, without unsafe flags (no NO_LOCK, NO_SYNC).
        let env = unsafe { EnvOpenOptions::new().map_size(MAP_SIZE_BYTES).open(dir) }
            .map_err(engine_error(NAME, "open"))?;
        let tx = env.write_txn().map_err(engine_error(NAME, "write_txn"))?;
        let db = env
            .create_databases_and_commit(tx, |opener, tx| {
                opener.create_database(tx, None).map(CommitOrAbort::<_, ()>::Commit)
            })
            .map_err(engine_error(NAME, "create_database"))?
            .commit()
            .expect("the closure always commits");
        Ok(Self { env, db })
    }
}

impl Engine for Lmdb {
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()> {
        let mut tx = self.env.write_txn().map_err(engine_error(NAME, "write_txn"))?;
        for index in indexes {
            let key = KeySpace::key(index);
            let value = space.value(index, value_len);
            self.db.put(&mut tx, &key, value).map_err(engine_error(NAME, "put"))?;
        }
        tx.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(())
    }

    fn session(&self) -> Result<Box<dyn Session + '_>> {
        Ok(Box::new(LmdbSession { lmdb: self }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        let Self { env, db: _ } = *self;
        env.prepare_for_closing().wait();
        Ok(())
    }
}

struct LmdbSession<'a> {
    lmdb: &'a Lmdb,
}

impl Session for LmdbSession<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>> {
        let tx = self.lmdb.env.read_txn().map_err(engine_error(NAME, "read_txn"))?;
        let value = self.lmdb.db.get(&tx, key).map_err(engine_error(NAME, "get"))?;
        Ok(value.map(touch))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut tx = self.lmdb.env.write_txn().map_err(engine_error(NAME, "write_txn"))?;
        self.lmdb.db.put(&mut tx, key, value).map_err(engine_error(NAME, "put"))?;
        tx.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(())
    }

    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize> {
        let tx = self.lmdb.env.read_txn().map_err(engine_error(NAME, "read_txn"))?;
        let range = (Bound::Included(start), Bound::Unbounded);
        let iter = self.lmdb.db.range(&tx, &range).map_err(engine_error(NAME, "range"))?;
        let mut read = 0;
        for item in iter.take(count) {
            let (key, value) = item.map_err(engine_error(NAME, "range"))?;
            touch(key);
            touch(value);
            read += 1;
        }
        Ok(read)
    }
}
