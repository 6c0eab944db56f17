//! What a run costs the machine: disk space, peak memory, and where the data lives.

use crate::{io_error, Error, Result};
use std::{fs, os::unix::fs::MetadataExt, path::Path};

/// Bytes allocated on disk for the files under `dir` (`st_blocks × 512`, as `du` counts; a
/// sparse or preallocated file counts what it occupies, not its length).
///
/// # Errors
///
/// When a directory or a file's metadata cannot be read.
pub fn disk_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    let entries = fs::read_dir(dir).map_err(io_error(format!("read_dir {}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(io_error(format!("read_dir {}", dir.display())))?;
        let path = entry.path();
        let metadata =
            fs::symlink_metadata(&path).map_err(io_error(format!("stat {}", path.display())))?;
        if metadata.is_dir() {
            total += disk_bytes(&path)?;
        } else {
            total += metadata.blocks() * 512;
        }
    }
    Ok(total)
}

/// The peak resident set size of this process (`VmHWM` in `/proc/self/status`), in bytes.
///
/// # Errors
///
/// When `/proc/self/status` cannot be read or has no `VmHWM` line.
pub fn peak_rss_bytes() -> Result<u64> {
    let status =
        fs::read_to_string("/proc/self/status").map_err(io_error("read /proc/self/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| Error::Usage("no VmHWM line in /proc/self/status".to_owned()))
}

/// The file system type and source device of the mount holding `path` (from
/// `/proc/self/mounts`), for the report: a tmpfs would make every `fsync` free.
///
/// # Errors
///
/// When `path` cannot be resolved or the mount table cannot be read.
pub fn file_system_of(path: &Path) -> Result<String> {
    let path =
        fs::canonicalize(path).map_err(io_error(format!("canonicalize {}", path.display())))?;
    let mounts =
        fs::read_to_string("/proc/self/mounts").map_err(io_error("read /proc/self/mounts"))?;
    let mut best: Option<(usize, String)> = None;
    for line in mounts.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [device, mount_point, fs_type, ..] = fields[..] else { continue };
        if path.starts_with(mount_point)
            && best.as_ref().is_none_or(|(len, _)| mount_point.len() >= *len)
        {
            best = Some((
                mount_point.len(),
                format!("{fs_type} on {device} (mounted at {mount_point})"),
            ));
        }
    }
    Ok(best.map_or_else(|| "unknown".to_owned(), |(_, description)| description))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_bytes_counts_written_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir(dir.path().join("sub")).expect("mkdir");
        fs::write(dir.path().join("sub/a"), vec![1u8; 64 << 10]).expect("write");
        assert!(disk_bytes(dir.path()).expect("du") >= 64 << 10);
    }

    #[test]
    fn peak_rss_is_reported() {
        assert!(peak_rss_bytes().expect("VmHWM") > 0);
    }

    #[test]
    fn root_has_a_file_system() {
        assert_ne!(file_system_of(Path::new("/")).expect("mounts"), "unknown");
    }
}
