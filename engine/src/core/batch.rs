//! `Batch`: changes written atomically in one log record, and that record's payload format.
//!
//! Payload (`docs/core.md`, "Log record payload"), little-endian:
//! `format: u8 = 1 | count: u32 | count × (tag: u8 | key_len: u32 | key | [value_len: u32 | value])`
//! with tag 0 = delete (no value), 1 = put. Decoding checks every length against the bytes left
//! before slicing and never panics.
#![deny(clippy::indexing_slicing)]

use basalt_sstable::Kind;

use crate::core::error::{Error, Result};
use crate::core::limits::KEY_BYTES_MAX;

const PAYLOAD_FORMAT: u8 = 1;
const HEADER_BYTES: usize = 5;
const TAG_DELETE: u8 = 0;
const TAG_PUT: u8 = 1;

/// Puts and deletes applied together: one log record, visible all at once, in every shard they
/// touch. Later operations on the same key win over earlier ones.
#[derive(Clone, Debug)]
pub struct Batch {
    payload: Vec<u8>,
    count: u32,
    /// The first invalid key's length, reported by [`Batch::validate`].
    invalid_key_len: Option<usize>,
}

impl Default for Batch {
    fn default() -> Self {
        Batch::new()
    }
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        let mut payload = Vec::with_capacity(64);
        payload.push(PAYLOAD_FORMAT);
        payload.extend_from_slice(&0u32.to_le_bytes());
        Batch { payload, count: 0, invalid_key_len: None }
    }

    /// Adds "set `key` to `value`".
    pub fn put(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Batch {
        let (key, value) = (key.as_ref(), value.as_ref());
        self.push(TAG_PUT, key);
        self.payload.extend_from_slice(&len_u32(value.len()).to_le_bytes());
        self.payload.extend_from_slice(value);
        self
    }

    /// Adds "delete `key`" (deleting a missing key is not an error).
    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> &mut Batch {
        self.push(TAG_DELETE, key.as_ref());
        self
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the batch has no operations.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn push(&mut self, tag: u8, key: &[u8]) {
        if self.invalid_key_len.is_none() && (key.is_empty() || key.len() > KEY_BYTES_MAX) {
            self.invalid_key_len = Some(key.len());
        }
        self.count = self.count.checked_add(1).expect("a batch holds fewer than 2^32 operations");
        self.payload.push(tag);
        self.payload.extend_from_slice(&len_u32(key.len()).to_le_bytes());
        self.payload.extend_from_slice(key);
    }

    /// Checks the batch and returns its log payload.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`], [`Error::EmptyKey`], [`Error::KeyTooLarge`],
    /// [`Error::BatchTooLarge`].
    pub(crate) fn into_payload(mut self) -> Result<Vec<u8>> {
        match self.invalid_key_len {
            _ if self.count == 0 => return Err(Error::EmptyBatch),
            Some(0) => return Err(Error::EmptyKey),
            Some(len) => return Err(Error::KeyTooLarge { len, max: KEY_BYTES_MAX }),
            None => {}
        }
        if self.payload.len() > basalt_wal::RECORD_PAYLOAD_BYTES_MAX {
            return Err(Error::BatchTooLarge {
                bytes: self.payload.len(),
                max: basalt_wal::RECORD_PAYLOAD_BYTES_MAX,
            });
        }
        if let Some(count) = self.payload.get_mut(1..HEADER_BYTES) {
            count.copy_from_slice(&self.count.to_le_bytes());
        }
        Ok(self.payload)
    }
}

/// Lengths are bounded far below 4 GiB by the record limit, checked before the payload is used.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// One decoded operation, borrowing the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op<'a> {
    pub(crate) kind: Kind,
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// Decodes a payload written by [`Batch::into_payload`].
///
/// # Errors
/// A description of the first malformation; never panics.
pub(crate) fn decode(payload: &[u8]) -> std::result::Result<Vec<Op<'_>>, String> {
    let mut cursor = Cursor { bytes: payload, offset: 0 };
    let format = cursor.u8()?;
    if format != PAYLOAD_FORMAT {
        return Err(format!("unknown payload format {format}"));
    }
    let count = cursor.u32()? as usize;
    if count == 0 {
        return Err("a batch with no operations".into());
    }
    // Each operation takes at least five bytes: bound the allocation by what is there.
    if count > payload.len() / HEADER_BYTES {
        return Err(format!("count {count} exceeds what {} bytes can hold", payload.len()));
    }
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let tag = cursor.u8()?;
        let key = cursor.slice()?;
        if key.is_empty() || key.len() > KEY_BYTES_MAX {
            return Err(format!("key length {} out of range", key.len()));
        }
        let (kind, value) = match tag {
            TAG_PUT => (Kind::Value, cursor.slice()?),
            TAG_DELETE => (Kind::Tombstone, &[][..]),
            other => return Err(format!("unknown operation tag {other}")),
        };
        ops.push(Op { kind, key, value });
    }
    if cursor.offset != payload.len() {
        return Err(format!("{} bytes after the last operation", payload.len() - cursor.offset));
    }
    Ok(ops)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.offset.checked_add(len).filter(|&end| end <= self.bytes.len());
        let slice = end.and_then(|end| self.bytes.get(self.offset..end));
        let slice = slice.ok_or_else(|| format!("truncated at offset {}", self.offset))?;
        self.offset += len;
        Ok(slice)
    }

    fn u8(&mut self) -> std::result::Result<u8, String> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u32(&mut self) -> std::result::Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes(bytes.try_into().unwrap_or_default()))
    }

    fn slice(&mut self) -> std::result::Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index their own fixtures")]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        let mut batch = Batch::new();
        batch.put(b"a", b"1").delete(b"b").put(b"c", b"");
        let payload = batch.into_payload().expect("valid batch");
        let ops = decode(&payload).expect("decodes");
        assert_eq!(
            ops,
            vec![
                Op { kind: Kind::Value, key: b"a", value: b"1" },
                Op { kind: Kind::Tombstone, key: b"b", value: b"" },
                Op { kind: Kind::Value, key: b"c", value: b"" },
            ]
        );
    }

    #[test]
    fn invalid_batches_are_refused() {
        assert!(matches!(Batch::new().into_payload(), Err(Error::EmptyBatch)));
        let mut empty_key = Batch::new();
        empty_key.put(b"", b"v");
        assert!(matches!(empty_key.into_payload(), Err(Error::EmptyKey)));
        let mut long_key = Batch::new();
        long_key.delete(vec![7; KEY_BYTES_MAX + 1]);
        assert!(matches!(long_key.into_payload(), Err(Error::KeyTooLarge { .. })));
    }

    #[test]
    fn every_truncation_and_byte_flip_is_an_error_or_a_valid_decode() {
        let mut batch = Batch::new();
        batch.put(b"key", b"value").delete(b"other");
        let payload = batch.into_payload().expect("valid batch");
        for len in 0..payload.len() {
            assert!(decode(&payload[..len]).is_err(), "truncation to {len} decoded");
        }
        for i in 0..payload.len() {
            let mut damaged = payload.clone();
            damaged[i] ^= 0xff;
            let _ = decode(&damaged);
        }
        assert!(decode(&[PAYLOAD_FORMAT, 0xff, 0xff, 0xff, 0xff]).is_err());
        // Found by the fuzz target core_decode: no writer makes an empty batch, so none decodes.
        assert!(decode(&[PAYLOAD_FORMAT, 0, 0, 0, 0]).is_err());
    }
}
