//! AWS Signature Version 4 verification, as DynamoDB applies it.
//!
//! [`authenticate`] takes a request as plain parts ([`RequestParts`]: no hyper types, so tests
//! and fuzz targets can call it directly), a [`Mode`] and the current time, and either names
//! the caller ([`Identity`]) or returns the DynamoDB exception to answer with ([`AuthError`];
//! every one is HTTP 400 in the `com.amazon.coral.service#` namespace).
//!
//! # Forms
//!
//! - *Header form*: `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
//!   Signature=…`, with the time in `X-Amz-Date` (or, failing that, `Date`), both in ISO 8601
//!   basic format (`20240101T000000Z`).
//! - *Query form* (presigned): `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//!   `X-Amz-SignedHeaders`, `X-Amz-Signature` and optionally `X-Amz-Expires` (seconds, at most
//!   604800) and `X-Amz-Security-Token` in the query string. The canonical query string holds
//!   every parameter except `X-Amz-Signature`. The payload hash is `x-amz-content-sha256` when
//!   that header is present, otherwise either the body's SHA-256 or `UNSIGNED-PAYLOAD` is
//!   accepted (SDKs use both).
//!
//! In the header form the payload hash is the body's SHA-256, or `x-amz-content-sha256` when
//! present; that header must be `UNSIGNED-PAYLOAD` or the body's actual hash.
//!
//! # Checks, in order
//!
//! The order follows DynamoDB's observed behaviour (and `dynalite`, which copied it); messages
//! are DynamoDB's where they have been observed.
//!
//! 1. An `Authorization` header and `X-Amz-Algorithm` in the query at once:
//!    `InvalidSignatureException`.
//! 2. Neither form, or an `Authorization` header not starting with `AWS4-`:
//!    `MissingAuthenticationTokenException`.
//! 3. Missing `Credential`, `Signature`, `SignedHeaders` or date (or query parameters), a
//!    `key=value` pair without `=`, a bad `X-Amz-Expires`: `IncompleteSignatureException`.
//! 4. A date not in ISO 8601 basic format: `IncompleteSignatureException`.
//! 5. A date more than 15 minutes from now, or older than `X-Amz-Expires`:
//!    `InvalidSignatureException`.
//! 6. `host` not among the signed headers: `InvalidSignatureException`.
//! 7. An algorithm other than `AWS4-HMAC-SHA256`: `IncompleteSignatureException`.
//! 8. A credential not shaped `keyid/date/region/service/terminator` (trailing slashes
//!    ignored): `IncompleteSignatureException`.
//! 9. A region not matching `[a-z0-9-]+` (any such region is accepted: the server has no
//!    region of its own), a service other than `dynamodb`, a terminator other than
//!    `aws4_request`, a scope date other than the request's day: `InvalidSignatureException`,
//!    naming every failing part.
//! 10. An unknown access key id, or a session token other than the configured one:
//!     `UnrecognizedClientException`.
//! 11. `x-amz-content-sha256` neither `UNSIGNED-PAYLOAD` nor the body's hash:
//!     `InvalidSignatureException`.
//! 12. A signature mismatch (compared in constant time): `InvalidSignatureException`.
//!
//! [`Mode::AcceptAnyKey`] (DynamoDB Local's behaviour) runs checks 1–4, 7 and 8 only.
//!
//! # Canonical request
//!
//! As the SigV4 specification has it for services other than S3: the path is normalized (empty
//! and `.` segments dropped, `..` removes the previous segment) and then URI-encoded *as
//! received*, so an already percent-encoded path is encoded twice (`%20` → `%2520`); query
//! parameters are percent-decoded, re-encoded per RFC 3986 and sorted by name, then value
//! (`+` is a literal plus, not a space); each signed header's values are trimmed, runs of
//! whitespace collapse to one space, and repeated headers join with `,`. The signed headers are
//! taken in the order the client listed them (SDKs sort them, as the specification requires).
//! The `host` header is what the caller passes in `headers`; over HTTP/2 the caller must supply
//! it from `:authority`.
//!
//! # Signing
//!
//! [`Signer`] is the client side, sharing the canonical request code above: the header form,
//! every header the caller gives signed (names lower-cased and sorted), `X-Amz-Date` from the
//! clock passed in, the signing key derived once per day.
//!
//! # Credentials file
//!
//! [`Credentials::parse_file`] reads the AWS shared credentials format (`~/.aws/credentials`),
//! also accepting the config file's `[profile name]` headers:
//!
//! ```text
//! # comment lines start with '#' or ';'
//! [default]
//! aws_access_key_id = AKIDEXAMPLE
//! aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//!
//! [profile ci]
//! aws_access_key_id = AKIDCI
//! aws_secret_access_key = another-secret
//! aws_session_token = optional; when set, requests with this key must carry this token
//! region = us-east-1          # other keys are ignored
//! ```
//!
//! Every profile with both an access key id and a secret contributes one key; a profile with
//! neither is skipped; a profile with only one of them, a key outside a section, a line that is
//! not `key = value`, the same access key id with two different secrets, or a file without any
//! key is an error. A request carrying `X-Amz-Security-Token` is accepted for a key without a
//! configured session token.
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use basalt::time::{civil_from_days, days_from_civil, days_in_month};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name a credential scope must carry (for DynamoDB and DynamoDB Streams alike).
pub const SERVICE: &str = "dynamodb";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The payload hash a client may sign instead of the body's SHA-256.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// How far the request time may be from now, either way.
pub const CLOCK_SKEW_SECONDS_MAX: i64 = 15 * 60;
/// The largest `X-Amz-Expires` of a presigned request: one week.
pub const EXPIRES_SECONDS_MAX: u64 = 7 * 24 * 60 * 60;

