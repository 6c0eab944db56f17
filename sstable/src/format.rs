//! Fixed parts of the file format: magic, version, block trailer, block handles and footer.
//! Byte diagrams: `docs/sstable.md`.
#![deny(clippy::indexing_slicing)]

use std::sync::Arc;

use crate::codec::Decoder;
use crate::error::{Corruption, Error, Result};

/// The last eight bytes of every SSTable: `b"BasaltSS"` read as a little-endian `u64`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"BasaltSS");

/// The format version this build writes. Readers dispatch on the footer's version field, which
/// sits at a fixed distance from the end of the file in every version.
pub const FORMAT_VERSION: u32 = 1;

/// Bytes after every block's payload: one kind byte and a CRC32 over payload and kind.
pub(crate) const TRAILER_LEN: usize = 5;

/// Length of the version-1 footer.
pub(crate) const FOOTER_LEN: usize = 72;

/// Offset of the CRC field inside the footer; the CRC covers every other footer byte.
pub(crate) const FOOTER_CRC_AT: usize = 56;

/// The longest key the writer accepts.
pub const KEY_LEN_MAX: usize = 64 * 1024;

/// The longest value the writer accepts. With [`crate::BLOCK_SIZE_MAX`] this keeps every block
/// below 4 GiB, so the `u32` restart offsets inside a block cannot overflow.
pub const VALUE_LEN_MAX: usize = 1 << 30;

/// The largest target block size the writer accepts.
pub const BLOCK_SIZE_MAX: usize = 1 << 30;

const _: () = assert!(BLOCK_SIZE_MAX + VALUE_LEN_MAX + KEY_LEN_MAX + 64 < u32::MAX as usize);

/// The most entries a restart run may hold: the writer's largest accepted restart interval,
/// and a format rule the reader enforces (a longer run is [`crate::Error::Corrupt`]).
///
/// A reader walking backwards buffers one run, so this bounds that buffer (in entries; its
/// bytes are bounded by the run's own size on disk), and it bounds the linear scan a point
/// lookup makes after its binary search over restart keys.
pub const RESTART_INTERVAL_MAX: usize = 128;

/// The largest `bloom_bits_per_key` the writer accepts: past about 20 bits per key the
/// false-positive rate no longer improves (probes are capped at 30), and the bound keeps the
/// filter's size (at most 8 bytes per key) and its arithmetic far from overflow.
pub const BLOOM_BITS_PER_KEY_MAX: u32 = 64;

/// The largest index block payload: restart offsets inside a block are `u32`. Data blocks stay
/// below it by [`BLOCK_SIZE_MAX`] and the entry limits; the index, one entry per data block,
/// is held below it by the writer, which rejects an entry that could push it over.
pub(crate) const INDEX_SIZE_BYTES_MAX: usize = u32::MAX as usize;

/// The kinds of block in an SSTable, recorded in each block's trailer so that a handle pointing
/// at the wrong block is caught even when the CRC matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockKind {
    /// Sorted entries.
    Data,
    /// The bloom filter.
    Filter,
    /// Last key and handle of every data block.
    Index,
    /// Table-wide counts and ranges.
    Properties,
    /// The fixed-size footer (not a block, but checksummed like one).
    Footer,
}

impl BlockKind {
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            BlockKind::Data => 1,
            BlockKind::Filter => 2,
            BlockKind::Index => 3,
            BlockKind::Properties => 4,
            BlockKind::Footer => 5,
        }
    }
}

impl std::fmt::Display for BlockKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            BlockKind::Data => "data",
            BlockKind::Filter => "filter",
            BlockKind::Index => "index",
            BlockKind::Properties => "properties",
            BlockKind::Footer => "footer",
        };
        f.write_str(name)
    }
}

/// Where a block's payload lives: `offset` of its first byte and its `size` without trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BlockHandle {
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

impl BlockHandle {
    /// Offset just past the block's trailer.
    pub(crate) fn end(self) -> Option<u64> {
        self.offset.checked_add(self.size)?.checked_add(TRAILER_LEN as u64)
    }
}

/// Appends the trailer for `payload` of `kind`.
pub(crate) fn put_trailer(out: &mut Vec<u8>, payload: &[u8], kind: BlockKind) {
    out.push(kind.to_byte());
    out.extend_from_slice(&block_crc(payload, kind.to_byte()).to_le_bytes());
}

/// The CRC32 stored in a block trailer: over the payload, then the kind byte.
pub(crate) fn block_crc(payload: &[u8], kind: u8) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(payload);
    hasher.update(&[kind]);
    hasher.finalize()
}

/// Returns the payload of the block at `handle` after checking its kind and CRC.
pub(crate) fn checked_block<'a>(
    file: &'a [u8],
    name: &Arc<str>,
    handle: BlockHandle,
    kind: BlockKind,
) -> Result<&'a [u8]> {
    let bad_handle = || Error::Corrupt {
        file: name.clone(),
        offset: handle.offset,
        what: Corruption::BadHandle {
            block: kind,
            handle_offset: handle.offset,
            handle_size: handle.size,
        },
    };
    let start = usize::try_from(handle.offset).map_err(|_| bad_handle())?;
    let size = usize::try_from(handle.size).map_err(|_| bad_handle())?;
    let mut decoder = Decoder::at(file, start);
    let payload = decoder.bytes(size).ok_or_else(bad_handle)?;
    let found = decoder.u8().ok_or_else(bad_handle)?;
    let expected = decoder.u32_le().ok_or_else(bad_handle)?;
    let actual = block_crc(payload, found);
    if actual != expected {
        return Err(Error::ChecksumMismatch {
            file: name.clone(),
            offset: handle.offset,
            block: kind,
            expected,
            actual,
        });
    }
    if found != kind.to_byte() {
        return Err(Error::Corrupt {
            file: name.clone(),
            offset: handle.offset,
            what: Corruption::WrongBlockKind { expected: kind, found },
        });
    }
    Ok(payload)
}

