//! The workloads, and the child process's side of a run: open, load, measure, close.

use crate::{
    phase::{run_phase, PhaseReport, PhaseSpec},
    resources, EngineKind, Error, KeySpace, Result, Session, Zipfian, ZIPFIAN_CONSTANT,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::{fmt, path::Path, str::FromStr, time::Instant};

/// Items in the loaded data set at scale 1.
pub const ITEMS_FULL: u64 = 1_000_000;
/// Value length of the loaded data set and of small writes.
pub const VALUE_LEN: usize = 100;
/// Items a range scan reads.
pub const SCAN_LEN: usize = 100;
/// Bytes the put phase of a large-value workload may write at scale 1, whatever its duration.
const VALUE_PUT_BYTES_MAX: u64 = 1 << 30;

/// What one child process measures; each workload starts from an empty data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Workload {
    /// Bulk load of the data set (16-byte keys, 100-byte values); reports items/s.
    Load,
    /// Uniform random point reads of loaded items, 1 then 2 threads.
    Read,
    /// Durable single-item inserts of new keys into the loaded data set, 1 then 8 threads.
    Write,
    /// YCSB-A: 50% reads, 50% durable updates, zipfian keys.
    YcsbA,
    /// YCSB-B: 95% reads, 5% durable updates, zipfian keys.
    YcsbB,
    /// Forward range scans of [`SCAN_LEN`] items from a uniform random loaded key.
    Scan,
    /// Durable puts of 4 KiB values into an empty store, then random reads of them.
    Value4k,
    /// Durable puts of 100 KiB values into an empty store, then random reads of them.
    Value100k,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Self; 8] = [
        Self::Load,
        Self::Read,
        Self::Write,
        Self::YcsbA,
        Self::YcsbB,
        Self::Scan,
        Self::Value4k,
        Self::Value100k,
    ];

    /// The workload's name on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Load => "load",
            Self::Read => "read",
            Self::Write => "write",
            Self::YcsbA => "ycsb-a",
            Self::YcsbB => "ycsb-b",
            Self::Scan => "scan",
            Self::Value4k => "value-4k",
            Self::Value100k => "value-100k",
        }
    }

    /// Whether the workload runs on the loaded data set (loaded first, not measured).
    #[must_use]
    pub fn needs_data_set(self) -> bool {
        matches!(self, Self::Read | Self::Write | Self::YcsbA | Self::YcsbB | Self::Scan)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| Error::Usage(format!("unknown workload {s:?}")))
    }
}

/// Sizes and durations shared by every child of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
pub struct Settings {
    /// Fraction of the full data set (1.0: 1M items) and of the large-value write caps; 0.01
    /// makes a smoke run.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Duration of each timed phase, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Threads of the YCSB workloads.
    #[arg(long, default_value_t = 8)]
    pub ycsb_threads: usize,
    /// Seed of the value bytes and of every thread's random choices.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl Settings {
    /// Items in the loaded data set: `ITEMS_FULL × scale`, at least 1,000.
    #[must_use]
    pub fn items(&self) -> u64 {
        ((ITEMS_FULL as f64 * self.scale) as u64).max(1000)
    }

    /// The most puts a large-value phase makes: `VALUE_PUT_BYTES_MAX × scale` bytes' worth.
    #[must_use]
    pub fn value_puts_max(&self, value_len: usize) -> u64 {
        let bytes = VALUE_PUT_BYTES_MAX as f64 * self.scale;
        ((bytes / value_len as f64) as u64).max(100)
    }

    fn phase(&self, name: &str, threads: usize) -> PhaseSpec {
        PhaseSpec { name: name.to_owned(), threads, seconds: self.seconds, ops_max: None }
    }
}

/// What a child process prints: one workload on one engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    /// The engine.
    pub engine: EngineKind,
    /// The workload.
    pub workload: Workload,
    /// The measured phases, in order.
    pub phases: Vec<PhaseReport>,
    /// Seconds the unmeasured load before the phases took, if there was one.
    pub setup_load_seconds: Option<f64>,
    /// Bytes allocated on disk under the data directory after the engine was closed.
    pub disk_bytes: u64,
    /// Peak resident set size of the child (`VmHWM`), in bytes.
    pub peak_rss_bytes: u64,
}

/// Runs `workload` on `engine` in the empty directory `dir`: the child process's whole job.
///
/// # Errors
///
/// When the engine fails or answers wrongly, or the data directory cannot be measured.
pub fn run_child(
    engine: EngineKind,
    workload: Workload,
    dir: &Path,
    settings: &Settings,
) -> Result<ChildReport> {
    let space = KeySpace::new(settings.seed);
    let db = engine.open(dir)?;
    let items = settings.items();
    let mut setup_load_seconds = None;
    if workload.needs_data_set() {
        let start = Instant::now();
        db.load(&space, 0..items, VALUE_LEN)?;
        setup_load_seconds = Some(start.elapsed().as_secs_f64());
    }
    let run = Run { engine, db: db.as_ref(), space: &space, settings, items };
    let phases = run.phases(workload)?;
    db.close()?;
    Ok(ChildReport {
        engine,
        workload,
        phases,
        setup_load_seconds,
        disk_bytes: resources::disk_bytes(dir)?,
        peak_rss_bytes: resources::peak_rss_bytes()?,
    })
}

