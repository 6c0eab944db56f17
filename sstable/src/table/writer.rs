//! Writes one SSTable into any `io::Write`. File layout: `docs/sstable.md`, "File layout".

use std::io::Write;

use crate::block::builder::{data_value_head, BlockBuilder};
use crate::entry::{cmp_versions, Entry, Kind, SeqNo};
use crate::error::{Error, IoOp, Result};
use crate::filter::{self, KeyHash};
use crate::format::{
    put_trailer, BlockHandle, BlockKind, Footer, BLOCK_SIZE_MAX, BLOOM_BITS_PER_KEY_MAX,
    FOOTER_LEN, INDEX_SIZE_BYTES_MAX, KEY_LEN_MAX, RESTART_INTERVAL_MAX, VALUE_LEN_MAX,
};
use crate::index::IndexBuilder;
use crate::properties::Properties;

/// Tuning knobs of [`TableWriter`]. None of them is needed to read the table back.
///
/// [`TableWriter::new`] rejects values outside the documented ranges; see
/// [`WriterOptions::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// A data block is closed once its payload reaches this size. An entry larger than the
    /// target makes one large block. 1 to [`BLOCK_SIZE_MAX`]; default 4 KiB.
    pub block_size_bytes: usize,
    /// A full key is stored every this many entries of a data block (binary-search points).
    /// 1 to [`RESTART_INTERVAL_MAX`]; default 16.
    pub restart_interval: usize,
    /// Bloom filter bits per distinct key; 0 disables the filter. 0 to
    /// [`BLOOM_BITS_PER_KEY_MAX`]; default 10 (about 1% false positives).
    pub bloom_bits_per_key: u32,
}

impl WriterOptions {
    /// Checks every field against its range.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        check_option("block_size_bytes", self.block_size_bytes as u64, 1, BLOCK_SIZE_MAX as u64)?;
        let restart_max = RESTART_INTERVAL_MAX as u64;
        check_option("restart_interval", self.restart_interval as u64, 1, restart_max)?;
        let bloom_max = u64::from(BLOOM_BITS_PER_KEY_MAX);
        check_option("bloom_bits_per_key", u64::from(self.bloom_bits_per_key), 0, bloom_max)
    }
}

fn check_option(option: &'static str, value: u64, min: u64, max: u64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidOption { option, value, min, max })
    }
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions { block_size_bytes: 4096, restart_interval: 16, bloom_bits_per_key: 10 }
    }
}

/// What [`TableWriter::finish`] returns.
#[derive(Debug)]
pub struct Finished<W> {
    /// The output, flushed (not synced: syncing a file is the caller's job).
    pub output: W,
    /// Bytes written.
    pub file_len_bytes: u64,
    /// The properties recorded in the table.
    pub properties: Properties,
}

/// Writes one SSTable.
///
/// Entries must come in table order: key ascending (unsigned bytes), and for equal keys seqno
/// strictly descending (newest version first), so that a table can hold several versions of a
/// key for snapshots. Anything else is rejected with [`Error::OutOfOrder`] and changes nothing.
///
/// # Concurrency
/// A plain single-threaded value; the output is written from the calling thread.
#[derive(Debug)]
pub struct TableWriter<W: Write> {
    sink: Sink<W>,
    options: WriterOptions,
    block: BlockBuilder,
    index: IndexBuilder,
    hashes: Vec<u64>,
    properties: Properties,
    last_key: Vec<u8>,
    last_seqno: SeqNo,
    value_head: Vec<u8>,
}

impl<W: Write> TableWriter<W> {
    /// Starts a table written to `output`. Nothing is written until the first data block
    /// fills.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] if `options` fail [`WriterOptions::validate`].
    pub fn new(output: W, options: WriterOptions) -> Result<Self> {
        options.validate()?;
        Ok(TableWriter {
            sink: Sink { output, offset: 0, poisoned: false },
            options,
            block: BlockBuilder::new(options.restart_interval),
            index: IndexBuilder::new(INDEX_SIZE_BYTES_MAX),
            hashes: Vec::new(),
            properties: Properties::default(),
            last_key: Vec::new(),
            last_seqno: SeqNo(0),
            value_head: Vec::new(),
        })
    }

