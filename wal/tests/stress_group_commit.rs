//! Stress of the group-commit queue on real threads, beyond what loom can reach: six threads
//! mixing appends, `sync` and `flush` calls, over every durability, with and without a
//! pipelined sink, while a chaos thread unparks the workers at random (stray wake-ups) and the
//! mock sink sleeps and yields at random. A watchdog fails the test if progress stops for 5 s (a
//! lost wake-up); the sink checks that LSNs arrive contiguous and in order; every answer is
//! checked against what the sink has written and synced. A second test poisons the queue at a
//! random commit and checks that every thread fails from then on and none hangs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use basalt_wal::group_commit::{Group, GroupCommit, Sink};
use basalt_wal::record::{decode, seal};
use basalt_wal::{Durability, Error, IoOp, Lsn, Result};

#[derive(Default)]
struct Log {
    written: u64,
    synced: u64,
    commits: u64,
}

struct Mock {
    log: Arc<Mutex<Log>>,
    pipelined: bool,
    in_flight: Option<Group>,
    rng: u64,
    fail_at_commit: u64,
    handoffs: Arc<AtomicU64>,
    starter: Option<std::thread::ThreadId>,
}

impl Mock {
    fn jitter(&mut self) {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        match self.rng % 8 {
            0 => std::thread::sleep(Duration::from_micros(self.rng % 50)),
            1 | 2 => std::thread::yield_now(),
            _ => {}
        }
    }
}

impl Sink for Mock {
    fn pipelined(&self) -> bool {
        self.pipelined
    }

    fn start(&mut self, group: Group) -> Result<()> {
        assert!(self.in_flight.is_none(), "one group in flight");
        self.starter = Some(std::thread::current().id());
        self.in_flight = Some(group);
        Ok(())
    }

    fn finish(&mut self) -> (Group, Result<()>) {
        if self.starter != Some(std::thread::current().id()) {
            self.handoffs.fetch_add(1, Ordering::Relaxed);
        }
        let mut group = self.in_flight.take().expect("finish follows start");
        let result = self.commit(&mut group, true);
        (group, result)
    }

    fn commit(&mut self, group: &mut Group, sync: bool) -> Result<()> {
        assert!(self.in_flight.is_none(), "no commit while a group is in flight");
        self.jitter();
        let mut log = self.log.lock().expect("log");
        log.commits += 1;
        if log.commits == self.fail_at_commit {
            let source = std::io::Error::from_raw_os_error(5);
            return Err(Error::Io { op: IoOp::Sync, path: "mock".into(), source });
        }
        seal(&mut group.bytes, group.first_lsn, 0);
        let mut at = 0;
        while let Some(rest) = group.bytes.get(at..).filter(|r| !r.is_empty()) {
            let record = decode(rest, 0).expect("valid frames");
            assert_eq!(record.lsn.0, log.written + 1, "LSNs contiguous and in order");
            log.written += 1;
            at += record.frame_len();
        }
        if sync {
            log.synced = log.written;
        }
        drop(log);
        self.jitter();
        Ok(())
    }
}

fn queue(
    durability: Durability,
    pipelined: bool,
    seed: u64,
    fail_at_commit: u64,
) -> (Arc<GroupCommit<Mock>>, Arc<Mutex<Log>>, Arc<AtomicU64>) {
    let log = Arc::new(Mutex::new(Log::default()));
    let handoffs = Arc::new(AtomicU64::new(0));
    let sink = Mock {
        log: log.clone(),
        pipelined,
        in_flight: None,
        rng: seed | 1,
        fail_at_commit,
        handoffs: handoffs.clone(),
        starter: None,
    };
    (Arc::new(GroupCommit::new(sink, Lsn(1), durability, 64)), log, handoffs)
}

/// Unparks the given threads at random until stopped.
fn chaos(threads: Vec<std::thread::Thread>, seed: u64, stop: Arc<AtomicBool>) {
    let mut x = seed as usize | 1;
    while !stop.load(Ordering::Relaxed) {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        threads[(x >> 33) % threads.len()].unpark();
        if x % 4 == 0 {
            std::thread::yield_now();
        }
    }
}

