//! Decodes one block from untrusted bytes. Never panics; every malformation is an error string
//! that the table reader turns into `Error::Corrupt` with the file and block offset.

use std::collections::VecDeque;
use std::ops::{ControlFlow, Range};

use crate::codec::Decoder;
use crate::entry::{Kind, SeqNo};
use crate::format::KEY_LEN_MAX;

/// What failed to decode inside a block.
pub(crate) type BlockError = &'static str;

/// A parsed view of one block payload (trailer already checked and removed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<'a> {
    data: &'a [u8],
    restarts: &'a [u8],
    restart_count: usize,
}

/// One decoded entry of a restart run: the full key and where its value lies in the block.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry {
    pub(crate) key: Vec<u8>,
    pub(crate) value: Range<usize>,
}

impl<'a> Block<'a> {
    /// Splits `payload` into entries and restart array, and checks that restart offsets start
    /// at zero, strictly increase and stay inside the entries.
    pub(crate) fn parse(payload: &'a [u8]) -> Result<Self, BlockError> {
        const SHORT: BlockError = "block shorter than its restart array";
        let count_at = payload.len().checked_sub(4).ok_or(SHORT)?;
        let restart_count = Decoder::at(payload, count_at).u32_le().ok_or(SHORT)? as usize;
        let restarts_len = restart_count.checked_mul(4).ok_or(SHORT)?;
        let data_len = count_at.checked_sub(restarts_len).ok_or(SHORT)?;
        let block = Block {
            data: payload.get(..data_len).ok_or(SHORT)?,
            restarts: payload.get(data_len..count_at).ok_or(SHORT)?,
            restart_count,
        };
        if restart_count == 0 && data_len != 0 {
            return Err("entries without restart points");
        }
        let mut previous = None;
        for i in 0..restart_count {
            let offset = block.restart(i)?;
            let valid = match previous {
                None => offset == 0,
                Some(previous) => offset > previous && offset < data_len,
            };
            if !valid {
                return Err("restart offsets not increasing from zero");
            }
            previous = Some(offset);
        }
        Ok(block)
    }

    /// Number of restart points (zero only for an empty block).
    pub(crate) fn restart_count(&self) -> usize {
        self.restart_count
    }

    /// Offset of restart `i` within the entries; `restart_count` maps to the end.
    fn restart(&self, i: usize) -> Result<usize, BlockError> {
        if i == self.restart_count {
            return Ok(self.data.len());
        }
        let at = i.checked_mul(4).ok_or("restart index overflow")?;
        let offset = Decoder::at(self.restarts, at).u32_le().ok_or("restart index out of range")?;
        Ok(offset as usize)
    }

