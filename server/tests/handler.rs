//! The handler driven directly, one request at a time, with requests signed by
//! [`basalt_server::sigv4::Signer`] and checked against a temporary database: every operation
//! through the wire format, response checksums and compression, compressed request bodies,
//! CORS and the health check; then every kind of bad request, each answered with DynamoDB's
//! status, `__type` and message, and none of them changing the data.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use basalt::Db;
use basalt_server::handler::{Auth, Handler, Request, Response, REQUEST_BYTES_MAX};
use basalt_server::sigv4::{header_view, Credentials, Signer};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;
use serde_json::{json, Value};

const ACCESS_KEY_ID: &str = "AKIDTEST";
const SECRET: &str = "test-secret/with+symbols";
const REGION: &str = "us-west-2";
const TABLE: &str = "things";
/// 2024-01-01T12:00:00Z: the server's clock in every test.
const NOW_SECONDS: u64 = 1_704_110_400;

const SERIALIZATION: &str = "com.amazon.coral.service#SerializationException";
const VALIDATION: &str = "com.amazon.coral.validate#ValidationException";
const UNKNOWN_OPERATION: &str = "com.amazon.coral.service#UnknownOperationException";
const MISSING_TOKEN: &str = "com.amazon.coral.service#MissingAuthenticationTokenException";
const INVALID_SIGNATURE: &str = "com.amazon.coral.service#InvalidSignatureException";
const UNRECOGNIZED_CLIENT: &str = "com.amazon.coral.service#UnrecognizedClientException";
const MISMATCH: &str = "The request signature we calculated does not match the signature you \
    provided. Check your AWS Secret Access Key and signing method. Consult the service \
    documentation for details.";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECONDS)
}

/// A handler over a fresh database holding [`TABLE`] (key `id`, S), and a signer for its key.
struct Server {
    handler: Handler,
    signer: Signer,
    _dir: tempfile::TempDir,
}

/// A request before it is handed to the handler.
struct Outgoing {
    method: &'static str,
    path: &'static str,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Outgoing {
    /// A `POST /` to `target` (a bare operation name gets DynamoDB's prefix), unsigned.
    fn post(target: Option<&str>, body: impl Into<Vec<u8>>) -> Outgoing {
        let mut headers = vec![
            ("host".to_string(), b"localhost:8000".to_vec()),
            ("content-type".to_string(), b"application/x-amz-json-1.0".to_vec()),
        ];
        if let Some(target) = target {
            let target = if target.contains('.') {
                target.to_string()
            } else {
                format!("DynamoDB_20120810.{target}")
            };
            headers.push(("x-amz-target".into(), target.into_bytes()));
        }
        Outgoing { method: "POST", path: "/", headers, body: body.into() }
    }

    fn header(mut self, name: &str, value: &str) -> Outgoing {
        self.headers.push((name.into(), value.as_bytes().to_vec()));
        self
    }

    fn signed_by(mut self, signer: &Signer, at: SystemTime) -> Outgoing {
        signer.sign(self.method, self.path, None, &mut self.headers, &self.body, at);
        self
    }
}

