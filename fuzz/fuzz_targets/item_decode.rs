//! Items from untrusted bytes: arbitrary bytes through the storage decoding of an item, and
//! arbitrary JSON through its wire decoding, never panic; whatever decodes survives re-encoding.
//! The same bytes also go through the decoder of stored stream records.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    basalt::model::fuzz_item_decode(bytes);
    basalt::db::fuzz::fuzz_stream_record(bytes);
});
