//! DynamoDB's expression language: the syntax trees of condition, filter, key-condition,
//! update and projection expressions ([`ast`]), their parser, which refuses what DynamoDB
//! refuses with DynamoDB's messages ([`ExprError`]), placeholder resolution with DynamoDB's
//! accounting of undefined and unused names and values ([`Placeholders`]), and the evaluation
//! of conditions and filters on an item ([`evaluate`]).
//!
//! Not yet used by any operation: the evaluation of update expressions and projections, and the
//! wiring into PutItem/DeleteItem/UpdateItem/Query/Scan, are still to come.
//!
//! Map: `lexer` (tokens, whitespace kept for error messages), `parser` (shared machinery,
//! limits, entry points, projections), `condition`, `update`, `reserved` (DynamoDB's reserved
//! words), `print` (expression syntax and S-expressions), `resolve` (placeholders and the checks
//! made before any item is read), `eval` (paths and conditions on an item), `fuzz` (the
//! `expr_parse` target).

pub mod ast;
mod condition;
mod error;
mod eval;
mod fuzz;
mod lexer;
mod parser;
mod print;
mod reserved;
mod resolve;
mod update;

pub use error::{ErrorKind, ExprError, ExpressionKind};
pub use eval::{eval_path, evaluate, get_path, ordering, type_name, values_equal, Step};
pub use fuzz::fuzz_expr_parse;
pub use parser::{
    parse_condition, parse_condition_as, parse_filter, parse_key_condition, parse_projection,
    parse_update, EXPRESSION_BYTES_MAX, IN_OPERANDS_MAX, NESTING_DEPTH_MAX, OPERATORS_MAX,
    PATH_DEPTH_MAX,
};
pub use reserved::{is_reserved, RESERVED_WORDS, RESERVED_WORDS_COUNT};
pub use resolve::{Bindings, EvalError, EvalErrorKind, Placeholders};

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod tests;
