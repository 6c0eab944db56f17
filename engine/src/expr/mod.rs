//! DynamoDB's expression language: the syntax trees of condition, filter, key-condition,
//! update and projection expressions ([`ast`]), their parser, which refuses what DynamoDB
//! refuses with DynamoDB's messages ([`ExprError`]), placeholder resolution with DynamoDB's
//! accounting of undefined and unused names and values ([`Placeholders`]), the evaluation
//! of conditions and filters on an item ([`evaluate`]), the application of update expressions
//! ([`check_update`], [`apply_update`]) and projections ([`project`]).
//!
//! Not yet used by any operation: the wiring into PutItem/DeleteItem/UpdateItem/Query/Scan is
//! still to come.
//!
//! Map: `lexer` (tokens, whitespace kept for error messages), `parser` (shared machinery,
//! limits, entry points, projections), `condition`, `update`, `reserved` (DynamoDB's reserved
//! words), `print` (expression syntax and S-expressions), `resolve` (placeholders and the checks
//! made before any item is read), `eval` (paths and conditions on an item), `path` (resolved
//! document paths, overlaps and conflicts), `project` (projections), `apply` (update
//! expressions), `fuzz` (the `expr_parse` target).

mod apply;
pub mod ast;
mod condition;
mod error;
mod eval;
mod fuzz;
pub mod legacy;
mod lexer;
mod parser;
mod path;
mod print;
mod project;
mod reserved;
mod resolve;
mod update;

pub use apply::{apply_update, check_update, check_update_keys};
pub use error::{ErrorKind, ExprError, ExpressionKind};
pub use eval::{eval_path, evaluate, get_path, ordering, type_name, values_equal, Step};
pub use fuzz::fuzz_expr_parse;
pub use parser::{
    parse_condition, parse_condition_as, parse_filter, parse_key_condition, parse_projection,
    parse_update, EXPRESSION_BYTES_MAX, IN_OPERANDS_MAX, NESTING_DEPTH_MAX, OPERATORS_MAX,
    PATH_DEPTH_MAX,
};
pub use path::{check_overlaps, resolve_path, steps, DisplayPath, DocPath, PathStep};
pub use project::{project, resolve_projection};
pub use reserved::{is_reserved, RESERVED_WORDS, RESERVED_WORDS_COUNT};
pub(crate) use resolve::describe;
pub use resolve::{Bindings, EvalError, EvalErrorKind, Placeholders};

#[cfg(test)]
mod apply_tests;
#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
mod tests;
