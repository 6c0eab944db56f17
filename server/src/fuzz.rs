//! The fuzz target `request_decode`: whole HTTP requests built from untrusted bytes, through
//! [`Handler::handle_at`], as a client on the wire could send them.
//!
//! An input is four control bytes and a body:
//!
//! | byte | picks |
//! |---|---|
//! | 0 | the method: mostly `POST`, sometimes `GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE` |
//! | 1 | the `X-Amz-Target`: one of [`TARGETS`] (implemented, not built, unknown or missing) |
//! | 2 | `Content-Encoding` (bits 0–2; the body is really compressed for gzip and both deflates), its value when it only claims one (bits 3–4), `Accept-Encoding` (bits 5–6), `x-amz-content-sha256: UNSIGNED-PAYLOAD` (bit 7) |
//! | 3 | the signature (bits 0–2): made by [`Signer`] most of the time, else left off, garbled at a position (bits 3–7) or without its date |
//!
//! The checks: never a panic; a status in {200, 400, 405, 413} (a 500 is an
//! `InternalServerError`, which a healthy store must never answer); every error body a JSON
//! object whose string `__type` contains `#`; `x-amz-crc32` the CRC-32 of the body as sent, on
//! every `POST` answer and every error; `Content-Type` on every `POST` answer; a gzipped
//! body that gunzips to JSON; and a refused `POST` leaving the fuzzed table's item count and
//! size as they were.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use basalt::api::{DbError, DescribeTableInput};
use basalt::core::{Durability, Options};
use basalt::db::fuzz::{fuzz_setup, FUZZ_TABLE};
use basalt::{Db, DbOptions};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;

use crate::dispatch::TARGET_PREFIX;
use crate::handler::{Auth, Handler, Request, Response};
use crate::sigv4::Signer;

/// The targets byte 1 chooses from: every implemented operation, some not built yet, unknown
/// names, a wrong prefix, DynamoDB Streams, and none at all (`None`).
pub const TARGETS: &[Option<&str>] = &[
    Some("DynamoDB_20120810.PutItem"),
    Some("DynamoDB_20120810.GetItem"),
    Some("DynamoDB_20120810.DeleteItem"),
    Some("DynamoDB_20120810.CreateTable"),
    Some("DynamoDB_20120810.DeleteTable"),
    Some("DynamoDB_20120810.DescribeTable"),
    Some("DynamoDB_20120810.ListTables"),
    Some("DynamoDB_20120810.UpdateTable"),
    Some("DynamoDB_20120810.TagResource"),
    Some("DynamoDB_20120810.UntagResource"),
    Some("DynamoDB_20120810.ListTagsOfResource"),
    Some("DynamoDB_20120810.DescribeLimits"),
    Some("DynamoDB_20120810.DescribeEndpoints"),
    Some("DynamoDB_20120810.UpdateItem"),
    Some("DynamoDB_20120810.Query"),
    Some("DynamoDB_20120810.Scan"),
    Some("DynamoDB_20120810.BatchWriteItem"),
    Some("DynamoDB_20120810.TransactWriteItems"),
    Some("DynamoDB_20120810.BatchGetItem"),
    Some("DynamoDB_20120810.TransactGetItems"),
    Some("DynamoDB_20120810.ExecuteStatement"),
    Some("DynamoDB_20120810.Frobnicate"),
    Some("DynamoDB_20120810."),
    Some("DynamoDB_20111205.PutItem"),
    Some("DynamoDBStreams_20120810.ListStreams"),
    Some("PutItem"),
    None,
];

/// The server's clock for every fuzzed request (any key is accepted, so the time is free).
const NOW_SECONDS: u64 = 1_704_110_400;

/// A handler over a database in `dir` (no syncing: a fuzz run need not be durable) holding
/// [`FUZZ_TABLE`], accepting any access key.
///
/// # Errors
/// The database failing to open or to create the table.
pub fn fuzz_handler(dir: &Path) -> Result<Handler, DbError> {
    let core = Options { durability: Durability::None, ..Options::default() };
    let db = Db::open_with(dir, DbOptions { core, ..DbOptions::default() })?;
    fuzz_setup(&db)?;
    Ok(Handler::new(Arc::new(db), Auth::AnyKey))
}