/// Exception name: no signature at all.
pub const MISSING_AUTHENTICATION_TOKEN: &str = "MissingAuthenticationTokenException";
/// Exception name: a signature that is malformed or lacks parts.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
/// Exception name: a well-formed signature that is wrong, expired or badly scoped.
pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";
/// Exception name: an unknown access key id or session token.
pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
    signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
    service documentation for details.";

/// Access key ids and their secrets, as read from a shared credentials file.
#[derive(Clone, Default)]
pub struct Credentials {
    keys: BTreeMap<String, Secret>,
}

#[derive(Clone, PartialEq, Eq)]
struct Secret {
    secret_access_key: String,
    session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    /// Lists the access key ids only: secrets never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("access_key_ids", &self.keys.keys()).finish()
    }
}

impl Credentials {
    /// An empty set, which recognizes no key.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Adds (or replaces) a key without a session token.
    pub fn insert(&mut self, access_key_id: &str, secret_access_key: &str) {
        let secret = Secret { secret_access_key: secret_access_key.into(), session_token: None };
        self.keys.insert(access_key_id.into(), secret);
    }

    /// Parses an AWS shared credentials file (format in the [module docs](self)).
    ///
    /// # Errors
    ///
    /// A message naming the line or profile at fault when the text is not in that format, a
    /// profile is incomplete, one access key id has two secrets, or no key is defined.
    pub fn parse_file(text: &str) -> Result<Credentials, String> {
        let profiles = parse_profiles(text)?;
        let mut credentials = Credentials::new();
        for profile in profiles {
            let (id, secret) = match (profile.access_key_id, profile.secret) {
                (None, None) => continue,
                (Some(id), Some(secret)) => (id, secret),
                _ => {
                    return Err(format!(
                        "profile '{}' (line {}) needs both aws_access_key_id and \
                         aws_secret_access_key",
                        profile.name, profile.line
                    ))
                }
            };
            let session_token = profile.session_token;
            let secret = Secret { secret_access_key: secret, session_token };
            if let Some(previous) = credentials.keys.get(&id) {
                if *previous != secret {
                    return Err(format!(
                        "access key id '{id}' has two different secrets (second in profile '{}')",
                        profile.name
                    ));
                }
            }
            credentials.keys.insert(id, secret);
        }
        if credentials.keys.is_empty() {
            return Err("no profile with aws_access_key_id and aws_secret_access_key".into());
        }
        Ok(credentials)
    }

    /// The secret access key of `access_key_id`, if known.
    pub fn lookup(&self, access_key_id: &str) -> Option<&str> {
        self.keys.get(access_key_id).map(|s| s.secret_access_key.as_str())
    }

    /// The number of access keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no access key is known.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One `[section]` of a credentials file while it is parsed.
struct Profile {
    name: String,
    line: usize,
    access_key_id: Option<String>,
    secret: Option<String>,
    session_token: Option<String>,
}

fn parse_profiles(text: &str) -> Result<Vec<Profile>, String> {
    let mut profiles: Vec<Profile> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let inner = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("line {line}: section header without ']'"))?
                .trim();
            let name = inner.strip_prefix("profile ").map_or(inner, str::trim);
            if name.is_empty() {
                return Err(format!("line {line}: empty profile name"));
            }
            let (access_key_id, secret, session_token) = (None, None, None);
            profiles.push(Profile {
                name: name.into(),
                line,
                access_key_id,
                secret,
                session_token,
            });
            continue;
        }
        let (key, value) = trimmed
            .split_once('=')
            .ok_or_else(|| format!("line {line}: expected 'key = value'"))?;
        let profile = profiles
            .last_mut()
            .ok_or_else(|| format!("line {line}: '{}' outside any [profile]", key.trim()))?;
        let slot = match key.trim().to_ascii_lowercase().as_str() {
            "aws_access_key_id" => &mut profile.access_key_id,
            "aws_secret_access_key" => &mut profile.secret,
            "aws_session_token" => &mut profile.session_token,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("line {line}: '{}' given twice in one profile", key.trim()));
        }
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("line {line}: '{}' is empty", key.trim()));
        }
        *slot = Some(value.into());
    }
    Ok(profiles)
}

