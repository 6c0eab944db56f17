//! `basalt-server`: the HTTP endpoint that will speak DynamoDB's JSON 1.0 wire protocol.
//!
//! Not built yet. This crate has no API and no binary; it exists so that the workspace has the
//! shape described in `ARCHITECTURE.md`. Until it lands, Basalt is used as an embedded crate.
