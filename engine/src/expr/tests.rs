//! Tests of the expression parser: tables of valid expressions and their trees (as
//! S-expressions), precedence, spans, every error class with its exact message, and seeded
//! random tests (generated trees printed and parsed back; arbitrary strings never panic).
//!
//! The syntax-error `near` texts follow the rule moto's tests establish against DynamoDB: the
//! token before the bad one (two when the one before is whitespace), the bad token, and the same
//! after it.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::ast::{
    ArithmeticOp, Call, Comparator, Condition, Function, Name, Operand, Path, PathElement,
    Projection, SetAction, Span, UpdateClause, UpdateExpression, ValueAction, ValueRef,
};
use super::*;

fn cond(source: &str) -> String {
    match parse_condition(source) {
        Ok(condition) => condition.to_sexpr(),
        Err(error) => panic!("{source:?}: {error}"),
    }
}

fn update(source: &str) -> String {
    match parse_update(source) {
        Ok(update) => update.to_sexpr(),
        Err(error) => panic!("{source:?}: {error}"),
    }
}

fn projection(source: &str) -> String {
    match parse_projection(source) {
        Ok(projection) => projection.to_sexpr(),
        Err(error) => panic!("{source:?}: {error}"),
    }
}

fn cond_err(source: &str) -> String {
    parse_condition(source).map(|c| c.to_sexpr()).expect_err(source).message
}

fn update_err(source: &str) -> String {
    parse_update(source).map(|u| u.to_sexpr()).expect_err(source).message
}

fn projection_err(source: &str) -> String {
    parse_projection(source).map(|p| p.to_sexpr()).expect_err(source).message
}

#[test]
fn valid_conditions() {
    let table = [
        ("a = :x", "(= a :x)"),
        ("a<>:x", "(<> a :x)"),
        ("a.b[0].#c < :x", "(< a.b[0].#c :x)"),
        ("#a <= #b", "(<= #a #b)"),
        (":x > a", "(> :x a)"),
        ("a >= :x", "(>= a :x)"),
        ("a [ 2 ] . b = :x", "(= a[2].b :x)"),
        ("a BETWEEN :lo AND :hi", "(between a :lo :hi)"),
        ("a between :lo and :hi", "(between a :lo :hi)"),
        ("a IN (:x)", "(in a :x)"),
        ("a in (:x, :y,:z)", "(in a :x :y :z)"),
        ("attribute_exists(a)", "(attribute_exists a)"),
        ("attribute_not_exists (#a.b)", "(attribute_not_exists #a.b)"),
        ("attribute_type(a, :t)", "(attribute_type a :t)"),
        ("begins_with(a, :p)", "(begins_with a :p)"),
        ("contains(a, :v)", "(contains a :v)"),
        ("size(a) > :n", "(> (size a) :n)"),
        (":n < size(a[1])", "(< :n (size a[1]))"),
        ("size(a) BETWEEN :x AND size(b)", "(between (size a) :x (size b))"),
        ("NOT a = :x", "(not (= a :x))"),
        ("not attribute_exists(a)", "(not (attribute_exists a))"),
        ("NOT (NOT a = :x)", "(not (not (= a :x)))"),
        ("(a = :x)", "(= a :x)"),
        ("(a) = :x", "(= a :x)"),
        ("(a) = (:x)", "(= a :x)"),
        ("(size(a)) > :x", "(> (size a) :x)"),
        ("(a) IN ((:x), :y)", "(in a :x :y)"),
        ("a = :x AND b = :y", "(and (= a :x) (= b :y))"),
        ("a = :x OR b = :y", "(or (= a :x) (= b :y))"),
        ("\ta = :x\n", "(= a :x)"),
        ("remove = :x", "(= remove :x)"),
        ("Remove.Set2 = :x", "(= Remove.Set2 :x)"),
        ("a_1 = :_", "(= a_1 :_)"),
        ("#0 = :0", "(= #0 :0)"),
    ];
    for (source, expected) in table {
        assert_eq!(cond(source), expected, "{source:?}");
    }
}

