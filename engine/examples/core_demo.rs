//! Starts Basalt's storage core on a local data directory, writes to it and reads it back.
//!
//! `cargo run --release -p basalt --example core_demo -- [DATA_DIR] [ITEMS] [THREADS]`
//!
//! Opens (or recovers) the store in `DATA_DIR` (default `./basalt-data`), writes `ITEMS` items
//! (default 50,000) from `THREADS` threads (default 8), each a durable `Sync` put, reports
//! puts/s, reads every item back by key and by a full scan, and closes the store. Run it twice:
//! the second run reopens the first run's store, checks its items are there, and adds more.

use std::error::Error;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use basalt::core::{Core, Options};

/// A 16-byte key: a hash prefix (which spreads keys over shards), then the item number.
fn key(run: u64, i: u64) -> Vec<u8> {
    let id = run << 40 | i;
    let mut key = id.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

fn value(run: u64, i: u64) -> Vec<u8> {
    format!("run {run} item {i} {}", "x".repeat(80)).into_bytes()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "./basalt-data".into());
    let items: u64 = args.next().map_or(Ok(50_000), |a| a.parse())?;
    let threads: u64 = args.next().map_or(Ok(8), |a| a.parse())?;
    let mut out = std::io::stdout().lock();

    let started = Instant::now();
    let core = Arc::new(Core::open(&dir, Options::default())?);
    let before = core.snapshot().range(..).count() as u64;
    let run = before.div_ceil(items.max(1));
    writeln!(out, "opened {dir} in {:?}: {before} items from earlier runs", started.elapsed())?;
    for earlier in 0..run {
        let missing =
            (0..items).filter(|&i| !matches!(core.get(&key(earlier, i)), Ok(Some(_)))).count();
        if missing > 0 {
            return Err(format!("run {earlier}: {missing} items missing").into());
        }
    }

    let started = Instant::now();
    let writers: Vec<_> = (0..threads)
        .map(|thread| {
            let core = core.clone();
            std::thread::spawn(move || -> basalt::core::Result<()> {
                for i in (thread..items).step_by(threads as usize) {
                    core.put(&key(run, i), &value(run, i))?;
                }
                Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.join().map_err(|_| "writer panicked")??;
    }
    let elapsed = started.elapsed();
    writeln!(
        out,
        "wrote {items} durable items from {threads} threads in {elapsed:.2?} ({:.0} puts/s)",
        items as f64 / elapsed.as_secs_f64()
    )?;

    for i in 0..items {
        let got = core.get(&key(run, i))?;
        if got.as_deref() != Some(value(run, i).as_slice()) {
            return Err(format!("item {i}: read back {got:?}").into());
        }
    }
    let total = core.snapshot().range(..).count() as u64;
    writeln!(out, "read back every item; the store holds {total} items: {:?}", core.stats())?;
    let core = Arc::try_unwrap(core).map_err(|_| "store still shared")?;
    core.close()?;
    writeln!(out, "closed; run again to reopen and add {items} more")?;
    Ok(())
}