    /// The full key stored at restart `i`.
    fn restart_key(&self, i: usize) -> Result<&'a [u8], BlockError> {
        let mut decoder = Decoder::at(self.data, self.restart(i)?);
        let header = EntryHeader::decode(&mut decoder)?;
        if header.shared != 0 {
            return Err("restart entry shares a prefix");
        }
        decoder.bytes(header.unshared).ok_or("key past end of block")
    }

    /// The number of leading restart points whose key satisfies `pred`, which must hold for a
    /// prefix of the (sorted) restart keys.
    pub(crate) fn partition_restarts(
        &self,
        pred: impl Fn(&[u8]) -> bool,
    ) -> Result<usize, BlockError> {
        let (mut low, mut high) = (0, self.restart_count);
        while low < high {
            let mid = low + (high - low) / 2;
            if pred(self.restart_key(mid)?) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        Ok(low)
    }

    /// Calls `visit` with each entry of restart run `run` in order until it breaks. Checks that
    /// the run's entries end exactly at the next restart point, so every reader (forwards,
    /// backwards, point lookup) decodes the same entries.
    fn scan_run(
        &self,
        run: usize,
        mut visit: impl FnMut(&[u8], Range<usize>) -> ControlFlow<()>,
    ) -> Result<(), BlockError> {
        let start = self.restart(run)?;
        let end = self.restart(run + 1)?;
        let entries = self.data.get(..end).ok_or("restart past end of block")?;
        let mut decoder = Decoder::at(entries, start);
        let mut key = Vec::new();
        while !decoder.is_empty() {
            let header = EntryHeader::decode(&mut decoder)?;
            if header.shared > key.len() {
                return Err("shared prefix longer than previous key");
            }
            key.truncate(header.shared);
            key.extend_from_slice(decoder.bytes(header.unshared).ok_or("key crosses restart")?);
            if key.len() > KEY_LEN_MAX {
                return Err("key too long");
            }
            let value_start = decoder.pos();
            decoder.bytes(header.value_len).ok_or("value crosses restart")?;
            if visit(&key, value_start..decoder.pos()).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Appends every entry of restart run `run` to `out`.
    pub(crate) fn decode_run(
        &self,
        run: usize,
        out: &mut VecDeque<RawEntry>,
    ) -> Result<(), BlockError> {
        self.scan_run(run, |key, value| {
            out.push_back(RawEntry { key: key.to_vec(), value });
            ControlFlow::Continue(())
        })
    }

    /// The first entry whose key is at least `target`, if the block holds one.
    pub(crate) fn find(&self, target: &[u8]) -> Result<Option<RawEntry>, BlockError> {
        let before = self.partition_restarts(|key| key < target)?;
        let mut found = None;
        for run in before.saturating_sub(1)..self.restart_count {
            self.scan_run(run, |key, value| {
                if key < target {
                    return ControlFlow::Continue(());
                }
                found = Some(RawEntry { key: key.to_vec(), value });
                ControlFlow::Break(())
            })?;
            if found.is_some() {
                break;
            }
        }
        Ok(found)
    }

    /// The value bytes of an entry decoded from this block.
    pub(crate) fn value(&self, range: Range<usize>) -> Result<&'a [u8], BlockError> {
        self.data.get(range).ok_or("value range outside block")
    }
}

/// The three varints in front of every entry.
struct EntryHeader {
    shared: usize,
    unshared: usize,
    value_len: usize,
}

impl EntryHeader {
    fn decode(decoder: &mut Decoder<'_>) -> Result<Self, BlockError> {
        let bad = "bad entry header";
        Ok(EntryHeader {
            shared: decoder.len(KEY_LEN_MAX).ok_or(bad)?,
            unshared: decoder.len(KEY_LEN_MAX).ok_or(bad)?,
            value_len: decoder.len(u32::MAX as usize).ok_or(bad)?,
        })
    }
}

/// Splits a data-block value into seqno, kind and the user's value bytes.
pub(crate) fn split_data_value(bytes: &[u8]) -> Result<(SeqNo, Kind, &[u8]), BlockError> {
    let mut decoder = Decoder::at(bytes, 0);
    let seqno = decoder.varint().ok_or("bad seqno")?;
    let kind = decoder.u8().and_then(Kind::from_byte).ok_or("bad entry kind")?;
    let value = bytes.get(decoder.pos()..).ok_or("bad value")?;
    Ok((SeqNo(seqno), kind, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::builder::BlockBuilder;

    fn build(keys: &[&[u8]], interval: usize) -> Vec<u8> {
        let mut builder = BlockBuilder::new(interval);
        for (i, key) in keys.iter().enumerate() {
            builder.add(key, &[], format!("v{i}").as_bytes());
        }
        builder.finish().to_vec()
    }

    #[test]
    fn runs_and_find_agree_with_input() {
        let keys: Vec<Vec<u8>> =
            (0..50u32).map(|i| format!("key{:04}", i * 2).into_bytes()).collect();
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let payload = build(&refs, 4);
        let block = Block::parse(&payload).expect("valid block");
        assert_eq!(block.restart_count(), 13);
        let mut all = VecDeque::new();
        for run in 0..block.restart_count() {
            block.decode_run(run, &mut all).expect("valid run");
        }
        let decoded: Vec<Vec<u8>> = all.iter().map(|e| e.key.clone()).collect();
        assert_eq!(decoded, keys);
        let hit = block.find(b"key0010").expect("find").expect("present");
        assert_eq!(hit.key, b"key0010");
        assert_eq!(block.value(hit.value).expect("value"), b"v5");
        let next = block.find(b"key0011").expect("find").expect("present");
        assert_eq!(next.key, b"key0012");
        assert!(block.find(b"key9").expect("find").is_none());
    }

    #[test]
    fn empty_block_parses() {
        let payload = BlockBuilder::new(16).finish().to_vec();
        let block = Block::parse(&payload).expect("empty block");
        assert_eq!(block.restart_count(), 0);
        assert!(block.find(b"a").expect("find").is_none());
    }
}
