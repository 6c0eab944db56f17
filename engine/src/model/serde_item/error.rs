//! [`ItemSerdeError`]: why a value could not be serialized into or deserialized from an item.

use std::fmt::Display;

use serde::{de, ser};

use crate::model::NumberError;

/// Why [`to_item`](super::to_item), [`to_value`](super::to_value),
/// [`from_item`](super::from_item) or [`from_value`](super::from_value) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ItemSerdeError {
    /// A message from a `Serialize` or `Deserialize` implementation (serde's `custom`), such as
    /// a missing field or an unknown variant.
    #[error("{message}")]
    Custom {
        /// The message.
        message: String,
    },
    /// [`to_item`](super::to_item) of something that does not serialize to a map.
    #[error("the top level of an item must be a map or struct, found {found}")]
    TopLevelNotMap {
        /// What the value serialized to, e.g. "a string (S)".
        found: &'static str,
    },
    /// A map key that does not serialize to a string.
    #[error("map keys must be strings, found {found}")]
    KeyNotString {
        /// What the key serialized to.
        found: &'static str,
    },
    /// A NaN or infinite float.
    #[error("cannot store {value} as a DynamoDB number: it is not finite")]
    NonFiniteNumber {
        /// The float as Rust prints it.
        value: String,
    },
    /// A number DynamoDB cannot store: too many digits, or out of its range.
    #[error("cannot store {value} as a DynamoDB number: {source}")]
    Number {
        /// The number as Rust prints it.
        value: String,
        /// DynamoDB's reason.
        source: NumberError,
    },
    /// A value of another type than the Rust type reads.
    #[error("invalid type: expected {expected}, found {found}")]
    WrongType {
        /// What the Rust type reads, as serde names it (e.g. "struct User", "i64").
        expected: String,
        /// What was there, e.g. "a string (S)".
        found: &'static str,
    },
    /// An `N` with a fractional part read as an integer type.
    #[error("the number {number} is not an integer, so it cannot be read as {target}")]
    NotAnInteger {
        /// The number.
        number: String,
        /// The Rust type.
        target: &'static str,
    },
    /// An `N` beyond the range of the Rust number type.
    #[error("the number {number} is out of range for {target}")]
    OutOfRange {
        /// The number.
        number: String,
        /// The Rust type.
        target: &'static str,
    },
    /// An error inside a map, struct, list or variant, with the path to it.
    #[error("at {path}: {source}")]
    At {
        /// Field names and list indexes from the top, e.g. `address.lines[1]`.
        path: String,
        /// The error there.
        source: Box<ItemSerdeError>,
    },
}

impl ItemSerdeError {
    /// The error, placed inside the field or map entry `name`.
    pub(super) fn at_field(self, name: &str) -> ItemSerdeError {
        self.prepend(name.to_owned())
    }

    /// The error, placed inside list member `index`.
    pub(super) fn at_index(self, index: usize) -> ItemSerdeError {
        self.prepend(format!("[{index}]"))
    }

    fn prepend(self, segment: String) -> ItemSerdeError {
        match self {
            ItemSerdeError::At { path, source } => {
                let separator = if path.starts_with('[') { "" } else { "." };
                ItemSerdeError::At { path: format!("{segment}{separator}{path}"), source }
            }
            other => ItemSerdeError::At { path: segment, source: Box::new(other) },
        }
    }

    /// The error without its path.
    #[must_use]
    pub fn innermost(&self) -> &ItemSerdeError {
        match self {
            ItemSerdeError::At { source, .. } => source.innermost(),
            other => other,
        }
    }
}

impl ser::Error for ItemSerdeError {
    fn custom<T: Display>(message: T) -> ItemSerdeError {
        ItemSerdeError::Custom { message: message.to_string() }
    }
}

impl de::Error for ItemSerdeError {
    fn custom<T: Display>(message: T) -> ItemSerdeError {
        ItemSerdeError::Custom { message: message.to_string() }
    }
}
