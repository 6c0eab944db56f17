//! One HTTP request in, one HTTP response out, without sockets: the part of the server that
//! tests and the fuzz target `request_decode` drive directly.
//!
//! Order of work, as DynamoDB's: CORS preflight and health check need no signature; a `POST`
//! is authenticated over the body as sent, then its body is decompressed, then the target is
//! dispatched. Every failure is answered with DynamoDB's error envelope.

use std::borrow::Cow;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use basalt::api::{DbError, ErrorCategory, WriteItemOutput};
use basalt::{Db, Deferred};
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::dispatch::{self, dispatch, Failure};
use crate::sigv4::{self, Credentials};

/// The largest request body accepted, compressed or not: DynamoDB's 16 MB request limit.
pub const REQUEST_BYTES_MAX: usize = 16 << 20;
/// Responses at least this long are gzip-compressed for clients that accept gzip.
pub const GZIP_MIN_BYTES: usize = 1024;

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const NS_SERVICE: &str = "com.amazon.coral.service#";

/// A request as the handler needs it.
#[derive(Debug)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path as received (percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Header names in lower case, with their values ([`sigv4::header_view`] borrows owned
    /// ones).
    pub headers: &'a [sigv4::Header<'a>],
    /// The body as received.
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The first value of header `name` (any case) as text, if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, value) = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        std::str::from_utf8(value).ok()
    }
}

/// A response: status, headers, body.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names (lower case, as HTTP/1.1 servers commonly send them and HTTP/2 requires)
    /// and values.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The body as sent (possibly gzip-compressed).
    pub body: Vec<u8>,
}

/// How requests are authenticated.
#[derive(Debug)]
pub enum Auth {
    /// Signatures are checked against these credentials.
    Verify(Credentials),
    /// Any access key is accepted (as DynamoDB Local does); a signature must still be present.
    AnyKey,
}

/// Answers requests for one database.
#[derive(Debug)]
pub struct Handler {
    db: Arc<Db>,
    auth: Auth,
    requests: AtomicU64,
    seed: u64,
}

impl Handler {
    /// A handler answering for `db`.
    pub fn new(db: Arc<Db>, auth: Auth) -> Handler {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        Handler { db, auth, requests: AtomicU64::new(0), seed }
    }

