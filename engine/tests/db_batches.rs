//! BatchWriteItem and BatchGetItem through `basalt::Db`: what a valid batch writes and reads
//! across two tables, every way DynamoDB refuses a whole batch (with its exception names and
//! exact messages, and nothing written), the capacity each table reports, the item counts
//! DescribeTable shows afterwards, and BatchGetItem's `UnprocessedKeys` once a response would
//! pass 16 MB. Requests are written as DynamoDB's wire JSON, so the serde names of
//! `basalt::api` are checked along the way.

use basalt::api::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, ConsumedCapacity, DbError,
    GetItemInput, TableNameInput,
};
use basalt::model::{item_size_bytes, Item};
use basalt::{item, Db, DbOptions};
use serde_json::{json, Value};

mod common;

use common::{assert_error, assert_validation, open_two_tables, req};

const USERS: &str = "Users";
const EVENTS: &str = "Events";
const DUPLICATES: &str = "Provided list of item keys contains duplicates";

/// A database with `Users` (partition key `userId`: S) and `Events` (`pk`: S, `sk`: N).
fn open() -> (tempfile::TempDir, Db) {
    open_two_tables(DbOptions::default(), (USERS, "userId"), EVENTS)
}

fn get(db: &Db, table: &str, key: Item) -> Option<Item> {
    let input =
        GetItemInput { table_name: Some(table.into()), key: Some(key), ..Default::default() };
    db.get_item(input).expect("get item").item
}

fn user(id: &str) -> Item {
    item! { "userId" => id }
}

fn event(pk: &str, sk: i64) -> Item {
    item! { "pk" => pk, "sk" => sk }
}

/// DescribeTable's (ItemCount, TableSizeBytes).
fn counts(db: &Db, table: &str) -> (i64, i64) {
    let input = TableNameInput { table_name: Some(table.into()) };
    let description = db.describe_table(input).expect("describe table").table;
    (description.item_count, description.table_size_bytes)
}

fn write(db: &Db, request: Value) -> Result<basalt::api::BatchWriteItemOutput, DbError> {
    db.batch_write_item(req::<BatchWriteItemInput>(request))
}

fn read(db: &Db, request: Value) -> Result<BatchGetItemOutput, DbError> {
    db.batch_get_item(req::<BatchGetItemInput>(request))
}

/// The capacity entries by table: (table, CapacityUnits).
fn units(capacity: Option<Vec<ConsumedCapacity>>) -> Vec<(String, f64)> {
    let mut units: Vec<(String, f64)> = capacity
        .expect("capacity was asked for")
        .into_iter()
        .map(|c| (c.table_name, c.capacity_units))
        .collect();
    units.sort_by(|a, b| a.0.cmp(&b.0));
    units
}

/// A string of `len` bytes.
fn pad(len: usize) -> String {
    "x".repeat(len)
}

fn put_request(item: &Item) -> Value {
    json!({"PutRequest": {"Item": serde_json::to_value(item).expect("item encodes")}})
}

fn delete_request(key: &Item) -> Value {
    json!({"DeleteRequest": {"Key": serde_json::to_value(key).expect("key encodes")}})
}

fn key_json(key: &Item) -> Value {
    serde_json::to_value(key).expect("key encodes")
}

// ---------------------------------------------------------------------------------------------
// BatchWriteItem.

