//! Secondary indexes: definitions, maintenance by every write path, Query and Scan on them,
//! backfill of an index added to a table with items, restarts.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use basalt::api::{
    CreateTableInput, DbError, DeleteItemInput, GetItemInput, GlobalSecondaryIndex,
    LocalSecondaryIndex, Projection, PutItemInput, QueryInput, QueryOutput, ScanInput,
    TableDescription, UpdateItemInput,
};
use basalt::model::{AttributeValue, Item};
use basalt::{item, Db, DbOptions};
use common::{assert_error, assert_validation, req};
use serde_json::json;

/// `Orders`: partition `customer` (S), sort `id` (N); LSI `by_amount` (amount: N, KEYS_ONLY);
/// GSI `by_status` (status: S, then placed: N; INCLUDE amount); GSI `by_area` (region: S,
/// ALL).
fn orders() -> CreateTableInput {
    CreateTableInput::new("Orders")
        .partition_key("customer", "S")
        .sort_key("id", "N")
        .attribute("amount", "N")
        .attribute("status", "S")
        .attribute("placed", "N")
        .attribute("area", "S")
        .local_index(
            LocalSecondaryIndex::new("by_amount", "customer", "amount")
                .projection(Projection::keys_only()),
        )
        .global_index(
            GlobalSecondaryIndex::new("by_status")
                .partition_key("status")
                .sort_key("placed")
                .projection(Projection::include(["amount"])),
        )
        .global_index(GlobalSecondaryIndex::new("by_area").partition_key("area"))
}

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path()).expect("open");
    db.create_table(orders()).expect("create");
    (dir, db)
}

fn order(customer: &str, id: i64, amount: i64, status: &str, placed: i64) -> Item {
    item! {
        "customer" => customer, "id" => id, "amount" => amount, "status" => status,
        "placed" => placed, "note" => format!("order {id}")
    }
}

/// Every page of `query`, its items in order.
fn query_all(db: &Db, mut query: QueryInput) -> Vec<Item> {
    let mut items = Vec::new();
    loop {
        let page: QueryOutput = db.query(query.clone()).expect("query");
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) => query.exclusive_start_key = Some(key),
            None => return items,
        }
    }
}

fn scan_all(db: &Db, mut scan: ScanInput) -> Vec<Item> {
    let mut items = Vec::new();
    loop {
        let page = db.scan(scan.clone()).expect("scan");
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) => scan.exclusive_start_key = Some(key),
            None => return items,
        }
    }
}

fn ids(items: &[Item]) -> Vec<i64> {
    items
        .iter()
        .map(|i| match i.get("id") {
            Some(AttributeValue::N(n)) => n.to_string().parse().expect("an integer id"),
            other => panic!("no id in {other:?}"),
        })
        .collect()
}

fn describe(db: &Db, table: &str) -> TableDescription {
    db.describe_table(req(json!({ "TableName": table }))).expect("describe").table
}

/// What the index `name` must hold, derived from the table: the projection of every item
/// that carries all of `keys`, restricted to `projected` (`None`: every attribute).
fn derived(db: &Db, table: &str, keys: &[&str], projected: Option<&[&str]>) -> BTreeSet<String> {
    let items = scan_all(db, ScanInput::new(table));
    items
        .into_iter()
        .filter(|item| keys.iter().all(|k| item.contains_key(*k)))
        .map(|item| {
            let kept: Item = match projected {
                None => item,
                Some(names) => {
                    item.into_iter().filter(|(n, _)| names.contains(&n.as_str())).collect()
                }
            };
            serde_json::to_string(&kept).expect("json")
        })
        .collect()
}

fn index_contents(db: &Db, table: &str, index: &str) -> BTreeSet<String> {
    let items = scan_all(db, ScanInput::new(table).index(index));
    let count = items.len();
    let set: BTreeSet<String> =
        items.iter().map(|i| serde_json::to_string(i).expect("json")).collect();
    assert_eq!(set.len(), count, "an entry appears twice in {index}");
    set
}