/// A request as received, before any decoding.
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    /// The method (`POST`, `GET`, …), exactly as received.
    pub method: &'a str,
    /// The path, percent-encoded as received (no query, no fragment).
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: Option<&'a str>,
    /// Header names (matched case-insensitively; lower case expected) with their values, in
    /// the order received; a repeated header appears once per occurrence.
    pub headers: &'a [Header<'a>],
    /// The body exactly as sent (still compressed if `Content-Encoding` says so).
    pub body: &'a [u8],
}

/// A request header as received: its name and its value's bytes.
pub type Header<'a> = (&'a str, &'a [u8]);

/// Borrows owned headers as [`Header`]s.
pub fn header_view(headers: &[(String, Vec<u8>)]) -> Vec<Header<'_>> {
    headers.iter().map(|(name, value)| (name.as_str(), value.as_slice())).collect()
}

/// How strictly [`authenticate`] checks.
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// Check everything, signatures included, against these keys.
    Verify(&'a Credentials),
    /// As DynamoDB Local: a well-formed signature must be present, but any key is accepted and
    /// neither the time, the scope nor the signature is checked.
    AcceptAnyKey,
}

/// Who signed a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The region from the credential scope.
    pub region: String,
}

/// Why a request is refused: a DynamoDB exception name and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// The exception name, e.g. `MissingAuthenticationTokenException`; the wire type is
    /// `com.amazon.coral.service#<name>`.
    pub name: &'static str,
    /// The message, worded as DynamoDB words it where known.
    pub message: String,
}

impl AuthError {
    fn new(name: &'static str, message: impl Into<String>) -> AuthError {
        AuthError { name, message: message.into() }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for AuthError {}

fn incomplete(message: impl Into<String>) -> AuthError {
    AuthError::new(INCOMPLETE_SIGNATURE, message)
}

fn invalid(message: impl Into<String>) -> AuthError {
    AuthError::new(INVALID_SIGNATURE, message)
}

/// Checks a request's SigV4 signature (rules and their order in the [module docs](self)).
///
/// `now` is the server's clock; the request time must be within 15 minutes of it.
///
/// # Errors
///
/// An [`AuthError`] carrying the DynamoDB exception name and message to answer with.
pub fn authenticate(
    parts: &RequestParts<'_>,
    mode: Mode<'_>,
    now: SystemTime,
) -> Result<Identity, AuthError> {
    let query = parse_query(parts.query.unwrap_or(""));
    let signed = extract(parts, &query)?;
    let request_seconds = parse_basic_date(&signed.date).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See \
             http://en.wikipedia.org/wiki/ISO_8601",
            signed.date
        ))
    })?;
    if let Mode::Verify(_) = mode {
        check_time(request_seconds, unix_seconds(now), signed.expires_seconds)?;
        if !signed.signed_headers.split(';').any(|name| name.eq_ignore_ascii_case("host")) {
            return Err(invalid("'Host' must be a 'SignedHeader' in the AWS Authorization."));
        }
    }
    if signed.algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
            signed.algorithm
        )));
    }
    let scope = Scope::parse(&signed.credential)?;
    let identity =
        Identity { access_key_id: scope.access_key_id.into(), region: scope.region.into() };
    let Mode::Verify(credentials) = mode else {
        return Ok(identity);
    };
    check_scope(&scope, &signed.date)?;
    let secret = credentials
        .keys
        .get(scope.access_key_id)
        .ok_or_else(|| AuthError::new(UNRECOGNIZED_CLIENT, INVALID_TOKEN))?;
    if let Some(expected) = &secret.session_token {
        if signed.session_token.as_deref() != Some(expected.as_str()) {
            return Err(AuthError::new(UNRECOGNIZED_CLIENT, INVALID_SESSION_TOKEN));
        }
    }
    let payload_hashes = payload_hashes(parts, signed.form)?;
    verify_signature(parts, &query, &signed, &scope, &secret.secret_access_key, &payload_hashes)?;
    Ok(identity)
}

