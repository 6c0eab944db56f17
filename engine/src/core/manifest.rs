//! The manifest: which SSTables make up each shard, and how far each shard is flushed.
//!
//! The whole state is small (a few numbers per SSTable), so every change writes all of it to
//! `MANIFEST.tmp`, syncs it, renames it over `MANIFEST` and syncs the directory: the rename is
//! the commit, and a crash leaves either the old or the new manifest, never a torn one. A
//! manifest that fails its checksum is therefore corruption, never a torn tail, and fails
//! `open`. Byte layout in `docs/core.md`, "Manifest":
//!
//! `magic: u64 "BSLTMANI" | format: u32 = 1 | payload_len: u32 | payload_crc: u32 | payload`,
//! payload `seq: u64 | routing: u8 (1 hash prefix, 2 spaced) | shards: u16 | next_table_id: u64 | log_start: u64 | per shard:
//! (flushed_lsn: u64 | levels: u8 | per level: (tables: u32 | per table: (id: u64 | len: u64)))`.
#![deny(clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use basalt_fs::{File, Fs};
use basalt_wal::Lsn;

use crate::core::error::{io_error, Error, Result};
use crate::core::limits::LEVELS_MAX;
use crate::core::route::Routing;

const MAGIC: u64 = u64::from_le_bytes(*b"BSLTMANI");
const FORMAT: u32 = 1;
const HEADER_BYTES: usize = 20;
/// The routing rules of `route.rs`: hash-prefix ranges ([`Routing::HashPrefix`]).
const ROUTING_PREFIX_RANGES: u8 = 1;
/// Hash after a 4-byte space ([`Routing::Spaced`]).
const ROUTING_SPACED: u8 = 2;
/// Bounds what a manifest may claim before anything is allocated.
const PAYLOAD_BYTES_MAX: usize = 64 << 20;

/// The manifest file's name in the store directory.
pub(crate) const FILE_NAME: &str = "MANIFEST";
pub(crate) const TEMP_NAME: &str = "MANIFEST.tmp";

/// One SSTable as the manifest lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TableMeta {
    pub(crate) id: u64,
    pub(crate) len_bytes: u64,
}

/// One shard as the manifest lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShardMeta {
    pub(crate) flushed_lsn: Lsn,
    /// Level 0 newest first; deeper levels in key order.
    pub(crate) levels: Vec<Vec<TableMeta>>,
}

/// The decoded manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// Increases with every write.
    pub(crate) seq: u64,
    /// How keys map to shards; fixed at creation.
    pub(crate) routing: Routing,
    pub(crate) next_table_id: u64,
    /// The log may have been deleted below this LSN, never at or above it: a log that starts
    /// later has lost records.
    pub(crate) log_start: Lsn,
    pub(crate) shards: Vec<ShardMeta>,
}

impl Manifest {
    pub(crate) fn new(shards: u16, routing: Routing) -> Manifest {
        Manifest {
            seq: 0,
            routing,
            next_table_id: 1,
            log_start: Lsn(1),
            shards: vec![ShardMeta::default(); usize::from(shards)],
        }
    }

    pub(crate) fn shard_count(&self) -> u16 {
        u16::try_from(self.shards.len()).expect("shard count fits u16 by construction")
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        payload.extend_from_slice(&self.seq.to_le_bytes());
        payload.push(match self.routing {
            Routing::HashPrefix => ROUTING_PREFIX_RANGES,
            Routing::Spaced => ROUTING_SPACED,
        });
        payload.extend_from_slice(&self.shard_count().to_le_bytes());
        payload.extend_from_slice(&self.next_table_id.to_le_bytes());
        payload.extend_from_slice(&self.log_start.0.to_le_bytes());
        for shard in &self.shards {
            payload.extend_from_slice(&shard.flushed_lsn.0.to_le_bytes());
            payload.push(u8::try_from(shard.levels.len()).expect("at most LEVELS_MAX levels"));
            for level in &shard.levels {
                let count = u32::try_from(level.len()).expect("fewer than 2^32 tables");
                payload.extend_from_slice(&count.to_le_bytes());
                for table in level {
                    payload.extend_from_slice(&table.id.to_le_bytes());
                    payload.extend_from_slice(&table.len_bytes.to_le_bytes());
                }
            }
        }
        let mut file = Vec::with_capacity(HEADER_BYTES + payload.len());
        file.extend_from_slice(&MAGIC.to_le_bytes());
        file.extend_from_slice(&FORMAT.to_le_bytes());
        let len = u32::try_from(payload.len()).expect("manifest payload below 4 GiB");
        file.extend_from_slice(&len.to_le_bytes());
        file.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        file.extend_from_slice(&payload);
        file
    }

