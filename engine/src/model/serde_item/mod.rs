//! serde between Rust types and items: [`to_item`]/[`to_value`] serialize any `Serialize` type
//! into an [`Item`](super::Item)/[`AttributeValue`](super::AttributeValue), and
//! [`from_item`]/[`from_value`] deserialize any `Deserialize` type back. A serializer and a
//! deserializer of their own, with no detour through JSON, so numbers stay exact.
//!
//! # Serializing
//!
//! | Rust (serde data model)                    | DynamoDB                                   |
//! |--------------------------------------------|--------------------------------------------|
//! | `str`, `String`, `char`                    | `S`                                        |
//! | integers, floats                           | `N`, exact (floats by their shortest text) |
//! | `bool`                                     | `BOOL`                                     |
//! | `()`, unit structs, `None`                 | `NULL`                                     |
//! | `Some(x)`, newtype structs                 | `x`'s value                                |
//! | sequences, tuples, tuple structs           | `L`                                        |
//! | structs, maps with string keys             | `M`                                        |
//! | bytes (`serialize_bytes`, e.g. serde_bytes)| `B`                                        |
//! | unit variant `E::A`                        | `S` `"A"`                                  |
//! | newtype, tuple and struct variants         | `M` with one entry `{"A": value}`          |
//!
//! These fail with an [`ItemSerdeError`] instead: NaN and infinite floats, numbers DynamoDB
//! cannot store (128-bit integers with 39 digits, floats beyond `[1E-130, 1E+126)`), map keys
//! that do not serialize to a string (a string, a char or a unit variant), and in [`to_item`] a
//! top level that is not a struct or map. A `Vec<u8>` is a sequence to serde and becomes an `L`
//! of numbers; mark it `#[serde(with = "serde_bytes")]` (or call `serialize_bytes`) for `B`.
//! `None` fields become `NULL` attributes; add `#[serde(skip_serializing_if =
//! "Option::is_none")]` to leave them out instead.
//!
//! Sets (`SS`, `NS`, `BS`) are never produced: serde has no set type distinct from a sequence.
//! Build them directly, `AttributeValue::Ss(vec![..])`, and insert them into the item. Fields of
//! type `AttributeValue` go through its own (JSON wire form) `Serialize`, so they nest as
//! `{"S": ..}` maps; keep such values out of the struct and add them to the item afterwards.
//! Nesting depth and set rules are not checked here; [`validate_value`](super::validate_value)
//! does that.
//!
//! # Deserializing
//!
//! Each type reads only its own value type: strings, chars and unit variants from `S`; every
//! integer type from an `N` that is an integer in its range; `f32`/`f64` from any `N` (nearest);
//! `bool` from `BOOL`; `()` and unit structs from `NULL`; bytes from `B`; sequences and tuples
//! from `L`, `SS`, `NS`, `BS` (sets read as sequences of their members) and from `B` (as `u8`s);
//! maps and structs from `M`; enums from `S` (unit variants) or a one-entry `M`. `Option` is
//! `None` for `NULL` and `Some` otherwise, and a missing `Option` field is `None`. Borrowing is
//! supported: `&str` and `&[u8]` fields borrow from the item.
//!
//! Self-describing reads (`deserialize_any`: `serde_json::Value`, untagged enums, flatten) give
//! `S` as a string, `B` as bytes, `BOOL`, `NULL` as unit, lists and sets as sequences, `M` as a
//! map, and `N` as the first of `i64`, `u64`, `i128`, `u128` that holds it exactly, else as the
//! nearest `f64`.
//!
//! Errors say where they happened (`at address.lines[1]: …`).

mod de;
mod error;
mod node;
mod ser;

pub use de::{from_item, from_value};
pub use error::ItemSerdeError;
pub use ser::{to_item, to_value};
