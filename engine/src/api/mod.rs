//! `basalt::api`: the request and response types of DynamoDB's operations, with the field
//! names of DynamoDB's JSON wire format (`PascalCase`), so that the server decodes a request
//! body straight into them and an embedder builds them in Rust.
//!
//! Fields DynamoDB constrains to a set of words (`ReturnValues`, `BillingMode`, …) are plain
//! strings here: an unknown word must reach validation and get DynamoDB's own message ("Member
//! must satisfy enum value set: […]"), not a decoding error. The constants in [`values`] name
//! the accepted words.
//!
//! Operations that are accepted on the wire but not built yet keep their parameters as raw JSON
//! (`serde_json::Value`) and are refused by [`crate::Db`] with a `ValidationException` that says
//! so; nothing is silently ignored.

mod batch;
mod builders;
mod decode;
mod error;
mod index;
mod streams;
mod ttl;
mod types;

pub use batch::*;
pub use decode::decode_request;
pub use error::{DbError, ErrorCategory};
pub use index::*;
pub use streams::*;
pub use ttl::*;
pub use types::*;

/// The words DynamoDB accepts in enumerated request fields.
pub mod values {
    /// `ReturnValues`: nothing is returned (the default).
    pub const RETURN_NONE: &str = "NONE";
    /// `ReturnValues`: the item as it was before the write.
    pub const RETURN_ALL_OLD: &str = "ALL_OLD";
    /// `ReturnConsumedCapacity`: the total, per table.
    pub const CAPACITY_TOTAL: &str = "TOTAL";
    /// `ReturnConsumedCapacity`: the total plus the table's and each index's share.
    pub const CAPACITY_INDEXES: &str = "INDEXES";
    /// `BillingMode`: provisioned capacity (the default).
    pub const BILLING_PROVISIONED: &str = "PROVISIONED";
    /// `BillingMode`: on-demand.
    pub const BILLING_PAY_PER_REQUEST: &str = "PAY_PER_REQUEST";
    /// `KeyType` of a partition key.
    pub const KEY_HASH: &str = "HASH";
    /// `KeyType` of a sort key.
    pub const KEY_RANGE: &str = "RANGE";
    /// `TableClass`: the default class.
    pub const TABLE_CLASS_STANDARD: &str = "STANDARD";
    /// `TableClass`: the infrequent-access class.
    pub const TABLE_CLASS_STANDARD_IA: &str = "STANDARD_INFREQUENT_ACCESS";
}