impl Server {
    fn new() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path()).unwrap());
        let mut credentials = Credentials::new();
        credentials.insert(ACCESS_KEY_ID, SECRET);
        let handler = Handler::new(db, Auth::Verify(credentials));
        let signer = Signer::new(ACCESS_KEY_ID, SECRET, REGION);
        let server = Server { handler, signer, _dir: dir };
        let created = server.call(
            "CreateTable",
            json!({
                "TableName": TABLE,
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        );
        assert_eq!(created["TableDescription"]["TableStatus"], "ACTIVE");
        server
    }

    fn send(&self, request: &Outgoing) -> Response {
        let headers = header_view(&request.headers);
        let request = Request {
            method: request.method,
            path: request.path,
            query: None,
            headers: &headers,
            body: &request.body,
        };
        let response = self.handler.handle_at(&request, now());
        if let Some(crc) = header(&response, "x-amz-crc32") {
            assert_eq!(crc, crc32fast::hash(&response.body).to_string(), "checksum");
        }
        response
    }

    /// Signs and sends `body` to `target`.
    fn post(&self, target: &str, body: &Value) -> Response {
        let body = serde_json::to_vec(body).unwrap();
        self.send(&Outgoing::post(Some(target), body).signed_by(&self.signer, now()))
    }

    /// Runs an operation that must succeed; its JSON answer.
    fn call(&self, target: &str, body: Value) -> Value {
        let response = self.post(target, &body);
        assert_eq!(response.status, 200, "{target}: {}", text(&response));
        assert_eq!(header(&response, "Content-Type"), Some("application/x-amz-json-1.0"));
        assert!(header(&response, "x-amz-crc32").is_some(), "{target} has no checksum");
        json_of(&response)
    }

    /// What the refused requests could change: the table's counts and the items they aim at.
    fn state(&self) -> Value {
        let table = &self.call("DescribeTable", json!({"TableName": TABLE}))["Table"];
        let get = |id: &str| {
            self.call("GetItem", json!({"TableName": TABLE, "Key": {"id": {"S": id}}}))
                .get("Item")
                .cloned()
        };
        json!([table["ItemCount"], table["TableSizeBytes"], get("kept"), get("victim")])
    }

    /// Sends `request`, which must be refused with `status`, `type_uri` and a message for which
    /// `message_ok` holds, and must change nothing.
    fn refused(
        &self,
        request: &Outgoing,
        status: u16,
        type_uri: &str,
        message_ok: impl Fn(&str) -> bool,
    ) {
        let before = self.state();
        let response = self.send(request);
        let body = json_of(&response);
        assert_eq!(response.status, status, "{body}");
        assert_eq!(body["__type"], type_uri, "{body}");
        let message = body["message"].as_str().unwrap_or("");
        assert!(message_ok(message), "unexpected message: {body}");
        assert_eq!(header(&response, "Content-Type"), Some("application/x-amz-json-1.0"));
        assert!(header(&response, "x-amz-crc32").is_some());
        assert_eq!(self.state(), before, "a refused request changed the data");
    }

    /// An unsigned PutItem that would create `victim`.
    fn put_victim(&self) -> Outgoing {
        let body = json!({"TableName": TABLE, "Item": {"id": {"S": "victim"}, "n": {"N": "1"}}});
        Outgoing::post(Some("PutItem"), serde_json::to_vec(&body).unwrap())
    }

    fn with_kept_item(self) -> Server {
        self.call("PutItem", json!({"TableName": TABLE, "Item": {"id": {"S": "kept"}}}));
        self
    }
}

fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    let (_, value) = response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    Some(value)
}

fn text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The JSON body, gunzipped first when the response says it is compressed.
fn json_of(response: &Response) -> Value {
    let mut body = response.body.clone();
    if header(response, "Content-Encoding") == Some("gzip") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain).unwrap();
        body = plain;
    }
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {}", text(response)))
}

fn compress(encoding: &str, data: &[u8]) -> Vec<u8> {
    match encoding {
        "gzip" => {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(data).unwrap();
            encoder.finish().unwrap()
        }
        "zlib" => {
            let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(data).unwrap();
            encoder.finish().unwrap()
        }
        _ => {
            let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(data).unwrap();
            encoder.finish().unwrap()
        }
    }
}

