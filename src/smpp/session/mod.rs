//! ESME sessions (tokio): the I/O tasks of one SMPP link, thin loops around the codec.
//!
//! A [`Link`] is one operator account. It owns a queue of submits (filled by the route,
//! [`crate::smpp::route`]) and the pacing state ([`aimd`]: a rate controller driven by the share of throttled answers); its connection tasks
//! ([`conn`]) bind (transceiver, or transmitter + receiver), take submits while their window
//! has room, correlate responses by sequence number, answer and send enquire_link, hand
//! deliver_sm / data_sm to [`crate::smpp::inbound`], reconnect with backoff and jitter
//! ([`backoff`]), and unbind on shutdown. Nothing here writes the store except through
//! `inbound`; the outcome of each submit goes back to whoever queued it.
//!
//! Must not: block, hold a lock across `.await`, or decide message statuses (the route does).

pub mod aimd;
pub mod backoff;
pub mod conn;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot, watch};
use tokio::time::Instant;

use crate::config::SmppLinkConfig;
use crate::model::MessageId;
use crate::smpp::pdu::{Body, CommandStatus};

/// What a connection does (SMPP 3.4 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// bind_transceiver: both ways.
    Transceiver,
    /// bind_transmitter: submits only.
    Transmitter,
    /// bind_receiver: receipts and MO only.
    Receiver,
}

impl Role {
    /// Whether submits go through this connection.
    pub fn transmits(self) -> bool {
        matches!(self, Role::Transceiver | Role::Transmitter)
    }

    /// The word used in logs and `GET /v1/links`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Transceiver => "transceiver",
            Role::Transmitter => "transmitter",
            Role::Receiver => "receiver",
        }
    }
}

/// Where one connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// Connecting or waiting for the bind response.
    Connecting,
    /// Bound: usable.
    Bound,
    /// Waiting before reconnecting, with the reason of the last failure.
    Down(String),
    /// The SMSC refused the bind (bad credentials…): retried slowly.
    Refused(String),
    /// Stopped (shutdown).
    Stopped,
}

impl ConnState {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            ConnState::Connecting => "connecting".into(),
            ConnState::Bound => "bound".into(),
            ConnState::Down(r) => format!("down: {r}"),
            ConnState::Refused(r) => format!("bind refused: {r}"),
            ConnState::Stopped => "stopped".into(),
        }
    }
}

/// One connection as others see it.
#[derive(Debug)]
pub struct ConnView {
    /// What it does.
    pub role: Role,
    /// Where it is.
    pub state: Mutex<ConnState>,
    /// Submits awaiting their response.
    pub in_flight: AtomicUsize,
}

/// One submit to send, with where its outcome goes.
#[derive(Debug)]
pub struct SubmitReq {
    /// submit_sm (or data_sm) body.
    pub body: Body,
    /// The stored message and part it carries, if any: the session records the SMSC's id for
    /// it as it reads the response, before it can read a receipt that names that id.
    pub part: Option<(MessageId, u8)>,
    /// Receives the outcome.
    pub reply: oneshot::Sender<SubmitResult>,
}

/// The outcome of one submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitResult {
    /// `ESME_ROK` with the SMSC's message id.
    Accepted {
        /// The SMSC's id for the message.
        message_id: String,
    },
    /// Any other command_status (or a generic_nack for it).
    Refused(CommandStatus),
    /// Written, but the connection ended or timed out before the response: it may have
    /// reached the SMSC.
    Lost,
    /// Never written (the link is stopping).
    NotSent,
}

/// Counters of a link (read by metrics and tests).
#[derive(Debug, Default)]
pub struct LinkStats {
    /// submit_sm written.
    pub submits: AtomicU64,
    /// Accepted with ESME_ROK.
    pub accepted: AtomicU64,
    /// Answered ESME_RTHROTTLED / ESME_RMSGQFUL.
    pub throttled: AtomicU64,
    /// Answered with another error.
    pub refused: AtomicU64,
    /// Written without a response before the connection ended.
    pub lost: AtomicU64,
    /// Parts resent after a lost response, marked possible duplicates.
    pub possible_duplicates: AtomicU64,
    /// Successful binds.
    pub binds: AtomicU64,
    /// Refused binds.
    pub bind_refusals: AtomicU64,
    /// generic_nack sent for malformed PDUs.
    pub nacks_sent: AtomicU64,
    /// Receipts applied.
    pub receipts: AtomicU64,
    /// Receipts that matched nothing when they came (parked).
    pub receipts_parked: AtomicU64,
    /// Parked receipts that matched later.
    pub receipts_matched_late: AtomicU64,
    /// Receipts parked now: counted from the store when the link starts and hourly, moved by
    /// each park and unpark in between (a gauge that needs no walk per scrape).
    pub receipts_parked_now: AtomicU64,
    /// Parked receipts dropped unmatched after the receipt horizon
    /// ([`crate::smpp::inbound::receipt_keep`]).
    pub receipts_expired: AtomicU64,
    /// MO parts received.
    pub mo: AtomicU64,
    /// Response timeouts on a bound connection (each causes a reconnect).
    pub response_timeouts: AtomicU64,
}

/// The shared state of one SMPP link.
#[derive(Debug)]
pub struct Link {
    /// The route name (also the key of its receipts and reassembly in the store).
    pub name: String,
    /// Its configuration.
    pub config: SmppLinkConfig,
    queue: Mutex<VecDeque<SubmitReq>>,
    aimd: Mutex<aimd::Pacing>,
    /// Wakes a connection when submits are queued.
    pub work: Notify,
    /// Bumped on every successful bind (routes wait for a rebind on it).
    bound_tx: watch::Sender<u64>,
    /// The connections.
    pub conns: Vec<Arc<ConnView>>,
    /// Jobs the route has taken and not finished (capacity accounting).
    pub reserved: AtomicUsize,
    /// The dispatcher's wake-up.
    pub waker: Mutex<Option<Arc<Notify>>>,
    /// Counters.
    pub stats: LinkStats,
}

