//! DynamoDB's expression language: the syntax trees of condition, filter, key-condition,
//! update and projection expressions ([`ast`]), and their parser, which refuses what DynamoDB
//! refuses with DynamoDB's messages ([`ExprError`]).
//!
//! Parsing is the first step: placeholders stay unresolved in the tree, and the checks that need
//! `ExpressionAttributeNames`/`ExpressionAttributeValues`, the item or the key schema belong to
//! the evaluator and the operations.
//!
//! Map: `lexer` (tokens, whitespace kept for error messages), `parser` (shared machinery,
//! limits, entry points, projections), `condition`, `update`, `reserved` (DynamoDB's reserved
//! words), `print` (expression syntax and S-expressions), `fuzz` (the `expr_parse` target).

pub mod ast;
mod condition;
mod error;
mod fuzz;
mod lexer;
mod parser;
mod print;
mod reserved;
mod update;

pub use error::{ErrorKind, ExprError, ExpressionKind};
pub use fuzz::fuzz_expr_parse;
pub use parser::{
    parse_condition, parse_condition_as, parse_filter, parse_key_condition, parse_projection,
    parse_update, EXPRESSION_BYTES_MAX, IN_OPERANDS_MAX, NESTING_DEPTH_MAX, OPERATORS_MAX,
    PATH_DEPTH_MAX,
};
pub use reserved::{is_reserved, RESERVED_WORDS, RESERVED_WORDS_COUNT};

#[cfg(test)]
mod tests;