#[test]
fn local_and_global_indexes_follow_every_write() {
    let (_dir, db) = open();
    for id in 0..40 {
        let status = if id % 3 == 0 { "open" } else { "closed" };
        let customer = if id % 2 == 0 { "c1" } else { "c2" };
        db.put_item(PutItemInput::new(
            "Orders",
            order(customer, id, 1000 - id * 7, status, id * 10),
        ))
        .expect("put");
    }
    // LSI: one partition, ordered by amount (KEYS_ONLY: table keys and the index key).
    let by_amount = query_all(
        &db,
        QueryInput::new("Orders", "customer = :c").index("by_amount").value(":c", "c1").limit(3),
    );
    assert_eq!(by_amount.len(), 20);
    assert_eq!(ids(&by_amount), (0..40).rev().filter(|id| id % 2 == 0).collect::<Vec<_>>());
    assert_eq!(by_amount[0].keys().cloned().collect::<Vec<_>>(), ["amount", "customer", "id"]);
    // GSI: across both partitions (and all shards), ordered by `placed`, paged by 4.
    let open_orders = QueryInput::new("Orders", "#s = :s AND placed >= :p")
        .index("by_status")
        .name("#s", "status")
        .value(":s", "open")
        .value(":p", 100)
        .limit(4);
    let found = query_all(&db, open_orders.clone());
    assert_eq!(ids(&found), (12..40).filter(|id| id % 3 == 0).collect::<Vec<_>>());
    assert!(found.iter().all(|i| !i.contains_key("note")), "INCLUDE amount only");
    assert!(found.iter().all(|i| i.contains_key("amount")));
    let backward = query_all(&db, open_orders.backward());
    assert_eq!(ids(&backward), (12..40).filter(|id| id % 3 == 0).rev().collect::<Vec<_>>());
    // Sparse: no item has `region`.
    assert!(index_contents(&db, "Orders", "by_area").is_empty());

    // An update moves the entry; a delete removes it; a put without the key leaves the index.
    let key = item! { "customer" => "c1", "id" => 12 };
    db.update_item(
        UpdateItemInput::new("Orders", key.clone(), "SET #s = :c, area = :r")
            .name("#s", "status")
            .value(":c", "closed")
            .value(":r", "eu"),
    )
    .expect("update");
    db.delete_item(DeleteItemInput::new("Orders", item! { "customer" => "c1", "id" => 18 }))
        .expect("delete");
    db.put_item(PutItemInput::new("Orders", item! { "customer" => "c2", "id" => 21 }))
        .expect("put without index keys");
    let found = query_all(
        &db,
        QueryInput::new("Orders", "#s = :s")
            .index("by_status")
            .name("#s", "status")
            .value(":s", "open"),
    );
    assert_eq!(ids(&found), [0, 3, 6, 9, 15, 24, 27, 30, 33, 36, 39]);
    let region =
        query_all(&db, QueryInput::new("Orders", "area = :r").index("by_area").value(":r", "eu"));
    assert_eq!(
        region,
        vec![db.get_item(GetItemInput::new("Orders", key)).expect("get").item.expect("item")]
    );

    assert_eq!(index_contents(&db, "Orders", "by_area"), derived(&db, "Orders", &["area"], None));
    let status_projection = ["customer", "id", "status", "placed", "amount"];
    assert_eq!(
        index_contents(&db, "Orders", "by_status"),
        derived(&db, "Orders", &["status", "placed"], Some(&status_projection))
    );
    let description = describe(&db, "Orders");
    let globals = description.global_secondary_indexes.expect("globals");
    let by_status = globals.iter().find(|g| g.index_name == "by_status").expect("by_status");
    assert_eq!(by_status.item_count, 38);
    assert_eq!(by_status.index_status, "ACTIVE");
    assert_eq!(by_status.backfilling, None);
    assert!(by_status.index_size_bytes > 0);
    assert_eq!(by_status.index_arn, format!("{}/index/by_status", description.table_arn));
    let locals = description.local_secondary_indexes.expect("locals");
    assert_eq!(locals[0].item_count, 38);
}

