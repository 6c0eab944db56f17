//! TransactWriteItems and TransactGetItems through `basalt::Db`: actions of every kind across
//! two tables applied together; a failed condition or an update that cannot apply cancels the
//! whole transaction (TransactionCanceledException with one reason per action, in order, and
//! nothing applied); the requests DynamoDB refuses outright, with its exact messages;
//! `ClientRequestToken` idempotency; capacity (transactional units cost twice); TransactGetItems
//! from one consistent state; and a transaction over items on many shards, which readers see
//! all together or not at all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use basalt::api::{
    CancellationReason, ConsumedCapacity, DbError, GetItemInput, ItemResponse, TableNameInput,
    TransactGetItemsInput, TransactGetItemsOutput, TransactWriteItemsInput,
    TransactWriteItemsOutput,
};
use basalt::model::Item;
use basalt::{item, Db, DbOptions};
use serde_json::{json, Value};

mod common;

use common::{assert_error, assert_validation, open_two_tables, req};

const ACCOUNTS: &str = "Accounts";
const ORDERS: &str = "Orders";
const SAME_ITEM: &str = "Transaction request cannot include multiple operations on one item";
const ARN_PREFIX: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

fn open_with(options: DbOptions) -> (tempfile::TempDir, Db) {
    open_two_tables(options, (ACCOUNTS, "id"), ORDERS)
}

/// A database with `Accounts` (partition key `id`: S) and `Orders` (`pk`: S, `sk`: N).
fn open() -> (tempfile::TempDir, Db) {
    open_with(DbOptions::default())
}

/// The message and reasons of a TransactionCanceledException.
#[track_caller]
fn canceled<T: std::fmt::Debug>(result: Result<T, DbError>) -> (String, Vec<CancellationReason>) {
    match result.expect_err("the transaction must be cancelled") {
        DbError::TransactionCanceled { message, reasons } => (message, reasons),
        other => panic!("expected TransactionCanceledException, got {other:?}"),
    }
}

fn none_reason() -> CancellationReason {
    CancellationReason { code: Some("None".into()), ..Default::default() }
}

fn get(db: &Db, table: &str, key: Item) -> Option<Item> {
    let input = GetItemInput {
        table_name: Some(table.into()),
        key: Some(key),
        consistent_read: Some(true),
        ..Default::default()
    };
    db.get_item(input).expect("get item").item
}

fn put(db: &Db, table: &str, item: Item) {
    let input = basalt::api::PutItemInput {
        table_name: Some(table.into()),
        item: Some(item),
        ..Default::default()
    };
    db.put_item(input).expect("put item");
}

fn item_count(db: &Db, table: &str) -> i64 {
    let input = TableNameInput { table_name: Some(table.into()) };
    db.describe_table(input).expect("describe table").table.item_count
}

fn write(db: &Db, request: Value) -> Result<TransactWriteItemsOutput, DbError> {
    db.transact_write_items(req::<TransactWriteItemsInput>(request))
}

fn read(db: &Db, request: Value) -> Result<TransactGetItemsOutput, DbError> {
    db.transact_get_items(req::<TransactGetItemsInput>(request))
}

fn json_of(item: &Item) -> Value {
    serde_json::to_value(item).expect("item encodes")
}

fn account(id: &str) -> Value {
    json!({"id": {"S": id}})
}

fn order(pk: &str, sk: i64) -> Value {
    json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}})
}

/// One capacity entry per table: (table, CapacityUnits, ReadCapacityUnits, WriteCapacityUnits).
type Units = (String, f64, Option<f64>, Option<f64>);

fn units(capacity: Option<Vec<ConsumedCapacity>>) -> Vec<Units> {
    let mut units: Vec<Units> = capacity
        .expect("capacity was asked for")
        .into_iter()
        .map(|c| (c.table_name, c.capacity_units, c.read_capacity_units, c.write_capacity_units))
        .collect();
    units.sort_by(|a, b| a.0.cmp(&b.0));
    units
}

fn seed(db: &Db) {
    put(db, ACCOUNTS, item! { "id" => "a1", "balance" => 100, "name" => "first" });
    put(db, ACCOUNTS, item! { "id" => "a2", "balance" => 50 });
    put(db, ORDERS, item! { "pk" => "o", "sk" => 0, "state" => "old" });
}

