//! The recursive-descent parser of the five expression kinds, and the token-level machinery
//! they share: DynamoDB's syntax-error wording, deferred errors, limits.
//!
//! DynamoDB reports a syntax error before any other: the whole expression is parsed first, and
//! the other errors found on the way (a reserved word, an unknown function, a clause used twice…)
//! are *deferred* and reported afterwards, the first of each class, the classes in the order
//! DynamoDB checks them ([`Parser::finish`]). Limits that bound the parser's own work (operator
//! count, nesting depth) stop it at once.
#![deny(clippy::indexing_slicing)]

use super::ast::{Call, Function, Name, Operand, Path, PathElement, Projection, Span, ValueRef};
use super::error::{ErrorKind, ExprError, ExpressionKind};
use super::lexer::{tokenize, Token, TokenKind};
use super::reserved::is_reserved;

/// The longest expression string, in bytes (DG: Constraints).
pub const EXPRESSION_BYTES_MAX: usize = 4096;
/// The most elements a document path may have (DG: Constraints, "32 levels deep").
pub const PATH_DEPTH_MAX: usize = 32;
/// The most operators and functions one expression may use (DG: Constraints).
pub const OPERATORS_MAX: usize = 300;
/// The most operands of one `IN` list (DG: Constraints).
pub const IN_OPERANDS_MAX: usize = 100;
/// The deepest nesting of parentheses and function calls Basalt parses. DynamoDB documents no
/// such bound; reaching it takes a hundred operators nested one inside another, far from real
/// expressions. It keeps the recursive parser's stack small: about 11 KB per level in debug
/// builds and 2 KB in release, measured.
pub const NESTING_DEPTH_MAX: usize = 100;

pub(crate) type Parsed<T> = Result<T, ExprError>;

/// Parser state that backtracking restores.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    deferred: usize,
    operators: usize,
    depth: usize,
}

/// The parser over one expression's tokens.
pub(crate) struct Parser<'s> {
    pub(crate) source: &'s str,
    pub(crate) kind: ExpressionKind,
    /// Every token, whitespace runs included (syntax errors quote them).
    tokens: Vec<Token>,
    /// Indexes into `tokens` of the tokens that are not whitespace.
    significant: Vec<usize>,
    /// The next token, an index into `significant`.
    pos: usize,
    /// The first error of each class found so far, reported after a clean parse.
    deferred: Vec<ExprError>,
    operators: usize,
    depth: usize,
}

/// Error classes in the order DynamoDB reports them, per expression family.
const CONDITION_ORDER: &[ErrorKind] = &[
    ErrorKind::RedundantParentheses,
    ErrorKind::UnknownFunction,
    ErrorKind::FunctionNotAllowed,
    ErrorKind::MisusedFunction,
    ErrorKind::ReservedWord,
    ErrorKind::PathTooDeep,
    ErrorKind::OperandCount,
    ErrorKind::RequiresPath,
];
const UPDATE_ORDER: &[ErrorKind] = &[
    ErrorKind::ReservedWord,
    ErrorKind::UnknownFunction,
    ErrorKind::FunctionNotAllowed,
    ErrorKind::DuplicateSection,
    ErrorKind::PathTooDeep,
    ErrorKind::OperandCount,
    ErrorKind::RequiresPath,
];