    /// The database.
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }

    /// Whether a write waits for the database's log (a `write` or `fdatasync` per group), and so
    /// must run off the reactor: every durability but `Durability::None`.
    pub fn log_waits(&self) -> bool {
        self.db.core().durability() != basalt::core::Durability::None
    }

    /// Answers one request.
    pub fn handle(&self, request: &Request<'_>) -> Response {
        self.handle_at(request, SystemTime::now())
    }

    /// Answers one request as if the time were `now` (signatures are checked against it).
    pub fn handle_at(&self, request: &Request<'_>, now: SystemTime) -> Response {
        match self.begin_at(request, now) {
            Begun::Answered(response) => response,
            Begun::Writing(writing) => {
                let outcome = writing.deferred.wait();
                self.written(request, writing.id, outcome)
            }
        }
    }

    /// Starts answering one request without waiting for the log: the answer, or a single-item
    /// write applied and waiting to be durable, whose outcome goes to [`Handler::written`].
    pub fn begin(&self, request: &Request<'_>) -> Begun {
        self.begin_at(request, SystemTime::now())
    }

    /// [`Handler::begin`] as if the time were `now`.
    pub fn begin_at(&self, request: &Request<'_>, now: SystemTime) -> Begun {
        let id = self.request_id();
        let response = match request.method {
            "OPTIONS" => preflight(request),
            "GET" | "HEAD" if request.path == "/" => health(request.method),
            "POST" => match self.post(request, now) {
                Posted::Answered(response) => response,
                Posted::Writing(deferred) => {
                    return Begun::Writing(Box::new(Writing { id, deferred }));
                }
            },
            _ => finish(
                request,
                error_response(405, &format!("{NS_SERVICE}UnknownOperationException"), None),
            ),
        };
        Begun::Answered(stamp(response, id))
    }

    /// The response to a single-item write [`Handler::begin`] started, once its `outcome` is
    /// known (the write durable and visible, or failed).
    pub fn written(
        &self,
        request: &Request<'_>,
        id: String,
        outcome: Result<WriteItemOutput, DbError>,
    ) -> Response {
        let response = match outcome {
            Ok(output) => {
                let json = serde_json::to_vec(&output).expect("responses serialize");
                Response { status: 200, headers: Vec::new(), body: json }
            }
            Err(error) => db_error(&error),
        };
        stamp(finish(request, response), id)
    }

    fn post(&self, request: &Request<'_>, now: SystemTime) -> Posted {
        let body = match self.authenticated_body(request, now) {
            Ok(body) => body,
            Err(response) => return Posted::Answered(finish(request, response)),
        };
        let target = request.header("x-amz-target");
        let answer = if dispatch::defers(target) {
            match dispatch::start_write(&self.db, target, &body) {
                Ok(deferred) => return Posted::Writing(deferred),
                Err(failure) => Err(failure),
            }
        } else {
            dispatch(&self.db, target, &body)
        };
        let response = match answer {
            Ok(json) => Response { status: 200, headers: Vec::new(), body: json },
            Err(Failure::Db(error)) => db_error(&error),
            Err(Failure::UnknownOperation(message)) => error_response(
                400,
                &format!("{NS_SERVICE}UnknownOperationException"),
                Some(&message),
            ),
        };
        Posted::Answered(finish(request, response))
    }

    /// The request's body, decompressed, once it is within bounds and authenticated; else the
    /// error response.
    fn authenticated_body(
        &self,
        request: &Request<'_>,
        now: SystemTime,
    ) -> Result<Vec<u8>, Response> {
        if request.body.len() > REQUEST_BYTES_MAX {
            return Err(too_large());
        }
        let parts = sigv4::RequestParts {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
        };
        let mode = match &self.auth {
            Auth::Verify(credentials) => sigv4::Mode::Verify(credentials),
            Auth::AnyKey => sigv4::Mode::AcceptAnyKey,
        };
        if let Err(error) = sigv4::authenticate(&parts, mode, now) {
            let type_uri = format!("{NS_SERVICE}{}", error.name);
            return Err(error_response(400, &type_uri, Some(&error.message)));
        }
        decompress(request.header("content-encoding"), request.body)
    }

    /// A request id in DynamoDB's shape: 52 characters of `[0-9A-Z]`.
    fn request_id(&self) -> String {
        // ORDERING: Relaxed: a counter that only has to be unique.
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let mut state = self.seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut id = [0_u8; 52];
        // One 64-bit mix gives 12 base-36 digits (36^12 < 2^64); five give the 52.
        for chunk in id.chunks_mut(12) {
            state ^= state >> 33;
            state = state.wrapping_mul(0xff51_afd7_ed55_8ccd);
            state ^= state >> 29;
            let mut digits = state;
            for slot in chunk {
                *slot = alphabet[(digits % 36) as usize];
                digits /= 36;
            }
        }
        std::str::from_utf8(&id).expect("base-36 digits are ASCII").to_owned()
    }
}

/// The headers every response carries: its request id and CORS's.
fn stamp(mut response: Response, id: String) -> Response {
    response.headers.push(("x-amzn-requestid", id.into()));
    response.headers.push(("access-control-allow-origin", "*".into()));
    response.headers.push((
        "access-control-expose-headers",
        "x-amzn-RequestId,x-amzn-ErrorType,x-amz-crc32,Date".into(),
    ));
    response
}

/// How a request begins: answered, or a single-item write waiting for the log.
#[derive(Debug)]
pub enum Begun {
    /// The complete response.
    Answered(Response),
    /// A write applied but not yet durable: await (or wait for) `deferred`, then pass its
    /// outcome and `id` to [`Handler::written`].
    Writing(Box<Writing>),
}

/// A single-item write [`Handler::begin`] started.
#[derive(Debug)]
pub struct Writing {
    /// The request's id, for its response.
    pub id: String,
    /// The write's answer, ready once it is durable and visible.
    pub deferred: Deferred<WriteItemOutput>,
}

