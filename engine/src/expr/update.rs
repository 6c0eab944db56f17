//! Parsing `UpdateExpression`s: clauses `SET`, `REMOVE`, `ADD`, `DELETE` in any order, each at
//! most once, each with comma-separated actions.
//!
//! A `SET` value is one operand or two joined by `+` or `-`; an operand is a path, a value
//! placeholder, `if_not_exists(path, operand)`, `list_append(operand, operand)`, or a
//! parenthesized value (which is how arithmetic nests).
#![deny(clippy::indexing_slicing)]

use super::ast::{ArithmeticOp, Operand, SetAction, UpdateClause, UpdateExpression, ValueAction};
use super::error::ErrorKind;
use super::lexer::TokenKind;
use super::parser::{Parsed, Parser};

const CLAUSES: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];

impl Parser<'_> {
    /// A whole update expression.
    pub(crate) fn update(&mut self) -> Parsed<UpdateExpression> {
        let mut clauses: Vec<UpdateClause> = Vec::new();
        while let Some(token) = self.peek() {
            let Some(keyword) = CLAUSES.into_iter().find(|k| self.is_keyword(token, k)) else {
                return Err(self.syntax_error());
            };
            self.advance();
            if clauses.iter().any(|c| c.keyword() == keyword) {
                let detail = format!(
                    "The \"{keyword}\" section can only be used once in an update expression;"
                );
                self.defer(ErrorKind::DuplicateSection, &detail, token.span);
            }
            clauses.push(self.clause(keyword, token.span)?);
        }
        let first = clauses.first().map(clause_span).unwrap_or_default();
        let span = clauses.iter().map(clause_span).fold(first, super::ast::Span::to);
        Ok(UpdateExpression { clauses, span })
    }

    fn clause(&mut self, keyword: &str, start: super::ast::Span) -> Parsed<UpdateClause> {
        Ok(match keyword {
            "SET" => {
                let actions = self.comma_list(Self::set_action)?;
                let span = actions.last().map_or(start, |a| start.to(a.span));
                UpdateClause::Set { actions, span }
            }
            "REMOVE" => {
                let paths = self.comma_list(Self::path)?;
                let span = paths.last().map_or(start, |p| start.to(p.span));
                UpdateClause::Remove { paths, span }
            }
            _ => {
                let actions = self.comma_list(Self::value_action)?;
                let span = actions.last().map_or(start, |a| start.to(a.span));
                if keyword == "ADD" {
                    UpdateClause::Add { actions, span }
                } else {
                    UpdateClause::Delete { actions, span }
                }
            }
        })
    }

    fn set_action(&mut self) -> Parsed<SetAction> {
        let path = self.path()?;
        self.expect(TokenKind::Eq)?;
        let value = self.set_value()?;
        let span = path.span.to(value.span());
        Ok(SetAction { path, value, span })
    }

    fn value_action(&mut self) -> Parsed<ValueAction> {
        let path = self.path()?;
        let value = self.value()?;
        let span = path.span.to(value.span);
        Ok(ValueAction { path, value, span })
    }

    /// `operand`, `operand + operand` or `operand - operand`.
    fn set_value(&mut self) -> Parsed<Operand> {
        let left = self.update_operand()?;
        let op = match self.peek().map(|t| t.kind) {
            Some(TokenKind::Plus) => ArithmeticOp::Add,
            Some(TokenKind::Minus) => ArithmeticOp::Subtract,
            _ => return Ok(left),
        };
        let sign = self.advance();
        self.count_operator(sign)?;
        let right = self.update_operand()?;
        let span = left.span().to(right.span());
        Ok(Operand::Arithmetic { op, left: Box::new(left), right: Box::new(right), span })
    }

    /// A path, a value placeholder, a function call, or a parenthesized `SET` value.
    fn update_operand(&mut self) -> Parsed<Operand> {
        let Some(token) = self.peek() else { return Err(self.syntax_error()) };
        match token.kind {
            TokenKind::LeftParen => {
                self.advance();
                self.enter(token.span)?;
                let inner = self.set_value()?;
                self.expect(TokenKind::RightParen)?;
                self.leave();
                Ok(inner)
            }
            TokenKind::ValuePlaceholder => Ok(Operand::Value(self.value()?)),
            TokenKind::Name if self.at_call() => Ok(self.call(Self::update_operand)?.0),
            _ => Ok(Operand::Path(self.path()?)),
        }
    }
}

fn clause_span(clause: &UpdateClause) -> super::ast::Span {
    match clause {
        UpdateClause::Set { span, .. }
        | UpdateClause::Remove { span, .. }
        | UpdateClause::Add { span, .. }
        | UpdateClause::Delete { span, .. } => *span,
    }
}
