//! The network side: accept connections, read each request (body bounded), answer it, write
//! the response; keep-alive; graceful shutdown. Requests that may block (batch and transaction
//! writes, control-plane changes, Scan) run on the blocking pool; reads run on the reactor;
//! single-item writes are applied on the reactor and await their durability there.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::dispatch;
use crate::handler::{
    standalone_error, Begun, Handler, Request, Response, Writing, REQUEST_BYTES_MAX,
};
use crate::sigv4::Header;

/// How long shutdown waits for requests in flight before closing their connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `listener` until `shutdown` completes, then stops accepting, lets the requests in
/// flight finish (up to 30 s) and returns.
pub async fn serve(
    listener: TcpListener,
    handler: Arc<Handler>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let service = service_fn(move |request| answer(handler.clone(), request));
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all requests finished"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("closing connections with requests still in flight"),
    }
}

async fn answer(
    handler: Arc<Handler>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, REQUEST_BYTES_MAX).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            // Too large, or the connection failed mid-body: answer with the size error (an
            // over-long body is the only case a client can still read the answer of).
            return Ok(to_hyper(too_large_response()));
        }
    };
    let target = parts.headers.get("x-amz-target").and_then(|t| t.to_str().ok());
    if dispatch::defers(target) {
        // PutItem, DeleteItem, UpdateItem: applied here (a writer lock held for microseconds);
        // the answer waits for the log without blocking the reactor, woken by the storage
        // core's completer once the write is durable and visible.
        let headers = headers_of(&parts);
        let request = request_of(&parts, &headers, &body);
        let response = match contained(|| handler.begin(&request)) {
            Some(Begun::Answered(response)) => response,
            Some(Begun::Writing(writing)) => {
                let Writing { id, deferred } = *writing;
                let outcome = deferred.await;
                contained(|| handler.written(&request, id, outcome)).unwrap_or_else(internal_error)
            }
            None => internal_error(),
        };
        return Ok(to_hyper(response));
    }
    let may_wait = dispatch::may_wait(target, handler.log_waits());
    // Owned by the closure, so that it can move to the blocking pool.
    let run = move || {
        let headers = headers_of(&parts);
        handler.handle(&request_of(&parts, &headers, &body))
    };
    let response = if may_wait {
        // Writes that wait for the log (group commit, write, fsync) as a whole: off the
        // reactor, on the blocking pool.
        tokio::task::spawn_blocking(run).await.unwrap_or_else(|error| {
            tracing::error!(%error, "request handler panicked");
            internal_error()
        })
    } else {
        // Reads take no lock a writer holds and make no system call (lock-free snapshots over
        // memory and mapped files): they run here, which saves two thread hand-offs per request.
        contained(run).unwrap_or_else(internal_error)
    };
    Ok(to_hyper(response))
}

/// The request's headers as the handler reads them, borrowed from hyper's (whose names are
/// lower case).
fn headers_of(parts: &hyper::http::request::Parts) -> Vec<Header<'_>> {
    parts.headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect()
}

/// The handler's view of a request.
fn request_of<'a>(
    parts: &'a hyper::http::request::Parts,
    headers: &'a [Header<'a>],
    body: &'a [u8],
) -> Request<'a> {
    Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers,
        body,
    }
}

/// Runs `work` on the reactor, containing a panic as the blocking pool does (logged; `None`).
fn contained<T>(work: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .inspect_err(|_| tracing::error!("request handler panicked"))
        .ok()
}

fn to_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut answer = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *answer.status_mut() = hyper::StatusCode::from_u16(response.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = answer.headers_mut();
    headers.reserve(response.headers.len());
    for (name, value) in response.headers {
        // The handler's names are lower-case literals. A value is checked: one with a control
        // character could only come from a request header echoed back, and is left out.
        let name = HeaderName::from_static(name);
        let value = match value {
            Cow::Borrowed(text) => Ok(HeaderValue::from_static(text)),
            Cow::Owned(text) => HeaderValue::try_from(text),
        };
        match value {
            Ok(value) => drop(headers.append(name, value)),
            Err(_) => tracing::warn!(%name, "response header value left out: not a valid value"),
        }
    }
    answer
}

fn too_large_response() -> Response {
    let message = format!("Request body exceeds the limit of {REQUEST_BYTES_MAX} bytes");
    standalone_error(413, "com.amazon.coral.service#SerializationException", &message)
}

fn internal_error() -> Response {
    let type_uri = "com.amazonaws.dynamodb.v20120810#InternalServerError";
    standalone_error(500, type_uri, "Internal server error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::Auth;

    /// Every kind of answer the handler gives converts, with all its headers: the names are
    /// valid lower-case literals and the values valid header values.
    #[test]
    fn every_kind_of_answer_converts_with_its_headers() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = Arc::new(basalt::Db::open(dir.path()).expect("a database"));
        let handler = Handler::new(db, Auth::AnyKey);
        let gzip = ("accept-encoding", b"gzip".as_slice());
        let echo = ("access-control-request-headers", b"x-amz-target,\xc3\xa9".as_slice());
        let target = ("x-amz-target", b"DynamoDB_20120810.ListTables".as_slice());
        let cases: [(&str, &[Header<'_>], &[u8]); 5] = [
            ("GET", &[], b""),
            ("OPTIONS", &[echo], b""),
            ("POST", &[target], b"{}"),
            ("POST", &[target, gzip], &[b' '; 2048]),
            ("DELETE", &[], b""),
        ];
        for (method, headers, body) in cases {
            let request = Request { method, path: "/", query: None, headers, body };
            let response = handler.handle(&request);
            let count = response.headers.len();
            let converted = to_hyper(response);
            assert_eq!(converted.headers().len(), count, "{method} {headers:?}");
        }
    }
}