#[test]
fn index_reads_check_the_request_against_the_index() {
    let (_dir, db) = open();
    db.put_item(PutItemInput::new("Orders", order("c1", 1, 10, "open", 5))).expect("put");
    let query =
        |index: &str| QueryInput::new("Orders", "customer = :c").index(index).value(":c", "c1");
    assert_validation(db.query(query("nope")), "The table does not have the specified index: nope");
    assert_validation(
        db.scan(ScanInput::new("Orders").index("nope")),
        "The table does not have the specified index: nope",
    );
    let mut consistent = QueryInput::new("Orders", "area = :r").index("by_area").value(":r", "x");
    consistent.consistent_read = Some(true);
    assert_validation(
        db.query(consistent),
        "Consistent reads are not supported on global secondary indexes",
    );
    let mut all = QueryInput::new("Orders", "#s = :s")
        .index("by_status")
        .name("#s", "status")
        .value(":s", "open");
    all.select = Some("ALL_ATTRIBUTES".into());
    assert_validation(
        db.query(all),
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported \
         for global secondary index by_status because its projection type is not ALL",
    );
    let mut projected = QueryInput::new("Orders", "#s = :s")
        .index("by_status")
        .name("#s", "status")
        .value(":s", "open");
    projected.projection_expression = Some("note, amount".into());
    assert_validation(
        db.query(projected),
        "One or more parameter values were invalid: Global secondary index by_status does not \
         project [note]",
    );
    // An LSI reads what it does not hold from the table.
    let mut all = query("by_amount");
    all.select = Some("ALL_ATTRIBUTES".into());
    let items = db.query(all).expect("query").items.expect("items");
    assert_eq!(items, vec![order("c1", 1, 10, "open", 5)]);
    let mut note = query("by_amount");
    note.projection_expression = Some("note".into());
    let items = db.query(note).expect("query").items.expect("items");
    assert_eq!(items, vec![item! { "note" => "order 1" }]);
    // The key condition is the index's.
    assert_validation(
        db.query(QueryInput::new("Orders", "customer = :c").index("by_status").value(":c", "c1")),
        "Query condition missed key schema element: status",
    );
    let filtered = QueryInput::new("Orders", "#s = :s")
        .index("by_status")
        .name("#s", "status")
        .value(":s", "open")
        .filter("placed > :p")
        .value(":p", 1);
    assert_validation(
        db.query(filtered),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: placed",
    );
    // A start key must hold the table's and the index's keys.
    let mut start = QueryInput::new("Orders", "#s = :s")
        .index("by_status")
        .name("#s", "status")
        .value(":s", "open");
    start.exclusive_start_key = Some(item! { "customer" => "c1", "id" => 1 });
    assert_validation(db.query(start), "The provided starting key is invalid");
}

