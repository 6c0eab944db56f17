//! Timed runs: N connections in a closed loop or at a fixed open-loop rate, a warm-up, then a
//! measured window in which latencies, errors and the server's CPU time are taken.

use crate::client::{Answer, Connection, Endpoint};
use crate::cpu;
use crate::items::Bodies;
use basalt_bench::{Latencies, Zipfian, ZIPFIAN_CONSTANT};
use rand::{rngs::SmallRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What each request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// PutItem of new ~1 KB items (keys past the preloaded set).
    Put,
    /// GetItem of uniformly random preloaded items; an answer without the item is an error.
    Get,
    /// YCSB A: 50% GetItem, 50% PutItem overwrites, zipfian (0.99) over the preloaded items.
    YcsbA,
    /// Query of the 100 items of a random partition; an answer without all 100 is an error.
    Query,
    /// `GET /`, unsigned and without a body (a health check, where the server has one): the
    /// cost of HTTP and the network alone, the floor under every other workload.
    Health,
}

/// The pseudo-operation of [`Workload::Health`].
const HEALTH: &str = "GET /";

/// One timed run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The workload.
    pub workload: Workload,
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Total requests per second across connections (open loop), or `None` (closed loop).
    pub rate: Option<f64>,
    /// Unmeasured time before the window.
    pub warmup: Duration,
    /// The measured window.
    pub measure: Duration,
    /// Items preloaded by `loadgen load`.
    pub items: u64,
    /// Seed of the key choices.
    pub seed: u64,
    /// The server's process id, for its CPU time.
    pub server_pid: Option<String>,
}

/// The figures of one run; one JSON line on standard output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// Free-form name of the server (`--label`).
    pub label: String,
    /// The workload.
    pub workload: Workload,
    /// Connections.
    pub connections: usize,
    /// Target rate of an open-loop run.
    pub rate: Option<f64>,
    /// Successful requests answered in the window.
    pub requests: u64,
    /// Requests that failed in the window (HTTP status other than 200, a transport error, or
    /// a GetItem answer without the item).
    pub errors: u64,
    /// Length of the window, seconds.
    pub seconds: f64,
    /// Successful requests per second.
    pub throughput: f64,
    /// Median latency, µs (from the intended send time in an open-loop run).
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// 99.9th percentile, µs.
    pub p999_us: f64,
    /// Server CPU time (user + system) in the window per request answered, µs.
    pub server_cpu_us_per_request: Option<f64>,
    /// This process's CPU time per request, µs (the client shares the machine).
    pub client_cpu_us_per_request: Option<f64>,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

/// State the connections share.
struct Shared {
    spec: RunSpec,
    bodies: Bodies,
    zipfian: Option<Zipfian>,
    next_new_key: AtomicU64,
    window_start: Instant,
    window_end: Instant,
    /// Open loop: the intended send times, from the pacer thread.
    tickets: Option<tokio::sync::Mutex<mpsc::UnboundedReceiver<Instant>>>,
}

/// What one connection measured in the window.
#[derive(Default)]
struct Outcome {
    latencies: Latencies,
    errors: u64,
    first_error: Option<String>,
}

impl Outcome {
    /// Counts one failed request.
    fn error(&mut self, message: String) {
        self.errors += 1;
        self.first_error.get_or_insert(message);
    }

    /// Adds a connection's outcome (or the failure of its task).
    fn merge(&mut self, other: Result<Outcome, String>) {
        match other {
            Ok(other) => {
                self.latencies.merge(&other.latencies);
                self.errors += other.errors;
                if let Some(message) = other.first_error {
                    self.first_error.get_or_insert(message);
                }
            }
            Err(message) => self.error(message),
        }
    }
}

/// Runs `spec` against `endpoint` and measures it; `label` names the server in the result.
pub async fn run(endpoint: &Endpoint, spec: RunSpec, table: &str, label: &str) -> RunResult {
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let bodies = Bodies::new(table, spec.items, &mut rng);
    let zipfian = (spec.workload == Workload::YcsbA && spec.items >= 2)
        .then(|| Zipfian::new(spec.items, ZIPFIAN_CONSTANT));
    // New keys start at a random point past the preloaded set, so repeated put runs insert.
    let first_new_key = spec.items + rng.gen_range(0..1u64 << 40);
    let window_start = Instant::now() + spec.warmup;
    let window_end = window_start + spec.measure;
    let (tickets, pacer) = match spec.rate.filter(|r| r.is_finite() && *r > 0.0) {
        Some(rate) => {
            let (sender, receiver) = mpsc::unbounded_channel();
            let pacer = std::thread::spawn(move || pace(rate, window_end, &sender));
            (Some(tokio::sync::Mutex::new(receiver)), Some(pacer))
        }
        None => (None, None),
    };
    let shared = Arc::new(Shared {
        window_end,
        window_start,
        next_new_key: AtomicU64::new(first_new_key),
        bodies,
        zipfian,
        tickets,
        spec: spec.clone(),
    });
    let workers: Vec<_> = (0..spec.connections)
        .map(|id| tokio::spawn(connection(id, shared.clone(), endpoint.clone())))
        .collect();
    let ticks_per_second = cpu::clock_ticks_per_second();
    let server_pid = spec.server_pid.as_deref();
    tokio::time::sleep_until(window_start).await;
    let before = (server_pid.and_then(cpu::cpu_ticks), cpu::cpu_ticks("self"));
    tokio::time::sleep_until(shared.window_end).await;
    let after = (server_pid.and_then(cpu::cpu_ticks), cpu::cpu_ticks("self"));
    let mut total = Outcome::default();
    for worker in workers {
        total.merge(worker.await.map_err(|e| format!("connection task failed: {e}")));
    }
    if let Some(pacer) = pacer {
        // It has returned: the connections only stop once it dropped its sender.
        let _ = pacer.join();
    }
    let requests = total.latencies.count();
    let per_request = |b: Option<u64>, a: Option<u64>| {
        let ticks = a?.checked_sub(b?)?;
        let cpu = cpu::ticks_to_duration(ticks, ticks_per_second);
        (requests > 0).then(|| cpu.as_secs_f64() * 1e6 / requests as f64)
    };
    let summary = total.latencies.summary();
    let seconds = spec.measure.as_secs_f64();
    RunResult {
        label: label.to_owned(),
        workload: spec.workload,
        connections: spec.connections,
        rate: spec.rate,
        requests,
        errors: total.errors,
        seconds,
        throughput: requests as f64 / seconds,
        p50_us: summary.p50_us,
        p99_us: summary.p99_us,
        p999_us: summary.p999_us,
        server_cpu_us_per_request: per_request(before.0, after.0),
        client_cpu_us_per_request: per_request(before.1, after.1),
        first_error: total.first_error,
    }
}

