//! Fuzzing entry points of the storage core, also run as seeded unit tests.
//!
//! [`run`] is the model-based check: random operations against a [`Core`] and a `BTreeMap`,
//! every answer compared (fuzz target `core_ops`). [`decode_arbitrary`] feeds arbitrary bytes
//! to the decoders of the core's own on-disk formats, the log record payload and the manifest
//! (fuzz target `core_decode`).
//!
//! Operations: put, delete, batch (puts and deletes across shards), get, forward and backward
//! ranges, taking a snapshot (checked against a copy of the model when later operations ran),
//! flush, compaction, and reopen (clean close, or drop without closing: everything acknowledged
//! must still be there either way).
//!
//! The first byte picks background work (bit 0) and the routing (bit 1: [`Routing::Spaced`]).
//! Under spaced routing keys lead with a space from a few, the last one `0xFFFFFFFF`, and range
//! bounds are often in the same space, or the first key of the next space, so ranges both
//! inside one space (shard after shard) and across spaces (one merge) are compared.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use crate::core::{Batch, Core, Durability, Options, Routing, Snapshot};

/// Byte-driven choices: each call takes the next byte, zeros when the input runs out.
struct Input<'a> {
    bytes: &'a [u8],
    routing: Routing,
}

/// The spaces of keys under spaced routing.
const SPACES: [u32; 4] = [0, 1, 2, u32::MAX];

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.bytes.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.bytes = rest;
        first
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// A key from a small space that spans every shard: a prefix byte (which routes it) and a
    /// suffix byte.
    fn key(&mut self) -> Vec<u8> {
        match self.routing {
            Routing::HashPrefix => self.hashed_key(),
            Routing::Spaced => {
                let space = self.space();
                self.key_in(space)
            }
        }
    }

    fn hashed_key(&mut self) -> Vec<u8> {
        const PREFIXES: [u8; 6] = [0x00, 0x3f, 0x40, 0x80, 0xbf, 0xff];
        let prefix = PREFIXES[usize::from(self.byte()) % PREFIXES.len()];
        let suffix = self.byte() % 24;
        if suffix % 5 == 0 {
            vec![prefix]
        } else {
            vec![prefix, 0, suffix]
        }
    }

    fn space(&mut self) -> u32 {
        SPACES[usize::from(self.byte()) % SPACES.len()]
    }

    /// A key of `space` under spaced routing: mostly `space | hash key`, sometimes the space's
    /// four bytes alone (which sort first in the space and route to shard 0).
    fn key_in(&mut self, space: u32) -> Vec<u8> {
        let mut key = space.to_be_bytes().to_vec();
        if self.byte() % 8 != 0 {
            key.extend(self.hashed_key());
        }
        key
    }

    /// An end bound for a range whose start is in `space`: often in the same space, or the
    /// first key of the next one in its forms (`space + 1`, trailing zeros trimmed or not).
    fn spaced_end(&mut self, space: u32) -> Bound<Vec<u8>> {
        let next = space.wrapping_add(1).to_be_bytes();
        match self.byte() % 6 {
            0 => Bound::Excluded(next.to_vec()),
            1 => {
                let zeros = next.iter().rev().take_while(|&&b| b == 0).count();
                Bound::Excluded(next[..next.len() - zeros].to_vec())
            }
            2 => Bound::Excluded([&next[..], &[0, 0]].concat()),
            3 => self.bound(),
            _ => match self.byte() % 3 {
                0 => Bound::Unbounded,
                1 => Bound::Included(self.key_in(space)),
                _ => Bound::Excluded(self.key_in(space)),
            },
        }
    }

    fn value(&mut self, counter: u64) -> Vec<u8> {
        let size = match self.byte() % 8 {
            0 => 0,
            7 => 3000,
            n => usize::from(n) * 20,
        };
        let mut value = counter.to_le_bytes().to_vec();
        value.resize(size.max(8), (counter % 251) as u8);
        value
    }

    fn bound(&mut self) -> Bound<Vec<u8>> {
        match self.byte() % 3 {
            0 => Bound::Unbounded,
            1 => Bound::Included(self.key()),
            _ => Bound::Excluded(self.key()),
        }
    }

    /// A range's bounds: independent ones, or under spaced routing mostly a start in some space
    /// and an end chosen by [`Input::spaced_end`].
    fn bounds(&mut self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        if self.routing == Routing::HashPrefix || self.byte() % 4 == 0 {
            return (self.bound(), self.bound());
        }
        let space = self.space();
        let start = match self.byte() % 4 {
            0 => Bound::Unbounded,
            1 => Bound::Excluded(self.key_in(space)),
            _ => Bound::Included(self.key_in(space)),
        };
        let space = if matches!(start, Bound::Unbounded) { 0 } else { space };
        (start, self.spaced_end(space))
    }
}

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Decodes `bytes` as a log record payload and as a manifest; neither may panic, and a payload
/// that decodes must re-encode to the same bytes.
///
/// # Panics
/// If a decoder panics or a decoded payload does not round-trip.
pub fn decode_arbitrary(bytes: &[u8]) {
    if let Ok(ops) = crate::core::batch::decode(bytes) {
        let mut batch = Batch::new();
        for op in &ops {
            match op.kind {
                basalt_sstable::Kind::Value => batch.put(op.key, op.value),
                basalt_sstable::Kind::Tombstone => batch.delete(op.key),
            };
        }
        assert_eq!(batch.into_payload().ok().as_deref(), Some(bytes), "payload round trip");
    }
    if let Ok(manifest) = crate::core::manifest::Manifest::decode(bytes, Path::new("fuzz")) {
        assert_eq!(manifest.encode(), bytes, "manifest round trip");
    }
}

