//! Model-based checks of [`crate::Db`], shared by the fuzz targets and the seeded tests that run
//! them under `cargo test`: `table_ops` compares every answer of the item operations and their
//! expressions with a reference written independently of [`crate::expr`].

pub mod table_ops;
