//! Time to live through `basalt::Db`: UpdateTimeToLive and DescribeTimeToLive with DynamoDB's
//! messages and its once-an-hour rule; which items expire (a Number of epoch seconds in the
//! past, less than five years old; nothing else); expiry as ordinary deletes that re-check the
//! item and keep the table's statistics; the background expiry; the setting across a reopen.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use basalt::api::{GetItemInput, PutItemInput, TableNameInput, UpdateItemInput};
use basalt::model::Item;
use basalt::{item, Db, DbOptions, TtlOptions};
use common::{assert_error, assert_validation, open_two_tables, req};
use serde_json::json;

const SESSIONS: &str = "Sessions";
const EVENTS: &str = "Events";

fn options(change_interval: Duration, scan_interval: Duration) -> DbOptions {
    let ttl = TtlOptions { change_interval, scan_interval, ..TtlOptions::default() };
    DbOptions { ttl, ..DbOptions::default() }
}

/// Options without the background expiry: items expire only in `Db::expire_items`, so a test
/// can count what each call deletes.
fn manual() -> DbOptions {
    let ttl =
        TtlOptions { change_interval: Duration::ZERO, background: false, ..TtlOptions::default() };
    DbOptions { ttl, ..DbOptions::default() }
}

fn open(options: DbOptions) -> (tempfile::TempDir, Db) {
    open_two_tables(options, (SESSIONS, "id"), EVENTS)
}

fn set_ttl(
    db: &Db,
    table: &str,
    enabled: bool,
    attribute: &str,
) -> Result<(), basalt::api::DbError> {
    let request = json!({
        "TableName": table,
        "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}
    });
    let output = db.update_time_to_live(req(request))?;
    let echoed = serde_json::to_value(&output).expect("serializes");
    assert_eq!(
        echoed,
        json!({"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}})
    );
    Ok(())
}

fn describe(db: &Db, table: &str) -> serde_json::Value {
    let output = db.describe_time_to_live(TableNameInput::new(table)).expect("describe");
    serde_json::to_value(output).expect("serializes")
}

/// Five Julian years, in seconds: expiry times older than this are not expiry times.
const FIVE_YEARS: u64 = 5 * 31_557_600;

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

fn session(id: &str, expires: Option<basalt::model::AttributeValue>) -> Item {
    let mut item = item! { "id" => id, "user" => "ada" };
    if let Some(expires) = expires {
        item.insert("expires".into(), expires);
    }
    item
}

fn exists(db: &Db, id: &str) -> bool {
    let got = db.get_item(GetItemInput::new(SESSIONS, item! { "id" => id })).expect("get");
    got.item.is_some()
}

fn item_count(db: &Db) -> i64 {
    db.describe_table(TableNameInput::new(SESSIONS)).expect("describe").table.item_count
}

#[test]
fn update_and_describe_with_dynamodb_messages() {
    let (_dir, db) = open(DbOptions::default());
    assert_eq!(
        describe(&db, SESSIONS),
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})
    );
    assert_validation(set_ttl(&db, SESSIONS, false, "expires"), "TimeToLive is already disabled");
    set_ttl(&db, SESSIONS, true, "expires").expect("enable");
    assert_eq!(
        describe(&db, SESSIONS),
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}})
    );
    assert_validation(set_ttl(&db, SESSIONS, true, "expires"), "TimeToLive is already enabled");
    assert_validation(
        set_ttl(&db, SESSIONS, true, "other"),
        "TimeToLive is active on a different AttributeName: current AttributeName is expires",
    );
    assert_validation(
        set_ttl(&db, SESSIONS, false, "other"),
        "TimeToLive is active on a different AttributeName: current AttributeName is expires",
    );
    // DynamoDB allows one change per table per hour.
    assert_validation(
        set_ttl(&db, SESSIONS, false, "expires"),
        "Time to live has been modified multiple times within a fixed interval",
    );
    assert_eq!(describe(&db, EVENTS)["TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED");
}