#[test]
fn precedence_and_associativity() {
    let table = [
        ("a = :x OR b = :y AND NOT c = :z", "(or (= a :x) (and (= b :y) (not (= c :z))))"),
        ("a = :x AND b = :y OR c = :z", "(or (and (= a :x) (= b :y)) (= c :z))"),
        ("(a = :x OR b = :y) AND c = :z", "(and (or (= a :x) (= b :y)) (= c :z))"),
        ("a = :x AND b = :y AND c = :z", "(and (and (= a :x) (= b :y)) (= c :z))"),
        ("a = :x OR b = :y OR c = :z", "(or (or (= a :x) (= b :y)) (= c :z))"),
        ("a = :x AND (b = :y AND c = :z)", "(and (= a :x) (and (= b :y) (= c :z)))"),
        ("NOT a = :x AND b = :y", "(and (not (= a :x)) (= b :y))"),
        ("NOT (a = :x AND b = :y)", "(not (and (= a :x) (= b :y)))"),
        (
            "a BETWEEN :x AND :y AND b IN (:z) OR c = :w",
            "(or (and (between a :x :y) (in b :z)) (= c :w))",
        ),
        ("NOT a BETWEEN :x AND :y", "(not (between a :x :y))"),
        ("NOT a IN (:x, :y)", "(not (in a :x :y))"),
        (
            "attribute_exists(a) AND NOT begins_with(b, :p) OR contains(c, :v)",
            "(or (and (attribute_exists a) (not (begins_with b :p))) (contains c :v))",
        ),
    ];
    for (source, expected) in table {
        assert_eq!(cond(source), expected, "{source:?}");
    }
}

#[test]
fn valid_updates() {
    let table = [
        ("SET a = :x", "(update (set (= a :x)))"),
        ("set a=:x,b=:y", "(update (set (= a :x) (= b :y)))"),
        ("SET a = a + :one", "(update (set (= a (+ a :one))))"),
        ("SET a = :x - b", "(update (set (= a (- :x b))))"),
        ("SET a = (a + :x) - :y", "(update (set (= a (- (+ a :x) :y))))"),
        ("SET a = (:x)", "(update (set (= a :x)))"),
        ("SET a = if_not_exists(a, :zero)", "(update (set (= a (if_not_exists a :zero))))"),
        (
            "SET a = if_not_exists(a, :zero) + :one",
            "(update (set (= a (+ (if_not_exists a :zero) :one))))",
        ),
        ("SET l = list_append(l, :x)", "(update (set (= l (list_append l :x))))"),
        (
            "SET l = list_append(if_not_exists(l, :empty), :x)",
            "(update (set (= l (list_append (if_not_exists l :empty) :x))))",
        ),
        ("SET a[3].#b = c.d[0]", "(update (set (= a[3].#b c.d[0])))"),
        ("REMOVE a, b.c[2]", "(update (remove a b.c[2]))"),
        ("ADD n :one, s :set", "(update (add (n :one) (s :set)))"),
        ("DELETE s :set", "(update (delete (s :set)))"),
        (
            "remove x SET a = :x  DELETE s :s add n :n",
            "(update (remove x) (set (= a :x)) (delete (s :s)) (add (n :n)))",
        ),
        ("SET and2 = :x, #set = :y", "(update (set (= and2 :x) (= #set :y)))"),
    ];
    for (source, expected) in table {
        assert_eq!(update(source), expected, "{source:?}");
    }
}

#[test]
fn valid_projections() {
    assert_eq!(projection("a"), "(projection a)");
    assert_eq!(projection("a, b.c , #d[1][2]"), "(projection a b.c #d[1][2])");
    assert_eq!(projection("remove,not2"), "(projection remove not2)");
}

#[test]
fn key_conditions_parse_as_conditions() {
    let parsed = parse_key_condition("pk = :pk AND begins_with(sk, :p)").map(|c| c.to_sexpr());
    assert_eq!(parsed.as_deref(), Ok("(and (= pk :pk) (begins_with sk :p))"));
    let parsed = parse_filter("a <> :x").map(|c| c.to_sexpr());
    assert_eq!(parsed.as_deref(), Ok("(<> a :x)"));
}

