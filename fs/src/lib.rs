//! `basalt-fs`: the small file layer under Basalt's write-ahead log and engine.
//!
//! Everything Basalt writes goes through two traits, [`Fs`] (a directory of files) and [`File`]
//! (positional reads and writes, `set_len`, `sync_data`). Keeping the surface this small lets one
//! piece of code run over three implementations:
//!
//! - [`StdFs`]: `std::fs` with `pread`/`pwrite`, portable.
//! - [`UringFs`] (Linux): the same files driven through io_uring; a write followed by a sync is
//!   one linked submission and one system call.
//! - `SimFs` (feature `sim`): an in-memory file system that keeps a durable and a volatile image of
//!   every file and directory, simulates crashes (dropping or tearing what was not synced) and
//!   injects faults (failing syncs, `ENOSPC`, torn writes, short writes, bit flips on read).
//!
//! [`SystemFs`] picks io_uring when the kernel offers it and falls back to [`StdFs`] otherwise.
//!
//! # Guarantees
//! - `File::write_at` writes the whole buffer or returns an error.
//! - `File::sync_data` makes every byte written before it durable or returns an error; after an
//!   error nothing is promised about those bytes (callers must not retry and carry on).
//! - `Fs::sync_dir` makes creations, renames and removals in a directory durable.

mod file;
mod map;
#[cfg(feature = "sim")]
pub mod sim;
mod std_fs;
mod system;
#[cfg(target_os = "linux")]
mod uring;

pub use file::{File, Fs, Mapped};
pub use std_fs::{StdFile, StdFs};
pub use system::{SystemFile, SystemFs};
#[cfg(target_os = "linux")]
pub use uring::{UringFile, UringFs};
