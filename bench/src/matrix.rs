//! The parent process: one child process per (run, workload, engine), each on a fresh data
//! directory, so that no engine inherits another's page cache, allocator state or threads.

use crate::{io_error, ChildReport, EngineKind, Error, Result, RunRecord, Settings, Workload};
use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    thread,
    time::{Duration, Instant},
};

/// How long a child may run before it is killed and its run counted as failed.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// How often the parent checks whether a child has exited.
const CHILD_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Bytes of a failed child's standard error kept in its record.
const STDERR_TAIL_BYTES: usize = 2000;

/// What the parent runs.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Engines, in report order.
    pub engines: Vec<EngineKind>,
    /// Workloads, in run order.
    pub workloads: Vec<Workload>,
    /// Repetitions of the whole matrix.
    pub runs: usize,
    /// Where the children's data directories are made (and removed).
    pub dir: PathBuf,
    /// Passed to every child.
    pub settings: Settings,
}

/// Runs every child of `matrix` with the executable `exe` (the running program), writing a
/// progress line per child to `progress`.
///
/// Runs are the outer loop and engines the inner one, so slow drift of the machine spreads
/// over all engines instead of landing on one.
///
/// # Errors
///
/// When a data directory cannot be made or removed or a child cannot be started; a child that
/// fails is recorded, not returned.
pub fn run_matrix(matrix: &Matrix, exe: &Path, progress: &mut dyn Write) -> Result<Vec<RunRecord>> {
    let settings = serde_json::to_string(&matrix.settings).expect("settings serialize");
    let total = matrix.runs * matrix.workloads.len() * matrix.engines.len();
    let mut records = Vec::with_capacity(total);
    for run in 1..=matrix.runs {
        for &workload in &matrix.workloads {
            for &engine in &matrix.engines {
                let child =
                    ChildRun { run, engine, workload, base: &matrix.dir, settings: &settings };
                let record = child.run(exe)?;
                let outcome = record.error.as_deref().unwrap_or("ok");
                let _ = writeln!(
                    progress,
                    "[{}/{total}] run {run} {workload} {engine}: {:.1} s, {outcome}",
                    records.len() + 1,
                    record.child_seconds,
                );
                records.push(record);
            }
        }
    }
    Ok(records)
}

/// One child process.
struct ChildRun<'a> {
    run: usize,
    engine: EngineKind,
    workload: Workload,
    base: &'a Path,
    settings: &'a str,
}

impl ChildRun<'_> {
    fn run(&self, exe: &Path) -> Result<RunRecord> {
        let name = format!("{}-{}-run{}", self.engine, self.workload, self.run);
        let data = self.base.join(&name);
        let stdout_path = self.base.join(format!("{name}.stdout"));
        let stderr_path = self.base.join(format!("{name}.stderr"));
        fs::create_dir(&data).map_err(io_error(format!("mkdir {}", data.display())))?;
        let start = Instant::now();
        let status = self.spawn_and_wait(exe, &data, &stdout_path, &stderr_path)?;
        let child_seconds = start.elapsed().as_secs_f64();
        let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
        let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
        for path in [&stdout_path, &stderr_path] {
            fs::remove_file(path).map_err(io_error(format!("rm {}", path.display())))?;
        }
        fs::remove_dir_all(&data).map_err(io_error(format!("rm -r {}", data.display())))?;
        let (report, error) = match self.parse(status, &stdout, &stderr) {
            Ok(report) => (Some(report), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let (run, engine, workload) = (self.run, self.engine, self.workload);
        Ok(RunRecord { run, engine, workload, child_seconds, report, error })
    }

    fn spawn_and_wait(
        &self,
        exe: &Path,
        data: &Path,
        stdout: &Path,
        stderr: &Path,
    ) -> Result<Option<ExitStatus>> {
        let create = |path: &Path| {
            fs::File::create(path).map_err(io_error(format!("create {}", path.display())))
        };
        let mut child = Command::new(exe)
            .arg("child")
            .args(["--engine", self.engine.name(), "--workload", self.workload.name()])
            .arg("--dir")
            .arg(data)
            .args(["--settings", self.settings])
            .stdin(Stdio::null())
            .stdout(create(stdout)?)
            .stderr(create(stderr)?)
            .spawn()
            .map_err(io_error(format!("spawn {}", exe.display())))?;
        wait_with_timeout(&mut child, CHILD_TIMEOUT)
    }

    fn parse(&self, status: Option<ExitStatus>, stdout: &str, stderr: &str) -> Result<ChildReport> {
        let fail = |why: String| Error::Child {
            engine: self.engine.to_string(),
            workload: self.workload.to_string(),
            why,
        };
        let tail = tail(stderr, STDERR_TAIL_BYTES);
        match status {
            None => return Err(fail(format!("killed after {CHILD_TIMEOUT:?}; stderr: {tail}"))),
            Some(status) if !status.success() => {
                return Err(fail(format!("{status}; stderr: {tail}")));
            }
            Some(_) => {}
        }
        let line = stdout.lines().rev().find(|line| line.starts_with('{'));
        let line = line.ok_or_else(|| fail(format!("no JSON line on stdout; stderr: {tail}")))?;
        serde_json::from_str(line).map_err(|e| fail(format!("bad JSON line: {e}")))
    }
}

/// Waits for `child`; after `timeout` kills it and returns `None`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().map_err(io_error("wait for child"))? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            child.kill().map_err(io_error("kill child"))?;
            child.wait().map_err(io_error("wait for killed child"))?;
            return Ok(None);
        }
        thread::sleep(CHILD_POLL_INTERVAL);
    }
}

/// The last `bytes` bytes of `text` (cut at a character boundary), trimmed.
fn tail(text: &str, bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim()
}
