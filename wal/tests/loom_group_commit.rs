//! loom model of the group-commit hand-off (`basalt_wal::group_commit`): three threads (appenders,
//! or appenders and a `sync` caller) and a mock sink, in every interleaving loom explores. Checks: every appender is answered exactly
//! once; a success implies the sink synced that LSN; LSNs are contiguous and in queue order in
//! the sink; the synced LSN never goes backwards; after a sink failure every pending and later
//! append fails; no lost wake-up (loom reports a deadlock).
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p basalt-wal --release
//! --test loom_group_commit`.
#![cfg(loom)]

use basalt_wal::group_commit::{Group, GroupCommit, Sink};
use basalt_wal::record::{decode, seal};
use basalt_wal::{Durability, Error, IoOp, Lsn, Result};
use loom::sync::{Arc, Mutex};

#[derive(Default)]
struct Log {
    written: Vec<Lsn>,
    synced: Lsn,
    commits: usize,
    failed: bool,
}

struct MockSink {
    log: Arc<Mutex<Log>>,
    fail_at_commit: Option<usize>,
    /// Model an io_uring sink: `start` returns at once, `finish` completes the group.
    pipelined: bool,
    in_flight: Option<Group>,
}

impl MockSink {
    fn new(log: Arc<Mutex<Log>>, fail_at_commit: Option<usize>, pipelined: bool) -> Self {
        MockSink { log, fail_at_commit, pipelined, in_flight: None }
    }
}

impl Sink for MockSink {
    fn pipelined(&self) -> bool {
        self.pipelined
    }

    fn start(&mut self, group: Group) -> Result<()> {
        assert!(self.in_flight.is_none(), "one group in flight");
        self.in_flight = Some(group);
        Ok(())
    }

    fn finish(&mut self) -> (Group, Result<()>) {
        let mut group = self.in_flight.take().expect("finish follows start");
        let result = self.commit(&mut group, true);
        (group, result)
    }

    fn commit(&mut self, group: &mut Group, sync: bool) -> Result<()> {
        let mut log = self.log.lock().expect("mock log");
        assert!(!log.failed, "no commit after a failure");
        log.commits += 1;
        if Some(log.commits) == self.fail_at_commit {
            log.failed = true;
            let source = std::io::Error::from_raw_os_error(5);
            return Err(Error::Io { op: IoOp::Sync, path: "mock".into(), source });
        }
        seal(&mut group.bytes, group.first_lsn, 0);
        let mut at = 0;
        while let Some(rest) = group.bytes.get(at..).filter(|r| !r.is_empty()) {
            let record = decode(rest, 0).expect("the queue frames valid records");
            let expected = Lsn(log.written.len() as u64 + 1);
            assert_eq!(record.lsn, expected, "contiguous LSNs in queue order");
            log.written.push(record.lsn);
            at += record.frame_len();
        }
        if sync {
            let synced = Lsn(log.written.len() as u64);
            assert!(synced >= log.synced, "the synced LSN never goes backwards");
            log.synced = synced;
        }
        Ok(())
    }
}

fn model(fail_at_commit: Option<usize>, pipelined: bool) {
    loom::model(move || {
        let log = Arc::new(Mutex::new(Log::default()));
        let sink = MockSink::new(log.clone(), fail_at_commit, pipelined);
        let queue = Arc::new(GroupCommit::new(sink, Lsn(1), Durability::Sync, 1 << 20));
        let appenders: Vec<_> = (0..2u8)
            .map(|i| {
                let queue = queue.clone();
                loom::thread::spawn(move || queue.append(&[&[i]]).ok())
            })
            .collect();
        let mut answers = vec![queue.append(&[b"main"]).ok()];
        answers.extend(appenders.into_iter().map(|t| t.join().expect("appender")));

        let log = log.lock().expect("mock log");
        let mut ok: Vec<Lsn> = answers.iter().flatten().copied().collect();
        ok.sort();
        ok.dedup();
        assert_eq!(ok.len(), answers.iter().flatten().count(), "each LSN answered once");
        for lsn in &ok {
            assert!(*lsn <= log.synced, "success only after the sync");
        }
        match fail_at_commit {
            None => assert_eq!(ok, vec![Lsn(1), Lsn(2), Lsn(3)], "all succeed"),
            Some(_) => {
                assert!(log.failed);
                assert!(ok.len() < 3, "the failed group's appenders fail");
                assert!(queue.append(&[b"later"]).is_err(), "a poisoned queue refuses appends");
            }
        }
    });
}

#[test]
fn every_appender_answered_once_after_sync() {
    model(None, false);
}

#[test]
fn a_failed_sync_fails_pending_and_later_appends() {
    model(Some(1), false);
}

#[test]
fn a_failure_after_a_success_keeps_the_success() {
    model(Some(2), false);
}

#[test]
fn pipelined_every_appender_answered_once_after_sync() {
    model(None, true);
}

#[test]
fn pipelined_a_failed_sync_fails_pending_and_later_appends() {
    model(Some(1), true);
}

#[test]
fn pipelined_a_failure_after_a_success_keeps_the_success() {
    model(Some(2), true);
}

