//! Reading records back, from an LSN onward.

use std::path::PathBuf;

use basalt_fs::{File, Fs};

use crate::error::{Corruption, Error, IoOp, Result};
use crate::recovery::{check_record, is_zero};
use crate::segment::{SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::writer::{io_error, SegmentMeta};
use crate::Lsn;

/// One record read from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its LSN.
    pub lsn: Lsn,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// The segments to read, each with the length to read: for the active segment, its length when
/// the reader was created (later writes are not seen); `None` for a closed segment, which is
/// read whole.
pub(crate) struct Plan {
    pub segments: Vec<(SegmentMeta, Option<u64>)>,
}

/// An iterator over records from an LSN up to the end of the log as it was when the reader was
/// made. Each segment is read whole into memory, one at a time, and every record is checked
/// again (checksums and LSN sequence): bytes that went bad since the log was opened are an
/// [`Error::Corrupt`], after which the iterator ends.
pub struct Reader<F: Fs> {
    fs: F,
    plan: std::vec::IntoIter<(SegmentMeta, Option<u64>)>,
    from: Lsn,
    current: Option<Loaded>,
    failed: bool,
}

struct Loaded {
    path: PathBuf,
    bytes: Vec<u8>,
    at: usize,
    expected: Lsn,
    first_lsn: Lsn,
    salt: u64,
}

impl<F: Fs> Reader<F> {
    pub(crate) fn new(fs: F, plan: Plan, from: Lsn) -> Self {
        Reader { fs, plan: plan.segments.into_iter(), from, current: None, failed: false }
    }

    fn load(&self, meta: &SegmentMeta, len: Option<u64>) -> Result<Loaded> {
        let path = meta.path.clone();
        let file = self.fs.open_read(&path).map_err(|e| io_error(IoOp::Open, &path, e))?;
        let len = match len {
            Some(len) => len,
            None => file.len().map_err(|e| io_error(IoOp::Read, &path, e))?,
        };
        let len = usize::try_from(len).map_err(|_| corrupt(&path, 0, Corruption::Shrunk))?;
        let mut bytes = vec![0u8; len];
        file.read_exact_at(&mut bytes, 0).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => corrupt(&path, 0, Corruption::Shrunk),
            _ => io_error(IoOp::Read, &path, e),
        })?;
        let header = SegmentHeader::decode(&bytes).map_err(|what| corrupt(&path, 0, what))?;
        if header.id != meta.id {
            let what = Corruption::SegmentIdMismatch { expected: meta.id.0, found: header.id.0 };
            return Err(corrupt(&path, 0, what));
        }
        if header.first_lsn != meta.first_lsn {
            let (expected, found) = (meta.first_lsn.0, header.first_lsn.0);
            return Err(corrupt(&path, 0, Corruption::FirstLsnMismatch { expected, found }));
        }
        let first_lsn = header.first_lsn;
        let at = SEGMENT_HEADER_BYTES;
        Ok(Loaded { path, bytes, at, expected: first_lsn, first_lsn, salt: header.salt })
    }

    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            let Some(loaded) = &mut self.current else {
                let Some((meta, len)) = self.plan.next() else { return Ok(None) };
                self.current = Some(self.load(&meta, len)?);
                continue;
            };
            let rest = loaded.bytes.get(loaded.at..).unwrap_or_default();
            if is_zero(rest) {
                // The end of the records, or zeros the writer put ahead of them.
                self.current = None;
                continue;
            }
            let decoded = check_record(rest, loaded.expected, loaded.first_lsn, loaded.salt)
                .map_err(|what| corrupt(&loaded.path, loaded.at as u64, what))?;
            let lsn = loaded.expected;
            loaded.at += decoded.frame_len();
            loaded.expected = lsn.next();
            if lsn >= self.from {
                return Ok(Some(Record { lsn, payload: decoded.payload.to_vec() }));
            }
        }
    }
}

impl<F: Fs> Iterator for Reader<F> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_record();
        self.failed = next.is_err();
        next.transpose()
    }
}

fn corrupt(path: &std::path::Path, offset: u64, what: Corruption) -> Error {
    Error::Corrupt { segment: path.to_path_buf(), offset, what }
}
