//! Process crash test of the storage core: a child process writes puts, deletes and two-key
//! batches with `Sync` durability from several threads, with a memory budget small enough that
//! freezes, flushes and compactions run all the time, and reports every acknowledged write on
//! stdout; the parent kills it with SIGKILL at a random moment (sometimes while it is still
//! recovering), reopens the store and checks every key: it holds its last acknowledged state,
//! or the effect of the one write its thread had in flight (a batch entirely or not at all).
//! No acknowledged write is lost and no acknowledged delete comes back. `BASALT_CRASH_CYCLES`
//! sets the number of cycles (50 by default).
//!
//! Each thread owns its keys and writes them one at a time, so its in-flight write is the one
//! after its last acknowledgement, which the parent recomputes from the same deterministic
//! sequence. The child is this test binary, re-run with only `crash_child` selected.

mod common;

use common::{ack, report, spawn_child};

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt::core::{Batch, Core, Options};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const CHILD_ENV: &str = "BASALT_CORE_CRASH_CHILD";
const RUN_ENV: &str = "BASALT_CORE_CRASH_RUN";
const THREADS: u64 = 3;
const KEYS_PER_THREAD: u64 = 300;

fn options() -> Options {
    Options {
        shards: 4,
        memory_budget_bytes: 256 << 10,
        table_target_bytes: 64 << 10,
        level_base_bytes: 256 << 10,
        wal_segment_bytes: 128 << 10,
        ..Options::default()
    }
}

/// Key `index` of `thread`: a hash prefix (spreading keys over shards), then the owner.
fn key(thread: u64, index: u64) -> Vec<u8> {
    let mut key = common::mix(thread << 32 | index).to_be_bytes().to_vec();
    key.extend_from_slice(&thread.to_be_bytes());
    key.extend_from_slice(&index.to_be_bytes());
    key
}

/// The `counter`-th write of `thread` in process `run`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Write1 {
    Put(u64, Vec<u8>),
    Delete(u64),
    /// Two puts in one batch (usually in different shards).
    Pair(u64, u64, Vec<u8>),
}

fn write_for(run: u64, thread: u64, counter: u64) -> Write1 {
    let h = common::mix(run << 48 | thread << 40 | counter);
    let index = h % KEYS_PER_THREAD;
    let value_len = 20 + (h >> 20) as usize % 300;
    let value: Vec<u8> = format!("{run}/{thread}/{counter}/")
        .into_bytes()
        .into_iter()
        .cycle()
        .take(value_len)
        .collect();
    match (h >> 8) % 8 {
        0 | 1 => Write1::Delete(index),
        2 => Write1::Pair(
            index,
            (index + 1 + (h >> 40) % (KEYS_PER_THREAD - 1)) % KEYS_PER_THREAD,
            value,
        ),
        _ => Write1::Put(index, value),
    }
}

/// What `write` does to the owner's keys.
fn effects(write: &Write1) -> Vec<(u64, Option<Vec<u8>>)> {
    match write {
        Write1::Put(index, value) => vec![(*index, Some(value.clone()))],
        Write1::Delete(index) => vec![(*index, None)],
        Write1::Pair(a, b, value) => vec![(*a, Some(value.clone())), (*b, Some(value.clone()))],
    }
}

#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let run: u64 = std::env::var(RUN_ENV).expect("run").parse().expect("number");
    let core = Arc::new(Core::open(&dir, options()).expect("child open"));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let core = core.clone();
            std::thread::spawn(move || {
                for counter in 0.. {
                    let result = match write_for(run, thread, counter) {
                        Write1::Put(index, value) => core.put(&key(thread, index), &value),
                        Write1::Delete(index) => core.delete(&key(thread, index)),
                        Write1::Pair(a, b, value) => {
                            let mut batch = Batch::new();
                            batch.put(key(thread, a), &value).put(key(thread, b), &value);
                            core.write(batch)
                        }
                    };
                    result.expect("write");
                    report(&format!("{thread} {counter}"));
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
}

/// Starts a child, lets it write for `millis`, SIGKILLs it; returns each thread's last
/// acknowledged counter and how long before the kill the last acknowledgement arrived.
fn run_child(dir: &Path, run: u64, millis: u64) -> (BTreeMap<u64, u64>, Option<Duration>) {
    let mut child = spawn_child("crash_child", (CHILD_ENV, dir), (RUN_ENV, run));
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut last = BTreeMap::new();
        let mut last_at = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut words = ack(&line).into_iter().flat_map(|l| l.split(' '));
            let thread = words.next().and_then(|w| w.parse::<u64>().ok());
            let counter = words.next().and_then(|w| w.parse::<u64>().ok());
            if let (Some(thread), Some(counter)) = (thread, counter) {
                last_at = Some(Instant::now());
                let previous = last.insert(thread, counter);
                assert_eq!(previous.map_or(0, |p| p + 1), counter, "thread {thread} acks in order");
            }
        }
        (last, last_at)
    });
    std::thread::sleep(Duration::from_millis(millis));
    let killed_at = Instant::now();
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    let (last, last_at) = reader.join().expect("reader thread");
    (last, last_at.map(|at| killed_at.saturating_duration_since(at)))
}