    /// Decodes a manifest file's bytes; `path` names it in errors. Never panics.
    ///
    /// # Errors
    /// [`Error::Corrupt`] with the offset and what is wrong.
    pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<Manifest> {
        let corrupt = |offset: usize, what: String| Error::Corrupt {
            path: path.to_path_buf(),
            offset: offset as u64,
            what,
        };
        let mut header = Reader { bytes, offset: 0 };
        let magic = header.u64().map_err(|o| corrupt(o, "shorter than its header".into()))?;
        if magic != MAGIC {
            return Err(corrupt(0, "not a manifest (bad magic)".into()));
        }
        let format = header.u32().map_err(|o| corrupt(o, "truncated header".into()))?;
        if format != FORMAT {
            return Err(corrupt(8, format!("unsupported manifest format {format}")));
        }
        let len = header.u32().map_err(|o| corrupt(o, "truncated header".into()))? as usize;
        let crc = header.u32().map_err(|o| corrupt(o, "truncated header".into()))?;
        if len > PAYLOAD_BYTES_MAX || bytes.len() != HEADER_BYTES + len {
            return Err(corrupt(
                12,
                format!("payload length {len} disagrees with file length {}", bytes.len()),
            ));
        }
        let payload = bytes.get(HEADER_BYTES..).unwrap_or_default();
        let actual = crc32fast::hash(payload);
        if actual != crc {
            return Err(corrupt(
                16,
                format!("checksum mismatch: stored {crc:#010x}, computed {actual:#010x}"),
            ));
        }
        decode_payload(payload).map_err(|(offset, what)| corrupt(HEADER_BYTES + offset, what))
    }
}