fn options(background: bool, routing: Routing) -> Options {
    Options {
        durability: Durability::Buffered,
        shards: 4,
        memory_budget_bytes: 64 << 10,
        table_target_bytes: 8 << 10,
        level_base_bytes: 16 << 10,
        wal_segment_bytes: 32 << 10,
        background,
        routing,
    }
}

/// Runs the operations `bytes` describe against a store in `dir` (which must be empty) and a
/// model, panicking at the first disagreement.
///
/// # Panics
/// On any disagreement or error.
pub fn run(bytes: &[u8], dir: &Path) {
    let mut input = Input { bytes, routing: Routing::HashPrefix };
    let first = input.byte();
    let background = first & 1 == 1;
    input.routing = if first & 2 == 2 { Routing::Spaced } else { Routing::HashPrefix };
    let options = options(background, input.routing);
    let mut core = Some(Core::open(dir, options.clone()).expect("open"));
    let mut model = Model::new();
    let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
    let mut counter = 0u64;
    while !input.is_empty() {
        counter += 1;
        let store = core.as_ref().expect("store is open");
        match input.byte() % 16 {
            0..=3 => {
                let (key, value) = (input.key(), input.value(counter));
                store.put(&key, &value).expect("put");
                model.insert(key, value);
            }
            4 | 5 => {
                let key = input.key();
                store.delete(&key).expect("delete");
                model.remove(&key);
            }
            6 | 7 => batch(&mut input, store, &mut model, counter),
            8 => {
                let key = input.key();
                let got = store.get(&key).expect("get").map(|v| v.to_vec());
                assert_eq!(got, model.get(&key).cloned(), "get {key:?}");
            }
            9 | 10 => check_range(&mut input, &store.snapshot(), &model),
            11 => {
                if snapshots.len() == 3 {
                    snapshots.remove(0);
                }
                snapshots.push((store.snapshot(), model.clone()));
            }
            12 => {
                if let Some((snapshot, frozen_model)) = snapshots.first() {
                    check_range(&mut input, snapshot, frozen_model);
                }
            }
            13 => store.flush().expect("flush"),
            14 => store.compact().expect("compact"),
            _ => {
                let store = core.take().expect("store is open");
                if input.byte() % 2 == 0 {
                    store.close().expect("close");
                } else {
                    drop(store);
                }
                core = Some(Core::open(dir, options.clone()).expect("reopen"));
            }
        }
        #[cfg(any(test, feature = "verify"))]
        core.as_ref().expect("store is open").check_invariants();
    }
    let store = core.take().expect("store is open");
    finish(store, dir, options, &model, snapshots);
}

