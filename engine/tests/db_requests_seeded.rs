//! The check of the fuzz target `db_requests`, over seeded random request bodies: valid
//! requests mutated (members dropped, retyped, replaced by odd values) and run against one
//! database; never a panic or an internal error, and a refused request changes nothing.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::db::fuzz::{fuzz_request, fuzz_setup};
use basalt::Db;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

fn seeds() -> Vec<(u8, Value)> {
    vec![
        (
            0,
            json!({"TableName": "fuzzed", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"L": [{"N": "1"}, {"M": {"x": {"SS": ["a", "b"]}}}]}}, "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"}),
        ),
        (
            1,
            json!({"TableName": "fuzzed", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "AttributesToGet": ["v"], "ConsistentRead": true}),
        ),
        (
            2,
            json!({"TableName": "fuzzed", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnValues": "ALL_OLD"}),
        ),
        (
            3,
            json!({"TableName": "other", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "B"}], "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
        ),
        (4, json!({"TableName": "fuzzed"})),
        (
            5,
            json!({"TableName": "fuzzed", "BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}}),
        ),
        (
            6,
            json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/fuzzed", "Tags": [{"Key": "k", "Value": "v"}]}),
        ),
        (7, json!({"Limit": 1, "ExclusiveStartTableName": "abc"})),
        (8, json!({"TableName": "other"})),
        (
            9,
            json!({"Item": {"pk": {"S": "b"}, "sk": {"N": "-1.5e-3"}, "bin": {"B": "AAEC"}, "n": {"NULL": true}, "s": {"NS": ["1", "2"]}}}),
        ),
        (
            13,
            json!({"RequestItems": {"fuzzed": [{"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"N": "1"}, "ttl": {"N": "1"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}}]}, "ReturnConsumedCapacity": "TOTAL"}),
        ),
        (
            14,
            json!({"RequestItems": {"fuzzed": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}, {"pk": {"S": "c"}, "sk": {"N": "1"}}], "ProjectionExpression": "#v, sk", "ExpressionAttributeNames": {"#v": "v"}}}}),
        ),
        (
            15,
            json!({"TransactItems": [
                {"Put": {"TableName": "fuzzed", "Item": {"pk": {"S": "d"}, "sk": {"N": "2"}, "n": {"N": "5"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": "fuzzed", "Key": {"pk": {"S": "e"}, "sk": {"N": "2"}}, "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                {"ConditionCheck": {"TableName": "fuzzed", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_exists(v)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Delete": {"TableName": "fuzzed", "Key": {"pk": {"S": "f"}, "sk": {"N": "3"}}}}
            ], "ClientRequestToken": "token", "ReturnConsumedCapacity": "INDEXES"}),
        ),
        (
            16,
            json!({"TransactItems": [{"Get": {"TableName": "fuzzed", "Key": {"pk": {"S": "d"}, "sk": {"N": "2"}}, "ProjectionExpression": "n"}}]}),
        ),
        (
            17,
            json!({"TableName": "fuzzed", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}}),
        ),
        (18, json!({"TableName": "fuzzed"})),
    ]
}

fn odd_value(rng: &mut SmallRng) -> Value {
    match rng.gen_range(0..10) {
        0 => Value::Null,
        1 => json!(rng.gen::<i64>()),
        2 => json!(""),
        3 => json!("x".repeat(rng.gen_range(0..3000))),
        4 => json!([]),
        5 => json!({}),
        6 => json!({"S": ""}),
        7 => json!({"N": "1e200"}),
        8 => json!({"B": ""}),
        _ => json!(true),
    }
}

/// Replaces, drops or adds one member somewhere in `value`.
fn mutate(rng: &mut SmallRng, value: &mut Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(rng.gen_range(0..map.len())).unwrap().clone();
            match rng.gen_range(0..4) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, odd_value(rng));
                }
                2 if depth < 6 => mutate(rng, map.get_mut(&key).unwrap(), depth + 1),
                _ => {
                    map.insert(format!("extra{}", rng.gen::<u8>()), odd_value(rng));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = rng.gen_range(0..items.len());
            if rng.gen_bool(0.5) && depth < 6 {
                mutate(rng, &mut items[i], depth + 1);
            } else {
                items[i] = odd_value(rng);
            }
        }
        other => *other = odd_value(rng),
    }
}

#[test]
fn mutated_requests_never_panic_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_with(dir.path(), basalt::db::fuzz::fuzz_options()).unwrap();
    fuzz_setup(&db).unwrap();
    let seeds = seeds();
    let mut rng = SmallRng::seed_from_u64(0xba5a17);
    for _ in 0..3000 {
        let (op, mut body) = seeds[rng.gen_range(0..seeds.len())].clone();
        for _ in 0..rng.gen_range(0..4) {
            mutate(&mut rng, &mut body, 0);
        }
        let mut bytes = vec![op];
        bytes.extend(serde_json::to_vec(&body).unwrap());
        fuzz_request(&db, &bytes);
    }
    db.close().unwrap();
}
