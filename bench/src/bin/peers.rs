//! `peers`: runs the workloads on Basalt and its peers, one child process per (run, workload,
//! engine), and prints the medians as a markdown table. `bench/README.md` has the commands.

use basalt_bench::{
    markdown, medians, resources, run_child, run_matrix, EngineKind, Error, Matrix, Result,
    RunRecord, Settings, Workload,
};
use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};
use std::{
    io::{self, Write},
    path::PathBuf,
    process::ExitCode,
    str::FromStr,
};

#[derive(Parser)]
#[command(about = "Basalt's storage core against embedded peers, one process per measurement")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    matrix: MatrixArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one workload on one engine and prints its result as one JSON line (used by the
    /// parent; not meant to be run by hand).
    #[command(hide = true)]
    Child(ChildArgs),
}

#[derive(Args)]
struct MatrixArgs {
    /// Comma-separated engines (basalt, redb, lmdb, rocksdb, fjall, sqlite) or `all`.
    #[arg(long, default_value = "all")]
    engines: String,
    /// Comma-separated workloads (load, read, write, ycsb-a, ycsb-b, scan, value-4k,
    /// value-100k) or `all`.
    #[arg(long, default_value = "all")]
    workloads: String,
    /// Repetitions of the whole matrix; the table shows medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Directory under which each child gets a fresh data directory (default: the system temp
    /// directory). It must be on the disk being measured, not a tmpfs.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Writes every run's results and the medians here as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Prints the table of a results file written by `--out` instead of running anything.
    #[arg(long)]
    report: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Args)]
struct ChildArgs {
    #[arg(long)]
    engine: EngineKind,
    #[arg(long)]
    workload: Workload,
    #[arg(long)]
    dir: PathBuf,
    /// The parent's settings, as JSON.
    #[arg(long)]
    settings: String,
}

/// The results file.
#[derive(Serialize, Deserialize)]
struct Results {
    settings: Settings,
    items: u64,
    runs: usize,
    file_system: String,
    records: Vec<RunRecord>,
    medians: Vec<basalt_bench::MedianRow>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Child(args)) => child(&args),
        None => match &cli.matrix.report {
            Some(path) => reprint(path),
            None => parent(&cli.matrix),
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(io::stderr(), "peers: {error}");
            ExitCode::FAILURE
        }
    }
}

fn child(args: &ChildArgs) -> Result<ExitCode> {
    let settings: Settings = serde_json::from_str(&args.settings)
        .map_err(|e| Error::Usage(format!("bad --settings: {e}")))?;
    let report = run_child(args.engine, args.workload, &args.dir, &settings)?;
    let line = serde_json::to_string(&report).expect("reports serialize");
    writeln!(io::stdout(), "{line}").map_err(basalt_bench::io_error("write stdout"))?;
    Ok(ExitCode::SUCCESS)
}

fn parent(args: &MatrixArgs) -> Result<ExitCode> {
    let built: Vec<_> = EngineKind::ALL.into_iter().filter(|e| e.is_built()).collect();
    let engines = parse_list(&args.engines, &built)?;
    if let Some(missing) = engines.iter().find(|engine| !engine.is_built()) {
        let hint = "build with `--features peers`";
        return Err(Error::Usage(format!("{missing} is not in this build: {hint}")));
    }
    let workloads = parse_list(&args.workloads, &Workload::ALL)?;
    let base = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base).map_err(basalt_bench::io_error("create --dir"))?;
    let scratch = tempfile::Builder::new()
        .prefix("basalt-peers-")
        .tempdir_in(&base)
        .map_err(basalt_bench::io_error(format!("make a temp dir in {}", base.display())))?;
    let file_system = resources::file_system_of(scratch.path())?;
    let mut stderr = io::stderr();
    let _ = writeln!(
        stderr,
        "data under {} ({file_system}); {} items; {} s per phase",
        scratch.path().display(),
        args.settings.items(),
        args.settings.seconds,
    );
    let matrix = Matrix {
        engines,
        workloads,
        runs: args.runs,
        dir: scratch.path().to_owned(),
        settings: args.settings.clone(),
    };
    let exe = std::env::current_exe().map_err(basalt_bench::io_error("find own executable"))?;
    let records = run_matrix(&matrix, &exe, &mut stderr)?;
    let rows = medians(&records);
    write!(io::stdout(), "{}", markdown(&rows)).map_err(basalt_bench::io_error("write stdout"))?;
    let failures = report_failures(&records);
    if let Some(out) = &args.out {
        let results = Results {
            settings: args.settings.clone(),
            items: args.settings.items(),
            runs: args.runs,
            file_system,
            records,
            medians: rows,
        };
        let json = serde_json::to_string_pretty(&results).expect("results serialize");
        std::fs::write(out, json)
            .map_err(basalt_bench::io_error(format!("write {}", out.display())))?;
    }
    Ok(failures)
}

/// Prints the table of a results file, medians recomputed from its records.
fn reprint(path: &std::path::Path) -> Result<ExitCode> {
    let json = std::fs::read_to_string(path)
        .map_err(basalt_bench::io_error(format!("read {}", path.display())))?;
    let results: Results = serde_json::from_str(&json)
        .map_err(|e| Error::Usage(format!("{} is not a results file: {e}", path.display())))?;
    let table = markdown(&medians(&results.records));
    write!(io::stdout(), "{table}").map_err(basalt_bench::io_error("write stdout"))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints each failed child's error; the exit code is a failure if there was one.
fn report_failures(records: &[RunRecord]) -> ExitCode {
    let mut stderr = io::stderr();
    let failures: Vec<_> = records.iter().filter_map(|r| r.error.as_ref()).collect();
    for error in &failures {
        let _ = writeln!(stderr, "failed: {error}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `all`, or a comma-separated list of names from `every`.
fn parse_list<T: FromStr<Err = Error> + Copy>(list: &str, every: &[T]) -> Result<Vec<T>> {
    if list == "all" {
        return Ok(every.to_vec());
    }
    list.split(',').map(|name| name.trim().parse()).collect()
}