/// Signs requests as the AWS SDKs do (header form, `AWS4-HMAC-SHA256`), for clients of the
/// server: the load generator, tests, fuzz targets.
///
/// The signing key is derived once per UTC day and kept (with its HMAC state), so one
/// signature costs two SHA-256 passes (body and canonical request) and one HMAC. A `Signer`
/// may be shared between threads; the cache sits behind a mutex held only to clone the state.
pub struct Signer {
    access_key_id: String,
    secret_access_key: String,
    region: String,
    /// The day (`YYYYMMDD`) the key was derived for, and an HMAC keyed with it.
    key: Mutex<Option<(String, HmacSha256)>>,
}

impl fmt::Debug for Signer {
    /// Leaves the secret out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for one key and region (service `dynamodb`).
    pub fn new(access_key_id: &str, secret_access_key: &str, region: &str) -> Signer {
        Signer {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            region: region.into(),
            key: Mutex::new(None),
        }
    }

    /// Signs a request in place.
    ///
    /// `headers` must hold `host` (the server refuses a signature without it); their names are
    /// lower-cased, any `authorization` and `x-amz-date` are replaced, `x-amz-date` is set from
    /// `now`, and every header is signed. The payload hash is the body's SHA-256, or the value of
    /// an `x-amz-content-sha256` header when one is given (e.g. `UNSIGNED-PAYLOAD`). `path` and
    /// `query` are as they will be sent (percent-encoded, query without `?`).
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &mut Vec<(String, Vec<u8>)>,
        body: &[u8],
        now: SystemTime,
    ) {
        let date = format_basic_date(unix_seconds(now));
        for (name, _) in headers.iter_mut() {
            name.make_ascii_lowercase();
        }
        headers.retain(|(name, _)| name != "authorization" && name != "x-amz-date");
        headers.push(("x-amz-date".into(), date.clone().into_bytes()));
        let mut names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let signed_headers = names.join(";");
        let view = header_view(headers);
        let payload_hash = match header(&view, "x-amz-content-sha256") {
            Some(claimed) => String::from_utf8_lossy(claimed).trim().to_owned(),
            None => hex::encode(Sha256::digest(body)),
        };
        let query = parse_query(query.unwrap_or(""));
        let parts = RequestParts { method, path, query: None, headers: &view, body };
        let canonical =
            canonical_request(&parts, &query, &signed_headers, Form::Header, &payload_hash);
        let scope = Scope {
            access_key_id: &self.access_key_id,
            date: date.get(..8).unwrap_or(&date),
            region: &self.region,
            service: SERVICE,
            terminator: TERMINATOR,
        };
        let mut mac = self.keyed_mac(&scope);
        mac.update(string_to_sign(&date, &scope.suffix(), &canonical).as_bytes());
        let authorization = format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers}, Signature={}",
            self.access_key_id,
            scope.suffix(),
            hex::encode(mac.finalize().into_bytes())
        );
        headers.push(("authorization".into(), authorization.into_bytes()));
    }

    /// An HMAC keyed with the signing key of `scope`'s day, derived on the first use that day.
    fn keyed_mac(&self, scope: &Scope<'_>) -> HmacSha256 {
        let mut cache = self.key.lock().unwrap_or_else(PoisonError::into_inner);
        match &*cache {
            Some((day, mac)) if day == scope.date => mac.clone(),
            _ => {
                let mac = hmac(&signing_key(&self.secret_access_key, scope));
                *cache = Some((scope.date.to_owned(), mac.clone()));
                mac
            }
        }
    }
}

const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
/// DynamoDB words the session-token failure without the final period (observed).
const INVALID_SESSION_TOKEN: &str = "The security token included in the request is invalid";

/// Where the signature was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Header,
    Query,
}

/// The signature's parameters, from either form.
#[derive(Debug)]
struct Signed {
    form: Form,
    algorithm: String,
    credential: String,
    signed_headers: String,
    signature: String,
    /// The request time as given (`X-Amz-Date`, `Date` or the query's `X-Amz-Date`).
    date: String,
    expires_seconds: Option<u64>,
    session_token: Option<String>,
}

/// Finds the signature's parameters, or says which are missing.
fn extract(parts: &RequestParts<'_>, query: &[QueryParam]) -> Result<Signed, AuthError> {
    let authorization = header(parts.headers, "authorization").map(String::from_utf8_lossy);
    let query_signed = query_value(query, "X-Amz-Algorithm").is_some()
        || query_value(query, "X-Amz-Signature").is_some();
    match authorization {
        Some(_) if query_signed => Err(invalid(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP \
             header.",
        )),
        Some(value) if value.trim_start().starts_with("AWS4-") => {
            extract_header_form(parts.headers, &value)
        }
        None if query_signed => extract_query_form(query),
        _ => Err(AuthError::new(
            MISSING_AUTHENTICATION_TOKEN,
            "Request is missing Authentication Token",
        )),
    }
}