#[test]
fn spans_point_at_the_source() {
    let source = "a.b[10] = :x AND NOT attribute_exists(#c)";
    let Ok(Condition::And { left, right, span }) = parse_condition(source) else { panic!() };
    assert_eq!(span, Span::new(0, source.len()));
    let Condition::Compare { left: Operand::Path(path), right: value, span, .. } = *left else {
        panic!()
    };
    assert_eq!(
        (span, path.span, value.span()),
        (Span::new(0, 12), Span::new(0, 7), Span::new(10, 12))
    );
    let spans: Vec<Span> = path
        .elements
        .iter()
        .map(|e| match e {
            PathElement::Name { span, .. } | PathElement::Index { span, .. } => *span,
        })
        .collect();
    assert_eq!(spans, [Span::new(0, 1), Span::new(2, 3), Span::new(3, 7)]);
    let Condition::Not { inner, span } = *right else { panic!() };
    assert_eq!(span, Span::new(17, source.len()));
    assert_eq!(inner.span(), Span::new(21, source.len()));

    let source = " SET a = :x REMOVE b ";
    let Ok(parsed) = parse_update(source) else { panic!() };
    assert_eq!(parsed.span, Span::new(1, 20));
    let spans: Vec<Span> = parsed
        .clauses
        .iter()
        .map(|c| match c {
            UpdateClause::Set { span, .. } | UpdateClause::Remove { span, .. } => *span,
            _ => panic!(),
        })
        .collect();
    assert_eq!(spans, [Span::new(1, 11), Span::new(12, 20)]);
}

#[test]
fn update_syntax_errors_quote_token_and_near() {
    // (expression, token, near): the update cases are moto's, checked against DynamoDB.
    let updates = [
        ("SET a", "<EOF>", "a"),
        ("SET", "<EOF>", "SET"),
        ("SET a = ", "<EOF>", "= "),
        ("SET attrName = 3", "3", "= 3"),
        ("SET MyStr[ 3", "<EOF>", "3"),
        ("SET MyStr[3 )", ")", "3 )"),
        ("SET MyStr[3)", ")", "3)"),
        ("SET 2", "2", "SET 2"),
        ("2", "2", "2"),
        ("SET )", ")", "SET )"),
        ("SET ) 3", ")", "SET ) 3"),
        ("SET MyStr[ 3 ", "<EOF>", "3 "),
        ("SET MyStr = (:_val", "<EOF>", ":_val"),
        ("SET MyStr = (:_val ", "<EOF>", ":_val "),
        ("SET MyStr = [:_val", "[", "= [:_val"),
        ("SET MyStr = (:_val + (:val2", "<EOF>", ":val2"),
        ("SET MyStr = ):_val", ")", "= ):_val"),
        ("SET MyStr = ]:_val", "]", "= ]:_val"),
        ("RESET NonExistent value", "RESET", "RESET NonExistent"),
        ("  RESET NonExistent value", "RESET", "  RESET NonExistent"),
        ("RESET", "RESET", "RESET"),
        ("SET a[0].b = 5", "5", "= 5"),
        ("SET a [  [2] ]. b = 5", "[", "[  [2"),
        ("SET a [2 1]. b = 5", "1", "2 1]"),
        ("SET #a a = 5", "a", "#a a ="),
        ("SET MyStr = NoExist + + :_val ", "+", "+ + :_val"),
        ("SET MyStr = NoExist + - :_val ", "-", "+ - :_val"),
        ("REMOVE NoExist + ", "+", "NoExist + "),
        ("ADD attr val foobar", "val", "attr val foobar"),
        ("ADD attr :val foobar", "foobar", ":val foobar"),
        ("DELETE attr val", "val", "attr val"),
        ("SET path = VALUE 1", "1", "VALUE 1"),
        ("REMOVE if_not_exists(a,b)", "(", "if_not_exists(a"),
        ("SET attrName = _idid", "_", "= _idid"),
        ("SET a|", "|", "a|"),
        ("SET a = :x, REMOVE b", "REMOVE", ", REMOVE b"),
        ("SET a = :x + :y + :z", "+", ":y + :z"),
        ("SET a = list_append(b, :x + :y)", "+", ":x + :y"),
        ("SET a = b()", ")", "()"),
        ("SET set = :x", "set", "SET set ="),
    ];
    for (source, token, near) in updates {
        let expected =
            format!("Invalid UpdateExpression: Syntax error; token: \"{token}\", near: \"{near}\"");
        assert_eq!(update_err(source), expected, "{source:?}");
    }
}

