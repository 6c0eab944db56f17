//! Regression test for the review of `Core::write_with`: failed before its fix.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::core::{Batch, Core, Durability, Error, Options, Routing};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

fn key(shard: u8, name: &str) -> Vec<u8> {
    let mut key = vec![shard * 0x80, 0, 0, 0, 0, 0, 0, 0];
    key.extend_from_slice(name.as_bytes());
    key
}

/// A value write_with's decide saw in a shard it did not write must be visible to a plain
/// get once write_with has returned (the (None, _) path guarantees this; the write path not).
#[test]
fn a_value_seen_in_an_unwritten_shard_is_visible_after_return() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        shards: 2,
        durability: Durability::Sync,
        routing: Routing::HashPrefix,
        ..Options::default()
    };
    let core = Core::open(dir.path(), options).unwrap();
    let (a, b) = (key(0, "a"), key(1, "b"));
    let stop = AtomicBool::new(false);
    let violations = AtomicU64::new(0);
    let checks = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            let (core, b, stop) = (&core, &b, &stop);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // monotone counter in B via write_with on B only
                    core.write_with(&[b.as_slice()], |v| {
                        let cur = v[0]
                            .as_ref()
                            .map_or(0, |x| u64::from_le_bytes(x[..8].try_into().unwrap()));
                        let mut batch = Batch::new();
                        batch.put(b, (cur + 1).to_le_bytes());
                        Ok::<_, Error>((batch, ()))
                    })
                    .unwrap();
                }
            });
        }
        for _ in 0..3 {
            let (core, a, b, stop, violations, checks) =
                (&core, &a, &b, &stop, &violations, &checks);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (_, seen) = core
                        .write_with(&[a.as_slice(), b.as_slice()], |v| {
                            let seen = v[1]
                                .as_ref()
                                .map_or(0, |x| u64::from_le_bytes(x[..8].try_into().unwrap()));
                            let mut batch = Batch::new();
                            batch.put(a, seen.to_le_bytes());
                            Ok::<_, Error>((batch, seen))
                        })
                        .unwrap();
                    let now = core
                        .get(b)
                        .unwrap()
                        .map_or(0, |x| u64::from_le_bytes(x[..8].try_into().unwrap()));
                    checks.fetch_add(1, Ordering::Relaxed);
                    if now < seen {
                        violations.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
    });
    let (v, n) = (violations.load(Ordering::Relaxed), checks.load(Ordering::Relaxed));
    assert!(n > 0, "no check ran");
    assert_eq!(v, 0, "{v} of {n} times write_with returned a value of B a later get did not see");
}
