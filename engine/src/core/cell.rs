//! `VersionCell`: an atomically replaceable `Arc<T>` whose readers take no lock.
//!
//! A shard publishes each new version with one pointer swap; readers load the pointer and take
//! a reference count without waiting for anyone. The difficulty is reclamation: a reader that
//! loaded the old pointer must have incremented its count before the writer drops the cell's
//! reference, or it would touch freed memory. Readers therefore announce themselves in one of
//! two counters while they load and increment (a few instructions). The writer swaps the
//! pointer and then sees both counters at zero; a SeqCst fence on each side (reader: announce,
//! fence, load pointer; writer: swap, fence, read counters) guarantees that a reader the writer
//! did not see loads the new pointer. Which counter new readers use flips before each wait, so
//! the counter being waited on only drains and a stream of readers cannot starve the writer.
//! (This is the two-counter scheme of classic user-space RCU, small enough for loom to explore
//! exhaustively: `tests/loom_version_cell.rs`.)
//!
//! Costs: a load is two atomic read-modify-writes on the counter plus the `Arc` increment;
//! readers never wait. A store waits only for readers already inside the few-instruction
//! window, and stores are serialized by a mutex (one publisher per shard at a time anyway).
#![expect(unsafe_code, reason = "Arc::into_raw/from_raw pointer hand-off; see SAFETY comments")]

use crate::sync::{fence, lock, spin_wait, Arc, AtomicPtr, AtomicUsize, Mutex, Ordering};

/// An `Arc<T>` that can be replaced while readers load it; see the module documentation.
pub struct VersionCell<T> {
    /// Always a pointer from `Arc::into_raw` whose strong count includes one for the cell.
    current: AtomicPtr<T>,
    /// Readers inside `load`, by phase.
    readers: [AtomicUsize; 2],
    /// Which counter new readers use (0 or 1); changed only by `store`, under `writer`.
    phase: AtomicUsize,
    /// Serializes stores.
    writer: Mutex<()>,
}

// SAFETY: the cell owns one strong count of an `Arc<T>` and hands out clones of it; that is
// sound across threads exactly when `Arc<T>` is `Send + Sync`, which requires `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for VersionCell<T> {}
// SAFETY: as above; all shared access goes through atomics and the mutex.
unsafe impl<T: Send + Sync> Sync for VersionCell<T> {}

impl<T> VersionCell<T> {
    /// A cell holding `value`.
    pub fn new(value: Arc<T>) -> Self {
        VersionCell {
            current: AtomicPtr::new(Arc::into_raw(value).cast_mut()),
            readers: [AtomicUsize::new(0), AtomicUsize::new(0)],
            phase: AtomicUsize::new(0),
            writer: Mutex::new(()),
        }
    }

    /// The current value. Never blocks.
    pub fn load(&self) -> Arc<T> {
        // ORDERING: Relaxed: the phase only steers readers to the counter the writer is not
        // draining (progress); safety does not depend on which counter a reader picks.
        let phase = self.phase.load(Ordering::Relaxed) & 1;
        // ORDERING: Relaxed increment followed by a SeqCst fence, mirrored in `store` (swap,
        // SeqCst fence, counter loads): the two fences order "reader announces, reader loads
        // the pointer" against "writer swaps, writer reads the counter", so either this load
        // sees the new pointer or the writer sees this announcement (the store-buffering
        // pattern; SeqCst fences are what forbid both missing each other).
        // ORDERING: (the increment and the fence, as above)
        self.readers[phase].fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        // ORDERING: Acquire pairs with the Release half of the writer's swap, so the version's
        // contents, written before it was published, are visible here.
        let ptr = self.current.load(Ordering::Acquire);
        // SAFETY: `ptr` came from `Arc::into_raw` and its allocation is alive: the cell's own
        // count is dropped by `store` only after, following its swap and fence, it has read
        // this reader's counter as zero, which (see ORDERING above) it cannot do between this
        // reader's announcement and the decrement below unless this reader loaded the new
        // pointer instead.
        let value = unsafe {
            Arc::increment_strong_count(ptr);
            Arc::from_raw(ptr)
        };
        // ORDERING: Release so that the count taken above happens before the writer's Acquire
        // load that sees the counter drained.
        self.readers[phase].fetch_sub(1, Ordering::Release);
        value
    }

    /// Replaces the value; the old one is dropped once no reader can still be taking it (it
    /// lives on in the clones readers already hold).
    pub fn store(&self, value: Arc<T>) {
        let _writer = lock(&self.writer);
        let new = Arc::into_raw(value).cast_mut();
        // ORDERING: AcqRel: Release publishes the new version's contents to readers' Acquire
        // loads; Acquire takes the old one's, which this function drops.
        let old = self.current.swap(new, Ordering::AcqRel);
        // ORDERING: SeqCst fence, see `load`.
        fence(Ordering::SeqCst);
        for _ in 0..2 {
            // ORDERING: Relaxed read of our own last write (phase changes only under `writer`).
            let draining = self.phase.load(Ordering::Relaxed) & 1;
            // ORDERING: Relaxed: steering only, see `load`.
            self.phase.store(draining ^ 1, Ordering::Relaxed);
            // ORDERING: Acquire pairs with readers' Release decrements (their counts are taken
            // before we drop ours); the fence above orders these loads after the swap.
            while self.readers[draining].load(Ordering::Acquire) != 0 {
                spin_wait();
            }
        }
        // SAFETY: `old` came from `Arc::into_raw` (constructor or an earlier store) and carries
        // the cell's count, which is given up here exactly once. Every reader that could have
        // loaded `old` announced itself in a counter the loop above then saw drained, so it has
        // taken its own count already.
        drop(unsafe { Arc::from_raw(old) });
    }
}

impl<T> Drop for VersionCell<T> {
    fn drop(&mut self) {
        // ORDERING: `&mut self`: no reader or writer can be running.
        let ptr = self.current.load(Ordering::Relaxed);
        // SAFETY: the cell's own count of the current value, given up exactly once.
        drop(unsafe { Arc::from_raw(ptr) });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn load_sees_the_last_store_and_old_values_live_on_in_clones() {
        let cell = VersionCell::new(Arc::new(1));
        let first = cell.load();
        cell.store(Arc::new(2));
        assert_eq!(*first, 1);
        assert_eq!(*cell.load(), 2);
        assert_eq!(Arc::strong_count(&first), 1, "the cell gave up its count of the old value");
        let second = cell.load();
        assert_eq!(Arc::strong_count(&second), 2);
        drop(cell);
        assert_eq!(Arc::strong_count(&second), 1);
    }

    #[test]
    fn concurrent_readers_and_a_writer() {
        let cell = std::sync::Arc::new(VersionCell::new(Arc::new(0u64)));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                std::thread::spawn(move || {
                    let mut last = 0;
                    for _ in 0..20_000 {
                        let seen = *cell.load();
                        assert!(seen >= last, "versions went backwards: {seen} after {last}");
                        last = seen;
                    }
                })
            })
            .collect();
        for i in 1..=2_000 {
            cell.store(Arc::new(i));
        }
        for reader in readers {
            reader.join().expect("reader panicked");
        }
        assert_eq!(*cell.load(), 2_000);
    }
}