#[test]
fn writes_with_a_bad_index_key_are_refused_and_change_nothing() {
    let (_dir, db) = open();
    let mut bad = order("c1", 1, 10, "open", 5);
    bad.insert("status".into(), AttributeValue::N("3".parse().expect("number")));
    assert_validation(
        db.put_item(PutItemInput::new("Orders", bad)),
        "One or more parameter values were invalid: Type mismatch for Index Key status Expected: S \
         Actual: N IndexName: by_status",
    );
    let mut empty = order("c1", 1, 10, "open", 5);
    empty.insert("area".into(), AttributeValue::S(String::new()));
    assert_validation(
        db.put_item(PutItemInput::new("Orders", empty)),
        "One or more parameter values are not valid. A value specified for a secondary index key \
         is not supported. The AttributeValue for a key attribute cannot contain an empty string \
         value. IndexName: by_area, IndexKey: area",
    );
    db.put_item(PutItemInput::new("Orders", order("c1", 1, 10, "open", 5))).expect("put");
    let key = item! { "customer" => "c1", "id" => 1 };
    assert_validation(
        db.update_item(UpdateItemInput::new("Orders", key.clone(), "SET placed = :p").value(":p", "soon")),
        "One or more parameter values were invalid: Type mismatch for Index Key placed Expected: N \
         Actual: S IndexName: by_status",
    );
    assert_validation(
        db.update_item(
            UpdateItemInput::new("Orders", key.clone(), "SET area = :r").value(":r", ""),
        ),
        "One or more parameter values are not valid. The update expression attempted to update a \
         secondary index key to a value that is not supported. The AttributeValue for a key \
         attribute cannot contain an empty string value.",
    );
    // A table key error comes first.
    let mut both = item! { "customer" => "c1", "id" => "x", "status" => 1 };
    assert_validation(
        db.put_item(PutItemInput::new("Orders", std::mem::take(&mut both))),
        "One or more parameter values were invalid: Type mismatch for key id expected: N actual: S",
    );
    let got = db.get_item(GetItemInput::new("Orders", key)).expect("get").item;
    assert_eq!(got, Some(order("c1", 1, 10, "open", 5)));
    assert_eq!(index_contents(&db, "Orders", "by_area").len(), 0);
}