// ---------------------------------------------------------------------------------------------
// TransactWriteItems: what commits.

#[test]
fn put_update_delete_and_condition_check_across_two_tables() {
    let (_dir, db) = open();
    seed(&db);
    let out = write(
        &db,
        json!({
            "TransactItems": [
                {"ConditionCheck": {
                    "TableName": ACCOUNTS, "Key": account("a1"),
                    "ConditionExpression": "balance >= :min",
                    "ExpressionAttributeValues": {":min": {"N": "10"}}
                }},
                {"Put": {
                    "TableName": ORDERS,
                    "Item": {"pk": {"S": "o"}, "sk": {"N": "1"}, "state": {"S": "new"}},
                    "ConditionExpression": "attribute_not_exists(pk)"
                }},
                {"Update": {
                    "TableName": ACCOUNTS, "Key": account("a2"),
                    "UpdateExpression": "SET balance = balance - :x, #s = :s",
                    "ConditionExpression": "balance >= :x",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":x": {"N": "20"}, ":s": {"S": "paid"}}
                }},
                {"Delete": {
                    "TableName": ORDERS, "Key": order("o", 0),
                    "ConditionExpression": "#s = :old",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":old": {"S": "old"}}
                }}
            ],
            "ReturnConsumedCapacity": "TOTAL"
        }),
    )
    .expect("transaction commits");
    assert_eq!(
        get(&db, ACCOUNTS, item! { "id" => "a1" }),
        Some(item! { "id" => "a1", "balance" => 100, "name" => "first" }),
        "a condition check changes nothing"
    );
    assert_eq!(
        get(&db, ACCOUNTS, item! { "id" => "a2" }),
        Some(item! { "id" => "a2", "balance" => 30, "state" => "paid" })
    );
    assert_eq!(
        get(&db, ORDERS, item! { "pk" => "o", "sk" => 1 }),
        Some(item! { "pk" => "o", "sk" => 1, "state" => "new" })
    );
    assert_eq!(get(&db, ORDERS, item! { "pk" => "o", "sk" => 0 }), None);
    assert_eq!((item_count(&db, ACCOUNTS), item_count(&db, ORDERS)), (2, 1));
    // Every write is a small item: 2 × 1 write unit each.
    let units = units(out.consumed_capacity);
    assert_eq!(units.len(), 2);
    assert_eq!(units[1], (ORDERS.into(), 4.0, None, Some(4.0)));
    assert_eq!(units[0].0, ACCOUNTS);
    assert_eq!(units[0].3, Some(2.0), "the update of Accounts: 2 write units");
}

#[test]
fn transactional_writes_cost_twice() {
    let (_dir, db) = open();
    let big = "x".repeat(2500); // with its names, a 3 KB item: 3 write units, 6 in a transaction
    let out = write(
        &db,
        json!({
            "TransactItems": [
                {"Put": {"TableName": ACCOUNTS,
                         "Item": {"id": {"S": "big"}, "v": {"S": big}}}},
                {"Put": {"TableName": ACCOUNTS, "Item": {"id": {"S": "small"}}}},
                {"Delete": {"TableName": ORDERS, "Key": order("none", 1)}}
            ],
            "ReturnConsumedCapacity": "TOTAL"
        }),
    )
    .expect("transaction commits");
    assert_eq!(
        units(out.consumed_capacity),
        [(ACCOUNTS.into(), 8.0, None, Some(8.0)), (ORDERS.into(), 2.0, None, Some(2.0))]
    );
    // An update that shrinks the big item is charged for the larger (old) size.
    let out = write(
        &db,
        json!({
            "TransactItems": [{"Update": {
                "TableName": ACCOUNTS, "Key": account("big"), "UpdateExpression": "REMOVE v"
            }}],
            "ReturnConsumedCapacity": "INDEXES"
        }),
    )
    .expect("update commits");
    let capacity = out.consumed_capacity.expect("capacity");
    assert_eq!(capacity.len(), 1);
    assert_eq!(capacity[0].capacity_units, 6.0);
    let table = capacity[0].table.as_ref().expect("INDEXES reports the table's share");
    assert_eq!(table.write_capacity_units, Some(6.0));
    let out = write(
        &db,
        json!({"TransactItems": [{"Put": {"TableName": ACCOUNTS, "Item": account("x")}}]}),
    )
    .expect("no capacity asked");
    assert_eq!(out.consumed_capacity, None);
}

