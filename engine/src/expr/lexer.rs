//! Splitting an expression into tokens. Whitespace runs are tokens too: DynamoDB's syntax
//! errors quote the text "near" the bad token, whitespace included, so the parser needs them.
//!
//! Lexing never fails: a character no token starts with becomes an [`TokenKind::Unknown`]
//! token of its own, which the parser then reports as a syntax error where it stands.
#![deny(clippy::indexing_slicing)]

use super::ast::Span;

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `[A-Za-z][A-Za-z0-9_]*`: an attribute name, a keyword or a function name.
    Name,
    /// `#[A-Za-z0-9_]+`.
    NamePlaceholder,
    /// `:[A-Za-z0-9_]+`.
    ValuePlaceholder,
    /// `[0-9]+`: list indexes.
    Number,
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `(`.
    LeftParen,
    /// `)`.
    RightParen,
    /// `[`.
    LeftBracket,
    /// `]`.
    RightBracket,
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// A run of spaces, tabs, carriage returns and line feeds.
    Whitespace,
    /// One character no token starts with.
    Unknown,
}

/// A token: its kind and its bytes in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Span,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_whitespace_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The tokens of `source`, whitespace runs included, covering every byte in order.
pub(crate) fn tokenize(source: &str) -> Vec<Token> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&first) = bytes.get(at) {
        let (kind, len) = scan(source, bytes, at, first);
        debug_assert!(len > 0, "every token takes at least one byte");
        tokens.push(Token { kind, span: Span::new(at, at + len) });
        at += len;
    }
    tokens
}

/// The kind and byte length of the token starting at `at` (whose first byte is `first`).
fn scan(source: &str, bytes: &[u8], at: usize, first: u8) -> (TokenKind, usize) {
    let run = |from: usize, pred: fn(u8) -> bool| {
        bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|&&b| pred(b)).count())
    };
    let next = bytes.get(at + 1).copied();
    match first {
        b'a'..=b'z' | b'A'..=b'Z' => (TokenKind::Name, 1 + run(at + 1, is_word_byte)),
        b'0'..=b'9' => (TokenKind::Number, run(at, |b| b.is_ascii_digit())),
        b'#' | b':' => match run(at + 1, is_word_byte) {
            0 => (TokenKind::Unknown, 1),
            n if first == b'#' => (TokenKind::NamePlaceholder, 1 + n),
            n => (TokenKind::ValuePlaceholder, 1 + n),
        },
        b'<' if next == Some(b'>') => (TokenKind::Ne, 2),
        b'<' if next == Some(b'=') => (TokenKind::Le, 2),
        b'>' if next == Some(b'=') => (TokenKind::Ge, 2),
        b'<' => (TokenKind::Lt, 1),
        b'>' => (TokenKind::Gt, 1),
        b'=' => (TokenKind::Eq, 1),
        b'+' => (TokenKind::Plus, 1),
        b'-' => (TokenKind::Minus, 1),
        b'(' => (TokenKind::LeftParen, 1),
        b')' => (TokenKind::RightParen, 1),
        b'[' => (TokenKind::LeftBracket, 1),
        b']' => (TokenKind::RightBracket, 1),
        b',' => (TokenKind::Comma, 1),
        b'.' => (TokenKind::Dot, 1),
        b if is_whitespace_byte(b) => (TokenKind::Whitespace, run(at, is_whitespace_byte)),
        // One whole character, however many bytes it takes.
        _ => {
            let len =
                source.get(at..).and_then(|rest| rest.chars().next()).map_or(1, char::len_utf8);
            (TokenKind::Unknown, len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(TokenKind, &str)> {
        tokenize(source).iter().map(|t| (t.kind, &source[t.span.start..t.span.end])).collect()
    }

    #[test]
    fn splits_every_kind() {
        use TokenKind::*;
        assert_eq!(
            kinds("SET a.b[12] = :v_1,#n<>=<=>=<>+-()"),
            vec![
                (Name, "SET"),
                (Whitespace, " "),
                (Name, "a"),
                (Dot, "."),
                (Name, "b"),
                (LeftBracket, "["),
                (Number, "12"),
                (RightBracket, "]"),
                (Whitespace, " "),
                (Eq, "="),
                (Whitespace, " "),
                (ValuePlaceholder, ":v_1"),
                (Comma, ","),
                (NamePlaceholder, "#n"),
                (Ne, "<>"),
                (Eq, "="),
                (Le, "<="),
                (Ge, ">="),
                (Ne, "<>"),
                (Plus, "+"),
                (Minus, "-"),
                (LeftParen, "("),
                (RightParen, ")"),
            ]
        );
    }

    #[test]
    fn odd_characters_are_tokens_of_their_own() {
        use TokenKind::*;
        assert_eq!(kinds("_a"), vec![(Unknown, "_"), (Name, "a")]);
        assert_eq!(kinds("# :"), vec![(Unknown, "#"), (Whitespace, " "), (Unknown, ":")]);
        assert_eq!(kinds("é!"), vec![(Unknown, "é"), (Unknown, "!")]);
        assert_eq!(kinds("3abc"), vec![(Number, "3"), (Name, "abc")]);
        assert_eq!(kinds(" \t\r\n"), vec![(Whitespace, " \t\r\n")]);
        assert_eq!(
            kinds(":_x #0"),
            vec![(ValuePlaceholder, ":_x"), (Whitespace, " "), (NamePlaceholder, "#0")]
        );
    }
}
