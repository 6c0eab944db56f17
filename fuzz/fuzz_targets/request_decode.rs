//! Whole HTTP requests from untrusted bytes through `basalt-server`'s handler: method, target,
//! content and accept encodings, signature (valid, missing, garbled) and body are all chosen by
//! the input (layout in `basalt_server::fuzz`). Never a panic or an internal error; every answer
//! has an allowed status, DynamoDB's error envelope, a correct `x-amz-crc32` and a content type;
//! a refused request leaves the table as it was.
#![no_main]

use std::sync::OnceLock;

use basalt_server::handler::Handler;
use libfuzzer_sys::fuzz_target;

fn handler() -> &'static Handler {
    static HANDLER: OnceLock<(tempfile::TempDir, Handler)> = OnceLock::new();
    let (_, handler) = HANDLER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let handler = basalt_server::fuzz::fuzz_handler(dir.path()).expect("open");
        (dir, handler)
    });
    handler
}

fuzz_target!(|bytes: &[u8]| basalt_server::fuzz::fuzz_request(handler(), bytes));