#[test]
fn condition_and_projection_syntax_errors() {
    let conditions = [
        ("foo", "<EOF>", "foo"),
        ("a = :x AND", "<EOF>", "AND"),
        ("status = :x AND", "<EOF>", "AND"),
        ("a == :x", "=", "== :x"),
        ("a = !!", "!", "= !!"),
        ("a = :x)", ")", ":x)"),
        ("(a = :x", "<EOF>", ":x"),
        ("NOT NOT a = :x", "NOT", "NOT NOT a"),
        ("a BETWEEN :x OR :y", "OR", ":x OR :y"),
        (":x", "<EOF>", ":x"),
        ("a = :x b", "b", ":x b"),
        ("a IN ()", ")", "()"),
        ("a IN :x", ":x", "IN :x"),
        ("a = and", "and", "= and"),
        ("a = :x + :y", "+", ":x + :y"),
        ("(a) = ", "<EOF>", "= "),
        ("a = # :x", "#", "= # :x"),
        ("a = é", "é", "= é"),
    ];
    for (source, token, near) in conditions {
        let expected = format!(
            "Invalid ConditionExpression: Syntax error; token: \"{token}\", near: \"{near}\""
        );
        assert_eq!(cond_err(source), expected, "{source:?}");
    }
    let expected = "Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"";
    assert_eq!(projection_err("a b"), expected);
    let expected = "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"";
    assert_eq!(projection_err("a,"), expected);
    let expected = "Invalid ProjectionExpression: Syntax error; token: \"(\", near: \"size(a\"";
    assert_eq!(projection_err("size(a)"), expected);
}

