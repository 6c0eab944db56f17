//! Recovery decisions over one segment's bytes: pure, no I/O.
//!
//! A segment is a header and then records with consecutive LSNs. When a record fails its checks,
//! the question is whether it is a *torn tail* (a crash interrupted the last write, which no
//! caller was told had succeeded) or *corruption* (bytes that were once durable went bad).
//!
//! Every segment but the newest is synced before the next one is created, so crash damage is
//! confined to the newest segment, to the records written since its last completed sync; those
//! may have reached the disk out of order (any of their sectors missing). Every record carries
//! `group_lsn`, the first LSN that was not yet known durable when the record was written. That
//! decides the case: a bad record with LSN `e` in the newest segment is a torn tail unless some
//! valid record after it has `group_lsn > e`, which proves that a sync covering `e` had
//! completed before that record was written. Anywhere else, a bad record is corruption.
#![deny(clippy::indexing_slicing)]

use crate::error::Corruption;
use crate::record::{self, RECORD_HEADER_BYTES};
use crate::segment::{SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::{Lsn, SegmentId};

/// What a scan of one segment found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scanned {
    /// A valid header and a run of valid records, possibly followed by a torn tail.
    Records {
        /// The segment's header.
        header: SegmentHeader,
        /// How many valid records follow the header.
        count: u64,
        /// The offset just past the last valid record: where the log continues.
        valid_end: u64,
        /// The torn tail cut off at `valid_end`, if any, and what was wrong with it.
        torn: Option<Corruption>,
    },
    /// The newest segment's header never became durable (a crash while the segment was being
    /// created), and no record follows: the file can be removed.
    TornHeader(Corruption),
}

/// Corruption at a byte offset of a segment.
pub type Corrupt = (u64, Corruption);

/// Scans `bytes`, the whole of segment `id`; `newest` says whether it is the log's last segment.
///
/// # Errors
/// The offset and kind of the first corruption, when the damage cannot be a torn tail.
pub fn scan_segment(bytes: &[u8], id: SegmentId, newest: bool) -> Result<Scanned, Corrupt> {
    let header = match SegmentHeader::decode(bytes) {
        Ok(header) => header,
        Err(what) if newest => {
            // The header is synced before any record is written, so a header torn by a crash
            // has nothing but zeros (or nothing) after it; anything else is corruption.
            return if is_zero(bytes.get(SEGMENT_HEADER_BYTES..).unwrap_or_default()) {
                Ok(Scanned::TornHeader(what))
            } else {
                Err((0, what))
            };
        }
        Err(what) => return Err((0, what)),
    };
    if header.id != id {
        let what = Corruption::SegmentIdMismatch { expected: id.0, found: header.id.0 };
        return Err((0, what));
    }
    let mut at = SEGMENT_HEADER_BYTES;
    let mut expected = header.first_lsn;
    while at < bytes.len() {
        let rest = bytes.get(at..).unwrap_or_default();
        match check_record(rest, expected, header.first_lsn, header.salt) {
            Ok(record) => {
                at += record.frame_len();
                expected = expected.next();
            }
            Err(_) if is_zero(bytes.get(at..).unwrap_or_default()) => break,
            Err(what) => {
                let later = |r: &record::Decoded<'_>| r.group_lsn > expected;
                if newest && valid_record_after(bytes, at, header.salt, later).is_none() {
                    let count = expected.0 - header.first_lsn.0;
                    let valid_end = at as u64;
                    return Ok(Scanned::Records { header, count, valid_end, torn: Some(what) });
                }
                return Err((at as u64, what));
            }
        }
    }
    let count = expected.0 - header.first_lsn.0;
    Ok(Scanned::Records { header, count, valid_end: at as u64, torn: None })
}

/// Whether every byte is zero: the preallocated space after the last record.
///
/// A zero header can never pass its checksum (the CRC-32 of 28 zero bytes is not zero), so zeros
/// are never mistaken for a record; they mark the end of the log, as in a segment the writer
/// extended with zeros ahead of its records.
pub fn is_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Decodes the record at the start of `bytes` and checks its place in the sequence.
///
/// # Errors
/// What is wrong with it.
pub fn check_record(
    bytes: &[u8],
    expected: Lsn,
    first_lsn: Lsn,
    salt: u64,
) -> Result<record::Decoded<'_>, Corruption> {
    let record = record::decode(bytes, salt)?;
    if record.lsn != expected {
        return Err(Corruption::UnexpectedLsn { expected: expected.0, found: record.lsn.0 });
    }
    if record.group_lsn < first_lsn {
        // Groups never span segments.
        return Err(Corruption::BadGroupLsn { lsn: record.lsn.0, group_lsn: record.group_lsn.0 });
    }
    Ok(record)
}

