//! The binary encoding of an item for storage: compact, canonical, and decoded without trusting
//! the bytes. Byte layout in `docs/model.md`, "Item encoding":
//!
//! ```text
//! item   = 0x01 (format) | varint count | count × (name | value)      names strictly increasing
//! name   = varint len | UTF-8 bytes
//! value  = tag u8 | body
//!   0x00 S    varint len | UTF-8          0x06 L   varint count | count × value
//!   0x01 N    Number key encoding          0x07 M   varint count | count × (name | value)
//!   0x02 B    varint len | bytes          0x08 SS  varint count ≥ 1 | count × (varint len | UTF-8)
//!   0x03 BOOL false                       0x09 NS  varint count ≥ 1 | count × Number key encoding
//!   0x04 BOOL true                        0x0A BS  varint count ≥ 1 | count × (varint len | bytes)
//!   0x05 NULL
//! varint = unsigned LEB128, at most 10 bytes, minimal (no redundant 0x80 continuation bytes)
//! ```
//!
//! Every encoding has one decoding and every accepted decoding re-encodes to the same bytes:
//! varints are minimal, map names strictly increase (a `BTreeMap`'s order), numbers use their
//! canonical key encoding. Decoding checks each length and count against the bytes left before
//! allocating, limits nesting to [`NESTING_LEVELS_MAX`] + 1 levels, and never panics.
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use crate::model::number::Number;
use crate::model::value::{AttributeValue, Item, NESTING_LEVELS_MAX};

const FORMAT: u8 = 1;
const TAG_S: u8 = 0x00;
const TAG_N: u8 = 0x01;
const TAG_B: u8 = 0x02;
const TAG_FALSE: u8 = 0x03;
const TAG_TRUE: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_L: u8 = 0x06;
const TAG_M: u8 = 0x07;
const TAG_SS: u8 = 0x08;
const TAG_NS: u8 = 0x09;
const TAG_BS: u8 = 0x0A;

/// Why stored item bytes do not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("corrupt item encoding at offset {offset}: {what}")]
pub struct CodecError {
    /// Where decoding stopped.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

/// Appends the encoding of `item` to `out`.
pub fn encode_item(item: &Item, out: &mut Vec<u8>) {
    out.push(FORMAT);
    encode_map(item, out);
}

/// Decodes an item written by [`encode_item`]; the bytes must hold exactly one item.
///
/// # Errors
/// [`CodecError`] for any bytes [`encode_item`] cannot have written.
pub fn decode_item(bytes: &[u8]) -> Result<Item, CodecError> {
    let mut reader = Reader { bytes, offset: 0 };
    if reader.u8()? != FORMAT {
        return Err(reader.error("unknown item format"));
    }
    let item = reader.map(0)?;
    if reader.offset != bytes.len() {
        return Err(reader.error("bytes after the item"));
    }
    Ok(item)
}

fn encode_map(map: &BTreeMap<String, AttributeValue>, out: &mut Vec<u8>) {
    varint(map.len(), out);
    for (name, value) in map {
        bytes(name.as_bytes(), out);
        encode_value(value, out);
    }
}

fn encode_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => tagged(TAG_S, out, |out| bytes(s.as_bytes(), out)),
        AttributeValue::N(n) => tagged(TAG_N, out, |out| n.encode_key(out)),
        AttributeValue::B(b) => tagged(TAG_B, out, |out| bytes(b, out)),
        AttributeValue::Bool(false) => out.push(TAG_FALSE),
        AttributeValue::Bool(true) => out.push(TAG_TRUE),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::L(list) => tagged(TAG_L, out, |out| {
            varint(list.len(), out);
            list.iter().for_each(|v| encode_value(v, out));
        }),
        AttributeValue::M(map) => tagged(TAG_M, out, |out| encode_map(map, out)),
        AttributeValue::Ss(set) => tagged(TAG_SS, out, |out| {
            varint(set.len(), out);
            set.iter().for_each(|s| bytes(s.as_bytes(), out));
        }),
        AttributeValue::Ns(set) => tagged(TAG_NS, out, |out| {
            varint(set.len(), out);
            set.iter().for_each(|n| n.encode_key(out));
        }),
        AttributeValue::Bs(set) => tagged(TAG_BS, out, |out| {
            varint(set.len(), out);
            set.iter().for_each(|b| bytes(b, out));
        }),
    }
}

fn tagged(tag: u8, out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(tag);
    body(out);
}

fn bytes(bytes: &[u8], out: &mut Vec<u8>) {
    varint(bytes.len(), out);
    out.extend_from_slice(bytes);
}

