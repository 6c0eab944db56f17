//! loom model of the stream subscription wake-up (`basalt::db::wakeup::Wakeup`): a writer
//! counts an event (after its records are published) while a subscriber waits from the count
//! it last saw, with no timeout, in every interleaving loom explores. A lost wake-up would
//! leave the subscriber blocked forever, which loom reports as a deadlock; a count that moved
//! must be seen.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p basalt --release
//! --test loom_stream_wakeup`.
#![cfg(loom)]

use basalt::db::wakeup::Wakeup;
use loom::sync::Arc;

#[test]
fn a_notification_is_never_lost() {
    loom::model(|| {
        let wakeup = Arc::new(Wakeup::new());
        let writer = {
            let wakeup = wakeup.clone();
            loom::thread::spawn(move || wakeup.notify())
        };
        // The subscriber saw nothing yet; it must return once the writer counted, whether the
        // count moved before it registered, while it checked, or while it slept.
        let seen = wakeup.wait(0, None);
        assert_eq!(seen, 1);
        writer.join().expect("writer");
    });
}

#[test]
fn two_waiters_and_two_events() {
    loom::model(|| {
        let wakeup = Arc::new(Wakeup::new());
        let waiter = {
            let wakeup = wakeup.clone();
            loom::thread::spawn(move || {
                let first = wakeup.wait(0, None);
                assert!(first >= 1);
            })
        };
        let writer = {
            let wakeup = wakeup.clone();
            loom::thread::spawn(move || {
                wakeup.notify();
                wakeup.notify();
            })
        };
        let mut seen = 0;
        while seen < 2 {
            seen = wakeup.wait(seen, None);
        }
        writer.join().expect("writer");
        waiter.join().expect("waiter");
    });
}