fn decode_payload(payload: &[u8]) -> std::result::Result<Manifest, (usize, String)> {
    let mut r = Reader { bytes: payload, offset: 0 };
    let truncated = |offset| (offset, "truncated".to_string());
    let seq = r.u64().map_err(truncated)?;
    let routing = match r.u8().map_err(truncated)? {
        ROUTING_PREFIX_RANGES => Routing::HashPrefix,
        ROUTING_SPACED => Routing::Spaced,
        other => return Err((r.offset - 1, format!("unknown routing rule {other}"))),
    };
    let shard_count = r.u16().map_err(truncated)?;
    if shard_count == 0 {
        return Err((r.offset - 2, "zero shards".into()));
    }
    let next_table_id = r.u64().map_err(truncated)?;
    let log_start = Lsn(r.u64().map_err(truncated)?);
    let mut shards = Vec::with_capacity(usize::from(shard_count));
    for _ in 0..shard_count {
        let flushed_lsn = Lsn(r.u64().map_err(truncated)?);
        let level_count = usize::from(r.u8().map_err(truncated)?);
        if level_count > LEVELS_MAX {
            return Err((r.offset - 1, format!("{level_count} levels, more than {LEVELS_MAX}")));
        }
        let mut levels = Vec::with_capacity(level_count);
        for _ in 0..level_count {
            let count = r.u32().map_err(truncated)? as usize;
            if count > payload.len() / 16 {
                return Err((r.offset - 4, format!("table count {count} exceeds the payload")));
            }
            let mut tables = Vec::with_capacity(count);
            for _ in 0..count {
                let id = r.u64().map_err(truncated)?;
                if id == 0 || id >= next_table_id {
                    return Err((
                        r.offset - 8,
                        format!("table id {id} outside 1..{next_table_id}"),
                    ));
                }
                tables.push(TableMeta { id, len_bytes: r.u64().map_err(truncated)? });
            }
            levels.push(tables);
        }
        shards.push(ShardMeta { flushed_lsn, levels });
    }
    if r.offset != payload.len() {
        return Err((r.offset, "bytes after the last shard".into()));
    }
    Ok(Manifest { seq, routing, next_table_id, log_start, shards })
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> std::result::Result<[u8; N], usize> {
        let bytes =
            self.bytes.get(self.offset..).and_then(|rest| rest.get(..N)).ok_or(self.offset)?;
        self.offset += N;
        bytes.try_into().map_err(|_| self.offset)
    }

    fn u8(&mut self) -> std::result::Result<u8, usize> {
        Ok(self.take::<1>()?[0])
    }

    fn u16(&mut self) -> std::result::Result<u16, usize> {
        self.take().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> std::result::Result<u32, usize> {
        self.take().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> std::result::Result<u64, usize> {
        self.take().map(u64::from_le_bytes)
    }
}

/// Reads `dir/MANIFEST`; `None` if there is none (a new store).
///
/// # Errors
/// I/O errors; [`Error::Corrupt`].
pub(crate) fn read<F: Fs>(fs: &F, dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(FILE_NAME);
    let file = match fs.open_read(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("open", &path)(e)),
    };
    let len = file.len().map_err(io_error("stat", &path))?;
    if len > (PAYLOAD_BYTES_MAX + HEADER_BYTES) as u64 {
        return Err(Error::Corrupt { path, offset: 0, what: format!("{len} bytes is too large") });
    }
    let mut bytes = vec![0; usize::try_from(len).unwrap_or(0)];
    file.read_exact_at(&mut bytes, 0).map_err(io_error("read", &path))?;
    Manifest::decode(&bytes, &path).map(Some)
}

/// Replaces `dir/MANIFEST` with `manifest`, durably (see the module documentation).
///
/// # Errors
/// I/O errors; after one, the store must not assume either manifest is the current one.
pub(crate) fn write<F: Fs>(fs: &F, dir: &Path, manifest: &Manifest) -> Result<()> {
    let temp: PathBuf = dir.join(TEMP_NAME);
    remove_if_exists(fs, &temp)?;
    let file = fs.create_new(&temp).map_err(io_error("create", &temp))?;
    let bytes = manifest.encode();
    file.write_at(&bytes, 0).map_err(io_error("write", &temp))?;
    file.sync_data().map_err(io_error("sync", &temp))?;
    drop(file);
    let target = dir.join(FILE_NAME);
    fs.rename(&temp, &target).map_err(io_error("rename", &target))?;
    fs.sync_dir(dir).map_err(io_error("sync directory", dir))
}

/// Removes `path` if it exists (a leftover temporary file).
///
/// # Errors
/// Any I/O error but `NotFound`.
pub(crate) fn remove_if_exists<F: Fs>(fs: &F, path: &Path) -> Result<()> {
    match fs.remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("remove", path)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index their own fixtures")]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut manifest = Manifest::new(3, Routing::HashPrefix);
        manifest.seq = 9;
        manifest.next_table_id = 10;
        manifest.log_start = Lsn(40);
        manifest.shards[1].flushed_lsn = Lsn(77);
        manifest.shards[1].levels = vec![
            vec![TableMeta { id: 9, len_bytes: 100 }, TableMeta { id: 8, len_bytes: 50 }],
            vec![TableMeta { id: 3, len_bytes: 1000 }],
        ];
        manifest
    }

    #[test]
    fn round_trips() {
        let manifest = sample();
        let decoded = Manifest::decode(&manifest.encode(), Path::new("M")).expect("decodes");
        assert_eq!(decoded, manifest);
    }

    #[test]
    fn spaced_routing_round_trips_as_byte_2() {
        let manifest = Manifest { routing: Routing::Spaced, ..sample() };
        let bytes = manifest.encode();
        assert_eq!(bytes[HEADER_BYTES + 8], ROUTING_SPACED);
        assert_eq!(sample().encode()[HEADER_BYTES + 8], ROUTING_PREFIX_RANGES);
        let decoded = Manifest::decode(&bytes, Path::new("M")).expect("decodes");
        assert_eq!(decoded, manifest);
    }

    #[test]
    fn every_truncation_and_bit_flip_is_refused() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            assert!(Manifest::decode(&bytes[..len], Path::new("M")).is_err(), "truncated to {len}");
        }
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(Manifest::decode(&damaged, Path::new("M")).is_err(), "bit {bit} flipped");
        }
    }

    #[test]
    fn arbitrary_payloads_with_a_valid_checksum_never_panic() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2_000 {
            let mut payload = sample().encode()[HEADER_BYTES..].to_vec();
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = (rng as usize) % payload.len();
            payload[at] = (rng >> 32) as u8;
            let _ = decode_payload(&payload);
        }
    }
}
