//! Writes through Basalt's write-ahead log on a local data directory and reads it back.
//!
//! `cargo run --release -p basalt --example wal_demo -- [DATA_DIR] [RECORDS] [THREADS]`
//!
//! Appends `RECORDS` records (default 20,000) from `THREADS` threads (default 8) with `Sync`
//! durability, reports appends/s and how many records each `fdatasync` carried, then reopens the
//! log and reads every record back, checking each one. Run it twice: the second run recovers
//! the first run's log and appends after it.

use std::error::Error;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use basalt::fs::SystemFs;
use basalt::wal::{Lsn, Options, Wal};

fn payload(thread: u64, counter: u64) -> Vec<u8> {
    format!("thread {thread} record {counter} {}", "x".repeat(150)).into_bytes()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "./basalt-data".into());
    let records: u64 = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let threads: u64 = args.next().map_or(Ok(8), |a| a.parse())?;
    let fs = SystemFs::detect();
    let mut out = std::io::stdout().lock();

    let (wal, recovery) = Wal::open_with(fs, format!("{dir}/wal"), Options::default())?;
    writeln!(out, "opened {dir}/wal on {}: {recovery:?}", fs.name())?;
    let first_new = recovery.next_lsn;
    let wal = Arc::new(wal);
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let wal = wal.clone();
            std::thread::spawn(move || -> basalt::wal::Result<()> {
                for counter in 0..records / threads {
                    wal.append(&payload(thread, counter))?;
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "appender panicked")??;
    }
    let secs = start.elapsed().as_secs_f64();
    let stats = wal.stats();
    writeln!(
        out,
        "appended {} durable records in {secs:.2}s: {:.0} appends/s, {} fdatasyncs, {:.1} records per sync",
        stats.records,
        stats.records as f64 / secs,
        stats.syncs,
        stats.records as f64 / stats.syncs.max(1) as f64
    )?;
    Arc::try_unwrap(wal).map_err(|_| "log still shared")?.close()?;

    let (wal, recovery) = Wal::open_with(fs, format!("{dir}/wal"), Options::default())?;
    let mut read = 0u64;
    let mut expected = recovery.oldest_lsn;
    for record in wal.read_from(Lsn::FIRST.max(recovery.oldest_lsn))? {
        let record = record?;
        assert_eq!(record.lsn, expected, "contiguous LSNs");
        assert!(record.payload.starts_with(b"thread "), "payload intact");
        expected = expected.next();
        read += 1;
    }
    writeln!(
        out,
        "reopened: read back {read} records (LSN {} to {}), {} from this run",
        recovery.oldest_lsn,
        recovery.next_lsn.0 - 1,
        recovery.next_lsn.0 - first_new.0
    )?;
    Ok(())
}
