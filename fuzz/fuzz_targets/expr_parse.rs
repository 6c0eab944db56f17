//! DynamoDB's expression parser over untrusted strings: every entry point (condition, filter,
//! key condition, update, projection) never panics; an accepted expression prints back to text
//! that parses to the same tree; every error names its expression and points inside the source.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| basalt::expr::fuzz_expr_parse(bytes));