// ---------------------------------------------------------------------------------------------
// TransactWriteItems: cancellation.

#[test]
fn a_failed_condition_cancels_everything() {
    let (_dir, db) = open();
    seed(&db);
    let (message, reasons) = canceled(write(
        &db,
        json!({"TransactItems": [
            {"Put": {"TableName": ORDERS,
                     "Item": {"pk": {"S": "o"}, "sk": {"N": "7"}}}},
            {"Update": {
                "TableName": ACCOUNTS, "Key": account("a1"),
                "UpdateExpression": "SET balance = balance - :x",
                "ConditionExpression": "balance >= :x",
                "ExpressionAttributeValues": {":x": {"N": "1000"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
            }}
        ]}),
    ));
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, \
         ConditionalCheckFailed]"
    );
    assert_eq!(
        reasons,
        [
            none_reason(),
            CancellationReason {
                item: Some(item! { "id" => "a1", "balance" => 100, "name" => "first" }),
                code: Some("ConditionalCheckFailed".into()),
                message: Some("The conditional request failed".into()),
            }
        ]
    );
    assert_eq!(get(&db, ORDERS, item! { "pk" => "o", "sk" => 7 }), None, "nothing applied");
    assert_eq!(
        get(&db, ACCOUNTS, item! { "id" => "a1" }),
        Some(item! { "id" => "a1", "balance" => 100, "name" => "first" })
    );
    assert_eq!((item_count(&db, ACCOUNTS), item_count(&db, ORDERS)), (2, 1));

    // Several failures, each in its place; without ALL_OLD no item; a ConditionCheck on a
    // missing item fails with no item even with ALL_OLD.
    let (message, reasons) = canceled(write(
        &db,
        json!({"TransactItems": [
            {"ConditionCheck": {
                "TableName": ACCOUNTS, "Key": account("ghost"),
                "ConditionExpression": "attribute_exists(id)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
            }},
            {"Delete": {"TableName": ACCOUNTS, "Key": account("a2")}},
            {"Put": {
                "TableName": ORDERS, "Item": {"pk": {"S": "o"}, "sk": {"N": "0"}},
                "ConditionExpression": "attribute_not_exists(pk)"
            }}
        ]}),
    ));
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons \
         [ConditionalCheckFailed, None, ConditionalCheckFailed]"
    );
    let failed = CancellationReason {
        item: None,
        code: Some("ConditionalCheckFailed".into()),
        message: Some("The conditional request failed".into()),
    };
    assert_eq!(reasons, [failed.clone(), none_reason(), failed]);
    assert!(get(&db, ACCOUNTS, item! { "id" => "a2" }).is_some(), "the delete was not applied");
    assert_eq!((item_count(&db, ACCOUNTS), item_count(&db, ORDERS)), (2, 1));
}

#[test]
fn an_update_that_cannot_apply_cancels_with_a_validation_error() {
    let (_dir, db) = open();
    seed(&db);
    let (message, reasons) = canceled(write(
        &db,
        json!({"TransactItems": [
            {"Put": {"TableName": ACCOUNTS, "Item": {"id": {"S": "a3"}, "balance": {"N": "1"}}}},
            {"Update": {
                "TableName": ACCOUNTS, "Key": account("a1"),
                "UpdateExpression": "ADD #n :one",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":one": {"N": "1"}}
            }}
        ]}),
    ));
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, \
         ValidationError]"
    );
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0], none_reason());
    assert_eq!(reasons[1].code.as_deref(), Some("ValidationError"));
    assert_eq!(
        reasons[1].message.as_deref(),
        Some("An operand in the update expression has an incorrect data type")
    );
    assert_eq!(reasons[1].item, None);
    assert_eq!(get(&db, ACCOUNTS, item! { "id" => "a3" }), None, "nothing applied");
    assert_eq!(item_count(&db, ACCOUNTS), 2);

    // An update that would make the item too large.
    put(&db, ACCOUNTS, item! { "id" => "fat", "a" => "x".repeat(300 * 1024) });
    let (message, reasons) = canceled(write(
        &db,
        json!({"TransactItems": [
            {"Update": {
                "TableName": ACCOUNTS, "Key": account("fat"),
                "UpdateExpression": "SET b = :b",
                "ExpressionAttributeValues": {":b": {"S": "y".repeat(200 * 1024)}}
            }},
            {"Delete": {"TableName": ACCOUNTS, "Key": account("a1")}}
        ]}),
    ));
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons \
         [ValidationError, None]"
    );
    assert_eq!(reasons[0].code.as_deref(), Some("ValidationError"));
    assert_eq!(
        reasons[0].message.as_deref(),
        Some("Item size to update has exceeded the maximum allowed size")
    );
    assert!(get(&db, ACCOUNTS, item! { "id" => "a1" }).is_some(), "the delete was not applied");
}