impl<'s> Parser<'s> {
    /// A parser over `source`, or the error for an empty or oversized expression.
    pub(crate) fn new(source: &'s str, kind: ExpressionKind) -> Parsed<Self> {
        let whole = Span::new(0, source.len());
        if source.len() > EXPRESSION_BYTES_MAX {
            let detail = format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                source.len()
            );
            return Err(ExprError::new(kind, ErrorKind::TooLarge, &detail, whole));
        }
        let tokens = tokenize(source);
        let significant: Vec<usize> = (0..tokens.len())
            .filter(|&i| tokens.get(i).is_some_and(|t| t.kind != TokenKind::Whitespace))
            .collect();
        if significant.is_empty() {
            let detail = "The expression can not be empty;";
            return Err(ExprError::new(kind, ErrorKind::Empty, detail, whole));
        }
        let deferred = Vec::new();
        Ok(Self { source, kind, tokens, significant, pos: 0, deferred, operators: 0, depth: 0 })
    }

    /// The source text of `span`.
    pub(crate) fn text(&self, span: Span) -> &'s str {
        self.source.get(span.start..span.end).unwrap_or("")
    }

    /// The next significant token, `None` at the end.
    pub(crate) fn peek(&self) -> Option<Token> {
        self.peek_nth(0)
    }

    /// The significant token `n` places after the next one.
    pub(crate) fn peek_nth(&self, n: usize) -> Option<Token> {
        let raw = *self.significant.get(self.pos + n)?;
        self.tokens.get(raw).copied()
    }

    /// Whether the next token is of `kind`.
    pub(crate) fn at(&self, kind: TokenKind) -> bool {
        self.peek().is_some_and(|t| t.kind == kind)
    }

    /// Whether the next token is the keyword `word` (case-insensitively).
    pub(crate) fn at_keyword(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| self.is_keyword(t, word))
    }

    pub(crate) fn is_keyword(&self, token: Token, word: &str) -> bool {
        token.kind == TokenKind::Name && self.text(token.span).eq_ignore_ascii_case(word)
    }

    /// Takes the next token.
    pub(crate) fn bump(&mut self) -> Option<Token> {
        let token = self.peek()?;
        self.pos += 1;
        Some(token)
    }

    /// Takes the next token and returns its span (an empty span at the end of the source).
    pub(crate) fn advance(&mut self) -> Span {
        let end = Span::new(self.source.len(), self.source.len());
        self.bump().map_or(end, |t| t.span)
    }

    /// Takes the next token if it is of `kind`.
    pub(crate) fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        if self.at(kind) {
            self.bump()
        } else {
            None
        }
    }

    /// Takes the next token, which must be of `kind`.
    pub(crate) fn expect(&mut self, kind: TokenKind) -> Parsed<Token> {
        self.eat(kind).ok_or_else(|| self.syntax_error())
    }

    pub(crate) fn mark(&self) -> Mark {
        let deferred = self.deferred.len();
        Mark { pos: self.pos, deferred, operators: self.operators, depth: self.depth }
    }

    pub(crate) fn reset(&mut self, mark: Mark) {
        self.pos = mark.pos;
        self.deferred.truncate(mark.deferred);
        self.operators = mark.operators;
        self.depth = mark.depth;
    }

    /// DynamoDB's syntax error at the next token: `token` is the token (`<EOF>` at the end);
    /// `near` is the token before it (and the one before that when the one before is
    /// whitespace), the token itself, and likewise the token after it.
    pub(crate) fn syntax_error(&self) -> ExprError {
        let raw = self.significant.get(self.pos).copied().unwrap_or(self.tokens.len());
        let text = |i: usize| self.tokens.get(i).map_or("", |t| self.text(t.span));
        let blank = |i: usize| self.tokens.get(i).is_some_and(|t| t.kind == TokenKind::Whitespace);
        let mut near = String::new();
        if raw >= 2 && blank(raw - 1) {
            near.push_str(text(raw - 2));
        }
        if raw >= 1 {
            near.push_str(text(raw - 1));
        }
        let (token, span) = match self.tokens.get(raw) {
            Some(t) => (self.text(t.span), t.span),
            None => ("<EOF>", Span::new(self.source.len(), self.source.len())),
        };
        if raw < self.tokens.len() {
            near.push_str(token);
            near.push_str(text(raw + 1));
            if blank(raw + 1) {
                near.push_str(text(raw + 2));
            }
        }
        let detail = format!("Syntax error; token: \"{token}\", near: \"{near}\"");
        ExprError::new(self.kind, ErrorKind::Syntax, &detail, span)
    }

    /// Records an error to report after the parse, unless one of its class came first.
    pub(crate) fn defer(&mut self, kind: ErrorKind, detail: &str, span: Span) {
        if !self.deferred.iter().any(|e| e.kind == kind) {
            self.deferred.push(ExprError::new(self.kind, kind, detail, span));
        }
    }

    /// Counts one operator or function against [`OPERATORS_MAX`].
    pub(crate) fn count_operator(&mut self, span: Span) -> Parsed<()> {
        self.operators += 1;
        if self.operators > OPERATORS_MAX {
            let detail = format!(
                "The expression contains too many operators; operator count: {}",
                self.operators
            );
            return Err(ExprError::new(self.kind, ErrorKind::TooManyOperators, &detail, span));
        }
        Ok(())
    }

    /// Enters one level of parentheses or function arguments.
    pub(crate) fn enter(&mut self, span: Span) -> Parsed<()> {
        self.depth += 1;
        if self.depth > NESTING_DEPTH_MAX {
            let detail =
                format!("The expression is nested too deeply; nesting levels: {}", self.depth);
            return Err(ExprError::new(self.kind, ErrorKind::NestingTooDeep, &detail, span));
        }
        Ok(())
    }

    /// Leaves a level entered with [`Parser::enter`].
    pub(crate) fn leave(&mut self) {
        assert!(self.depth > 0, "leave matches enter");
        self.depth -= 1;
    }

    /// Ends the parse of `value`: a syntax error if tokens are left over, else the first
    /// deferred error in DynamoDB's order, else `value`.
    pub(crate) fn finish<T>(self, value: T) -> Parsed<T> {
        if self.peek().is_some() {
            return Err(self.syntax_error());
        }
        let order =
            if self.kind == ExpressionKind::Update { UPDATE_ORDER } else { CONDITION_ORDER };
        let rank = |e: &ExprError| order.iter().position(|&k| k == e.kind).unwrap_or(order.len());
        match self.deferred.into_iter().min_by_key(rank) {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }

    /// The keywords that cannot be attribute names in this kind of expression.
    fn keywords(&self) -> &'static [&'static str] {
        match self.kind {
            ExpressionKind::Update => &["SET", "REMOVE", "ADD", "DELETE"],
            ExpressionKind::Projection => &[],
            _ => &["AND", "OR", "NOT", "BETWEEN", "IN"],
        }
    }

    /// Whether `token` is a keyword of this kind of expression.
    pub(crate) fn is_any_keyword(&self, token: Token) -> bool {
        self.keywords().iter().any(|word| self.is_keyword(token, word))
    }

    /// Whether the next tokens are `name (`: a function call.
    pub(crate) fn at_call(&self) -> bool {
        let name =
            self.peek().is_some_and(|t| t.kind == TokenKind::Name && !self.is_any_keyword(t));
        name && self.peek_nth(1).is_some_and(|t| t.kind == TokenKind::LeftParen)
    }

    /// An expression attribute value placeholder.
    pub(crate) fn value(&mut self) -> Parsed<ValueRef> {
        let token = self.expect(TokenKind::ValuePlaceholder)?;
        Ok(ValueRef { name: self.text(token.span).to_owned(), span: token.span })
    }

    /// A document path.
    pub(crate) fn path(&mut self) -> Parsed<Path> {
        let first = self.path_name()?;
        let mut span = element_span(&first);
        let mut elements = vec![first];
        loop {
            let element = if self.eat(TokenKind::Dot).is_some() {
                self.path_name()?
            } else if let Some(open) = self.eat(TokenKind::LeftBracket) {
                self.list_index(open)?
            } else {
                break;
            };
            span = span.to(element_span(&element));
            elements.push(element);
        }
        if elements.len() > PATH_DEPTH_MAX {
            let detail = format!(
                "The document path has too many nesting levels; nesting levels: {}",
                elements.len()
            );
            self.defer(ErrorKind::PathTooDeep, &detail, span);
        }
        Ok(Path { elements, span })
    }

    /// A name step of a path: a literal name (not a keyword; a reserved word is deferred) or a
    /// name placeholder.
    fn path_name(&mut self) -> Parsed<PathElement> {
        let token = self.peek().ok_or_else(|| self.syntax_error())?;
        let text = self.text(token.span);
        let name = match token.kind {
            TokenKind::NamePlaceholder => Name::Placeholder(text.to_owned()),
            TokenKind::Name if !self.is_any_keyword(token) => {
                if is_reserved(text) {
                    let detail =
                        format!("Attribute name is a reserved keyword; reserved keyword: {text}");
                    self.defer(ErrorKind::ReservedWord, &detail, token.span);
                }
                Name::Literal(text.to_owned())
            }
            _ => return Err(self.syntax_error()),
        };
        self.pos += 1;
        Ok(PathElement::Name { name, span: token.span })
    }

    /// `[n]` after its `[`.
    fn list_index(&mut self, open: Token) -> Parsed<PathElement> {
        let number = self.peek().filter(|t| t.kind == TokenKind::Number);
        let index = number.and_then(|t| self.text(t.span).parse::<u32>().ok());
        let Some(index) = index else { return Err(self.syntax_error()) };
        self.pos += 1;
        let close = self.expect(TokenKind::RightBracket)?;
        Ok(PathElement::Index { index, span: open.span.to(close.span) })
    }

    /// `function(args…)`, its arguments parsed by `argument`. Checks the function exists and
    /// belongs to this kind of expression, and its arguments' number and first argument
    /// (deferred errors). An unknown function yields a stand-in operand: its deferred error
    /// discards the tree.
    pub(crate) fn call(
        &mut self,
        mut argument: impl FnMut(&mut Self) -> Parsed<Operand>,
    ) -> Parsed<(Operand, Option<Function>)> {
        let name_token = self.expect(TokenKind::Name)?;
        let open = self.expect(TokenKind::LeftParen)?;
        self.count_operator(name_token.span)?;
        self.enter(open.span)?;
        let mut args = vec![argument(self)?];
        while self.eat(TokenKind::Comma).is_some() {
            args.push(argument(self)?);
        }
        let close = self.expect(TokenKind::RightParen)?;
        self.leave();
        let name = self.text(name_token.span);
        let span = name_token.span.to(close.span);
        let Some(function) = Function::from_name(name) else {
            let detail = format!("Invalid function name; function: {name}");
            self.defer(ErrorKind::UnknownFunction, &detail, name_token.span);
            return Ok((Operand::Value(ValueRef { name: name.to_owned(), span }), None));
        };
        self.check_call(function, &args, span);
        Ok((Operand::Call(Call { function, args, span }), Some(function)))
    }

    fn check_call(&mut self, function: Function, args: &[Operand], span: Span) {
        let name = function.name();
        if function.is_update() != (self.kind == ExpressionKind::Update) {
            let place =
                if self.kind == ExpressionKind::Update { "an update" } else { "a condition" };
            let detail =
                format!("The function is not allowed in {place} expression; function: {name}");
            self.defer(ErrorKind::FunctionNotAllowed, &detail, span);
        }
        if args.len() != function.arity() {
            let detail = format!(
                "Incorrect number of operands for operator or function; operator or function: \
                 {name}, number of operands: {}",
                args.len()
            );
            self.defer(ErrorKind::OperandCount, &detail, span);
        } else if function.needs_path() && !matches!(args.first(), Some(Operand::Path(_))) {
            let detail = format!(
                "Operator or function requires a document path; operator or function: {name}"
            );
            self.defer(ErrorKind::RequiresPath, &detail, span);
        }
    }

    /// A comma-separated list of at least one `item`.
    pub(crate) fn comma_list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Parsed<T>,
    ) -> Parsed<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.eat(TokenKind::Comma).is_some() {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// A `ProjectionExpression`: comma-separated paths.
    pub(crate) fn projection(&mut self) -> Parsed<Projection> {
        let paths = self.comma_list(Self::path)?;
        let span = paths_span(&paths);
        Ok(Projection { paths, span })
    }
}