fn extract_header_form(headers: &[Header<'_>], authorization: &str) -> Result<Signed, AuthError> {
    let trimmed = authorization.trim();
    let (algorithm, rest) = trimmed.split_once([' ', ',']).unwrap_or((trimmed, ""));
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // Split as bytes (the separators are ASCII, so each piece is whole UTF-8): a character
    // pattern decodes the header character by character, a sizeable part of a request's CPU.
    let pieces = rest.as_bytes().split(|b| matches!(b, b',' | b' ' | b'\t'));
    for pair in pieces.filter_map(|p| std::str::from_utf8(p).ok()).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(incomplete(format!(
                "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization \
                 header: '{authorization}'."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value.to_owned());
        }
    }
    let date = header(headers, "x-amz-date")
        .or_else(|| header(headers, "date"))
        .map(|v| String::from_utf8_lossy(v).trim().to_owned());
    let mut message = String::new();
    for (name, value) in
        [("Credential", &credential), ("Signature", &signature), ("SignedHeaders", &signed_headers)]
    {
        if value.is_none() {
            message.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    if date.is_none() {
        message.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    match (credential, signed_headers, signature, date) {
        (Some(credential), Some(signed_headers), Some(signature), Some(date)) => Ok(Signed {
            form: Form::Header,
            algorithm: algorithm.to_owned(),
            credential,
            signed_headers,
            signature,
            date,
            expires_seconds: None,
            session_token: header(headers, "x-amz-security-token")
                .map(|v| String::from_utf8_lossy(v).trim().to_owned()),
        }),
        _ => Err(incomplete(format!("{message}Authorization={authorization}"))),
    }
}

fn extract_query_form(query: &[QueryParam]) -> Result<Signed, AuthError> {
    let get = |name: &str| {
        query_value(query, name).filter(|v| !v.is_empty()).map(|v| String::from_utf8_lossy(v))
    };
    let names = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ];
    let mut message = String::new();
    for name in names {
        if get(name).is_none() {
            message.push_str(&format!("AWS query-string parameters must include '{name}'. "));
        }
    }
    let [Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)] =
        names.map(get)
    else {
        return Err(incomplete(format!("{message}Re-examine the query-string parameters.")));
    };
    let expires_seconds = match query_value(query, "X-Amz-Expires") {
        None => None,
        Some(raw) => Some(parse_expires(&String::from_utf8_lossy(raw))?),
    };
    Ok(Signed {
        form: Form::Query,
        algorithm: algorithm.into_owned(),
        credential: credential.into_owned(),
        signed_headers: signed_headers.into_owned(),
        signature: signature.into_owned(),
        date: date.into_owned(),
        expires_seconds,
        session_token: get("X-Amz-Security-Token").map(|v| v.into_owned()),
    })
}

/// `X-Amz-Expires`, with S3's messages (DynamoDB's are not known).
fn parse_expires(text: &str) -> Result<u64, AuthError> {
    let negative = text
        .strip_prefix('-')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    if negative {
        return Err(incomplete("X-Amz-Expires must be non-negative"));
    }
    let expires = match text.parse::<u64>() {
        Ok(seconds) if text.bytes().all(|b| b.is_ascii_digit()) => seconds,
        _ => return Err(incomplete("X-Amz-Expires should be a number")),
    };
    if expires > EXPIRES_SECONDS_MAX {
        return Err(incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {EXPIRES_SECONDS_MAX}"
        )));
    }
    Ok(expires)
}

/// The request time against now: 15 minutes either way, or `X-Amz-Expires` into the past.
fn check_time(request: i64, now: i64, expires_seconds: Option<u64>) -> Result<(), AuthError> {
    let latest = now.saturating_add(CLOCK_SKEW_SECONDS_MAX);
    if request > latest {
        return Err(invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_basic_date(request),
            format_basic_date(latest),
            format_basic_date(now)
        )));
    }
    let (window, window_text) = match expires_seconds {
        None => (CLOCK_SKEW_SECONDS_MAX, "15 min.".to_owned()),
        Some(seconds) => (i64::try_from(seconds).unwrap_or(i64::MAX), format!("{seconds} sec.")),
    };
    let earliest = now.saturating_sub(window);
    if request < earliest {
        return Err(invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - {window_text})",
            format_basic_date(request),
            format_basic_date(earliest),
            format_basic_date(now)
        )));
    }
    Ok(())
}

