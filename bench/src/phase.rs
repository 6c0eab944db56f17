//! One timed phase: threads that repeat an operation until a deadline, with latencies.

use crate::{Engine, Latencies, LatencySummary, Result, Session};
use rand::{rngs::SmallRng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Barrier,
    },
    thread,
    time::{Duration, Instant},
};

/// What a phase runs.
#[derive(Debug, Clone)]
pub struct PhaseSpec {
    /// Its name in the report (`"1 thread"`, `"put"`).
    pub name: String,
    /// Threads, each with its own session.
    pub threads: usize,
    /// How long the threads keep starting operations.
    pub seconds: f64,
    /// The most operations all threads together start, if capped.
    pub ops_max: Option<u64>,
}

/// An operation: a thread's session, its random source, and the phase-wide operation number
/// (unique across threads, from 0).
pub type Operation<'a> = dyn Fn(&mut dyn Session, &mut SmallRng, u64) -> Result<()> + Sync + 'a;

/// What one phase measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseReport {
    /// The phase's name.
    pub name: String,
    /// Threads.
    pub threads: usize,
    /// Operations completed (items, for a load).
    pub ops: u64,
    /// Wall-clock seconds from the start of the first operation to the end of the last.
    pub seconds: f64,
    /// `ops / seconds`.
    pub ops_per_sec: f64,
    /// Per-operation latency percentiles, where operations were timed one by one.
    pub latency: Option<LatencySummary>,
}

impl PhaseReport {
    /// A report of `ops` operations in `elapsed`, not timed one by one.
    #[must_use]
    pub fn without_latency(name: &str, threads: usize, ops: u64, elapsed: Duration) -> Self {
        let seconds = elapsed.as_secs_f64();
        let ops_per_sec = ops as f64 / seconds.max(f64::MIN_POSITIVE);
        Self { name: name.to_owned(), threads, ops, seconds, ops_per_sec, latency: None }
    }
}

/// Runs `operation` on `spec.threads` threads until `spec.seconds` pass (or `spec.ops_max`
/// operations started), timing each call.
///
/// # Errors
///
/// The first error an operation or a session returned; the other threads stop at their next
/// operation.
pub fn run_phase(
    engine: &dyn Engine,
    spec: &PhaseSpec,
    seed: u64,
    operation: &Operation<'_>,
) -> Result<PhaseReport> {
    assert!(spec.threads > 0, "a phase has threads");
    let shared = Shared {
        next_op: AtomicU64::new(0),
        failed: AtomicBool::new(false),
        ops_max: spec.ops_max.unwrap_or(u64::MAX),
        duration: Duration::from_secs_f64(spec.seconds),
        // Sessions open before the clock starts; the coordinating thread waits here too.
        ready: Barrier::new(spec.threads + 1),
    };
    let (elapsed, results) = thread::scope(|scope| {
        let workers: Vec<_> = (0..spec.threads)
            .map(|thread| {
                let rng = SmallRng::seed_from_u64(seed ^ (thread as u64).wrapping_mul(0x9E37_79B9));
                let shared = &shared;
                scope.spawn(move || worker(engine, shared, rng, operation))
            })
            .collect();
        shared.ready.wait();
        let start = Instant::now();
        let results: Vec<_> =
            workers.into_iter().map(|w| w.join().expect("worker threads do not panic")).collect();
        (start.elapsed(), results)
    });
    let mut latencies = Latencies::new();
    for result in results {
        latencies.merge(&result?);
    }
    let mut report =
        PhaseReport::without_latency(&spec.name, spec.threads, latencies.count(), elapsed);
    report.latency = Some(latencies.summary());
    Ok(report)
}

/// What the threads of a phase share.
struct Shared {
    next_op: AtomicU64,
    failed: AtomicBool,
    ops_max: u64,
    duration: Duration,
    ready: Barrier,
}

fn worker(
    engine: &dyn Engine,
    shared: &Shared,
    mut rng: SmallRng,
    operation: &Operation<'_>,
) -> Result<Latencies> {
    let session = engine.session();
    shared.ready.wait();
    let mut session = session?;
    let mut latencies = Latencies::new();
    let deadline = Instant::now() + shared.duration;
    let mut now = Instant::now();
    while now < deadline {
        // ORDERING: Relaxed: the counter only hands out unique numbers; no other memory is
        // published through it.
        let op = shared.next_op.fetch_add(1, Ordering::Relaxed);
        // ORDERING: Relaxed: stopping the other threads early is only an optimization; the
        // error itself travels through the thread's result.
        if op >= shared.ops_max || shared.failed.load(Ordering::Relaxed) {
            break;
        }
        if let Err(error) = operation(session.as_mut(), &mut rng, op) {
            // ORDERING: Relaxed: see the load above.
            shared.failed.store(true, Ordering::Relaxed);
            return Err(error);
        }
        let end = Instant::now();
        latencies.record(end - now);
        now = end;
    }
    Ok(latencies)
}