fn element_span(element: &PathElement) -> Span {
    match element {
        PathElement::Name { span, .. } | PathElement::Index { span, .. } => *span,
    }
}

fn paths_span(paths: &[Path]) -> Span {
    let first = paths.first().map(|p| p.span).unwrap_or_default();
    paths.iter().fold(first, |span, p| span.to(p.span))
}

/// Parses a `ConditionExpression`.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as [`ExprError`].
pub fn parse_condition(source: &str) -> Result<super::ast::Condition, ExprError> {
    parse_condition_as(source, ExpressionKind::Condition)
}

/// Parses a `FilterExpression`.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as [`ExprError`].
pub fn parse_filter(source: &str) -> Result<super::ast::Condition, ExprError> {
    parse_condition_as(source, ExpressionKind::Filter)
}

/// Parses a `KeyConditionExpression` as a condition; the rules particular to key conditions
/// (which comparators, which attributes) are the Query operation's to check.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as [`ExprError`].
pub fn parse_key_condition(source: &str) -> Result<super::ast::Condition, ExprError> {
    parse_condition_as(source, ExpressionKind::KeyCondition)
}

/// Parses a condition of kind `kind` (which names the expression in error messages).
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as [`ExprError`].
///
/// # Panics
/// If `kind` is not a condition kind.
pub fn parse_condition_as(
    source: &str,
    kind: ExpressionKind,
) -> Result<super::ast::Condition, ExprError> {
    assert!(kind.is_condition(), "{kind:?} is parsed by its own function");
    let mut parser = Parser::new(source, kind)?;
    let condition = parser.condition()?;
    parser.finish(condition)
}

/// Parses an `UpdateExpression`.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as [`ExprError`].
pub fn parse_update(source: &str) -> Result<super::ast::UpdateExpression, ExprError> {
    let mut parser = Parser::new(source, ExpressionKind::Update)?;
    let update = parser.update()?;
    parser.finish(update)
}

/// Parses a `ProjectionExpression`.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as [`ExprError`].
pub fn parse_projection(source: &str) -> Result<Projection, ExprError> {
    let mut parser = Parser::new(source, ExpressionKind::Projection)?;
    let projection = parser.projection()?;
    parser.finish(projection)
}
