//! AWS Signature Version 4 for DynamoDB JSON requests (header form).
//!
//! Signs `content-type;host;x-amz-date;x-amz-target` and the body's SHA-256, as the AWS SDKs do
//! for DynamoDB: canonical request, string to sign, then the HMAC-SHA256 chain
//! `AWS4<secret>` → date → region → `dynamodb` → `aws4_request`. The signing key only changes
//! with the day, so it is cached.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

/// The content type of DynamoDB's JSON 1.0 protocol.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

const SIGNED_HEADERS: &str = "content-type;host;x-amz-date;x-amz-target";

/// The headers a signed request carries besides `content-type`, `host` and `x-amz-target`.
pub struct Signature {
    /// `X-Amz-Date`, ISO 8601 basic format (`20240101T000000Z`).
    pub amz_date: String,
    /// `Authorization`.
    pub authorization: String,
}

/// Signs requests for one access key, region and `Host` header value.
pub struct Signer {
    access_key_id: String,
    secret_access_key: String,
    region: String,
    host: String,
    /// The day (`YYYYMMDD`) of the cached signing key, and the key.
    cached_key: Option<(String, [u8; 32])>,
}

impl Signer {
    /// A signer for requests sent with `Host: host`.
    pub fn new(access_key_id: &str, secret_access_key: &str, region: &str, host: &str) -> Self {
        Self {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            region: region.to_owned(),
            host: host.to_owned(),
            cached_key: None,
        }
    }

    /// Signs a `POST /` with `X-Amz-Target: target` and `body`, at time `now`.
    pub fn sign(&mut self, target: &str, body: &[u8], now: SystemTime) -> Signature {
        let amz_date = amz_date(now);
        let day = amz_date.get(..8).unwrap_or_default().to_owned();
        let canonical = format!(
            "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\nx-amz-date:{amz_date}\n\
             x-amz-target:{target}\n\n{SIGNED_HEADERS}\n{}",
            self.host,
            hex::encode(Sha256::digest(body)),
        );
        let scope = format!("{day}/{}/dynamodb/aws4_request", self.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let key = self.signing_key(&day);
        let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={SIGNED_HEADERS}, \
             Signature={signature}",
            self.access_key_id
        );
        Signature { amz_date, authorization }
    }

    /// The signing key of `day`, derived once per day.
    fn signing_key(&mut self, day: &str) -> [u8; 32] {
        if let Some((cached_day, key)) = &self.cached_key {
            if cached_day == day {
                return *key;
            }
        }
        let secret = format!("AWS4{}", self.secret_access_key);
        let k_date = hmac(secret.as_bytes(), day.as_bytes());
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, b"dynamodb");
        let key = hmac(&k_service, b"aws4_request");
        self.cached_key = Some((day.to_owned(), key));
        key
    }
}

/// HMAC-SHA256 of `data` under `key`.
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else { return [0; 32] };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `now` in ISO 8601 basic format, UTC: `20240101T000000Z`.
pub fn amz_date(now: SystemTime) -> String {
    let seconds = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_in_basic_format() {
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_251_199); // 2024-02-29 23:59:59
        assert_eq!(amz_date(t), "20240229T235959Z");
    }

    /// Same inputs, same signature; a different body, a different one. (Verification against
    /// the server's checker: `bench/README.md`, `--secret-access-key` with `basalt --credentials`.)
    #[test]
    fn signatures_are_deterministic() {
        let mut a = Signer::new("AKID", "secret", "us-east-1", "127.0.0.1:8000");
        let mut b = Signer::new("AKID", "secret", "us-east-1", "127.0.0.1:8000");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let x = a.sign("DynamoDB_20120810.GetItem", b"{}", t);
        let y = b.sign("DynamoDB_20120810.GetItem", b"{}", t);
        assert_eq!(x.authorization, y.authorization);
        assert!(x.authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/dynamodb/aws4_request, "
        ));
        let z = a.sign("DynamoDB_20120810.GetItem", b"{ }", t);
        assert_ne!(x.authorization, z.authorization);
    }
}