/// A credential `keyid/date/region/service/terminator`.
#[derive(Debug)]
struct Scope<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
}

impl<'a> Scope<'a> {
    fn parse(credential: &'a str) -> Result<Scope<'a>, AuthError> {
        let mut elements = credential.trim_end_matches('/').split('/');
        let mut next = || elements.next();
        let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) =
            (next(), next(), next(), next(), next(), next())
        else {
            return Err(incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{credential}'"
            )));
        };
        Ok(Scope { access_key_id, date, region, service, terminator })
    }

    /// `date/region/service/terminator`, as it appears in the string to sign.
    fn suffix(&self) -> String {
        format!("{}/{}/{}/{}", self.date, self.region, self.service, self.terminator)
    }
}

/// The scope's region, service, terminator and date; every failing part is named.
fn check_scope(scope: &Scope<'_>, request_date: &str) -> Result<(), AuthError> {
    let mut message = String::new();
    let region_ok = !scope.region.is_empty()
        && scope.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        message.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            scope.region
        ));
    }
    if scope.service != SERVICE {
        message.push_str(&format!("Credential should be scoped to correct service: '{SERVICE}'. "));
    }
    if scope.terminator != TERMINATOR {
        message.push_str(&format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'. ",
            scope.terminator
        ));
    }
    let day = request_date.get(..8).unwrap_or(request_date);
    if scope.date != day {
        message.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{day}', from '{request_date}'.",
            scope.date
        ));
    }
    if message.is_empty() {
        Ok(())
    } else {
        Err(invalid(message))
    }
}

/// The payload hashes the client may have signed.
fn payload_hashes(parts: &RequestParts<'_>, form: Form) -> Result<Vec<String>, AuthError> {
    let body_hash = hex::encode(Sha256::digest(parts.body));
    let Some(claimed) = header(parts.headers, "x-amz-content-sha256") else {
        return Ok(match form {
            Form::Header => vec![body_hash],
            Form::Query => vec![body_hash, UNSIGNED_PAYLOAD.to_owned()],
        });
    };
    let claimed = String::from_utf8_lossy(claimed).trim().to_owned();
    if claimed == UNSIGNED_PAYLOAD || claimed.eq_ignore_ascii_case(&body_hash) {
        Ok(vec![claimed])
    } else {
        Err(invalid("The provided 'x-amz-content-sha256' header does not match what was computed."))
    }
}

/// Recomputes the signature for each candidate payload hash; one must match.
fn verify_signature(
    parts: &RequestParts<'_>,
    query: &[QueryParam],
    signed: &Signed,
    scope: &Scope<'_>,
    secret_access_key: &str,
    payload_hashes: &[String],
) -> Result<(), AuthError> {
    let provided = hex::decode(&signed.signature).unwrap_or_default();
    let key = signing_key(secret_access_key, scope);
    for payload_hash in payload_hashes {
        let canonical =
            canonical_request(parts, query, &signed.signed_headers, signed.form, payload_hash);
        let mut mac = hmac(&key);
        mac.update(string_to_sign(&signed.date, &scope.suffix(), &canonical).as_bytes());
        // `verify_slice` compares in constant time (and rejects a wrong length).
        if mac.verify_slice(&provided).is_ok() {
            return Ok(());
        }
    }
    Err(invalid(SIGNATURE_MISMATCH))
}

fn hmac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn hmac_bytes(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = hmac(key);
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), terminator)`.
fn signing_key(secret_access_key: &str, scope: &Scope<'_>) -> Vec<u8> {
    let date_key = hmac_bytes(format!("AWS4{secret_access_key}").as_bytes(), scope.date);
    let region_key = hmac_bytes(&date_key, scope.region);
    let service_key = hmac_bytes(&region_key, scope.service);
    hmac_bytes(&service_key, scope.terminator)
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex SHA-256 of the canonical request>`.
fn string_to_sign(date: &str, scope_suffix: &str, canonical: &[u8]) -> String {
    format!("{ALGORITHM}\n{date}\n{scope_suffix}\n{}", hex::encode(Sha256::digest(canonical)))
}

