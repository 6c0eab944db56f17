//! Entry points of the fuzz targets, also run as seeded tests (feature `fuzzing`).

use std::path::Path;

use basalt_fs::sim::SimFs;

use crate::{Options, SegmentId, Wal};

/// Recovery over arbitrary segment files: `open` must return an error or a log whose records
/// read back as a well-formed, contiguous run; it must never panic. Afterwards the log must
/// accept an append and read it back.
///
/// `data` is split into up to four segment files named 1, 2, … (a leading byte picks how many
/// and where each one starts), so both single- and multi-segment logs are exercised.
///
/// # Panics
/// When the log misbehaves: that is what the fuzzer looks for.
pub fn recover_arbitrary(data: &[u8]) {
    let fs = SimFs::new(0);
    let dir = Path::new("/wal");
    for (id, bytes) in split_segments(data) {
        fs.put_durable_file(&dir.join(SegmentId(id).file_name()), bytes);
    }
    let Ok((wal, recovery)) = Wal::open_with(fs.clone(), dir, Options::default()) else {
        return;
    };
    let mut expected = recovery.oldest_lsn;
    for record in wal.read_from(recovery.oldest_lsn).expect("reading a recovered log") {
        let record = record.expect("a recovered log reads back without error");
        assert_eq!(record.lsn, expected, "LSNs of a recovered log are contiguous");
        expected = expected.next();
    }
    assert_eq!(expected, recovery.next_lsn, "every record up to next_lsn reads back");
    let lsn = wal.append(b"after recovery").expect("a recovered log accepts appends");
    assert_eq!(lsn, recovery.next_lsn);
    wal.close().expect("close");
    let (wal, again) = Wal::open_with(fs, dir, Options::default()).expect("reopen");
    assert_eq!(again.next_lsn, lsn.next());
    assert!(again.torn_tail.is_none(), "a clean close leaves no torn tail");
    let last = wal.read_from(lsn).expect("read").next().expect("one record").expect("valid");
    assert_eq!(last.payload, b"after recovery");
}

/// `(segment id, bytes)` pairs: the first byte gives the count (1–4); the rest is cut into that
/// many nearly equal pieces.
fn split_segments(data: &[u8]) -> Vec<(u64, &[u8])> {
    let Some((&first, rest)) = data.split_first() else { return Vec::new() };
    let count = usize::from(first % 4) + 1;
    let piece = rest.len().div_ceil(count).max(1);
    rest.chunks(piece).zip(1u64..).map(|(bytes, id)| (id, bytes)).collect()
}
