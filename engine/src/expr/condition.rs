//! Parsing conditions (`ConditionExpression`, `FilterExpression`, `KeyConditionExpression`).
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, then one primary condition: a comparison,
//! `BETWEEN`, `IN`, a function, or a parenthesized condition (DG: Comparison operator and
//! function reference, "Precedence in conditions"). As in DynamoDB, `NOT` applies to one
//! primary condition, so `NOT NOT a = :x` needs parentheses: `NOT (NOT a = :x)`.
//!
//! A `(` can open a parenthesized condition, `(a = :x)`, or a parenthesized operand,
//! `(a) = :x`; the parser tries the operand reading first and backtracks.
#![deny(clippy::indexing_slicing)]

use super::ast::{Comparator, Condition, Function, Operand, Span};
use super::error::{ErrorKind, ExprError};
use super::lexer::TokenKind;
use super::parser::{Parsed, Parser, IN_OPERANDS_MAX};

const REDUNDANT_PARENTHESES: &str = "The expression has redundant parentheses;";

/// A condition and how it was written.
struct Group {
    condition: Condition,
    /// Whether it is exactly one parenthesized condition, `( … )`.
    parenthesized: bool,
    /// Its bytes, parentheses included.
    outer: Span,
}

impl Group {
    fn plain(condition: Condition) -> Self {
        let outer = condition.span();
        Self { condition, parenthesized: false, outer }
    }
}

/// An operand of a condition and how it was written.
struct CondOperand {
    operand: Operand,
    /// Whether it is a function call, and of which function (`None`: an unknown one).
    call: Option<Option<Function>>,
    /// Whether it is exactly one parenthesized operand, `( … )`.
    parenthesized: bool,
    /// Its bytes, parentheses included.
    outer: Span,
}

impl CondOperand {
    fn plain(operand: Operand) -> Self {
        let outer = operand.span();
        Self { operand, call: None, parenthesized: false, outer }
    }
}

fn comparator(kind: TokenKind) -> Option<Comparator> {
    Some(match kind {
        TokenKind::Eq => Comparator::Eq,
        TokenKind::Ne => Comparator::Ne,
        TokenKind::Lt => Comparator::Lt,
        TokenKind::Le => Comparator::Le,
        TokenKind::Gt => Comparator::Gt,
        TokenKind::Ge => Comparator::Ge,
        _ => return None,
    })
}

/// The tree standing in for a function DynamoDB does not have; its deferred error discards it.
fn stand_in(operand: Operand) -> Condition {
    let span = operand.span();
    Condition::Compare { op: Comparator::Eq, left: operand.clone(), right: operand, span }
}

