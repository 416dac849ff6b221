//! One connection task: connect, bind, then serve the bind until it ends; reconnect with
//! backoff; unbind on shutdown.
//!
//! While bound it writes submits taken from the link's queue while its window has room,
//! correlates responses by sequence number (SMPP 3.4 §3.2), answers enquire_link and sends one
//! after `enquire_link` of silence (§4.11), answers generic_nack to frames it cannot decode and
//! goes on (§4.3), and treats a response that does not come within `response_timeout` as a
//! dead link: it reconnects, and every submit written without a response is reported
//! [`SubmitResult::Lost`] so the route resends it marked as a possible duplicate.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::backoff::Backoff;
use super::{ConnState, Link, Role, SubmitResult};
use crate::model::{MessageId, Timestamp};
use crate::smpp::codec::{FrameError, SmppCodec};
use crate::smpp::pdu::values::interface_version;
use crate::smpp::pdu::{Bind, Body, COctetString, CommandStatus, Pdu, SmResp, TlvTag};
use crate::store::{SmscIdRecord, Store};

/// Longest wait for unbind_resp at shutdown.
const UNBIND_WAIT: Duration = Duration::from_secs(2);

type Reader = FramedRead<tokio::net::tcp::OwnedReadHalf, SmppCodec>;
type Writer = FramedWrite<tokio::net::tcp::OwnedWriteHalf, SmppCodec>;

/// Why a bound session ended.
enum End {
    Shutdown,
    Lost(String),
}

