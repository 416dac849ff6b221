//! The tree's own checkpoint thread, started when the tree opens.
//!
//! Why the tree owns it rather than whoever opened the store: everything that opens a store
//! writes through the overlay (the daemon, the CLI's tools, benches, tests), and an overlay
//! that nothing checkpoints grows without bound in memory (a bench filling a million
//! messages reached 14 GiB). The thread holds only a weak reference between checkpoints, so
//! dropping the last handle of the tree ends it.

use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::{Inner, Tree};

/// What wakes the thread before its interval is out.
#[derive(Debug, Default)]
pub(super) struct Wake {
    state: Mutex<State>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// A checkpoint is due by size.
    due: bool,
    /// The tree is gone.
    closed: bool,
}

impl Wake {
    /// Asks for a checkpoint now.
    pub(super) fn due(&self) {
        self.state.lock().due = true;
        self.cv.notify_one();
    }

    /// Ends the thread.
    pub(super) fn close(&self) {
        self.state.lock().closed = true;
        self.cv.notify_one();
    }
}

/// The running thread: dropped, it ends the thread and waits for it (a checkpoint under way
/// finishes first).
#[derive(Debug)]
pub(super) struct Thread {
    wake: Arc<Wake>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Thread {
    fn drop(&mut self) {
        self.wake.close();
        if let Some(handle) = self.handle.take() {
            // The thread holds no `Thread`, so this never runs on it; checked all the same,
            // as joining oneself would hang.
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// Starts the thread for the tree behind `inner`: a checkpoint every `every`, or sooner when
/// [`Wake::due`] is called.
pub(super) fn spawn(
    inner: Weak<Inner>,
    wake: Arc<Wake>,
    every: Duration,
) -> std::io::Result<Thread> {
    let thread_wake = wake.clone();
    let handle = std::thread::Builder::new()
        .name("smsgw-checkpoint".into())
        .spawn(move || {
            loop {
                {
                    let mut s = wake.state.lock();
                    if !s.due && !s.closed {
                        wake.cv.wait_for(&mut s, every);
                    }
                    if s.closed {
                        return;
                    }
                    s.due = false;
                }
                let Some(inner) = inner.upgrade() else {
                    return;
                };
                let tree = Tree {
                    _checkpoints: None,
                    inner,
                };
                if let Err(e) = tree.checkpoint() {
                    // The changes stay in the overlay and the journal; the next one retries.
                    tracing::error!(target: "smsgw::store", cause = %e, "checkpoint failed");
                }
            }
        })?;
    Ok(Thread {
        wake: thread_wake,
        handle: Some(handle),
    })
}