#[allow(clippy::large_enum_variant, reason = "returned once per request and unpacked at once")]
enum Posted {
    Answered(Response),
    Writing(Deferred<WriteItemOutput>),
}

/// DynamoDB's error envelope for a database error: `__type` and `message`, and the members some
/// exceptions add (`Item`; `CancellationReasons`).
fn db_error(error: &DbError) -> Response {
    let status = match error.category() {
        ErrorCategory::Client => 400,
        ErrorCategory::Server => 500,
    };
    let mut body = serde_json::json!({ "__type": error.type_uri() });
    match error {
        DbError::TransactionCanceled { message, reasons } => {
            // DynamoDB spells this exception's message `Message`, as its model names the member.
            // botocore and the JavaScript SDKs read `message`, else `Message` (the SDK v3 then
            // keeps it as `err.message` only); the SDK v3 sets `err.CancellationReasons`.
            body["Message"] = serde_json::Value::from(message.as_str());
            body["CancellationReasons"] = serde_json::to_value(reasons).expect("reasons serialize");
        }
        DbError::ConditionalCheckFailed { item, .. } => {
            body["message"] = serde_json::Value::from(error.message());
            if let Some(item) = item {
                body["Item"] = serde_json::to_value(item).expect("items serialize");
            }
        }
        _ => body["message"] = serde_json::Value::from(error.message()),
    }
    Response { status, headers: Vec::new(), body: serde_json::to_vec(&body).expect("JSON") }
}

/// `{"__type": type_uri, "message": message}` with `status`.
fn error_response(status: u16, type_uri: &str, message: Option<&str>) -> Response {
    let mut body = serde_json::json!({ "__type": type_uri });
    if let Some(message) = message {
        body["message"] = serde_json::Value::from(message);
    }
    Response { status, headers: Vec::new(), body: serde_json::to_vec(&body).expect("JSON") }
}

/// A complete error response for a request the handler never saw (the network layer's own
/// failures): DynamoDB's envelope, content type and CRC, uncompressed.
pub fn standalone_error(status: u16, type_uri: &str, message: &str) -> Response {
    let mut response = error_response(status, type_uri, Some(message));
    response.headers.push(("x-amz-crc32", crc32fast::hash(&response.body).to_string().into()));
    response.headers.push(("content-type", CONTENT_TYPE.into()));
    response
}

fn too_large() -> Response {
    let message = format!("Request body exceeds the limit of {REQUEST_BYTES_MAX} bytes");
    error_response(413, &format!("{NS_SERVICE}SerializationException"), Some(&message))
}

/// The request body decoded per its `Content-Encoding`, bounded by [`REQUEST_BYTES_MAX`].
fn decompress(encoding: Option<&str>, body: &[u8]) -> Result<Vec<u8>, Response> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    let reader: Box<dyn Read + '_> = match encoding.as_deref() {
        None | Some("" | "identity") => return Ok(body.to_vec()),
        Some("gzip" | "x-gzip") => Box::new(GzDecoder::new(body)),
        // HTTP's "deflate" is zlib-wrapped; some clients send raw deflate.
        Some("deflate") if body.first().is_some_and(|b| b & 0x0F == 8) => {
            Box::new(ZlibDecoder::new(body))
        }
        Some("deflate") => Box::new(DeflateDecoder::new(body)),
        Some(other) => {
            let message = format!("Unsupported Content-Encoding: {other}");
            let type_uri = format!("{NS_SERVICE}SerializationException");
            return Err(error_response(400, &type_uri, Some(&message)));
        }
    };
    let mut out = Vec::new();
    let limit = REQUEST_BYTES_MAX as u64 + 1;
    match reader.take(limit).read_to_end(&mut out) {
        Ok(_) if out.len() > REQUEST_BYTES_MAX => Err(too_large()),
        Ok(_) => Ok(out),
        Err(error) => {
            let message = format!("Request body does not decompress: {error}");
            Err(error_response(400, &format!("{NS_SERVICE}SerializationException"), Some(&message)))
        }
    }
}

