//! `basalt-server`: Basalt's DynamoDB endpoint. It speaks DynamoDB's JSON 1.0 protocol over
//! HTTP/1.1 (`POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`), checks AWS Signature
//! Version 4 on every request, and answers with DynamoDB's responses and error envelopes, so
//! the unmodified AWS SDKs and the AWS CLI work against it.
//!
//! - [`handler`]: one request to one response, without sockets (what tests and the fuzz target
//!   `request_decode` drive);
//! - [`dispatch`]: from the target and the JSON body to a call of [`basalt::Db`];
//! - [`sigv4`]: the signature check;
//! - [`serve`]: the tokio/hyper server around the handler;
//! - the binary `basalt` (`src/main.rs`): the command line.

pub mod dispatch;
// The fuzz target `request_decode`'s check, also run by `cargo test` over seeded inputs.
#[doc(hidden)]
pub mod fuzz;
pub mod handler;
pub mod serve;
pub mod sigv4;