/// The bytes [`fuzz_request`] reads as a signed `POST` of `body` to `operation` (a bare name,
/// e.g. `PutItem`), with `encoding` as byte 2 (0: plain; 4: gzip; 5: zlib; 6: raw deflate).
pub fn fuzz_input(operation: &str, encoding: u8, body: &[u8]) -> Vec<u8> {
    let target = format!("{TARGET_PREFIX}{operation}");
    let index = TARGETS.iter().position(|t| *t == Some(target.as_str())).unwrap_or(0);
    let mut bytes = vec![31, u8::try_from(index).unwrap_or(0), encoding, 0];
    bytes.extend_from_slice(body);
    bytes
}

/// Runs one request made of `bytes` (layout in the [module docs](self)) and checks the answer.
///
/// # Panics
/// On a bug: a panic in the handler, an answer breaking the rules in the module docs.
pub fn fuzz_request(handler: &Handler, bytes: &[u8]) {
    fuzz_request_status(handler, bytes);
}

/// [`fuzz_request`], returning the answer's status (so tests can see what their inputs reach).
///
/// # Panics
/// As [`fuzz_request`].
pub fn fuzz_request_status(handler: &Handler, bytes: &[u8]) -> u16 {
    let control = |index: usize| bytes.get(index).copied().unwrap_or(0);
    let (method_byte, target_byte, encoding, auth) =
        (control(0), control(1), control(2), control(3));
    let raw_body = bytes.get(4..).unwrap_or_default();
    let method = match method_byte % 32 {
        0 => "GET",
        1 => "HEAD",
        2 => "OPTIONS",
        3 => "PUT",
        4 => "DELETE",
        _ => "POST",
    };
    let path = if method_byte & 0x20 == 0 { "/" } else { "/./x/.." };
    let target = TARGETS.get(usize::from(target_byte) % TARGETS.len()).copied().flatten();
    let mut headers = vec![("host".to_string(), b"localhost:8000".to_vec())];
    headers.push(("content-type".into(), b"application/x-amz-json-1.0".to_vec()));
    if let Some(target) = target {
        headers.push(("x-amz-target".into(), target.as_bytes().to_vec()));
    }
    let body = encode_body(encoding, raw_body, &mut headers);
    if let Some(accepted) = [None, Some("gzip"), Some("deflate, gzip;q=0.5"), Some("br")]
        .get(usize::from(encoding >> 5 & 3))
        .copied()
        .flatten()
    {
        headers.push(("accept-encoding".into(), accepted.as_bytes().to_vec()));
    }
    if encoding & 0x80 != 0 {
        headers.push(("x-amz-content-sha256".into(), b"UNSIGNED-PAYLOAD".to_vec()));
    }
    let now = UNIX_EPOCH + Duration::from_secs(NOW_SECONDS);
    sign(method, path, auth, &mut headers, &body, now);
    let before = table_state(handler.db());
    let view = crate::sigv4::header_view(&headers);
    let request = Request { method, path, query: None, headers: &view, body: &body };
    let response = handler.handle_at(&request, now);
    check_response(method, &response);
    if method == "POST" && response.status != 200 {
        assert_eq!(table_state(handler.db()), before, "a refused request changed the table");
    }
    if table_state(handler.db()).is_none() {
        // Deleted by the input: bring it back for the next one (it may still be going away).
        match fuzz_setup(handler.db()) {
            Ok(()) | Err(DbError::ResourceInUse(_) | DbError::LimitExceeded(_)) => {}
            Err(error) => panic!("cannot recreate the fuzzed table: {error}"),
        }
    }
    response.status
}

