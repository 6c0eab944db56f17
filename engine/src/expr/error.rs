//! The errors of the expression parser, worded as DynamoDB words them.

use std::fmt;

use super::ast::Span;

/// Which request parameter an expression came from; it names the expression in every message
/// ("Invalid ConditionExpression: …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpressionKind {
    /// `ConditionExpression` of PutItem, UpdateItem, DeleteItem and transactions.
    Condition,
    /// `FilterExpression` of Query and Scan.
    Filter,
    /// `KeyConditionExpression` of Query.
    KeyCondition,
    /// `UpdateExpression` of UpdateItem.
    Update,
    /// `ProjectionExpression` of reads.
    Projection,
}

impl ExpressionKind {
    /// The request parameter's name, as DynamoDB prints it after "Invalid ".
    #[must_use]
    pub fn parameter(self) -> &'static str {
        match self {
            Self::Condition => "ConditionExpression",
            Self::Filter => "FilterExpression",
            Self::KeyCondition => "KeyConditionExpression",
            Self::Update => "UpdateExpression",
            Self::Projection => "ProjectionExpression",
        }
    }

    /// Whether the expression is a condition (condition, filter or key condition).
    #[must_use]
    pub fn is_condition(self) -> bool {
        matches!(self, Self::Condition | Self::Filter | Self::KeyCondition)
    }
}

/// The class of an [`ExprError`]; its message carries the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The expression is empty or only whitespace: "The expression can not be empty;".
    Empty,
    /// The expression is longer than [`EXPRESSION_BYTES_MAX`](super::EXPRESSION_BYTES_MAX).
    TooLarge,
    /// A token the grammar does not allow there: "Syntax error; token: …, near: …".
    Syntax,
    /// A bare path element is one of DynamoDB's reserved words.
    ReservedWord,
    /// `((…))`: "The expression has redundant parentheses;".
    RedundantParentheses,
    /// A call of a function DynamoDB does not have.
    UnknownFunction,
    /// A call of an update function in a condition, or of a condition function in an update.
    FunctionNotAllowed,
    /// A function used where its result cannot go (a boolean function as an operand, or
    /// `size` as a whole condition).
    MisusedFunction,
    /// A function called with the wrong number of arguments.
    OperandCount,
    /// A function whose first argument must be a document path got something else.
    RequiresPath,
    /// An update clause keyword (`SET`, `REMOVE`, `ADD`, `DELETE`) used twice.
    DuplicateSection,
    /// A document path deeper than [`PATH_DEPTH_MAX`](super::PATH_DEPTH_MAX).
    PathTooDeep,
    /// More operators and functions than [`OPERATORS_MAX`](super::OPERATORS_MAX).
    TooManyOperators,
    /// An `IN` list longer than [`IN_OPERANDS_MAX`](super::IN_OPERANDS_MAX).
    TooManyInOperands,
    /// Parentheses nested deeper than [`NESTING_DEPTH_MAX`](super::NESTING_DEPTH_MAX)
    /// (Basalt's own bound, which keeps the recursive parser's stack small; DynamoDB documents
    /// none).
    NestingTooDeep,
}

/// An expression the parser refuses: the class, DynamoDB's full message (with the
/// "Invalid …Expression: " prefix) and the bytes of the source it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// The class of the error.
    pub kind: ErrorKind,
    /// The message as DynamoDB words it, prefix included.
    pub message: String,
    /// The bytes of the expression the error is about (empty at the end for `<EOF>`).
    pub span: Span,
}

impl ExprError {
    /// An error of `kind` about `span` of an expression of kind `expression`; `detail` is the
    /// message after the "Invalid …Expression: " prefix.
    pub(crate) fn new(
        expression: ExpressionKind,
        kind: ErrorKind,
        detail: &str,
        span: Span,
    ) -> Self {
        let message = format!("Invalid {}: {detail}", expression.parameter());
        Self { kind, message, span }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}