impl Parser<'_> {
    /// A whole condition.
    pub(crate) fn condition(&mut self) -> Parsed<Condition> {
        Ok(self.or_condition()?.condition)
    }

    fn or_condition(&mut self) -> Parsed<Group> {
        let mut left = self.and_condition()?;
        while self.at_keyword("OR") {
            let keyword = self.advance();
            self.count_operator(keyword)?;
            let right = self.and_condition()?;
            let span = left.outer.to(right.outer);
            let (left_condition, right) = (Box::new(left.condition), Box::new(right.condition));
            left = Group::plain(Condition::Or { left: left_condition, right, span });
        }
        Ok(left)
    }

    fn and_condition(&mut self) -> Parsed<Group> {
        let mut left = self.not_condition()?;
        while self.at_keyword("AND") {
            let keyword = self.advance();
            self.count_operator(keyword)?;
            let right = self.not_condition()?;
            let span = left.outer.to(right.outer);
            let (left_condition, right) = (Box::new(left.condition), Box::new(right.condition));
            left = Group::plain(Condition::And { left: left_condition, right, span });
        }
        Ok(left)
    }

    fn not_condition(&mut self) -> Parsed<Group> {
        if !self.at_keyword("NOT") {
            return self.primary();
        }
        let keyword = self.advance();
        self.count_operator(keyword)?;
        let inner = self.primary()?;
        let span = keyword.to(inner.outer);
        Ok(Group::plain(Condition::Not { inner: Box::new(inner.condition), span }))
    }

    fn primary(&mut self) -> Parsed<Group> {
        if !self.at(TokenKind::LeftParen) {
            return self.comparison(false);
        }
        let mark = self.mark();
        let operand_error = match self.comparison(true) {
            Ok(group) => return Ok(group),
            Err(error) => error,
        };
        self.reset(mark);
        // Both readings failed: report the error found further into the source.
        self.parenthesized().map_err(|error| further(error, operand_error))
    }

    fn parenthesized(&mut self) -> Parsed<Group> {
        let open = self.expect(TokenKind::LeftParen)?;
        self.enter(open.span)?;
        let inner = self.or_condition()?;
        let close = self.expect(TokenKind::RightParen)?;
        self.leave();
        let outer = open.span.to(close.span);
        if inner.parenthesized {
            self.defer(ErrorKind::RedundantParentheses, REDUNDANT_PARENTHESES, outer);
        }
        Ok(Group { condition: inner.condition, parenthesized: true, outer })
    }

    /// A condition that starts with an operand: a comparison, `BETWEEN`, `IN`, or (unless
    /// `require_comparison`) a function.
    fn comparison(&mut self, require_comparison: bool) -> Parsed<Group> {
        let left = self.cond_operand()?;
        let Some(token) = self.peek() else {
            return self.function_condition(left, require_comparison);
        };
        if self.is_keyword(token, "BETWEEN") {
            return self.between(left);
        }
        if self.is_keyword(token, "IN") {
            return self.in_list(left);
        }
        let Some(op) = comparator(token.kind) else {
            return self.function_condition(left, require_comparison);
        };
        self.advance();
        self.count_operator(token.span)?;
        let right = self.cond_operand()?;
        self.check_misused(&left);
        self.check_misused(&right);
        let span = left.outer.to(right.outer);
        let (left, right) = (left.operand, right.operand);
        Ok(Group::plain(Condition::Compare { op, left, right, span }))
    }

    fn function_condition(&mut self, operand: CondOperand, require: bool) -> Parsed<Group> {
        let Some(function) = operand.call.filter(|_| !require && !operand.parenthesized) else {
            return Err(self.syntax_error());
        };
        if let Some(Function::Size) = function {
            self.defer_misused(Function::Size, operand.outer);
        }
        let condition = match operand.operand {
            Operand::Call(call) => Condition::Call(call),
            other => stand_in(other),
        };
        Ok(Group { condition, parenthesized: false, outer: operand.outer })
    }

    fn between(&mut self, operand: CondOperand) -> Parsed<Group> {
        let keyword = self.advance();
        self.count_operator(keyword)?;
        let low = self.cond_operand()?;
        if !self.at_keyword("AND") {
            return Err(self.syntax_error());
        }
        self.advance();
        let high = self.cond_operand()?;
        for part in [&operand, &low, &high] {
            self.check_misused(part);
        }
        let span = operand.outer.to(high.outer);
        let (operand, low, high) = (operand.operand, low.operand, high.operand);
        Ok(Group::plain(Condition::Between { operand, low, high, span }))
    }

    fn in_list(&mut self, operand: CondOperand) -> Parsed<Group> {
        let keyword = self.advance();
        self.count_operator(keyword)?;
        self.expect(TokenKind::LeftParen)?;
        let list = self.comma_list(Self::cond_operand)?;
        let close = self.expect(TokenKind::RightParen)?;
        let span = operand.outer.to(close.span);
        if list.len() > IN_OPERANDS_MAX {
            let detail = format!(
                "The IN operator is provided with too many operands; number of operands: {}",
                list.len()
            );
            return Err(ExprError::new(self.kind, ErrorKind::TooManyInOperands, &detail, span));
        }
        for part in std::iter::once(&operand).chain(&list) {
            self.check_misused(part);
        }
        let list = list.into_iter().map(|o| o.operand).collect();
        Ok(Group::plain(Condition::In { operand: operand.operand, list, span }))
    }

    /// An operand of a condition: a path, a value placeholder, a function call, or a
    /// parenthesized operand.
    fn cond_operand(&mut self) -> Parsed<CondOperand> {
        let Some(token) = self.peek() else { return Err(self.syntax_error()) };
        match token.kind {
            TokenKind::LeftParen => {
                self.advance();
                self.enter(token.span)?;
                let inner = self.cond_operand()?;
                let close = self.expect(TokenKind::RightParen)?;
                self.leave();
                let outer = token.span.to(close.span);
                if inner.parenthesized {
                    self.defer(ErrorKind::RedundantParentheses, REDUNDANT_PARENTHESES, outer);
                }
                Ok(CondOperand { parenthesized: true, outer, ..inner })
            }
            TokenKind::ValuePlaceholder => Ok(CondOperand::plain(Operand::Value(self.value()?))),
            TokenKind::Name if self.at_call() => {
                let (operand, function) = self.call(Self::cond_argument)?;
                Ok(CondOperand { call: Some(function), ..CondOperand::plain(operand) })
            }
            _ => Ok(CondOperand::plain(Operand::Path(self.path()?))),
        }
    }

    fn cond_argument(&mut self) -> Parsed<Operand> {
        let argument = self.cond_operand()?;
        self.check_misused(&argument);
        Ok(argument.operand)
    }

    /// A function whose result is a truth value cannot be an operand.
    fn check_misused(&mut self, operand: &CondOperand) {
        if let Some(Some(function)) = operand.call {
            if !function.is_operand() {
                self.defer_misused(function, operand.outer);
            }
        }
    }

    fn defer_misused(&mut self, function: Function, span: Span) {
        let detail = format!(
            "The function is not allowed to be used this way in an expression; function: {}",
            function.name()
        );
        self.defer(ErrorKind::MisusedFunction, &detail, span);
    }
}

/// Of two errors, the one found further into the source (`second` on a tie).
fn further(second: ExprError, first: ExprError) -> ExprError {
    if first.span.start > second.span.start {
        first
    } else {
        second
    }
}
