//! Starts Basalt's DynamoDB layer on a local data directory: creates a table, writes items to it
//! from several threads, reads them back, and closes.
//!
//! `cargo run --release -p basalt --example db_demo -- [DATA_DIR] [ITEMS] [THREADS]`
//!
//! Opens (or recovers) the database in `DATA_DIR` (default `./basalt-data`), creates the table
//! `MyTable` (partition key `userId`, sort key `seq`) unless it exists, puts `ITEMS` items
//! (default 20,000) from `THREADS` threads (default 8), each a durable PutItem, reads every one
//! back with GetItem, prints DescribeTable's item count and size, and closes. Run it again: the
//! second run recovers the first run's table, checks its items, and adds more.

use std::error::Error;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use basalt::api::{
    AttributeDefinition, CreateTableInput, DescribeTableInput, GetItemInput, KeySchemaElement,
    PutItemInput,
};
use basalt::model::Item;
use basalt::{item, Db};

const TABLE: &str = "MyTable";

fn user(run: u64, i: u64) -> Item {
    item! {
        "userId" => format!("user-{i}"),
        "seq" => run,
        "name" => format!("User {i}"),
        "age" => 20 + i % 50,
        "active" => i % 3 == 0,
    }
}

fn key(run: u64, i: u64) -> Item {
    item! { "userId" => format!("user-{i}"), "seq" => run }
}

fn table(name: &str) -> Option<String> {
    Some(name.to_string())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "./basalt-data".into());
    let items: u64 = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let threads: u64 = args.next().map_or(Ok(8), |a| a.parse())?;
    let mut out = std::io::stdout().lock();

    let started = Instant::now();
    let db = Arc::new(Db::open(&dir)?);
    let existing = db.describe_table(DescribeTableInput { table_name: table(TABLE) });
    let before = match existing {
        Ok(described) => described.table.item_count as u64,
        Err(error) if error.name() == "ResourceNotFoundException" => {
            db.create_table(CreateTableInput {
                table_name: table(TABLE),
                key_schema: Some(vec![
                    KeySchemaElement::hash("userId"),
                    KeySchemaElement::range("seq"),
                ]),
                attribute_definitions: Some(vec![
                    AttributeDefinition::new("userId", "S"),
                    AttributeDefinition::new("seq", "N"),
                ]),
                billing_mode: Some("PAY_PER_REQUEST".into()),
                ..Default::default()
            })?;
            0
        }
        Err(error) => return Err(error.into()),
    };
    let run = before.div_ceil(items.max(1));
    writeln!(out, "opened {dir} in {:?}: {TABLE} holds {before} items", started.elapsed())?;
    for earlier in 0..run {
        for i in 0..items {
            let got = db.get_item(GetItemInput {
                table_name: table(TABLE),
                key: Some(key(earlier, i)),
                ..Default::default()
            })?;
            if got.item != Some(user(earlier, i)) {
                return Err(format!("run {earlier} item {i}: read back {:?}", got.item).into());
            }
        }
    }

    let started = Instant::now();
    let writers: Vec<_> = (0..threads)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || -> Result<(), basalt::api::DbError> {
                for i in (thread..items).step_by(threads as usize) {
                    db.put_item(PutItemInput {
                        table_name: table(TABLE),
                        item: Some(user(run, i)),
                        ..Default::default()
                    })?;
                }
                Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.join().map_err(|_| "writer panicked")??;
    }
    let elapsed = started.elapsed();
    let rate = items as f64 / elapsed.as_secs_f64();
    writeln!(
        out,
        "put {items} items from {threads} threads in {elapsed:.2?} ({rate:.0} PutItem/s)"
    )?;

    for i in 0..items {
        let got = db.get_item(GetItemInput {
            table_name: table(TABLE),
            key: Some(key(run, i)),
            ..Default::default()
        })?;
        if got.item != Some(user(run, i)) {
            return Err(format!("item {i}: read back {:?}", got.item).into());
        }
    }
    let described = db.describe_table(DescribeTableInput { table_name: table(TABLE) })?.table;
    writeln!(
        out,
        "read back every item; {TABLE} holds {} items, {} bytes",
        described.item_count, described.table_size_bytes
    )?;
    Arc::try_unwrap(db).map_err(|_| "database still shared")?.close()?;
    Ok(())
}
