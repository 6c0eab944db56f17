//! `basalt-wal`: Basalt's segmented write-ahead log.
//!
//! Every change Basalt acknowledges is first a record here. The log is a directory of
//! append-only *segment* files (`00000000000000000001.wal`, …); each record carries its *LSN*
//! (consecutive from 1), the first LSN of its *group*, its length, and CRC-32 checksums of its
//! header and payload. `docs/wal.md` describes the bytes.
//!
//! # Guarantees
//! - **Group commit.** Concurrent appends are written together, one write and one `fdatasync`
//!   per group; an appender waits for at most the group in flight plus its own.
//! - **Durability** is chosen at open ([`Durability`]): under `Sync` (the default) `append`
//!   returns only after the record is on stable storage.
//! - **Recovery.** A record torn at the very end of the log by a crash mid-write is cut off, and
//!   the log continues after the last whole record. Damage anywhere else fails
//!   [`Wal::open_with`] with [`Error::Corrupt`], naming the segment and offset. No input bytes
//!   make the log panic.
//! - **Failure is final.** A failed write or `fdatasync` is never retried: the log is poisoned,
//!   every waiting and later append fails with [`Error::Poisoned`], and only reopening (which
//!   recovers from what reached the disk) makes it usable again.
//!
//! # Map
//! - [`record`]: record framing. `segment`: the segment header. `recovery`: the pure decision
//!   between torn tail and corruption.
//! - [`group_commit`]: the leader/follower queue, free of I/O. `writer`: the sink that writes
//!   groups into segments and rotates them. [`Reader`]: reading from an LSN.
//! - [`Wal`]: the log that ties them together.
//!
//! # Example
//! ```
//! use basalt_wal::{Options, Wal};
//!
//! let dir = tempfile::tempdir()?;
//! let (wal, recovery) = Wal::open(dir.path(), Options::default())?;
//! assert_eq!(recovery.next_lsn.0, 1);
//! let lsn = wal.append(b"first change")?;
//! wal.close()?;
//!
//! let (wal, _) = Wal::open(dir.path(), Options::default())?;
//! let records: Vec<_> = wal.read_from(lsn)?.collect::<Result<_, _>>()?;
//! assert_eq!(records[0].payload, b"first change");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod durability;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
pub mod group_commit;
mod limits;
mod lsn;
mod reader;
pub mod record;
mod recovery;
mod segment;
mod sync;
mod wal;
mod writer;

pub use durability::Durability;
pub use error::{Corruption, Error, IoOp, Result};
pub use group_commit::Ticket;
pub use limits::{
    BUFFER_BYTES_DEFAULT, PREALLOCATE_BYTES_DEFAULT, RECORD_PAYLOAD_BYTES_MAX,
    SEGMENT_BYTES_DEFAULT,
};
pub use lsn::{Lsn, SegmentId};
pub use reader::{Reader, Record};
pub use segment::{FORMAT_VERSION, SEGMENT_HEADER_BYTES};
pub use wal::{Options, Recovery, TornTail, Wal};
