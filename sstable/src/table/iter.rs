//! Ordered iteration over one table, forwards or backwards, within optional key bounds.
//!
//! Each data block is CRC-checked and parsed once per visit, and its [`Shape`] kept, so a walk
//! costs O(block size) per block whatever its restart count. Forwards, a [`Cursor`] decodes
//! one entry at a time; backwards, a [`ReverseRun`] holds one restart run. Neither copies more
//! than the entry being yielded and the run's own bytes.

use std::ops::Bound;

use crate::block::reader::{Block, Cursor, ReverseRun, Shape};
use crate::entry::{cmp_versions, Direction, Entry, SeqNo};
use crate::error::{Corruption, Result};
use crate::format::BlockHandle;
use crate::table::reader::Table;

/// Iterator over a [`Table`]'s entries in one [`Direction`], created by [`Table::range`],
/// [`Table::iter`] or [`Table::seek`].
///
/// Yields `Err` once if a block is corrupt or entries are out of order, then ends. Holds a clone
/// of the table, so it is `'static` and `Send`.
#[derive(Debug)]
pub struct TableIter {
    table: Table,
    walk: Walk,
}

/// Everything a [`TableIter`] changes as it goes, apart from the table it borrows blocks from.
#[derive(Debug)]
struct Walk {
    direction: Direction,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    state: State,
    /// Forwards: the position in the current block.
    cursor: Cursor,
    /// Backwards: the current run of the current block.
    reverse: ReverseRun,
    last: Option<(Vec<u8>, SeqNo)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Unstarted,
    /// In data block `block`, already checked and parsed; `run` is the restart run
    /// [`Walk::reverse`] holds (backwards only).
    In {
        block: usize,
        handle: BlockHandle,
        shape: Shape,
        run: usize,
    },
    Done,
}

impl TableIter {
    pub(crate) fn new(
        table: Table,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Self {
        let walk = Walk {
            direction,
            start,
            end,
            state: State::Unstarted,
            cursor: Cursor::default(),
            reverse: ReverseRun::default(),
            last: None,
        };
        TableIter { table, walk }
    }
}

impl Walk {
    fn step(&mut self, table: &Table) -> Result<Option<Entry>> {
        loop {
            let State::In { block: block_index, handle, shape, run } = self.state else {
                if self.state == State::Unstarted {
                    self.position(table)?;
                    continue;
                }
                return Ok(None);
            };
            let block = table.reopen_block(handle, shape)?;
            let next = match self.direction {
                Direction::Forward => self.next_forward(table, &block, handle)?,
                Direction::Backward => self.next_backward(table, &block, handle)?,
            };
            if let Some(entry) = next {
                self.check_order(table, &entry, block_index)?;
                return Ok(Some(entry));
            }
            if self.state == State::Done {
                return Ok(None);
            }
            match self.direction {
                Direction::Forward => self.enter_forward(table, block_index + 1, false)?,
                Direction::Backward if run > 0 => {
                    let loaded = self.reverse.load(&block, run - 1);
                    loaded.map_err(|detail| table.malformed(handle, detail))?;
                    self.state = State::In { block: block_index, handle, shape, run: run - 1 };
                }
                Direction::Backward => {
                    self.enter_backward(table, block_index.checked_sub(1), false)?;
                }
            }
        }
    }

    /// The next entry of the current block in range, forwards. `None` at the end of the block,
    /// or with the state set to `Done` past the end of the range.
    fn next_forward(
        &mut self,
        table: &Table,
        block: &Block<'_>,
        handle: BlockHandle,
    ) -> Result<Option<Entry>> {
        while self.cursor.advance(block).map_err(|detail| table.malformed(handle, detail))? {
            let key = self.cursor.key();
            // Positioning lands at most one run early; once entries flow, anything before the
            // start would be out of order, and `check_order` reports it.
            if self.last.is_none() && before(&self.start, key) {
                continue;
            }
            if after(&self.end, key) {
                self.state = State::Done;
                return Ok(None);
            }
            let entry = table.decode_entry(block, handle, key.to_vec(), self.cursor.value())?;
            return Ok(Some(entry));
        }
        Ok(None)
    }