/// The offset of the first valid record starting after `from` that `wanted` accepts.
fn valid_record_after(
    bytes: &[u8],
    from: usize,
    salt: u64,
    wanted: impl Fn(&record::Decoded<'_>) -> bool,
) -> Option<usize> {
    // A record's header holds its nonzero LSN, so no record starts after the last nonzero byte;
    // the zeros written ahead of the records need no search.
    let last_nonzero = bytes.iter().rposition(|&b| b != 0)?;
    let last_start = bytes.len().checked_sub(RECORD_HEADER_BYTES)?.min(last_nonzero);
    (from + 1..=last_start).find(|&at| {
        let tail = bytes.get(at..).unwrap_or_default();
        // The header checksum alone rules out almost every offset; decode only the survivors.
        record::checked_payload_len(tail, salt).is_some()
            && record::decode(tail, salt).is_ok_and(|record| wanted(&record))
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests index fixtures they built")]
mod tests {
    use super::*;
    use crate::record::{encode_into, payload_crc, seal};

    /// A segment with the given groups, each a list of payloads; LSNs start at `first`.
    fn segment(id: u64, first: u64, groups: &[&[&[u8]]]) -> (Vec<u8>, Vec<usize>) {
        let header = SegmentHeader { id: SegmentId(id), first_lsn: Lsn(first), salt: 99 };
        let mut bytes = header.encode().to_vec();
        let mut starts = Vec::new();
        let mut lsn = first;
        for group in groups {
            let group_lsn = lsn;
            let group_start = bytes.len();
            for payload in *group {
                starts.push(bytes.len());
                encode_into(&mut bytes, Lsn(lsn), payload, payload_crc(payload));
                lsn += 1;
            }
            seal(&mut bytes[group_start..], Lsn(group_lsn), 99);
        }
        (bytes, starts)
    }

    #[test]
    fn clean_segment() {
        let (bytes, _) = segment(1, 5, &[&[b"a", b"bb"], &[b"ccc"]]);
        let scanned = scan_segment(&bytes, SegmentId(1), false).expect("clean");
        let Scanned::Records { count, valid_end, torn, header } = scanned else {
            panic!("expected records")
        };
        assert_eq!((count, valid_end, torn), (3, bytes.len() as u64, None));
        assert_eq!(header.first_lsn, Lsn(5));
    }

    #[test]
    fn damage_in_the_last_group_of_the_newest_segment_is_a_torn_tail() {
        let (bytes, starts) = segment(1, 1, &[&[b"one"], &[b"two", b"three", b"four"]]);
        // Knock out the middle of the last group: later records of that group survive, as when
        // sectors persist out of order.
        let mut torn = bytes.clone();
        for byte in &mut torn[starts[2]..starts[3]] {
            *byte = 0;
        }
        let scanned = scan_segment(&torn, SegmentId(1), true).expect("torn tail");
        let Scanned::Records { count, valid_end, torn: Some(_), .. } = scanned else {
            panic!("expected a torn tail, got {scanned:?}")
        };
        assert_eq!((count, valid_end), (2, starts[2] as u64));
        // The same damage in an older segment is corruption.
        let err = scan_segment(&torn, SegmentId(1), false).expect_err("corrupt");
        assert_eq!(err.0, starts[2] as u64);
    }

    #[test]
    fn damage_followed_by_a_later_group_is_corruption() {
        let (bytes, starts) = segment(1, 1, &[&[b"one", b"two"], &[b"three"]]);
        let mut bad = bytes.clone();
        bad[starts[1] + 33] ^= 1;
        let err = scan_segment(&bad, SegmentId(1), true).expect_err("corrupt");
        assert_eq!(err, (starts[1] as u64, Corruption::PayloadChecksum));
    }

    #[test]
    fn every_truncation_of_the_newest_segment_recovers_a_prefix() {
        let (bytes, starts) = segment(2, 10, &[&[b"a"], &[b"bb", b"ccc"], &[b"dddd"]]);
        let ends: Vec<usize> = starts.iter().skip(1).copied().chain([bytes.len()]).collect();
        for len in 0..bytes.len() {
            match scan_segment(&bytes[..len], SegmentId(2), true) {
                Ok(Scanned::TornHeader(_)) => assert!(len < SEGMENT_HEADER_BYTES),
                Ok(Scanned::Records { count, valid_end, .. }) => {
                    let expected = ends.iter().filter(|&&end| end <= len).count() as u64;
                    assert_eq!(count, expected, "len {len}");
                    assert!(valid_end <= len as u64);
                }
                Err(e) => panic!("truncation to {len} reported as corruption: {e:?}"),
            }
        }
    }

    #[test]
    fn a_zero_filled_remainder_is_a_clean_end_in_any_segment() {
        let (mut bytes, _) = segment(1, 1, &[&[b"a", b"bb"]]);
        let end = bytes.len() as u64;
        bytes.resize(bytes.len() + 4096, 0);
        for newest in [true, false] {
            let scanned = scan_segment(&bytes, SegmentId(1), newest).expect("clean");
            let Scanned::Records { count, valid_end, torn: None, .. } = scanned else {
                panic!("expected a clean end, got {scanned:?}")
            };
            assert_eq!((count, valid_end), (2, end));
        }
        // A single nonzero byte in the zeros is not a clean end.
        let last = bytes.len() - 1;
        bytes[last] = 1;
        assert!(scan_segment(&bytes, SegmentId(1), false).is_err());
        let scanned = scan_segment(&bytes, SegmentId(1), true).expect("torn tail");
        assert!(matches!(scanned, Scanned::Records { torn: Some(_), .. }));
    }

    #[test]
    fn wrong_segment_id_or_lsn_gap_is_corruption() {
        let (bytes, _) = segment(4, 1, &[&[b"a"]]);
        assert!(scan_segment(&bytes, SegmentId(5), true).is_err());
        let (mut bytes, _) = segment(4, 1, &[&[b"a"]]);
        let (other, starts) = segment(4, 3, &[&[b"c"], &[b"d"]]);
        bytes.extend_from_slice(&other[starts[0]..]);
        // LSN 3 where 2 was expected, then a later group: corruption, not a torn tail.
        let err = scan_segment(&bytes, SegmentId(4), true).expect_err("gap");
        assert_eq!(err.1, Corruption::UnexpectedLsn { expected: 2, found: 3 });
    }
}
