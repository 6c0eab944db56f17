//! The crate's only `unsafe`: mapping an SSTable file into memory. Listed in `docs/unsafe.md`.
#![expect(unsafe_code, reason = "memmap2::Mmap::map is unsafe; see the SAFETY comment")]

use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Maps the whole of `file` read-only.
///
/// The caller must only pass SSTable files, which Basalt never modifies, truncates or rewrites
/// after they are published (they are deleted only after the last mapping is dropped).
pub(crate) fn map_table_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: `Mmap::map` is unsafe because the mapped bytes may change if another process or
    // thread writes or truncates the file while it is mapped, which would break Rust's aliasing
    // rules for the `&[u8]` we hand out. SSTables are immutable once written: the engine writes
    // them under a temporary name, syncs and renames them, and never opens a published table for
    // writing; it unlinks one only after every `Table` (and so every mapping) is dropped, and
    // unlinking does not invalidate an existing mapping. Corrupted *contents* are not a safety
    // issue: every block is CRC-checked and decoded without trusting it. What this cannot
    // prevent is an external actor truncating the file (SIGBUS) or a disk read error under the
    // mapping (also SIGBUS); see ENGINE-NOTES trap 6.
    unsafe { Mmap::map(file) }
}