    /// The next entry of the current run in range, backwards; as [`Walk::next_forward`].
    fn next_backward(
        &mut self,
        table: &Table,
        block: &Block<'_>,
        handle: BlockHandle,
    ) -> Result<Option<Entry>> {
        while let Some((key, value)) = self.reverse.last() {
            if self.last.is_none() && after(&self.end, key) {
                self.reverse.pop();
                continue;
            }
            if before(&self.start, key) {
                self.state = State::Done;
                return Ok(None);
            }
            let entry = table.decode_entry(block, handle, key.to_vec(), value)?;
            self.reverse.pop();
            return Ok(Some(entry));
        }
        Ok(None)
    }

    /// Enters the block holding the first entry in range, in iteration order.
    fn position(&mut self, table: &Table) -> Result<()> {
        let index = table.index();
        match self.direction {
            Direction::Forward => {
                let block = index.partition_point(|last| before(&self.start, last));
                self.enter_forward(table, block, true)
            }
            Direction::Backward => {
                // The first block whose last key is past the end may still hold keys in range.
                let not_after = index.partition_point(|last| !after(&self.end, last));
                let block = index.len().checked_sub(1).map(|last| not_after.min(last));
                self.enter_backward(table, block, true)
            }
        }
    }

    /// Enters data block `block_index` forwards (or ends past the last block): at the run
    /// where entries from the range's start begin if `seek`, else at its first entry.
    fn enter_forward(&mut self, table: &Table, block_index: usize, seek: bool) -> Result<()> {
        self.state = State::Done;
        if block_index >= table.index().len() {
            return Ok(());
        }
        let (handle, block) = table.data_block(block_index)?;
        let malformed = |detail| table.malformed(handle, detail);
        let runs_before = if seek {
            block.partition_restarts(|key| before(&self.start, key)).map_err(malformed)?
        } else {
            0
        };
        self.cursor = Cursor::at_run(&block, runs_before.saturating_sub(1)).map_err(malformed)?;
        let shape = block.shape();
        self.state = State::In { block: block_index, handle, shape, run: 0 };
        Ok(())
    }

    /// Enters data block `block_index` backwards (or ends before the first block): at the
    /// last run holding entries up to the range's end if `seek`, else at its last run.
    fn enter_backward(
        &mut self,
        table: &Table,
        block_index: Option<usize>,
        seek: bool,
    ) -> Result<()> {
        self.state = State::Done;
        let Some(block_index) = block_index else { return Ok(()) };
        let (handle, block) = table.data_block(block_index)?;
        let malformed = |detail| table.malformed(handle, detail);
        let runs = if seek {
            block.partition_restarts(|key| !after(&self.end, key)).map_err(malformed)?
        } else {
            block.restart_count()
        };
        let Some(run) = runs.checked_sub(1) else {
            // Every restart key is past the end: only earlier blocks can hold keys in range.
            // Not seeking there ends the recursion: a data block has at least one run.
            return self.enter_backward(table, block_index.checked_sub(1), false);
        };
        self.reverse.load(&block, run).map_err(malformed)?;
        let shape = block.shape();
        self.state = State::In { block: block_index, handle, shape, run };
        Ok(())
    }

    /// Entries must strictly follow each other in iteration order, even across blocks.
    fn check_order(&mut self, table: &Table, entry: &Entry, block: usize) -> Result<()> {
        if let Some((key, seqno)) = &mut self.last {
            let order = cmp_versions(&entry.key, entry.seqno, key, *seqno);
            let expected = match self.direction {
                Direction::Forward => std::cmp::Ordering::Greater,
                Direction::Backward => std::cmp::Ordering::Less,
            };
            if order != expected {
                self.state = State::Done;
                let offset = table.handle(block)?.offset;
                return Err(table.corrupt(offset, Corruption::OutOfOrder));
            }
            key.clear();
            key.extend_from_slice(&entry.key);
            *seqno = entry.seqno;
        } else {
            self.last = Some((entry.key.clone(), entry.seqno));
        }
        Ok(())
    }
}

impl Iterator for TableIter {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.walk.step(&self.table) {
            Ok(entry) => entry.map(Ok),
            Err(error) => {
                self.walk.state = State::Done;
                Some(Err(error))
            }
        }
    }
}

/// True if `key` sorts before the range that starts at `start`.
fn before(start: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match start {
        Bound::Unbounded => false,
        Bound::Included(start) => key < start.as_slice(),
        Bound::Excluded(start) => key <= start.as_slice(),
    }
}

/// True if `key` sorts after the range that ends at `end`.
fn after(end: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match end {
        Bound::Unbounded => false,
        Bound::Included(end) => key > end.as_slice(),
        Bound::Excluded(end) => key >= end.as_slice(),
    }
}
