//! The DynamoDB data model: values, numbers, key encoding. Being built: today it holds `Number`.

mod number;

pub use number::{Number, NumberError};
