//! The syntax tree of DynamoDB's expressions. Every node carries the [`Span`] of source bytes it
//! was parsed from; placeholders are kept unresolved (`#name`, `:value`), since resolving them
//! against `ExpressionAttributeNames`/`ExpressionAttributeValues` is the evaluator's job.
//!
//! `Display` prints a node back in expression syntax (the printed text parses to the same tree,
//! spans aside); [`Condition::to_sexpr`] and friends print a compact S-expression without spans,
//! for tests.

/// A range of bytes of the expression source, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    ///
    /// # Panics
    /// If `start > end`.
    #[must_use]
    pub fn new(start: usize, end: usize) -> Self {
        assert!(start <= end, "a span does not end before it starts");
        Self { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// An attribute name in a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Name {
    /// A name written out in the expression (`Price`); never a reserved word.
    Literal(String),
    /// An expression attribute name placeholder, `#` included (`#p`).
    Placeholder(String),
}

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// A top-level attribute or a map member (after `.`).
    Name {
        /// The attribute name.
        name: Name,
        /// Its bytes in the source.
        span: Span,
    },
    /// A list element, `[index]`.
    Index {
        /// The list index.
        index: u32,
        /// The bytes from `[` to `]`.
        span: Span,
    },
}

/// A document path: a name, then map members (`.name`) and list elements (`[n]`).
/// INVARIANT: the first element is a name, and there are at most
/// [`PATH_DEPTH_MAX`](super::PATH_DEPTH_MAX) elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The steps, first to last.
    pub elements: Vec<PathElement>,
    /// The whole path's bytes.
    pub span: Span,
}

/// An expression attribute value placeholder, `:` included (`:v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRef {
    /// The placeholder, `:` included.
    pub name: String,
    /// Its bytes in the source.
    pub span: Span,
}

/// The functions of DynamoDB's expressions (names are case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `attribute_exists(path)`: a condition.
    AttributeExists,
    /// `attribute_not_exists(path)`: a condition.
    AttributeNotExists,
    /// `attribute_type(path, :type)`: a condition.
    AttributeType,
    /// `begins_with(path, operand)`: a condition.
    BeginsWith,
    /// `contains(path, operand)`: a condition.
    Contains,
    /// `size(path)`: an operand of conditions.
    Size,
    /// `if_not_exists(path, operand)`: an operand of `SET`.
    IfNotExists,
    /// `list_append(operand, operand)`: an operand of `SET`.
    ListAppend,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 8] = [
        Self::AttributeExists,
        Self::AttributeNotExists,
        Self::AttributeType,
        Self::BeginsWith,
        Self::Contains,
        Self::Size,
        Self::IfNotExists,
        Self::ListAppend,
    ];

    /// The function called `name` (case-sensitive), if there is one.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Function> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The function's name in expressions.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::AttributeExists => "attribute_exists",
            Self::AttributeNotExists => "attribute_not_exists",
            Self::AttributeType => "attribute_type",
            Self::BeginsWith => "begins_with",
            Self::Contains => "contains",
            Self::Size => "size",
            Self::IfNotExists => "if_not_exists",
            Self::ListAppend => "list_append",
        }
    }

    /// How many arguments it takes.
    #[must_use]
    pub fn arity(self) -> usize {
        match self {
            Self::AttributeExists | Self::AttributeNotExists | Self::Size => 1,
            _ => 2,
        }
    }

    /// Whether its first argument must be a document path.
    #[must_use]
    pub fn needs_path(self) -> bool {
        matches!(
            self,
            Self::AttributeExists
                | Self::AttributeNotExists
                | Self::AttributeType
                | Self::IfNotExists
        )
    }

    /// Whether it belongs to update expressions (`SET` values) rather than conditions.
    #[must_use]
    pub fn is_update(self) -> bool {
        matches!(self, Self::IfNotExists | Self::ListAppend)
    }

    /// Whether its result is a value (an operand) rather than a truth value.
    #[must_use]
    pub fn is_operand(self) -> bool {
        matches!(self, Self::Size | Self::IfNotExists | Self::ListAppend)
    }
}

/// A function call. INVARIANT: `args.len() == function.arity()`, and the first argument is a
/// path when `function.needs_path()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The function.
    pub function: Function,
    /// Its arguments.
    pub args: Vec<Operand>,
    /// The bytes from the name to `)`.
    pub span: Span,
}

/// `+` or `-` in a `SET` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithmeticOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Subtract,
}

/// A value in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// An attribute of the item.
    Path(Path),
    /// An expression attribute value.
    Value(ValueRef),
    /// A function with a value result (`size`, `if_not_exists`, `list_append`).
    Call(Call),
    /// `left + right` or `left - right` (`SET` values only).
    Arithmetic {
        /// The operator.
        op: ArithmeticOp,
        /// The left operand.
        left: Box<Operand>,
        /// The right operand.
        right: Box<Operand>,
        /// The bytes from the left operand to the right.
        span: Span,
    },
}

