//! The fuzz target `expr_parse`: any string through every parser entry point never panics;
//! an accepted expression prints back to text that parses to the same tree; every error names
//! its expression and points inside the source.

use super::ast::Span;
use super::error::{ErrorKind, ExprError, ExpressionKind};
use super::parser::{parse_condition_as, parse_projection, parse_update};

/// Runs `bytes` (as UTF-8, invalid sequences replaced) through the five parsers and checks
/// what they return.
///
/// # Panics
/// If a parser panics, an accepted expression does not survive printing and parsing back, or
/// an error's span or message prefix is wrong.
pub fn fuzz_expr_parse(bytes: &[u8]) {
    let source = String::from_utf8_lossy(bytes);
    for kind in [ExpressionKind::Condition, ExpressionKind::Filter, ExpressionKind::KeyCondition] {
        let parse =
            |s: &str| parse_condition_as(s, kind).map(|c| (c.to_string(), c.to_sexpr(), c.span()));
        check(&source, kind, parse);
    }
    let parse = |s: &str| parse_update(s).map(|u| (u.to_string(), u.to_sexpr(), u.span));
    check(&source, ExpressionKind::Update, parse);
    let parse = |s: &str| parse_projection(s).map(|p| (p.to_string(), p.to_sexpr(), p.span));
    check(&source, ExpressionKind::Projection, parse);
}

/// What a parse yields for the checks: the tree printed as an expression, as an S-expression,
/// and its span.
type Outcome = Result<(String, String, Span), ExprError>;

fn check(source: &str, kind: ExpressionKind, parse: impl Fn(&str) -> Outcome) {
    match parse(source) {
        Ok((printed, sexpr, span)) => {
            assert_span(source, span);
            match parse(&printed) {
                Ok((_, again, _)) => assert_eq!(again, sexpr, "{source:?} printed as {printed:?}"),
                // Printing adds spaces, which can take a long expression over the limit.
                Err(e) if e.kind == ErrorKind::TooLarge => {}
                Err(e) => panic!("{source:?} printed as {printed:?} does not parse: {e}"),
            }
        }
        Err(error) => {
            let prefix = format!("Invalid {}: ", kind.parameter());
            assert!(error.message.starts_with(&prefix), "{error:?}");
            assert_span(source, error.span);
        }
    }
}

fn assert_span(source: &str, span: Span) {
    assert!(span.start <= span.end && span.end <= source.len(), "{span:?} in {source:?}");
    assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end));
}
