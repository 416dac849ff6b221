//! One task per ESME connection: binds, submits, receipts scheduling, MO delivery, faults.
//!
//! Reading and writing are split (`FramedRead`/`FramedWrite` over the two halves of the
//! socket) so responses are written as they are produced and flushed when the loop has
//! nothing more to do: under load, many PDUs share one write.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use smsgw::smpp::codec::SmppCodec;
use smsgw::smpp::pdu::values::{esm_class, interface_version, registered_delivery};
use smsgw::smpp::pdu::{
    Address, Bind, BindResp, Body, COctetString, CommandStatus, DataSm, Pdu, QuerySmResp, SmResp,
    SubmitMultiResp, SubmitSm, Tlv, TlvTag, Tlvs,
};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::codec::{Encoder, FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use super::receipts::{self, Pending, ReceiptFor};
use super::state::{self, Outbound, SessionEntry, Shared, Submitted};
use super::text;

/// What goes on the wire: a PDU, or raw octets for the malformed-PDU fault. Not boxed: PDUs
/// are the hot path and raw frames are rare.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Wire {
    Pdu(Pdu),
    Raw(Bytes),
}

#[derive(Debug, Default)]
struct WireCodec(SmppCodec);

impl Encoder<Wire> for WireCodec {
    type Error = smsgw::smpp::codec::FrameError;
    fn encode(&mut self, w: Wire, dst: &mut BytesMut) -> Result<(), Self::Error> {
        match w {
            Wire::Pdu(p) => self.0.encode(&p, dst),
            Wire::Raw(b) => {
                dst.extend_from_slice(&b);
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    No,
    Transmitter,
    Receiver,
    Transceiver,
}

impl Bound {
    fn transmits(self) -> bool {
        matches!(self, Bound::Transmitter | Bound::Transceiver)
    }
}

/// Serves one connection until it closes, the ESME unbinds, a fault drops it, or `cancel`.
pub async fn run(shared: Arc<Shared>, stream: TcpStream, cancel: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let id = shared.next_session.fetch_add(1, Ordering::Relaxed);
    let (r, w) = stream.into_split();
    let mut rd = FramedRead::new(r, SmppCodec::new());
    let mut wr = FramedWrite::new(w, WireCodec::default());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut s = Session {
        shared: shared.clone(),
        id,
        bound: Bound::No,
        system_id: String::new(),
        next_seq: 1,
        delayed: VecDeque::new(),
        out: Vec::new(),
        close: false,
        tx,
        cancel: cancel.clone(),
        unanswered: std::collections::BTreeMap::new(),
        requeued: 0,
    };
    let mut dirty = false;
    loop {
        let mut failed = false;
        for w in s.out.drain(..) {
            failed |= wr.feed(w).await.is_err();
            dirty = true;
        }
        s.close |= failed;
        if s.close {
            let _ = wr.flush().await;
            break;
        }
        let next_delayed = s.delayed.front().map(|(t, _)| *t);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            frame = rd.next() => match frame {
                None => break,
                Some(Err(e)) => {
                    // Framing lost (command_length out of bounds): nack and close (§4.3).
                    tracing::debug!(target: "hw_sim::smsc", session = id, cause = %e, "framing error");
                    let seq = match e {
                        smsgw::smpp::codec::FrameError::Length { sequence_number, .. } => sequence_number.unwrap_or(0),
                        _ => 0,
                    };
                    s.out.push(Wire::Pdu(Pdu::with_status(seq, CommandStatus::InvalidCommandLength, Body::GenericNack)));
                    s.close = true;
                }
                Some(Ok(Err(e))) => {
                    shared.stats.malformed_received.fetch_add(1, Ordering::Relaxed);
                    s.out.push(Wire::Pdu(Pdu::generic_nack_for(&e)));
                }
                Some(Ok(Ok(pdu))) => s.handle(pdu),
            },
            Some(o) = rx.recv() => s.outbound(o),
            _ = tokio::time::sleep_until(next_delayed.unwrap_or_else(Instant::now)), if next_delayed.is_some() => {
                let now = Instant::now();
                while s.delayed.front().is_some_and(|(t, _)| *t <= now) {
                    if let Some((_, p)) = s.delayed.pop_front() {
                        s.out.push(Wire::Pdu(p));
                    }
                }
            }
            r = wr.flush(), if dirty => {
                dirty = false;
                if r.is_err() { break; }
            }
        }
    }
    if let Ok(mut m) = shared.sessions.lock() {
        m.remove(&id);
    }
    // Out of the registry: nothing more is queued here. What was queued and never written
    // goes back too, so a message handed to this session just before it closed is not lost.
    rx.close();
    while let Ok(o) = rx.try_recv() {
        if let Outbound::Request(body) | Outbound::Redelivery(body) = o {
            s.requeue(*body, false);
        }
    }
    s.redeliver_unanswered();
}

struct Session {
    shared: Arc<Shared>,
    id: u64,
    bound: Bound,
    system_id: String,
    next_seq: u32,
    delayed: VecDeque<(Instant, Pdu)>,
    out: Vec<Wire>,
    close: bool,
    tx: tokio::sync::mpsc::UnboundedSender<Outbound>,
    cancel: CancellationToken,
    /// deliver_sm sent on this connection and not answered yet, by sequence number: sent
    /// again through another bind if the connection closes first (SMPP 3.4 §2.8: the ESME
    /// acknowledges what it took; what it did not acknowledge is still the SMSC's).
    unanswered: std::collections::BTreeMap<u32, Box<Body>>,
    /// deliver_sm handed back to the scheduler so far (orders them).
    requeued: u64,
}

/// The empty response body for a request, for refusing it with a status.
fn response_for(body: &Body) -> Option<Body> {
    Some(match body {
        Body::BindTransmitter(_) => Body::BindTransmitterResp(BindResp::default()),
        Body::BindReceiver(_) => Body::BindReceiverResp(BindResp::default()),
        Body::BindTransceiver(_) => Body::BindTransceiverResp(BindResp::default()),
        Body::SubmitSm(_) => Body::SubmitSmResp(SmResp::default()),
        Body::DataSm(_) => Body::DataSmResp(SmResp::default()),
        Body::SubmitMulti(_) => Body::SubmitMultiResp(SubmitMultiResp::default()),
        Body::QuerySm(_) => Body::QuerySmResp(QuerySmResp::default()),
        Body::CancelSm(_) => Body::CancelSmResp,
        Body::ReplaceSm(_) => Body::ReplaceSmResp,
        Body::Unbind => Body::UnbindResp,
        Body::EnquireLink => Body::EnquireLinkResp,
        _ => return None,
    })
}

impl Session {
    fn reply(&mut self, seq: u32, status: CommandStatus, body: Body) {
        self.out
            .push(Wire::Pdu(Pdu::with_status(seq, status, body)));
    }

    fn outbound(&mut self, o: Outbound) {
        let (body, redelivery) = match o {
            Outbound::Request(body) => (body, false),
            Outbound::Redelivery(body) => (body, true),
            Outbound::Raw(b) => return self.out.push(Wire::Raw(b)),
        };
        let seq = self.next_seq;
        self.next_seq = if seq >= 0x7fff_ffff { 1 } else { seq + 1 };
        if let Some(d) = state::Delivered::of(&body, self.id, seq, redelivery) {
            self.shared.record_delivered(d);
            self.unanswered.insert(seq, body.clone());
        }
        self.out.push(Wire::Pdu(Pdu::new(seq, *body)));
    }

    /// The ESME answered deliver_sm `seq` (with any status, or a generic_nack).
    fn answered(&mut self, seq: u32, status: u32) {
        if self.unanswered.remove(&seq).is_some() {
            self.shared.record_response(self.id, seq, status);
        }
    }

    /// The connection is gone: what it did not answer goes back to the scheduler, to be sent
    /// in order to another receiving bind of the account once one is bound.
    fn redeliver_unanswered(&mut self) {
        for (_, body) in std::mem::take(&mut self.unanswered) {
            self.requeue(*body, true);
        }
    }

    /// Hands a deliver_sm back to the scheduler, to go to another bind of the account.
    fn requeue(&mut self, body: Body, redelivery: bool) {
        self.requeued += 1;
        let _ = self.shared.receipts.send(Pending {
            due: Instant::now() + Duration::from_millis(200),
            // Keeps them in this order among themselves (the due times may be equal).
            seq: self.requeued,
            system_id: self.system_id.clone(),
            body,
            redelivery,
        });
    }

    fn handle(&mut self, pdu: Pdu) {
        let seq = pdu.sequence_number;
        match pdu.body {
            Body::BindTransmitter(b) => self.bind(seq, b, Bound::Transmitter),
            Body::BindReceiver(b) => self.bind(seq, b, Bound::Receiver),
            Body::BindTransceiver(b) => self.bind(seq, b, Bound::Transceiver),
            Body::EnquireLink => self.reply(seq, CommandStatus::Ok, Body::EnquireLinkResp),
            Body::Unbind => {
                self.reply(seq, CommandStatus::Ok, Body::UnbindResp);
                self.close = true;
            }
            Body::DeliverSmResp(_) | Body::DataSmResp(_) => {
                self.shared
                    .stats
                    .deliver_resps
                    .fetch_add(1, Ordering::Relaxed);
                self.answered(seq, pdu.command_status.as_u32());
            }
            Body::GenericNack => {
                self.shared
                    .stats
                    .generic_nacks_received
                    .fetch_add(1, Ordering::Relaxed);
                self.answered(seq, pdu.command_status.as_u32());
            }
            Body::EnquireLinkResp | Body::UnbindResp => {}
            ref body @ (Body::SubmitSm(_)
            | Body::DataSm(_)
            | Body::SubmitMulti(_)
            | Body::QuerySm(_)
            | Body::CancelSm(_)
            | Body::ReplaceSm(_))
                if !self.bound.transmits() =>
            {
                if let Some(r) = response_for(body) {
                    self.reply(seq, CommandStatus::InvalidBindStatus, r);
                }
            }
            ref body @ (Body::SubmitSm(_) | Body::SubmitMulti(_) | Body::DataSm(_))
                if body.check_values().is_err() =>
            {
                let status = body
                    .check_values()
                    .err()
                    .unwrap_or(CommandStatus::SystemError);
                if let Some(r) = response_for(body) {
                    self.respond(seq, status, r);
                }
            }
            Body::SubmitSm(s) => self.submit(seq, "submit_sm", &s.source, &s.dest, &s, false),
            Body::DataSm(d) => self.data_sm(seq, &d),
            Body::SubmitMulti(m) => {
                let msg = SubmitSm {
                    source: m.source.clone(),
                    esm_class: m.esm_class,
                    registered_delivery: m.registered_delivery,
                    data_coding: m.data_coding,
                    short_message: m.short_message.clone(),
                    tlvs: m.tlvs.clone(),
                    ..SubmitSm::default()
                };
                let mut first = None;
                for d in &m.dest_addresses {
                    if let smsgw::smpp::pdu::DestAddress::Sme(a) = d
                        && let Some(id) = self.accept(seq, "submit_multi", &m.source, a, &msg)
                    {
                        first.get_or_insert(id);
                    }
                }
                let message_id =
                    COctetString::try_from(first.unwrap_or_default()).unwrap_or_default();
                self.respond(
                    seq,
                    CommandStatus::Ok,
                    Body::SubmitMultiResp(SubmitMultiResp {
                        message_id,
                        ..Default::default()
                    }),
                );
            }
            Body::QuerySm(q) => {
                let id = q.message_id.to_string_lossy();
                let found = self.find(&id);
                match found {
                    Some(stat) => {
                        let state = stat
                            .and_then(|s| super::state::OUTCOMES.iter().find(|o| o.0 == s))
                            .map_or(1, |o| o.1);
                        self.reply(
                            seq,
                            CommandStatus::Ok,
                            Body::QuerySmResp(QuerySmResp {
                                message_id: q.message_id,
                                message_state: state,
                                ..QuerySmResp::default()
                            }),
                        );
                    }
                    None => self.reply(
                        seq,
                        CommandStatus::QueryFailed,
                        Body::QuerySmResp(QuerySmResp::default()),
                    ),
                }
            }
            Body::CancelSm(c) => {
                let ok = self.find(&c.message_id.to_string_lossy()).is_some();
                let st = if ok {
                    CommandStatus::Ok
                } else {
                    CommandStatus::CancelFailed
                };
                self.reply(seq, st, Body::CancelSmResp);
            }
            Body::ReplaceSm(r) => {
                let ok = self.find(&r.message_id.to_string_lossy()).is_some();
                let st = if ok {
                    CommandStatus::Ok
                } else {
                    CommandStatus::ReplaceFailed
                };
                self.reply(seq, st, Body::ReplaceSmResp);
            }
            _ => self.reply(seq, CommandStatus::InvalidCommandId, Body::GenericNack),
        }
    }

    /// The receipt stat planned for a message id, `Some(None)` if known without receipt.
    fn find(&self, id: &str) -> Option<Option<&'static str>> {
        let v = self.shared.submitted.lock().ok()?;
        v.iter()
            .rev()
            .find(|s| s.message_id == id)
            .map(|s| s.receipt_stat)
    }

    fn bind(&mut self, seq: u32, b: Bind, kind: Bound) {
        let resp = |sys: &str, v: u8| BindResp {
            system_id: COctetString::try_from(sys).unwrap_or_default(),
            tlvs: if v >= interface_version::V34 {
                Tlvs(vec![Tlv::u8(
                    TlvTag::ScInterfaceVersion,
                    interface_version::V34,
                )])
            } else {
                Tlvs::new()
            },
        };
        let refuse = |s: &mut Self, st: CommandStatus| {
            s.shared.stats.binds_refused.fetch_add(1, Ordering::Relaxed);
            let body = match kind {
                Bound::Transmitter => Body::BindTransmitterResp(BindResp::default()),
                Bound::Receiver => Body::BindReceiverResp(BindResp::default()),
                _ => Body::BindTransceiverResp(BindResp::default()),
            };
            s.reply(seq, st, body);
        };
        if self.bound != Bound::No {
            return refuse(self, CommandStatus::AlreadyBound);
        }
        let sys = b.system_id.to_string_lossy();
        let pw = b.password.to_string_lossy();
        let status = match self
            .shared
            .config
            .accounts
            .iter()
            .find(|a| a.system_id == sys)
        {
            None => CommandStatus::InvalidSystemId,
            Some(a) if a.password != pw => CommandStatus::InvalidPassword,
            Some(_) => CommandStatus::Ok,
        };
        if status != CommandStatus::Ok {
            tracing::debug!(target: "hw_sim::smsc", session = self.id, system_id = %sys, %status, "bind refused");
            return refuse(self, status);
        }
        self.bound = kind;
        self.system_id = sys.clone();
        if let Ok(mut m) = self.shared.sessions.lock() {
            m.insert(
                self.id,
                SessionEntry {
                    system_id: sys,
                    receives: matches!(kind, Bound::Receiver | Bound::Transceiver),
                    tx: self.tx.clone(),
                    cancel: self.cancel.clone(),
                },
            );
        }
        self.shared.stats.binds_ok.fetch_add(1, Ordering::Relaxed);
        let r = resp(&self.shared.config.system_id, b.interface_version);
        let body = match kind {
            Bound::Transmitter => Body::BindTransmitterResp(r),
            Bound::Receiver => Body::BindReceiverResp(r),
            _ => Body::BindTransceiverResp(r),
        };
        self.reply(seq, CommandStatus::Ok, body);
    }

    fn data_sm(&mut self, seq: u32, d: &DataSm) {
        let msg = SubmitSm {
            esm_class: d.esm_class,
            registered_delivery: d.registered_delivery,
            data_coding: d.data_coding,
            tlvs: d.tlvs.clone(),
            ..SubmitSm::default()
        };
        self.submit(seq, "data_sm", &d.source, &d.dest, &msg, true);
    }

    /// A response, delayed when the slow-SMSC fault is on.
    fn respond(&mut self, seq: u32, status: CommandStatus, body: Body) {
        let delay = self.shared.faults.lock().map_or(0, |f| f.response_delay_ms);
        let pdu = Pdu::with_status(seq, status, body);
        if delay == 0 && self.delayed.is_empty() {
            self.out.push(Wire::Pdu(pdu));
        } else {
            self.delayed
                .push_back((Instant::now() + Duration::from_millis(delay), pdu));
        }
    }

    fn submit(
        &mut self,
        seq: u32,
        command: &'static str,
        source: &Address,
        dest: &Address,
        s: &SubmitSm,
        data_sm: bool,
    ) {
        let resp = |id: String| {
            let message_id = COctetString::try_from(id).unwrap_or_default();
            let r = SmResp {
                message_id,
                tlvs: Tlvs::new(),
            };
            if data_sm {
                Body::DataSmResp(r)
            } else {
                Body::SubmitSmResp(r)
            }
        };
        // Fault: drop the connection on the Nth submit, leaving it unanswered.
        let drop_now = match self.shared.faults.lock() {
            Ok(mut f) => match f.drop_after_submits {
                Some(n) if n <= 1 => {
                    f.drop_after_submits = None;
                    true
                }
                Some(n) => {
                    f.drop_after_submits = Some(n - 1);
                    false
                }
                None => false,
            },
            Err(_) => false,
        };
        self.shared.stats.submits.fetch_add(1, Ordering::Relaxed);
        if drop_now {
            self.shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            self.out.clear();
            self.close = true;
            return;
        }
        let faults = self.shared.faults();
        let throttle = self
            .shared
            .deciders
            .lock()
            .ok()
            .and_then(|mut d| d.throttle(&faults));
        if let Some(code) = throttle {
            self.shared.stats.throttled.fetch_add(1, Ordering::Relaxed);
            return self.respond(seq, CommandStatus::from_u32(code), resp(String::new()));
        }
        match self.accept(seq, command, source, dest, s) {
            Some(id) => self.respond(seq, CommandStatus::Ok, resp(id)),
            None => self.respond(seq, CommandStatus::SystemError, resp(String::new())),
        }
    }

    /// Gives a message its id, records it, schedules its receipt. Returns the id.
    fn accept(
        &mut self,
        seq: u32,
        command: &'static str,
        source: &Address,
        dest: &Address,
        s: &SubmitSm,
    ) -> Option<String> {
        let shared = self.shared.clone();
        let n = shared.next_message_id.fetch_add(1, Ordering::Relaxed);
        let id = shared.config.id_format.format(n);
        let faults = shared.faults();
        let payload_tlv = s.tlvs.message_payload().is_some();
        let user_data = s.payload();
        let (mut concat, body) = if s.esm_class & esm_class::UDHI != 0 {
            text::split_udh(user_data).unwrap_or((None, user_data))
        } else {
            (None, user_data)
        };
        if let Some((reference, total, seq)) = s.tlvs.sar() {
            concat = Some(text::Concat {
                reference,
                total,
                seq,
            });
        }
        let text = text::decode(s.data_coding, body);
        let wants = s.registered_delivery & 0b11;
        let mut receipt_stat = None;
        if wants != 0 {
            let outcome = shared
                .deciders
                .lock()
                .ok()
                .map_or(0, |mut d| d.outcome(&faults.outcomes));
            let on_failure_only = wants == registered_delivery::RECEIPT_ON_FAILURE;
            if !(on_failure_only && outcome == 0) {
                let text_id = shared
                    .config
                    .receipt_text_id_format
                    .unwrap_or(shared.config.id_format)
                    .format(n);
                let body = receipts::build(&ReceiptFor {
                    message_id: &id,
                    text_id: &text_id,
                    source,
                    dest,
                    outcome,
                    text: text.as_deref().unwrap_or(""),
                    text_only: faults.receipt_text_only,
                });
                let due = Instant::now() + Duration::from_millis(faults.receipt_delay_ms);
                let _ = shared.receipts.send(Pending {
                    due,
                    seq: n,
                    system_id: self.system_id.clone(),
                    body,
                    redelivery: false,
                });
                receipt_stat = Some(super::state::OUTCOMES[outcome].0);
            }
        }
        shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
        shared.record(Submitted {
            message_id: id.clone(),
            command,
            system_id: self.system_id.clone(),
            session: self.id,
            sequence_number: seq,
            source: source.addr.to_string_lossy(),
            source_ton: source.ton,
            source_npi: source.npi,
            destination: dest.addr.to_string_lossy(),
            dest_ton: dest.ton,
            dest_npi: dest.npi,
            data_coding: s.data_coding,
            esm_class: s.esm_class,
            registered_delivery: s.registered_delivery,
            text,
            concat,
            payload_tlv,
            user_data_hex: hex::encode(user_data),
            receipt_stat,
        });
        Some(id)
    }
}