#[test]
fn create_table_checks_index_definitions_in_dynamodb_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path()).expect("open");
    let base = || {
        json!({
            "TableName": "Things",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "a", "AttributeType": "S"}
            ],
            "BillingMode": "PAY_PER_REQUEST"
        })
    };
    let with = |member: &str, value: serde_json::Value| {
        let mut request = base();
        request[member] = value;
        db.create_table(req(request))
    };
    let gsi = |name: &str, keys: serde_json::Value, projection: serde_json::Value| json!({"IndexName": name, "KeySchema": keys, "Projection": projection});
    let hash_a = json!([{"AttributeName": "a", "KeyType": "HASH"}]);
    let all = json!({"ProjectionType": "ALL"});
    let invalid = |m: &str| format!("One or more parameter values were invalid: {m}");
    assert_validation(db.create_table(req(base())), &invalid("Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, a], keys used: [pk, sk]").replace("Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, a], keys used: [pk, sk]", "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"));
    assert_validation(
        with("GlobalSecondaryIndexes", json!([])),
        &invalid("List of GlobalSecondaryIndexes is empty"),
    );
    assert_validation(
        with("GlobalSecondaryIndexes", json!([gsi("gone", json!([{"AttributeName": "b", "KeyType": "HASH"}]), all.clone())])),
        &invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [b], AttributeDefinitions: [pk, sk, a]"),
    );
    assert_validation(
        with("GlobalSecondaryIndexes", json!([gsi("gone", json!([{"AttributeName": "sk", "KeyType": "HASH"}]), all.clone())])),
        &invalid("Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, a], keys used: [pk, sk]"),
    );
    assert_validation(
        with("GlobalSecondaryIndexes", json!([gsi("gone", hash_a.clone(), json!({}))])),
        &invalid("Unknown ProjectionType: null"),
    );
    assert_validation(
        with(
            "GlobalSecondaryIndexes",
            json!([gsi("gone", hash_a.clone(), json!({"ProjectionType": "INCLUDE"}))]),
        ),
        &invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    );
    assert_validation(
        with(
            "GlobalSecondaryIndexes",
            json!([gsi(
                "gone",
                hash_a.clone(),
                json!({"ProjectionType": "ALL", "NonKeyAttributes": ["x"]})
            )]),
        ),
        &invalid("ProjectionType is ALL, but NonKeyAttributes is specified"),
    );
    assert_validation(
        with(
            "GlobalSecondaryIndexes",
            json!([
                gsi("gone", hash_a.clone(), all.clone()),
                gsi("gone", hash_a.clone(), all.clone())
            ]),
        ),
        &invalid("Duplicate index name: gone"),
    );
    assert_validation(
        with("LocalSecondaryIndexes", json!([gsi("loc1", json!([{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]), all.clone())])),
        &invalid("Index KeySchema does not have the same leading hash key as table KeySchema for index: loc1. index hash key: a, table hash key: pk"),
    );
    assert_validation(
        with(
            "GlobalSecondaryIndexes",
            json!([gsi(
                "gone",
                json!([
            {"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"},
            {"AttributeName": "pk", "KeyType": "HASH"}]),
                all.clone()
            )]),
        ),
        &invalid("All HASH key attributes must precede RANGE key attributes in the KeySchema"),
    );
    let mut provisioned = base();
    provisioned["BillingMode"] = json!("PROVISIONED");
    provisioned["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    provisioned["GlobalSecondaryIndexes"] = json!([gsi("gone", hash_a.clone(), all.clone())]);
    assert_validation(
        db.create_table(req(provisioned)),
        &invalid("ProvisionedThroughput is not specified for index: gone"),
    );
    assert_validation(
        with("GlobalSecondaryIndexes", json!([gsi("x", hash_a.clone(), all.clone())])),
        "1 validation error detected: Value 'x' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    assert!(db.list_tables(Default::default()).expect("list").table_names.is_empty());
    let created =
        with("GlobalSecondaryIndexes", json!([gsi("gone", hash_a, all)])).expect("create");
    assert_eq!(
        created.table_description.global_secondary_indexes.expect("gsi")[0].index_status,
        "ACTIVE"
    );
}

#[test]
fn multi_attribute_global_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path()).expect("open");
    db.create_table(
        CreateTableInput::new("Games")
            .partition_key("id", "S")
            .attribute("tournament", "S")
            .attribute("region", "S")
            .attribute("round", "N")
            .attribute("bracket", "S")
            .attribute("score", "N")
            .global_index(
                GlobalSecondaryIndex::new("by_match")
                    .partition_key("tournament")
                    .partition_key("region")
                    .sort_key("round")
                    .sort_key("bracket")
                    .sort_key("score"),
            ),
    )
    .expect("create");
    let mut n = 0;
    for round in 1..=3 {
        for bracket in ["lower", "upper"] {
            for score in [10, 20] {
                n += 1;
                let game = item! {
                    "id" => format!("g{n}"), "tournament" => "spring", "region" => "eu",
                    "round" => round, "bracket" => bracket, "score" => score
                };
                db.put_item(PutItemInput::new("Games", game)).expect("put");
            }
        }
    }
    db.put_item(PutItemInput::new(
        "Games",
        item! { "id" => "sparse", "tournament" => "spring", "region" => "eu", "round" => 1 },
    ))
    .expect("an item lacking sort attributes");
    let q = |condition: &str| {
        QueryInput::new("Games", condition)
            .index("by_match")
            .value(":t", "spring")
            .value(":r", "eu")
    };
    assert_eq!(query_all(&db, q("tournament = :t AND #r = :r").name("#r", "region")).len(), 12);
    let round2 = query_all(
        &db,
        q("tournament = :t AND #r = :r AND round = :n").name("#r", "region").value(":n", 2),
    );
    assert_eq!(round2.len(), 4);
    let upper = q("tournament = :t AND #r = :r AND round = :n AND bracket = :b AND score > :s")
        .name("#r", "region")
        .value(":n", 2)
        .value(":b", "upper")
        .value(":s", 15);
    let found = query_all(&db, upper.limit(1));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].get("id"), Some(&AttributeValue::S("g8".into())));
    assert_validation(
        db.query(q("tournament = :t AND round = :r").limit(1)),
        "Query condition missed key schema element: region",
    );
    let gap =
        q("tournament = :t AND #r = :r AND bracket = :b").name("#r", "region").value(":b", "upper");
    assert_validation(db.query(gap), "Query condition missed key schema element: round");
    let early = q("tournament = :t AND #r = :r AND round > :n AND bracket = :b")
        .name("#r", "region")
        .value(":n", 1)
        .value(":b", "upper");
    assert_validation(db.query(early), "Query key condition not supported");
}

