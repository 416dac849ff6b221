//! Simulated SMPP SMSC (SMPP 3.4 server side), for smsgw's tests, benchmarks and demos.
//!
//! Accepts binds with configured credentials, answers submits with unique ids, sends receipts
//! after a configurable delay with a configurable outcome mix, delivers injected MO messages,
//! and can throttle, answer slowly, drop connections or send malformed PDUs. It reuses smsgw's
//! codec for speed; tests also drive it with a third-party client (rusmpp) so a bug shared by
//! both sides cannot hide.
//!
//! - [`config`]: accounts, id formats, [`Faults`].
//! - [`state`]: shared state, the submitted-message record, counters.
//! - [`session`]: one task per connection.
//! - [`receipts`]: receipt PDUs and their scheduler.
//! - [`text`]: user data ⇄ text (GSM default alphabet, Latin-1, UCS-2, UDH).
//! - [`control`]: the loopback HTTP control endpoint.
//!
//! Start one in-process with [`start`]; the `hw-sim smsc` subcommand does the same.

pub mod config;
pub mod control;
pub mod receipts;
pub mod session;
pub mod state;
pub mod text;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use smsgw::smpp::pdu::{Address, Body, COctetString, OctetString, SubmitSm, Tlv};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{Account, Faults, IdFormat, OutcomeMix, SmscConfig};
pub use state::{Delivered, StatsSnapshot, Submitted};

use state::{Outbound, Shared};

/// An MO message to inject.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Mo {
    /// Sender: `+digits` or digits (international), or alphanumeric.
    pub from: String,
    /// Recipient (the ESME's number or short code).
    pub to: String,
    /// The text; coded as GSM 7-bit when possible, else UCS-2, split with UDH when long.
    pub text: String,
    /// The account whose receiving bind gets it; any when absent.
    #[serde(default)]
    pub system_id: Option<String>,
}

/// Why an MO could not be injected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MoError {
    /// No receiver or transceiver bind (of that account) is bound.
    #[error("no receiving bind is connected")]
    NoReceiver,
    /// An address is longer than SMPP allows.
    #[error("address too long or contains NUL")]
    BadAddress,
}

/// A running simulated SMSC. Dropping it does not stop it; call [`SmscHandle::shutdown`].
#[derive(Debug)]
pub struct SmscHandle {
    /// Where ESMEs connect.
    pub smpp_addr: SocketAddr,
    /// The HTTP control endpoint, if started.
    pub control_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    mo_ref: AtomicU64,
}

fn address(a: &str) -> Result<Address, MoError> {
    let digits = a.strip_prefix('+').unwrap_or(a);
    let (ton, npi) = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        (1, 1)
    } else {
        (5, 0)
    };
    let addr = COctetString::try_from(digits).map_err(|_| MoError::BadAddress)?;
    if addr.len() > 20 {
        return Err(MoError::BadAddress);
    }
    Ok(Address { ton, npi, addr })
}

