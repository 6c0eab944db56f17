//! DynamoDB's parameter-constraint messages: `1 validation error detected: Value 'x' at
//! 'tableName' failed to satisfy constraint: Member must …`, several joined by `; ` under
//! `N validation errors detected: `.

use crate::api::DbError;

/// Collects constraint failures of one request, in the order they are found.
#[derive(Debug, Default)]
pub(crate) struct Constraints {
    failures: Vec<String>,
}

/// The characters DynamoDB allows in table and index names.
pub(crate) const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";

impl Constraints {
    pub(crate) fn new() -> Constraints {
        Constraints::default()
    }

    /// Records that `value` at `member` (lower camel case, e.g. `tableName`) breaks `rule`.
    /// `value` is `None` for a missing member (shown as `null`).
    pub(crate) fn fail(&mut self, value: Option<&str>, member: &str, rule: &str) {
        let shown = value.map_or_else(|| "null".to_string(), |v| format!("'{v}'"));
        self.failures.push(format!(
            "Value {shown} at '{member}' failed to satisfy constraint: Member must {rule}"
        ));
    }

    /// Records that `value` at `member` breaks `constraint`, worded in full (DynamoDB's map
    /// constraints: "Map value must satisfy constraint: [...]").
    pub(crate) fn fail_constraint(&mut self, value: &str, member: &str, constraint: &str) {
        self.failures.push(format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required member: records `Member must not be null` when it is missing.
    pub(crate) fn required<'a, T>(&mut self, value: Option<&'a T>, member: &str) -> Option<&'a T> {
        if value.is_none() {
            self.fail(None, member, "not be null");
        }
        value
    }

    /// A required string whose length in characters must lie in `min..=max`.
    pub(crate) fn text(&mut self, value: Option<&String>, member: &str, min: usize, max: usize) {
        if let Some(value) = self.required(value, member) {
            self.length(value, member, min, max);
        }
    }

    /// A required word from `allowed`.
    pub(crate) fn required_one_of(
        &mut self,
        value: Option<&String>,
        member: &str,
        allowed: &[&str],
    ) {
        if self.required(value, member).is_some() {
            self.one_of(value, member, allowed);
        }
    }

    /// A table or index name: 3–255 characters of [`NAME_PATTERN`].
    pub(crate) fn name(&mut self, name: Option<&String>, member: &str) {
        let Some(name) = self.required(name, member) else { return };
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            || name.is_empty()
        {
            self.fail(
                Some(name),
                member,
                &format!("satisfy regular expression pattern: {NAME_PATTERN}"),
            );
        }
        self.length(name, member, 3, 255);
    }

    /// A table name or ARN as the data plane accepts it: 1–1024 characters; a plain name must
    /// still satisfy the name rules.
    pub(crate) fn table_name_or_arn(&mut self, name: Option<&String>) {
        self.table_name_or_arn_at(name, "tableName");
    }

    /// [`Constraints::table_name_or_arn`] for a member at another path (a transaction
    /// action's `transactItems.1.member.put.tableName`).
    pub(crate) fn table_name_or_arn_at(&mut self, name: Option<&String>, member: &str) {
        match name {
            Some(name) if name.starts_with("arn:") => self.length(name, member, 1, 1024),
            other => self.name(other, member),
        }
    }

    /// A string whose length in characters must lie in `min..=max`.
    pub(crate) fn length(&mut self, value: &str, member: &str, min: usize, max: usize) {
        let len = value.chars().count();
        if len < min {
            self.fail(Some(value), member, &format!("have length greater than or equal to {min}"));
        }
        if len > max {
            self.fail(Some(value), member, &format!("have length less than or equal to {max}"));
        }
    }

    /// `ReturnConsumedCapacity` and `ReturnItemCollectionMetrics`, the report members of the
    /// batch and transaction writes.
    pub(crate) fn reports(&mut self, capacity: Option<&String>, metrics: Option<&String>) {
        self.one_of(capacity, "returnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]);
        self.one_of(metrics, "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    }

    /// A word from `allowed`, if present.
    pub(crate) fn one_of(&mut self, value: Option<&String>, member: &str, allowed: &[&str]) {
        if let Some(value) = value {
            if !allowed.contains(&value.as_str()) {
                let set = allowed.join(", ");
                self.fail(Some(value), member, &format!("satisfy enum value set: [{set}]"));
            }
        }
    }

    /// The collected failures as DynamoDB's `ValidationException`, if any.
    pub(crate) fn finish(self) -> Result<(), DbError> {
        match self.failures.len() {
            0 => Ok(()),
            1 => Err(DbError::validation(format!(
                "1 validation error detected: {}",
                self.failures[0]
            ))),
            n => Err(DbError::validation(format!(
                "{n} validation errors detected: {}",
                self.failures.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_failure_and_several() {
        let mut c = Constraints::new();
        c.name(Some(&"ab".to_string()), "tableName");
        assert_eq!(
            c.finish().expect_err("fails").to_string(),
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy \
             constraint: Member must have length greater than or equal to 3"
        );
        let mut c = Constraints::new();
        c.name(Some(&"a!".to_string()), "tableName");
        assert_eq!(
            c.finish().expect_err("fails").to_string(),
            "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
             Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length \
             greater than or equal to 3"
        );
        let mut c = Constraints::new();
        c.name(None, "tableName");
        assert_eq!(
            c.finish().expect_err("fails").to_string(),
            "1 validation error detected: Value null at 'tableName' failed to satisfy \
             constraint: Member must not be null"
        );
    }

    #[test]
    fn enum_values() {
        let mut c = Constraints::new();
        c.one_of(Some(&"SOME".to_string()), "returnValues", &["NONE", "ALL_OLD"]);
        assert_eq!(
            c.finish().expect_err("fails").to_string(),
            "1 validation error detected: Value 'SOME' at 'returnValues' failed to satisfy \
             constraint: Member must satisfy enum value set: [NONE, ALL_OLD]"
        );
    }
}