/// The final checks of [`run`]: the store and the snapshots agree with their models, and so
/// does the store after a clean reopen, asked for with the other routing (the manifest's rule
/// wins).
fn finish(store: Core, dir: &Path, options: Options, model: &Model, snaps: Vec<(Snapshot, Model)>) {
    let routing = options.routing;
    check_all(&store.snapshot(), model);
    for (snapshot, frozen_model) in &snaps {
        check_all(snapshot, frozen_model);
    }
    drop(snaps);
    store.close().expect("final close");
    let other = match routing {
        Routing::HashPrefix => Routing::Spaced,
        Routing::Spaced => Routing::HashPrefix,
    };
    let store = Core::open(dir, Options { routing: other, ..options }).expect("final reopen");
    assert_eq!(store.routing(), routing);
    check_all(&store.snapshot(), model);
}

fn batch(input: &mut Input<'_>, store: &Core, model: &mut Model, counter: u64) {
    let mut batch = Batch::new();
    let mut changes = Vec::new();
    for _ in 0..=input.byte() % 6 {
        let key = input.key();
        if input.byte() % 3 == 0 {
            batch.delete(&key);
            changes.push((key, None));
        } else {
            let value = input.value(counter);
            batch.put(&key, &value);
            changes.push((key, Some(value)));
        }
    }
    store.write(batch).expect("batch");
    for (key, value) in changes {
        match value {
            Some(value) => model.insert(key, value),
            None => model.remove(&key),
        };
    }
}

fn check_range(input: &mut Input<'_>, snapshot: &Snapshot, model: &Model) {
    let (start, end) = input.bounds();
    let inverted = match (&start, &end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Included(e) | Bound::Excluded(e)) => {
            s >= e
        }
        _ => false,
    };
    let expected: Vec<(Vec<u8>, Vec<u8>)> = if inverted {
        Vec::new()
    } else {
        model.range((start.clone(), end.clone())).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let bounds = (start.as_ref().map(Vec::as_slice), end.as_ref().map(Vec::as_slice));
    let reverse = input.byte() % 2 == 1;
    let got: Vec<(Vec<u8>, Vec<u8>)> = if reverse {
        snapshot
            .range_rev(bounds)
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
            .collect::<Result<_, _>>()
    } else {
        snapshot
            .range(bounds)
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
            .collect::<Result<_, _>>()
    }
    .expect("range");
    let expected: Vec<_> = if reverse { expected.into_iter().rev().collect() } else { expected };
    assert_eq!(got, expected, "range {start:?}..{end:?} reverse={reverse}");
}

fn check_all(snapshot: &Snapshot, model: &Model) {
    let got: Vec<(Vec<u8>, Vec<u8>)> = snapshot
        .range(..)
        .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<Result<_, _>>()
        .expect("full scan");
    let expected: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(got.len(), expected.len(), "entry count");
    assert_eq!(got, expected, "full contents");
    for (key, value) in model {
        assert_eq!(
            snapshot.get(key).expect("get").as_deref(),
            Some(value.as_slice()),
            "get {key:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn seeded_decodes_never_panic() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..64);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            if let Some(first) = bytes.first_mut() {
                *first = 1; // the payload format byte, to get past the first check
            }
            super::decode_arbitrary(&bytes);
        }
    }

    #[test]
    fn seeded_runs_agree_with_the_model() {
        let seeds: u64 =
            std::env::var("BASALT_MODEL_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
        for seed in 0..seeds {
            let mut rng = SmallRng::seed_from_u64(seed);
            let len = rng.gen_range(200..3000);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            // Odd seeds run with spaced routing, even ones with hash-prefix routing.
            bytes[0] = (bytes[0] & !2) | (u8::from(seed % 2 == 1) << 1);
            let dir = tempfile::tempdir().expect("tempdir");
            let result = std::panic::catch_unwind(|| super::run(&bytes, dir.path()));
            assert!(result.is_ok(), "seed {seed} failed");
        }
    }
}
