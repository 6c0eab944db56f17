//! SigV4 verification against signatures made by botocore, plus every refusal DynamoDB makes.
//!
//! Method: the vectors below were produced once by botocore 1.44 (`SigV4Auth` and
//! `SigV4QueryAuth`, service `dynamodb`, access key `AKIDEXAMPLE`, the documentation secret,
//! clock fixed at 2024-01-01T12:00:00Z) and pasted here, so the tests need no Python. Each must
//! verify; tampering with any signed part must not. The negative tests pin the exception name
//! and the exact message of every check, and the clock tests pin the 15-minute and
//! `X-Amz-Expires` boundaries.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use basalt_server::sigv4::{
    authenticate, header_view, AuthError, Credentials, Identity, Mode, RequestParts,
};

/// 2024-01-01T12:00:00Z, when the vectors were signed.
const SIGNED_AT: u64 = 1_704_110_400;
const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

const CREDENTIALS_FILE: &str = "\
# test keys
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

[profile other]
aws_access_key_id=AKIDOTHER
aws_secret_access_key=other-secret
region = eu-west-1
";

/// One request as botocore signed it.
struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
}

/// An owned, editable copy of a vector.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Request {
    fn of(vector: &Vector) -> Request {
        Request {
            method: vector.method.into(),
            path: vector.path.into(),
            query: vector.query.map(Into::into),
            headers: vector
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().into()))
                .collect(),
            body: vector.body.as_bytes().into(),
        }
    }

    fn named(name: &str) -> Request {
        Request::of(VECTORS.iter().find(|v| v.name == name).unwrap())
    }

    fn header(&self, name: &str) -> String {
        let (_, value) = self.headers.iter().find(|(n, _)| n == name).unwrap();
        String::from_utf8(value.clone()).unwrap()
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.into(), value.as_bytes().into()));
    }

    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| n != name);
    }

    /// Replaces `from` by `to` in the Authorization header.
    fn edit_authorization(&mut self, from: &str, to: &str) {
        let value = self.header("authorization");
        assert!(value.contains(from), "{value} lacks {from}");
        self.set_header("authorization", &value.replace(from, to));
    }

    fn edit_query(&mut self, from: &str, to: &str) {
        let query = self.query.clone().unwrap();
        assert!(query.contains(from), "{query} lacks {from}");
        self.query = Some(query.replace(from, to));
    }

    fn check_at(&self, mode: Mode<'_>, now: SystemTime) -> Result<Identity, AuthError> {
        let headers = header_view(&self.headers);
        let parts = RequestParts {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &headers,
            body: &self.body,
        };
        authenticate(&parts, mode, now)
    }

    /// Verifies with the test credentials, `offset_seconds` after signing time.
    fn check_after(&self, offset_seconds: i64) -> Result<Identity, AuthError> {
        let credentials = credentials();
        self.check_at(Mode::Verify(&credentials), at(offset_seconds))
    }

    fn check(&self) -> Result<Identity, AuthError> {
        self.check_after(0)
    }
}

fn at(offset_seconds: i64) -> SystemTime {
    let signed = UNIX_EPOCH + Duration::from_secs(SIGNED_AT);
    if offset_seconds >= 0 {
        signed + Duration::from_secs(offset_seconds.unsigned_abs())
    } else {
        signed - Duration::from_secs(offset_seconds.unsigned_abs())
    }
}

fn credentials() -> Credentials {
    Credentials::parse_file(CREDENTIALS_FILE).unwrap()
}

fn error(name: &'static str, message: &str) -> Result<Identity, AuthError> {
    Err(AuthError { name, message: message.into() })
}

fn identity(region: &str) -> Result<Identity, AuthError> {
    Ok(Identity { access_key_id: ACCESS_KEY_ID.into(), region: region.into() })
}