/// Runs connection `index` of `link` until `cancel`.
pub async fn run(link: Arc<Link>, index: usize, store: Arc<Store>, cancel: CancellationToken) {
    let cfg = &link.config;
    let role = link.conns[index].role;
    let mut backoff = Backoff::new(cfg.reconnect_min.get(), cfg.reconnect_max.get());
    loop {
        if cancel.is_cancelled() {
            break;
        }
        link.set_state(index, ConnState::Connecting);
        let delay = match connect_and_bind(&link, role).await {
            Ok((rd, wr, peer_version)) => {
                backoff.reset();
                Link::count(&link.stats.binds);
                if link.set_state(index, ConnState::Bound) {
                    info!(target: "smsgw::smpp", link = %link.name, conn = index, role = role.as_str(), peer_version = format_args!("{peer_version:#04x}"), "bound");
                }
                let end = Session::new(link.clone(), index, role, store.clone())
                    .serve(rd, wr, &cancel)
                    .await;
                match end {
                    End::Shutdown => break,
                    End::Lost(reason) => {
                        if link.set_state(index, ConnState::Down(reason.clone())) {
                            warn!(target: "smsgw::smpp", link = %link.name, conn = index, %reason, "connection lost; reconnecting");
                        }
                        backoff.next_delay()
                    }
                }
            }
            Err(BindError::Refused(status)) => {
                Link::count(&link.stats.bind_refusals);
                if link.set_state(index, ConnState::Refused(status.to_string())) {
                    warn!(target: "smsgw::smpp", link = %link.name, conn = index, %status, "the SMSC refused the bind; retrying slowly (check system_id and password)");
                }
                backoff.refused()
            }
            Err(BindError::Other(reason)) => {
                if link.set_state(index, ConnState::Down(reason.clone())) {
                    warn!(target: "smsgw::smpp", link = %link.name, conn = index, %reason, "cannot bind; retrying with backoff");
                }
                backoff.next_delay()
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    link.set_state(index, ConnState::Stopped);
}

enum BindError {
    Refused(CommandStatus),
    Other(String),
}

/// Connects and binds; returns the framed halves and the SMSC's interface version.
async fn connect_and_bind(link: &Link, role: Role) -> Result<(Reader, Writer, u8), BindError> {
    let cfg = &link.config;
    let timeout = cfg.response_timeout.get();
    let addr = format!("{}:{}", cfg.host, cfg.port);
    let stream = tokio::time::timeout(timeout, TcpStream::connect(&addr))
        .await
        .map_err(|_| BindError::Other(format!("connect to {addr} timed out")))?
        .map_err(|e| BindError::Other(format!("connect to {addr}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    let mut rd = FramedRead::new(r, SmppCodec::new());
    let mut wr = FramedWrite::new(w, SmppCodec::new());
    let cstr = |s: &str| COctetString::try_from(s).map_err(|e| BindError::Other(e.to_string()));
    let bind = Bind {
        system_id: cstr(&cfg.system_id)?,
        password: cstr(&cfg.password.0)?,
        system_type: cstr(&cfg.system_type)?,
        interface_version: interface_version::V34,
        ..Bind::default()
    };
    let body = match role {
        Role::Transceiver => Body::BindTransceiver(bind),
        Role::Transmitter => Body::BindTransmitter(bind),
        Role::Receiver => Body::BindReceiver(bind),
    };
    wr.send(Pdu::new(1, body))
        .await
        .map_err(|e| BindError::Other(e.to_string()))?;
    let deadline = Instant::now() + timeout;
    loop {
        let frame = tokio::time::timeout_at(deadline, rd.next())
            .await
            .map_err(|_| BindError::Other("no bind response".into()))?;
        let pdu = match frame {
            None => return Err(BindError::Other("closed during bind".into())),
            Some(Err(e)) => return Err(BindError::Other(e.to_string())),
            Some(Ok(Err(e))) => return Err(BindError::Other(format!("bad bind response: {e}"))),
            Some(Ok(Ok(p))) => p,
        };
        match (&pdu.body, pdu.sequence_number) {
            (
                Body::BindTransceiverResp(r)
                | Body::BindTransmitterResp(r)
                | Body::BindReceiverResp(r),
                1,
            ) => {
                if pdu.command_status != CommandStatus::Ok {
                    return Err(BindError::Refused(pdu.command_status));
                }
                // §5.3.2.25: absent means the SMSC does not support TLVs (3.3); 3.4 and a 5.0
                // peer (which speaks 3.4 to a 3.4 ESME) are both fine.
                let v = r
                    .tlvs
                    .get_u8(TlvTag::ScInterfaceVersion)
                    .unwrap_or(interface_version::V33);
                return Ok((rd, wr, v));
            }
            (Body::GenericNack, _) => {
                return Err(BindError::Refused(pdu.command_status));
            }
            _ => {
                debug!(target: "smsgw::smpp", link = %link.name, pdu = ?pdu.command_id(), "ignored before bind")
            }
        }
    }
}

enum Pending {
    /// The reply, the part, and when the submit was queued for writing.
    Submit(
        oneshot::Sender<SubmitResult>,
        Option<(MessageId, u8)>,
        Instant,
    ),
    EnquireLink,
    Unbind,
}

/// A bound connection's state.
struct Session {
    link: Arc<Link>,
    index: usize,
    role: Role,
    store: Arc<Store>,
    next_seq: u32,
    pending: HashMap<u32, Pending>,
    /// (deadline, sequence) in send order: deadlines only grow, so the front is the earliest.
    deadlines: VecDeque<(Instant, u32)>,
    out: Vec<Pdu>,
    last_rx: Instant,
    responses: (mpsc::UnboundedSender<Pdu>, mpsc::UnboundedReceiver<Pdu>),
}

impl Session {
    fn new(link: Arc<Link>, index: usize, role: Role, store: Arc<Store>) -> Session {
        Session {
            link,
            index,
            role,
            store,
            next_seq: 2,
            pending: HashMap::new(),
            deadlines: VecDeque::new(),
            out: Vec::new(),
            last_rx: Instant::now(),
            responses: mpsc::unbounded_channel(),
        }
    }

    fn seq(&mut self) -> u32 {
        let s = self.next_seq;
        // §3.2: sequence numbers run 0x00000001..=0x7FFFFFFF.
        self.next_seq = if s >= 0x7FFF_FFFF { 1 } else { s + 1 };
        s
    }

    fn request(&mut self, body: Body, pending: Pending) {
        let seq = self.seq();
        let deadline = Instant::now() + self.link.config.response_timeout.get();
        self.pending.insert(seq, pending);
        self.deadlines.push_back((deadline, seq));
        self.out.push(Pdu::new(seq, body));
    }

    fn submits_in_flight(&self) -> usize {
        self.pending
            .values()
            .filter(|p| matches!(p, Pending::Submit(..)))
            .count()
    }

    fn set_in_flight(&self) {
        self.link.conns[self.index]
            .in_flight
            .store(self.submits_in_flight(), Ordering::Relaxed);
    }

    async fn serve(mut self, mut rd: Reader, mut wr: Writer, cancel: &CancellationToken) -> End {
        let enquire_every = self.link.config.enquire_link.get();
        let mut pace_at: Option<Instant> = None;
        let end = loop {
            // Fill the window.
            if self.role.transmits() {
                let room = self.link.window().saturating_sub(self.submits_in_flight());
                let now = Instant::now();
                let (reqs, wait) = self.link.take(room, now);
                pace_at = wait;
                for r in reqs {
                    if r.reply.is_closed() {
                        continue;
                    }
                    Link::count(&self.link.stats.submits);
                    self.request(r.body, Pending::Submit(r.reply, r.part, now));
                }
                self.set_in_flight();
            }
            if !self.out.is_empty() {
                let mut failed = None;
                for p in self.out.drain(..) {
                    if let Err(e) = wr.feed(p).await {
                        failed = Some(e);
                        break;
                    }
                }
                if failed.is_none() {
                    if let Err(e) = SinkExt::<Pdu>::flush(&mut wr).await {
                        failed = Some(e);
                    }
                }
                if let Some(e) = failed {
                    break End::Lost(format!("write failed: {e}"));
                }
            }
            let next_deadline = self.deadlines.front().map(|(t, _)| *t);
            let idle_at = self.last_rx + enquire_every;
            let wake_at = next_deadline.map_or(idle_at, |d| d.min(idle_at));
            let room = self.role.transmits()
                && self.submits_in_flight() < self.link.window()
                && pace_at.is_none();
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break End::Shutdown,
                frame = rd.next() => match frame {
                    None => break End::Lost("the SMSC closed the connection".into()),
                    Some(Err(FrameError::Length { command_length, sequence_number, .. })) => {
                        self.out.push(Pdu::with_status(sequence_number.unwrap_or(0), CommandStatus::InvalidCommandLength, Body::GenericNack));
                        let _ = flush_all(&mut wr, &mut self.out).await;
                        break End::Lost(format!("framing lost (command_length {command_length})"));
                    }
                    Some(Err(e)) => break End::Lost(e.to_string()),
                    Some(Ok(Err(e))) => {
                        self.last_rx = Instant::now();
                        Link::count(&self.link.stats.nacks_sent);
                        debug!(target: "smsgw::smpp", link = %self.link.name, cause = %e, "malformed PDU; answered generic_nack");
                        self.out.push(Pdu::generic_nack_for(&e));
                    }
                    Some(Ok(Ok(pdu))) => {
                        self.last_rx = Instant::now();
                        if let Some(end) = self.handle(pdu) {
                            let _ = flush_all(&mut wr, &mut self.out).await;
                            break end;
                        }
                    }
                },
                Some(resp) = self.responses.1.recv() => self.out.push(resp),
                _ = self.link.work.notified(), if room => {}
                _ = tokio::time::sleep_until(pace_at.unwrap_or_else(Instant::now)), if pace_at.is_some() => {}
                _ = tokio::time::sleep_until(wake_at) => {
                    let now = Instant::now();
                    if self.deadlines.front().is_some_and(|(t, s)| *t <= now && self.pending.contains_key(s)) {
                        Link::count(&self.link.stats.response_timeouts);
                        break End::Lost(format!("no response within {:?}", self.link.config.response_timeout.get()));
                    }
                    while self.deadlines.front().is_some_and(|(_, s)| !self.pending.contains_key(s)) {
                        self.deadlines.pop_front();
                    }
                    if now >= self.last_rx + enquire_every
                        && !self.pending.values().any(|p| matches!(p, Pending::EnquireLink))
                    {
                        self.request(Body::EnquireLink, Pending::EnquireLink);
                    }
                }
            }
        };
        if matches!(end, End::Shutdown) {
            self.unbind(&mut rd, &mut wr).await;
        }
        for (_, p) in self.pending.drain() {
            if let Pending::Submit(reply, ..) = p {
                Link::count(&self.link.stats.lost);
                let _ = reply.send(SubmitResult::Lost);
            }
        }
        self.set_in_flight();
        end
    }

    /// Orderly unbind (§4.2): send unbind, wait briefly for its response while still taking
    /// the responses of submits in flight.
    async fn unbind(&mut self, rd: &mut Reader, wr: &mut Writer) {
        self.request(Body::Unbind, Pending::Unbind);
        if flush_all(wr, &mut self.out).await.is_err() {
            return;
        }
        let deadline = Instant::now() + UNBIND_WAIT.min(self.link.config.response_timeout.get());
        while let Ok(Some(Ok(Ok(pdu)))) = tokio::time::timeout_at(deadline, rd.next()).await {
            let done = matches!(pdu.body, Body::UnbindResp);
            let _ = self.handle(pdu);
            let _ = flush_all(wr, &mut self.out).await;
            if done {
                break;
            }
        }
        info!(target: "smsgw::smpp", link = %self.link.name, conn = self.index, "unbound");
    }

    /// Handles one PDU from the SMSC; returns `Some` when the session must end.
    fn handle(&mut self, pdu: Pdu) -> Option<End> {
        let seq = pdu.sequence_number;
        let status = pdu.command_status;
        match pdu.body {
            Body::SubmitSmResp(r) | Body::DataSmResp(r) => self.complete(seq, status, Some(r)),
            Body::GenericNack => self.complete(seq, status, None),
            Body::EnquireLinkResp | Body::UnbindResp => {
                self.pending.remove(&seq);
            }
            Body::EnquireLink => self.out.push(Pdu::new(seq, Body::EnquireLinkResp)),
            Body::Unbind => {
                self.out.push(Pdu::new(seq, Body::UnbindResp));
                return Some(End::Lost("the SMSC unbound".into()));
            }
            body @ (Body::DeliverSm(_) | Body::DataSm(_)) => {
                let is_data = matches!(body, Body::DataSm(_));
                // Queued here, in the order read; only the wait for the write is spawned.
                let answer = crate::smpp::inbound::accept(&self.link, &self.store, body);
                let tx = self.responses.0.clone();
                tokio::spawn(async move {
                    let status = answer.status().await;
                    let resp = SmResp::default();
                    let body = if is_data {
                        Body::DataSmResp(resp)
                    } else {
                        Body::DeliverSmResp(resp)
                    };
                    let _ = tx.send(Pdu::with_status(seq, status, body));
                });
            }
            Body::AlertNotification(_) | Body::DeliverSmResp(_) => {}
            other => {
                // A request an ESME does not serve (§4.3.1: generic_nack with
                // ESME_RINVCMDID); responses to nothing we sent are ignored.
                if !other.command_id().is_response() {
                    self.out.push(Pdu::with_status(
                        seq,
                        CommandStatus::InvalidCommandId,
                        Body::GenericNack,
                    ));
                }
            }
        }
        None
    }

    fn complete(&mut self, seq: u32, status: CommandStatus, resp: Option<SmResp>) {
        let Some(Pending::Submit(reply, part, sent)) = self.pending.remove(&seq) else {
            return;
        };
        let now = Instant::now();
        let result = if status == CommandStatus::Ok && resp.is_some() {
            Link::count(&self.link.stats.accepted);
            self.link.on_accept(sent, now);
            let message_id = resp
                .map(|r| r.message_id.to_string_lossy())
                .unwrap_or_default();
            // Here rather than in the task waiting for the reply: a receipt that follows on
            // this connection then always finds its message instead of being parked (it is
            // queued on the store's writer after this).
            if let Some((id, part)) = part {
                let rec = SmscIdRecord {
                    id,
                    part,
                    at: Timestamp::now(),
                    smsc_id: message_id.clone(),
                };
                self.store.writer().record_smsc_id(&self.link.name, rec);
            }
            SubmitResult::Accepted { message_id }
        } else {
            if status.is_throttle() {
                Link::count(&self.link.stats.throttled);
                self.link.on_throttle(sent, now);
            } else {
                Link::count(&self.link.stats.refused);
            }
            SubmitResult::Refused(status)
        };
        let _ = reply.send(result);
        self.set_in_flight();
    }
}

async fn flush_all(wr: &mut Writer, out: &mut Vec<Pdu>) -> Result<(), FrameError> {
    for p in out.drain(..) {
        wr.feed(p).await?;
    }
    SinkExt::<Pdu>::flush(wr).await
}