/// The canonical request, as bytes (header values need not be UTF-8).
fn canonical_request(
    parts: &RequestParts<'_>,
    query: &[QueryParam],
    signed_headers: &str,
    form: Form,
    payload_hash: &str,
) -> Vec<u8> {
    let signed_headers = signed_headers.to_ascii_lowercase();
    let mut out = Vec::with_capacity(256 + parts.path.len());
    out.extend_from_slice(parts.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(parts.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(query, form).as_bytes());
    out.push(b'\n');
    for name in signed_headers.split(';') {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut first = true;
        for (_, value) in parts.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if !first {
                out.push(b',');
            }
            first = false;
            push_collapsed(&mut out, value);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// Appends `value` trimmed, with each run of whitespace turned into one space.
fn push_collapsed(out: &mut Vec<u8>, value: &[u8]) {
    let words = value.split(|b| b" \t\r\n\x0b\x0c".contains(b)).filter(|w| !w.is_empty());
    for (index, word) in words.enumerate() {
        if index > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
}

/// The normalized path, URI-encoded again (the non-S3 rule), as botocore computes it.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut normalized = String::with_capacity(path.len());
    if path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    let mut out = String::with_capacity(normalized.len());
    for byte in normalized.bytes() {
        if byte == b'/' {
            out.push('/');
        } else {
            push_encoded(&mut out, byte);
        }
    }
    out
}

/// Sorted `name=value` pairs, RFC 3986-encoded; the query form leaves out `X-Amz-Signature`.
fn canonical_query(query: &[QueryParam], form: Form) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|p| !(form == Form::Query && p.name == b"X-Amz-Signature"))
        .map(|p| (encode(&p.name), encode(&p.value)))
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    joined.join("&")
}

/// One decoded query parameter.
#[derive(Debug)]
struct QueryParam {
    name: Vec<u8>,
    value: Vec<u8>,
}

fn parse_query(query: &str) -> Vec<QueryParam> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            QueryParam { name: percent_decode(name), value: percent_decode(value) }
        })
        .collect()
}

fn query_value<'q>(query: &'q [QueryParam], name: &str) -> Option<&'q [u8]> {
    query.iter().find(|p| p.name == name.as_bytes()).map(|p| p.value.as_slice())
}

/// The first value of a header, by case-insensitive name.
fn header<'h>(headers: &[Header<'h>], name: &str) -> Option<&'h [u8]> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, v)| v)
}

/// Decodes `%XX` escapes; a malformed escape stays as it is, and `+` stays a plus.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = match (byte, bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_value(high).zip(hex_value(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                index += 3;
            }
            None => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        push_encoded(&mut out, byte);
    }
    out
}

