//! What the DynamoDB-layer benchmarks share: the table they use and how they open a database.

use basalt::api::{AttributeDefinition, CreateTableInput, KeySchemaElement};
use basalt::core::{Durability, Options};
use basalt::{Db, DbOptions};

/// The benchmarks' table: `pk` (HASH, S) and `sk` (RANGE, N), `PAY_PER_REQUEST`.
pub const TABLE: &str = "Bench";

/// Opens (or creates) the database in `dir` with the given durability and creates [`TABLE`]
/// when the database has no table yet.
pub fn open(dir: &std::path::Path, durability: Durability) -> Db {
    let options =
        DbOptions { core: Options { durability, ..Options::default() }, ..DbOptions::default() };
    let db = Db::open_with(dir, options).expect("open");
    if db.list_tables(Default::default()).expect("list").table_names.is_empty() {
        db.create_table(CreateTableInput {
            table_name: Some(TABLE.into()),
            key_schema: Some(vec![KeySchemaElement::hash("pk"), KeySchemaElement::range("sk")]),
            attribute_definitions: Some(vec![
                AttributeDefinition::new("pk", "S"),
                AttributeDefinition::new("sk", "N"),
            ]),
            billing_mode: Some("PAY_PER_REQUEST".into()),
            ..Default::default()
        })
        .expect("create table");
    }
    db
}
