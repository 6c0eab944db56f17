//! A data set several times the memory budget: written through the normal write path (so the
//! live trees freeze and flush in the background as they fill), read back after a reopen from
//! SSTables through memory maps. Checks every value by point read and by a full scan, that
//! memory held in trees stays within the budget's bounds while writing, and that the data did
//! leave memory (SSTables hold nearly all of it).

use basalt::core::{Batch, Core, Options};

const BUDGET_BYTES: usize = 1 << 20;
const ITEMS: u64 = 24_000;
const VALUE_BYTES: usize = 200;

fn key(i: u64) -> Vec<u8> {
    let mut key = i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
    key.extend_from_slice(&i.to_be_bytes());
    key
}

fn value(i: u64) -> Vec<u8> {
    let mut value = i.to_le_bytes().to_vec();
    value.resize(VALUE_BYTES, (i % 251) as u8);
    value
}

fn options() -> Options {
    Options {
        shards: 4,
        memory_budget_bytes: BUDGET_BYTES,
        table_target_bytes: 512 << 10,
        level_base_bytes: 2 << 20,
        ..Options::default()
    }
}

#[test]
fn four_times_the_memory_budget_reads_back_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Core::open(dir.path(), options()).expect("open");
    let mut peak_frozen_bytes = 0;
    for chunk in 0..ITEMS / 100 {
        let mut batch = Batch::new();
        for i in chunk * 100..(chunk + 1) * 100 {
            batch.put(key(i), value(i));
        }
        core.write(batch).expect("write");
        peak_frozen_bytes = peak_frozen_bytes.max(core.stats().memory_bytes);
    }
    let data_bytes = ITEMS as usize * (16 + VALUE_BYTES);
    assert!(data_bytes >= 4 * BUDGET_BYTES, "the data set is at least 4x the budget");
    // Frozen trees may hold up to the other half of the budget, plus the trees in flight.
    assert!(
        peak_frozen_bytes <= 2 * BUDGET_BYTES,
        "frozen trees peaked at {peak_frozen_bytes} bytes"
    );
    core.close().expect("close");

    let core = Core::open(dir.path(), options()).expect("reopen");
    let stats = core.stats();
    assert_eq!(stats.live_entries, 0, "a clean close leaves nothing to replay");
    assert!(stats.table_bytes as usize >= data_bytes / 2, "data is in SSTables: {stats:?}");
    for i in (0..ITEMS).step_by(7) {
        assert_eq!(
            core.get(&key(i)).expect("get").as_deref(),
            Some(value(i).as_slice()),
            "item {i}"
        );
    }
    let snapshot = core.snapshot();
    let mut count = 0;
    for entry in snapshot.range(..) {
        let (k, v) = entry.expect("scan");
        let i = u64::from_be_bytes(k[8..].try_into().expect("8-byte index"));
        assert_eq!(*v, *value(i), "item {i} in the scan");
        count += 1;
    }
    assert_eq!(count, ITEMS);
    core.check_invariants();
}
