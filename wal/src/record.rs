//! Record framing: encoding on append, checked decoding on read and recovery.
//!
//! Byte layout (all integers little-endian); `docs/wal.md` has the full description.
//!
//! ```text
//! offset size field
//!      0    4 header_crc   CRC-32 (IEEE) of the segment's salt (8 bytes) then bytes 4..32
//!      4    4 payload_len  bytes of payload after the header
//!      8    8 lsn          this record's LSN
//!     16    8 group_lsn    the first LSN not known to be durable when this record was written
//!     24    4 payload_crc  CRC-32 of the payload
//!     28    1 kind         1 = data
//!     29    3 zero
//!     32    N payload
//! ```
//!
//! The header checksum covers the length, so a length is never trusted before its checksum is.
//! It is salted with a random value from the segment header, so payload bytes that happen to
//! contain a well-formed frame (a user can store anything) never pass for a record.
//!
//! Records are encoded in two steps: [`encode_into`] frames a record when it is queued (LSN,
//! length, payload checksum); [`seal`] fills in `group_lsn` and the header checksum when the
//! writer knows which segment the record goes to and what is durable.
#![deny(clippy::indexing_slicing)]

use crate::error::Corruption;
use crate::limits::RECORD_PAYLOAD_BYTES_MAX;
use crate::Lsn;

/// Bytes of a record header.
pub const RECORD_HEADER_BYTES: usize = 32;

/// The only record kind so far: an opaque payload.
const KIND_DATA: u8 = 1;

/// A record decoded from bytes; `payload` borrows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The record's LSN.
    pub lsn: Lsn,
    /// The first LSN of the group the record was written in.
    pub group_lsn: Lsn,
    /// The payload.
    pub payload: &'a [u8],
}

impl Decoded<'_> {
    /// Bytes the record occupies, header included.
    #[must_use]
    pub fn frame_len(&self) -> usize {
        RECORD_HEADER_BYTES + self.payload.len()
    }
}

/// The CRC-32 of a payload, computed before the log's lock is taken.
#[must_use]
pub fn payload_crc(payload: &[u8]) -> u32 {
    crc32fast::hash(payload)
}

/// Appends one framed record to `out`, unsealed: `group_lsn` and the header checksum are
/// filled in by [`seal`] before the bytes are written.
///
/// # Panics
/// If `payload` exceeds [`RECORD_PAYLOAD_BYTES_MAX`] (callers check first).
pub fn encode_into(out: &mut Vec<u8>, lsn: Lsn, payload: &[u8], crc: u32) {
    assert!(payload.len() <= RECORD_PAYLOAD_BYTES_MAX, "oversized record reached the encoder");
    debug_assert_eq!(crc, payload_crc(payload));
    let len = u32::try_from(payload.len()).expect("RECORD_PAYLOAD_BYTES_MAX fits in u32");
    let mut header = [0u8; RECORD_HEADER_BYTES];
    put(&mut header, 4, &len.to_le_bytes());
    put(&mut header, 8, &lsn.0.to_le_bytes());
    put(&mut header, 24, &crc.to_le_bytes());
    put(&mut header, 28, &[KIND_DATA]);
    out.reserve(RECORD_HEADER_BYTES + payload.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
}

/// Seals every record framed by [`encode_into`] in `bytes`: sets `group_lsn` and the header
/// checksum salted with `salt`.
///
/// # Panics
/// If `bytes` is not a whole number of frames, or `group_lsn` is after a record's LSN: both
/// are bugs in the writer.
pub fn seal(bytes: &mut [u8], group_lsn: Lsn, salt: u64) {
    let mut at = 0;
    while at < bytes.len() {
        let header: &mut [u8; RECORD_HEADER_BYTES] = bytes
            .get_mut(at..at + RECORD_HEADER_BYTES)
            .and_then(|h| h.try_into().ok())
            .expect("whole frames");
        let lsn = le_u64(header, 8);
        assert!(group_lsn.0 <= lsn, "group_lsn {group_lsn} after record {lsn}");
        put(header, 16, &group_lsn.0.to_le_bytes());
        let crc = header_crc(salt, header);
        put(header, 0, &crc.to_le_bytes());
        at += RECORD_HEADER_BYTES + le_u32(header, 4) as usize;
    }
    assert_eq!(at, bytes.len(), "whole frames");
}

fn header_crc(salt: u64, header: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&salt.to_le_bytes());
    hasher.update(header.get(4..RECORD_HEADER_BYTES).unwrap_or_default());
    hasher.finalize()
}

fn put(header: &mut [u8; RECORD_HEADER_BYTES], at: usize, bytes: &[u8]) {
    header
        .get_mut(at..at + bytes.len())
        .expect("fields lie inside the header")
        .copy_from_slice(bytes);
}

