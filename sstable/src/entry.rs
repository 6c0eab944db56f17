//! The unit stored in an SSTable: key, sequence number, kind, value.

use std::cmp::Ordering;

/// A sequence number: larger is newer. Assigned by the engine (its LSN); opaque here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SeqNo(pub u64);

/// Whether an entry carries a value or deletes the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The key was deleted at this sequence number; hides older versions.
    Tombstone,
    /// The key holds `value` at this sequence number.
    Value,
}

impl Kind {
    /// The on-disk byte (see `docs/sstable.md`).
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Kind::Tombstone => 0,
            Kind::Value => 1,
        }
    }

    /// Decodes the on-disk byte.
    pub(crate) fn from_byte(byte: u8) -> Option<Kind> {
        match byte {
            0 => Some(Kind::Tombstone),
            1 => Some(Kind::Value),
            _ => None,
        }
    }
}

/// One version of one key.
///
/// Tables and the merging iterator order entries by key ascending, then sequence number
/// descending (newest version of a key first); see [`cmp_versions`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The key bytes, compared as unsigned bytes.
    pub key: Vec<u8>,
    /// When the version was written.
    pub seqno: SeqNo,
    /// Value or tombstone.
    pub kind: Kind,
    /// The value bytes (normally empty for a tombstone, but kept as given).
    pub value: Vec<u8>,
}

impl Entry {
    /// A value entry.
    pub fn value(key: impl Into<Vec<u8>>, seqno: u64, value: impl Into<Vec<u8>>) -> Entry {
        Entry { key: key.into(), seqno: SeqNo(seqno), kind: Kind::Value, value: value.into() }
    }

    /// A tombstone entry with an empty value.
    pub fn tombstone(key: impl Into<Vec<u8>>, seqno: u64) -> Entry {
        Entry { key: key.into(), seqno: SeqNo(seqno), kind: Kind::Tombstone, value: Vec::new() }
    }

    /// True for [`Kind::Tombstone`].
    pub fn is_tombstone(&self) -> bool {
        self.kind == Kind::Tombstone
    }
}

/// The table order on `(key, seqno)`: key ascending, then seqno descending.
pub fn cmp_versions(a_key: &[u8], a_seqno: SeqNo, b_key: &[u8], b_seqno: SeqNo) -> Ordering {
    a_key.cmp(b_key).then(b_seqno.cmp(&a_seqno))
}

/// Which way an iterator walks the key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Keys ascending; versions of one key newest first.
    #[default]
    Forward,
    /// Keys descending; versions of one key oldest first (the exact reverse of `Forward`).
    Backward,
}
