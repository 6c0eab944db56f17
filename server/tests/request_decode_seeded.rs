//! The fuzz target `request_decode`'s check ([`basalt_server::fuzz::fuzz_request`]) over a few
//! thousand seeded inputs in `cargo test`: valid requests of every operation, then the same
//! mutated (bytes flipped, inserted, removed, truncated, spliced; control bytes changed), then
//! random bytes. Deterministic: a failure names its seed and input.
#![allow(clippy::unwrap_used, missing_docs)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use basalt::api::DescribeTableInput;
use basalt::db::fuzz::FUZZ_TABLE;
use basalt_server::fuzz::{fuzz_handler, fuzz_input, fuzz_request_status};
use basalt_server::handler::Handler;
use serde_json::json;

/// SplitMix64: enough randomness for mutations, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound.max(1) as u64).unwrap()
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

/// Valid requests of every implemented operation (and some not built), aimed at the table.
fn seeds(arn: &str) -> Vec<(&'static str, Vec<u8>)> {
    let item = json!({
        "pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": "AAEC"}, "ss": {"SS": ["x", "y"]},
        "m": {"M": {"l": {"L": [{"BOOL": true}, {"NULL": true}, {"NS": ["1", "2.5"]}]}}}
    });
    let key = json!({"pk": {"S": "a"}, "sk": {"N": "1"}});
    let seeds = [
        ("PutItem", json!({"TableName": FUZZ_TABLE, "Item": item, "ReturnValues": "ALL_OLD"})),
        ("GetItem", json!({"TableName": FUZZ_TABLE, "Key": key, "ConsistentRead": true})),
        ("DeleteItem", json!({"TableName": FUZZ_TABLE, "Key": key, "ReturnValues": "ALL_OLD"})),
        (
            "CreateTable",
            json!({
                "TableName": "other",
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "B"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        ),
        ("DescribeTable", json!({"TableName": FUZZ_TABLE})),
        ("DeleteTable", json!({"TableName": "other"})),
        ("ListTables", json!({"Limit": 5, "ExclusiveStartTableName": "a"})),
        ("UpdateTable", json!({"TableName": FUZZ_TABLE, "DeletionProtectionEnabled": false})),
        ("TagResource", json!({"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "v"}]})),
        ("UntagResource", json!({"ResourceArn": arn, "TagKeys": ["k"]})),
        ("ListTagsOfResource", json!({"ResourceArn": arn})),
        ("DescribeLimits", json!({})),
        ("DescribeEndpoints", json!({})),
        ("UpdateItem", json!({"TableName": FUZZ_TABLE, "Key": key})),
        ("Scan", json!({"TableName": FUZZ_TABLE})),
        (
            "BatchWriteItem",
            json!({"RequestItems": {FUZZ_TABLE: [
                {"PutRequest": {"Item": item}},
                {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}
            ]}}),
        ),
        (
            "BatchGetItem",
            json!({"RequestItems": {FUZZ_TABLE: {"Keys": [key], "ProjectionExpression": "pk, m.l[0]"}}}),
        ),
        (
            "TransactWriteItems",
            json!({"TransactItems": [
                {"ConditionCheck": {"TableName": FUZZ_TABLE, "Key": key,
                    "ConditionExpression": "attribute_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Update": {"TableName": FUZZ_TABLE, "Key": {"pk": {"S": "c"}, "sk": {"N": "3"}},
                    "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}
            ], "ClientRequestToken": "fuzz-token"}),
        ),
        (
            "TransactGetItems",
            json!({"TransactItems": [{"Get": {"TableName": FUZZ_TABLE, "Key": key}}]}),
        ),
    ];
    seeds.into_iter().map(|(op, body)| (op, serde_json::to_vec(&body).unwrap())).collect()
}

/// One random edit of `bytes`.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, donor: &[u8]) {
    let at = rng.below(bytes.len() + 1);
    match rng.below(8) {
        0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
        1 if at < bytes.len() => bytes[at] = rng.byte(),
        2 => {
            const TOKENS: &[u8] = b"{}[]\",:0-e.\\ SNBML";
            bytes.insert(at, TOKENS[rng.below(TOKENS.len())]);
        }
        3 if at < bytes.len() => {
            bytes.remove(at);
        }
        4 => bytes.truncate(at),
        5 => {
            let from = rng.below(donor.len());
            let to = from + rng.below(donor.len() - from + 1);
            bytes.splice(at..at, donor[from..to].iter().copied());
        }
        6 => {
            // A control byte: method, target, encodings, signature.
            let control = rng.below(4.min(bytes.len()));
            if let Some(byte) = bytes.get_mut(control) {
                *byte = rng.byte();
            }
        }
        _ => {
            let json_at = bytes.len().min(4) + rng.below(bytes.len().saturating_sub(4) + 1);
            let noise = ["null", "[]", "{}", "5", "\"\"", "-0", "1e400", "\"\\ud800\"", "true"];
            bytes.splice(json_at..json_at, noise[rng.below(noise.len())].bytes());
        }
    }
}

/// How many answers had each status: 200, 400, 405, 413.
#[derive(Debug, Default)]
struct Statuses([usize; 4]);

impl Statuses {
    fn run(&mut self, handler: &Handler, seed: u64, input: &[u8]) {
        let outcome = catch_unwind(AssertUnwindSafe(|| fuzz_request_status(handler, input)));
        let shown = String::from_utf8_lossy(input);
        let status = outcome.unwrap_or_else(|_| panic!("seed {seed}: input {shown:?}"));
        let slot = [200, 400, 405, 413].iter().position(|s| *s == status).unwrap();
        self.0[slot] += 1;
    }
}

#[test]
fn seeded_requests_keep_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let handler = fuzz_handler(dir.path()).unwrap();
    let input = DescribeTableInput { table_name: Some(FUZZ_TABLE.into()) };
    let arn = handler.db().describe_table(input).unwrap().table.table_arn;
    let seeds = seeds(&arn);
    let mut statuses = Statuses::default();
    // Every seed as it is, under every encoding and signature variant.
    for (op, body) in &seeds {
        for encoding in [0, 4, 5, 6, 7, 0x0f, 0x17, 0x20, 0x40, 0x60, 0x80] {
            for auth in [0, 5, 6, 0x36, 0xfe, 7] {
                let mut bytes = fuzz_input(op, encoding, body);
                bytes[3] = auth;
                statuses.run(&handler, 0, &bytes);
            }
        }
    }
    let mut rng = Rng(0x5eed_ba5a_1700_0001);
    let [ok, refused, ..] = statuses.0;
    assert!(ok > 60 && refused > 600, "the valid seeds reach the operations: {statuses:?}");
    for seed in 0..4000_u64 {
        let (op, body) = &seeds[rng.below(seeds.len())];
        let encoding = [0, 0, 0, 4, 5, 6, 7, 0x20][rng.below(8)];
        let mut bytes = fuzz_input(op, encoding, body);
        let (_, donor) = &seeds[rng.below(seeds.len())];
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut bytes, donor);
        }
        statuses.run(&handler, seed, &bytes);
    }
    for seed in 0..300_u64 {
        let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.byte()).collect();
        statuses.run(&handler, seed, &bytes);
    }
    let [ok, refused, not_allowed, _] = statuses.0;
    assert!(ok > 250 && refused > 2000 && not_allowed > 30, "{statuses:?}");
}