/// One child's engine and data set.
struct Run<'a> {
    engine: EngineKind,
    db: &'a dyn crate::Engine,
    space: &'a KeySpace,
    settings: &'a Settings,
    items: u64,
}

impl Run<'_> {
    fn phases(&self, workload: Workload) -> Result<Vec<PhaseReport>> {
        match workload {
            Workload::Load => Ok(vec![self.load()?]),
            Workload::Read => Ok(vec![self.read(1)?, self.read(2)?]),
            Workload::Write => Ok(vec![self.write(1)?, self.write(8)?]),
            Workload::YcsbA => Ok(vec![self.ycsb(0.50)?]),
            Workload::YcsbB => Ok(vec![self.ycsb(0.95)?]),
            Workload::Scan => Ok(vec![self.scan()?]),
            Workload::Value4k => self.large_values(4 << 10),
            Workload::Value100k => self.large_values(100 << 10),
        }
    }

    fn load(&self) -> Result<PhaseReport> {
        let start = Instant::now();
        self.db.load(self.space, 0..self.items, VALUE_LEN)?;
        Ok(PhaseReport::without_latency("load", 1, self.items, start.elapsed()))
    }

    fn read(&self, threads: usize) -> Result<PhaseReport> {
        let spec = self.settings.phase(&threads_name(threads), threads);
        run_phase(self.db, &spec, self.settings.seed, &|session, rng, _| {
            let index = rng.gen_range(0..self.items);
            self.check_get(session, index, VALUE_LEN)
        })
    }

    fn write(&self, threads: usize) -> Result<PhaseReport> {
        let spec = self.settings.phase(&threads_name(threads), threads);
        // Each phase inserts keys no earlier phase wrote.
        let first = self.items + if threads == 1 { 0 } else { 1 << 40 };
        run_phase(self.db, &spec, self.settings.seed, &|session, _, op| {
            let index = first + op;
            session.put(&KeySpace::key(index), self.space.value(index, VALUE_LEN))
        })
    }

    fn ycsb(&self, read_fraction: f64) -> Result<PhaseReport> {
        let threads = self.settings.ycsb_threads;
        let spec = self.settings.phase(&threads_name(threads), threads);
        let zipfian = Zipfian::new(self.items, ZIPFIAN_CONSTANT);
        run_phase(self.db, &spec, self.settings.seed, &|session, rng, op| {
            let index = zipfian.next_index(rng);
            if rng.gen_bool(read_fraction) {
                self.check_get(session, index, VALUE_LEN)
            } else {
                session.put(&KeySpace::key(index), self.space.value(op, VALUE_LEN))
            }
        })
    }

    fn scan(&self) -> Result<PhaseReport> {
        let spec = self.settings.phase(&threads_name(1), 1);
        run_phase(self.db, &spec, self.settings.seed, &|session, rng, _| {
            let index = rng.gen_range(0..self.items);
            let read = session.scan(&KeySpace::key(index), SCAN_LEN)?;
            // The start key exists, so a scan reads at least it.
            if read == 0 {
                return Err(self.wrong(format!("scan from item {index} read nothing")));
            }
            Ok(())
        })
    }

    fn large_values(&self, value_len: usize) -> Result<Vec<PhaseReport>> {
        let mut put = self.settings.phase("put", 1);
        put.ops_max = Some(self.settings.value_puts_max(value_len));
        let puts = run_phase(self.db, &put, self.settings.seed, &|session, _, op| {
            session.put(&KeySpace::key(op), self.space.value(op, value_len))
        })?;
        let written = puts.ops;
        let get = self.settings.phase("get", 1);
        let gets = run_phase(self.db, &get, self.settings.seed, &|session, rng, _| {
            self.check_get(session, rng.gen_range(0..written), value_len)
        })?;
        Ok(vec![puts, gets])
    }

    fn check_get(&self, session: &mut dyn Session, index: u64, value_len: usize) -> Result<()> {
        match session.get(&KeySpace::key(index))? {
            Some(len) if len == value_len => Ok(()),
            found => {
                Err(self.wrong(format!("item {index}: found {found:?}, not {value_len} bytes")))
            }
        }
    }

    fn wrong(&self, what: String) -> Error {
        Error::WrongAnswer { engine: self.engine.name(), what }
    }
}

fn threads_name(threads: usize) -> String {
    if threads == 1 {
        "1 thread".to_owned()
    } else {
        format!("{threads} threads")
    }
}
