//! loom model of the deferred writes (`basalt::core::{Durable, Queue, Slot}`): a writer that
//! must not block hands its write to the completer thread through a `Queue` and gets a
//! `Durable`, which the completer fulfils through the write's `Slot` once the write is durable.
//!
//! The models, each checked in every interleaving loom explores:
//! - a `Durable`'s outcome is never lost, whether its owner blocks in `Durable::wait` or polls
//!   it as a `Future` (with a waker that records being woken): a Pending poll registers a waker
//!   that the fulfiller wakes, after which a poll is Ready, including when the owner polled
//!   again with another waker in between; the outcome arrives intact;
//! - two producers push a job each and wait on their `Durable` while a completer takes runs
//!   and fulfils them, and the queue is stopped once the producers are done: nothing deadlocks
//!   (loom reports a deadlock, including a lost wake-up of the completer or of a producer),
//!   each producer gets its own outcome, every job is completed exactly once;
//! - `Queue::settle` returns only once every job pushed before it is completed, whether it is
//!   called by the pusher or by another thread started after the push;
//! - a push after `Queue::stop` is refused and the job handed back, and a push racing `stop`
//!   is either refused or taken by the completer before `Queue::take` reports the end: a job
//!   is never stranded in a stopped queue.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p basalt --release
//! --test loom_deferred`.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use basalt::core::{Durable, Lsn, Queue, Slot};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;

/// A job as the store hands it to its completer: the write's LSN and the slot to fulfil (in
/// `std`'s `Arc`, as the store holds it; the slot's lock and condvar are loom's).
type Job = (u64, std::sync::Arc<Slot>);

/// A waker that records that it was woken (a task's executor would reschedule the task).
struct Flag(AtomicBool);

impl Flag {
    fn new() -> std::sync::Arc<Flag> {
        std::sync::Arc::new(Flag(AtomicBool::new(false)))
    }