// ---------------------------------------------------------------------------------------------
// TransactWriteItems: requests refused outright.

#[test]
fn two_actions_on_one_item_are_refused() {
    let (_dir, db) = open();
    seed(&db);
    let cases = [
        json!([
            {"ConditionCheck": {"TableName": ACCOUNTS, "Key": account("a1"),
                                "ConditionExpression": "attribute_exists(id)"}},
            {"Put": {"TableName": ACCOUNTS, "Item": {"id": {"S": "a1"}, "v": {"N": "1"}}}}
        ]),
        json!([
            {"Delete": {"TableName": ORDERS, "Key": order("o", 10)}},
            {"Update": {"TableName": ORDERS, "Key": {"pk": {"S": "o"}, "sk": {"N": "1E+1"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "1"}}}}
        ]),
        json!([
            {"Delete": {"TableName": ACCOUNTS, "Key": account("a2")}},
            {"Delete": {"TableName": format!("{ARN_PREFIX}{ACCOUNTS}"), "Key": account("a2")}}
        ]),
    ];
    for items in cases {
        assert_validation(write(&db, json!({"TransactItems": items})), SAME_ITEM);
    }
    assert_eq!((item_count(&db, ACCOUNTS), item_count(&db, ORDERS)), (2, 1));
    // The same key in two tables is two items.
    write(
        &db,
        json!({"TransactItems": [
            {"Put": {"TableName": ACCOUNTS, "Item": {"id": {"S": "o"}}}},
            {"Put": {"TableName": ORDERS, "Item": {"pk": {"S": "o"}, "sk": {"N": "3"}}}}
        ]}),
    )
    .expect("one item per table");
}

#[test]
fn the_number_of_actions_is_bounded() {
    let (_dir, db) = open();
    let actions = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"Put": {"TableName": ACCOUNTS, "Item": account(&format!("k{i}"))}}))
            .collect()
    };
    let error = write(&db, json!({"TransactItems": actions(101)})).expect_err("101 actions");
    assert_eq!(error.name(), "ValidationException");
    let message = error.message();
    assert!(
        message.starts_with("1 validation error detected: Value ")
            && message.ends_with(
                " at 'transactItems' failed to satisfy constraint: Member must have length \
                 less than or equal to 100"
            ),
        "{message}"
    );
    assert_eq!(item_count(&db, ACCOUNTS), 0);
    assert_validation(
        write(&db, json!({"TransactItems": []})),
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy \
         constraint: Member must have length greater than or equal to 1",
    );
    assert_validation(
        write(&db, json!({})),
        "1 validation error detected: Value null at 'transactItems' failed to satisfy \
         constraint: Member must not be null",
    );
    write(&db, json!({"TransactItems": actions(100)})).expect("100 actions");
    assert_eq!(item_count(&db, ACCOUNTS), 100);
}

#[test]
fn a_transaction_over_4_mb_is_refused() {
    let (_dir, db) = open();
    // 11 items of 390 KB: 4.3 MB, past the 4 MB a transaction may carry.
    let puts: Vec<Value> = (0..11)
        .map(|i| {
            let item = item! { "id" => format!("k{i}"), "v" => "x".repeat(390_000) };
            json!({"Put": {"TableName": ACCOUNTS, "Item": json_of(&item)}})
        })
        .collect();
    let error = write(&db, json!({"TransactItems": puts[..11]})).expect_err("over 4 MB");
    assert_eq!(error.name(), "ValidationException", "{error:?}");
    assert_eq!(item_count(&db, ACCOUNTS), 0, "nothing applied");
    write(&db, json!({"TransactItems": puts[..10]})).expect("3.9 MB");
    assert_eq!(item_count(&db, ACCOUNTS), 10);
}