impl Operand {
    /// The operand's bytes in the source.
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Self::Path(p) => p.span,
            Self::Value(v) => v.span,
            Self::Call(c) => c.span,
            Self::Arithmetic { span, .. } => *span,
        }
    }
}

/// A comparator of conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
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
}

impl Comparator {
    /// The comparator as written.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
}

/// A condition: `ConditionExpression`, `FilterExpression`, `KeyConditionExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `left <comparator> right`.
    Compare {
        /// The comparator.
        op: Comparator,
        /// The left operand.
        left: Operand,
        /// The right operand.
        right: Operand,
        /// The bytes from `left` to `right`.
        span: Span,
    },
    /// `operand BETWEEN low AND high`.
    Between {
        /// The tested operand.
        operand: Operand,
        /// The lower bound.
        low: Operand,
        /// The upper bound.
        high: Operand,
        /// The bytes from `operand` to `high`.
        span: Span,
    },
    /// `operand IN (list…)`; INVARIANT: 1 to [`IN_OPERANDS_MAX`](super::IN_OPERANDS_MAX)
    /// elements.
    In {
        /// The tested operand.
        operand: Operand,
        /// The candidates.
        list: Vec<Operand>,
        /// The bytes from `operand` to `)`.
        span: Span,
    },
    /// A boolean function: `attribute_exists`, `attribute_not_exists`, `attribute_type`,
    /// `begins_with`, `contains`.
    Call(Call),
    /// `NOT inner`.
    Not {
        /// The negated condition.
        inner: Box<Condition>,
        /// The bytes from `NOT` to the end of `inner`.
        span: Span,
    },
    /// `left AND right`.
    And {
        /// The left condition.
        left: Box<Condition>,
        /// The right condition.
        right: Box<Condition>,
        /// The bytes from `left` to `right`.
        span: Span,
    },
    /// `left OR right`.
    Or {
        /// The left condition.
        left: Box<Condition>,
        /// The right condition.
        right: Box<Condition>,
        /// The bytes from `left` to `right`.
        span: Span,
    },
}

impl Condition {
    /// The condition's bytes in the source (parentheses around it excluded).
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Self::Call(c) => c.span,
            Self::Compare { span, .. }
            | Self::Between { span, .. }
            | Self::In { span, .. }
            | Self::Not { span, .. }
            | Self::And { span, .. }
            | Self::Or { span, .. } => *span,
        }
    }
}

/// `path = value` in a `SET` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAction {
    /// The attribute written.
    pub path: Path,
    /// The value written.
    pub value: Operand,
    /// The bytes from `path` to `value`.
    pub span: Span,
}

/// `path :value` in an `ADD` or `DELETE` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueAction {
    /// The attribute changed.
    pub path: Path,
    /// The number or set added, or the set deleted.
    pub value: ValueRef,
    /// The bytes from `path` to `value`.
    pub span: Span,
}

/// One clause of an update expression, with its comma-separated actions (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateClause {
    /// `SET path = value, …`.
    Set {
        /// The assignments.
        actions: Vec<SetAction>,
        /// The bytes from `SET` to the last action.
        span: Span,
    },
    /// `REMOVE path, …`.
    Remove {
        /// The attributes removed.
        paths: Vec<Path>,
        /// The bytes from `REMOVE` to the last path.
        span: Span,
    },
    /// `ADD path :value, …`.
    Add {
        /// The additions.
        actions: Vec<ValueAction>,
        /// The bytes from `ADD` to the last action.
        span: Span,
    },
    /// `DELETE path :value, …`.
    Delete {
        /// The set differences.
        actions: Vec<ValueAction>,
        /// The bytes from `DELETE` to the last action.
        span: Span,
    },
}

impl UpdateClause {
    /// The clause keyword, upper case.
    #[must_use]
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Set { .. } => "SET",
            Self::Remove { .. } => "REMOVE",
            Self::Add { .. } => "ADD",
            Self::Delete { .. } => "DELETE",
        }
    }
}

/// An `UpdateExpression`: one to four clauses, each keyword at most once, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateExpression {
    /// The clauses, in source order.
    pub clauses: Vec<UpdateClause>,
    /// The whole expression's bytes (surrounding whitespace excluded).
    pub span: Span,
}

/// A `ProjectionExpression`: comma-separated paths (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// The paths, in source order.
    pub paths: Vec<Path>,
    /// The whole expression's bytes (surrounding whitespace excluded).
    pub span: Span,
}
