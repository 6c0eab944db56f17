//! Basalt's storage core, with its default options (`Durability::Sync`).

use super::{touch, Engine, Session, LOAD_BATCH_ITEMS};
use crate::{engine_error, KeySpace, Result};
use basalt::core::{Batch, Core, Options};
use std::{ops::Bound, ops::Range, path::Path};

const NAME: &str = "basalt";

/// Opens a store in `dir` with `Options::default()`.
pub(super) fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    let core = Core::open(dir, Options::default()).map_err(engine_error(NAME, "open"))?;
    Ok(Box::new(BasaltCore { core }))
}

struct BasaltCore {
    core: Core,
}

impl Engine for BasaltCore {
    fn load(&self, space: &KeySpace, indexes: Range<u64>, value_len: usize) -> Result<()> {
        let mut batch = Batch::new();
        for index in indexes {
            batch.put(KeySpace::key(index), space.value(index, value_len));
            if batch.len() == LOAD_BATCH_ITEMS {
                let full = std::mem::replace(&mut batch, Batch::new());
                self.core.write(full).map_err(engine_error(NAME, "write"))?;
            }
        }
        if !batch.is_empty() {
            self.core.write(batch).map_err(engine_error(NAME, "write"))?;
        }
        Ok(())
    }

    fn session(&self) -> Result<Box<dyn Session + '_>> {
        Ok(Box::new(CoreSession { core: &self.core }))
    }

    fn close(self: Box<Self>) -> Result<()> {
        self.core.close().map_err(engine_error(NAME, "close"))?;
        Ok(())
    }
}

struct CoreSession<'a> {
    core: &'a Core,
}

impl Session for CoreSession<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<usize>> {
        let value = self.core.get(key).map_err(engine_error(NAME, "get"))?;
        Ok(value.as_deref().map(touch))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.core.put(key, value).map_err(engine_error(NAME, "put"))?;
        Ok(())
    }

    fn scan(&mut self, start: &[u8], count: usize) -> Result<usize> {
        let snapshot = self.core.snapshot();
        let mut read = 0;
        for item in snapshot.range((Bound::Included(start), Bound::Unbounded)).take(count) {
            let (key, value) = item.map_err(engine_error(NAME, "scan"))?;
            touch(&key);
            touch(&value);
            read += 1;
        }
        Ok(read)
    }
}