#[test]
fn table_operations_answer_through_the_handler() {
    let server = Server::new();
    let listed = server.call("ListTables", json!({}));
    assert_eq!(listed["TableNames"], json!([TABLE]));
    let described = server.call("DescribeTable", json!({"TableName": TABLE}));
    assert_eq!(described["Table"]["TableName"], TABLE);
    assert_eq!(described["Table"]["KeySchema"][0]["AttributeName"], "id");
    assert_eq!(described["Table"]["ItemCount"], 0);
    let arn = described["Table"]["TableArn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:dynamodb:"), "{arn}");
    let updated =
        server.call("UpdateTable", json!({"TableName": TABLE, "DeletionProtectionEnabled": true}));
    assert_eq!(updated["TableDescription"]["DeletionProtectionEnabled"], true);
    let tags = json!([{"Key": "team", "Value": "storage"}, {"Key": "tier", "Value": "1"}]);
    assert_eq!(server.call("TagResource", json!({"ResourceArn": arn, "Tags": tags})), json!({}));
    let listed = server.call("ListTagsOfResource", json!({"ResourceArn": arn}));
    assert_eq!(listed["Tags"], tags);
    let untagged = server.call("UntagResource", json!({"ResourceArn": arn, "TagKeys": ["tier"]}));
    assert_eq!(untagged, json!({}));
    let listed = server.call("ListTagsOfResource", json!({"ResourceArn": arn}));
    assert_eq!(listed["Tags"], json!([{"Key": "team", "Value": "storage"}]));
    let limits = server.call("DescribeLimits", json!({}));
    assert_eq!(limits["AccountMaxReadCapacityUnits"], 80_000);
    assert_eq!(limits["TableMaxWriteCapacityUnits"], 40_000);
    let endpoints = server.call("DescribeEndpoints", json!({}));
    assert_eq!(endpoints["Endpoints"][0]["CachePeriodInMinutes"], 1440);
    let protected = server.post("DeleteTable", &json!({"TableName": TABLE}));
    assert_eq!(protected.status, 400);
    server.call("UpdateTable", json!({"TableName": TABLE, "DeletionProtectionEnabled": false}));
    let deleted = server.call("DeleteTable", json!({"TableName": TABLE}));
    assert_eq!(deleted["TableDescription"]["TableName"], TABLE);
    assert_eq!(server.call("ListTables", json!({}))["TableNames"], json!([]));
}

#[test]
fn item_operations_answer_through_the_handler() {
    let server = Server::new();
    let item = json!({
        "id": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AAEC"}, "ss": {"SS": ["x", "y"]},
        "m": {"M": {"l": {"L": [{"BOOL": true}, {"NULL": true}]}}}
    });
    let put = server.call("PutItem", json!({"TableName": TABLE, "Item": item}));
    assert_eq!(put, json!({}));
    let key = json!({"id": {"S": "a"}});
    let got = server.call("GetItem", json!({"TableName": TABLE, "Key": key}));
    assert_eq!(got["Item"], item);
    let replaced = server.call(
        "PutItem",
        json!({"TableName": TABLE, "Item": {"id": {"S": "a"}}, "ReturnValues": "ALL_OLD"}),
    );
    assert_eq!(replaced["Attributes"], item);
    let described = server.call("DescribeTable", json!({"TableName": TABLE}));
    assert_eq!(described["Table"]["ItemCount"], 1);
    let deleted = server
        .call("DeleteItem", json!({"TableName": TABLE, "Key": key, "ReturnValues": "ALL_OLD"}));
    assert_eq!(deleted["Attributes"], json!({"id": {"S": "a"}}));
    assert_eq!(server.call("GetItem", json!({"TableName": TABLE, "Key": key})), json!({}));
    // A false condition: DynamoDB's exception, and nothing written.
    let failed = server.post(
        "PutItem",
        &json!({"TableName": TABLE, "Item": key, "ConditionExpression": "attribute_exists(id)"}),
    );
    assert_eq!(failed.status, 400);
    let failed = json_of(&failed);
    assert_eq!(
        failed,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed"
        })
    );
    assert_eq!(server.call("GetItem", json!({"TableName": TABLE, "Key": key})), json!({}));
    // With ALL_OLD, the failure carries the item as it is.
    server.call("PutItem", json!({"TableName": TABLE, "Item": item}));
    let failed = server.post(
        "PutItem",
        &json!({
            "TableName": TABLE, "Item": key, "ConditionExpression": "attribute_not_exists(id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
        }),
    );
    assert_eq!(json_of(&failed)["Item"], item);
}