#[test]
fn the_expression_kind_names_the_parameter() {
    let filter = parse_filter("a =").map(|c| c.to_sexpr()).expect_err("syntax").message;
    assert_eq!(filter, "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
    let key = parse_key_condition(":pk").map(|c| c.to_sexpr()).expect_err("syntax").message;
    assert_eq!(
        key,
        "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \":pk\""
    );
    let reserved = parse_filter("Comment = :x").map(|c| c.to_sexpr()).expect_err("reserved");
    assert_eq!(reserved.kind, ErrorKind::ReservedWord);
    assert_eq!(
        reserved.message,
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: Comment"
    );
}

#[test]
fn reserved_words_are_refused_after_a_clean_parse() {
    let table = [
        ("status = :x", "status"),
        ("a.Size = :x", "Size"),
        ("attribute_exists(a.b.count)", "count"),
        ("a = :x OR #b = :y AND data = :z OR name = :w", "data"),
    ];
    for (source, word) in table {
        let expected = format!(
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: \
             {word}"
        );
        assert_eq!(cond_err(source), expected, "{source:?}");
    }
    let expected =
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: value";
    assert_eq!(update_err("SET a = value REMOVE b"), expected);
    let expected =
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: Name";
    assert_eq!(projection_err("a, b.Name"), expected);
    // `size(` is the function; bare `size` is the reserved word.
    assert_eq!(cond("size(a) = :x"), "(= (size a) :x)");
    assert!(cond_err("size = :x").ends_with("reserved keyword: size"));
}

#[test]
fn condition_function_errors() {
    let table = [
        ("foo(a)", "Invalid function name; function: foo"),
        ("Size(a) = :x", "Invalid function name; function: Size"),
        ("a = :x AND bar(a, b) = :y", "Invalid function name; function: bar"),
        (
            "attribute_exists(a, b)",
            "Incorrect number of operands for operator or function; operator or function: \
             attribute_exists, number of operands: 2",
        ),
        (
            "begins_with(a)",
            "Incorrect number of operands for operator or function; operator or function: \
             begins_with, number of operands: 1",
        ),
        (
            "attribute_not_exists(:v)",
            "Operator or function requires a document path; operator or function: \
             attribute_not_exists",
        ),
        (
            "attribute_type(size(a), :t)",
            "Operator or function requires a document path; operator or function: attribute_type",
        ),
        (
            "attribute_exists(a) = :x",
            "The function is not allowed to be used this way in an expression; function: \
             attribute_exists",
        ),
        (
            "size(a)",
            "The function is not allowed to be used this way in an expression; function: size",
        ),
        (
            "contains(begins_with(a, :p), :x)",
            "The function is not allowed to be used this way in an expression; function: \
             begins_with",
        ),
        (
            "if_not_exists(a, :x) = :y",
            "The function is not allowed in a condition expression; function: if_not_exists",
        ),
        (
            "contains(list_append(a, :x), :y)",
            "The function is not allowed in a condition expression; function: list_append",
        ),
    ];
    for (source, detail) in table {
        assert_eq!(
            cond_err(source),
            format!("Invalid ConditionExpression: {detail}"),
            "{source:?}"
        );
    }
}

#[test]
fn update_function_errors() {
    let table = [
        ("SET a = size(b)", "The function is not allowed in an update expression; function: size"),
        (
            "SET a = contains(b, :x)",
            "The function is not allowed in an update expression; function: contains",
        ),
        ("SET a = foo(b)", "Invalid function name; function: foo"),
        (
            "SET a = if_not_exists(:x, b)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
        (
            "SET a = list_append(b)",
            "Incorrect number of operands for operator or function; operator or function: \
             list_append, number of operands: 1",
        ),
    ];
    for (source, detail) in table {
        assert_eq!(update_err(source), format!("Invalid UpdateExpression: {detail}"), "{source:?}");
    }
}

#[test]
fn redundant_parentheses() {
    let expected = "Invalid ConditionExpression: The expression has redundant parentheses;";
    for source in ["((a = :x))", "((a)) = :x", "a = :x AND ((b = :y))", "(((a = :x) OR b = :y))"] {
        assert_eq!(cond_err(source), expected, "{source:?}");
    }
    assert_eq!(cond("((a = :x) OR b = :y)"), "(or (= a :x) (= b :y))");
    assert_eq!(cond("NOT (a = :x)"), "(not (= a :x))");
}

#[test]
fn update_sections_are_used_once() {
    let table = [
        ("SET a = :x SET b = :y", "SET"),
        ("set a = :x REMOVE c Set b = :y", "SET"),
        ("REMOVE a remove b", "REMOVE"),
        ("ADD a :x DELETE b :y ADD c :z", "ADD"),
        ("DELETE a :x DELETE b :y", "DELETE"),
    ];
    for (source, section) in table {
        let expected = format!(
            "Invalid UpdateExpression: The \"{section}\" section can only be used once in an \
             update expression;"
        );
        assert_eq!(update_err(source), expected, "{source:?}");
    }
}

#[test]
fn errors_come_in_dynamodb_order() {
    // A syntax error first, whatever else is wrong.
    let error = parse_condition("((status = foo(a))) AND").map(|c| c.to_sexpr()).expect_err("");
    assert_eq!(error.kind, ErrorKind::Syntax);
    // Conditions: parentheses, functions, then reserved words.
    let error = parse_condition("((status = foo(a)))").map(|c| c.to_sexpr()).expect_err("");
    assert_eq!(error.kind, ErrorKind::RedundantParentheses);
    let error = parse_condition("status = foo(a)").map(|c| c.to_sexpr()).expect_err("");
    assert_eq!(error.kind, ErrorKind::UnknownFunction);
    let error = parse_condition("status = size(a, b)").map(|c| c.to_sexpr()).expect_err("");
    assert_eq!(error.kind, ErrorKind::ReservedWord);
    // Updates: reserved words, functions, then sections.
    let error = parse_update("SET a = foo(b) SET status = :x").map(|u| u.to_sexpr()).expect_err("");
    assert_eq!(error.kind, ErrorKind::ReservedWord);
    let error = parse_update("SET a = foo(b) SET c = :x").map(|u| u.to_sexpr()).expect_err("");
    assert_eq!(error.kind, ErrorKind::UnknownFunction);
    // The first error of a class is the one reported.
    assert!(cond_err("name = :x AND data = :y").ends_with("reserved keyword: name"));
}

#[test]
fn empty_and_oversized_expressions() {
    for source in ["", "  ", "\n\t"] {
        let expected = "Invalid ConditionExpression: The expression can not be empty;";
        assert_eq!(cond_err(source), expected);
        let expected = "Invalid UpdateExpression: The expression can not be empty;";
        assert_eq!(update_err(source), expected);
        let expected = "Invalid ProjectionExpression: The expression can not be empty;";
        assert_eq!(projection_err(source), expected);
    }
    let at_limit = format!("a = :x AND b IN ({})", vec![":y"; 2000].join(","));
    let at_limit = &at_limit[..EXPRESSION_BYTES_MAX - 1];
    let at_limit = format!("{}a", at_limit.trim_end_matches([',', ':', 'y']));
    assert!(at_limit.len() <= EXPRESSION_BYTES_MAX);
    let kind = parse_condition(&at_limit).map(|c| c.to_sexpr()).expect_err("syntax").kind;
    assert_eq!(kind, ErrorKind::Syntax, "the size check passes");
    let over = format!("a = :x{}", " ".repeat(EXPRESSION_BYTES_MAX - 5));
    let expected = "Invalid FilterExpression: Expression size has exceeded the maximum allowed \
                    size; expression size: 4097";
    let error = parse_filter(&over).map(|c| c.to_sexpr()).expect_err("too large");
    assert_eq!((error.kind, error.message.as_str()), (ErrorKind::TooLarge, expected));
}

#[test]
fn operator_limit() {
    let comparisons = |n: usize| vec!["a = :x"; n].join(" OR ");
    // 150 comparisons and 149 ORs: 299 operators.
    assert!(parse_condition(&comparisons(150)).is_ok());
    let expected = "Invalid ConditionExpression: The expression contains too many operators; \
                    operator count: 301";
    assert_eq!(cond_err(&comparisons(151)), expected);
    let error =
        parse_update(&format!("SET {}", vec!["a=a+:x"; 301].join(","))).map(|u| u.to_sexpr());
    assert_eq!(error.expect_err("too many").kind, ErrorKind::TooManyOperators);
}

#[test]
fn in_list_limit() {
    let list = |n: usize| (0..n).map(|i| format!(":v{i}")).collect::<Vec<_>>().join(", ");
    assert!(parse_condition(&format!("a IN ({})", list(100))).is_ok());
    let expected = "Invalid ConditionExpression: The IN operator is provided with too many \
                    operands; number of operands: 101";
    assert_eq!(cond_err(&format!("a IN ({})", list(101))), expected);
}

#[test]
fn path_depth_limit() {
    let path = |n: usize| format!("a{}", ".b".repeat(n - 1));
    assert!(parse_projection(&path(PATH_DEPTH_MAX)).is_ok());
    assert!(parse_projection(&format!("a{}", "[0]".repeat(PATH_DEPTH_MAX - 1))).is_ok());
    let expected = "Invalid ProjectionExpression: The document path has too many nesting levels; \
                    nesting levels: 33";
    assert_eq!(projection_err(&path(33)), expected);
}

#[test]
fn deep_nesting_is_bounded() {
    let nested = |n: usize| format!("{}a = :x{}", "(".repeat(n), ")".repeat(n));
    // At the bound the parse completes (and finds the parentheses redundant)…
    let error = parse_condition(&nested(NESTING_DEPTH_MAX)).map(|c| c.to_sexpr());
    assert_eq!(error.expect_err("redundant").kind, ErrorKind::RedundantParentheses);
    // …past it the parser stops instead of recursing.
    let error = parse_condition(&nested(NESTING_DEPTH_MAX + 1)).map(|c| c.to_sexpr());
    assert_eq!(error.expect_err("too deep").kind, ErrorKind::NestingTooDeep);
    let source = format!("SET a = {}:x{}", "(".repeat(1000), ")".repeat(1000));
    let error = parse_update(&source).map(|u| u.to_sexpr()).expect_err("too deep");
    assert_eq!(error.kind, ErrorKind::NestingTooDeep);
    let source = format!("a = {}:x{}", "size(".repeat(300), ")".repeat(300));
    let kind = parse_condition(&source).map(|c| c.to_sexpr()).expect_err("too deep").kind;
    assert!(matches!(kind, ErrorKind::NestingTooDeep | ErrorKind::TooManyOperators));
}

#[test]
fn printing_round_trips_fixed_expressions() {
    for source in [
        "a = :x OR b = :y AND NOT c = :z",
        "NOT (NOT a = :x) AND (b = :y OR c = :z)",
        "a = :x AND (b = :y AND c = :z)",
        "a = :x OR (b = :y OR c = :z)",
        "NOT (a = :x OR b = :y)",
    ] {
        let Ok(parsed) = parse_condition(source) else { panic!("{source}") };
        let printed = parsed.to_string();
        assert_eq!(cond(&printed), parsed.to_sexpr(), "{source:?} printed as {printed:?}");
    }
    assert_eq!(
        parse_condition("(a = :x AND b = :y) AND c = :z").map(|c| c.to_string()).as_deref(),
        Ok("a = :x AND b = :y AND c = :z")
    );
    let source = "SET a = (b + :x) - if_not_exists(c, :y), l = list_append((a - :z), :l) ADD n :n";
    let Ok(parsed) = parse_update(source) else { panic!() };
    assert_eq!(update(&parsed.to_string()), parsed.to_sexpr());
}

// ---- seeded random tests ----------------------------------------------------------------

const SEEDS: u64 = 300;

struct Generator {
    rng: SmallRng,
}

const NAMES: [&str; 6] = ["a", "b1", "c_d", "Price", "x9z", "z_2"];
const PLACEHOLDERS: [&str; 4] = ["#n", "#x_1", "#0", "#Status"];
const VALUES: [&str; 4] = [":v", ":x1", ":_", ":0"];

impl Generator {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.gen_range(0..items.len())]
    }

    fn name(&mut self) -> Name {
        if self.rng.gen_bool(0.7) {
            Name::Literal(self.pick(&NAMES).to_owned())
        } else {
            Name::Placeholder(self.pick(&PLACEHOLDERS).to_owned())
        }
    }

    fn path(&mut self) -> Path {
        let span = Span::default();
        let mut elements = vec![PathElement::Name { name: self.name(), span }];
        for _ in 0..self.rng.gen_range(0..4) {
            elements.push(if self.rng.gen_bool(0.5) {
                PathElement::Name { name: self.name(), span }
            } else {
                PathElement::Index { index: self.rng.gen_range(0..20), span }
            });
        }
        Path { elements, span }
    }

    fn value(&mut self) -> ValueRef {
        ValueRef { name: self.pick(&VALUES).to_owned(), span: Span::default() }
    }

    fn call(&mut self, function: Function, args: Vec<Operand>) -> Operand {
        Operand::Call(Call { function, args, span: Span::default() })
    }

    /// An operand of a condition: a path, a value, or `size(path)`.
    fn cond_operand(&mut self) -> Operand {
        match self.rng.gen_range(0..5) {
            0 | 1 => Operand::Path(self.path()),
            2 | 3 => Operand::Value(self.value()),
            _ => {
                let path = Operand::Path(self.path());
                self.call(Function::Size, vec![path])
            }
        }
    }

    fn condition(&mut self, depth: u32) -> Condition {
        let span = Span::default();
        let choice = if depth == 0 { self.rng.gen_range(0..4) } else { self.rng.gen_range(0..7) };
        match choice {
            0 => {
                let ops = [Comparator::Eq, Comparator::Ne, Comparator::Lt, Comparator::Le];
                let op = ops[self.rng.gen_range(0..4)];
                let (left, right) = (self.cond_operand(), self.cond_operand());
                Condition::Compare { op, left, right, span }
            }
            1 => {
                let (operand, low, high) =
                    (self.cond_operand(), self.cond_operand(), self.cond_operand());
                Condition::Between { operand, low, high, span }
            }
            2 => {
                let operand = self.cond_operand();
                let list = (0..self.rng.gen_range(1..5)).map(|_| self.cond_operand()).collect();
                Condition::In { operand, list, span }
            }
            3 => self.boolean_function(),
            4 => Condition::Not { inner: Box::new(self.condition(depth - 1)), span },
            5 => {
                let (left, right) = (self.condition(depth - 1), self.condition(depth - 1));
                Condition::And { left: Box::new(left), right: Box::new(right), span }
            }
            _ => {
                let (left, right) = (self.condition(depth - 1), self.condition(depth - 1));
                Condition::Or { left: Box::new(left), right: Box::new(right), span }
            }
        }
    }

    fn boolean_function(&mut self) -> Condition {
        let functions = [
            Function::AttributeExists,
            Function::AttributeNotExists,
            Function::AttributeType,
            Function::BeginsWith,
            Function::Contains,
        ];
        let function = functions[self.rng.gen_range(0..functions.len())];
        let mut args = vec![Operand::Path(self.path())];
        if function.arity() == 2 {
            args.push(self.cond_operand());
        }
        Condition::Call(Call { function, args, span: Span::default() })
    }

    /// An operand of a `SET` value.
    fn set_operand(&mut self, depth: u32) -> Operand {
        match if depth == 0 { self.rng.gen_range(0..2) } else { self.rng.gen_range(0..5) } {
            0 => Operand::Path(self.path()),
            1 => Operand::Value(self.value()),
            2 => {
                let args = vec![Operand::Path(self.path()), self.set_operand(depth - 1)];
                self.call(Function::IfNotExists, args)
            }
            3 => {
                let args = vec![self.set_operand(depth - 1), self.set_operand(depth - 1)];
                self.call(Function::ListAppend, args)
            }
            _ => self.set_value(depth - 1),
        }
    }

    fn set_value(&mut self, depth: u32) -> Operand {
        let left = self.set_operand(depth);
        if self.rng.gen_bool(0.5) {
            return left;
        }
        let op = if self.rng.gen_bool(0.5) { ArithmeticOp::Add } else { ArithmeticOp::Subtract };
        let right = self.set_operand(depth);
        Operand::Arithmetic {
            op,
            left: Box::new(left),
            right: Box::new(right),
            span: Span::default(),
        }
    }

    fn update(&mut self) -> UpdateExpression {
        let span = Span::default();
        let mut kinds = vec![0, 1, 2, 3];
        let mut clauses = Vec::new();
        for _ in 0..self.rng.gen_range(1..5) {
            let kind = kinds.remove(self.rng.gen_range(0..kinds.len()));
            let n = self.rng.gen_range(1..4);
            clauses.push(match kind {
                0 => {
                    let actions = (0..n)
                        .map(|_| SetAction { path: self.path(), value: self.set_value(2), span })
                        .collect();
                    UpdateClause::Set { actions, span }
                }
                1 => UpdateClause::Remove { paths: (0..n).map(|_| self.path()).collect(), span },
                _ => {
                    let actions = (0..n)
                        .map(|_| ValueAction { path: self.path(), value: self.value(), span })
                        .collect();
                    if kind == 2 {
                        UpdateClause::Add { actions, span }
                    } else {
                        UpdateClause::Delete { actions, span }
                    }
                }
            });
        }
        UpdateExpression { clauses, span }
    }
}

