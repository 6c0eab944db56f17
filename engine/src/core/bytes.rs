//! `Bytes`: an owned, cheaply cloned byte string returned by reads.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use basalt_sstable::Table;

/// Bytes returned by a read: a key or a value. Cloning is cheap except for bytes a scan
/// copied out of an SSTable (see below).
///
/// No read copies a value it can share: a value from the live or a frozen tree shares the
/// tree's own buffer, and a point read from an SSTable shares its memory map, which stays
/// mapped while the `Bytes` lives. Scans yield owned bytes.
#[derive(Clone)]
pub struct Bytes {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Shared { buf: Arc<[u8]>, start: usize },
    Table { table: Table, range: Range<usize> },
    Owned(Vec<u8>),
}

impl Bytes {
    /// `buf[start..]`.
    ///
    /// # Panics
    /// If `start > buf.len()`.
    pub(crate) fn slice_from(buf: Arc<[u8]>, start: usize) -> Bytes {
        assert!(start <= buf.len(), "slice start {start} past the end {}", buf.len());
        Bytes { repr: Repr::Shared { buf, start } }
    }

    /// `table.as_bytes()[range]`, keeping the table's mapping alive.
    ///
    /// # Panics
    /// If `range` is not within the table.
    pub(crate) fn in_table(table: Table, range: Range<usize>) -> Bytes {
        assert!(table.as_bytes().get(range.clone()).is_some(), "value range outside its table");
        Bytes { repr: Repr::Table { table, range } }
    }

    /// The bytes as a `Vec`.
    pub fn to_vec(&self) -> Vec<u8> {
        self.deref().to_vec()
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.repr {
            Repr::Shared { buf, start } => buf.get(*start..).unwrap_or_default(),
            Repr::Table { table, range } => table.as_bytes().get(range.clone()).unwrap_or_default(),
            Repr::Owned(bytes) => bytes,
        }
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Bytes {
        Bytes { repr: Repr::Owned(bytes) }
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Bytes {
        Bytes { repr: Repr::Owned(bytes.to_vec()) }
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        **self == **other
    }
}

impl Eq for Bytes {}

impl PartialEq<[u8]> for Bytes {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, other: &Bytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bytes {
    fn cmp(&self, other: &Bytes) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(self) {
            Ok(text) => write!(f, "b{text:?}"),
            Err(_) => write!(f, "{:02x?}", &**self),
        }
    }
}