#[test]
fn a_global_index_added_later_is_backfilled_while_writes_go_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(Db::open(dir.path()).expect("open"));
    db.create_table(CreateTableInput::new("Events").partition_key("id", "N")).expect("create");
    for id in 0..3000 {
        let event = item! { "id" => id, "kind" => format!("k{}", id % 7), "stamp" => id };
        db.put_item(PutItemInput::new("Events", event)).expect("put");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut round = 0i64;
            while !stop.load(Ordering::Relaxed) {
                for id in (0..3000).step_by(13) {
                    let id = (id + round) % 3000;
                    let kind = format!("k{}", (id + round) % 5);
                    let update = UpdateItemInput::new(
                        "Events",
                        item! { "id" => id },
                        "SET kind = :k, stamp = :a",
                    )
                    .value(":k", kind)
                    .value(":a", round);
                    db.update_item(update).expect("update");
                    if id % 3 == 0 {
                        db.delete_item(DeleteItemInput::new("Events", item! { "id" => id + 5000 }))
                            .expect("delete");
                        db.put_item(PutItemInput::new(
                            "Events",
                            item! { "id" => id + 5000, "kind" => "new", "stamp" => round },
                        ))
                        .expect("put");
                    }
                }
                round += 1;
            }
        })
    };
    let update = req(json!({
        "TableName": "Events",
        "AttributeDefinitions": [
            {"AttributeName": "kind", "AttributeType": "S"},
            {"AttributeName": "stamp", "AttributeType": "N"}
        ],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "by_kind",
            "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}, {"AttributeName": "stamp", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}
        }}]
    }));
    let answer = db.update_table(update).expect("update table");
    let created = answer.table_description.global_secondary_indexes.expect("gsi");
    assert_eq!(created[0].index_status, "CREATING");
    assert_eq!(answer.table_description.table_status, "UPDATING");
    db.wait_for_backfills().expect("backfill");
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    let description = describe(&db, "Events");
    let index = &description.global_secondary_indexes.expect("gsi")[0];
    assert_eq!(index.index_status, "ACTIVE");
    let expected = derived(&db, "Events", &["kind", "stamp"], Some(&["id", "kind", "stamp"]));
    let actual = index_contents(&db, "Events", "by_kind");
    let missing: Vec<_> = expected.difference(&actual).take(5).collect();
    let extra: Vec<_> = actual.difference(&expected).take(5).collect();
    assert_eq!((missing, extra), (vec![], vec![]));
    assert_eq!(index.item_count, expected.len() as i64);
    assert_eq!(description.attribute_definitions.len(), 3);

    // Removing it purges its entries and its attribute definitions.
    let delete = req(json!({
        "TableName": "Events",
        "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by_kind"}}]
    }));
    db.update_table(delete).expect("delete index");
    db.wait_for_purges().expect("purge");
    let description = describe(&db, "Events");
    assert!(description.global_secondary_indexes.is_none());
    assert_eq!(description.attribute_definitions.len(), 1);
    assert_validation(
        db.query(QueryInput::new("Events", "kind = :k").index("by_kind").value(":k", "k1")),
        "The table does not have the specified index: by_kind",
    );
}