/// Two threads that enqueue and then wait in separate steps (as shard writers do: enqueue under
/// their own lock, wait outside it) and one plain appender: every record is answered once, only
/// after its sync, and LSNs follow enqueue order; with a failing sink, a failed group's waiters
/// fail.
fn model_enqueue_then_wait(fail_at_commit: Option<usize>) {
    loom::model(move || {
        let log = Arc::new(Mutex::new(Log::default()));
        let sink = MockSink::new(log.clone(), fail_at_commit, false);
        let queue = Arc::new(GroupCommit::new(sink, Lsn(1), Durability::Sync, 1 << 20));
        let waiters: Vec<_> = (0..2u8)
            .map(|i| {
                let queue = queue.clone();
                loom::thread::spawn(move || {
                    let ticket = queue.enqueue(&[&[i]]).ok()?;
                    assert_eq!(ticket.first, ticket.last, "one record, one LSN");
                    queue.wait(ticket).ok().map(|()| ticket.first)
                })
            })
            .collect();
        let mut answers = vec![queue.append(&[b"main"]).ok()];
        answers.extend(waiters.into_iter().map(|t| t.join().expect("waiter")));
        let log = log.lock().expect("mock log");
        let ok: Vec<Lsn> = answers.iter().flatten().copied().collect();
        for lsn in &ok {
            assert!(*lsn <= log.synced, "success only after the sync");
        }
        if fail_at_commit.is_none() {
            let mut sorted = ok.clone();
            sorted.sort();
            assert_eq!(sorted, vec![Lsn(1), Lsn(2), Lsn(3)], "all succeed, each LSN once");
        }
    });
}

#[test]
fn enqueue_then_wait_answers_every_record_once_after_sync() {
    model_enqueue_then_wait(None);
}

#[test]
fn enqueue_then_wait_with_a_failing_sink_answers_no_unsynced_record() {
    model_enqueue_then_wait(Some(1));
}

/// Two appenders and a `sync` caller: nobody is left waiting (the sync caller must not swallow a
/// wake-up meant for the next leader), and `sync` returns only once what it covers is synced.
fn model_with_sync(durability: Durability, pipelined: bool) {
    loom::model(move || {
        let log = Arc::new(Mutex::new(Log::default()));
        let sink = MockSink::new(log.clone(), None, pipelined);
        let queue = Arc::new(GroupCommit::new(sink, Lsn(1), durability, 1 << 20));
        let appenders: Vec<_> = (0..2u8)
            .map(|i| {
                let queue = queue.clone();
                loom::thread::spawn(move || queue.append(&[&[i]]).expect("append"))
            })
            .collect();
        let synced = queue.sync().expect("sync");
        assert!(synced <= log.lock().expect("log").synced, "sync returned before syncing");
        for appender in appenders {
            let lsn = appender.join().expect("appender");
            if durability == Durability::Sync {
                assert!(lsn <= log.lock().expect("log").synced);
            }
        }
        assert_eq!(queue.sync().expect("sync"), Lsn(2));
        assert_eq!(log.lock().expect("log").synced, Lsn(2));
    });
}

#[test]
fn a_sync_caller_among_appenders_leaves_no_one_waiting() {
    model_with_sync(Durability::Sync, false);
}

#[test]
fn pipelined_a_sync_caller_among_appenders_leaves_no_one_waiting() {
    model_with_sync(Durability::Sync, true);
}

#[test]
fn sync_under_buffered_durability_syncs_what_it_covers() {
    model_with_sync(Durability::Buffered, false);
}

/// Hand-offs of a pipelined group: a reap (`finish`) on another thread than the `start`.
static HANDOFFS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A pipelined mock that notes which thread started the group in flight.
struct HandOffSink {
    inner: MockSink,
    starter: Option<loom::thread::ThreadId>,
}

impl Sink for HandOffSink {
    fn pipelined(&self) -> bool {
        true
    }

    fn start(&mut self, group: Group) -> Result<()> {
        self.starter = Some(loom::thread::current().id());
        self.inner.start(group)
    }

    fn finish(&mut self) -> (Group, Result<()>) {
        if self.starter != Some(loom::thread::current().id()) {
            HANDOFFS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.inner.finish()
    }

    fn commit(&mut self, group: &mut Group, sync: bool) -> Result<()> {
        self.inner.commit(group, sync)
    }
}

/// Two threads appending twice and one appending once, with a pipelined sink: enough traffic
/// for a leader to start the next group and hand it to another thread to reap. Explored with a
/// deeper preemption bound than the other models, since the hand-off needs it.
#[test]
fn pipelined_hand_off_of_a_group_in_flight() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(4);
    builder.check(|| {
        let log = Arc::new(Mutex::new(Log::default()));
        let sink = HandOffSink { inner: MockSink::new(log.clone(), None, true), starter: None };
        let queue = Arc::new(GroupCommit::new(sink, Lsn(1), Durability::Sync, 1 << 20));
        let appenders: Vec<_> = (0..2u8)
            .map(|i| {
                let queue = queue.clone();
                loom::thread::spawn(move || {
                    let a = queue.append(&[&[i]]).expect("append");
                    let b = queue.append(&[&[i, i]]).expect("append");
                    (a, b)
                })
            })
            .collect();
        let main = queue.append(&[b"main"]).expect("append");
        assert!(main <= log.lock().expect("log").synced, "success only after the sync");
        let mut lsns = vec![main];
        for appender in appenders {
            let (a, b) = appender.join().expect("appender");
            assert!(a < b, "one thread's appends keep their order");
            lsns.extend([a, b]);
        }
        lsns.sort();
        assert_eq!(lsns, (1..=5).map(Lsn).collect::<Vec<_>>(), "each LSN answered once");
        assert_eq!(log.lock().expect("log").synced, Lsn(5));
    });
    assert!(
        HANDOFFS.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the model explored a hand-off of a group in flight"
    );
}
