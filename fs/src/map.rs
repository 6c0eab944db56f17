//! Memory-mapping immutable files: the `map_read` of the std and system file layers. Listed in
//! `docs/unsafe.md`.
#![expect(unsafe_code, reason = "memory-mapping a file is unsafe; see the SAFETY comment")]

use std::io;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;

use crate::Mapped;

/// Maps the whole of `path` read-only; an empty file gives empty bytes (mapping zero bytes
/// fails with `EINVAL`).
pub(crate) fn map_file(path: &Path) -> io::Result<Mapped> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(Arc::new(Vec::new()));
    }
    // SAFETY: `Mmap::map` is unsafe because the mapped bytes change if the file is written or
    // truncated while mapped, which would break the aliasing rules for the `&[u8]` handed out.
    // `Fs::map_read`'s contract makes the caller promise the file is immutable while the map
    // lives (Basalt maps only complete, synced SSTables and never rewrites them); the map lives
    // in the returned `Arc` and is unmapped when its last clone drops.
    let map = unsafe { Mmap::map(&file)? };
    Ok(Arc::new(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_whole_file_and_empty_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello map").expect("write");
        let bytes = map_file(&path).expect("map");
        assert_eq!((*bytes).as_ref(), b"hello map");
        let empty = dir.path().join("e");
        std::fs::write(&empty, b"").expect("write");
        assert!((*map_file(&empty).expect("map empty")).as_ref().is_empty());
        assert_eq!(
            map_file(&dir.path().join("missing")).err().map(|e| e.kind()),
            Some(io::ErrorKind::NotFound)
        );
    }
}