#[test]
fn batch_write_puts_and_deletes_across_two_tables() {
    let (_dir, db) = open();
    let old_event = item! { "pk" => "e", "sk" => 0, "body" => pad(5000) };
    let replaced = item! { "pk" => "e", "sk" => 9, "body" => pad(5000) };
    for item in [&old_event, &replaced] {
        write(&db, json!({"RequestItems": {EVENTS: [put_request(item)]}})).expect("seed");
    }
    let alice = item! { "userId" => "alice", "age" => 30, "tag" => "a" };
    let bob = item! { "userId" => "bob", "bio" => pad(2500) };
    let carol = item! { "userId" => "carol" };
    let new_event = item! { "pk" => "e", "sk" => 1, "what" => "login" };
    let smaller = item! { "pk" => "e", "sk" => 9, "body" => "short" };
    let out = write(
        &db,
        json!({
            "RequestItems": {
                USERS: [put_request(&alice), put_request(&bob), put_request(&carol)],
                EVENTS: [
                    put_request(&new_event),
                    put_request(&smaller),
                    delete_request(&event("e", 0)),
                    delete_request(&event("e", 404)),
                ]
            },
            "ReturnConsumedCapacity": "TOTAL"
        }),
    )
    .expect("batch write");
    assert!(out.unprocessed_items.is_empty(), "a valid batch is applied whole");
    // Each write rounded separately to 1 KB, at least 1: alice 1, bob 3 (2.5 KB), carol 1;
    // new_event 1, the replacement 5 (the larger of the old 5 KB item and the new one), the
    // delete of the 5 KB item 5, the delete of a missing item 1.
    assert_eq!(units(out.consumed_capacity), [(EVENTS.into(), 12.0), (USERS.into(), 5.0)]);
    assert_eq!(get(&db, USERS, user("alice")), Some(alice.clone()));
    assert_eq!(get(&db, USERS, user("bob")), Some(bob.clone()));
    assert_eq!(get(&db, USERS, user("carol")), Some(carol.clone()));
    assert_eq!(get(&db, EVENTS, event("e", 1)), Some(new_event.clone()));
    assert_eq!(get(&db, EVENTS, event("e", 9)), Some(smaller.clone()));
    assert_eq!(get(&db, EVENTS, event("e", 0)), None);
    let size = |items: &[&Item]| items.iter().map(|i| item_size_bytes(i) as i64).sum::<i64>();
    assert_eq!(counts(&db, USERS), (3, size(&[&alice, &bob, &carol])));
    assert_eq!(counts(&db, EVENTS), (2, size(&[&new_event, &smaller])));

    // Deleting everything brings the counts back to zero; without ReturnConsumedCapacity
    // there is no capacity in the answer.
    let out = write(
        &db,
        json!({"RequestItems": {
            USERS: [delete_request(&user("alice")), delete_request(&user("bob")),
                    delete_request(&user("carol"))],
            EVENTS: [delete_request(&event("e", 1)), delete_request(&event("e", 9))]
        }}),
    )
    .expect("batch delete");
    assert_eq!(out.consumed_capacity, None);
    assert_eq!(counts(&db, USERS), (0, 0));
    assert_eq!(counts(&db, EVENTS), (0, 0));
}

#[test]
fn batch_write_capacity_modes() {
    let (_dir, db) = open();
    let request = |mode: &str| {
        json!({
            "RequestItems": {USERS: [put_request(&item! { "userId" => "u", "v" => pad(1500) })]},
            "ReturnConsumedCapacity": mode
        })
    };
    let out = write(&db, request("INDEXES")).expect("INDEXES");
    let capacity = out.consumed_capacity.expect("capacity");
    assert_eq!(capacity.len(), 1);
    assert_eq!((capacity[0].table_name.as_str(), capacity[0].capacity_units), (USERS, 2.0));
    let table = capacity[0].table.as_ref().expect("INDEXES reports the table's share");
    assert_eq!(table.capacity_units, 2.0);
    let out = write(&db, request("NONE")).expect("NONE");
    assert_eq!(out.consumed_capacity, None);
    assert_validation(
        write(&db, request("SOME")),
        "1 validation error detected: Value 'SOME' at 'returnConsumedCapacity' failed to \
         satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
    );
}