#[test]
fn empty_and_incomplete_actions_are_refused() {
    let (_dir, db) = open();
    let valid = json!({"Put": {"TableName": ACCOUNTS, "Item": account("ok")}});
    assert_validation(
        write(&db, json!({"TransactItems": [valid.clone(), {}]})),
        "The action or operation requested is invalid. Verify that the action is typed \
         correctly.",
    );
    assert_validation(
        write(&db, json!({"TransactItems": [{"Put": {"TableName": ACCOUNTS}}]})),
        "1 validation error detected: Value null at 'transactItems.1.member.put.item' failed \
         to satisfy constraint: Member must not be null",
    );
    assert_validation(
        write(
            &db,
            json!({"TransactItems": [valid.clone(),
                {"Update": {"TableName": ACCOUNTS, "Key": account("a1")}}]}),
        ),
        "1 validation error detected: Value null at 'transactItems.2.member.update.\
         updateExpression' failed to satisfy constraint: Member must not be null",
    );
    assert_validation(
        write(
            &db,
            json!({"TransactItems": [
                {"ConditionCheck": {"TableName": ACCOUNTS, "Key": account("a1")}}]}),
        ),
        "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.\
         conditionExpression' failed to satisfy constraint: Member must not be null",
    );
    assert_validation(
        write(
            &db,
            json!({"TransactItems": [{"Delete": {"TableName": "ab", "Key": account("a")}}]}),
        ),
        "1 validation error detected: Value 'ab' at 'transactItems.1.member.delete.tableName' \
         failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    assert_validation(
        write(&db, json!({"TransactItems": [{"Delete": {"Key": account("a")}}]})),
        "1 validation error detected: Value null at 'transactItems.1.member.delete.tableName' \
         failed to satisfy constraint: Member must not be null",
    );
    assert_validation(
        write(
            &db,
            json!({"TransactItems": [{"Put": {
                "TableName": ACCOUNTS, "Item": account("a"),
                "ReturnValuesOnConditionCheckFailure": "ALL_NEW"
            }}]}),
        ),
        "1 validation error detected: Value 'ALL_NEW' at 'transactItems.1.member.put.\
         returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must \
         satisfy enum value set: [ALL_OLD, NONE]",
    );
    assert_error(
        write(
            &db,
            json!({"TransactItems": [valid, {"Put": {"TableName": "Nowhere", "Item": account("a")}}]}),
        ),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    assert_validation(
        write(
            &db,
            json!({"TransactItems": [{"Put": {"TableName": ACCOUNTS, "Item": {"id": {"N": "1"}}}}]}),
        ),
        "One or more parameter values were invalid: Type mismatch for key id expected: S \
         actual: N",
    );
    assert_eq!(item_count(&db, ACCOUNTS), 0);
}

// ---------------------------------------------------------------------------------------------
// ClientRequestToken.

fn increment(token: &str, by: i64) -> Value {
    json!({
        "TransactItems": [{"Update": {
            "TableName": ACCOUNTS, "Key": account("counter"),
            "UpdateExpression": "ADD n :by",
            "ExpressionAttributeValues": {":by": {"N": by.to_string()}}
        }}],
        "ClientRequestToken": token,
        "ReturnConsumedCapacity": "TOTAL"
    })
}

fn counter(db: &Db) -> Option<Item> {
    get(db, ACCOUNTS, item! { "id" => "counter" })
}

#[test]
fn a_client_request_token_applies_a_request_once() {
    let (_dir, db) = open();
    let first = write(&db, increment("token-1", 5)).expect("first");
    assert_eq!(units(first.consumed_capacity), [(ACCOUNTS.into(), 2.0, None, Some(2.0))]);
    let replay = write(&db, increment("token-1", 5)).expect("the same request again");
    assert_eq!(counter(&db), Some(item! { "id" => "counter", "n" => 5 }), "applied once");
    // A replay reports reading the item, not writing it.
    let replay = units(replay.consumed_capacity);
    assert_eq!(replay.len(), 1);
    assert_eq!(replay[0].3, None, "a replay writes nothing: {replay:?}");
    assert_error(
        write(&db, increment("token-1", 6)),
        "IdempotentParameterMismatchException",
        "DynamoDB rejected the request because you retried a request with a different payload \
         but with an idempotent token that was already used.",
    );
    assert_eq!(counter(&db), Some(item! { "id" => "counter", "n" => 5 }));
    // A new token is a new request.
    write(&db, increment("token-2", 5)).expect("another token");
    assert_eq!(counter(&db), Some(item! { "id" => "counter", "n" => 10 }));
    assert_validation(
        write(&db, increment(&"t".repeat(37), 1)),
        &format!(
            "1 validation error detected: Value '{}' at 'clientRequestToken' failed to satisfy \
             constraint: Member must have length less than or equal to 36",
            "t".repeat(37)
        ),
    );
}

#[test]
fn a_failed_transaction_token_can_be_retried() {
    let (_dir, db) = open();
    let guarded = json!({
        "TransactItems": [{"Update": {
            "TableName": ACCOUNTS, "Key": account("counter"),
            "UpdateExpression": "ADD n :one",
            "ConditionExpression": "attribute_exists(ready)",
            "ExpressionAttributeValues": {":one": {"N": "1"}}
        }}],
        "ClientRequestToken": "retry-me"
    });
    let (_, reasons) = canceled(write(&db, guarded.clone()));
    assert_eq!(reasons[0].code.as_deref(), Some("ConditionalCheckFailed"));
    assert_eq!(counter(&db), None);
    put(&db, ACCOUNTS, item! { "id" => "counter", "ready" => true });
    write(&db, guarded.clone()).expect("the retry runs");
    write(&db, guarded).expect("and is then remembered");
    assert_eq!(counter(&db), Some(item! { "id" => "counter", "ready" => true, "n" => 1 }));
}

#[test]
fn one_token_sent_from_several_threads_at_once_applies_once() {
    let (_dir, db) = open();
    let db = Arc::new(db);
    for round in 0..20 {
        let token = format!("race-{round}");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (db, token) = (db.clone(), token.clone());
                std::thread::spawn(move || write(&db, increment(&token, 1)))
            })
            .collect();
        for thread in threads {
            match thread.join().expect("thread") {
                Ok(_) => {}
                Err(e) => assert_eq!(e.name(), "TransactionInProgressException", "{e:?}"),
            }
        }
        let n = round + 1;
        assert_eq!(counter(&db), Some(item! { "id" => "counter", "n" => n }), "round {round}");
    }
}

