//! A route test double: records what it was asked to send, answers from a script, can be
//! taken down, and can hold sends until released.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;
use smsgw::dispatch::{BoxFuture, PartOutcome, Readiness, Route, SendJob, SendReport};
use smsgw::model::MessageId;
use tokio::sync::{Notify, Semaphore};

/// How the double answers each send: given the 1-based number of this send, the outcome for
/// every part.
pub type Policy = Box<dyn Fn(usize, &SendJob) -> PartOutcome + Send + Sync>;

/// One recorded send.
#[derive(Debug, Clone)]
pub struct Sent {
    /// tokio time of the send.
    pub at: tokio::time::Instant,
    /// The message.
    pub id: MessageId,
    /// Whether the message was marked as possibly sent before.
    pub possible_duplicate: bool,
}

pub struct FakeRoute {
    name: String,
    capacity: usize,
    in_flight: Arc<AtomicUsize>,
    down: AtomicBool,
    policy: Policy,
    sends: Arc<Mutex<Vec<Sent>>>,
    waker: Mutex<Option<Arc<Notify>>>,
    /// When set, each send waits for a permit before answering.
    pub hold: Option<Arc<Semaphore>>,
}

impl std::fmt::Debug for FakeRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeRoute")
            .field("name", &self.name)
            .finish()
    }
}

impl FakeRoute {
    /// A route that accepts everything, `capacity` at a time.
    pub fn accepting(name: &str, capacity: usize) -> Self {
        Self::with_policy(
            name,
            capacity,
            Box::new(|n, _| PartOutcome::Sent {
                remote_id: Some(format!("r{n}")),
            }),
        )
    }

    /// A route answering with `policy`.
    pub fn with_policy(name: &str, capacity: usize, policy: Policy) -> Self {
        Self {
            name: name.to_string(),
            capacity,
            in_flight: Arc::new(AtomicUsize::new(0)),
            down: AtomicBool::new(false),
            policy,
            sends: Arc::new(Mutex::new(Vec::new())),
            waker: Mutex::new(None),
            hold: None,
        }
    }

    /// Takes the route down or brings it up (waking the dispatcher).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().as_ref() {
            w.notify_one();
        }
    }

    /// Every send so far.
    pub fn sends(&self) -> Vec<Sent> {
        self.sends.lock().clone()
    }
}

impl Route for FakeRoute {
    fn name(&self) -> &str {
        &self.name
    }

    fn readiness(&self) -> Readiness {
        if self.down.load(Ordering::SeqCst) {
            return Readiness::Down("taken down by the test".into());
        }
        Readiness::Ready {
            free: self
                .capacity
                .saturating_sub(self.in_flight.load(Ordering::SeqCst)),
        }
    }

    fn send(&self, job: SendJob) -> BoxFuture<SendReport> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let n = {
            let mut sends = self.sends.lock();
            sends.push(Sent {
                at: tokio::time::Instant::now(),
                id: job.message.id,
                possible_duplicate: job.message.parts.iter().any(|p| p.possible_duplicate),
            });
            sends.len()
        };
        let outcome = (self.policy)(n, &job);
        let report = SendReport {
            parts: job.parts.iter().map(|&i| (i, outcome.clone())).collect(),
        };
        let in_flight = self.in_flight.clone();
        let waker = self.waker.lock().clone();
        let hold = self.hold.clone();
        Box::pin(async move {
            if let Some(h) = hold {
                if let Ok(permit) = h.acquire().await {
                    permit.forget();
                }
            }
            in_flight.fetch_sub(1, Ordering::SeqCst);
            if let Some(w) = waker {
                w.notify_one();
            }
            report
        })
    }

    fn set_waker(&self, waker: Arc<Notify>) {
        *self.waker.lock() = Some(waker);
    }
}