#[test]
fn generated_trees_print_and_parse_back() {
    for seed in 0..SEEDS {
        let mut generator = Generator { rng: SmallRng::seed_from_u64(seed) };
        let condition = generator.condition(4);
        let printed = condition.to_string();
        assert_eq!(cond(&printed), condition.to_sexpr(), "seed {seed}: {printed:?}");

        let update_expression = generator.update();
        let printed = update_expression.to_string();
        assert_eq!(update(&printed), update_expression.to_sexpr(), "seed {seed}: {printed:?}");

        let paths = (0..generator.rng.gen_range(1..5)).map(|_| generator.path()).collect();
        let projected = Projection { paths, span: Span::default() };
        let printed = projected.to_string();
        assert_eq!(projection(&printed), projected.to_sexpr(), "seed {seed}: {printed:?}");
    }
}

/// Arbitrary inputs for the fuzz target's checks: random bytes, and random sequences of
/// expression fragments (which reach far deeper into the grammar than bytes do).
#[test]
fn random_inputs_never_panic() {
    const FRAGMENTS: [&str; 32] = [
        "a",
        "b.c",
        "#n",
        ":v",
        "[1]",
        "[",
        "]",
        "(",
        ")",
        ",",
        ".",
        "=",
        "<>",
        "<",
        ">=",
        "+",
        "-",
        " AND ",
        " OR ",
        "NOT ",
        " BETWEEN ",
        " IN ",
        "size(",
        "attribute_exists(",
        "begins_with(",
        "if_not_exists(",
        "list_append(",
        "SET ",
        " REMOVE ",
        " ADD ",
        " DELETE ",
        "status",
    ];
    for seed in 0..SEEDS * 10 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let len = rng.gen_range(0..40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        fuzz_expr_parse(&bytes);
        let mut text = String::new();
        for _ in 0..rng.gen_range(1..30) {
            text.push_str(FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())]);
            if rng.gen_bool(0.3) {
                text.push(' ');
            }
        }
        fuzz_expr_parse(text.as_bytes());
    }
}

#[test]
fn generated_trees_pass_the_fuzz_checks() {
    for seed in 0..SEEDS {
        let mut generator = Generator { rng: SmallRng::seed_from_u64(seed) };
        fuzz_expr_parse(generator.condition(3).to_string().as_bytes());
        fuzz_expr_parse(generator.update().to_string().as_bytes());
    }
}
