//! Results across runs: the raw records, their medians, and the markdown table.

use crate::{ChildReport, EngineKind, Workload};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// One child process's outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// Which run of the matrix (from 1).
    pub run: usize,
    /// The engine.
    pub engine: EngineKind,
    /// The workload.
    pub workload: Workload,
    /// Wall-clock seconds of the whole child, open and load included.
    pub child_seconds: f64,
    /// What the child reported, if it succeeded.
    pub report: Option<ChildReport>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Medians across runs of one phase of one workload on one engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MedianRow {
    /// The workload.
    pub workload: Workload,
    /// The phase's name.
    pub phase: String,
    /// The engine.
    pub engine: EngineKind,
    /// Runs that succeeded (the medians are over these).
    pub runs_ok: usize,
    /// Runs that failed.
    pub runs_failed: usize,
    /// Operations (items, for a load) per second.
    pub ops_per_sec: Option<f64>,
    /// The slowest run's operations per second.
    pub ops_per_sec_min: Option<f64>,
    /// The fastest run's operations per second.
    pub ops_per_sec_max: Option<f64>,
    /// Median latency, µs.
    pub p50_us: Option<f64>,
    /// 99th percentile latency, µs.
    pub p99_us: Option<f64>,
    /// 99.9th percentile latency, µs.
    pub p999_us: Option<f64>,
    /// Bytes on disk after the workload.
    pub disk_bytes: Option<f64>,
    /// Peak resident set size of the child.
    pub peak_rss_bytes: Option<f64>,
}

/// The median of each measure for every (workload, phase, engine), in workload, phase and
/// engine order. Each measure's median is taken on its own.
#[must_use]
pub fn medians(records: &[RunRecord]) -> Vec<MedianRow> {
    let mut keys: Vec<(Workload, usize, String, EngineKind)> = Vec::new();
    for record in records {
        for (index, phase) in record.report.iter().flat_map(|r| r.phases.iter().enumerate()) {
            let key = (record.workload, index, phase.name.clone(), record.engine);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.sort_by_key(|(workload, index, _, engine)| (*workload, *index, *engine));
    let mut rows: Vec<MedianRow> = keys
        .into_iter()
        .map(|(workload, _, phase, engine)| median_row(records, workload, phase, engine))
        .collect();
    rows.extend(failed_rows(records));
    rows
}

fn median_row(
    records: &[RunRecord],
    workload: Workload,
    phase: String,
    engine: EngineKind,
) -> MedianRow {
    let matching = records.iter().filter(|r| r.workload == workload && r.engine == engine);
    let runs_failed = matching.clone().filter(|r| r.report.is_none()).count();
    let samples: Vec<_> = matching
        .filter_map(|r| r.report.as_ref())
        .filter_map(|report| report.phases.iter().find(|p| p.name == phase).map(|p| (report, p)))
        .collect();
    let of = |f: &dyn Fn(&(&ChildReport, &crate::PhaseReport)) -> Option<f64>| {
        median(samples.iter().filter_map(f).collect())
    };
    let rates = || samples.iter().map(|(_, p)| p.ops_per_sec);
    MedianRow {
        workload,
        engine,
        runs_ok: samples.len(),
        runs_failed,
        ops_per_sec: of(&|(_, p)| Some(p.ops_per_sec)),
        ops_per_sec_min: rates().reduce(f64::min),
        ops_per_sec_max: rates().reduce(f64::max),
        p50_us: of(&|(_, p)| p.latency.map(|l| l.p50_us)),
        p99_us: of(&|(_, p)| p.latency.map(|l| l.p99_us)),
        p999_us: of(&|(_, p)| p.latency.map(|l| l.p999_us)),
        disk_bytes: of(&|(r, _)| Some(r.disk_bytes as f64)),
        peak_rss_bytes: of(&|(r, _)| Some(r.peak_rss_bytes as f64)),
        phase,
    }
}

/// A row for each (workload, engine) none of whose runs succeeded, so failures show.
fn failed_rows(records: &[RunRecord]) -> Vec<MedianRow> {
    let mut rows: Vec<MedianRow> = Vec::new();
    for record in records {
        let succeeded = records.iter().any(|r| {
            r.workload == record.workload && r.engine == record.engine && r.report.is_some()
        });
        let listed =
            rows.iter().any(|r| r.workload == record.workload && r.engine == record.engine);
        if succeeded || listed {
            continue;
        }
        let runs_failed = records
            .iter()
            .filter(|r| r.workload == record.workload && r.engine == record.engine)
            .count();
        rows.push(MedianRow {
            workload: record.workload,
            phase: "failed".to_owned(),
            engine: record.engine,
            runs_ok: 0,
            runs_failed,
            ops_per_sec: None,
            ops_per_sec_min: None,
            ops_per_sec_max: None,
            p50_us: None,
            p99_us: None,
            p999_us: None,
            disk_bytes: None,
            peak_rss_bytes: None,
        });
    }
    rows
}

/// The median of `values` (the mean of the middle two for an even count).
#[must_use]
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The rows as a markdown table.
#[must_use]
pub fn markdown(rows: &[MedianRow]) -> String {
    let mut out = String::from(
        "| workload | phase | engine | ops/s | ops/s min–max | p50 µs | p99 µs | p99.9 µs \
         | disk MiB | peak RSS MiB | runs |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let runs = if row.runs_failed == 0 {
            row.runs_ok.to_string()
        } else {
            format!("{} ({} failed)", row.runs_ok, row.runs_failed)
        };
        let mib = |bytes: Option<f64>| {
            bytes.map_or("–".to_owned(), |b| format!("{:.1}", b / 1048576.0))
        };
        let range = match (row.ops_per_sec_min, row.ops_per_sec_max) {
            (Some(min), Some(max)) => format!("{}–{}", format_rate(min), format_rate(max)),
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {range} | {} | {} | {} | {} | {} | {} |",
            row.workload,
            row.phase,
            row.engine,
            row.ops_per_sec.map_or("–".to_owned(), format_rate),
            format_us(row.p50_us),
            format_us(row.p99_us),
            format_us(row.p999_us),
            mib(row.disk_bytes),
            mib(row.peak_rss_bytes),
            runs,
        );
    }
    out
}

/// A rate with three significant figures and a k/M suffix: `10.2k`, `139k`, `1.25M`.
#[must_use]
pub fn format_rate(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.2}M", r / 1e6),
        r if r >= 1e5 => format!("{:.0}k", r / 1e3),
        r if r >= 1e4 => format!("{:.1}k", r / 1e3),
        r if r >= 1e3 => format!("{:.2}k", r / 1e3),
        r => format!("{r:.0}"),
    }
}

