//! The logic behind the cargo-fuzz targets (`fuzz/fuzz_targets/sstable_*.rs`), public so the
//! targets stay thin wrappers, and run with seeded random inputs by this module's tests.
//!
//! Both functions panic when the property they check fails; that is how a fuzzer reports it.

use std::ops::{Bound, RangeBounds};

use crate::codec::Decoder;
use crate::entry::{cmp_versions, Direction, Entry};
use crate::error::Result;
use crate::format::{
    footer_crc, put_trailer, BlockHandle, BlockKind, BLOOM_BITS_PER_KEY_MAX, FOOTER_CRC_AT,
    FOOTER_LEN, KEY_LEN_MAX, RESTART_INTERVAL_MAX,
};
use crate::index::Index;
use crate::table::reader::Table;
use crate::table::writer::{TableWriter, WriterOptions};

/// Opens arbitrary bytes as a table and exercises every read path, twice: on `bytes` as given,
/// and on a valid table built from the first half of `bytes`, damaged as the second half says
/// and then *resealed* (every CRC recomputed) so that the damage reaches the decoders behind
/// the checksums. Never panics unless the reader does, or unless forward and backward
/// iteration both succeed and disagree.
///
/// # Panics
/// When the property fails.
pub fn read_arbitrary(bytes: &[u8]) {
    exercise(bytes.to_vec(), bytes);
    let (seed, damage) = bytes.split_at(bytes.len() / 2);
    let mut image = table_from_seed(seed);
    for change in damage.chunks_exact(3) {
        if let [low, high, mask] = *change {
            let at = usize::from(u16::from_le_bytes([low, high])) % image.len().max(1);
            if let Some(byte) = image.get_mut(at) {
                *byte ^= mask;
            }
        }
    }
    reseal(&mut image);
    exercise(image, bytes);
}

fn exercise(image: Vec<u8>, probe_source: &[u8]) {
    let Ok(table) = Table::from_bytes("fuzz", image) else {
        return;
    };
    let forward: Result<Vec<Entry>> = table.iter(Direction::Forward).collect();
    let backward: Result<Vec<Entry>> = table.iter(Direction::Backward).collect();
    let mut probes: Vec<Vec<u8>> = probe_source.chunks(7).take(8).map(<[u8]>::to_vec).collect();
    if let (Ok(forward), Ok(mut backward)) = (&forward, backward) {
        backward.reverse();
        assert_eq!(forward, &backward, "forward and backward iteration disagree");
        probes.extend(forward.iter().take(16).map(|entry| entry.key.clone()));
    }
    for probe in &probes {
        let _ = table.get(probe);
        let _ = table.seek(probe).take(4).count();
        for direction in [Direction::Forward, Direction::Backward] {
            let bounds = (Bound::Excluded(probe.as_slice()), Bound::Included(b"\xff".as_slice()));
            let _ = table.range(bounds.0, bounds.1, direction).take(4).count();
            let _ =
                table.range(Bound::Unbounded, Bound::Excluded(probe), direction).take(4).count();
        }
    }
}

/// A small valid table whose entries come from `seed`, four bytes per entry.
fn table_from_seed(seed: &[u8]) -> Vec<u8> {
    let mut entries: Vec<Entry> = seed
        .chunks_exact(4)
        .filter_map(|chunk| {
            let &[a, b, seqno, v] = chunk else { return None };
            let key = vec![a % 4, b];
            Some(match v % 5 {
                0 => Entry::tombstone(key, u64::from(seqno)),
                _ => Entry::value(key, u64::from(seqno), vec![v; usize::from(v % 40)]),
            })
        })
        .collect();
    entries.sort_by(|a, b| cmp_versions(&a.key, a.seqno, &b.key, b.seqno));
    entries.dedup_by(|a, b| a.key == b.key && a.seqno == b.seqno);
    let options =
        WriterOptions { block_size_bytes: 64, restart_interval: 2, bloom_bits_per_key: 6 };
    let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
    for entry in &entries {
        writer.add_entry(entry).expect("sorted, deduplicated entries are accepted");
    }
    writer.finish().expect("writing to a Vec cannot fail").output
}

