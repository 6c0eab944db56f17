//! DynamoDB JSON straight from the storage encoding: [`write_item_json`] writes exactly what
//! serializing the decoded [`Item`](crate::model::Item) with `serde_json` writes, without
//! building it (no `BTreeMap`, no allocation per attribute). Query and Scan responses are made
//! of many items, and building each one only to serialize and drop it was most of their cost.
//!
//! The walk makes every check [`decode_item`](super::decode_item) makes (lengths, UTF-8, minimal
//! varints, increasing names, nesting, non-empty sets, canonical numbers), so bytes it accepts
//! are bytes the decoder accepts, and the JSON is the same.
#![deny(clippy::indexing_slicing)]

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

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
    let mut reader = Reader { bytes, offset: 0 };
    if reader.u8()? != FORMAT {
        return Err(reader.error("unknown item format"));
    }
    map(&mut reader, 0, out)?;
    if reader.offset != bytes.len() {
        return Err(reader.error("bytes after the item"));
    }
    Ok(())
}

/// A map (an item, or an `M` value) at nesting `depth`: `{"name":value,…}`.
fn map(reader: &mut Reader<'_>, depth: usize, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let count = reader.count()?;
    out.push(b'{');
    let mut previous: Option<&str> = None;
    for index in 0..count {
        if index > 0 {
            out.push(b',');
        }
        let name = text(reader)?;
        if previous.is_some_and(|p| p >= name) {
            return Err(reader.error("names not strictly increasing"));
        }
        previous = Some(name);
        string(name, out);
        out.push(b':');
        value(reader, depth, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// One attribute value at nesting `depth`: `{"S":…}`, `{"N":…}`, …
fn value(reader: &mut Reader<'_>, depth: usize, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let tag = reader.u8()?;
    match tag {
        TAG_S => {
            out.extend_from_slice(br#"{"S":"#);
            string(text(reader)?, out);
        }
        TAG_N => {
            out.extend_from_slice(br#"{"N":"#);
            number(reader, out)?;
        }
        TAG_B => {
            out.extend_from_slice(br#"{"B":"#);
            let bytes = reader.blob()?;
            base64(reader, bytes, out)?;
        }
        TAG_FALSE => out.extend_from_slice(br#"{"BOOL":false"#),
        TAG_TRUE => out.extend_from_slice(br#"{"BOOL":true"#),
        TAG_NULL => out.extend_from_slice(br#"{"NULL":true"#),
        TAG_L | TAG_M => {
            let depth = depth + 1;
            if depth > NESTING_LEVELS_MAX + 1 {
                return Err(reader.error("nested too deeply"));
            }
            if tag == TAG_M {
                out.extend_from_slice(br#"{"M":"#);
                map(reader, depth, out)?;
            } else {
                out.extend_from_slice(br#"{"L":["#);
                for index in 0..reader.count()? {
                    if index > 0 {
                        out.push(b',');
                    }
                    value(reader, depth, out)?;
                }
                out.push(b']');
            }
        }
        TAG_SS | TAG_NS | TAG_BS => set(reader, tag, out)?,
        _ => return Err(reader.error("unknown value tag")),
    }
    out.push(b'}');
    Ok(())
}

/// A set (`tag` says which kind): `{"SS":[…]`, members as strings, numbers as strings, or
/// base64; never empty.
fn set(reader: &mut Reader<'_>, tag: u8, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let count = reader.count()?;
    if count == 0 {
        return Err(reader.error("empty set"));
    }
    out.extend_from_slice(match tag {
        TAG_SS => br#"{"SS":["#,
        TAG_NS => br#"{"NS":["#,
        _ => br#"{"BS":["#,
    });
    for index in 0..count {
        if index > 0 {
            out.push(b',');
        }
        match tag {
            TAG_SS => string(text(reader)?, out),
            TAG_NS => number(reader, out)?,
            _ => {
                let bytes = reader.blob()?;
                base64(reader, bytes, out)?;
            }
        }
    }
    out.push(b']');
    Ok(())
}

/// A length-prefixed UTF-8 string.
fn text<'a>(reader: &mut Reader<'a>) -> Result<&'a str, CodecError> {
    let at = reader.offset;
    let blob = reader.blob()?;
    std::str::from_utf8(blob).map_err(|_| CodecError { offset: at, what: "string is not UTF-8" })
}

/// `s` as a JSON string, escaped as `serde_json` escapes.
fn string(s: &str, out: &mut Vec<u8>) {
    // Writing to a `Vec` cannot fail, and a `&str` always serializes.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A number in its normalized text, as a JSON string (digits, sign, point, exponent: nothing to
/// escape).
fn number(reader: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let number = reader.number()?;
    out.push(b'"');
    // Writing to a `Vec` cannot fail.
    let _ = write!(out, "{number}");
    out.push(b'"');
    Ok(())
}

/// Bytes as a JSON string of standard base64 (its alphabet needs no escaping).
fn base64(reader: &Reader<'_>, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
    let failed = || reader.error("base64 output failed");
    out.push(b'"');
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).ok_or_else(failed)?;
    out.resize(start + len, 0);
    let tail = out.get_mut(start..).ok_or_else(failed)?;
    if BASE64.encode_slice(bytes, tail) != Ok(len) {
        return Err(failed());
    }
    out.push(b'"');
    Ok(())
}
