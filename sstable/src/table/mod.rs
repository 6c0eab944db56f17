//! Whole tables: the writer, the reader and its iterators.

pub(crate) mod iter;
pub(crate) mod reader;
pub(crate) mod writer;
