//! Blocks of prefix-compressed, sorted key/value pairs with restart points. Data blocks and the
//! index block share this encoding; byte diagram in `docs/sstable.md`.
#![deny(clippy::indexing_slicing)]

pub(crate) mod builder;
pub(crate) mod reader;
