//! Process crash test: a child process appends with `Sync` durability from several threads and
//! reports every acknowledged LSN on stdout; the parent kills it with SIGKILL at a random moment
//! (sometimes while it is still recovering), reopens the log, and checks that every record ever
//! acknowledged is present and intact. `BASALT_CRASH_CYCLES` sets the number of cycles (50 by
//! default).
//!
//! The child is this same test binary, re-run with only `crash_child` selected and the data
//! directory in `BASALT_WAL_CRASH_CHILD`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use basalt_wal::{Lsn, Options, Wal};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const CHILD_ENV: &str = "BASALT_WAL_CRASH_CHILD";
const THREADS: u64 = 4;

/// The payload a writer thread appends as its `counter`-th record in process `run`.
fn payload(run: u64, thread: u64, counter: u64) -> Vec<u8> {
    let len = 50 + (run * 31 + thread * 17 + counter * 13) % 400;
    let seed = run << 40 | thread << 32 | counter;
    (0..len).map(|i| (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 57)) as u8).collect()
}

#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let run: u64 = std::env::var("BASALT_WAL_CRASH_RUN").expect("run").parse().expect("number");
    let (wal, _) = Wal::open(&dir, Options::default()).expect("child open");
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                for counter in 0.. {
                    let lsn = wal.append(&payload(run, thread, counter)).expect("append");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {} {run} {thread} {counter}", lsn.0).expect("report");
                    out.flush().expect("flush");
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
}

/// One child run: start, let it append for `millis`, SIGKILL it; returns its acknowledgements.
fn run_child(dir: &Path, run: u64, millis: u64) -> Vec<(u64, (u64, u64, u64))> {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env("BASALT_WAL_CRASH_RUN", run.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| parse_ack(&line))
            .collect::<Vec<_>>()
    });
    std::thread::sleep(Duration::from_millis(millis));
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    reader.join().expect("reader thread")
}

fn parse_ack(line: &str) -> Option<(u64, (u64, u64, u64))> {
    let mut words = line.strip_prefix("ack ")?.split(' ').map(|w| w.parse::<u64>().ok());
    let lsn = words.next()??;
    Some((lsn, (words.next()??, words.next()??, words.next()??)))
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    let cycles: u64 = std::env::var("BASALT_CRASH_CYCLES").map_or(50, |v| v.parse().expect("n"));
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path().join("wal");
    let mut rng = SmallRng::seed_from_u64(0xba5a17);
    let mut acked: BTreeMap<u64, (u64, u64, u64)> = BTreeMap::new();
    let mut torn_tails = 0;
    for run in 0..cycles {
        let millis = rng.gen_range(5..80);
        for (lsn, who) in run_child(&dir, run, millis) {
            assert!(acked.insert(lsn, who).is_none(), "LSN {lsn} acknowledged twice");
        }
        let (wal, recovery) = Wal::open(&dir, Options::default())
            .unwrap_or_else(|e| panic!("run {run}: reopen after SIGKILL failed: {e}"));
        torn_tails += u64::from(recovery.torn_tail.is_some());
        let mut records = wal.read_from(Lsn(1)).expect("reader");
        let mut next = Lsn(1);
        for (&lsn, &(r, thread, counter)) in &acked {
            // Unacknowledged records may sit between acknowledged ones; skip them.
            let record = loop {
                let record = records.next().expect("acknowledged record present").expect("ok");
                assert_eq!(record.lsn, next, "contiguous LSNs");
                next = next.next();
                if record.lsn.0 == lsn {
                    break record;
                }
            };
            assert_eq!(record.payload, payload(r, thread, counter), "run {run}: LSN {lsn}");
        }
        drop(records);
        wal.close().expect("close");
    }
    assert!(acked.len() as u64 > cycles, "the children acknowledged appends");
    eprintln!(
        "{cycles} SIGKILL cycles, {} acknowledged records, {torn_tails} torn tails",
        acked.len()
    );
}
