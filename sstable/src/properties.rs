//! The properties block: counts and ranges of a table, readable without scanning it. Byte
//! diagram: `docs/sstable.md`, "Properties block".
#![deny(clippy::indexing_slicing)]

use crate::codec::{put_varint, Decoder};
use crate::entry::SeqNo;
use crate::format::KEY_LEN_MAX;

/// Table-wide facts recorded by the writer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Properties {
    /// Number of entries (every version counts).
    pub entry_count: u64,
    /// How many of them are tombstones.
    pub tombstone_count: u64,
    /// Number of data blocks.
    pub data_block_count: u64,
    /// Smallest key (empty when the table is empty).
    pub key_min: Vec<u8>,
    /// Largest key (empty when the table is empty).
    pub key_max: Vec<u8>,
    /// Smallest sequence number (zero when the table is empty).
    pub seqno_min: SeqNo,
    /// Largest sequence number (zero when the table is empty).
    pub seqno_max: SeqNo,
}

impl Properties {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for value in [
            self.entry_count,
            self.tombstone_count,
            self.data_block_count,
            self.seqno_min.0,
            self.seqno_max.0,
        ] {
            put_varint(&mut out, value);
        }
        for key in [&self.key_min, &self.key_max] {
            put_varint(&mut out, key.len() as u64);
            out.extend_from_slice(key);
        }
        out
    }

    pub(crate) fn decode(payload: &[u8]) -> Result<Self, &'static str> {
        let bad = "bad properties";
        let mut decoder = Decoder::at(payload, 0);
        let mut props = Properties {
            entry_count: decoder.varint().ok_or(bad)?,
            tombstone_count: decoder.varint().ok_or(bad)?,
            data_block_count: decoder.varint().ok_or(bad)?,
            seqno_min: SeqNo(decoder.varint().ok_or(bad)?),
            seqno_max: SeqNo(decoder.varint().ok_or(bad)?),
            ..Properties::default()
        };
        for key in [&mut props.key_min, &mut props.key_max] {
            let len = decoder.len(KEY_LEN_MAX).ok_or(bad)?;
            key.extend_from_slice(decoder.bytes(len).ok_or(bad)?);
        }
        if !decoder.is_empty() {
            return Err("trailing bytes in properties");
        }
        Ok(props)
    }
}
