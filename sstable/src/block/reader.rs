//! Decodes one block from untrusted bytes. Never panics; every malformation is an error string
//! that the table reader turns into `Error::Corrupt` with the file and block offset.
//!
//! Memory is bounded by the bytes read, whatever they say: a [`Cursor`] walks entries forwards
//! holding one key; a [`ReverseRun`] buffers one restart run for walking backwards, keeping
//! only the key suffixes each entry overwrote, whose total is at most the run's own size. No
//! path copies a whole key per entry, which an entry repeating its predecessor's 64 KiB key in
//! 4 bytes would otherwise turn into a 16,000-fold blow-up.

use std::ops::Range;

use crate::codec::Decoder;
use crate::entry::{Kind, SeqNo};
use crate::format::{KEY_LEN_MAX, RESTART_INTERVAL_MAX};

/// What failed to decode inside a block.
pub(crate) type BlockError = &'static str;

/// A parsed view of one block payload (trailer already checked and removed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<'a> {
    data: &'a [u8],
    restarts: &'a [u8],
    restart_count: usize,
}

/// The shape [`Block::parse`] found, without the borrow, so that an iterator which owns its
/// table can keep a block parsed while it walks it ([`Block::reopen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    data_len: usize,
    restart_count: usize,
}

impl<'a> Block<'a> {
    /// Splits `payload` into entries and restart array, and checks that restart offsets start
    /// at zero, strictly increase and stay inside the entries. O(restart count): parse a block
    /// once per visit, not once per run.
    pub(crate) fn parse(payload: &'a [u8]) -> Result<Self, BlockError> {
        const SHORT: BlockError = "block shorter than its restart array";
        let count_at = payload.len().checked_sub(4).ok_or(SHORT)?;
        let restart_count = Decoder::at(payload, count_at).u32_le().ok_or(SHORT)? as usize;
        let restarts_len = restart_count.checked_mul(4).ok_or(SHORT)?;
        let data_len = count_at.checked_sub(restarts_len).ok_or(SHORT)?;
        let block = Block::reopen(payload, Shape { data_len, restart_count })?;
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

    /// The shape of this block, for [`Block::reopen`].
    pub(crate) fn shape(&self) -> Shape {
        Shape { data_len: self.data.len(), restart_count: self.restart_count }
    }

    /// The block [`Block::parse`] returned for `payload` with this `shape`, in O(1) and without
    /// repeating its checks. `payload` must be the same bytes (SSTable bytes are immutable);
    /// other bytes give an error or an arbitrary but memory-safe block, never a panic.
    pub(crate) fn reopen(payload: &'a [u8], shape: Shape) -> Result<Self, BlockError> {
        const SHORT: BlockError = "block shorter than its restart array";
        let restarts_end = shape.restart_count.checked_mul(4).ok_or(SHORT)?;
        let restarts_end = shape.data_len.checked_add(restarts_end).ok_or(SHORT)?;
        Ok(Block {
            data: payload.get(..shape.data_len).ok_or(SHORT)?,
            restarts: payload.get(shape.data_len..restarts_end).ok_or(SHORT)?,
            restart_count: shape.restart_count,
        })
    }

    /// Number of restart points (zero only for a block without entries).
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

    /// The first entry whose key is at least `target`, if the block holds one.
    pub(crate) fn find(&self, target: &[u8]) -> Result<Option<Found>, BlockError> {
        let before = self.partition_restarts(|key| key < target)?;
        let mut cursor = Cursor::at_run(self, before.saturating_sub(1))?;
        while cursor.advance(self)? {
            if cursor.key() >= target {
                return Ok(Some(Found { key: cursor.key().to_vec(), value: cursor.value() }));
            }
        }
        Ok(None)
    }

    /// The value bytes of an entry decoded from this block.
    pub(crate) fn value(&self, range: Range<usize>) -> Result<&'a [u8], BlockError> {
        self.data.get(range).ok_or("value range outside block")
    }
}

/// An entry [`Block::find`] found: its full key and where its value lies in the block.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) key: Vec<u8>,
    pub(crate) value: Range<usize>,
}

/// A forward position inside a block: the entry last decoded and where the next one starts.
///
/// Holds offsets and one key, not a borrow, so an iterator that owns its table can keep it
/// between calls; every call takes the [`Block`] it was created from. Every read path decodes
/// entries through [`Cursor::advance`], so all of them enforce the same rules: a run ends
/// exactly at the next restart point, holds at most [`RESTART_INTERVAL_MAX`] entries, and
/// starts with an entry sharing nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cursor {
    /// Offset of the next entry to decode.
    next: usize,
    /// The run that `next` lies in (or ends).
    run: usize,
    /// Where that run ends: the next restart offset, or the end of the entries.
    run_end: usize,
    /// Entries decoded so far from that run.
    in_run: usize,
    key: Vec<u8>,
    value: Range<usize>,
}