/// One connection's loop: closed (send when the answer arrives) until the window ends, or
/// open (take the next intended send time from the pacer, shared by all connections, and
/// measure from it: when every connection is busy, tickets queue up and their wait counts).
async fn connection(id: usize, shared: Arc<Shared>, endpoint: Endpoint) -> Outcome {
    let mut rng = SmallRng::seed_from_u64(shared.spec.seed ^ (id as u64 + 1).wrapping_mul(0x9E37));
    let mut conn = Connection::new(&endpoint);
    let mut outcome = Outcome::default();
    loop {
        let start = match &shared.tickets {
            Some(tickets) => match tickets.lock().await.recv().await {
                Some(intended) => intended,
                None => break,
            },
            None => Instant::now(),
        };
        if start >= shared.window_end {
            break;
        }
        let (operation, body, check) = next_request(&shared, &mut rng);
        let result = match operation {
            HEALTH => conn.get_root().await,
            _ => conn.call(operation, body).await,
        };
        let done = Instant::now();
        let in_window = match shared.tickets {
            Some(_) => start >= shared.window_start,
            None => done >= shared.window_start && done <= shared.window_end,
        };
        let failed = result.is_err();
        if in_window {
            record(&mut outcome, result, check, done - start);
        }
        if failed {
            // Do not spin on a refused connection.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    outcome
}

/// The open loop's pacer (a thread: `thread::sleep` is precise to tens of microseconds, the
/// runtime's timer only to a millisecond): sends the intended time of request `k`,
/// `start + k / rate`, at that time, until `end`.
fn pace(rate: f64, end: Instant, sender: &mpsc::UnboundedSender<Instant>) {
    let start = std::time::Instant::now();
    let end = end.into_std();
    for k in 0u64.. {
        let intended = start + Duration::from_secs_f64(k as f64 / rate);
        if intended >= end {
            return;
        }
        if let Some(wait) = intended.checked_duration_since(std::time::Instant::now()) {
            std::thread::sleep(wait);
        }
        if sender.send(Instant::from_std(intended)).is_err() {
            return;
        }
    }
}

/// What a successful answer must contain.
#[derive(Clone, Copy)]
enum Check {
    Nothing,
    Item,
    /// The answer holds a whole partition: `"Count":100` (with or without a space).
    Partition,
}

/// The next request of the workload: operation, body, and the check of its answer.
fn next_request(shared: &Shared, rng: &mut SmallRng) -> (&'static str, String, Check) {
    let bodies = &shared.bodies;
    let items = shared.spec.items.max(1);
    match shared.spec.workload {
        Workload::Put => {
            // ORDERING: Relaxed: hands out distinct key numbers; nothing else is published.
            let index = shared.next_new_key.fetch_add(1, Ordering::Relaxed);
            ("PutItem", bodies.put(index, rng), Check::Nothing)
        }
        Workload::Get => ("GetItem", bodies.get(rng.gen_range(0..items)), Check::Item),
        Workload::YcsbA => {
            let index = shared.zipfian.as_ref().map_or(0, |z| z.next_index(rng));
            if rng.gen_bool(0.5) {
                ("GetItem", bodies.get(index), Check::Item)
            } else {
                ("PutItem", bodies.put(index, rng), Check::Nothing)
            }
        }
        Workload::Query => {
            let partition = rng.gen_range(0..bodies.partitions());
            ("Query", bodies.query(partition), Check::Partition)
        }
        Workload::Health => (HEALTH, String::new(), Check::Nothing),
    }
}

/// Records one answer: its latency if it succeeded, an error otherwise.
fn record(outcome: &mut Outcome, result: Result<Answer, String>, check: Check, took: Duration) {
    match result {
        Ok(answer) if answer.ok() => match check {
            Check::Item if !answer.contains(b"\"Item\"") => {
                outcome.error(format!("GetItem without the item: {}", answer.describe()));
            }
            Check::Partition
                if !answer.contains(b"\"Count\":100") && !answer.contains(b"\"Count\": 100") =>
            {
                outcome.error(format!("Query without the partition: {}", answer.describe()));
            }
            _ => outcome.latencies.record(took),
        },
        Ok(answer) => outcome.error(answer.describe()),
        Err(message) => outcome.error(message),
    }
}
