//! SQLite through `rusqlite` (bundled): one `WITHOUT ROWID` table, WAL mode,
//! `synchronous=FULL`, so every autocommit statement is durable when it returns.
//!
//! A connection is not `Sync`, so each session opens its own; writers from several sessions
//! take turns through SQLite's lock and its busy handler.

use super::{touch, Engine, Session};
use crate::{engine_error, KeySpace, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::{
    ops::Range,
    path::{Path, PathBuf},
    time::Duration,
};

const NAME: &str = "sqlite";

/// How long a writer waits for another's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) struct Sqlite {
    path: PathBuf,
}

impl Sqlite {
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let path = dir.join("sqlite.db");
        let connection = connect(&path)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;",
            )
            .map_err(engine_error(NAME, "create table"))?;
        Ok(Self { path })
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let connection = Connection::open(path).map_err(engine_error(NAME, "open"))?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(engine_error(NAME, "busy_timeout"))?;
    connection.pragma_update(None, "synchronous", "FULL").map_err(engine_error(NAME, "pragma"))?;
    Ok(connection)
}

impl Engine for Sqlite {
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()> {
        let mut connection = connect(&self.path)?;
        let tx = connection.transaction().map_err(engine_error(NAME, "begin"))?;
        {
            let mut insert = tx
                .prepare("INSERT INTO kv (k, v) VALUES (?1, ?2)")
                .map_err(engine_error(NAME, "prepare"))?;
            for index in indexes {
                let key = KeySpace::key(index);
                let value = space.value(index, value_len);
                insert.execute(params![&key[..], value]).map_err(engine_error(NAME, "insert"))?;
            }
        }
        tx.commit().map_err(engine_error(NAME, "commit"))?;
        Ok(())
    }

    fn session(&self) -> Result<Box<dyn Session + '_>> {
        Ok(Box::new(SqliteSession { connection: connect(&self.path)? }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        // The last connection closed checkpoints the WAL into the database file.
        Ok(())
    }
}

struct SqliteSession {
    connection: Connection,
}

impl Session for SqliteSession {
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>> {
        // Reads the value itself, as the other engines do, not just `length(v)` (which SQLite
        // answers from the record header).
        let mut select = self
            .connection
            .prepare_cached("SELECT v FROM kv WHERE k = ?1")
            .map_err(engine_error(NAME, "prepare"))?;
        let len = select
            .query_row([key], |row| Ok(row.get_ref(0)?.as_bytes().map(touch)))
            .optional()
            .map_err(engine_error(NAME, "get"))?;
        len.map(|len| len.map_err(engine_error(NAME, "value type"))).transpose()
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut upsert = self
            .connection
            .prepare_cached("INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)")
            .map_err(engine_error(NAME, "prepare"))?;
        upsert.execute(params![key, value]).map_err(engine_error(NAME, "put"))?;
        Ok(())
    }

    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize> {
        let mut select = self
            .connection
            .prepare_cached("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2")
            .map_err(engine_error(NAME, "prepare"))?;
        let limit = i64::try_from(count).expect("scan length fits i64");
        let mut rows = select.query(params![start, limit]).map_err(engine_error(NAME, "scan"))?;
        let mut read = 0;
        while let Some(row) = rows.next().map_err(engine_error(NAME, "scan"))? {
            let key = row.get_ref(0).map_err(engine_error(NAME, "column"))?;
            let value = row.get_ref(1).map_err(engine_error(NAME, "column"))?;
            let key = key.as_bytes().map_err(engine_error(NAME, "key type"))?;
            let value = value.as_bytes().map_err(engine_error(NAME, "value type"))?;
            touch(key);
            touch(value);
            read += 1;
        }
        Ok(read)
    }
}
