//! Entry points of the fuzz targets, also run as seeded tests (feature `fuzzing`).

use std::path::{Path, PathBuf};

use basalt_fs::sim::SimFs;
use basalt_fs::Fs;

use crate::{Durability, Options, SegmentId, Wal};

const DIR: &str = "/wal";

/// A change to a log's bytes at rest.
#[derive(Clone, Copy, Debug)]
pub enum Mutation {
    /// Flip one bit: segment (modulo the count), offset (modulo the length), bit (modulo 8).
    FlipBit(u16, u32, u8),
    /// Truncate a segment to a length (modulo its length + 1).
    Truncate(u16, u32),
    /// Overwrite bytes with zeros: segment, offset, length.
    Zero(u16, u32, u16),
    /// Remove a segment file.
    Remove(u16),
}

/// Recovery over arbitrary segment files: `open` must return an error or a log whose records
/// read back as a well-formed, contiguous run; it must never panic.
///
/// # Panics
/// When the log misbehaves: that is what the fuzzer looks for.
pub fn recover_arbitrary(segments: &[Vec<u8>]) {
    let fs = SimFs::new(0);
    for (bytes, id) in segments.iter().take(8).zip(1u64..) {
        fs.put_durable_file(&Path::new(DIR).join(SegmentId(id).file_name()), bytes);
    }
    fs.create_dir_all(Path::new(DIR)).expect("sim mkdir");
    check_recovery(&fs);
}

/// Writes `records` into a real log with small segments, applies `mutations` to the files at
/// rest, then checks recovery as [`recover_arbitrary`] does. Records that survive must be the
/// ones written, in order.
///
/// # Panics
/// When the log misbehaves.
pub fn recover_mutated(records: &[Vec<u8>], mutations: &[Mutation]) {
    let fs = SimFs::new(0);
    let options = Options { segment_bytes_max: 512, preallocate_bytes: 256, ..Options::default() };
    let (wal, _) = Wal::open_with(fs.clone(), DIR, options).expect("open a new log");
    for record in records {
        wal.append(record).expect("append");
    }
    wal.close().expect("close");
    let mut paths = fs.read_dir(Path::new(DIR)).expect("ls");
    paths.sort();
    for mutation in mutations {
        apply(&fs, &paths, *mutation);
    }
    let survivors = check_recovery(&fs);
    for (lsn, payload) in survivors {
        let index = usize::try_from(lsn - 1).expect("small");
        if let Some(written) = records.get(index) {
            // A flipped bit can only be accepted if a checksum missed it; CRC-32 catches every
            // single-bit error, so every surviving record is exactly what was written.
            if mutations.iter().all(|m| matches!(m, Mutation::FlipBit(..))) {
                assert_eq!(&payload, written, "record {lsn} changed without an error");
            }
        }
    }
}

fn apply(fs: &SimFs, paths: &[PathBuf], mutation: Mutation) {
    let pick = |segment: u16| paths.get(usize::from(segment) % paths.len().max(1));
    let bytes = |path: &Path| fs.file_bytes(path).unwrap_or_default();
    match mutation {
        Mutation::FlipBit(segment, offset, bit) => {
            let Some(path) = pick(segment) else { return };
            let len = bytes(path).len() as u64;
            if len > 0 {
                fs.flip_bit(path, u64::from(offset) % len, bit % 8);
            }
        }
        Mutation::Truncate(segment, len) => {
            let Some(path) = pick(segment) else { return };
            let mut data = bytes(path);
            data.truncate(usize::try_from(len).unwrap_or(usize::MAX) % (data.len() + 1));
            fs.put_durable_file(path, &data);
        }
        Mutation::Zero(segment, offset, len) => {
            let Some(path) = pick(segment) else { return };
            let mut data = bytes(path);
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
            let end = (start + usize::from(len)).min(data.len());
            data.get_mut(start..end).into_iter().flatten().for_each(|b| *b = 0);
            fs.put_durable_file(path, &data);
        }
        Mutation::Remove(segment) => {
            if let Some(path) = pick(segment) {
                let _ = fs.remove_file(path);
                let _ = fs.sync_dir(Path::new(DIR));
            }
        }
    }
}

/// Opens the log on `fs`; if it opens, checks it reads back whole and keeps working. Returns
/// the records recovered.
fn check_recovery(fs: &SimFs) -> Vec<(u64, Vec<u8>)> {
    let options = Options { preallocate_bytes: 300, ..Options::default() };
    let Ok((wal, recovery)) = Wal::open_with(fs.clone(), DIR, options.clone()) else {
        return Vec::new();
    };
    let mut survivors = Vec::new();
    let mut expected = recovery.oldest_lsn;
    for record in wal.read_from(recovery.oldest_lsn).expect("reading a recovered log") {
        let record = record.expect("a recovered log reads back without error");
        assert_eq!(record.lsn, expected, "LSNs of a recovered log are contiguous");
        expected = expected.next();
        survivors.push((record.lsn.0, record.payload));
    }
    assert_eq!(expected, recovery.next_lsn, "every record up to next_lsn reads back");
    let lsn = wal.append(b"after recovery").expect("a recovered log accepts appends");
    assert_eq!(lsn, recovery.next_lsn);
    wal.close().expect("close");
    let options = Options { durability: Durability::Sync, ..options };
    let (wal, again) = Wal::open_with(fs.clone(), DIR, options).expect("reopen");
    assert_eq!(again.next_lsn, lsn.next());
    assert!(again.torn_tail.is_none(), "a clean close leaves no torn tail");
    let last = wal.read_from(lsn).expect("read").next().expect("one record").expect("valid");
    assert_eq!(last.payload, b"after recovery");
    survivors
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn random_mutation(rng: &mut SmallRng) -> Mutation {
        match rng.gen_range(0..10) {
            0..=5 => Mutation::FlipBit(rng.gen(), rng.gen(), rng.gen()),
            6 | 7 => Mutation::Truncate(rng.gen(), rng.gen()),
            8 => Mutation::Zero(rng.gen(), rng.gen(), rng.gen_range(0..64)),
            _ => Mutation::Remove(rng.gen()),
        }
    }

    #[test]
    fn seeded_recover_mutated() {
        for seed in 0..1500 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let records: Vec<Vec<u8>> = (0..rng.gen_range(0..40))
                .map(|_| (0..rng.gen_range(0..120)).map(|_| rng.gen()).collect())
                .collect();
            let mutations: Vec<Mutation> =
                (0..rng.gen_range(0..4)).map(|_| random_mutation(&mut rng)).collect();
            recover_mutated(&records, &mutations);
        }
    }

    #[test]
    fn seeded_recover_arbitrary() {
        for seed in 0..1500 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let segments: Vec<Vec<u8>> = (0..rng.gen_range(0..4))
                .map(|_| (0..rng.gen_range(0..200)).map(|_| rng.gen()).collect())
                .collect();
            recover_arbitrary(&segments);
        }
    }
}