const MISSING: &str = "MissingAuthenticationTokenException";
const INCOMPLETE: &str = "IncompleteSignatureException";
const INVALID: &str = "InvalidSignatureException";
const UNRECOGNIZED: &str = "UnrecognizedClientException";
const MISMATCH: &str = "The request signature we calculated does not match the signature you \
    provided. Check your AWS Secret Access Key and signing method. Consult the service \
    documentation for details.";

#[rustfmt::skip]
const VECTORS: &[Vector] = &[
    Vector {
        name: "header_basic",
        method: "POST",
        path: "/",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=96687303b45e676\
                 5d4f2f05a33f9d7c4c2f0d7ad66e72734f69fd34fa52e8d6b"),
            ("content-length",
             "12"),
            ("host",
             "localhost:8000"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "header_token",
        method: "POST",
        path: "/",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("x-amz-security-token",
             "FQoGZXIvYXdzEXAMPLETOKEN+/=="),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Sign\
                 ature=a8830dbb434f70d1966fe0ba10cef4440edef688e0045fb80bc11a14c095c222"),
            ("content-length",
             "12"),
            ("host",
             "localhost:8000"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "header_unsigned_payload",
        method: "POST",
        path: "/",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("x-amz-content-sha256",
             "UNSIGNED-PAYLOAD"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Sign\
                 ature=f2cb5a2eeeecd1f048803e2c561ba631360a64653533242748fe4b13be8d0f00"),
            ("content-length",
             "12"),
            ("host",
             "localhost:8000"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "header_explicit_content_sha256",
        method: "POST",
        path: "/",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-content-sha256",
             "7323ae808f32f1a67f80c52911966937e5b960c236a8de953aec7c984492feb0"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Sign\
                 ature=ae92db2408711ca6e87c736ea9a4987b5fcfa6e45896e73167acfc866f6d497f"),
            ("content-length",
             "12"),
            ("host",
             "localhost:8000"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "header_empty_body",
        method: "POST",
        path: "/",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=500ddaddda5f8d5\
                 256112763676fc5c5c512429b12ba4c4b5797ee476986afcf"),
            ("content-length",
             "0"),
            ("host",
             "localhost:8000"),
        ],
        body: "",
    },
    Vector {
        name: "header_odd_path",
        method: "POST",
        path: "/a%20b/%2Fc/./d/../e~f!(x)*'/%E2%82%AC//g",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=6c5f7ce8e5f155f\
                 5f50008fc495ff65522adba7d01fed707fce78fb7da6c0765"),
            ("content-length",
             "12"),
            ("host",
             "127.0.0.1:8000"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "header_query",
        method: "POST",
        path: "/",
        query: Some("b=2&a=z%20y&a=x&c&tilde=~%2F&plus=a%2Bb&u=%C3%A9"),
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=b20302ad0c7ff1b\
                 5b3e4619d6aefdde9018a3fbd8f990f48550f7357452ee2c3"),
            ("content-length",
             "12"),
            ("host",
             "localhost:8000"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "header_region_eu",
        method: "POST",
        path: "/",
        query: None,
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("x-custom",
             "  a   b\tc  "),
            ("user-agent",
             "test/1.0"),
            ("x-amz-date",
             "20240101T120000Z"),
            ("authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/dynamodb/aws4_request, S\
                 ignedHeaders=content-type;host;x-amz-date;x-amz-target;x-custom, Signature=d686c6\
                 62f2c5a784d1dfafecc0275aa59051421b4a0843710e6b7b90071504b4"),
            ("content-length",
             "12"),
            ("host",
             "dynamodb.eu-west-1.amazonaws.com"),
        ],
        body: "{\"Limit\":10}",
    },
    Vector {
        name: "presigned_empty_body",
        method: "GET",
        path: "/",
        query: Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2F\
                       us-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20240101T120000Z&X-Amz-Expir\
                       es=300&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-target&X-Amz-Signatu\
                       re=16d4eb8c39d1c68baea1fb06907624ffc3793252db49879250b00c64e24efdd8"),
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("host",
             "localhost:8000"),
        ],
        body: "",
    },
    Vector {
        name: "presigned_token_query",
        method: "GET",
        path: "/path",
        query: Some("x=1&y=a%20b&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2\
                       F20240101%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20240101T120000Z\
                       &X-Amz-Expires=900&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-target&X\
                       -Amz-Security-Token=SESSIONTOKEN%2F%2B%3D&X-Amz-Signature=251fa7bcae3725ed9\
                       92bc61e507e9d015c1ab74edd7ab2a17ac716a2cad47f90"),
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("host",
             "localhost:8000"),
        ],
        body: "",
    },
    Vector {
        name: "presigned_unsigned_payload",
        method: "POST",
        path: "/",
        query: Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2F\
                       us-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20240101T120000Z&X-Amz-Expir\
                       es=300&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-target&X-Amz-Signatu\
                       re=025cfaa11995433a6ddd2c7af28f5c30e0e18aa1a39b29b44cdd92ffc8df957e"),
        headers: &[
            ("content-type",
             "application/x-amz-json-1.0"),
            ("x-amz-target",
             "DynamoDB_20120810.ListTables"),
            ("content-length",
             "0"),
            ("host",
             "localhost:8000"),
        ],
        body: "{\"Limit\":10}",
    },
];

// ---- Interoperability with botocore ----

#[test]
fn every_botocore_vector_verifies() {
    for vector in VECTORS {
        let region = if vector.name == "header_region_eu" { "eu-west-1" } else { "us-east-1" };
        assert_eq!(Request::of(vector).check(), identity(region), "{}", vector.name);
    }
}

#[test]
fn every_botocore_vector_passes_accept_any_key() {
    for vector in VECTORS {
        let result = Request::of(vector).check_at(Mode::AcceptAnyKey, at(0));
        assert!(result.is_ok(), "{}: {result:?}", vector.name);
    }
}

#[test]
fn tampering_with_a_signed_part_is_a_mismatch() {
    let mismatch = error(INVALID, MISMATCH);
    for vector in VECTORS {
        let original = Request::of(vector);
        let mut request = original.clone();
        request.method = if original.method == "POST" { "PUT".into() } else { "POST".into() };
        assert_eq!(request.check(), mismatch, "{}: method", vector.name);

        let mut request = original.clone();
        request.path = format!("{}x", original.path);
        assert_eq!(request.check(), mismatch, "{}: path", vector.name);

        let mut request = original.clone();
        request.query = Some(original.query.clone().map_or("z=1".into(), |q| format!("{q}&z=1")));
        assert_eq!(request.check(), mismatch, "{}: query", vector.name);

        let mut request = original.clone();
        request.set_header("x-amz-target", "DynamoDB_20120810.DeleteTable");
        assert_eq!(request.check(), mismatch, "{}: signed header", vector.name);

        let mut request = original.clone();
        request.set_header("host", "evil.example:8000");
        assert_eq!(request.check(), mismatch, "{}: host", vector.name);
    }
}

#[test]
fn tampering_with_the_body_is_caught_unless_the_payload_is_unsigned() {
    for vector in VECTORS {
        let mut request = Request::of(vector);
        request.body.extend_from_slice(b" ");
        let unsigned = vector.name.contains("unsigned_payload");
        let result = request.check();
        if unsigned {
            assert!(result.is_ok(), "{}: {result:?}", vector.name);
        } else if vector.name == "header_explicit_content_sha256" {
            let message = "The provided 'x-amz-content-sha256' header does not match what was \
                           computed.";
            assert_eq!(result, error(INVALID, message), "{}", vector.name);
        } else {
            assert_eq!(result, error(INVALID, MISMATCH), "{}", vector.name);
        }
    }
}

#[test]
fn unsigned_headers_may_change() {
    let mut request = Request::named("header_region_eu");
    request.set_header("user-agent", "another/2.0");
    request.headers.push(("x-extra".into(), b"anything".to_vec()));
    assert_eq!(request.check(), identity("eu-west-1"));
}

#[test]
fn header_values_are_compared_after_whitespace_collapse() {
    // The vector signed "  a   b\tc  " as "a b c"; any spelling with the same words verifies.
    let mut request = Request::named("header_region_eu");
    request.set_header("x-custom", "a b    c");
    assert_eq!(request.check(), identity("eu-west-1"));
    request.set_header("x-custom", "a bc");
    assert_eq!(request.check(), error(INVALID, MISMATCH));
}

#[test]
fn repeated_headers_join_with_commas() {
    let mut request = Request::named("header_region_eu");
    request.set_header("x-custom", "a b");
    request.headers.push(("x-custom".into(), b"c".to_vec()));
    // Canonical value "a b,c", not what was signed.
    assert_eq!(request.check(), error(INVALID, MISMATCH));
}

#[test]
fn a_wrong_secret_is_a_mismatch() {
    let mut credentials = Credentials::new();
    credentials.insert(ACCESS_KEY_ID, "not-the-secret");
    for vector in VECTORS {
        let result = Request::of(vector).check_at(Mode::Verify(&credentials), at(0));
        assert_eq!(result, error(INVALID, MISMATCH), "{}", vector.name);
    }
}

#[test]
fn a_malformed_signature_is_a_mismatch() {
    let original = Request::named("header_basic");
    let signature = "96687303b45e6765d4f2f05a33f9d7c4c2f0d7ad66e72734f69fd34fa52e8d6b";
    for bad in
        ["zz", "96687303", "96687303b45e6765d4f2f05a33f9d7c4c2f0d7ad66e72734f69fd34fa52e8d6c"]
    {
        let mut request = original.clone();
        request.edit_authorization(signature, bad);
        assert_eq!(request.check(), error(INVALID, MISMATCH), "{bad}");
    }
    // Hex digits are case-insensitive.
    let mut request = original.clone();
    request.edit_authorization(signature, &signature.to_ascii_uppercase());
    assert_eq!(request.check(), identity("us-east-1"));
}

// ---- MissingAuthenticationTokenException ----

#[test]
fn no_signature_is_missing_token() {
    let expected = error(MISSING, "Request is missing Authentication Token");
    let mut request = Request::named("header_basic");
    request.remove_header("authorization");
    assert_eq!(request.check(), expected);
    assert_eq!(request.check_at(Mode::AcceptAnyKey, at(0)), expected);
    request.set_header("authorization", "Basic dXNlcjpwYXNz");
    assert_eq!(request.check(), expected);
    request.set_header("authorization", "");
    assert_eq!(request.check(), expected);
}

#[test]
fn both_forms_at_once_are_invalid() {
    let mut request = Request::named("presigned_empty_body");
    request.set_header("authorization", &Request::named("header_basic").header("authorization"));
    let message =
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";
    assert_eq!(request.check(), error(INVALID, message));
}

// ---- IncompleteSignatureException ----

#[test]
fn missing_authorization_parameters_are_all_named() {
    let mut request = Request::named("header_basic");
    request.remove_header("x-amz-date");
    request.set_header("authorization", "AWS4-HMAC-SHA256 Foo=bar");
    let message = "Authorization header requires 'Credential' parameter. Authorization header \
        requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
        Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
        Authorization=AWS4-HMAC-SHA256 Foo=bar";
    assert_eq!(request.check(), error(INCOMPLETE, message));
    assert_eq!(request.check_at(Mode::AcceptAnyKey, at(0)), error(INCOMPLETE, message));
}

#[test]
fn one_missing_authorization_parameter_is_named() {
    let mut request = Request::named("header_basic");
    request.edit_authorization(", SignedHeaders=content-type;host;x-amz-date;x-amz-target", "");
    let authorization = request.header("authorization");
    let message = format!(
        "Authorization header requires 'SignedHeaders' parameter. Authorization={authorization}"
    );
    assert_eq!(request.check(), error(INCOMPLETE, &message));
}

#[test]
fn a_pair_without_equal_sign_is_incomplete() {
    let mut request = Request::named("header_basic");
    let authorization = "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders";
    request.set_header("authorization", authorization);
    let message = "'Credential' not a valid key=value pair (missing equal-sign) in Authorization \
        header: 'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'.";
    assert_eq!(request.check(), error(INCOMPLETE, message));
}

#[test]
fn missing_query_parameters_are_all_named() {
    let mut request = Request::named("presigned_empty_body");
    request.query = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=".into());
    let message = "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string \
        parameters must include 'X-Amz-Signature'. AWS query-string parameters must include \
        'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. \
        Re-examine the query-string parameters.";
    assert_eq!(request.check(), error(INCOMPLETE, message));
    assert_eq!(request.check_at(Mode::AcceptAnyKey, at(0)), error(INCOMPLETE, message));
}

#[test]
fn a_bad_date_is_incomplete() {
    let mut request = Request::named("header_basic");
    request.set_header("x-amz-date", "201");
    let message = "Date must be in ISO-8601 'basic format'. Got '201'. See \
        http://en.wikipedia.org/wiki/ISO_8601";
    assert_eq!(request.check(), error(INCOMPLETE, message));
    assert_eq!(request.check_at(Mode::AcceptAnyKey, at(0)), error(INCOMPLETE, message));

    // Without X-Amz-Date the Date header is used, and must be in the same format.
    request.remove_header("x-amz-date");
    request.set_header("date", "Mon, 01 Jan 2024 12:00:00 GMT");
    let message = "Date must be in ISO-8601 'basic format'. Got 'Mon, 01 Jan 2024 12:00:00 GMT'. \
        See http://en.wikipedia.org/wiki/ISO_8601";
    assert_eq!(request.check(), error(INCOMPLETE, message));
}

#[test]
fn a_bad_presigned_date_or_expiry_is_incomplete() {
    let mut request = Request::named("presigned_empty_body");
    request.edit_query("X-Amz-Date=20240101T120000Z", "X-Amz-Date=2024-01-01T12%3A00%3A00Z");
    let message = "Date must be in ISO-8601 'basic format'. Got '2024-01-01T12:00:00Z'. See \
        http://en.wikipedia.org/wiki/ISO_8601";
    assert_eq!(request.check(), error(INCOMPLETE, message));

    for (expires, message) in [
        ("abc", "X-Amz-Expires should be a number"),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
    ] {
        let mut request = Request::named("presigned_empty_body");
        request.edit_query("X-Amz-Expires=300", &format!("X-Amz-Expires={expires}"));
        assert_eq!(request.check(), error(INCOMPLETE, message), "{expires}");
    }
}

#[test]
fn an_unsupported_algorithm_is_incomplete() {
    let mut request = Request::named("header_basic");
    request.edit_authorization("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512");
    let message =
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ";
    assert_eq!(request.check(), error(INCOMPLETE, message));
    assert_eq!(request.check_at(Mode::AcceptAnyKey, at(0)), error(INCOMPLETE, message));

    let mut request = Request::named("presigned_empty_body");
    request.edit_query("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA25");
    let message =
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ";
    assert_eq!(request.check(), error(INCOMPLETE, message));
}

#[test]
fn a_malformed_credential_is_incomplete() {
    let mut request = Request::named("header_basic");
    request.edit_authorization("/dynamodb/aws4_request", "/dynamodb");
    let message = "Credential must have exactly 5 slash-delimited elements, e.g. \
        keyid/date/region/service/term, got 'AKIDEXAMPLE/20240101/us-east-1/dynamodb'";
    assert_eq!(request.check(), error(INCOMPLETE, message));
    assert_eq!(request.check_at(Mode::AcceptAnyKey, at(0)), error(INCOMPLETE, message));
}

#[test]
fn trailing_slashes_in_the_credential_are_ignored() {
    let mut request = Request::named("header_basic");
    request.edit_authorization("/aws4_request,", "/aws4_request//,");
    assert_eq!(request.check(), identity("us-east-1"));
    request.edit_authorization("/aws4_request//,", "/aws4_request/x,");
    let message = "Credential must have exactly 5 slash-delimited elements, e.g. \
        keyid/date/region/service/term, got \
        'AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request/x'";
    assert_eq!(request.check(), error(INCOMPLETE, message));
}

// ---- InvalidSignatureException: time ----

#[test]
fn the_clock_may_be_fifteen_minutes_off_either_way() {
    let request = Request::named("header_basic");
    assert_eq!(request.check_after(900), identity("us-east-1"));
    assert_eq!(request.check_after(-900), identity("us-east-1"));
    let expired = "Signature expired: 20240101T120000Z is now earlier than 20240101T120001Z \
        (20240101T121501Z - 15 min.)";
    assert_eq!(request.check_after(901), error(INVALID, expired));
    let early = "Signature not yet current: 20240101T120000Z is still later than \
        20240101T115959Z (20240101T114459Z + 15 min.)";
    assert_eq!(request.check_after(-901), error(INVALID, early));
    // AcceptAnyKey does not look at the clock.
    assert!(request.check_at(Mode::AcceptAnyKey, at(86_400)).is_ok());
}

#[test]
fn a_presigned_request_lasts_x_amz_expires() {
    let request = Request::named("presigned_empty_body"); // X-Amz-Expires=300
    assert_eq!(request.check_after(300), identity("us-east-1"));
    let expired = "Signature expired: 20240101T120000Z is now earlier than 20240101T120001Z \
        (20240101T120501Z - 300 sec.)";
    assert_eq!(request.check_after(301), error(INVALID, expired));
    assert_eq!(request.check_after(-900), identity("us-east-1"));
    let early = "Signature not yet current: 20240101T120000Z is still later than \
        20240101T115959Z (20240101T114459Z + 15 min.)";
    assert_eq!(request.check_after(-901), error(INVALID, early));

    let request = Request::named("presigned_token_query"); // X-Amz-Expires=900
    assert_eq!(request.check_after(900), identity("us-east-1"));
    assert_eq!(request.check_after(901).map_err(|e| e.name), Err(INVALID));
}

#[test]
fn a_presigned_request_without_expires_gets_fifteen_minutes() {
    let mut request = Request::named("presigned_empty_body");
    request.edit_query("X-Amz-Expires=300&", "");
    // Removing a signed parameter breaks the signature, but the clock is checked first.
    assert_eq!(request.check_after(900), error(INVALID, MISMATCH));
    assert_eq!(request.check_after(901).map_err(|e| e.message.contains("15 min.")), Err(true));
}

// ---- InvalidSignatureException: host and scope ----

#[test]
fn host_must_be_signed() {
    let mut request = Request::named("header_basic");
    request.edit_authorization("SignedHeaders=content-type;host;", "SignedHeaders=content-type;");
    let message = "'Host' must be a 'SignedHeader' in the AWS Authorization.";
    assert_eq!(request.check(), error(INVALID, message));
    assert!(request.check_at(Mode::AcceptAnyKey, at(0)).is_ok());

    let mut request = Request::named("presigned_empty_body");
    request.edit_query("content-type%3Bhost%3B", "content-type%3B");
    assert_eq!(request.check(), error(INVALID, message));
}

#[test]
fn the_scope_must_name_dynamodb_a_region_the_terminator_and_the_date() {
    let cases = [
        ("/dynamodb/", "/dynamo/", "Credential should be scoped to correct service: 'dynamodb'. "),
        (
            "/aws4_request,",
            "/aws4_requesx,",
            "Credential should be scoped with a valid terminator: 'aws4_request', not \
             'aws4_requesx'. ",
        ),
        (
            "/us-east-1/",
            "/US_EAST/",
            "Credential should be scoped to a valid region, not 'US_EAST'. ",
        ),
        (
            "/20240101/",
            "/20231231/",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '20231231' != '20240101', from '20240101T120000Z'.",
        ),
    ];
    for (from, to, message) in cases {
        let mut request = Request::named("header_basic");
        request.edit_authorization(from, to);
        assert_eq!(request.check(), error(INVALID, message), "{to}");
        assert!(request.check_at(Mode::AcceptAnyKey, at(0)).is_ok(), "{to}");
    }
    let mut request = Request::named("header_basic");
    request.edit_authorization("/20240101/us-east-1/dynamodb/aws4_request", "/b/C/d/e");
    let message = "Credential should be scoped to a valid region, not 'C'. Credential should be \
        scoped to correct service: 'dynamodb'. Credential should be scoped with a valid \
        terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD \
        from ISO-8601 version of date from HTTP: 'b' != '20240101', from '20240101T120000Z'.";
    assert_eq!(request.check(), error(INVALID, message));
}

// ---- UnrecognizedClientException ----

#[test]
fn an_unknown_key_is_unrecognized() {
    let mut request = Request::named("header_basic");
    request.edit_authorization("Credential=AKIDEXAMPLE/", "Credential=AKIDUNKNOWN/");
    let message = "The security token included in the request is invalid.";
    assert_eq!(request.check(), error(UNRECOGNIZED, message));
    let any = request.check_at(Mode::AcceptAnyKey, at(0)).unwrap();
    assert_eq!(any, Identity { access_key_id: "AKIDUNKNOWN".into(), region: "us-east-1".into() });

    let mut request = Request::named("presigned_empty_body");
    request.edit_query("X-Amz-Credential=AKIDEXAMPLE", "X-Amz-Credential=AKIDOTHER");
    assert_eq!(request.check(), error(INVALID, MISMATCH)); // known key, other secret
}

#[test]
fn a_configured_session_token_must_match() {
    let file = |token: &str| {
        format!(
            "[t]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET}\n\
             aws_session_token = {token}\n"
        )
    };
    let right = Credentials::parse_file(&file("FQoGZXIvYXdzEXAMPLETOKEN+/==")).unwrap();
    let wrong = Credentials::parse_file(&file("another")).unwrap();
    let message = "The security token included in the request is invalid";
    let with_token = Request::named("header_token");
    assert_eq!(with_token.check_at(Mode::Verify(&right), at(0)), identity("us-east-1"));
    assert_eq!(with_token.check_at(Mode::Verify(&wrong), at(0)), error(UNRECOGNIZED, message));
    let without = Request::named("header_basic");
    assert_eq!(without.check_at(Mode::Verify(&right), at(0)), error(UNRECOGNIZED, message));

    let presigned = Request::named("presigned_token_query");
    let right = Credentials::parse_file(&file("SESSIONTOKEN/+=")).unwrap();
    assert_eq!(presigned.check_at(Mode::Verify(&right), at(0)), identity("us-east-1"));
}

// ---- Payload hash ----

#[test]
fn x_amz_content_sha256_must_be_unsigned_or_the_body_hash() {
    let mut request = Request::named("header_basic");
    request.set_header("x-amz-content-sha256", &"0".repeat(64));
    let message = "The provided 'x-amz-content-sha256' header does not match what was computed.";
    assert_eq!(request.check(), error(INVALID, message));
    // Present but unsigned, and matching the body: the header was not signed, so the canonical
    // headers still match and the payload hash is the body's.
    let mut request = Request::named("header_basic");
    request.set_header(
        "x-amz-content-sha256",
        "7323ae808f32f1a67f80c52911966937e5b960c236a8de953aec7c984492feb0",
    );
    assert_eq!(request.check(), identity("us-east-1"));
}

#[test]
fn a_presigned_request_may_sign_the_body_hash() {
    // presigned_empty_body signed the SHA-256 of the empty body (botocore over http).
    let mut request = Request::named("presigned_empty_body");
    assert_eq!(request.check(), identity("us-east-1"));
    request.body = b"{}".to_vec();
    assert_eq!(request.check(), error(INVALID, MISMATCH));
}

// ---- Credentials file ----

#[test]
fn credentials_files_hold_several_profiles() {
    let credentials = credentials();
    assert_eq!(credentials.len(), 2);
    assert_eq!(credentials.lookup(ACCESS_KEY_ID), Some(SECRET));
    assert_eq!(credentials.lookup("AKIDOTHER"), Some("other-secret"));
    assert_eq!(credentials.lookup("AKIDUNKNOWN"), None);
    let debug = format!("{credentials:?}");
    assert!(debug.contains("AKIDOTHER") && !debug.contains("other-secret"), "{debug}");

    let with_extras = "; comment\n[region-only]\nregion = us-east-1\n\n  [ profile x ]  \n\
        AWS_ACCESS_KEY_ID = A\n aws_secret_access_key = S=with=equals \n[y]\n\
        aws_access_key_id = A\naws_secret_access_key = S=with=equals\n";
    let credentials = Credentials::parse_file(with_extras).unwrap();
    assert_eq!(credentials.lookup("A"), Some("S=with=equals"));
}

#[test]
fn bad_credentials_files_are_refused() {
    let cases = [
        ("", "no profile with aws_access_key_id and aws_secret_access_key"),
        ("aws_access_key_id = A\n", "line 1: 'aws_access_key_id' outside any [profile]"),
        ("[a\n", "line 1: section header without ']'"),
        ("[]\n", "line 1: empty profile name"),
        ("[a]\njunk\n", "line 2: expected 'key = value'"),
        (
            "[a]\naws_access_key_id = A\n",
            "profile 'a' (line 1) needs both aws_access_key_id and aws_secret_access_key",
        ),
        ("[a]\naws_access_key_id =\n", "line 2: 'aws_access_key_id' is empty"),
        (
            "[a]\naws_access_key_id = A\naws_access_key_id = B\n",
            "line 3: 'aws_access_key_id' given twice in one profile",
        ),
        (
            "[a]\naws_access_key_id = A\naws_secret_access_key = 1\n\
             [b]\naws_access_key_id = A\naws_secret_access_key = 2\n",
            "access key id 'A' has two different secrets (second in profile 'b')",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(Credentials::parse_file(text).map(|_| ()), Err(message.to_owned()), "{text:?}");
    }
}

// ---- Robustness ----

#[test]
fn mutated_requests_never_panic() {
    // A small deterministic fuzz: flip, drop and insert bytes in every textual part.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let credentials = credentials();
    let alphabet = b"%/=&;,. \tAZaz09-_~\x80\xff";
    for vector in VECTORS {
        for _ in 0..400 {
            let mut request = Request::of(vector);
            let presigned = request.query.as_deref().is_some_and(|q| q.contains("X-Amz-"));
            let target = match (next() % 4) as usize {
                2 | 3 if presigned => 1,
                target => target,
            };
            let mut bytes = match target {
                0 => request.path.clone().into_bytes(),
                1 => request.query.clone().unwrap_or_default().into_bytes(),
                2 => request.header("authorization").into_bytes(),
                _ => request.header("x-amz-date").into_bytes(),
            };
            let position = (next() as usize) % (bytes.len() + 1);
            let byte = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 if position < bytes.len() => bytes[position] = byte,
                1 if position < bytes.len() => drop(bytes.remove(position)),
                _ => bytes.insert(position, byte),
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            match target {
                0 => request.path = text,
                1 => request.query = Some(text),
                2 => request.set_header("authorization", &text),
                _ => request.set_header("x-amz-date", &text),
            }
            let _ = request.check_at(Mode::Verify(&credentials), at(0));
            let _ = request.check_at(Mode::AcceptAnyKey, at(0));
        }
    }
}