/// The body as sent, compressed or labelled per byte 2; sets `Content-Encoding`.
fn encode_body(encoding: u8, body: &[u8], headers: &mut Vec<(String, Vec<u8>)>) -> Vec<u8> {
    let mut label = |value: &str| headers.push(("content-encoding".into(), value.into()));
    let compressed = match encoding & 7 {
        4 => {
            label("gzip");
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(body).and_then(|()| encoder.finish())
        }
        5 => {
            label("deflate");
            let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(body).and_then(|()| encoder.finish())
        }
        6 => {
            label("deflate");
            let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(body).and_then(|()| encoder.finish())
        }
        7 => {
            // Claimed, not applied: the body must fail to decode (or be taken as it is).
            let claimed = ["gzip", "deflate", "br", " Identity "];
            label(claimed.get(usize::from(encoding >> 3 & 3)).copied().unwrap_or("gzip"));
            return body.to_vec();
        }
        _ => return body.to_vec(),
    };
    compressed.expect("compressing into memory")
}

/// Signs per the auth byte: mostly properly, else not at all, garbled, or without a date.
fn sign(
    method: &str,
    path: &str,
    auth: u8,
    headers: &mut Vec<(String, Vec<u8>)>,
    body: &[u8],
    now: SystemTime,
) {
    let choice = auth & 7;
    if choice == 5 {
        return;
    }
    let signer = Signer::new("AKIDFUZZ", "fuzz-secret", "us-east-1");
    signer.sign(method, path, None, headers, body, now);
    match choice {
        6 => {
            let Some((_, value)) = headers.iter_mut().find(|(n, _)| n == "authorization") else {
                return;
            };
            let position = usize::from(auth >> 3) * value.len() / 32;
            if let Some(byte) = value.get_mut(position) {
                *byte = [b'/', b',', b'=', b' ', 0xff][usize::from(auth >> 3) % 5];
            } else {
                value.truncate(position);
            }
        }
        7 => headers.retain(|(n, _)| n != "x-amz-date"),
        _ => {}
    }
}

/// The fuzzed table's item count and size, if it exists.
fn table_state(db: &Db) -> Option<(i64, i64)> {
    let input = DescribeTableInput { table_name: Some(FUZZ_TABLE.into()) };
    db.describe_table(input).ok().map(|d| (d.table.item_count, d.table.table_size_bytes))
}

fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    let (_, value) = response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    Some(value)
}

/// The rules every answer keeps (listed in the [module docs](self)).
fn check_response(method: &str, response: &Response) {
    let shown = || String::from_utf8_lossy(&response.body).into_owned();
    assert!(
        matches!(response.status, 200 | 400 | 405 | 413),
        "{method}: status {} ({})",
        response.status,
        shown()
    );
    let crc = header(response, "x-amz-crc32");
    if method == "POST" || response.status != 200 {
        assert!(crc.is_some(), "{method} {}: no x-amz-crc32", response.status);
    }
    if let Some(crc) = crc {
        assert_eq!(crc, crc32fast::hash(&response.body).to_string(), "x-amz-crc32");
    }
    if method == "POST" {
        let content_type = header(response, "Content-Type");
        assert_eq!(content_type, Some("application/x-amz-json-1.0"), "Content-Type");
    }
    let mut body = response.body.clone();
    if header(response, "Content-Encoding") == Some("gzip") {
        let mut plain = Vec::new();
        let gunzipped = flate2::read::GzDecoder::new(&response.body[..]).read_to_end(&mut plain);
        assert!(gunzipped.is_ok(), "a gzipped answer that does not gunzip");
        body = plain;
    }
    if response.status == 200 && method != "POST" {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|error| {
        panic!("{method} {}: not JSON ({error}): {}", response.status, shown())
    });
    assert!(json.is_object(), "not a JSON object: {json}");
    if response.status != 200 {
        let type_uri = json.get("__type").and_then(serde_json::Value::as_str);
        assert!(type_uri.is_some_and(|t| t.contains('#')), "a bad __type: {json}");
    }
}