    fn woken(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Asserts that `outcome` is the success of the write with LSN `lsn`.
fn assert_lsn(outcome: &basalt::core::Result<Option<Lsn>>, lsn: u64) {
    assert!(
        matches!(outcome, Ok(Some(Lsn(got))) if *got == lsn),
        "expected Ok(Some(Lsn({lsn}))), got {outcome:?}"
    );
}

/// Polls `durable` once with `flag` as the waker.
fn poll(
    durable: &mut Durable,
    flag: &std::sync::Arc<Flag>,
) -> Poll<basalt::core::Result<Option<Lsn>>> {
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    Pin::new(durable).poll(&mut cx)
}

/// The completer's loop, as the store's completer thread runs it: each run's jobs fulfilled in
/// order, then counted; `fulfilled` counts the jobs it completed.
fn complete(queue: &Queue<Job>, fulfilled: &AtomicUsize) {
    while let Some(run) = queue.take() {
        let count = run.len();
        for (lsn, slot) in run {
            slot.fulfil(Ok(Some(Lsn(lsn))));
            fulfilled.fetch_add(1, Ordering::SeqCst);
        }
        queue.completed(count);
    }
}

/// A queue, a count of the jobs fulfilled, and a completer thread running [`complete`] on them.
fn start_completer() -> (Arc<Queue<Job>>, Arc<AtomicUsize>, loom::thread::JoinHandle<()>) {
    let queue = Arc::new(Queue::<Job>::default());
    let fulfilled = Arc::new(AtomicUsize::new(0));
    let completer = {
        let queue = queue.clone();
        let fulfilled = fulfilled.clone();
        loom::thread::spawn(move || complete(&queue, &fulfilled))
    };
    (queue, fulfilled, completer)
}

#[test]
fn a_waiting_owner_gets_the_outcome() {
    loom::model(|| {
        let (durable, slot) = Durable::for_loom();
        let fulfiller = loom::thread::spawn(move || slot.fulfil(Ok(Some(Lsn(7)))));
        // Blocks with no timeout: a lost notification is a deadlock loom reports.
        assert_lsn(&durable.wait(), 7);
        fulfiller.join().expect("fulfiller");
    });
}

#[test]
fn a_polling_owner_is_woken() {
    loom::model(|| {
        let (mut durable, slot) = Durable::for_loom();
        let fulfiller = loom::thread::spawn(move || slot.fulfil(Ok(Some(Lsn(7)))));
        let flag = Flag::new();
        match poll(&mut durable, &flag) {
            Poll::Ready(outcome) => assert_lsn(&outcome, 7),
            Poll::Pending => {
                fulfiller.join().expect("fulfiller");
                // The outcome was left after the waker was in place, so the fulfiller woke it.
                assert!(flag.woken(), "a pending Durable was fulfilled without a wake");
                match poll(&mut durable, &flag) {
                    Poll::Ready(outcome) => assert_lsn(&outcome, 7),
                    Poll::Pending => panic!("a fulfilled Durable polled Pending"),
                }
                return;
            }
        }
        fulfiller.join().expect("fulfiller");
    });
}

#[test]
fn the_last_waker_polled_with_is_woken() {
    loom::model(|| {
        let (mut durable, slot) = Durable::for_loom();
        let fulfiller = loom::thread::spawn(move || slot.fulfil(Ok(Some(Lsn(7)))));
        // The task moved (an executor polls it with another waker): the new one must be woken.
        let first = Flag::new();
        let second = Flag::new();
        let outcome = match poll(&mut durable, &first) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => match poll(&mut durable, &second) {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => {
                    fulfiller.join().expect("fulfiller");
                    assert!(second.woken(), "the waker registered last was not woken");
                    match poll(&mut durable, &second) {
                        Poll::Ready(outcome) => outcome,
                        Poll::Pending => panic!("a fulfilled Durable polled Pending"),
                    }
                }
            },
        };
        assert_lsn(&outcome, 7);
    });
}

#[test]
fn producers_get_their_own_outcomes() {
    loom::model(|| {
        let (queue, fulfilled, completer) = start_completer();
        let producers: Vec<_> = [1, 2]
            .into_iter()
            .map(|lsn| {
                let queue = queue.clone();
                loom::thread::spawn(move || {
                    let (durable, slot) = Durable::for_loom();
                    assert!(queue.push((lsn, slot)).is_ok(), "the queue is not stopped yet");
                    assert_lsn(&durable.wait(), lsn);
                })
            })
            .collect();
        for producer in producers {
            producer.join().expect("producer");
        }
        queue.stop();
        completer.join().expect("completer");
        // `Slot::fulfil` asserts a job is not completed twice; none was left out either.
        assert_eq!(fulfilled.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn settle_waits_for_a_job_pushed_on_its_thread() {
    loom::model(|| {
        let (queue, fulfilled, completer) = start_completer();
        let (durable, slot) = Durable::for_loom();
        assert!(queue.push((3, slot)).is_ok(), "the queue is not stopped yet");
        queue.settle();
        assert!(durable.is_ready(), "settle returned before a job pushed before it completed");
        queue.stop();
        completer.join().expect("completer");
        assert_lsn(&durable.wait(), 3);
        assert_eq!(fulfilled.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn settle_waits_for_a_job_pushed_by_another_thread() {
    loom::model(|| {
        let (queue, fulfilled, completer) = start_completer();
        let (durable, slot) = Durable::for_loom();
        assert!(queue.push((3, slot)).is_ok(), "the queue is not stopped yet");
        // Started after the push, so the push happened before its settle.
        let settler = {
            let queue = queue.clone();
            loom::thread::spawn(move || {
                queue.settle();
                assert!(durable.is_ready(), "settle returned before an earlier job completed");
                durable
            })
        };
        let durable = settler.join().expect("settler");
        queue.stop();
        completer.join().expect("completer");
        assert_lsn(&durable.wait(), 3);
        assert_eq!(fulfilled.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_push_after_stop_is_refused() {
    loom::model(|| {
        let queue = Queue::<Job>::default();
        queue.stop();
        let (durable, slot) = Durable::for_loom();
        match queue.push((4, slot)) {
            // The caller completes a refused job itself.
            Err((lsn, slot)) => slot.fulfil(Ok(Some(Lsn(lsn)))),
            Ok(()) => panic!("a stopped queue took a job"),
        }
        assert_lsn(&durable.wait(), 4);
        assert!(queue.take().is_none(), "a stopped queue holds no job");
    });
}

#[test]
fn a_push_racing_stop_is_completed_once() {
    loom::model(|| {
        let (queue, fulfilled, completer) = start_completer();
        let producer = {
            let queue = queue.clone();
            loom::thread::spawn(move || {
                let (durable, slot) = Durable::for_loom();
                // Refused: the store is closing, the caller completes the job itself.
                if let Err((lsn, slot)) = queue.push((5, slot)) {
                    slot.fulfil(Ok(Some(Lsn(lsn))));
                }
                assert_lsn(&durable.wait(), 5);
            })
        };
        queue.stop();
        completer.join().expect("completer");
        producer.join().expect("producer");
        // At most once by the completer (taken before `take` ended), never stranded: the
        // producer's wait would otherwise deadlock.
        assert!(fulfilled.load(Ordering::SeqCst) <= 1);
    });
}
