//! Log sequence numbers and segment ids.

use std::fmt;

/// A log sequence number: the position of one record in the log.
///
/// LSNs start at 1, increase by exactly 1 per record, and are never reused. `Lsn(0)` means
/// "no record" (for example the durable LSN of an empty log).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl Lsn {
    /// "No record": smaller than every real LSN.
    pub const ZERO: Lsn = Lsn(0);
    /// The LSN of the first record of a new log.
    pub const FIRST: Lsn = Lsn(1);

    /// The LSN after this one.
    ///
    /// # Panics
    /// After 2^64 - 1 records, which is not a concern in practice but must not wrap silently.
    #[must_use]
    pub fn next(self) -> Lsn {
        Lsn(self.0.checked_add(1).expect("LSN space exhausted"))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The number of one segment file; segments are numbered consecutively from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub u64);

impl SegmentId {
    /// The file name of this segment: the id in 20 decimal digits, then `.wal`, so that names sort
    /// in id order.
    #[must_use]
    pub fn file_name(self) -> String {
        format!("{:020}.wal", self.0)
    }

    /// Parses a file name made by [`SegmentId::file_name`].
    #[must_use]
    pub fn parse_file_name(name: &str) -> Option<SegmentId> {
        let digits = name.strip_suffix(".wal")?;
        if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(SegmentId)
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_roundtrip_and_sort() {
        let a = SegmentId(9).file_name();
        let b = SegmentId(10).file_name();
        assert_eq!(a, "00000000000000000009.wal");
        assert!(a < b);
        assert_eq!(SegmentId::parse_file_name(&b), Some(SegmentId(10)));
        assert_eq!(SegmentId::parse_file_name("10.wal"), None);
        assert_eq!(SegmentId::parse_file_name("0000000000000000000a.wal"), None);
        assert_eq!(SegmentId::parse_file_name("00000000000000000009.tmp"), None);
    }
}
