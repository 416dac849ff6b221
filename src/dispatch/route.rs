//! The seam between the dispatcher and the ways out (modem pools, SMPP links).

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::model::OutboundMessage;
pub use crate::model::{PartOutcome, SendReport};

/// A boxed future, so routes can be used as trait objects.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Whether a route can take messages right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Up, with room for `free` more messages now (free modems, SMPP window slots). Zero means
    /// busy: the route wakes the dispatcher when a slot frees.
    Ready {
        /// How many more jobs it takes before it is full.
        free: usize,
    },
    /// Not usable (link not bound, no modem registered): the dispatcher fails over. The text
    /// says why, for `/readyz` and logs.
    Down(String),
}

/// The parts of one message a route should send now.
#[derive(Debug, Clone)]
pub struct SendJob {
    /// The message as stored when it was handed over.
    pub message: OutboundMessage,
    /// 1-based indexes of the parts to send (parts sent by an earlier attempt are left out).
    pub parts: Vec<u8>,
}

/// A way out for messages. Implementations own their I/O tasks; these methods must be cheap
/// and must not block.
pub trait Route: Send + Sync + Debug + 'static {
    /// Unique name from the configuration.
    fn name(&self) -> &str;

    /// Whether the route can take a message now.
    fn readiness(&self) -> Readiness;

    /// Sends the job's parts and reports each part's outcome. Called only after `readiness`
    /// said `Ready` with a free slot. The route must count the job against its capacity when
    /// this is called (not when the future is first polled), so the next `readiness` is
    /// accurate. A route that has become unable must answer `Temporary`, never hang.
    fn send(&self, job: SendJob) -> BoxFuture<SendReport>;

    /// Gives the route the dispatcher's wake-up: the route notifies it whenever it may have
    /// become ready again (a slot freed, a link bound), so the dispatcher never polls.
    fn set_waker(&self, waker: Arc<Notify>) {
        let _ = waker;
    }
}