impl SmscHandle {
    /// Submitted messages, oldest first.
    pub fn submitted(&self) -> Vec<Submitted> {
        self.shared
            .submitted
            .lock()
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// deliver_sm sent (MO parts and receipts) with the ESME's answers, oldest first.
    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared
            .delivered
            .lock()
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets the submitted messages.
    pub fn clear_submitted(&self) {
        if let Ok(mut v) = self.shared.submitted.lock() {
            v.clear();
        }
    }

    /// Counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.snapshot()
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// Replaces the faults in force (applies to the next PDU).
    pub fn set_faults(&self, f: Faults) {
        if let Ok(mut g) = self.shared.faults.lock() {
            *g = f;
        }
    }

    /// Delivers an MO message (one deliver_sm per part) to a receiving bind. Returns the
    /// session number it went to.
    pub fn inject_mo(&self, mo: &Mo) -> Result<u64, MoError> {
        let reference = (self.mo_ref.fetch_add(1, Ordering::Relaxed) % 256) as u8;
        self.inject_mo_parts(mo, reference, 0..usize::MAX)
    }

    /// Delivers only the parts `which` (0-based) of an MO split with concatenation reference
    /// `reference`: a test sends the rest later, e.g. after the ESME restarted, as a network
    /// delivers the parts of a long message apart. Returns the session the last part went to.
    pub fn inject_mo_parts(
        &self,
        mo: &Mo,
        reference: u8,
        which: std::ops::Range<usize>,
    ) -> Result<u64, MoError> {
        let source = address(&mo.from)?;
        let dest = address(&mo.to)?;
        let (dc, parts) = text::encode_mo(&mo.text, reference);
        let udhi = parts.len() > 1;
        let mut session = None;
        for (_, p) in parts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| which.contains(i))
        {
            let body = Body::DeliverSm(SubmitSm {
                source: source.clone(),
                dest: dest.clone(),
                esm_class: if udhi {
                    smsgw::smpp::pdu::values::esm_class::UDHI
                } else {
                    0
                },
                data_coding: dc,
                short_message: OctetString::from(p),
                ..SubmitSm::default()
            });
            match self
                .shared
                .send_to_receiver(mo.system_id.as_deref(), Outbound::Request(Box::new(body)))
            {
                Ok(s) => {
                    session = Some(s);
                    self.shared.stats.mo_sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => return Err(MoError::NoReceiver),
            }
        }
        session.ok_or(MoError::NoReceiver)
    }

    /// Sends a long MO in one deliver_sm with `message_payload` (SMPP 3.4 §5.3.2.32) instead
    /// of UDH parts, as some SMSCs do.
    pub fn inject_mo_payload(&self, mo: &Mo) -> Result<u64, MoError> {
        let (dc, octets) = match text::text_to_gsm(&mo.text) {
            Some(g) => (0, g),
            None => (
                8,
                mo.text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ),
        };
        let body = Body::DeliverSm(SubmitSm {
            source: address(&mo.from)?,
            dest: address(&mo.to)?,
            data_coding: dc,
            tlvs: smsgw::smpp::pdu::Tlvs(vec![Tlv::message_payload(octets)]),
            ..SubmitSm::default()
        });
        let s = self
            .shared
            .send_to_receiver(mo.system_id.as_deref(), Outbound::Request(Box::new(body)))
            .map_err(|_| MoError::NoReceiver)?;
        self.shared.stats.mo_sent.fetch_add(1, Ordering::Relaxed);
        Ok(s)
    }

    /// Drops every connection now (no unbind). Returns how many.
    pub fn drop_connections(&self) -> usize {
        let Ok(mut m) = self.shared.sessions.lock() else {
            return 0;
        };
        let n = m.len();
        for (_, e) in m.drain() {
            e.cancel.cancel();
        }
        self.shared
            .stats
            .dropped
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    /// Sends one malformed deliver_sm (valid header, body cut inside `service_type`) to each
    /// receiving bind; a conforming ESME answers generic_nack with its sequence number.
    pub fn send_malformed(&self) -> usize {
        let Ok(m) = self.shared.sessions.lock() else {
            return 0;
        };
        let mut n = 0;
        for e in m.values().filter(|e| e.receives) {
            let frame: &[u8] = &[
                0, 0, 0, 17, 0, 0, 0, 5, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xfe, b'X',
            ];
            if e.tx.send(Outbound::Raw(Bytes::from_static(frame))).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Stops accepting, closes every session and waits for the tasks.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// Starts an SMSC on `config.listen` (and its control endpoint on `config.control`, which
/// must be a loopback address). Returns once both listen.
pub async fn start(config: SmscConfig) -> std::io::Result<Arc<SmscHandle>> {
    if let Some(c) = config.control
        && !c.ip().is_loopback()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the control endpoint listens on loopback only",
        ));
    }
    let listener = TcpListener::bind(config.listen).await?;
    let smpp_addr = listener.local_addr()?;
    let control = match config.control {
        Some(c) => Some(TcpListener::bind(c).await?),
        None => None,
    };
    let control_addr = control.as_ref().map(TcpListener::local_addr).transpose()?;
    let (rtx, rrx) = tokio::sync::mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        faults: std::sync::Mutex::new(config.faults.clone()),
        deciders: std::sync::Mutex::default(),
        submitted: std::sync::Mutex::default(),
        delivered: std::sync::Mutex::default(),
        sessions: std::sync::Mutex::default(),
        stats: state::Stats::default(),
        // Large enough that the hex and decimal forms of an id differ, as on real SMSCs.
        next_message_id: AtomicU64::new(1_000_000),
        next_session: AtomicU64::new(1),
        rr: AtomicU64::new(0),
        receipts: rtx,
        config,
    });
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let handle = Arc::new(SmscHandle {
        smpp_addr,
        control_addr,
        shared: shared.clone(),
        cancel: cancel.clone(),
        tracker: tracker.clone(),
        mo_ref: AtomicU64::new(1),
    });
    tracker.spawn(receipts::run(shared.clone(), rrx, cancel.clone()));
    {
        let (shared, cancel, t2) = (shared.clone(), cancel.clone(), tracker.clone());
        tracker.spawn(async move {
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = listener.accept() => match r {
                        Ok((stream, _)) => {
                            t2.spawn(session::run(shared.clone(), stream, cancel.child_token()));
                        }
                        Err(e) => {
                            tracing::warn!(target: "hw_sim::smsc", cause = %e, "accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        });
    }
    if let Some(l) = control {
        let app = control::router(handle.clone());
        let cancel = cancel.clone();
        tracker.spawn(async move {
            let _ = axum::serve(l, app)
                .with_graceful_shutdown(async move { cancel.cancelled().await })
                .await;
        });
    }
    Ok(handle)
}
