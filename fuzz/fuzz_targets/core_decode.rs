//! The storage core's decoders of its own on-disk bytes (log record payloads, the manifest)
//! over arbitrary input: never a panic, and whatever decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| basalt::core::fuzz::decode_arbitrary(bytes));
