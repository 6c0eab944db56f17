//! The network side: accept connections, read each request (body bounded), answer it, write
//! the response; keep-alive; graceful shutdown. Requests that may block (batch and transaction
//! writes, control-plane changes, Scan) run on the blocking pool; reads run on the reactor;
//! single-item writes are applied on the reactor and await their durability there.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::dispatch;
use crate::handler::{
    standalone_error, Begun, Handler, Request, Response, Writing, REQUEST_BYTES_MAX,
};

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
    let owned = Owned {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
            .collect(),
        body,
    };
    let target = parts.headers.get("x-amz-target").and_then(|t| t.to_str().ok());
    if dispatch::defers(target) {
        // PutItem, DeleteItem, UpdateItem: applied here (a writer lock held for microseconds);
        // the answer waits for the log without blocking the reactor, woken by the storage
        // core's completer once the write is durable and visible.
        let request = owned.request();
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
    let log_waits = handler.log_waits();
    let run = move || handler.handle(&owned.request());
    let response = if dispatch::may_wait(target, log_waits) {
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

/// A request's parts, owned (so that they can move to the blocking pool).
struct Owned {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
}

impl Owned {
    fn request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// Runs `work` on the reactor, containing a panic as the blocking pool does (logged; `None`).
fn contained<T>(work: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .inspect_err(|_| tracing::error!("request handler panicked"))
        .ok()
}

fn to_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Full::new(Bytes::from(response.body))).unwrap_or_else(|_| {
        let mut fallback = hyper::Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

fn too_large_response() -> Response {
    let message = format!("Request body exceeds the limit of {REQUEST_BYTES_MAX} bytes");
    standalone_error(413, "com.amazon.coral.service#SerializationException", &message)
}

fn internal_error() -> Response {
    let type_uri = "com.amazonaws.dynamodb.v20120810#InternalServerError";
    standalone_error(500, type_uri, "Internal server error")
}