#[test]
fn update_table_index_changes_are_checked() {
    let (_dir, db) = open();
    let update = |changes: serde_json::Value| {
        db.update_table(req(json!({
            "TableName": "Orders",
            "AttributeDefinitions": [{"AttributeName": "note", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": changes
        })))
    };
    let create = |name: &str| json!({"Create": {"IndexName": name, "KeySchema": [{"AttributeName": "note", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}});
    assert_validation(
        update(json!([create("by_status")])),
        "Attempting to create an index which already exists",
    );
    assert_error(
        update(json!([create("gone"), create("gtwo")])),
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
    );
    assert_error(
        update(json!([{"Delete": {"IndexName": "nope"}}])),
        "ResourceNotFoundException",
        "Requested resource not found: Index nope for table Orders",
    );
    assert_validation(
        update(json!([{"Delete": {"IndexName": "by_amount"}}])),
        "Cannot delete an index that is not a GlobalSecondaryIndex: by_amount",
    );
    assert_validation(
        update(json!([{}])),
        "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
    );
    assert_validation(
        update(json!([{"Delete": {"IndexName": "by_region"}}, {"Delete": {"IndexName": "by_region"}}])),
        "One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: by_region",
    );
    let no_definitions = db.update_table(req(json!({
        "TableName": "Orders",
        "GlobalSecondaryIndexUpdates": [create("gone")]
    })));
    assert_validation(no_definitions, "One or more parameter values were invalid: AttributeDefinitions is not specified for index: gone");
    let with_stream = db.update_table(req(json!({
        "TableName": "Orders",
        "AttributeDefinitions": [{"AttributeName": "note", "AttributeType": "S"}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"},
        "GlobalSecondaryIndexUpdates": [create("gone")]
    })));
    assert_validation(
        with_stream,
        "One or more parameter values were invalid: You cannot create or delete index while \
         changing stream status",
    );
    assert_eq!(describe(&db, "Orders").global_secondary_indexes.expect("gsi").len(), 2);
    // An empty table's new index is active as soon as its (empty) backfill ends.
    update(json!([create("by_note")])).expect("create");
    db.wait_for_backfills().expect("backfill");
    let globals = describe(&db, "Orders").global_secondary_indexes.expect("gsi");
    assert!(globals.iter().all(|g| g.index_status == "ACTIVE"));
    assert_eq!(globals.len(), 3);
}

#[test]
fn indexes_survive_restarts_and_every_write_path_maintains_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Db::open(dir.path()).expect("open");
        db.create_table(orders()).expect("create");
        let batch = json!({"RequestItems": {"Orders": (0..20).map(|id| json!({"PutRequest": {"Item": {
            "customer": {"S": "c1"}, "id": {"N": id.to_string()}, "amount": {"N": "5"},
            "status": {"S": "open"}, "placed": {"N": id.to_string()}, "area": {"S": "eu"}
        }}})).collect::<Vec<_>>()}});
        db.batch_write_item(req(batch)).expect("batch");
        db.transact_write_items(req(json!({"TransactItems": [
            {"Update": {"TableName": "Orders", "Key": {"customer": {"S": "c1"}, "id": {"N": "3"}},
                "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":s": {"S": "closed"}}}},
            {"Delete": {"TableName": "Orders", "Key": {"customer": {"S": "c1"}, "id": {"N": "4"}}}},
            {"Put": {"TableName": "Orders", "Item": {"customer": {"S": "c9"}, "id": {"N": "1"}, "area": {"S": "us"}}}}
        ]}))).expect("transaction");
        db.close().expect("close");
    }
    for round in 0..2 {
        let db = Db::open(dir.path()).expect("reopen");
        let open_orders = query_all(
            &db,
            QueryInput::new("Orders", "#s = :s")
                .index("by_status")
                .name("#s", "status")
                .value(":s", "open"),
        );
        assert_eq!(open_orders.len(), 18, "round {round}");
        let us = query_all(
            &db,
            QueryInput::new("Orders", "area = :r").index("by_area").value(":r", "us"),
        );
        assert_eq!(us.len(), 1);
        let description = describe(&db, "Orders");
        assert_eq!(description.global_secondary_indexes.expect("gsi")[0].item_count, 19);
        assert_eq!(description.local_secondary_indexes.expect("lsi")[0].item_count, 19);
        if round == 0 {
            db.close().expect("close");
        } else {
            // Dropped without a clean close: the counts are recounted next time.
            drop(db);
        }
    }
    let db = Db::open_with(dir.path(), DbOptions::default()).expect("reopen");
    assert_eq!(describe(&db, "Orders").global_secondary_indexes.expect("gsi")[1].item_count, 20);
    db.delete_table(req(json!({"TableName": "Orders"}))).expect("delete");
    db.wait_for_purges().expect("purge");
    assert_eq!(db.core().snapshot().range(..).count(), 1, "only the space counter is left");
    let _unused: Option<DbError> = None;
}

#[test]
fn item_collections_are_sized_limited_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = DbOptions { item_collection_bytes_max: 3_000, ..DbOptions::default() };
    let db = Db::open_with(dir.path(), options.clone()).expect("open");
    db.create_table(orders()).expect("create");
    let big = |customer: &str, id: i64| {
        let mut item = order(customer, id, 5, "open", id);
        item.insert("blob".into(), AttributeValue::S("x".repeat(900)));
        item
    };
    let mut put = PutItemInput::new("Orders", big("c1", 1));
    put.return_item_collection_metrics = Some("SIZE".into());
    let metrics = db.put_item(put).expect("put").item_collection_metrics.expect("metrics");
    assert_eq!(metrics.item_collection_key, item! { "customer" => "c1" });
    assert_eq!(metrics.size_estimate_range_gb, vec![0.0, 1.0]);
    db.put_item(PutItemInput::new("Orders", big("c1", 2))).expect("put");
    db.put_item(PutItemInput::new("Orders", big("c1", 3))).expect("put");
    assert_error(
        db.put_item(PutItemInput::new("Orders", big("c1", 4))),
        "ItemCollectionSizeLimitExceededException",
        "The total size of an item collection has exceeded the maximum limit of 10 gigabytes.",
    );
    // Another partition is another collection; a transaction over the limit is canceled with
    // the action's reason; nothing of a refused write lands.
    db.put_item(PutItemInput::new("Orders", big("c2", 4))).expect("another collection");
    let canceled = db.transact_write_items(common::req(json!({"TransactItems": [
        {"Put": {"TableName": "Orders", "Item": {"customer": {"S": "c2"}, "id": {"N": "9"}}}},
        {"Put": {"TableName": "Orders", "Item": {"customer": {"S": "c1"}, "id": {"N": "9"}, "blob": {"S": "y".repeat(900)}}}}
    ]})));
    match canceled {
        Err(DbError::TransactionCanceled { reasons, .. }) => {
            assert_eq!(reasons[0].code.as_deref(), Some("None"));
            assert_eq!(reasons[1].code.as_deref(), Some("ItemCollectionSizeLimitExceeded"));
            assert_eq!(reasons[1].message.as_deref(), Some("Collection size exceeded."));
        }
        other => panic!("expected a cancellation, got {other:?}"),
    }
    assert_eq!(
        db.get_item(GetItemInput::new("Orders", item! { "customer" => "c2", "id" => 9 }))
            .expect("get")
            .item,
        None
    );
    // Deleting makes room; the sizes survive a restart.
    db.delete_item(DeleteItemInput::new("Orders", item! { "customer" => "c1", "id" => 1 }))
        .expect("delete");
    db.close().expect("close");
    let db = Db::open_with(dir.path(), options).expect("reopen");
    db.put_item(PutItemInput::new("Orders", big("c1", 4))).expect("room again");
    assert_error(
        db.put_item(PutItemInput::new("Orders", big("c1", 5))),
        "ItemCollectionSizeLimitExceededException",
        "The total size of an item collection has exceeded the maximum limit of 10 gigabytes.",
    );
    let batch = db.batch_write_item(common::req(json!({
        "RequestItems": {"Orders": [{"DeleteRequest": {"Key": {"customer": {"S": "c1"}, "id": {"N": "2"}}}}]},
        "ReturnItemCollectionMetrics": "SIZE"
    }))).expect("batch");
    let reported = batch.item_collection_metrics.expect("metrics");
    assert_eq!(reported["Orders"][0].item_collection_key, item! { "customer" => "c1" });
    // Tables without local indexes report nothing.
    db.create_table(CreateTableInput::new("Plain").partition_key("pk", "S")).expect("create");
    let mut put = PutItemInput::new("Plain", item! { "pk" => "a" });
    put.return_item_collection_metrics = Some("SIZE".into());
    assert!(db.put_item(put).expect("put").item_collection_metrics.is_none());
}