// ---------------------------------------------------------------------------------------------
// TransactGetItems.

#[test]
fn transact_get_items_reads_values_in_order() {
    let (_dir, db) = open();
    seed(&db);
    put(&db, ACCOUNTS, item! { "id" => "big", "v" => "x".repeat(5000) });
    let out = read(
        &db,
        json!({
            "TransactItems": [
                {"Get": {"TableName": ACCOUNTS, "Key": account("a2")}},
                {"Get": {"TableName": ORDERS, "Key": order("o", 404)}},
                {"Get": {"TableName": ACCOUNTS, "Key": account("a1"),
                         "ProjectionExpression": "#n, balance",
                         "ExpressionAttributeNames": {"#n": "name"}}},
                {"Get": {"TableName": format!("{ARN_PREFIX}{ACCOUNTS}"), "Key": account("big"),
                         "ProjectionExpression": "id"}}
            ],
            "ReturnConsumedCapacity": "TOTAL"
        }),
    )
    .expect("transact get");
    assert_eq!(
        out.responses.expect("responses"),
        [
            ItemResponse { item: Some(item! { "id" => "a2", "balance" => 50 }) },
            ItemResponse { item: None },
            ItemResponse { item: Some(item! { "name" => "first", "balance" => 100 }) },
            ItemResponse { item: Some(item! { "id" => "big" }) },
        ]
    );
    // Transactional reads cost twice a strongly consistent read; a missing item costs 2, and
    // the big item (5 KB: 2 units) 4 whatever the projection.
    assert_eq!(
        units(out.consumed_capacity),
        [
            (ACCOUNTS.into(), 4.0, Some(4.0), None),
            (ORDERS.into(), 2.0, Some(2.0), None),
            (format!("{ARN_PREFIX}{ACCOUNTS}"), 4.0, Some(4.0), None),
        ]
    );
}