/// Adds the content type and CRC, compressing first when the client accepts gzip.
fn finish(request: &Request<'_>, mut response: Response) -> Response {
    let accepts_gzip = request.header("accept-encoding").is_some_and(accepts_gzip);
    if accepts_gzip && response.body.len() >= GZIP_MIN_BYTES {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        std::io::Write::write_all(&mut encoder, &response.body).expect("writing to memory");
        response.body = encoder.finish().expect("writing to memory");
        response.headers.push(("content-encoding", "gzip".into()));
    }
    // The checksum covers the bytes as sent, compressed or not (the JavaScript SDK v2 checks).
    response.headers.push(("x-amz-crc32", crc32fast::hash(&response.body).to_string().into()));
    response.headers.push(("content-type", CONTENT_TYPE.into()));
    response
}

/// Whether an `Accept-Encoding` value accepts gzip: listed (any case) without `q=0`.
fn accepts_gzip(accepted: &str) -> bool {
    accepted.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name_is_gzip = parts.next().is_some_and(|name| name.eq_ignore_ascii_case("gzip"));
        let refused = parts.any(|parameter| {
            let parameter = parameter.replace(' ', "");
            parameter.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        name_is_gzip && !refused
    })
}

fn preflight(request: &Request<'_>) -> Response {
    let allowed = request
        .header("access-control-request-headers")
        .unwrap_or("content-type,x-amz-target,x-amz-date,authorization,x-amz-user-agent")
        .to_string();
    Response {
        status: 200,
        headers: vec![
            ("access-control-allow-methods", "GET,POST,OPTIONS".into()),
            ("access-control-allow-headers", allowed.into()),
            ("access-control-max-age", "172800".into()),
        ],
        body: Vec::new(),
    }
}

fn health(method: &str) -> Response {
    let body = if method == "HEAD" { Vec::new() } else { b"healthy: basalt".to_vec() };
    Response { status: 200, headers: vec![("content-type", "text/plain".into())], body }
}

#[cfg(test)]
mod tests {
    use basalt::api::{CancellationReason, DbError};
    use basalt::model::Item;
    use serde_json::json;

    use super::{accepts_gzip, db_error};

    #[test]
    fn accept_encoding() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("identity, GZIP;q=0.5"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("gzip; q=0.0, br"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip("x-gzip-ish"));
    }

    fn body_of(error: &DbError) -> serde_json::Value {
        let response = db_error(error);
        assert_eq!(response.status, 400);
        serde_json::from_slice(&response.body).expect("an error body is JSON")
    }

    #[test]
    fn transaction_canceled_lists_its_reasons_under_capital_message() {
        let stored = json!({ "pk": { "S": "a" }, "n": { "N": "1" } });
        let item: Item = serde_json::from_value(stored.clone()).expect("an item");
        let message = "Transaction cancelled, please refer cancellation reasons for specific \
                       reasons [None, ConditionalCheckFailed]";
        let error = DbError::TransactionCanceled {
            message: message.into(),
            reasons: vec![
                CancellationReason { code: Some("None".into()), ..CancellationReason::default() },
                CancellationReason {
                    item: Some(item),
                    code: Some("ConditionalCheckFailed".into()),
                    message: Some("The conditional request failed".into()),
                },
            ],
        };
        let expected = json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": message,
            "CancellationReasons": [
                { "Code": "None" },
                {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                    "Item": stored,
                },
            ],
        });
        assert_eq!(body_of(&error), expected);
    }

    #[test]
    fn other_errors_keep_lower_case_message() {
        let error = DbError::ConditionalCheckFailed {
            message: "The conditional request failed".into(),
            item: None,
        };
        let expected = json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
        });
        assert_eq!(body_of(&error), expected);
        let error = DbError::IdempotentParameterMismatch("reused".into());
        let body = body_of(&error);
        let type_uri = "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException";
        assert_eq!(body, json!({ "__type": type_uri, "message": "reused" }));
    }
}