    /// Appends one entry.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`], [`Error::EntryTooLarge`] and [`Error::IndexTooLarge`] reject the
    /// entry and leave the writer usable (after [`Error::IndexTooLarge`], finish the table and
    /// write the rest into another). [`Error::Io`] poisons the writer: later calls return
    /// [`Error::Poisoned`].
    pub fn add(&mut self, key: &[u8], seqno: SeqNo, kind: Kind, value: &[u8]) -> Result<()> {
        if self.sink.poisoned {
            return Err(Error::Poisoned);
        }
        if key.len() > KEY_LEN_MAX || value.len() > VALUE_LEN_MAX {
            return Err(Error::EntryTooLarge {
                key_len: key.len(),
                value_len: value.len(),
                key_max: KEY_LEN_MAX,
                value_max: VALUE_LEN_MAX,
            });
        }
        let new_key = self.properties.entry_count == 0 || key != self.last_key.as_slice();
        if self.properties.entry_count > 0
            && cmp_versions(key, seqno, &self.last_key, self.last_seqno).is_le()
        {
            return Err(Error::OutOfOrder {
                key: key.to_vec(),
                seqno: seqno.0,
                prev_key: self.last_key.clone(),
                prev_seqno: self.last_seqno.0,
            });
        }
        // A block's index entry is keyed by the last key added before it is flushed. Every
        // key is cleared here before it is accepted, against the index as it is now (it grows
        // only at a flush, by at most what was cleared), so no flush, nor `finish`, can push
        // the index past its limit.
        if let Err(size) = self.index.size_with(key.len()) {
            return Err(Error::IndexTooLarge {
                index_size_bytes: size as u64,
                index_size_bytes_max: self.index.size_bytes_max() as u64,
            });
        }
        data_value_head(&mut self.value_head, seqno, kind);
        self.block.add(key, &self.value_head, value);
        self.record(key, seqno, kind, new_key);
        if self.block.len_estimate() >= self.options.block_size_bytes {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Appends `entry`; see [`TableWriter::add`].
    ///
    /// # Errors
    /// As [`TableWriter::add`].
    pub fn add_entry(&mut self, entry: &Entry) -> Result<()> {
        self.add(&entry.key, entry.seqno, entry.kind, &entry.value)
    }

    /// Writes the filter, index and properties blocks and the footer, and flushes the output.
    ///
    /// # Errors
    /// [`Error::Io`] if writing or flushing fails; [`Error::Poisoned`] after an earlier failure.
    pub fn finish(mut self) -> Result<Finished<W>> {
        if self.sink.poisoned {
            return Err(Error::Poisoned);
        }
        if !self.block.is_empty() {
            self.flush_block()?;
        }
        let filter = filter::build(&self.hashes, self.options.bloom_bits_per_key);
        let filter = self.sink.write_block(&filter, BlockKind::Filter)?;
        let index = self.sink.write_block(self.index.finish(), BlockKind::Index)?;
        let properties = self.sink.write_block(&self.properties.encode(), BlockKind::Properties)?;
        let file_len = self.sink.offset + FOOTER_LEN as u64;
        let footer = Footer { filter, index, properties, file_len };
        self.sink.write_all(&footer.encode())?;
        self.sink.output.flush().map_err(|source| Error::Io { op: IoOp::Flush, source })?;
        assert_eq!(self.sink.offset, file_len, "footer accounts for every byte");
        Ok(Finished {
            output: self.sink.output,
            file_len_bytes: file_len,
            properties: self.properties,
        })
    }

    /// The properties of the entries added so far.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// Updates properties, the filter's key hashes and the last entry after an add.
    fn record(&mut self, key: &[u8], seqno: SeqNo, kind: Kind, new_key: bool) {
        let props = &mut self.properties;
        if props.entry_count == 0 {
            props.key_min = key.to_vec();
            props.seqno_min = seqno;
            props.seqno_max = seqno;
        }
        props.entry_count += 1;
        props.tombstone_count += u64::from(kind == Kind::Tombstone);
        props.seqno_min = props.seqno_min.min(seqno);
        props.seqno_max = props.seqno_max.max(seqno);
        if new_key {
            self.hashes.push(KeyHash::of(key).0);
            self.last_key.clear();
            self.last_key.extend_from_slice(key);
            props.key_max.clone_from(&self.last_key);
        }
        self.last_seqno = seqno;
    }

    /// Writes the current data block and indexes it under the last key added.
    fn flush_block(&mut self) -> Result<()> {
        let handle = self.sink.write_block(self.block.finish(), BlockKind::Data)?;
        self.block.reset();
        self.index.add(&self.last_key, handle);
        self.properties.data_block_count += 1;
        Ok(())
    }
}

/// The output and the number of bytes written to it.
#[derive(Debug)]
struct Sink<W> {
    output: W,
    offset: u64,
    poisoned: bool,
}

impl<W: Write> Sink<W> {
    /// Writes `payload` and its trailer; returns the payload's handle.
    fn write_block(&mut self, payload: &[u8], kind: BlockKind) -> Result<BlockHandle> {
        let handle = BlockHandle { offset: self.offset, size: payload.len() as u64 };
        let mut trailer = Vec::with_capacity(crate::format::TRAILER_LEN);
        put_trailer(&mut trailer, payload, kind);
        self.write_all(payload)?;
        self.write_all(&trailer)?;
        Ok(handle)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        if let Err(source) = self.output.write_all(bytes) {
            self.poisoned = true;
            return Err(Error::Io { op: IoOp::Write, source });
        }
        self.offset += bytes.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_outside_their_ranges_are_rejected() {
        let default = WriterOptions::default();
        assert!(default.validate().is_ok());
        let bad = [
            WriterOptions { block_size_bytes: 0, ..default },
            WriterOptions { block_size_bytes: BLOCK_SIZE_MAX + 1, ..default },
            WriterOptions { restart_interval: 0, ..default },
            WriterOptions { restart_interval: RESTART_INTERVAL_MAX + 1, ..default },
            WriterOptions { bloom_bits_per_key: BLOOM_BITS_PER_KEY_MAX + 1, ..default },
            WriterOptions { bloom_bits_per_key: u32::MAX, ..default },
        ];
        for options in bad {
            let result = TableWriter::new(Vec::new(), options);
            assert!(matches!(result, Err(Error::InvalidOption { .. })), "{options:?}");
        }
        let edges = WriterOptions {
            block_size_bytes: BLOCK_SIZE_MAX,
            restart_interval: RESTART_INTERVAL_MAX,
            bloom_bits_per_key: BLOOM_BITS_PER_KEY_MAX,
        };
        assert!(TableWriter::new(Vec::new(), edges).is_ok());
    }

    #[test]
    fn index_limit_rejects_the_entry_and_the_table_still_finishes() {
        // The real limit is 4 GiB of index; a small one shows the same path.
        let options = WriterOptions { block_size_bytes: 1, ..WriterOptions::default() };
        let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
        writer.index = IndexBuilder::new(400);
        let mut accepted = 0u32;
        let error = loop {
            match writer.add_entry(&Entry::value(format!("key{accepted:04}"), 1, "v")) {
                Ok(()) => accepted += 1,
                Err(error) => break error,
            }
        };
        assert!(matches!(error, Error::IndexTooLarge { index_size_bytes_max: 400, .. }));
        assert!(accepted > 3, "{accepted}");
        let finished = writer.finish().expect("the index still fits");
        let table = crate::Table::from_bytes("t", finished.output).expect("opens");
        assert_eq!(table.properties().entry_count, u64::from(accepted));
    }
}
