//! Printing syntax trees: `Display` in expression syntax (which parses back to the same tree,
//! spans aside), and `to_sexpr` as compact S-expressions without spans, for tests and logs.

use std::fmt::{self, Display, Formatter, Write as _};

use super::ast::{
    ArithmeticOp, Call, Condition, Name, Operand, Path, PathElement, Projection, SetAction,
    UpdateClause, UpdateExpression, ValueAction,
};

impl Display for Name {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Literal(name) | Self::Placeholder(name) => f.write_str(name),
        }
    }
}

impl Display for Path {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, element) in self.elements.iter().enumerate() {
            match element {
                PathElement::Name { name, .. } if i == 0 => write!(f, "{name}")?,
                PathElement::Name { name, .. } => write!(f, ".{name}")?,
                PathElement::Index { index, .. } => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Display for Call {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.function.name())?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_arithmetic_side(f, arg)?;
        }
        f.write_str(")")
    }
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(path) => write!(f, "{path}"),
            Self::Value(value) => f.write_str(&value.name),
            Self::Call(call) => write!(f, "{call}"),
            Self::Arithmetic { op, left, right, .. } => {
                // Operands of arithmetic are themselves arithmetic only when the source
                // parenthesized them.
                write_arithmetic_side(f, left)?;
                f.write_str(match op {
                    ArithmeticOp::Add => " + ",
                    ArithmeticOp::Subtract => " - ",
                })?;
                write_arithmetic_side(f, right)
            }
        }
    }
}

fn write_arithmetic_side(f: &mut Formatter<'_>, side: &Operand) -> fmt::Result {
    match side {
        Operand::Arithmetic { .. } => write!(f, "({side})"),
        _ => write!(f, "{side}"),
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare { op, left, right, .. } => write!(f, "{left} {} {right}", op.symbol()),
            Self::Between { operand, low, high, .. } => {
                write!(f, "{operand} BETWEEN {low} AND {high}")
            }
            Self::In { operand, list, .. } => {
                write!(f, "{operand} IN (")?;
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Self::Call(call) => write!(f, "{call}"),
            // Parentheses only where the tree differs from what precedence and left
            // associativity give; `NOT` applies to one primary condition.
            Self::Not { inner, .. } => {
                f.write_str("NOT ")?;
                write_side(
                    f,
                    inner,
                    !matches!(
                        **inner,
                        Self::Compare { .. }
                            | Self::Between { .. }
                            | Self::In { .. }
                            | Self::Call(_)
                    ),
                )
            }
            Self::And { left, right, .. } => {
                write_side(f, left, matches!(**left, Self::Or { .. }))?;
                f.write_str(" AND ")?;
                write_side(f, right, matches!(**right, Self::Or { .. } | Self::And { .. }))
            }
            Self::Or { left, right, .. } => {
                write_side(f, left, false)?;
                f.write_str(" OR ")?;
                write_side(f, right, matches!(**right, Self::Or { .. }))
            }
        }
    }
}

fn write_side(f: &mut Formatter<'_>, side: &Condition, parenthesize: bool) -> fmt::Result {
    if parenthesize {
        write!(f, "({side})")
    } else {
        write!(f, "{side}")
    }
}

impl Display for SetAction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.path, self.value)
    }
}

impl Display for ValueAction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.value.name)
    }
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for UpdateClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.keyword())?;
        match self {
            Self::Set { actions, .. } => write_list(f, actions),
            Self::Remove { paths, .. } => write_list(f, paths),
            Self::Add { actions, .. } | Self::Delete { actions, .. } => write_list(f, actions),
        }
    }
}

impl Display for UpdateExpression {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{clause}")?;
        }
        Ok(())
    }
}

impl Display for Projection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_list(f, &self.paths)
    }
}

impl Operand {
    /// The operand as an S-expression: paths and placeholders as written, calls and
    /// arithmetic as `(name args…)`.
    #[must_use]
    pub fn to_sexpr(&self) -> String {
        match self {
            Self::Path(path) => path.to_string(),
            Self::Value(value) => value.name.clone(),
            Self::Call(call) => call.to_sexpr(),
            Self::Arithmetic { op, left, right, .. } => {
                let op = if *op == ArithmeticOp::Add { "+" } else { "-" };
                format!("({op} {} {})", left.to_sexpr(), right.to_sexpr())
            }
        }
    }
}

impl Call {
    /// The call as an S-expression, `(name args…)`.
    #[must_use]
    pub fn to_sexpr(&self) -> String {
        sexpr(self.function.name(), self.args.iter().map(Operand::to_sexpr))
    }
}

fn sexpr(head: &str, items: impl IntoIterator<Item = String>) -> String {
    let mut out = format!("({head}");
    for item in items {
        let _ = write!(out, " {item}");
    }
    out.push(')');
    out
}

impl Condition {
    /// The condition as an S-expression: `(= a :x)`, `(between a :l :h)`, `(in a :x :y)`,
    /// `(and … …)`, `(or … …)`, `(not …)`, `(begins_with a :p)`.
    #[must_use]
    pub fn to_sexpr(&self) -> String {
        match self {
            Self::Compare { op, left, right, .. } => {
                sexpr(op.symbol(), [left.to_sexpr(), right.to_sexpr()])
            }
            Self::Between { operand, low, high, .. } => {
                sexpr("between", [operand.to_sexpr(), low.to_sexpr(), high.to_sexpr()])
            }
            Self::In { operand, list, .. } => sexpr(
                "in",
                std::iter::once(operand.to_sexpr()).chain(list.iter().map(Operand::to_sexpr)),
            ),
            Self::Call(call) => call.to_sexpr(),
            Self::Not { inner, .. } => sexpr("not", [inner.to_sexpr()]),
            Self::And { left, right, .. } => sexpr("and", [left.to_sexpr(), right.to_sexpr()]),
            Self::Or { left, right, .. } => sexpr("or", [left.to_sexpr(), right.to_sexpr()]),
        }
    }
}

impl UpdateExpression {
    /// The update as an S-expression: `(update (set (= a :x)) (remove b) (add c :v))`.
    #[must_use]
    pub fn to_sexpr(&self) -> String {
        sexpr("update", self.clauses.iter().map(clause_sexpr))
    }
}

fn clause_sexpr(clause: &UpdateClause) -> String {
    match clause {
        UpdateClause::Set { actions, .. } => sexpr(
            "set",
            actions.iter().map(|a| sexpr("=", [a.path.to_string(), a.value.to_sexpr()])),
        ),
        UpdateClause::Remove { paths, .. } => sexpr("remove", paths.iter().map(Path::to_string)),
        UpdateClause::Add { actions, .. } => sexpr("add", actions.iter().map(value_action_sexpr)),
        UpdateClause::Delete { actions, .. } => {
            sexpr("delete", actions.iter().map(value_action_sexpr))
        }
    }
}

fn value_action_sexpr(action: &ValueAction) -> String {
    format!("({} {})", action.path, action.value.name)
}

impl Projection {
    /// The projection as an S-expression: `(projection a b.c)`.
    #[must_use]
    pub fn to_sexpr(&self) -> String {
        sexpr("projection", self.paths.iter().map(Path::to_string))
    }
}
