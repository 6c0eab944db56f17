//! `loadgen`: a load generator for DynamoDB-compatible servers (basalt-server, DynamoDB Local,
//! dynalite) over DynamoDB's JSON 1.0 protocol, with SigV4-signed keep-alive HTTP/1.1.
//!
//! ```text
//! loadgen load  --endpoint 127.0.0.1:8000 --items 20000 --connections 16
//! loadgen run   --endpoint 127.0.0.1:8000 --items 20000 --workload get --connections 16 \
//!               --warmup 2 --seconds 10 [--rate 5000] [--server-pid PID] [--label basalt]
//! loadgen table results.jsonl…
//! ```
//!
//! `run` prints one JSON line ([`run::RunResult`]) on standard output and a readable line on
//! standard error; `table` turns JSON lines into a markdown table. `bench/README.md` has more.

mod client;
mod cpu;
mod items;
mod load;
mod run;

use clap::{Args, Parser, Subcommand};
use client::Endpoint;
use run::{RunResult, RunSpec, Workload};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Load generator for DynamoDB-compatible servers (JSON 1.0 protocol, SigV4)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// (Re)creates the table (PAY_PER_REQUEST, key pk S + sk N) and preloads `--items` items.
    Load(LoadArgs),
    /// Runs one workload for a warm-up and a measured window; prints one JSON line.
    Run(RunArgs),
    /// Prints JSON lines written by `run` as a markdown table.
    Table {
        /// Files of JSON lines.
        files: Vec<PathBuf>,
    },
}

/// Where the server is and how to reach it.
#[derive(Args, Clone)]
struct Common {
    /// `host:port` of the server.
    #[arg(long, default_value = "127.0.0.1:8000")]
    endpoint: String,
    /// Table name.
    #[arg(long, default_value = "loadgen")]
    table: String,
    /// Items of the preloaded set.
    #[arg(long, default_value_t = 20_000)]
    items: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Client runtime threads (1: a single-threaded runtime, the lightest on a small machine).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Access key id of the signatures.
    #[arg(long, default_value = "AKIDLOADGEN")]
    access_key_id: String,
    /// Secret access key of the signatures.
    #[arg(long, default_value = "loadgen-secret")]
    secret_access_key: String,
    /// Region of the signatures.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Seed of keys and values.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
struct LoadArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// The workload.
    #[arg(long, value_enum)]
    workload: Workload,
    /// Open loop at this many requests per second in total (latency from the intended send
    /// time); without it, a closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// Warm-up seconds (not measured).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Process id of the server, for its CPU time per request.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Name of the server in the results.
    #[arg(long, default_value = "server")]
    label: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Load(args) => with_runtime(&args.common, load_command(&args.common)),
        Command::Run(args) => with_runtime(&args.common, run_command(&args)),
        Command::Table { files } => table_command(&files),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(io::stderr(), "loadgen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `future` on a runtime of `common.threads` threads.
fn with_runtime<F>(common: &Common, future: F) -> Result<ExitCode, String>
where
    F: std::future::Future<Output = Result<ExitCode, String>>,
{
    let runtime = if common.threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(common.threads)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(future)
}

fn endpoint(common: &Common) -> Endpoint {
    Endpoint {
        authority: common.endpoint.clone(),
        access_key_id: common.access_key_id.clone(),
        secret_access_key: common.secret_access_key.clone(),
        region: common.region.clone(),
    }
}

async fn load_command(common: &Common) -> Result<ExitCode, String> {
    let report =
        load::load(&endpoint(common), &common.table, common.items, common.connections, common.seed)
            .await?;
    let seconds = report.elapsed.as_secs_f64();
    let mut err = io::stderr();
    let _ = writeln!(
        err,
        "loaded {} items in {seconds:.2} s ({:.0} items/s, {} connections), {} failed",
        report.items,
        report.items as f64 / seconds.max(1e-9),
        common.connections,
        report.errors
    );
    if let Some(e) = &report.first_error {
        let _ = writeln!(err, "first error: {e}");
    }
    Ok(if report.errors == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn run_command(args: &RunArgs) -> Result<ExitCode, String> {
    let positive = |s: f64, what: &str| {
        (s.is_finite() && s >= 0.0)
            .then(|| Duration::from_secs_f64(s))
            .ok_or(format!("--{what} must be a non-negative number of seconds"))
    };
    let spec = RunSpec {
        workload: args.workload,
        connections: args.common.connections.max(1),
        rate: args.rate,
        warmup: positive(args.warmup, "warmup")?,
        measure: positive(args.seconds.max(0.001), "seconds")?,
        items: args.common.items,
        seed: args.common.seed,
        server_pid: args.server_pid.map(|p| p.to_string()),
    };
    let result = run::run(&endpoint(&args.common), spec, &args.common.table, &args.label).await;
    let _ = writeln!(io::stderr(), "{}", human(&result));
    let line = serde_json::to_string(&result).map_err(|e| e.to_string())?;
    writeln!(io::stdout(), "{line}").map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// A readable summary of one run.
fn human(r: &RunResult) -> String {
    let cpu = |c: Option<f64>| c.map_or("-".to_owned(), |c| format!("{c:.1} µs"));
    format!(
        "{} {:?} c={}{}: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, {} errors, \
         server CPU {}/req, client CPU {}/req{}",
        r.label,
        r.workload,
        r.connections,
        r.rate.map_or(String::new(), |rate| format!(" rate={rate}")),
        r.throughput,
        r.p50_us,
        r.p99_us,
        r.p999_us,
        r.errors,
        cpu(r.server_cpu_us_per_request),
        cpu(r.client_cpu_us_per_request),
        r.first_error.as_ref().map_or(String::new(), |e| format!(" (first error: {e})")),
    )
}

fn table_command(files: &[PathBuf]) -> Result<ExitCode, String> {
    let mut rows = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
            let row: RunResult = serde_json::from_str(line)
                .map_err(|e| format!("{}: not a result line: {e}", file.display()))?;
            rows.push(row);
        }
    }
    let mut out = io::stdout().lock();
    let mut write = |s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    write("| server | workload | conns | req/s | p50 µs | p99 µs | p99.9 µs | errors | server CPU µs/req | client CPU µs/req |".into())?;
    write("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|".into())?;
    let cpu = |c: Option<f64>| c.map_or("–".to_owned(), |c| format!("{c:.1}"));
    for r in &rows {
        let workload = serde_json::to_value(r.workload)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let rate = r.rate.map_or(String::new(), |rate| format!(" @{rate:.0}/s"));
        write(format!(
            "| {} | {workload}{rate} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
            r.label,
            r.connections,
            r.throughput,
            r.p50_us,
            r.p99_us,
            r.p999_us,
            r.errors,
            cpu(r.server_cpu_us_per_request),
            cpu(r.client_cpu_us_per_request),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