/// Recomputes the footer CRC and the trailer of every block the footer and index name, as far
/// as they can be found, so that damage is seen by the decoders rather than the checksums.
fn reseal(image: &mut [u8]) {
    let Some(footer_at) = image.len().checked_sub(FOOTER_LEN) else {
        return;
    };
    let handles: Vec<(BlockHandle, BlockKind)> = {
        let mut decoder = Decoder::at(image, footer_at);
        [BlockKind::Filter, BlockKind::Index, BlockKind::Properties]
            .into_iter()
            .filter_map(|kind| {
                let handle = BlockHandle { offset: decoder.u64_le()?, size: decoder.u64_le()? };
                Some((handle, kind))
            })
            .collect()
    };
    // The filter starts where the data blocks end.
    let data_len = handles.first().map_or(0, |(filter, _)| filter.offset);
    for &(handle, kind) in &handles {
        seal(image, handle, kind);
        if kind != BlockKind::Index {
            continue;
        }
        let index =
            block_payload(image, handle).and_then(|payload| Index::decode(payload, data_len).ok());
        for &data in index.as_ref().map_or(&[][..], Index::handles) {
            seal(image, data, BlockKind::Data);
        }
    }
    let footer = image.get(footer_at..).and_then(footer_crc);
    let slot = image.get_mut(footer_at + FOOTER_CRC_AT..footer_at + FOOTER_CRC_AT + 4);
    if let (Some(crc), Some(slot)) = (footer, slot) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
}

fn block_payload(image: &[u8], handle: BlockHandle) -> Option<&[u8]> {
    let start = usize::try_from(handle.offset).ok()?;
    let end = start.checked_add(usize::try_from(handle.size).ok()?)?;
    image.get(start..end)
}

fn seal(image: &mut [u8], handle: BlockHandle, kind: BlockKind) {
    let Some(payload) = block_payload(image, handle) else {
        return;
    };
    let mut trailer = Vec::new();
    put_trailer(&mut trailer, payload, kind);
    let end = payload.len() + handle.offset as usize;
    if let Some(slot) = image.get_mut(end..end + trailer.len()) {
        slot.copy_from_slice(&trailer);
    }
}

/// Writes `entries` (sorted and deduplicated first) with `options` (clamped to valid ranges),
/// reads the table back and checks every read path against the sorted entries, probing with
/// `probes` as extra keys and range bounds.
///
/// # Panics
/// When any read disagrees with the entries written.
pub fn roundtrip(mut entries: Vec<Entry>, options: WriterOptions, probes: &[Vec<u8>]) {
    for entry in &mut entries {
        entry.key.truncate(KEY_LEN_MAX);
    }
    entries.sort_by(|a, b| cmp_versions(&a.key, a.seqno, &b.key, b.seqno));
    entries.dedup_by(|a, b| a.key == b.key && a.seqno == b.seqno);
    let options = WriterOptions {
        block_size_bytes: options.block_size_bytes.clamp(1, 1 << 20),
        restart_interval: options.restart_interval.clamp(1, RESTART_INTERVAL_MAX),
        bloom_bits_per_key: options.bloom_bits_per_key.min(BLOOM_BITS_PER_KEY_MAX),
    };
    let mut writer = TableWriter::new(Vec::new(), options).expect("options clamped to range");
    for entry in &entries {
        writer.add_entry(entry).expect("sorted entries are accepted");
    }
    let finished = writer.finish().expect("writing to a Vec cannot fail");
    assert_eq!(finished.properties.entry_count, entries.len() as u64);
    let table = Table::from_bytes("roundtrip", finished.output).expect("fresh table opens");
    check_table(&table, &entries, probes);
}

/// Checks `table` against `entries`, which must be exactly its contents in table order.
fn check_table(table: &Table, entries: &[Entry], probes: &[Vec<u8>]) {
    let all: Vec<Entry> = table.iter(Direction::Forward).collect::<Result<_>>().expect("scan");
    assert_eq!(all, entries, "forward scan");
    let mut back: Vec<Entry> =
        table.iter(Direction::Backward).collect::<Result<_>>().expect("scan");
    back.reverse();
    assert_eq!(back, entries, "backward scan");
    let mut keys: Vec<&[u8]> = entries.iter().map(|entry| entry.key.as_slice()).collect();
    keys.dedup();
    keys.extend(probes.iter().map(Vec::as_slice));
    for &key in &keys {
        let newest = entries.iter().find(|entry| entry.key == key);
        assert_eq!(table.get(key).expect("get").as_ref(), newest, "get {key:?}");
    }
    let bounds: Vec<Bound<&[u8]>> = probes
        .iter()
        .take(6)
        .flat_map(|probe| [Bound::Included(probe.as_slice()), Bound::Excluded(probe.as_slice())])
        .chain([Bound::Unbounded])
        .collect();
    for &start in &bounds {
        for &end in &bounds {
            check_range(table, entries, start, end);
        }
    }
}