#[test]
fn batches_and_transactions_answer_through_the_handler() {
    let server = Server::new();
    let puts: Vec<Value> =
        (0..3).map(|i| json!({"PutRequest": {"Item": {"id": {"S": format!("b{i}")}}}})).collect();
    let written = server.call("BatchWriteItem", json!({"RequestItems": {TABLE: puts}}));
    assert_eq!(written, json!({"UnprocessedItems": {}}));
    let keys = json!([{"id": {"S": "b0"}}, {"id": {"S": "b2"}}, {"id": {"S": "none"}}]);
    let read = server.call("BatchGetItem", json!({"RequestItems": {TABLE: {"Keys": keys}}}));
    let mut found: Vec<String> = read["Responses"][TABLE]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"]["S"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    assert_eq!(found, ["b0", "b2"]);
    assert_eq!(read["UnprocessedKeys"], json!({}));
    let transaction = json!({"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"id": {"S": "t"}}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": {"id": {"S": "b1"}},
            "ConditionExpression": "attribute_not_exists(id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
    ]});
    let canceled = server.post("TransactWriteItems", &transaction);
    assert_eq!(canceled.status, 400);
    let message = "Transaction cancelled, please refer cancellation reasons for specific reasons \
                   [None, ConditionalCheckFailed]";
    let expected = json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": message,
        "CancellationReasons": [
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
                "Item": {"id": {"S": "b1"}}}
        ]
    });
    assert_eq!(json_of(&canceled), expected);
    let gets = json!({"TransactItems": [
        {"Get": {"TableName": TABLE, "Key": {"id": {"S": "t"}}}},
        {"Get": {"TableName": TABLE, "Key": {"id": {"S": "b1"}}}}
    ]});
    let got = server.call("TransactGetItems", gets);
    assert_eq!(got, json!({"Responses": [{}, {"Item": {"id": {"S": "b1"}}}]}));
    let deleted = json!({"TransactItems": [
        {"Delete": {"TableName": TABLE, "Key": {"id": {"S": "b1"}},
            "ConditionExpression": "attribute_exists(id)"}}
    ]});
    assert_eq!(server.call("TransactWriteItems", deleted), json!({}));
    let described = server.call("DescribeTable", json!({"TableName": TABLE}));
    assert_eq!(described["Table"]["ItemCount"], 2);
}

#[test]
fn large_responses_are_gzipped_for_clients_that_accept_gzip() {
    let server = Server::new();
    let big = "x".repeat(4000);
    let item = json!({"id": {"S": "big"}, "payload": {"S": big}});
    server.call("PutItem", json!({"TableName": TABLE, "Item": item}));
    let body = serde_json::to_vec(&json!({"TableName": TABLE, "Key": {"id": {"S": "big"}}}));
    let body = body.unwrap();
    for accept in ["gzip", "deflate, gzip;q=0.5", "br,gzip"] {
        let request =
            Outgoing::post(Some("GetItem"), body.clone()).header("accept-encoding", accept);
        let response = server.send(&request.signed_by(&server.signer, now()));
        assert_eq!(response.status, 200);
        assert_eq!(header(&response, "Content-Encoding"), Some("gzip"), "{accept}");
        assert!(response.body.len() < 1000, "compressed: {} bytes", response.body.len());
        let crc = crc32fast::hash(&response.body).to_string();
        assert_eq!(header(&response, "x-amz-crc32"), Some(crc.as_str()));
        assert_eq!(json_of(&response)["Item"], item);
    }
    // Without gzip accepted, or for a short answer, the body goes as it is.
    let plain =
        server.send(&Outgoing::post(Some("GetItem"), body).signed_by(&server.signer, now()));
    assert_eq!(header(&plain, "Content-Encoding"), None);
    assert_eq!(serde_json::from_slice::<Value>(&plain.body).unwrap()["Item"], item);
    let small = Outgoing::post(Some("ListTables"), "{}").header("accept-encoding", "gzip");
    let small = server.send(&small.signed_by(&server.signer, now()));
    assert_eq!(header(&small, "Content-Encoding"), None);
    assert_eq!(serde_json::from_slice::<Value>(&small.body).unwrap()["TableNames"], json!([TABLE]));
}