#[test]
fn members_and_tables_are_checked() {
    let (_dir, db) = open(DbOptions::default());
    let update = |request: serde_json::Value| db.update_time_to_live(req(request));
    assert_validation(
        update(json!({"TableName": SESSIONS})),
        "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy \
         constraint: Member must not be null",
    );
    assert_validation(
        update(json!({"TableName": SESSIONS, "TimeToLiveSpecification": {"Enabled": true}})),
        "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' \
         failed to satisfy constraint: Member must not be null",
    );
    assert_validation(
        update(json!({"TableName": SESSIONS,
            "TimeToLiveSpecification": {"AttributeName": ""}})),
        "2 validation errors detected: Value '' at 'timeToLiveSpecification.attributeName' \
         failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member \
         must not be null",
    );
    assert_error(
        update(json!({"TableName": "Missing",
            "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}})),
        "ResourceNotFoundException",
        "Requested resource not found: Table: Missing not found",
    );
    assert_error(
        db.describe_time_to_live(TableNameInput::new("Missing")),
        "ResourceNotFoundException",
        "Requested resource not found: Table: Missing not found",
    );
    assert_eq!(describe(&db, SESSIONS)["TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED");
}

#[test]
fn after_the_interval_the_setting_changes_and_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let quick = || options(Duration::ZERO, Duration::from_secs(3600));
    let db = Db::open_with(dir.path(), quick()).expect("open");
    db.create_table(req(json!({
        "TableName": SESSIONS,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .expect("create");
    set_ttl(&db, SESSIONS, true, "expires").expect("enable");
    set_ttl(&db, SESSIONS, false, "expires").expect("disable");
    set_ttl(&db, SESSIONS, true, "validUntil").expect("enable another attribute");
    db.close().expect("close");
    let db = Db::open_with(dir.path(), quick()).expect("reopen");
    assert_eq!(
        describe(&db, SESSIONS),
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "validUntil"}})
    );
    db.close().expect("close");
}

#[test]
fn only_numbers_of_past_epoch_seconds_within_five_years_expire() {
    let (_dir, db) = open(manual());
    let now = now_secs();
    let n = |secs: u64| basalt::model::AttributeValue::N(secs.to_string().parse().expect("number"));
    let cases = [
        ("past", Some(n(now - 60)), true),
        (
            "just-past",
            Some(basalt::model::AttributeValue::N(format!("{}.5", now - 2).parse().expect("n"))),
            true,
        ),
        ("future", Some(n(now + 3600)), false),
        ("ancient", Some(n(now - 6 * 365 * 86_400)), false),
        ("milliseconds", Some(n(now * 1000)), false),
        ("string", Some(basalt::model::AttributeValue::S((now - 60).to_string())), false),
        (
            "list",
            Some(basalt::model::AttributeValue::from(vec![basalt::model::AttributeValue::from(1)])),
            false,
        ),
        ("number-set", Some(req(json!({"NS": [(now - 60).to_string()]}))), false),
        ("almost-five-years", Some(n(now - FIVE_YEARS + 86_400)), true),
        ("over-five-years", Some(n(now - FIVE_YEARS - 86_400)), false),
        ("none", None, false),
    ];
    for (id, expires, _) in &cases {
        db.put_item(PutItemInput::new(SESSIONS, session(id, expires.clone()))).expect("put");
    }
    // Another table's items are never looked at: TTL is on for `Sessions` only.
    db.put_item(PutItemInput::new(EVENTS, item! { "pk" => "e", "sk" => 1, "expires" => 1 }))
        .expect("put");
    assert_eq!(db.expire_items().expect("nothing enabled"), 0);
    set_ttl(&db, SESSIONS, true, "expires").expect("enable");
    assert_eq!(item_count(&db), cases.len() as i64);
    let expected: u64 = cases.iter().filter(|(_, _, expires)| *expires).count() as u64;
    assert_eq!(db.expire_items().expect("expire"), expected);
    for (id, _, expires) in &cases {
        assert_eq!(exists(&db, id), !expires, "{id}");
    }
    assert_eq!(item_count(&db), cases.len() as i64 - expected as i64);
    assert_eq!(db.expire_items().expect("again"), 0);
    let events = db.scan(basalt::api::ScanInput::new(EVENTS)).expect("scan");
    assert_eq!(events.count, 1);
}

#[test]
fn an_item_whose_expiry_moved_is_kept_and_disabling_stops_expiry() {
    let (_dir, db) = open(manual());
    set_ttl(&db, SESSIONS, true, "expires").expect("enable");
    let past = now_secs() - 10;
    db.put_item(PutItemInput::new(SESSIONS, session("a", Some(past.into())))).expect("put");
    db.put_item(PutItemInput::new(SESSIONS, session("b", Some(past.into())))).expect("put");
    // Expired but not yet deleted items are still read and may be updated, as in DynamoDB.
    assert!(exists(&db, "a"));
    let later = now_secs() + 3600;
    db.update_item(
        UpdateItemInput::new(SESSIONS, item! { "id" => "a" }, "SET expires = :t")
            .value(":t", later),
    )
    .expect("update");
    assert_eq!(db.expire_items().expect("expire"), 1);
    assert!(exists(&db, "a"));
    assert!(!exists(&db, "b"));
    set_ttl(&db, SESSIONS, false, "expires").expect("disable");
    db.put_item(PutItemInput::new(SESSIONS, session("c", Some(past.into())))).expect("put");
    assert_eq!(db.expire_items().expect("disabled"), 0);
    assert!(exists(&db, "c"));
}

#[test]
fn the_background_expiry_deletes_expired_items() {
    let (_dir, db) = open(options(Duration::ZERO, Duration::from_millis(20)));
    let past = now_secs() - 10;
    for i in 0..50 {
        let expires = if i % 2 == 0 { past } else { past + 7200 };
        db.put_item(PutItemInput::new(SESSIONS, session(&format!("s{i}"), Some(expires.into()))))
            .expect("put");
    }
    set_ttl(&db, SESSIONS, true, "expires").expect("enable");
    let deadline = Instant::now() + Duration::from_secs(30);
    while item_count(&db) > 25 {
        assert!(Instant::now() < deadline, "expired items still there after 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(item_count(&db), 25);
    for i in 0..50 {
        assert_eq!(exists(&db, &format!("s{i}")), i % 2 == 1, "s{i}");
    }
    db.close().expect("close while the expiry thread runs");
}

/// Puts `count` items already expired into `table` (partition key `id`).
fn put_expired(db: &Db, table: &str, count: usize) {
    let past = now_secs() - 10;
    for i in 0..count {
        let item = item! { "id" => format!("e{i}"), "expires" => past };
        db.put_item(PutItemInput::new(table, item)).expect("put");
    }
}

fn count_of(db: &Db, table: &str) -> i64 {
    db.describe_table(TableNameInput::new(table)).expect("describe").table.item_count
}

fn create_hash_table(db: &Db, name: &str) {
    db.create_table(req(json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })))
    .expect("create");
}

/// Waits up to `limit` for `table` to hold `count` items; how long it took.
fn wait_for_count(db: &Db, table: &str, count: i64, limit: Duration) -> Duration {
    let start = Instant::now();
    while count_of(db, table) != count {
        assert!(start.elapsed() < limit, "{table} still holds {} items", count_of(db, table));
        std::thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

#[test]
fn a_table_turned_on_during_a_pass_is_looked_at_when_the_pass_ends() {
    let ttl = TtlOptions {
        change_interval: Duration::ZERO,
        scan_interval: Duration::from_secs(3600),
        deletes_per_second: 40,
        background: true,
    };
    let (_dir, db) = open(DbOptions { ttl, ..DbOptions::default() });
    create_hash_table(&db, "AAA");
    put_expired(&db, "AAA", 40);
    put_expired(&db, SESSIONS, 1);
    set_ttl(&db, "AAA", true, "expires").expect("enable AAA");
    std::thread::sleep(Duration::from_millis(200));
    set_ttl(&db, SESSIONS, true, "expires").expect("enable Sessions during the pass over AAA");
    // AAA takes about a second at 40 deletions a second; Sessions comes right after, not an
    // hour later.
    wait_for_count(&db, SESSIONS, 0, Duration::from_secs(20));
    assert_eq!(count_of(&db, "AAA"), 0);
}

#[test]
fn a_pass_leaves_a_table_deleted_under_it_at_once() {
    let ttl = TtlOptions {
        change_interval: Duration::ZERO,
        scan_interval: Duration::from_secs(3600),
        deletes_per_second: 20,
        background: true,
    };
    let (_dir, db) = open(DbOptions { ttl, ..DbOptions::default() });
    create_hash_table(&db, "AAA");
    put_expired(&db, "AAA", 200);
    put_expired(&db, SESSIONS, 1);
    // One pass: AAA first (tables in name order), then Sessions.
    set_ttl(&db, SESSIONS, true, "expires").expect("enable Sessions");
    wait_for_count(&db, SESSIONS, 0, Duration::from_secs(20));
    put_expired(&db, SESSIONS, 1);
    set_ttl(&db, "AAA", true, "expires").expect("enable AAA");
    std::thread::sleep(Duration::from_millis(300));
    db.delete_table(TableNameInput::new("AAA")).expect("delete AAA during the pass");
    // Without leaving AAA, the pass would pace through its ~190 remaining rows (~10 s).
    let took = wait_for_count(&db, SESSIONS, 0, Duration::from_secs(20));
    assert!(took < Duration::from_secs(5), "Sessions waited {took:?} behind a deleted table");
}
