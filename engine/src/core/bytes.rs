//! `Bytes`: an owned, cheaply cloned byte string returned by reads.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Bytes returned by a read: a key or a value. Cloning shares the buffer.
///
/// A value read from the live or a frozen tree shares the tree's own buffer (no copy); one read
/// from an SSTable owns a copy, because the mapping it came from may go away.
#[derive(Clone)]
pub struct Bytes {
    buf: Arc<[u8]>,
    start: usize,
}

impl Bytes {
    /// `buf[start..]`.
    ///
    /// # Panics
    /// If `start > buf.len()`.
    pub(crate) fn slice_from(buf: Arc<[u8]>, start: usize) -> Bytes {
        assert!(start <= buf.len(), "slice start {start} past the end {}", buf.len());
        Bytes { buf, start }
    }

    /// The bytes as a `Vec`.
    pub fn to_vec(&self) -> Vec<u8> {
        self.deref().to_vec()
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Bytes {
        Bytes { buf: bytes.into(), start: 0 }
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Bytes {
        Bytes { buf: bytes.into(), start: 0 }
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
