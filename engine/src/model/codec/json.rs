//! DynamoDB JSON straight from the storage encoding: [`write_item_json`] writes exactly what
//! serializing the decoded [`Item`](crate::model::Item) with `serde_json` writes, without
//! building it (no `BTreeMap`, no allocation per attribute). Query and Scan responses are made
//! of many items, and building each one only to serialize and drop it was most of their cost.
//!
//! The walk makes every check [`decode_item`](super::decode_item) makes (lengths, UTF-8, minimal
//! varints, increasing names, nesting, non-empty sets, canonical numbers), so bytes it accepts
//! are bytes the decoder accepts, and the JSON is the same.
#![deny(clippy::indexing_slicing)]

use std::cell::{Cell, RefCell};

use base64::engine::general_purpose::STANDARD as BASE64;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{
    CodecError, Reader, FORMAT, TAG_B, TAG_BS, TAG_FALSE, TAG_L, TAG_M, TAG_N, TAG_NS, TAG_NULL,
    TAG_S, TAG_SS, TAG_TRUE,
};
use crate::model::value::NESTING_LEVELS_MAX;

/// Appends the DynamoDB JSON of the item `bytes` encodes (as written by
/// [`encode_item`](super::encode_item)) to `out`: the same bytes `serde_json::to_writer` writes
/// for the decoded item.
///
/// # Errors
/// [`CodecError`] for bytes the decoder refuses; `out` then holds a partial answer to discard.
pub fn write_item_json(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
    let walk = Walk { reader: RefCell::new(Reader { bytes, offset: 0 }), failure: Cell::new(None) };
    if walk.read(Reader::u8)? != FORMAT {
        return Err(walk.reader.borrow().error("unknown item format"));
    }
    let mut serializer = serde_json::Serializer::new(out);
    let item = Map { walk: &walk, depth: 0 };
    if item.serialize(&mut serializer).is_err() {
        let failure = walk.failure.take();
        return Err(failure.unwrap_or(CodecError { offset: 0, what: "JSON output failed" }));
    }
    let reader = walk.reader.borrow();
    if reader.offset != bytes.len() {
        return Err(reader.error("bytes after the item"));
    }
    Ok(())
}

/// The reader, shared by the nested serializers, and the first decoding failure.
struct Walk<'a> {
    reader: RefCell<Reader<'a>>,
    failure: Cell<Option<CodecError>>,
}

impl<'a> Walk<'a> {
    fn read<T>(
        &self,
        step: impl FnOnce(&mut Reader<'a>) -> Result<T, CodecError>,
    ) -> Result<T, CodecError> {
        step(&mut self.reader.borrow_mut())
    }

    /// Reads with `step`, recording a failure as a serializer error.
    fn get<T, E: serde::ser::Error>(
        &self,
        step: impl FnOnce(&mut Reader<'a>) -> Result<T, CodecError>,
    ) -> Result<T, E> {
        self.read(step).map_err(|error| {
            let message = error.to_string();
            self.failure.set(Some(error));
            E::custom(message)
        })
    }

    /// A decoding failure at the reader's position, recorded, as a serializer error.
    fn fail<E: serde::ser::Error>(&self, what: &'static str) -> E {
        let error = self.reader.borrow().error(what);
        let message = error.to_string();
        self.failure.set(Some(error));
        E::custom(message)
    }

    fn str<E: serde::ser::Error>(&self) -> Result<&'a str, E> {
        self.get(|r| {
            let at = r.offset;
            let blob = r.blob()?;
            std::str::from_utf8(blob)
                .map_err(|_| CodecError { offset: at, what: "string is not UTF-8" })
        })
    }
}

/// A map (an item, or an `M` value) at nesting `depth`.
struct Map<'w, 'a> {
    walk: &'w Walk<'a>,
    depth: usize,
}

impl Serialize for Map<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = self.walk.get(Reader::count)?;
        let mut map = serializer.serialize_map(Some(count))?;
        let mut previous: Option<&str> = None;
        for _ in 0..count {
            let name = self.walk.str()?;
            if previous.is_some_and(|p| p >= name) {
                return Err(self.walk.fail("names not strictly increasing"));
            }
            previous = Some(name);
            map.serialize_entry(name, &Value { walk: self.walk, depth: self.depth })?;
        }
        map.end()
    }
}

/// One attribute value at nesting `depth`: `{"S": …}`, `{"N": …}`, …
struct Value<'w, 'a> {
    walk: &'w Walk<'a>,
    depth: usize,
}

impl Serialize for Value<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let walk = self.walk;
        let tag = walk.get(Reader::u8)?;
        let mut out = serializer.serialize_map(Some(1))?;
        match tag {
            TAG_S => out.serialize_entry("S", walk.str::<S::Error>()?)?,
            TAG_N => {
                let number = walk.get(Reader::number)?;
                out.serialize_entry("N", &Text(&number))?;
            }
            TAG_B => {
                let bytes = walk.get(Reader::blob)?;
                out.serialize_entry("B", &Base64(bytes))?;
            }
            TAG_FALSE => out.serialize_entry("BOOL", &false)?,
            TAG_TRUE => out.serialize_entry("BOOL", &true)?,
            TAG_NULL => out.serialize_entry("NULL", &true)?,
            TAG_L | TAG_M => {
                let depth = self.depth + 1;
                if depth > NESTING_LEVELS_MAX + 1 {
                    return Err(walk.fail("nested too deeply"));
                }
                if tag == TAG_M {
                    out.serialize_entry("M", &Map { walk, depth })?;
                } else {
                    out.serialize_entry("L", &List { walk, depth })?;
                }
            }
            TAG_SS => out.serialize_entry("SS", &Set { walk, tag })?,
            TAG_NS => out.serialize_entry("NS", &Set { walk, tag })?,
            TAG_BS => out.serialize_entry("BS", &Set { walk, tag })?,
            _ => return Err(walk.fail("unknown value tag")),
        }
        out.end()
    }
}

/// An `L` value's members.
struct List<'w, 'a> {
    walk: &'w Walk<'a>,
    depth: usize,
}

impl Serialize for List<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = self.walk.get(Reader::count)?;
        let mut seq = serializer.serialize_seq(Some(count))?;
        for _ in 0..count {
            seq.serialize_element(&Value { walk: self.walk, depth: self.depth })?;
        }
        seq.end()
    }
}

/// A set's members (`tag` says which kind): strings, numbers as strings, or base64.
struct Set<'w, 'a> {
    walk: &'w Walk<'a>,
    tag: u8,
}

impl Serialize for Set<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let walk = self.walk;
        let count = walk.get(Reader::count)?;
        if count == 0 {
            return Err(walk.fail("empty set"));
        }
        let mut seq = serializer.serialize_seq(Some(count))?;
        for _ in 0..count {
            match self.tag {
                TAG_SS => seq.serialize_element(walk.str::<S::Error>()?)?,
                TAG_NS => seq.serialize_element(&Text(&walk.get(Reader::number)?))?,
                _ => seq.serialize_element(&Base64(walk.get(Reader::blob)?))?,
            }
        }
        seq.end()
    }
}

/// A value serialized as the string its `Display` writes (numbers, as `AttributeValue` does).
struct Text<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Text<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// Bytes serialized as standard base64, as `AttributeValue` does.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&base64::display::Base64Display::new(self.0, &BASE64))
    }
}