fn worker(q: &GroupCommit<Mock>, log: &Mutex<Log>, durability: Durability, t: usize, i: usize) {
    match (t + i) % 7 {
        0 => {
            let lsn = q.sync().expect("sync");
            assert!(lsn.0 <= log.lock().expect("log").synced, "sync answered before syncing");
        }
        1 => {
            let lsn = q.flush().expect("flush");
            assert!(lsn.0 <= log.lock().expect("log").written, "flush answered before writing");
        }
        _ => {
            let lsn = q.append(&[&[t as u8; 20]]).expect("append");
            let log = log.lock().expect("log");
            match durability {
                Durability::Sync => assert!(lsn.0 <= log.synced, "answered before the sync"),
                Durability::Buffered => assert!(lsn.0 <= log.written, "answered before writing"),
                Durability::None => {}
            }
        }
    }
}

fn run(durability: Durability, pipelined: bool, seed: u64) -> u64 {
    const THREADS: usize = 6;
    const ITERS: usize = 300;
    let (q, log, handoffs) = queue(durability, pipelined, seed, u64::MAX);
    let progress = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (q, log, progress) = (q.clone(), log.clone(), progress.clone());
            std::thread::spawn(move || {
                for i in 0..ITERS {
                    worker(&q, &log, durability, t, i);
                    progress.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let threads = workers.iter().map(|w| w.thread().clone()).collect();
    let chaos = {
        let stop = stop.clone();
        std::thread::spawn(move || chaos(threads, seed, stop))
    };
    let total = (THREADS * ITERS) as u64;
    let mut last = (0, Instant::now());
    while progress.load(Ordering::Relaxed) < total {
        std::thread::sleep(Duration::from_millis(20));
        let now = progress.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        }
        assert!(
            last.1.elapsed() < Duration::from_secs(5),
            "lost wake-up: {durability:?} pipelined={pipelined} seed={seed}: stuck at \
             {now}/{total}, next={:?} written={:?} synced={:?}",
            q.next_lsn(),
            q.written_lsn(),
            q.synced_lsn()
        );
    }
    workers.into_iter().for_each(|w| w.join().expect("worker"));
    stop.store(true, Ordering::Relaxed);
    chaos.join().expect("chaos");
    q.sync().expect("final sync");
    assert_eq!(log.lock().expect("log").synced, q.next_lsn().0 - 1);
    handoffs.load(Ordering::Relaxed)
}

#[test]
fn no_lost_wake_ups_or_early_answers_in_any_mode() {
    let mut handoffs = 0;
    for seed in 1..=4u64 {
        for durability in [Durability::Sync, Durability::Buffered, Durability::None] {
            for pipelined in [false, true] {
                handoffs += run(durability, pipelined, seed);
            }
        }
    }
    assert!(handoffs > 0, "the pipelined runs handed groups in flight to other threads");
}

#[test]
fn after_a_failure_every_thread_fails_and_none_hangs() {
    for seed in 1..=40u64 {
        for pipelined in [false, true] {
            for durability in [Durability::Sync, Durability::Buffered] {
                let (q, log, _) = queue(durability, pipelined, seed, 1 + seed % 40);
                let threads: Vec<_> = (0..6)
                    .map(|t| {
                        let (q, log) = (q.clone(), log.clone());
                        std::thread::spawn(move || {
                            let mut failed = false;
                            for i in 0..100 {
                                let answer = if (t + i) % 9 == 0 {
                                    q.sync()
                                } else {
                                    q.append(&[&[1u8; 10]])
                                };
                                match answer {
                                    Ok(lsn) => {
                                        assert!(!failed, "a success after a failure");
                                        if durability == Durability::Sync {
                                            assert!(lsn.0 <= log.lock().expect("log").synced);
                                        }
                                    }
                                    Err(_) => failed = true,
                                }
                            }
                        })
                    })
                    .collect();
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    threads.into_iter().for_each(|t| t.join().expect("thread"));
                    let _ = tx.send(());
                });
                rx.recv_timeout(Duration::from_secs(20)).expect("a thread hung after poisoning");
            }
        }
    }
}
