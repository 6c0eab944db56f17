//! One keep-alive HTTP/1.1 connection to a DynamoDB endpoint, sending signed JSON requests.

use basalt_server::dispatch::TARGET_PREFIX;
use basalt_server::sigv4::Signer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::time::SystemTime;
use tokio::net::TcpStream;

/// The content type of DynamoDB's JSON 1.0 protocol.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Where to connect and how to sign.
#[derive(Clone)]
pub struct Endpoint {
    /// `host:port`, also the `Host` header.
    pub authority: String,
    /// Access key id of the signature.
    pub access_key_id: String,
    /// Secret access key of the signature.
    pub secret_access_key: String,
    /// Region of the signature's scope.
    pub region: String,
}

/// The answer to one request.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body (JSON).
    pub body: Bytes,
}

impl Answer {
    /// Whether the status is 200.
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// A short description for error reports: status, then the start of the body.
    pub fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        format!("HTTP {}: {}", self.status, text.chars().take(300).collect::<String>())
    }

    /// Whether the body contains `needle` (a cheap check of a JSON field's presence).
    pub fn contains(&self, needle: &[u8]) -> bool {
        self.body.windows(needle.len()).any(|w| w == needle)
    }
}

/// A keep-alive connection; reconnects on the next request after a failure.
pub struct Connection {
    endpoint: Endpoint,
    signer: Signer,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    /// A connection to `endpoint`, opened on the first request.
    pub fn new(endpoint: &Endpoint) -> Self {
        let signer =
            Signer::new(&endpoint.access_key_id, &endpoint.secret_access_key, &endpoint.region);
        Self { endpoint: endpoint.clone(), signer, sender: None }
    }

    /// Opens the TCP connection (with `TCP_NODELAY`) and runs its HTTP/1.1 state machine on a
    /// task.
    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_some_and(|s| s.is_closed()) {
            self.sender = None;
        }
        if self.sender.is_some() {
            return self.sender.as_mut().ok_or_else(String::new);
        }
        let stream = TcpStream::connect(&self.endpoint.authority)
            .await
            .map_err(|e| format!("connect to {}: {e}", self.endpoint.authority))?;
        stream.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        tokio::spawn(async move {
            // The error, if any, shows on the next request as a closed sender.
            let _ = connection.await;
        });
        Ok(self.sender.insert(sender))
    }

    /// Sends `operation` (e.g. `GetItem`) with `body` and reads the whole answer. A transport
    /// error drops the connection (the next call reconnects) and is returned as text.
    pub async fn call(&mut self, operation: &str, body: String) -> Result<Answer, String> {
        let target = format!("{TARGET_PREFIX}{operation}");
        let mut headers = vec![
            ("host".to_string(), self.endpoint.authority.clone().into_bytes()),
            ("content-type".to_string(), CONTENT_TYPE.as_bytes().to_vec()),
            ("x-amz-target".to_string(), target.into_bytes()),
        ];
        self.signer.sign("POST", "/", None, &mut headers, body.as_bytes(), SystemTime::now());
        let mut request = Request::post("/");
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_slice());
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("building the request: {e}"))?;
        let result = self.send(request).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    /// Sends `GET /` (unsigned, no body) and reads the whole answer; errors as for `call`.
    pub async fn get_root(&mut self) -> Result<Answer, String> {
        let request = Request::get("/")
            .header("host", self.endpoint.authority.as_str())
            .body(Full::new(Bytes::new()))
            .map_err(|e| format!("building the request: {e}"))?;
        let result = self.send(request).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Answer, String> {
        let sender = self.connect().await?;
        sender.ready().await.map_err(|e| format!("connection: {e}"))?;
        let response = sender.send_request(request).await.map_err(|e| format!("request: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("response body: {e}"))?
            .to_bytes();
        Ok(Answer { status, body })
    }
}
