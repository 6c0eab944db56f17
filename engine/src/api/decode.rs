//! Decoding a request body into its `basalt::api` type, with DynamoDB's exceptions.

use serde::de::DeserializeOwned;

use crate::api::DbError;
use crate::model::{take_last_error_kind, ErrorKind};

/// Decodes a JSON request body. An empty body reads as `{}` (the AWS SDKs send that for
/// operations without parameters).
///
/// # Errors
/// `SerializationException` for a body that is not JSON or holds a JSON value of the wrong type
/// (a number where a string belongs, say); `ValidationException` for an attribute value that
/// breaks DynamoDB's rules (an empty set, a number out of range, …), with DynamoDB's message.
pub fn decode_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, DbError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    // A kind left over from an earlier, unrelated failure on this thread must not be read.
    let _ = take_last_error_kind();
    serde_json::from_slice(body).map_err(|error| {
        let message = without_position(&error);
        match take_last_error_kind() {
            Some(ErrorKind::Validation) => DbError::Validation(message),
            Some(ErrorKind::Serialization) | None => DbError::Serialization(message),
        }
    })
}

/// serde_json's message without its " at line L column C" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).map_or_else(|| text.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{GetItemInput, PutItemInput};

    #[test]
    fn kinds_and_messages() {
        let ok: GetItemInput =
            decode_request(br#"{"TableName":"t","Key":{"a":{"S":"x"}}}"#).expect("decodes");
        assert_eq!(ok.table_name.as_deref(), Some("t"));
        let error = decode_request::<PutItemInput>(br#"{"TableName":"t","Item":{"a":{"SS":[]}}}"#)
            .expect_err("an empty set");
        assert_eq!(error.name(), "ValidationException");
        assert_eq!(
            error.message(),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        let error = decode_request::<PutItemInput>(br#"{"TableName":"t","Item":{"a":{"S":5}}}"#)
            .expect_err("a number for a string");
        assert_eq!(error.name(), "SerializationException");
        let error = decode_request::<PutItemInput>(b"{not json").expect_err("not JSON");
        assert_eq!(error.name(), "SerializationException");
        let error = decode_request::<PutItemInput>(br#"{"TableName":5}"#).expect_err("a number");
        assert_eq!(error.name(), "SerializationException");
        let empty: GetItemInput = decode_request(b"").expect("an empty body is {}");
        assert_eq!(empty.table_name, None);
    }
}