/// RFC 3986: unreserved characters as they are, every other byte as `%XX` (upper case).
fn push_encoded(out: &mut String, byte: u8) {
    if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
        out.push(char::from(byte));
    } else {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        out.push('%');
        for nibble in [byte >> 4, byte & 0x0f] {
            out.push(char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Parses `YYYYMMDDTHHMMSSZ` into seconds since the Unix epoch.
fn parse_basic_date(text: &str) -> Option<i64> {
    if text.len() != 16 || text.get(8..9)? != "T" || text.get(15..16)? != "Z" {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits.bytes().all(|b| b.is_ascii_digit()).then(|| digits.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    let month_ok = (1..=12).contains(&month);
    if !month_ok || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Formats seconds since the Unix epoch as `YYYYMMDDTHHMMSSZ`.
fn format_basic_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_dates_round_trip() {
        for text in ["19700101T000000Z", "20240229T235959Z", "20240101T120000Z", "21000301T000000Z"]
        {
            let seconds = parse_basic_date(text).expect("valid date");
            assert_eq!(format_basic_date(seconds), text);
        }
        assert_eq!(parse_basic_date("20240101T120000Z"), Some(1_704_110_400));
        assert_eq!(format_basic_date(-1), "19691231T235959Z");
    }

    #[test]
    fn bad_basic_dates_are_rejected() {
        for text in [
            "",
            "201",
            "20240101 120000Z",
            "20240101T120000",
            "20230229T000000Z",
            "20241301T000000Z",
            "20240100T000000Z",
            "20240101T240000Z",
            "20240101T126000Z",
            "2024010+T120000Z",
            "Mon, 01 Jan 2024 12:00:00 GMT",
        ] {
            assert_eq!(parse_basic_date(text), None, "{text}");
        }
    }

    #[test]
    fn uri_is_normalized_and_encoded_twice() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("//a/./b/../c/"), "/a/c/");
        assert_eq!(canonical_uri("/a%20b/~x!"), "/a%2520b/~x%21");
        assert_eq!(canonical_uri("/.."), "/");
    }

    #[test]
    fn query_is_decoded_sorted_and_encoded() {
        let query = parse_query("b=2&a=z%20y&a=x&c&t=~%2f&p=a+b&&bad=%zz");
        assert_eq!(
            canonical_query(&query, Form::Header),
            "a=x&a=z%20y&b=2&bad=%25zz&c=&p=a%2Bb&t=~%2F"
        );
    }

    #[test]
    fn header_values_are_collapsed() {
        let mut out = Vec::new();
        push_collapsed(&mut out, b"  a   b\t\tc  ");
        assert_eq!(out, b"a b c");
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /// 2024-01-01T12:00:00Z.
    const SIGNED_AT: u64 = 1_704_110_400;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs(seconds)
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect()
    }

    fn verify(
        path: &str,
        query: Option<&str>,
        headers: &[(String, Vec<u8>)],
        body: &[u8],
        now: SystemTime,
    ) -> Result<Identity, AuthError> {
        let mut credentials = Credentials::new();
        credentials.insert("AKIDEXAMPLE", SECRET);
        let headers = header_view(headers);
        let parts = RequestParts { method: "POST", path, query, headers: &headers, body };
        authenticate(&parts, Mode::Verify(&credentials), now)
    }

    /// botocore 1.44's `header_basic` vector (server/tests/sigv4_vectors.rs): same inputs, same
    /// signature.
    #[test]
    fn signer_matches_botocore() {
        let mut signed = headers(&[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Host", "localhost:8000"),
        ]);
        let signer = Signer::new("AKIDEXAMPLE", SECRET, "us-east-1");
        signer.sign("POST", "/", None, &mut signed, b"{\"Limit\":10}", at(SIGNED_AT));
        let authorization = header(&header_view(&signed), "authorization").expect("signed");
        assert_eq!(
            String::from_utf8_lossy(authorization),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=96687303b45e6765d4f2f05a33f9d7c4c2f0d7ad66e72734f69fd34fa52e8d6b"
        );
        assert_eq!(header(&header_view(&signed), "x-amz-date"), Some(&b"20240101T120000Z"[..]));
    }

    /// Path, query, headers and body of a request to sign.
    type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)], &'a [u8]);

    #[test]
    fn signer_round_trips_through_authenticate() {
        let signer = Signer::new("AKIDEXAMPLE", SECRET, "eu-west-1");
        let cases: [Case<'_>; 4] = [
            ("/", None, &[("host", "h")], b""),
            ("/a b/../c", Some("z=1&a=%2F+x&a=0"), &[("host", "h:1"), ("x-b", "  p   q ")], b"{}"),
            ("/", None, &[("host", "h"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], b"x"),
            ("/", None, &[("host", "h"), ("x-r", "1"), ("X-R", "2"), ("x-amz-date", "old")], b"y"),
        ];
        // Two days, so the cached key is replaced once and reused otherwise.
        for now in [SIGNED_AT, SIGNED_AT + 60, SIGNED_AT + 86_400, SIGNED_AT + 86_460] {
            for (path, query, pairs, body) in cases {
                let mut signed = headers(pairs);
                signer.sign("POST", path, query, &mut signed, body, at(now));
                let identity = verify(path, query, &signed, body, at(now + 5));
                assert_eq!(identity.map(|i| i.region), Ok("eu-west-1".to_owned()), "{path}");
                let mut tampered = signed.clone();
                tampered.push(("host".into(), b"other".to_vec()));
                let error = verify(path, query, &tampered, body, at(now)).expect_err("tampered");
                assert_eq!(error.name, INVALID_SIGNATURE);
                let result = verify(path, query, &signed, b"other", at(now));
                let unsigned = header(&header_view(&signed), "x-amz-content-sha256").is_some();
                assert_eq!(result.is_ok(), unsigned, "only an unsigned payload may change");
            }
        }
        let mut signed = headers(&[("host", "h")]);
        let wrong = Signer::new("AKIDEXAMPLE", "not-the-secret", "eu-west-1");
        wrong.sign("POST", "/", None, &mut signed, b"", at(SIGNED_AT));
        let error = verify("/", None, &signed, b"", at(SIGNED_AT)).expect_err("wrong secret");
        assert_eq!(error, invalid(SIGNATURE_MISMATCH));
        assert!(!format!("{wrong:?}").contains("not-the-secret"));
    }

    #[test]
    fn expires_is_validated() {
        assert_eq!(parse_expires("300"), Ok(300));
        assert_eq!(parse_expires("604800"), Ok(604_800));
        assert_eq!(parse_expires("604801").map_err(|e| e.name), Err(INCOMPLETE_SIGNATURE));
        assert_eq!(parse_expires("-5"), Err(incomplete("X-Amz-Expires must be non-negative")));
        assert_eq!(parse_expires("+5"), Err(incomplete("X-Amz-Expires should be a number")));
        assert_eq!(parse_expires(""), Err(incomplete("X-Amz-Expires should be a number")));
    }
}