#[test]
fn transact_get_items_refuses_what_dynamodb_refuses() {
    let (_dir, db) = open();
    seed(&db);
    assert_validation(
        read(
            &db,
            json!({"TransactItems": [
                {"Get": {"TableName": ACCOUNTS, "Key": account("a1")}},
                {"Get": {"TableName": ACCOUNTS, "Key": account("a1"), "ProjectionExpression": "id"}}
            ]}),
        ),
        SAME_ITEM,
    );
    assert_validation(
        read(&db, json!({"TransactItems": [{"Get": {"TableName": ACCOUNTS}}]})),
        "1 validation error detected: Value null at 'transactItems.1.member.get.key' failed to \
         satisfy constraint: Member must not be null",
    );
    assert_validation(
        read(&db, json!({"TransactItems": [{}]})),
        "1 validation error detected: Value null at 'transactItems.1.member.get' failed to \
         satisfy constraint: Member must not be null",
    );
    assert_validation(
        read(
            &db,
            json!({"TransactItems": [{"Get": {"TableName": ACCOUNTS, "Key": {"id": {"N": "1"}}}}]}),
        ),
        "The provided key element does not match the schema",
    );
    assert_error(
        read(
            &db,
            json!({"TransactItems": [{"Get": {"TableName": "Nowhere", "Key": account("a")}}]}),
        ),
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    let gets: Vec<Value> = (0..101)
        .map(|i| json!({"Get": {"TableName": ACCOUNTS, "Key": account(&format!("k{i}"))}}))
        .collect();
    let error = read(&db, json!({"TransactItems": gets})).expect_err("101 gets");
    assert!(
        error.message().ends_with(
            " at 'transactItems' failed to satisfy constraint: Member must have length less \
             than or equal to 100"
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A transaction over many shards.

#[test]
fn a_transaction_over_many_shards_is_seen_whole() {
    const KEYS: usize = 100;
    const ROUNDS: i64 = 30;
    let core = basalt::core::Options { shards: 16, ..basalt::core::Options::default() };
    let (_dir, db) = open_with(DbOptions { core, ..DbOptions::default() });
    let db = Arc::new(db);
    let keys: Vec<Value> = (0..KEYS).map(|i| account(&format!("key-{i}"))).collect();
    let round = |r: i64| -> Value {
        let puts: Vec<Value> = (0..KEYS)
            .map(|i| {
                let mut item = item! { "id" => format!("key-{i}"), "round" => r };
                item.insert("pad".into(), "p".repeat(i).into());
                json!({"Put": {"TableName": ACCOUNTS, "Item": json_of(&item)}})
            })
            .collect();
        json!({"TransactItems": puts})
    };
    let gets: Vec<Value> =
        keys.iter().map(|key| json!({"Get": {"TableName": ACCOUNTS, "Key": key}})).collect();
    let gets = json!({"TransactItems": gets});
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (db, done, gets) = (db.clone(), done.clone(), gets.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            let mut rounds_seen = std::collections::BTreeSet::new();
            // ORDERING: Relaxed: the flag only ends the loop; what is read is synchronized by
            // the database.
            while !done.load(Ordering::Relaxed) || reads == 0 {
                let out = read(&db, gets.clone()).expect("transact get");
                let responses = out.responses.expect("responses");
                let rounds: Vec<Option<basalt::model::AttributeValue>> = responses
                    .into_iter()
                    .map(|r| r.item.and_then(|i| i.get("round").cloned()))
                    .collect();
                assert!(
                    rounds.iter().all(|r| *r == rounds[0]),
                    "a reader saw part of a transaction: {rounds:?}"
                );
                rounds_seen.insert(format!("{:?}", rounds[0]));
                reads += 1;
            }
            (reads, rounds_seen.len())
        })
    };
    for r in 0..ROUNDS {
        write(&db, round(r)).expect("a transaction over many shards");
    }
    // ORDERING: Relaxed: see the reader.
    done.store(true, Ordering::Relaxed);
    let (reads, distinct) = reader.join().expect("reader");
    assert!(reads > 0);
    eprintln!("{reads} consistent reads saw {distinct} distinct states");
    assert_eq!(item_count(&db, ACCOUNTS), KEYS as i64);
    let out = read(&db, gets).expect("final read");
    for response in out.responses.expect("responses") {
        let item = response.item.expect("every item exists");
        assert_eq!(item.get("round"), Some(&(ROUNDS - 1).into()));
    }
}