fn varint(value: usize, out: &mut Vec<u8>) {
    let mut value = value as u64;
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &'static str) -> CodecError {
        CodecError { offset: self.offset, what }
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        let byte = self.bytes.get(self.offset).copied().ok_or_else(|| self.error("truncated"))?;
        self.offset += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], CodecError> {
        let end = self.offset.checked_add(len).ok_or_else(|| self.error("length overflows"))?;
        let slice = self.bytes.get(self.offset..end).ok_or_else(|| self.error("truncated"))?;
        self.offset = end;
        Ok(slice)
    }

    /// A minimal LEB128 varint.
    fn varint(&mut self) -> Result<usize, CodecError> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(self.error("varint overflows 64 bits"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(self.error("varint not minimal"));
                }
                return usize::try_from(value).map_err(|_| self.error("varint too large"));
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    /// A count of elements that each take at least one byte: at most the bytes left.
    fn count(&mut self) -> Result<usize, CodecError> {
        let count = self.varint()?;
        if count > self.bytes.len().saturating_sub(self.offset) {
            return Err(self.error("count exceeds the bytes left"));
        }
        Ok(count)
    }

    fn blob(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.varint()?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let at = self.offset;
        let blob = self.blob()?;
        std::str::from_utf8(blob)
            .map(str::to_owned)
            .map_err(|_| CodecError { offset: at, what: "string is not UTF-8" })
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let rest = self.bytes.get(self.offset..).unwrap_or_default();
        let (number, used) =
            Number::decode_key(rest).map_err(|_| self.error("malformed number"))?;
        self.offset += used;
        Ok(number)
    }

    fn map(&mut self, depth: usize) -> Result<BTreeMap<String, AttributeValue>, CodecError> {
        let count = self.count()?;
        let mut map = BTreeMap::new();
        let mut previous: Option<String> = None;
        for _ in 0..count {
            let name = self.string()?;
            if previous.as_ref().is_some_and(|p| *p >= name) {
                return Err(self.error("names not strictly increasing"));
            }
            let value = self.value(depth)?;
            previous = Some(name.clone());
            map.insert(name, value);
        }
        Ok(map)
    }

    fn value(&mut self, depth: usize) -> Result<AttributeValue, CodecError> {
        let tag = self.u8()?;
        let value = match tag {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.blob()?.to_vec()),
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_NULL => AttributeValue::Null,
            TAG_L | TAG_M => self.nested(tag, depth + 1)?,
            TAG_SS | TAG_NS | TAG_BS => self.set(tag)?,
            _ => return Err(self.error("unknown value tag")),
        };
        Ok(value)
    }

    fn nested(&mut self, tag: u8, depth: usize) -> Result<AttributeValue, CodecError> {
        if depth > NESTING_LEVELS_MAX + 1 {
            return Err(self.error("nested too deeply"));
        }
        if tag == TAG_M {
            return Ok(AttributeValue::M(self.map(depth)?));
        }
        let count = self.count()?;
        let list = (0..count).map(|_| self.value(depth)).collect::<Result<_, _>>()?;
        Ok(AttributeValue::L(list))
    }

    fn set(&mut self, tag: u8) -> Result<AttributeValue, CodecError> {
        let count = self.count()?;
        if count == 0 {
            return Err(self.error("empty set"));
        }
        Ok(match tag {
            TAG_SS => {
                AttributeValue::Ss((0..count).map(|_| self.string()).collect::<Result<_, _>>()?)
            }
            TAG_NS => {
                AttributeValue::Ns((0..count).map(|_| self.number()).collect::<Result<_, _>>()?)
            }
            _ => AttributeValue::Bs(
                (0..count).map(|_| self.blob().map(<[u8]>::to_vec)).collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// Decodes `bytes` as an item and, when it decodes, checks that it re-encodes to the same bytes
/// (the fuzz target `item_decode` and its seeded tests).
///
/// # Panics
/// If an accepted decoding does not re-encode to its input.
pub fn decode_arbitrary(bytes: &[u8]) {
    let mut json = Vec::new();
    let written = write_item_json(bytes, &mut json);
    match decode_item(bytes) {
        Ok(item) => {
            let mut again = Vec::new();
            encode_item(&item, &mut again);
            assert_eq!(again, bytes, "an accepted item encoding re-encodes to itself");
            let expected = serde_json::to_vec(&item).expect("an item serializes");
            assert_eq!(written, Ok(()), "the JSON writer accepts what the decoder accepts");
            assert_eq!(json, expected, "the JSON writer writes what serializing the item writes");
        }
        Err(_) => assert!(written.is_err(), "the JSON writer refuses what the decoder refuses"),
    }
}

/// The fuzz target `item_decode`: `bytes` as a stored item ([`decode_arbitrary`]), and as JSON
/// through the wire decoding of an item; a wire item that decodes must survive writing to JSON
/// and to storage bytes and reading back.
///
/// # Panics
/// If a decoder panics or a round trip changes the item.
pub fn fuzz_item_decode(bytes: &[u8]) {
    decode_arbitrary(bytes);
    let streamed = serde_json::from_slice::<Item>(bytes);
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        assert!(streamed.is_err(), "the streaming reader refuses what serde_json refuses");
        return;
    };
    let read = crate::model::value::item_from_json(&json);
    if let Ok(streamed) = streamed {
        // (Not the converse: a repeated key whose first value is wrong is refused by the
        // streaming reader, as by DynamoDB, and forgotten by `serde_json::Value`.)
        assert_eq!(read.as_ref(), Ok(&streamed), "the two wire readers agree");
    }
    let Ok(item) = read else { return };
    let written = serde_json::Value::Object(crate::model::value::item_to_json(&item));
    let again = crate::model::value::item_from_json(&written);
    assert_eq!(again.as_ref(), Ok(&item), "wire round trip");
    let mut stored = Vec::new();
    encode_item(&item, &mut stored);
    assert_eq!(decode_item(&stored).as_ref(), Ok(&item), "storage round trip");
    decode_arbitrary(&stored);
}

mod json;

pub use json::write_item_json;

#[cfg(test)]
mod tests;