#[test]
fn acknowledged_writes_survive_sigkill_during_flushes_and_compactions() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: u64 = std::env::var("BASALT_CRASH_CYCLES").map_or(50, |v| v.parse().expect("n"));
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path().join("store");
    let mut rng = SmallRng::seed_from_u64(0xc0de);
    // The state every key must have (None: absent), per thread and key index.
    let mut expected: BTreeMap<(u64, u64), Option<Vec<u8>>> = BTreeMap::new();
    let (mut acked_total, mut in_flight_applied) = (0u64, 0u64);
    for run in 0..cycles {
        // Every tenth run is long, and must still be making progress when it is killed: a
        // deadlock (writers stalled behind a flush, a lost wake-up) shows as silence.
        let millis = if run % 10 == 5 { 4_000 } else { rng.gen_range(30..400) };
        let (last, silent_for) = run_child(&dir, run, millis);
        if millis >= 4_000 {
            let silent_for = silent_for.unwrap_or(Duration::MAX);
            assert!(
                silent_for < Duration::from_millis(2_000),
                "run {run}: no write acknowledged for {silent_for:?} before the kill"
            );
        }
        // Apply the acknowledged writes; remember each thread's in-flight write.
        let mut in_flight = BTreeMap::new();
        for thread in 0..THREADS {
            let acked = last.get(&thread).map_or(0, |&c| c + 1);
            acked_total += acked;
            for counter in 0..acked {
                for (index, state) in effects(&write_for(run, thread, counter)) {
                    expected.insert((thread, index), state);
                }
            }
            in_flight.insert(thread, effects(&write_for(run, thread, acked)));
        }
        let core =
            Core::open(&dir, options()).unwrap_or_else(|e| panic!("run {run}: reopen failed: {e}"));
        for thread in 0..THREADS {
            let flight = &in_flight[&thread];
            let mut matches_flight = 0;
            let mut differs_from_expected = 0;
            for index in 0..KEYS_PER_THREAD {
                let actual = core.get(&key(thread, index)).expect("get").map(|v| v.to_vec());
                let want = expected.get(&(thread, index)).cloned().flatten();
                if actual != want {
                    differs_from_expected += 1;
                    let allowed = flight.iter().any(|(i, state)| *i == index && *state == actual);
                    assert!(allowed, "run {run}: thread {thread} key {index}: found {actual:?}, acknowledged {want:?}");
                }
                if flight.iter().any(|(i, state)| *i == index && *state == actual) {
                    matches_flight += 1;
                }
            }
            if differs_from_expected > 0 {
                // The in-flight write landed: all of it (a batch is atomic).
                assert_eq!(
                    matches_flight,
                    flight.len(),
                    "run {run}: thread {thread}: part of a batch survived"
                );
                in_flight_applied += 1;
                for (index, state) in flight {
                    expected.insert((thread, *index), state.clone());
                }
            }
        }
        core.check_invariants();
        if run % 10 == 9 {
            core.close().expect("close");
        }
    }
    assert!(acked_total > cycles * THREADS, "the children acknowledged writes");
    let stats = Core::open(&dir, options()).expect("final open").stats();
    assert!(stats.tables_per_level.len() >= 2, "flushes and compactions ran: {stats:?}");
    eprintln!(
        "{cycles} SIGKILL cycles, {acked_total} acknowledged writes, {in_flight_applied} \
         unacknowledged writes found applied; {stats:?}"
    );
}
