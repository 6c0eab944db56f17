//! Request bodies from untrusted bytes: arbitrary JSON decoded into `basalt::api` requests and
//! run against one database (PutItem, GetItem, DeleteItem, UpdateItem, Query, Scan, CreateTable, DescribeTable,
//! UpdateTable, TagResource, ListTables, DeleteTable, BatchWriteItem, BatchGetItem,
//! TransactWriteItems, TransactGetItems, UpdateTimeToLive, DescribeTimeToLive with the expiry
//! of items): an answer or one of DynamoDB's errors,
//! never a panic or an internal error, and a refused request changes nothing.
#![no_main]

use std::sync::OnceLock;

use basalt::Db;
use libfuzzer_sys::fuzz_target;

fn db() -> &'static Db {
    static DB: OnceLock<(tempfile::TempDir, Db)> = OnceLock::new();
    let (_, db) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open_with(dir.path(), basalt::db::fuzz::fuzz_options()).expect("open");
        basalt::db::fuzz::fuzz_setup(&db).expect("setup");
        (dir, db)
    });
    db
}

fuzz_target!(|bytes: &[u8]| basalt::db::fuzz::fuzz_request(db(), bytes));