#[test]
fn batch_write_to_a_missing_table_writes_nothing() {
    let (_dir, db) = open();
    assert_error(
        write(
            &db,
            json!({"RequestItems": {
                USERS: [put_request(&user("alice"))],
                "Nowhere": [put_request(&user("bob"))]
            }}),
        ),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    assert_eq!(get(&db, USERS, user("alice")), None);
    assert_eq!(counts(&db, USERS), (0, 0));
}

#[test]
fn batch_write_of_more_than_25_writes_is_refused() {
    let (_dir, db) = open();
    let puts = |table_prefix: &str, n: usize| -> Vec<Value> {
        (0..n).map(|i| put_request(&user(&format!("{table_prefix}{i}")))).collect()
    };
    let events = |n: i64| -> Vec<Value> { (0..n).map(|i| put_request(&event("p", i))).collect() };
    // 13 + 13 over two tables: DynamoDB's count over the whole request.
    assert_validation(
        write(&db, json!({"RequestItems": {USERS: puts("u", 13), EVENTS: events(13)}})),
        "Too many items requested for the BatchWriteItem call",
    );
    assert_eq!(counts(&db, USERS), (0, 0));
    assert_eq!(counts(&db, EVENTS), (0, 0));
    // 26 in one table break the per-table list constraint first.
    let error = write(&db, json!({"RequestItems": {USERS: puts("u", 26)}}))
        .expect_err("26 writes in one table");
    assert_eq!(error.name(), "ValidationException");
    let message = error.message();
    assert!(
        message.starts_with("1 validation error detected: Value '{Users=")
            && message.ends_with(
                "' at 'requestItems' failed to satisfy constraint: Map value must satisfy \
                 constraint: [Member must have length less than or equal to 25, Member must \
                 have length greater than or equal to 1]"
            ),
        "{message}"
    );
    assert_eq!(counts(&db, USERS), (0, 0));
    // 25 is allowed.
    write(&db, json!({"RequestItems": {USERS: puts("u", 12), EVENTS: events(13)}}))
        .expect("25 writes");
    assert_eq!(counts(&db, USERS).0, 12);
    assert_eq!(counts(&db, EVENTS).0, 13);
}

#[test]
fn batch_write_with_one_key_twice_is_refused() {
    let (_dir, db) = open();
    let cases = [
        json!({USERS: [put_request(&user("a")), put_request(&item! { "userId" => "a", "v" => 1 })]}),
        json!({USERS: [put_request(&user("a")), delete_request(&user("a"))]}),
        json!({USERS: [delete_request(&user("a")), delete_request(&user("a"))]}),
        // Numbers name an item by value: 1 and 1.0 are one key.
        json!({EVENTS: [
            put_request(&event("p", 1)),
            {"DeleteRequest": {"Key": {"pk": {"S": "p"}, "sk": {"N": "1.0"}}}}
        ]}),
        // The same key in different tables is no duplicate: checked below as a success.
    ];
    for request_items in cases {
        let request = json!({"RequestItems": request_items.clone()});
        assert_validation(write(&db, request), DUPLICATES);
    }
    assert_eq!(counts(&db, USERS), (0, 0));
    assert_eq!(counts(&db, EVENTS), (0, 0));
    let same_text_other_table = json!({"RequestItems": {
        USERS: [put_request(&user("p"))],
        EVENTS: [put_request(&event("p", 1))]
    }});
    write(&db, same_text_other_table).expect("one key per table");
}

#[test]
fn batch_write_with_a_key_that_does_not_match_the_schema_is_refused() {
    let (_dir, db) = open();
    let valid = put_request(&user("ok"));
    let cases = [
        (
            put_request(&item! { "name" => "no key" }),
            "One or more parameter values were invalid: Missing the key userId in the item",
        ),
        (
            put_request(&item! { "userId" => 7 }),
            "One or more parameter values were invalid: Type mismatch for key userId expected: \
             S actual: N",
        ),
        (
            delete_request(&item! { "userId" => "a", "extra" => 1 }),
            "The provided key element does not match the schema",
        ),
        (
            delete_request(&item! { "other" => "a" }),
            "The provided key element does not match the schema",
        ),
        (
            put_request(&item! { "userId" => "" }),
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty string value. Key: userId",
        ),
    ];
    for (bad, message) in cases {
        let request = json!({"RequestItems": {USERS: [valid.clone(), bad]}});
        assert_validation(write(&db, request), message);
    }
    // A key of the sort-key table missing its sort key.
    let request = json!({"RequestItems": {EVENTS: [delete_request(&item! { "pk" => "p" })]}});
    assert_validation(write(&db, request), "The provided key element does not match the schema");
    assert_eq!(counts(&db, USERS), (0, 0));
}

#[test]
fn batch_write_of_an_oversized_item_is_refused() {
    let (_dir, db) = open();
    let big = item! { "userId" => "big", "payload" => pad(400 * 1024) };
    let request = json!({"RequestItems": {
        USERS: [put_request(&user("small")), put_request(&big)],
        EVENTS: [put_request(&event("p", 1))]
    }});
    assert_validation(write(&db, request), "Item size has exceeded the maximum allowed size");
    assert_eq!(counts(&db, USERS), (0, 0));
    assert_eq!(counts(&db, EVENTS), (0, 0));
    // Just under the limit is fine (400 KB counts the names and the values).
    let fits = item! { "userId" => "big", "payload" => pad(400 * 1024 - 20) };
    assert!(item_size_bytes(&fits) <= 400 * 1024);
    write(&db, json!({"RequestItems": {USERS: [put_request(&fits)]}})).expect("fits");
}

#[test]
fn batch_write_request_members() {
    let (_dir, db) = open();
    assert_validation(
        write(&db, json!({"RequestItems": {USERS: [put_request(&user("a")), {}]}})),
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes",
    );
    assert_validation(
        write(
            &db,
            json!({"RequestItems": {USERS: [{
                "PutRequest": {"Item": key_json(&user("a"))},
                "DeleteRequest": {"Key": key_json(&user("b"))}
            }]}}),
        ),
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes",
    );
    assert_validation(
        write(&db, json!({"RequestItems": {USERS: [{"PutRequest": {}}]}})),
        "1 validation error detected: Value null at 'requestItems.Users.member.1.member.\
         putRequest.item' failed to satisfy constraint: Member must not be null",
    );
    assert_validation(
        write(&db, json!({})),
        "1 validation error detected: Value null at 'requestItems' failed to satisfy \
         constraint: Member must not be null",
    );
    assert_validation(
        write(&db, json!({"RequestItems": {}})),
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy \
         constraint: Member must have length greater than or equal to 1",
    );
    assert_eq!(counts(&db, USERS), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// BatchGetItem.

/// Puts `items` into `table` with one BatchWriteItem per 25.
fn fill(db: &Db, table: &str, items: &[Item]) {
    for chunk in items.chunks(25) {
        let puts: Vec<Value> = chunk.iter().map(put_request).collect();
        write(db, json!({"RequestItems": {table: puts}})).expect("fill");
    }
}

fn sorted(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by_key(|item| format!("{item:?}"));
    items
}

#[test]
fn batch_get_across_tables_omits_missing_items() {
    let (_dir, db) = open();
    let alice = item! { "userId" => "alice", "age" => 30 };
    let bob = item! { "userId" => "bob", "age" => 40 };
    fill(&db, USERS, &[alice.clone(), bob.clone()]);
    let first = item! { "pk" => "p", "sk" => 1, "what" => "login" };
    fill(&db, EVENTS, std::slice::from_ref(&first));
    let out = read(
        &db,
        json!({"RequestItems": {
            USERS: {"Keys": [key_json(&user("bob")), key_json(&user("zed")), key_json(&user("alice"))]},
            EVENTS: {"Keys": [key_json(&event("p", 1)), key_json(&event("p", 2))]}
        }}),
    )
    .expect("batch get");
    assert!(out.unprocessed_keys.is_empty());
    assert_eq!(out.consumed_capacity, None);
    assert_eq!(out.responses.len(), 2);
    assert_eq!(sorted(out.responses[USERS].clone()), sorted(vec![alice, bob]));
    assert_eq!(out.responses[EVENTS], vec![first]);
    // Only missing items: the table answers with no items.
    let out = read(&db, json!({"RequestItems": {USERS: {"Keys": [key_json(&user("nobody"))]}}}))
        .expect("batch get of a missing item");
    assert!(out.responses.get(USERS).is_none_or(Vec::is_empty), "{:?}", out.responses);
    assert_error(
        read(&db, json!({"RequestItems": {"Nowhere": {"Keys": [key_json(&user("a"))]}}})),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
}

#[test]
fn batch_get_projections() {
    let (_dir, db) = open();
    let alice = item! {
        "userId" => "alice", "name" => "Alice", "age" => 30, "secret" => "s"
    };
    fill(&db, USERS, &[alice]);
    let out = read(
        &db,
        json!({"RequestItems": {USERS: {
            "Keys": [key_json(&user("alice"))],
            "ProjectionExpression": "#n, age, #u",
            "ExpressionAttributeNames": {"#n": "name", "#u": "userId"}
        }}}),
    )
    .expect("projection expression");
    assert_eq!(
        out.responses[USERS],
        vec![item! { "userId" => "alice", "name" => "Alice", "age" => 30 }]
    );
    let out = read(
        &db,
        json!({"RequestItems": {USERS: {
            "Keys": [key_json(&user("alice"))],
            "AttributesToGet": ["age", "missing"]
        }}}),
    )
    .expect("AttributesToGet");
    assert_eq!(out.responses[USERS], vec![item! { "age" => 30 }]);
    assert_validation(
        read(
            &db,
            json!({"RequestItems": {USERS: {
                "Keys": [key_json(&user("alice"))],
                "ProjectionExpression": "#n",
            }}}),
        ),
        "Invalid ProjectionExpression: An expression attribute name used in the document path \
         is not defined; attribute name: #n",
    );
    assert_validation(
        read(
            &db,
            json!({"RequestItems": {USERS: {
                "Keys": [key_json(&user("alice"))],
                "ProjectionExpression": "age",
                "ExpressionAttributeNames": {"#n": "name"}
            }}}),
        ),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}",
    );
}

#[test]
fn batch_get_of_more_than_100_keys_is_refused() {
    let (_dir, db) = open();
    let users: Vec<Value> = (0..51).map(|i| key_json(&user(&format!("u{i}")))).collect();
    let events: Vec<Value> = (0..50).map(|i| key_json(&event("p", i))).collect();
    assert_validation(
        read(&db, json!({"RequestItems": {USERS: {"Keys": users}, EVENTS: {"Keys": events}}})),
        "Too many items requested for the BatchGetItem call",
    );
    let users: Vec<Value> = (0..101).map(|i| key_json(&user(&format!("u{i}")))).collect();
    let error = read(&db, json!({"RequestItems": {USERS: {"Keys": users}}}))
        .expect_err("101 keys in one table");
    assert_eq!(error.name(), "ValidationException");
    let message = error.message();
    assert!(
        message.starts_with("1 validation error detected: Value ")
            && message.ends_with(
                " at 'requestItems.Users.member.keys' failed to satisfy constraint: Member must \
                 have length less than or equal to 100"
            ),
        "{message}"
    );
    let users: Vec<Value> = (0..50).map(|i| key_json(&user(&format!("u{i}")))).collect();
    let events: Vec<Value> = (0..50).map(|i| key_json(&event("p", i))).collect();
    read(&db, json!({"RequestItems": {USERS: {"Keys": users}, EVENTS: {"Keys": events}}}))
        .expect("100 keys");
    assert_validation(
        read(&db, json!({"RequestItems": {USERS: {"Keys": []}}})),
        "1 validation error detected: Value '[]' at 'requestItems.Users.member.keys' failed to \
         satisfy constraint: Member must have length greater than or equal to 1",
    );
}

#[test]
fn batch_get_with_one_key_twice_is_refused() {
    let (_dir, db) = open();
    assert_validation(
        read(
            &db,
            json!({"RequestItems": {USERS: {"Keys": [key_json(&user("a")), key_json(&user("a"))]}}}),
        ),
        DUPLICATES,
    );
    assert_validation(
        read(
            &db,
            json!({"RequestItems": {EVENTS: {"Keys": [
                {"pk": {"S": "p"}, "sk": {"N": "10"}},
                {"pk": {"S": "p"}, "sk": {"N": "1E+1"}}
            ]}}}),
        ),
        DUPLICATES,
    );
    assert_validation(
        read(&db, json!({"RequestItems": {USERS: {"Keys": [key_json(&item! { "userId" => 1 })]}}})),
        "The provided key element does not match the schema",
    );
}

#[test]
fn batch_get_capacity_with_and_without_consistent_read() {
    let (_dir, db) = open();
    // 5 KB and 9 KB items: 2 and 3 units of 4 KB; a small item and a missing one: 1 each.
    fill(
        &db,
        USERS,
        &[
            item! { "userId" => "five", "v" => pad(5 * 1024) },
            item! { "userId" => "nine", "v" => pad(9 * 1024) },
            item! { "userId" => "tiny" },
        ],
    );
    fill(&db, EVENTS, &[item! { "pk" => "p", "sk" => 1, "v" => pad(100) }]);
    let request = |consistent: bool| {
        json!({
            "RequestItems": {
                USERS: {
                    "Keys": [key_json(&user("five")), key_json(&user("nine")),
                             key_json(&user("tiny")), key_json(&user("gone"))],
                    "ConsistentRead": consistent
                },
                EVENTS: {"Keys": [key_json(&event("p", 1))], "ConsistentRead": consistent}
            },
            "ReturnConsumedCapacity": "TOTAL"
        })
    };
    let out = read(&db, request(true)).expect("consistent");
    assert_eq!(units(out.consumed_capacity), [(EVENTS.into(), 1.0), (USERS.into(), 7.0)]);
    let out = read(&db, request(false)).expect("eventual");
    assert_eq!(units(out.consumed_capacity), [(EVENTS.into(), 0.5), (USERS.into(), 3.5)]);
}

#[test]
fn batch_get_past_16_mb_leaves_keys_unprocessed() {
    let (_dir, db) = open();
    // 45 items of about 390 KB: 17.1 MB, more than one response may carry.
    let items: Vec<Item> = (0..45)
        .map(|i| item! { "userId" => format!("u{i:02}"), "payload" => pad(390_000) })
        .collect();
    fill(&db, USERS, &items);
    let keys: Vec<Value> = (0..45).map(|i| key_json(&user(&format!("u{i:02}")))).collect();
    let out = read(
        &db,
        json!({
            "RequestItems": {USERS: {
                "Keys": keys,
                "ConsistentRead": true,
                "ProjectionExpression": "userId, payload"
            }},
            "ReturnConsumedCapacity": "TOTAL"
        }),
    )
    .expect("first batch get");
    let first = &out.responses[USERS];
    let bytes: usize = first.iter().map(item_size_bytes).sum();
    assert!(bytes <= 16 * 1024 * 1024, "the response stays within 16 MB: {bytes}");
    let unprocessed = out.unprocessed_keys.get(USERS).expect("some keys are left unprocessed");
    let left = unprocessed.keys.as_ref().expect("unprocessed keys");
    assert!(!left.is_empty());
    assert_eq!(first.len() + left.len(), 45, "every key is either read or unprocessed");
    // The unprocessed part keeps the table's read options, so it can be sent back as it is.
    assert_eq!(unprocessed.consistent_read, Some(true));
    assert_eq!(unprocessed.projection_expression.as_deref(), Some("userId, payload"));
    // Capacity is charged for the items read only: 390 KB is 96 units of 4 KB.
    assert_eq!(units(out.consumed_capacity), [(USERS.into(), 96.0 * first.len() as f64)]);

    let again = db
        .batch_get_item(BatchGetItemInput {
            request_items: Some(out.unprocessed_keys.clone()),
            ..Default::default()
        })
        .expect("second batch get");
    assert!(again.unprocessed_keys.is_empty(), "the rest fits");
    let second = &again.responses[USERS];
    assert_eq!(second.len(), left.len());
    let all = sorted(first.iter().chain(second).cloned().collect());
    assert_eq!(all, sorted(items), "the two answers together hold every item, once");
}
