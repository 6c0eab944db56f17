//! [`DbError`]: every failure of a DynamoDB operation, one variant per DynamoDB exception.

use crate::api::CancellationReason;
use crate::model::Item;

/// Who is at fault, which decides the HTTP status the server answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// The request was wrong (HTTP 400); repeating it unchanged fails again.
    Client,
    /// The server failed (HTTP 500); the request may be retried.
    Server,
}

/// An operation's failure, named and worded as DynamoDB names and words it.
///
/// [`DbError::name`] is the exception's name (what SDKs match on), [`DbError::type_uri`] the
/// `__type` DynamoDB puts on the wire, and `Display` the message.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// `ValidationException`: the request breaks a rule of the API or of the table.
    #[error("{0}")]
    Validation(String),
    /// `SerializationException`: a JSON value of the wrong type.
    #[error("{0}")]
    Serialization(String),
    /// `ResourceNotFoundException`: the table does not exist (or is not active).
    #[error("{0}")]
    ResourceNotFound(String),
    /// `ResourceInUseException`: the table exists already, or is busy.
    #[error("{0}")]
    ResourceInUse(String),
    /// `LimitExceededException`: a per-account quota.
    #[error("{0}")]
    LimitExceeded(String),
    /// `ConditionalCheckFailedException`: a condition was false; `item` is the item as it was,
    /// when `ReturnValuesOnConditionCheckFailure` asked for it.
    #[error("{message}")]
    ConditionalCheckFailed {
        /// DynamoDB's message: "The conditional request failed".
        message: String,
        /// The current item, with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
        item: Option<Item>,
    },
    /// `TransactionCanceledException`: an action of a transaction failed, so none was applied;
    /// one reason per action, in request order.
    #[error("{message}")]
    TransactionCanceled {
        /// "Transaction cancelled, please refer cancellation reasons for specific reasons […]".
        message: String,
        /// Per action, `None` or why it failed.
        reasons: Vec<CancellationReason>,
    },
    /// `IdempotentParameterMismatchException`: a `ClientRequestToken` used within 10 minutes
    /// with a different request.
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// `TransactionInProgressException`: a `ClientRequestToken` whose first request is still
    /// running.
    #[error("{0}")]
    TransactionInProgress(String),
    /// `ItemCollectionSizeLimitExceededException`: a write would grow a partition of a table
    /// with local secondary indexes (its items and their index entries) past 10 GB.
    #[error("{0}")]
    ItemCollectionSizeLimitExceeded(String),
    /// `ExpiredIteratorException`: a stream's shard iterator older than 15 minutes.
    #[error("{0}")]
    ExpiredIterator(String),
    /// `TrimmedDataAccessException`: a stream position whose records were trimmed (older than
    /// 24 hours).
    #[error("{0}")]
    TrimmedDataAccess(String),
    /// `InternalServerError`: the storage engine failed (I/O, corruption); the request may or
    /// may not have taken effect, as DynamoDB says of its own.
    #[error("{0}")]
    Internal(String),
}

const NS_DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810#";
const NS_VALIDATE: &str = "com.amazon.coral.validate#";
const NS_SERVICE: &str = "com.amazon.coral.service#";

impl DbError {
    /// The exception's name, e.g. `ValidationException`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            DbError::Validation(_) => "ValidationException",
            DbError::Serialization(_) => "SerializationException",
            DbError::ResourceNotFound(_) => "ResourceNotFoundException",
            DbError::ResourceInUse(_) => "ResourceInUseException",
            DbError::LimitExceeded(_) => "LimitExceededException",
            DbError::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            DbError::TransactionCanceled { .. } => "TransactionCanceledException",
            DbError::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            DbError::TransactionInProgress(_) => "TransactionInProgressException",
            DbError::ItemCollectionSizeLimitExceeded(_) => {
                "ItemCollectionSizeLimitExceededException"
            }
            DbError::ExpiredIterator(_) => "ExpiredIteratorException",
            DbError::TrimmedDataAccess(_) => "TrimmedDataAccessException",
            DbError::Internal(_) => "InternalServerError",
        }
    }

    /// The `__type` of DynamoDB's error body: the name behind its namespace.
    #[must_use]
    pub fn type_uri(&self) -> String {
        let namespace = match self {
            DbError::Validation(_) => NS_VALIDATE,
            DbError::Serialization(_) => NS_SERVICE,
            _ => NS_DYNAMODB,
        };
        format!("{namespace}{}", self.name())
    }

    /// Whether the client or the server is at fault.
    #[must_use]
    pub fn category(&self) -> ErrorCategory {
        match self {
            DbError::Internal(_) => ErrorCategory::Server,
            _ => ErrorCategory::Client,
        }
    }

    /// The message.
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// A `ValidationException` with `message`.
    pub fn validation(message: impl Into<String>) -> DbError {
        DbError::Validation(message.into())
    }

    /// A `ValidationException` whose message starts as DynamoDB's semantic checks do: "One or
    /// more parameter values were invalid: ".
    pub fn invalid_parameter(detail: impl std::fmt::Display) -> DbError {
        DbError::Validation(format!("One or more parameter values were invalid: {detail}"))
    }

    /// The `ResourceNotFoundException` of the data plane.
    #[must_use]
    pub fn table_not_found() -> DbError {
        DbError::ResourceNotFound("Requested resource not found".into())
    }
}

impl From<crate::core::Error> for DbError {
    fn from(error: crate::core::Error) -> DbError {
        match error {
            // A request DynamoDB accepts can outgrow the largest log record once its index
            // entries and stream records are added (a transaction of large items on a table with
            // many ALL-projected indexes): refused whole, nothing written.
            crate::core::Error::BatchTooLarge { bytes, max } => DbError::Validation(format!(
                "The request's items with their index entries and stream records take {bytes} \
                 bytes, more than Basalt applies in one atomic write ({max} bytes)"
            )),
            error => DbError::Internal(format!("Internal server error: {error}")),
        }
    }
}

impl From<crate::model::ValueError> for DbError {
    fn from(error: crate::model::ValueError) -> DbError {
        match error.kind() {
            crate::model::ErrorKind::Serialization => DbError::Serialization(error.to_string()),
            crate::model::ErrorKind::Validation => DbError::Validation(error.to_string()),
        }
    }
}