/// Decodes the record at the start of `bytes` in a segment salted with `salt`, checking both
/// checksums, the kind, and that the group LSN is not after the record's LSN. The caller checks
/// the LSN sequence.
///
/// # Errors
/// The [`Corruption`] found; never panics, whatever the bytes.
pub fn decode(bytes: &[u8], salt: u64) -> Result<Decoded<'_>, Corruption> {
    let header = bytes.get(..RECORD_HEADER_BYTES).ok_or(Corruption::RecordTruncated)?;
    let stored = le_u32(header, 0);
    let computed = header_crc(salt, header);
    if stored != computed {
        return Err(Corruption::RecordHeaderChecksum);
    }
    let len = u64::from(le_u32(header, 4));
    if len > RECORD_PAYLOAD_BYTES_MAX as u64 {
        return Err(Corruption::RecordTooLarge(len));
    }
    let lsn = le_u64(header, 8);
    let group_lsn = le_u64(header, 16);
    let kind = header.get(28).copied().unwrap_or_default();
    if kind != KIND_DATA {
        return Err(Corruption::UnknownKind(kind));
    }
    if group_lsn > lsn || group_lsn == 0 {
        return Err(Corruption::BadGroupLsn { lsn, group_lsn });
    }
    let end = RECORD_HEADER_BYTES + usize::try_from(len).unwrap_or(usize::MAX);
    let payload = bytes.get(RECORD_HEADER_BYTES..end).ok_or(Corruption::RecordTruncated)?;
    if crc32fast::hash(payload) != le_u32(header, 24) {
        return Err(Corruption::PayloadChecksum);
    }
    Ok(Decoded { lsn: Lsn(lsn), group_lsn: Lsn(group_lsn), payload })
}

/// The payload length a header claims, if the header's checksum holds; lets a reader size its
/// next read without trusting an unchecked length.
#[must_use]
pub fn checked_payload_len(header: &[u8], salt: u64) -> Option<usize> {
    let header = header.get(..RECORD_HEADER_BYTES)?;
    if le_u32(header, 0) != header_crc(salt, header) {
        return None;
    }
    let len = usize::try_from(le_u32(header, 4)).ok()?;
    (len <= RECORD_PAYLOAD_BYTES_MAX).then_some(len)
}

pub(crate) fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_le_bytes(word)
}

pub(crate) fn le_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        word.copy_from_slice(src);
    }
    u64::from_le_bytes(word)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests index fixtures they built")]
mod tests {
    use super::*;

    const SALT: u64 = 0x5a17_5a17;

    fn frame(lsn: u64, group: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(&mut out, Lsn(lsn), payload, payload_crc(payload));
        seal(&mut out, Lsn(group), SALT);
        out
    }

    #[test]
    fn roundtrip() {
        for payload in [&b""[..], b"x", &[7u8; 1000]] {
            let bytes = frame(42, 40, payload);
            assert_eq!(bytes.len(), RECORD_HEADER_BYTES + payload.len());
            let record = decode(&bytes, SALT).expect("decodes");
            assert_eq!(record, Decoded { lsn: Lsn(42), group_lsn: Lsn(40), payload });
            assert_eq!(checked_payload_len(&bytes, SALT), Some(payload.len()));
        }
    }

    #[test]
    fn a_frame_from_another_segment_does_not_decode() {
        let bytes = frame(1, 1, b"payload");
        assert_eq!(decode(&bytes, SALT + 1), Err(Corruption::RecordHeaderChecksum));
        assert_eq!(checked_payload_len(&bytes, SALT + 1), None);
    }

    #[test]
    fn sealing_a_batch_seals_every_frame() {
        let mut bytes = Vec::new();
        for (lsn, payload) in [(5u64, &b"a"[..]), (6, b""), (7, b"ccc")] {
            encode_into(&mut bytes, Lsn(lsn), payload, payload_crc(payload));
        }
        seal(&mut bytes, Lsn(3), SALT);
        let mut at = 0;
        for lsn in 5..=7 {
            let record = decode(&bytes[at..], SALT).expect("sealed");
            assert_eq!((record.lsn, record.group_lsn), (Lsn(lsn), Lsn(3)));
            at += record.frame_len();
        }
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let bytes = frame(7, 7, b"hello, log");
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[at] ^= 1 << bit;
                assert!(decode(&bad, SALT).is_err(), "flip of bit {bit} at {at} went unnoticed");
            }
        }
    }

    #[test]
    fn every_truncation_is_detected() {
        let bytes = frame(7, 7, b"hello, log");
        for len in 0..bytes.len() {
            assert_eq!(decode(&bytes[..len], SALT), Err(Corruption::RecordTruncated), "{len}");
        }
    }

    #[test]
    fn golden_bytes_pin_the_format() {
        // The record format and CRC-32 are on-disk formats: these bytes must never change.
        let bytes = frame(1, 1, b"basalt");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "4338091d0600000001000000000000000100000000000000e46e13fe01000000626173616c74"
        );
        assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926, "CRC-32/IEEE check value");
    }
}
