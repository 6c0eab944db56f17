//! Encodes one block. Byte diagram: `docs/sstable.md`, "Data block".

use crate::codec::put_varint;
use crate::entry::{Kind, SeqNo};

/// Accumulates sorted entries into one block payload (without trailer).
#[derive(Debug)]
pub(crate) struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    restart_interval: usize,
    since_restart: usize,
    last_key: Vec<u8>,
}

impl BlockBuilder {
    /// A builder that stores a full key every `restart_interval` entries.
    ///
    /// # Panics
    /// If `restart_interval` is zero.
    pub(crate) fn new(restart_interval: usize) -> Self {
        assert!(restart_interval > 0, "restart interval must be positive");
        BlockBuilder {
            buf: Vec::new(),
            restarts: Vec::new(),
            restart_interval,
            since_restart: 0,
            last_key: Vec::new(),
        }
    }

    /// True when no entry has been added since the last [`BlockBuilder::finish`].
    pub(crate) fn is_empty(&self) -> bool {
        self.restarts.is_empty()
    }

    /// The payload length [`BlockBuilder::finish`] would produce now.
    pub(crate) fn len_estimate(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// Appends an entry whose value is `value_head` followed by `value`. The caller guarantees
    /// key order and the length limits of `crate::format`.
    pub(crate) fn add(&mut self, key: &[u8], value_head: &[u8], value: &[u8]) {
        let shared = if self.since_restart == self.restart_interval || self.is_empty() {
            self.restarts.push(u32::try_from(self.buf.len()).expect("block below 4 GiB by limits"));
            self.since_restart = 0;
            0
        } else {
            self.last_key.iter().zip(key).take_while(|(a, b)| a == b).count()
        };
        let unshared = key.get(shared..).unwrap_or_default();
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, unshared.len() as u64);
        put_varint(&mut self.buf, (value_head.len() + value.len()) as u64);
        self.buf.extend_from_slice(unshared);
        self.buf.extend_from_slice(value_head);
        self.buf.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.since_restart += 1;
    }

    /// Appends the restart array and returns the finished payload. The builder is empty again
    /// once the payload is dropped and [`BlockBuilder::reset`] is called.
    pub(crate) fn finish(&mut self) -> &[u8] {
        for restart in &self.restarts {
            self.buf.extend_from_slice(&restart.to_le_bytes());
        }
        let count = u32::try_from(self.restarts.len()).expect("restart count below 4 GiB");
        self.buf.extend_from_slice(&count.to_le_bytes());
        &self.buf
    }

    /// Clears the builder for the next block, keeping its allocations.
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.restarts.clear();
        self.since_restart = 0;
        self.last_key.clear();
    }
}

/// The head of a data-block value: the entry's seqno as a varint, then its kind byte.
pub(crate) fn data_value_head(out: &mut Vec<u8>, seqno: SeqNo, kind: Kind) {
    out.clear();
    put_varint(out, seqno.0);
    out.push(kind.to_byte());
}