fn format_us(us: Option<f64>) -> String {
    match us {
        None => "–".to_owned(),
        Some(us) if us < 10.0 => format!("{us:.1}"),
        Some(us) => format!("{us:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LatencySummary, PhaseReport};

    fn record(run: usize, engine: EngineKind, ops_per_sec: f64) -> RunRecord {
        let latency = LatencySummary { p50_us: ops_per_sec, p99_us: 2.0, p999_us: 3.0 };
        let phase = PhaseReport {
            name: "1 thread".to_owned(),
            threads: 1,
            ops: 10,
            seconds: 1.0,
            ops_per_sec,
            latency: Some(latency),
        };
        let report = ChildReport {
            engine,
            workload: Workload::Read,
            phases: vec![phase],
            setup_load_seconds: None,
            disk_bytes: 1 << 20,
            peak_rss_bytes: 2 << 20,
        };
        let report = Some(report);
        RunRecord { run, engine, workload: Workload::Read, child_seconds: 1.0, report, error: None }
    }

    #[test]
    fn medians_per_engine_and_phase() {
        let mut records: Vec<_> = [(1, 10.0), (2, 30.0), (3, 20.0)]
            .map(|(run, r)| record(run, EngineKind::Redb, r))
            .into();
        records.push(record(1, EngineKind::Basalt, 5.0));
        let mut failed = record(1, EngineKind::Lmdb, 1.0);
        failed.report = None;
        failed.error = Some("boom".to_owned());
        records.push(failed);
        let rows = medians(&records);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].engine, rows[0].ops_per_sec), (EngineKind::Basalt, Some(5.0)));
        assert_eq!((rows[1].engine, rows[1].ops_per_sec), (EngineKind::Redb, Some(20.0)));
        assert_eq!((rows[2].phase.as_str(), rows[2].runs_failed), ("failed", 1));
        let table = markdown(&rows);
        let redb = "| read | 1 thread | redb | 20 | 10–30 | 20 | 2.0 | 3.0 | 1.0 | 2.0 | 3 |";
        assert!(table.contains(redb), "{table}");
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn rates_keep_three_figures() {
        assert_eq!(format_rate(950.0), "950");
        assert_eq!(format_rate(10_240.0), "10.2k");
        assert_eq!(format_rate(139_000.0), "139k");
        assert_eq!(format_rate(1_250_000.0), "1.25M");
    }
}