#[test]
fn compressed_request_bodies_are_accepted() {
    let server = Server::new();
    // HTTP's deflate is zlib-wrapped; some clients send raw deflate under the same name.
    for (name, encoding, header_value) in [
        ("gzip", "gzip", "gzip"),
        ("x-gzip", "gzip", "x-gzip"),
        ("zlib", "zlib", "deflate"),
        ("raw", "raw", "deflate"),
        ("identity", "", "identity"),
    ] {
        let json =
            json!({"TableName": TABLE, "Item": {"id": {"S": name}, "via": {"S": header_value}}});
        let plain = serde_json::to_vec(&json).unwrap();
        let body = if encoding.is_empty() { plain } else { compress(encoding, &plain) };
        let request =
            Outgoing::post(Some("PutItem"), body).header("content-encoding", header_value);
        let response = server.send(&request.signed_by(&server.signer, now()));
        assert_eq!(response.status, 200, "{name}: {}", text(&response));
        let got = server.call("GetItem", json!({"TableName": TABLE, "Key": {"id": {"S": name}}}));
        assert_eq!(got["Item"]["via"]["S"], header_value);
    }
}

#[test]
fn preflight_and_health_need_no_signature() {
    let server = Server::new();
    let mut preflight = Outgoing::post(None, "");
    preflight.method = "OPTIONS";
    preflight = preflight
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-amz-target,authorization");
    let response = server.send(&preflight);
    assert_eq!(response.status, 200);
    assert_eq!(header(&response, "Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(header(&response, "Access-Control-Allow-Methods"), Some("GET,POST,OPTIONS"));
    let allowed = header(&response, "Access-Control-Allow-Headers");
    assert_eq!(allowed, Some("x-amz-target,authorization"));
    assert!(header(&response, "Access-Control-Max-Age").is_some());
    assert!(response.body.is_empty());
    let mut health = Outgoing::post(None, "");
    health.method = "GET";
    let response = server.send(&health);
    assert_eq!((response.status, text(&response).as_str()), (200, "healthy: basalt"));
    health.method = "HEAD";
    let response = server.send(&health);
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    assert_eq!(header(&response, "x-amzn-RequestId").map(str::len), Some(52));
    // Any other method, or GET elsewhere: 405 with DynamoDB's envelope.
    for (method, path) in [("PUT", "/"), ("DELETE", "/"), ("GET", "/tables")] {
        let mut other = Outgoing::post(Some("ListTables"), "{}").signed_by(&server.signer, now());
        (other.method, other.path) = (method, path);
        let response = server.send(&other);
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(json_of(&response)["__type"], UNKNOWN_OPERATION);
        assert!(header(&response, "x-amz-crc32").is_some());
    }
}

#[test]
fn truncated_json_is_a_serialization_error() {
    let server = Server::new().with_kept_item();
    let full = serde_json::to_vec(
        &json!({"TableName": TABLE, "Item": {"id": {"S": "victim"}, "l": {"L": [{"N": "1"}]}}}),
    )
    .unwrap();
    for cut in 1..full.len() {
        let request =
            Outgoing::post(Some("PutItem"), &full[..cut]).signed_by(&server.signer, now());
        server.refused(&request, 400, SERIALIZATION, |m| m.contains("EOF while parsing"));
    }
    for garbage in ["{", "}", "{\"TableName\":", "nope", "{\"TableName\":\"t\",}", "\u{0}"] {
        let request = Outgoing::post(Some("PutItem"), garbage).signed_by(&server.signer, now());
        server.refused(&request, 400, SERIALIZATION, |m| !m.is_empty());
    }
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let server = Server::new().with_kept_item();
    let limit = "Request body exceeds the limit of 16777216 bytes";
    // The size is checked before the signature: a body this large is refused unread.
    let mut body =
        serde_json::to_vec(&json!({"TableName": TABLE, "Item": {"id": {"S": "victim"}}})).unwrap();
    body.resize(REQUEST_BYTES_MAX + 1, b' ');
    let request = Outgoing::post(Some("PutItem"), body);
    server.refused(&request, 413, SERIALIZATION, |m| m == limit);
    // A gzip bomb: a small body that expands past the limit (whitespace: valid JSON padding).
    let mut plain =
        serde_json::to_vec(&json!({"TableName": TABLE, "Item": {"id": {"S": "victim"}}})).unwrap();
    plain.resize(REQUEST_BYTES_MAX + 4096, b' ');
    for (encoding, name) in [("gzip", "gzip"), ("zlib", "deflate"), ("raw", "deflate")] {
        let bomb = compress(encoding, &plain);
        assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
        let request = Outgoing::post(Some("PutItem"), bomb)
            .header("content-encoding", name)
            .signed_by(&server.signer, now());
        server.refused(&request, 413, SERIALIZATION, |m| m == limit);
    }
    // A body that does not decompress, or an encoding nobody supports.
    let request = Outgoing::post(Some("PutItem"), "not gzip at all")
        .header("content-encoding", "gzip")
        .signed_by(&server.signer, now());
    server.refused(&request, 400, SERIALIZATION, |m| m.starts_with("Request body does not"));
    let request = Outgoing::post(Some("PutItem"), "{}")
        .header("content-encoding", "br")
        .signed_by(&server.signer, now());
    server.refused(&request, 400, SERIALIZATION, |m| m == "Unsupported Content-Encoding: br");
}

#[test]
fn json_of_the_wrong_types_is_refused() {
    let server = Server::new().with_kept_item();
    let victim = json!({"id": {"S": "victim"}});
    let kept = json!({"id": {"S": "kept"}});
    let cases = [
        ("PutItem", json!({"TableName": 5, "Item": victim})),
        ("PutItem", json!({"TableName": TABLE, "Item": []})),
        ("PutItem", json!({"TableName": TABLE, "Item": "victim"})),
        ("PutItem", json!({"TableName": TABLE, "Item": {"id": "victim"}})),
        ("PutItem", json!({"TableName": TABLE, "Item": {"id": {"S": 5}}})),
        ("PutItem", json!({"TableName": [TABLE], "Item": victim})),
        ("DeleteItem", json!({"TableName": TABLE, "Key": [kept]})),
        ("DeleteItem", json!({"TableName": TABLE, "Key": kept, "ReturnValues": 1})),
        ("DeleteTable", json!({"TableName": {"S": TABLE}})),
        (
            "PutItem",
            json!({"TableName": TABLE, "Item": {"id": {"S": "victim"}, "b": {"B": "***"}}}),
        ),
        ("PutItem", json!([])),
        ("PutItem", json!("text")),
        ("DeleteTable", json!(null)),
        ("DeleteTable", json!(7)),
    ];
    for (target, body) in cases {
        let request = Outgoing::post(Some(target), serde_json::to_vec(&body).unwrap());
        let request = request.signed_by(&server.signer, now());
        server.refused(&request, 400, SERIALIZATION, |m| !m.is_empty());
    }
}

#[test]
fn attribute_values_breaking_dynamodb_rules_are_validation_errors() {
    let server = Server::new().with_kept_item();
    let item = |extra: Value| {
        let mut item = json!({"id": {"S": "victim"}});
        item.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"TableName": TABLE, "Item": item})
    };
    let cases = [
        item(json!({"s": {"SS": []}})),
        item(json!({"s": {"NS": []}})),
        item(json!({"s": {"BS": []}})),
        item(json!({"s": {"SS": ["a", "a"]}})),
        item(json!({"n": {"N": "not a number"}})),
        item(json!({"n": {"N": "1e126"}})),
        item(json!({"two": {"S": "a", "N": "1"}})),
        item(json!({"none": {}})),
        json!({"TableName": TABLE, "Item": {"id": {"S": ""}}}),
        json!({"TableName": TABLE, "Item": {"id": {"N": "1"}}}),
        json!({"TableName": TABLE, "Item": {"other": {"S": "x"}}}),
        json!({"TableName": "", "Item": {"id": {"S": "victim"}}}),
    ];
    for body in cases {
        let request = Outgoing::post(Some("PutItem"), serde_json::to_vec(&body).unwrap());
        let request = request.signed_by(&server.signer, now());
        server.refused(&request, 400, VALIDATION, |m| !m.is_empty());
    }
    let empty_set = Outgoing::post(
        Some("PutItem"),
        serde_json::to_vec(&item(json!({"s": {"SS": []}}))).unwrap(),
    );
    let message = json_of(&server.send(&empty_set.signed_by(&server.signer, now())))["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("empty"), "{message}");
    let delete = json!({"TableName": TABLE, "Key": {"id": {"S": "kept"}, "extra": {"S": "x"}}});
    let request = Outgoing::post(Some("DeleteItem"), serde_json::to_vec(&delete).unwrap());
    server.refused(&request.signed_by(&server.signer, now()), 400, VALIDATION, |m| !m.is_empty());
}

#[test]
fn unknown_missing_and_unbuilt_operations_are_named() {
    let server = Server::new().with_kept_item();
    let put = serde_json::to_vec(&json!({"TableName": TABLE, "Item": {"id": {"S": "victim"}}}));
    let put = put.unwrap();
    let send = |target: Option<&str>, expected: &str| {
        let request = Outgoing::post(target, put.clone()).signed_by(&server.signer, now());
        server.refused(&request, 400, UNKNOWN_OPERATION, |m| m == expected);
    };
    send(Some("Frobnicate"), "Unknown operation: Frobnicate");
    send(Some("DynamoDB_20120810.putitem"), "Unknown operation: putitem");
    send(Some("DynamoDB_20111205.PutItem"), "Unknown operation: DynamoDB_20111205.PutItem");
    send(
        Some("DynamoDBStreams_20120810.PutRecord"),
        "Unknown operation: DynamoDBStreams_20120810.PutRecord",
    );
    send(None, "Missing X-Amz-Target header");
    for operation in ["ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"] {
        let expected = format!("{operation} is not supported by this version of Basalt yet");
        send(Some(operation), &expected);
    }
}

#[test]
fn bad_signatures_are_refused() {
    let server = Server::new().with_kept_item();
    let signed = || server.put_victim().signed_by(&server.signer, now());
    // The body changed after signing.
    let mut tampered = signed();
    tampered.body.extend_from_slice(b" ");
    server.refused(&tampered, 400, INVALID_SIGNATURE, |m| m == MISMATCH);
    // A header changed after signing.
    let mut tampered = signed();
    tampered.headers.retain(|(n, _)| n != "x-amz-target");
    tampered.headers.push(("x-amz-target".into(), b"DynamoDB_20120810.DeleteItem".to_vec()));
    server.refused(&tampered, 400, INVALID_SIGNATURE, |m| m == MISMATCH);
    // The wrong secret.
    let wrong = Signer::new(ACCESS_KEY_ID, "not-the-secret", REGION);
    server.refused(&server.put_victim().signed_by(&wrong, now()), 400, INVALID_SIGNATURE, |m| {
        m == MISMATCH
    });
    // An unknown key.
    let stranger = Signer::new("AKIDSTRANGER", SECRET, REGION);
    let request = server.put_victim().signed_by(&stranger, now());
    server.refused(&request, 400, UNRECOGNIZED_CLIENT, |m| {
        m == "The security token included in the request is invalid."
    });
    // No signature at all.
    server.refused(&server.put_victim(), 400, MISSING_TOKEN, |m| {
        m == "Request is missing Authentication Token"
    });
    let basic = server.put_victim().header("authorization", "Basic dXNlcjpwYXNz");
    server.refused(&basic, 400, MISSING_TOKEN, |m| m == "Request is missing Authentication Token");
}

#[test]
fn stale_and_future_dates_are_refused() {
    let server = Server::new().with_kept_item();
    let sixteen_minutes = Duration::from_secs(16 * 60);
    let stale = server.put_victim().signed_by(&server.signer, now() - sixteen_minutes);
    server.refused(&stale, 400, INVALID_SIGNATURE, |m| {
        m == "Signature expired: 20240101T114400Z is now earlier than 20240101T114500Z \
              (20240101T120000Z - 15 min.)"
    });
    let future = server.put_victim().signed_by(&server.signer, now() + sixteen_minutes);
    server.refused(&future, 400, INVALID_SIGNATURE, |m| {
        m.starts_with("Signature not yet current: 20240101T121600Z is still later than")
    });
    // Just inside the window both ways: accepted.
    let fourteen_minutes = Duration::from_secs(14 * 60);
    for at in [now() - fourteen_minutes, now() + fourteen_minutes] {
        let request = Outgoing::post(Some("ListTables"), "{}").signed_by(&server.signer, at);
        assert_eq!(server.send(&request).status, 200);
    }
}
