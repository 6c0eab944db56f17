//! The segment header: the first 48 bytes of every segment file.
//!
//! ```text
//! offset size field
//!      0    8 magic        "BSLTWAL\0"
//!      8    4 version      1
//!     12    4 zero
//!     16    8 segment_id   must match the file name
//!     24    8 first_lsn    LSN of the segment's first record (the next LSN when created),
//!                          1 ..= LSN_MAX
//!     32    8 salt         random; mixed into every record header checksum of the segment
//!     40    4 header_crc   CRC-32 of bytes 0..40
//!     44    4 zero
//! ```
#![deny(clippy::indexing_slicing)]

use crate::error::Corruption;
use crate::record::{le_u32, le_u64};
use crate::{Lsn, SegmentId};

/// Bytes of a segment header; records start at this offset.
pub const SEGMENT_HEADER_BYTES: usize = 48;
/// The largest LSN a segment may start at: far beyond any real log (2^62 records), and low
/// enough that no arithmetic on LSNs read from disk can overflow.
pub const LSN_MAX: u64 = 1 << 62;
/// The magic bytes that open every segment.
pub const MAGIC: [u8; 8] = *b"BSLTWAL\0";
/// The segment format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A fresh random salt for a new segment.
#[must_use]
pub fn new_salt(id: SegmentId) -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(id.0)
}

/// A decoded segment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The segment's id.
    pub id: SegmentId,
    /// The LSN of the segment's first record.
    pub first_lsn: Lsn,
    /// The salt of the segment's record checksums.
    pub salt: u64,
}

impl SegmentHeader {
    /// The header's bytes.
    #[must_use]
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_BYTES] {
        let mut out = [0u8; SEGMENT_HEADER_BYTES];
        let fields: [(usize, &[u8]); 5] = [
            (0, &MAGIC),
            (8, &FORMAT_VERSION.to_le_bytes()),
            (16, &self.id.0.to_le_bytes()),
            (24, &self.first_lsn.0.to_le_bytes()),
            (32, &self.salt.to_le_bytes()),
        ];
        for (at, bytes) in fields {
            out.get_mut(at..at + bytes.len()).expect("inside the header").copy_from_slice(bytes);
        }
        let crc = crc32fast::hash(out.get(..40).expect("inside the header"));
        out.get_mut(40..44).expect("inside the header").copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and checks the header at the start of `bytes`.
    ///
    /// # Errors
    /// The [`Corruption`] found; never panics.
    pub fn decode(bytes: &[u8]) -> Result<SegmentHeader, Corruption> {
        let header = bytes.get(..SEGMENT_HEADER_BYTES).ok_or(Corruption::HeaderTruncated)?;
        if header.get(..8) != Some(&MAGIC[..]) {
            return Err(Corruption::BadMagic);
        }
        let stored = le_u32(header, 40);
        let computed = crc32fast::hash(header.get(..40).unwrap_or_default());
        if stored != computed {
            return Err(Corruption::SegmentHeaderChecksum { stored, computed });
        }
        let version = le_u32(header, 8);
        if version != FORMAT_VERSION {
            return Err(Corruption::UnsupportedVersion(version));
        }
        let first_lsn = le_u64(header, 24);
        if first_lsn == 0 || first_lsn > LSN_MAX {
            return Err(Corruption::BadFirstLsn(first_lsn));
        }
        let id = SegmentId(le_u64(header, 16));
        Ok(SegmentHeader { id, first_lsn: Lsn(first_lsn), salt: le_u64(header, 32) })
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests index fixtures they built")]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_every_bit_flip_detected() {
        let header = SegmentHeader { id: SegmentId(3), first_lsn: Lsn(1000), salt: 77 };
        let bytes = header.encode();
        assert_eq!(SegmentHeader::decode(&bytes), Ok(header));
        for at in 0..44 {
            for bit in 0..8 {
                let mut bad = bytes;
                bad[at] ^= 1 << bit;
                assert!(SegmentHeader::decode(&bad).is_err(), "bit {bit} at {at}");
            }
        }
        assert_eq!(SegmentHeader::decode(&bytes[..47]), Err(Corruption::HeaderTruncated));
        for bad in [0, LSN_MAX + 1, u64::MAX] {
            let header = SegmentHeader { id: SegmentId(3), first_lsn: Lsn(bad), salt: 0 };
            let err = SegmentHeader::decode(&header.encode());
            assert_eq!(err, Err(Corruption::BadFirstLsn(bad)));
        }
    }
}