impl Cursor {
    /// A cursor before the first entry of run `run`. For a block without entries, run 0 is
    /// allowed and the cursor is at the end.
    pub(crate) fn at_run(block: &Block<'_>, run: usize) -> Result<Cursor, BlockError> {
        if run >= block.restart_count && !(run == 0 && block.restart_count == 0) {
            return Err("restart run out of range");
        }
        let mut cursor = Cursor::default();
        cursor.enter_run(block, run)?;
        Ok(cursor)
    }

    /// The key of the entry last decoded.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    /// Where the value of the entry last decoded lies in the block.
    pub(crate) fn value(&self) -> Range<usize> {
        self.value.clone()
    }

    /// Decodes the next entry of the block, crossing into the next run as needed. False at the
    /// end of the block.
    pub(crate) fn advance(&mut self, block: &Block<'_>) -> Result<bool, BlockError> {
        if self.next == self.run_end {
            let run = self.run + 1;
            if run >= block.restart_count {
                return Ok(false);
            }
            self.enter_run(block, run)?;
        }
        self.decode_entry(block, None)?;
        Ok(true)
    }

    fn enter_run(&mut self, block: &Block<'_>, run: usize) -> Result<(), BlockError> {
        self.next = block.restart(run)?;
        // A block without entries has no run 1: its only position is the end.
        self.run_end = if run < block.restart_count { block.restart(run + 1)? } else { self.next };
        self.run = run;
        self.in_run = 0;
        self.key.clear();
        Ok(())
    }

    /// Decodes the entry at `next`, which must lie in the current run. Appends to `undo` the
    /// suffix of the previous key that this entry's key replaces, and returns the shared
    /// prefix length, so that [`ReverseRun`] can restore the previous key.
    fn decode_entry(
        &mut self,
        block: &Block<'_>,
        undo: Option<&mut Vec<u8>>,
    ) -> Result<usize, BlockError> {
        self.in_run += 1;
        if self.in_run > RESTART_INTERVAL_MAX {
            return Err("restart run longer than RESTART_INTERVAL_MAX entries");
        }
        let entries = block.data.get(..self.run_end).ok_or("restart past end of block")?;
        let mut decoder = Decoder::at(entries, self.next);
        let header = EntryHeader::decode(&mut decoder)?;
        if header.shared > self.key.len() {
            return Err("shared prefix longer than previous key");
        }
        let delta = decoder.bytes(header.unshared).ok_or("key crosses restart")?;
        if header.shared + delta.len() > KEY_LEN_MAX {
            return Err("key too long");
        }
        if let Some(undo) = undo {
            undo.extend_from_slice(self.key.get(header.shared..).unwrap_or_default());
        }
        self.key.truncate(header.shared);
        self.key.extend_from_slice(delta);
        let value_start = decoder.pos();
        decoder.bytes(header.value_len).ok_or("value crosses restart")?;
        self.value = value_start..decoder.pos();
        self.next = decoder.pos();
        Ok(header.shared)
    }
}

/// One restart run decoded for walking it backwards, last entry first.
///
/// Each entry's key is its predecessor's key cut to `shared` bytes plus new bytes, so the
/// predecessor's key is recovered from the current one and the suffix the cut removed. Only
/// those suffixes are kept: their total is at most the bytes of new key material in the run,
/// hence at most the run's size on disk, however long the keys are.
#[derive(Debug, Default)]
pub(crate) struct ReverseRun {
    /// Key of the last entry not yet popped.
    key: Vec<u8>,
    /// The removed suffixes, entry after entry.
    undo: Vec<u8>,
    entries: Vec<ReverseEntry>,
}

#[derive(Debug, Clone)]
struct ReverseEntry {
    value: Range<usize>,
    shared: usize,
    undo_start: usize,
}

impl ReverseRun {
    /// Decodes run `run` of `block`, replacing what was held (and reusing its allocations).
    pub(crate) fn load(&mut self, block: &Block<'_>, run: usize) -> Result<(), BlockError> {
        self.undo.clear();
        self.entries.clear();
        let mut cursor = Cursor::at_run(block, run)?;
        cursor.key = std::mem::take(&mut self.key);
        cursor.key.clear();
        while cursor.next < cursor.run_end {
            let undo_start = self.undo.len();
            let shared = cursor.decode_entry(block, Some(&mut self.undo))?;
            self.entries.push(ReverseEntry { value: cursor.value(), shared, undo_start });
        }
        self.key = cursor.key;
        Ok(())
    }

    /// The last entry not yet popped: its key and where its value lies.
    pub(crate) fn last(&self) -> Option<(&[u8], Range<usize>)> {
        let entry = self.entries.last()?;
        Some((&self.key, entry.value.clone()))
    }