/// The footer: handles of the meta blocks and the file length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) filter: BlockHandle,
    pub(crate) index: BlockHandle,
    pub(crate) properties: BlockHandle,
    pub(crate) file_len: u64,
}

impl Footer {
    /// Encodes the version-1 footer.
    pub(crate) fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut buf = Vec::with_capacity(FOOTER_LEN);
        for handle in [self.filter, self.index, self.properties] {
            buf.extend_from_slice(&handle.offset.to_le_bytes());
            buf.extend_from_slice(&handle.size.to_le_bytes());
        }
        buf.extend_from_slice(&self.file_len.to_le_bytes());
        buf.extend_from_slice(&[0; 4]);
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        buf.extend_from_slice(&MAGIC.to_le_bytes());
        let crc = footer_crc(&buf).expect("footer buffer has FOOTER_LEN bytes");
        let mut out = [0u8; FOOTER_LEN];
        out.copy_from_slice(&buf);
        if let Some(slot) = out.get_mut(FOOTER_CRC_AT..FOOTER_CRC_AT + 4) {
            slot.copy_from_slice(&crc.to_le_bytes());
        }
        out
    }

    /// Decodes and checks the footer at the end of `file`: length, magic, version, CRC and the
    /// recorded file length, in that order.
    pub(crate) fn decode(file: &[u8], name: &Arc<str>) -> Result<Footer> {
        let len = file.len() as u64;
        let corrupt =
            |offset: u64, what: Corruption| Error::Corrupt { file: name.clone(), offset, what };
        let start =
            file.len().checked_sub(FOOTER_LEN).ok_or(corrupt(0, Corruption::TooShort { len }))?;
        let bytes = file.get(start..).ok_or(corrupt(0, Corruption::TooShort { len }))?;
        let mut tail = Decoder::at(bytes, FOOTER_CRC_AT);
        let crc = tail.u32_le().ok_or(corrupt(0, Corruption::TooShort { len }))?;
        let version = tail.u32_le().ok_or(corrupt(0, Corruption::TooShort { len }))?;
        let magic = tail.u64_le().ok_or(corrupt(0, Corruption::TooShort { len }))?;
        if magic != MAGIC {
            return Err(corrupt(len - 8, Corruption::BadMagic { found: magic }));
        }
        let actual = footer_crc(bytes).ok_or(corrupt(0, Corruption::TooShort { len }))?;
        if actual != crc {
            return Err(Error::ChecksumMismatch {
                file: name.clone(),
                offset: start as u64,
                block: BlockKind::Footer,
                expected: crc,
                actual,
            });
        }
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion { file: name.clone(), version });
        }
        let mut body = Decoder::at(bytes, 0);
        let mut handle = || -> Option<BlockHandle> {
            Some(BlockHandle { offset: body.u64_le()?, size: body.u64_le()? })
        };
        let too_short = || corrupt(0, Corruption::TooShort { len });
        let filter = handle().ok_or_else(too_short)?;
        let index = handle().ok_or_else(too_short)?;
        let properties = handle().ok_or_else(too_short)?;
        let file_len = body.u64_le().ok_or_else(too_short)?;
        if file_len != len {
            return Err(corrupt(
                start as u64,
                Corruption::LengthMismatch { recorded: file_len, actual: len },
            ));
        }
        Ok(Footer { filter, index, properties, file_len })
    }

    /// Offset of the footer's first byte.
    pub(crate) fn start(&self) -> u64 {
        self.file_len - FOOTER_LEN as u64
    }
}

/// CRC32 over every footer byte except the CRC field itself.
pub(crate) fn footer_crc(footer: &[u8]) -> Option<u32> {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(footer.get(..FOOTER_CRC_AT)?);
    hasher.update(footer.get(FOOTER_CRC_AT + 4..FOOTER_LEN)?);
    Some(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_round_trips() {
        let footer = Footer {
            filter: BlockHandle { offset: 10, size: 20 },
            index: BlockHandle { offset: 35, size: 7 },
            properties: BlockHandle { offset: 47, size: 3 },
            file_len: 55 + FOOTER_LEN as u64,
        };
        let mut file = vec![0u8; 55];
        file.extend_from_slice(&footer.encode());
        let name: Arc<str> = Arc::from("t");
        assert_eq!(Footer::decode(&file, &name).ok(), Some(footer));
    }

    #[test]
    fn crc32_golden_values() {
        // CRC-32 (IEEE, reflected) is part of the format; pin it.
        assert_eq!(crc32fast::hash(b""), 0);
        assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926);
        assert_eq!(block_crc(b"basalt", BlockKind::Data.to_byte()), crc32fast::hash(b"basalt\x01"));
        assert_eq!(MAGIC, 0x5353_746c_6173_6142);
    }
}