fn check_range(table: &Table, entries: &[Entry], start: Bound<&[u8]>, end: Bound<&[u8]>) {
    let expected: Vec<&Entry> =
        entries.iter().filter(|entry| (start, end).contains(&entry.key.as_slice())).collect();
    let forward: Vec<Entry> =
        table.range(start, end, Direction::Forward).collect::<Result<_>>().expect("range");
    assert_eq!(forward.iter().collect::<Vec<_>>(), expected, "range {start:?}..{end:?}");
    let mut backward: Vec<Entry> =
        table.range(start, end, Direction::Backward).collect::<Result<_>>().expect("range");
    backward.reverse();
    assert_eq!(backward.iter().collect::<Vec<_>>(), expected, "backward {start:?}..{end:?}");
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn random_bytes(rng: &mut SmallRng, len_max: usize) -> Vec<u8> {
        let len = rng.gen_range(0..=len_max);
        (0..len).map(|_| rng.gen_range(b'a'..=b'e')).collect()
    }

    fn random_entries(rng: &mut SmallRng) -> Vec<Entry> {
        let count = rng.gen_range(0..200);
        (0..count)
            .map(|_| {
                let key = random_bytes(rng, 6);
                let seqno = rng.gen_range(0..20);
                if rng.gen_bool(0.2) {
                    Entry::tombstone(key, seqno)
                } else {
                    Entry::value(key, seqno, random_bytes(rng, 40))
                }
            })
            .collect()
    }

    #[test]
    fn roundtrip_seeded() {
        for seed in 0..150 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let entries = random_entries(&mut rng);
            let options = WriterOptions {
                block_size_bytes: rng.gen_range(1..600),
                restart_interval: rng.gen_range(1..8),
                bloom_bits_per_key: rng.gen_range(0..16),
            };
            let probes: Vec<Vec<u8>> = (0..6).map(|_| random_bytes(&mut rng, 4)).collect();
            roundtrip(entries, options, &probes);
        }
    }

    #[test]
    fn reseal_keeps_an_undamaged_table_valid_and_damage_reaches_decoders() {
        let seed: Vec<u8> = (0..400u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut image = table_from_seed(&seed);
        let entries =
            Table::from_bytes("seed", image.clone()).expect("valid").properties().entry_count;
        assert!(entries > 50);
        reseal(&mut image);
        assert!(Table::from_bytes("resealed", image.clone()).is_ok());
        // Damage inside the first data block: resealed, it opens, and the damage surfaces as
        // a decoding error or altered (but well-formed) data rather than a checksum error.
        *image.get_mut(3).expect("table longer than 3 bytes") ^= 0x10;
        reseal(&mut image);
        let table = Table::from_bytes("damaged", image).expect("meta blocks untouched");
        let scan: Result<Vec<Entry>> = table.iter(Direction::Forward).collect();
        assert!(!matches!(scan, Err(crate::Error::ChecksumMismatch { .. })), "{scan:?}");
    }

    #[test]
    fn read_arbitrary_seeded() {
        for seed in 0..200 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let options =
                WriterOptions { block_size_bytes: 64, restart_interval: 3, bloom_bits_per_key: 8 };
            let mut writer = TableWriter::new(Vec::new(), options).expect("valid options");
            let mut entries = random_entries(&mut rng);
            entries.sort_by(|a, b| cmp_versions(&a.key, a.seqno, &b.key, b.seqno));
            entries.dedup_by(|a, b| a.key == b.key && a.seqno == b.seqno);
            for entry in entries.iter().take(30) {
                writer.add_entry(entry).expect("sorted");
            }
            let mut bytes = writer.finish().expect("vec").output;
            read_arbitrary(&bytes);
            for _ in 0..rng.gen_range(1..4) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.gen_range(0..bytes.len());
                if let Some(byte) = bytes.get_mut(at) {
                    *byte = rng.gen();
                }
            }
            read_arbitrary(&bytes);
            let random: Vec<u8> = (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect();
            read_arbitrary(&random);
        }
    }
}
