//! Primitive encodings shared by every on-disk structure: LEB128 varints and little-endian
//! fixed-width integers. Decoding never panics; it returns `None` past the end of the input.
#![deny(clippy::indexing_slicing)]

/// Appends `value` as an unsigned LEB128 varint (1–10 bytes).
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A forward reader over untrusted bytes.
#[derive(Debug, Clone)]
pub(crate) struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Starts reading `bytes` at `pos`.
    pub(crate) fn at(bytes: &'a [u8], pos: usize) -> Self {
        Decoder { bytes, pos }
    }

    /// Offset of the next byte to be read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// True when every byte has been consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes that fits in a `u64`.
    pub(crate) fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Reads a varint that must fit in a `usize` no larger than `max`.
    pub(crate) fn len(&mut self, max: usize) -> Option<usize> {
        let value = usize::try_from(self.varint()?).ok()?;
        (value <= max).then_some(value)
    }

    /// Reads `n` raw bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    /// Reads a little-endian `u32`.
    pub(crate) fn u32_le(&mut self) -> Option<u32> {
        let raw: [u8; 4] = self.bytes(4)?.try_into().ok()?;
        Some(u32::from_le_bytes(raw))
    }

    /// Reads a little-endian `u64`.
    pub(crate) fn u64_le(&mut self) -> Option<u64> {
        let raw: [u8; 8] = self.bytes(8)?.try_into().ok()?;
        Some(u64::from_le_bytes(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_edges() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX - 1, u64::MAX] {
            let mut buf = Vec::new();
            put_varint(&mut buf, value);
            let mut decoder = Decoder::at(&buf, 0);
            assert_eq!(decoder.varint(), Some(value));
            assert!(decoder.is_empty());
        }
    }

    #[test]
    fn varint_rejects_overflow_and_truncation() {
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Decoder::at(&overflow, 0).varint(), None);
        let endless = [0x80; 11];
        assert_eq!(Decoder::at(&endless, 0).varint(), None);
        assert_eq!(Decoder::at(&[0x80], 0).varint(), None);
    }
}