    /// Drops the last entry and restores its predecessor's key.
    pub(crate) fn pop(&mut self) {
        let Some(entry) = self.entries.pop() else { return };
        self.key.truncate(entry.shared);
        self.key.extend_from_slice(self.undo.get(entry.undo_start..).unwrap_or_default());
        self.undo.truncate(entry.undo_start);
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
    use crate::codec::put_varint;

    fn build(keys: &[&[u8]], interval: usize) -> Vec<u8> {
        let mut builder = BlockBuilder::new(interval);
        for (i, key) in keys.iter().enumerate() {
            builder.add(key, &[], format!("v{i}").as_bytes());
        }
        builder.finish().to_vec()
    }

    fn forward(block: &Block<'_>) -> Result<Vec<Vec<u8>>, BlockError> {
        let mut cursor = Cursor::at_run(block, 0)?;
        let mut keys = Vec::new();
        while cursor.advance(block)? {
            keys.push(cursor.key().to_vec());
        }
        Ok(keys)
    }

    fn backward(block: &Block<'_>) -> Result<Vec<Vec<u8>>, BlockError> {
        let mut run = ReverseRun::default();
        let mut keys = Vec::new();
        for r in (0..block.restart_count()).rev() {
            run.load(block, r)?;
            while let Some((key, _)) = run.last() {
                keys.push(key.to_vec());
                run.pop();
            }
        }
        keys.reverse();
        Ok(keys)
    }

    #[test]
    fn cursor_reverse_run_and_find_agree_with_input() {
        let keys: Vec<Vec<u8>> =
            (0..50u32).map(|i| format!("key{:04}", i * 2).into_bytes()).collect();
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let payload = build(&refs, 4);
        let block = Block::parse(&payload).expect("valid block");
        assert_eq!(block.restart_count(), 13);
        assert_eq!(forward(&block).expect("forward"), keys);
        assert_eq!(backward(&block).expect("backward"), keys);
        let hit = block.find(b"key0010").expect("find").expect("present");
        assert_eq!(hit.key, b"key0010");
        assert_eq!(block.value(hit.value).expect("value"), b"v5");
        let next = block.find(b"key0011").expect("find").expect("present");
        assert_eq!(next.key, b"key0012");
        assert!(block.find(b"key9").expect("find").is_none());
        let reopened = Block::reopen(&payload, block.shape()).expect("same bytes");
        assert_eq!(forward(&reopened).expect("forward"), keys);
    }

    #[test]
    fn reverse_run_restores_keys_that_shrink_and_grow() {
        // Shared prefixes go up and down, so restoring a key needs bytes two entries back.
        let keys: [&[u8]; 6] = [b"a", b"abcdef", b"abcdeg", b"abd", b"abdzzzz", b"b"];
        let payload = build(&keys, RESTART_INTERVAL_MAX);
        let block = Block::parse(&payload).expect("valid block");
        assert_eq!(block.restart_count(), 1);
        assert_eq!(backward(&block).expect("backward"), keys);
    }

    #[test]
    fn empty_block_parses_and_has_no_entries() {
        let payload = BlockBuilder::new(16).finish().to_vec();
        let block = Block::parse(&payload).expect("empty block");
        assert_eq!(block.restart_count(), 0);
        assert!(block.find(b"a").expect("find").is_none());
        assert_eq!(forward(&block).expect("forward"), Vec::<Vec<u8>>::new());
    }

    /// One run of `count` entries, each repeating the previous key: `key_len` key bytes once.
    fn repeated_key_run(count: usize, key_len: usize) -> Vec<u8> {
        let mut payload = Vec::new();
        for i in 0..count {
            let (shared, unshared) = if i == 0 { (0, key_len) } else { (key_len, 0) };
            put_varint(&mut payload, shared as u64);
            put_varint(&mut payload, unshared as u64);
            put_varint(&mut payload, 0);
            payload.resize(payload.len() + unshared, b'k');
        }
        payload.extend_from_slice(&0u32.to_le_bytes());
        payload.extend_from_slice(&1u32.to_le_bytes());
        payload
    }

    #[test]
    fn runs_longer_than_the_maximum_are_rejected_on_every_path() {
        let longest = repeated_key_run(RESTART_INTERVAL_MAX, 10);
        let block = Block::parse(&longest).expect("valid block");
        assert_eq!(forward(&block).expect("forward").len(), RESTART_INTERVAL_MAX);
        assert_eq!(backward(&block).expect("backward").len(), RESTART_INTERVAL_MAX);
        let too_long = repeated_key_run(RESTART_INTERVAL_MAX + 1, 10);
        let block = Block::parse(&too_long).expect("the restart array itself is fine");
        assert!(forward(&block).is_err());
        assert!(backward(&block).is_err());
        assert!(block.find(&[b'k'; 11]).is_err(), "a lookup past the end scans the whole run");
    }

    #[test]
    fn reverse_run_memory_follows_bytes_on_disk_not_key_copies() {
        let payload = repeated_key_run(RESTART_INTERVAL_MAX, KEY_LEN_MAX);
        let block = Block::parse(&payload).expect("valid block");
        let mut run = ReverseRun::default();
        run.load(&block, 0).expect("valid run");
        assert_eq!(run.entries.len(), RESTART_INTERVAL_MAX);
        assert!(run.undo.is_empty(), "no entry replaced any key bytes");
        assert!(run.key.capacity() < 2 * KEY_LEN_MAX);
    }
}
