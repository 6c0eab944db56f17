//! How a tree entry stores its version: the tree maps a key to `kind | lsn | value`.
//!
//! A live or frozen tree keeps, per key, the newest change: a value or a tombstone (a tombstone
//! must hide older versions in SSTables), and the LSN that wrote it, which becomes the entry's
//! sequence number when the tree is flushed. Layout: `kind: u8` (0 tombstone, 1 value),
//! `lsn: u64` little-endian, then the value bytes. Slots are made here and never read from disk.

use std::sync::Arc;

use basalt_sstable::Kind;
use basalt_wal::Lsn;

use crate::core::bytes::Bytes;

const HEADER_BYTES: usize = 9;

/// Encodes a slot.
pub(crate) fn encode(kind: Kind, lsn: Lsn, value: &[u8]) -> Arc<[u8]> {
    let tag = match kind {
        Kind::Tombstone => 0,
        Kind::Value => 1,
    };
    // An exact-size iterator: the `Arc` is allocated once and filled in place.
    let slot: Arc<[u8]> =
        std::iter::once(tag).chain(lsn.0.to_le_bytes()).chain(value.iter().copied()).collect();
    debug_assert_eq!(slot.len(), HEADER_BYTES + value.len());
    slot
}

/// The kind of a slot made by [`encode`].
pub(crate) fn kind(slot: &[u8]) -> Kind {
    assert!(slot.len() >= HEADER_BYTES, "slot shorter than its header");
    if slot[0] == 0 {
        Kind::Tombstone
    } else {
        Kind::Value
    }
}

/// The LSN of a slot made by [`encode`].
pub(crate) fn lsn(slot: &[u8]) -> Lsn {
    let bytes: [u8; 8] = slot[1..HEADER_BYTES].try_into().expect("slot header is 9 bytes");
    Lsn(u64::from_le_bytes(bytes))
}

/// The value of a slot made by [`encode`], sharing its buffer.
pub(crate) fn value(slot: &Arc<[u8]>) -> Bytes {
    Bytes::slice_from(slot.clone(), HEADER_BYTES)
}

/// The value bytes of a slot made by [`encode`].
pub(crate) fn value_bytes(slot: &[u8]) -> &[u8] {
    &slot[HEADER_BYTES..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip() {
        let slot = encode(Kind::Value, Lsn(42), b"hello");
        assert_eq!(kind(&slot), Kind::Value);
        assert_eq!(lsn(&slot), Lsn(42));
        assert_eq!(&*value(&slot), b"hello");
        let tomb = encode(Kind::Tombstone, Lsn(7), b"");
        assert_eq!(
            (kind(&tomb), lsn(&tomb), value_bytes(&tomb)),
            (Kind::Tombstone, Lsn(7), &b""[..])
        );
    }
}