impl Link {
    /// A link with its connection views (one per session, two in transmitter+receiver mode).
    pub fn new(name: &str, config: SmppLinkConfig) -> Arc<Link> {
        let roles: &[Role] = match config.bind {
            crate::config::BindMode::Transceiver => &[Role::Transceiver],
            crate::config::BindMode::TransmitterReceiver => &[Role::Transmitter, Role::Receiver],
        };
        let conns = (0..config.sessions.max(1))
            .flat_map(|_| roles.iter().copied())
            .map(|role| {
                Arc::new(ConnView {
                    role,
                    state: Mutex::new(ConnState::Connecting),
                    in_flight: AtomicUsize::new(0),
                })
            })
            .collect();
        let rate = config.rate.map(|r| r.per_second());
        Arc::new(Link {
            name: name.to_string(),
            aimd: Mutex::new(aimd::Pacing::new(config.window, rate, Instant::now())),
            config,
            queue: Mutex::new(VecDeque::new()),
            work: Notify::new(),
            bound_tx: watch::Sender::new(0),
            conns,
            reserved: AtomicUsize::new(0),
            waker: Mutex::new(None),
            stats: LinkStats::default(),
        })
    }

    /// Queues a submit; `front` puts it back in its place (a throttled or resent one).
    pub fn enqueue(&self, req: SubmitReq, front: bool) {
        {
            let mut q = self.queue.lock();
            if front {
                q.push_front(req);
            } else {
                q.push_back(req);
            }
        }
        self.work.notify_one();
    }

    /// Submits waiting for a window slot.
    pub fn queued(&self) -> usize {
        self.queue.lock().len()
    }

    /// Takes up to `room` submits that pacing allows now; when pacing holds some back, also
    /// returns when to look again.
    pub fn take(&self, room: usize, now: Instant) -> (Vec<SubmitReq>, Option<Instant>) {
        let mut out = Vec::new();
        let mut q = self.queue.lock();
        if q.is_empty() || room == 0 {
            return (out, None);
        }
        let mut aimd = self.aimd.lock();
        let mut wait = None;
        while out.len() < room && !q.is_empty() {
            match aimd.take(now) {
                Ok(()) => {
                    if let Some(r) = q.pop_front() {
                        out.push(r);
                    }
                }
                Err(at) => {
                    wait = Some(at);
                    break;
                }
            }
        }
        let more = !q.is_empty();
        drop(aimd);
        drop(q);
        if more && wait.is_none() {
            // Another connection may have room for the rest.
            self.work.notify_one();
        }
        (out, wait)
    }

    /// The window per session now (at most about a second's worth of the paced rate).
    pub fn window(&self) -> usize {
        self.aimd.lock().window()
    }

    /// The rate limit now (lowered by throttling), if any.
    pub fn current_rate(&self) -> Option<f64> {
        self.aimd.lock().rate()
    }

    /// How many times the SMSC's throttling cut the rate.
    pub fn throttle_cuts(&self) -> u64 {
        self.aimd.lock().cuts
    }

    /// Records an accepted submit written at `sent` (the rate may grow).
    pub fn on_accept(&self, sent: Instant, now: Instant) {
        self.aimd.lock().on_accept(sent, now);
    }

    /// Records a throttle answer to a submit written at `sent` (the rate may be cut).
    pub fn on_throttle(&self, sent: Instant, now: Instant) {
        self.aimd.lock().on_throttle(sent, now);
    }

    /// Bound connections that transmit.
    pub fn bound_transmitters(&self) -> usize {
        self.conns
            .iter()
            .filter(|c| c.role.transmits() && *c.state.lock() == ConnState::Bound)
            .count()
    }

    /// Sets a connection's state; returns whether it changed (for logging once per change).
    pub fn set_state(&self, conn: usize, state: ConnState) -> bool {
        let Some(c) = self.conns.get(conn) else {
            return false;
        };
        let changed = {
            let mut s = c.state.lock();
            let changed = *s != state;
            *s = state.clone();
            changed
        };
        if state == ConnState::Bound {
            self.bound_tx.send_modify(|n| *n += 1);
            self.wake_dispatcher();
        }
        changed
    }

    /// Waits until a transmitting connection is bound, at most `limit`. Returns whether one is.
    pub async fn wait_bound(&self, limit: std::time::Duration) -> bool {
        let mut rx = self.bound_tx.subscribe();
        let deadline = Instant::now() + limit;
        loop {
            if self.bound_transmitters() > 0 {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return self.bound_transmitters() > 0,
            }
        }
    }

    /// Tells the dispatcher the link may take more.
    pub fn wake_dispatcher(&self) {
        if let Some(w) = self.waker.lock().as_ref() {
            w.notify_one();
        }
    }

    /// Fails every queued submit with `NotSent` (shutdown).
    pub fn drain(&self) {
        let drained: Vec<SubmitReq> = self.queue.lock().drain(..).collect();
        for r in drained {
            let _ = r.reply.send(SubmitResult::NotSent);
        }
    }

    /// Counter helper.
    pub fn count(c: &AtomicU64) {
        Self::add(c, 1);
    }

    /// Takes one from a gauge of [`LinkStats`] (never below zero).
    pub fn uncount(c: &AtomicU64) {
        let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Adds `n` to a counter of [`LinkStats`].
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}
