//! Ordered iteration over one table, forwards or backwards, within optional key bounds.

use std::collections::VecDeque;
use std::ops::Bound;

use crate::block::reader::RawEntry;
use crate::entry::{cmp_versions, Direction, Entry, SeqNo};
use crate::error::{Corruption, Result};
use crate::table::reader::Table;

/// Iterator over a [`Table`]'s entries in one [`Direction`], created by [`Table::range`],
/// [`Table::iter`] or [`Table::seek`].
///
/// Yields `Err` once if a block is corrupt or entries are out of order, then ends. Holds a clone
/// of the table, so it is `'static` and `Send`.
#[derive(Debug)]
pub struct TableIter {
    table: Table,
    direction: Direction,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    state: State,
    run: VecDeque<Entry>,
    raw: VecDeque<RawEntry>,
    last: Option<(Vec<u8>, SeqNo)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Unstarted,
    At { block: usize, run: usize },
    Done,
}

/// Which restart run of a block to load.
#[derive(Debug, Clone, Copy)]
enum Run {
    Index(usize),
    Last,
}

impl TableIter {
    pub(crate) fn new(
        table: Table,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Self {
        TableIter {
            table,
            direction,
            start,
            end,
            state: State::Unstarted,
            run: VecDeque::new(),
            raw: VecDeque::new(),
            last: None,
        }
    }

    fn step(&mut self) -> Result<Option<Entry>> {
        loop {
            let (block, run) = match self.state {
                State::Done => return Ok(None),
                State::Unstarted => {
                    self.position()?;
                    continue;
                }
                State::At { block, run } => (block, run),
            };
            let next = match self.direction {
                Direction::Forward => self.run.pop_front(),
                Direction::Backward => self.run.pop_back(),
            };
            if let Some(entry) = next {
                let out_of_range = match self.direction {
                    Direction::Forward => after(&self.end, &entry.key),
                    Direction::Backward => before(&self.start, &entry.key),
                };
                if out_of_range {
                    self.state = State::Done;
                    return Ok(None);
                }
                self.check_order(&entry, block)?;
                return Ok(Some(entry));
            }
            self.advance(block, run)?;
        }
    }

    /// Loads the run holding the first entry in range (in iteration order).
    fn position(&mut self) -> Result<()> {
        let index = self.table.index();
        let blocks = index.len();
        self.state = State::Done;
        match self.direction {
            Direction::Forward => {
                let block = index.partition_point(|last| before(&self.start, last));
                if block == blocks {
                    return Ok(());
                }
                let data = self.table.data_block(block, true)?;
                let handle = self.table.handle(block)?;
                let restarts = data
                    .partition_restarts(|key| before(&self.start, key))
                    .map_err(|detail| self.table.malformed(handle, detail))?;
                self.load(block, Run::Index(restarts.saturating_sub(1)), true)?;
                while self.run.front().is_some_and(|e| before(&self.start, &e.key)) {
                    self.run.pop_front();
                }
            }
            Direction::Backward => {
                let not_after = index.partition_point(|last| !after(&self.end, last));
                // The first block whose last key is past the end may still hold in-range keys.
                let block = if not_after < blocks {
                    not_after
                } else if let Some(last) = blocks.checked_sub(1) {
                    last
                } else {
                    return Ok(());
                };
                let data = self.table.data_block(block, true)?;
                let handle = self.table.handle(block)?;
                let restarts = data
                    .partition_restarts(|key| !after(&self.end, key))
                    .map_err(|detail| self.table.malformed(handle, detail))?;
                match restarts.checked_sub(1) {
                    Some(run) => self.load(block, Run::Index(run), true)?,
                    None if block > 0 => self.load(block - 1, Run::Last, true)?,
                    None => return Ok(()),
                }
                while self.run.back().is_some_and(|e| after(&self.end, &e.key)) {
                    self.run.pop_back();
                }
            }
        }
        Ok(())
    }

    /// Moves from the exhausted run `run` of `block` to the next one in iteration order.
    fn advance(&mut self, block: usize, run: usize) -> Result<()> {
        self.state = State::Done;
        let blocks = self.table.index().len();
        match self.direction {
            Direction::Forward => {
                let runs = self.table.data_block(block, false).map(|b| b.restart_count())?;
                if run + 1 < runs {
                    self.load(block, Run::Index(run + 1), false)
                } else if block + 1 < blocks {
                    self.load(block + 1, Run::Index(0), true)
                } else {
                    Ok(())
                }
            }
            Direction::Backward => {
                if run > 0 {
                    self.load(block, Run::Index(run - 1), false)
                } else if block > 0 {
                    self.load(block - 1, Run::Last, true)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Decodes one restart run into owned entries; CRC-checks the block first if `verify`.
    fn load(&mut self, block: usize, run: Run, verify: bool) -> Result<()> {
        let data = self.table.data_block(block, verify)?;
        let handle = self.table.handle(block)?;
        let run = match run {
            Run::Index(run) => run,
            Run::Last => data
                .restart_count()
                .checked_sub(1)
                .ok_or_else(|| self.table.malformed(handle, "empty data block"))?,
        };
        self.raw.clear();
        data.decode_run(run, &mut self.raw)
            .map_err(|detail| self.table.malformed(handle, detail))?;
        self.run.clear();
        for raw in self.raw.drain(..) {
            let entry = self.table.decode_entry(&data, handle, raw.key, raw.value)?;
            self.run.push_back(entry);
        }
        self.state = State::At { block, run };
        Ok(())
    }

    /// Entries must strictly follow each other in iteration order, even across blocks.
    fn check_order(&mut self, entry: &Entry, block: usize) -> Result<()> {
        if let Some((key, seqno)) = &mut self.last {
            let order = cmp_versions(&entry.key, entry.seqno, key, *seqno);
            let expected = match self.direction {
                Direction::Forward => std::cmp::Ordering::Greater,
                Direction::Backward => std::cmp::Ordering::Less,
            };
            if order != expected {
                self.state = State::Done;
                let offset = self.table.handle(block)?.offset;
                return Err(self.table.corrupt(offset, Corruption::OutOfOrder));
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
        match self.step() {
            Ok(entry) => entry.map(Ok),
            Err(error) => {
                self.state = State::Done;
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
