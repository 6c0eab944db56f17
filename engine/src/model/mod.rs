//! The DynamoDB data model, being built for the item API (`docs/model.md`).
//!
//! Today it holds: [`Number`], DynamoDB's exact decimal; [`AttributeValue`] with DynamoDB's JSON
//! wire format and its validation rules and messages (`value`); item sizes by DynamoDB's rules
//! (`size`); and the storage key of an item, order-preserving with its partition hash prefix
//! (`key`); the binary item encoding for storage (`codec`). Tables and the operations come
//! next.

mod codec;
mod convert;
mod key;
mod number;
mod serde_item;
mod size;
mod value;

pub use codec::{decode_item, encode_item, fuzz_item_decode, write_item_json, CodecError};
pub use key::{
    begins_with_range, decode_item_key, encode_key_prefix, item_key, partition_hash,
    partition_prefix, partition_range, sort_bound, sort_bound_after, sort_range, KeyError, KeyType,
    KeyValue, SortCondition, HASH_PREFIX_BYTES, PARTITION_HASH_SEED,
};
pub use number::{Number, NumberError};
pub use serde_item::{from_item, from_value, to_item, to_value, ItemSerdeError};
pub use size::{
    check_item_size, item_size_bytes, number_size_bytes, value_size_bytes, ItemTooLarge,
    ITEM_SIZE_BYTES_MAX,
};
pub(crate) use value::take_last_error_kind;
pub use value::{
    item_from_json, item_to_json, validate_value, AttributeValue, ErrorKind, Item, JsonToken,
    SetKind, ValueError, WireValue, NESTING_LEVELS_MAX,
};
