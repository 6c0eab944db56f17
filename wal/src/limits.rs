//! Every bound the log enforces, in one place.

/// The largest payload of one record: 64 MiB.
///
/// Derived from DynamoDB's largest legal write request (a 16 MB `BatchWriteItem`) plus what the
/// engine adds to it in the same record (index entries and a stream record with old and new
/// images), with room to spare. Checked on append (an error, nothing written) and on read, before
/// anything is allocated.
pub const RECORD_PAYLOAD_BYTES_MAX: usize = 64 << 20;

/// Default size at which the log starts a new segment: 64 MiB.
pub const SEGMENT_BYTES_DEFAULT: u64 = 64 << 20;

/// Default for how far ahead of the last record the active segment is filled with zeros: 1 MiB.
///
/// `fdatasync` after overwriting blocks that are already allocated and written needs no journal
/// commit for the file's size or extents, which makes a small commit about twice as fast as one
/// that extends the file (measured in `docs/benchmarks.md`). Recovery reads an all-zero
/// remainder as the end of the log.
pub const PREALLOCATE_BYTES_DEFAULT: usize = 1 << 20;

/// Default bound on appended bytes not yet written under `Durability::None`: 1 MiB.
pub const BUFFER_BYTES_DEFAULT: usize = 1 << 20;

const _: () = assert!(RECORD_PAYLOAD_BYTES_MAX <= u32::MAX as usize, "lengths are stored as u32");
