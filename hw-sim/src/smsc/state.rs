//! State shared by the SMSC's tasks: accounts, faults, the record of submitted messages, the
//! registry of bound sessions (to route receipts and MO messages to a receiving bind of the
//! right account), and counters. Locks are std mutexes held for short sections only, never
//! across `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::Serialize;
use smsgw::smpp::pdu::Body;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::{Faults, OutcomeMix, SmscConfig};
use super::text::Concat;

/// Something another task asks a session to send.
#[derive(Debug)]
pub enum Outbound {
    /// A request PDU body (deliver_sm…); the session numbers it.
    Request(Box<Body>),
    /// A deliver_sm sent before on a connection that closed before the ESME answered it:
    /// sent again, as real SMSCs retry a delivery that was not acknowledged.
    Redelivery(Box<Body>),
    /// Raw octets, sent as they are (malformed-PDU fault).
    Raw(Bytes),
}

/// A bound session, as the registry sees it.
#[derive(Debug)]
pub struct SessionEntry {
    /// The account it bound as.
    pub system_id: String,
    /// Bound as receiver or transceiver: may get deliver_sm.
    pub receives: bool,
    /// Its outbound queue.
    pub tx: mpsc::UnboundedSender<Outbound>,
    /// Cancels the session (drop-connection fault, shutdown).
    pub cancel: CancellationToken,
}

/// One message an ESME submitted, decoded for tests and people.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    /// The id the SMSC answered with.
    pub message_id: String,
    /// Which operation carried it (`submit_sm`, `data_sm`, `submit_multi`).
    pub command: &'static str,
    /// The account.
    pub system_id: String,
    /// The session (connection) number.
    pub session: u64,
    /// The request's sequence number.
    pub sequence_number: u32,
    /// Sender address.
    pub source: String,
    /// Sender TON.
    pub source_ton: u8,
    /// Sender NPI.
    pub source_npi: u8,
    /// Recipient address.
    pub destination: String,
    /// Recipient TON.
    pub dest_ton: u8,
    /// Recipient NPI.
    pub dest_npi: u8,
    /// data_coding as sent.
    pub data_coding: u8,
    /// esm_class as sent.
    pub esm_class: u8,
    /// registered_delivery as sent.
    pub registered_delivery: u8,
    /// The user data as text, when the coding has one (UDH removed).
    pub text: Option<String>,
    /// UDH concatenation info, or SAR TLVs mapped to the same shape.
    pub concat: Option<Concat>,
    /// True when the body came in message_payload rather than short_message.
    pub payload_tlv: bool,
    /// The raw user data (short_message or message_payload), hex.
    pub user_data_hex: String,
    /// The receipt outcome planned for it (`DELIVRD`…), if a receipt was requested.
    pub receipt_stat: Option<&'static str>,
}

/// One deliver_sm (MO message part or receipt) the SMSC sent, and what the ESME answered:
/// the record a test reconciles against (was each MO and receipt acknowledged, and how many
/// times was it sent).
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    /// The session (connection) it went to.
    pub session: u64,
    /// Its sequence number on that session.
    pub sequence_number: u32,
    /// A delivery receipt (esm_class receipt bit), else an MO message part.
    pub receipt: bool,
    /// Source address (the MO's sender; the recipient of the receipted message).
    pub source: String,
    /// Destination address.
    pub destination: String,
    /// The user data as text (UDH removed): the MO text, or the receipt text.
    pub text: Option<String>,
    /// UDH concatenation info of an MO part.
    pub concat: Option<Concat>,
    /// The receipt's `receipted_message_id` TLV.
    pub receipted_message_id: Option<String>,
    /// Sent again after a connection closed without answering an earlier copy.
    pub redelivery: bool,
    /// command_status of the ESME's answer; `None` while unanswered (and for ever when the
    /// connection closed first: then it is redelivered).
    pub response: Option<u32>,
}

impl Delivered {
    /// The record of `body` sent on `session` as `sequence_number`; `None` for bodies that
    /// are not deliver_sm.
    pub fn of(body: &Body, session: u64, sequence_number: u32, redelivery: bool) -> Option<Self> {
        let Body::DeliverSm(d) = body else {
            return None;
        };
        let receipt = d.esm_class & smsgw::smpp::pdu::values::esm_class::DELIVERY_RECEIPT != 0;
        let data = d.payload();
        let (concat, user) = if d.esm_class & smsgw::smpp::pdu::values::esm_class::UDHI != 0 {
            super::text::split_udh(data).unwrap_or((None, data))
        } else {
            (None, data)
        };
        Some(Delivered {
            session,
            sequence_number,
            receipt,
            source: d.source.addr.to_string_lossy(),
            destination: d.dest.addr.to_string_lossy(),
            text: super::text::decode(d.data_coding, user),
            concat,
            receipted_message_id: d.tlvs.receipted_message_id().map(|c| c.to_string_lossy()),
            redelivery,
            response: None,
        })
    }
}

/// Counters, readable at any time.
#[derive(Debug, Default)]
pub struct Stats {
    /// Successful binds.
    pub binds_ok: AtomicU64,
    /// Refused binds.
    pub binds_refused: AtomicU64,
    /// submit_sm/data_sm/submit_multi received.
    pub submits: AtomicU64,
    /// Submits answered ESME_RTHROTTLED or ESME_RMSGQFUL.
    pub throttled: AtomicU64,
    /// Submits accepted with a message id.
    pub accepted: AtomicU64,
    /// Receipts sent.
    pub receipts_sent: AtomicU64,
    /// MO deliver_sm sent.
    pub mo_sent: AtomicU64,
    /// deliver_sm_resp / data_sm_resp received.
    pub deliver_resps: AtomicU64,
    /// generic_nack received from ESMEs.
    pub generic_nacks_received: AtomicU64,
    /// Frames from ESMEs that did not decode (answered with generic_nack).
    pub malformed_received: AtomicU64,
    /// Connections dropped by fault.
    pub dropped: AtomicU64,
}

/// A point-in-time copy of [`Stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatsSnapshot {
    /// See [`Stats`].
    pub binds_ok: u64,
    /// See [`Stats`].
    pub binds_refused: u64,
    /// See [`Stats`].
    pub submits: u64,
    /// See [`Stats`].
    pub throttled: u64,
    /// See [`Stats`].
    pub accepted: u64,
    /// See [`Stats`].
    pub receipts_sent: u64,
    /// See [`Stats`].
    pub mo_sent: u64,
    /// See [`Stats`].
    pub deliver_resps: u64,
    /// See [`Stats`].
    pub generic_nacks_received: u64,
    /// See [`Stats`].
    pub malformed_received: u64,
    /// See [`Stats`].
    pub dropped: u64,
    /// Sessions currently bound.
    pub bound_sessions: u64,
}

/// Deterministic deciders: fractions and weights spread evenly over submits.
#[derive(Debug, Default)]
pub struct Deciders {
    throttle_acc: f64,
    /// Token bucket of `Faults::max_rate`: tokens and when it was last filled.
    rate_bucket: Option<(f64, std::time::Instant)>,
    queue_full_acc: f64,
    swrr: [i64; 4],
}

/// The four receipt outcomes: (stat word, message_state, err).
pub const OUTCOMES: [(&str, u8, u16); 4] = [
    ("DELIVRD", 2, 0),
    ("UNDELIV", 5, 1),
    ("EXPIRED", 3, 27),
    ("REJECTD", 8, 11),
];

impl Deciders {
    /// Adds `fraction` to an accumulator and fires when it reaches 1.
    fn fire(acc: &mut f64, fraction: f64) -> bool {
        *acc += fraction.clamp(0.0, 1.0);
        if *acc >= 1.0 - 1e-9 {
            *acc -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether a submit arriving at `now` exceeds `max_rate` (and takes a token if not).
    fn over_rate(&mut self, max_rate: Option<f64>, now: std::time::Instant) -> bool {
        let Some(rate) = max_rate.filter(|r| *r > 0.0) else {
            self.rate_bucket = None;
            return false;
        };
        let (tokens, last) = self.rate_bucket.unwrap_or((rate, now));
        let tokens = (tokens + rate * now.duration_since(last).as_secs_f64()).min(rate.max(1.0));
        let (over, left) = if tokens >= 1.0 {
            (false, tokens - 1.0)
        } else {
            (true, tokens)
        };
        self.rate_bucket = Some((left, now));
        over
    }

    /// Whether this submit is throttled, and with which status code.
    pub fn throttle(&mut self, f: &Faults) -> Option<u32> {
        if self.over_rate(f.max_rate, std::time::Instant::now())
            || Self::fire(&mut self.throttle_acc, f.throttle_fraction)
        {
            Some(0x58)
        } else if Self::fire(&mut self.queue_full_acc, f.queue_full_fraction) {
            Some(0x14)
        } else {
            None
        }
    }

    /// Smooth weighted round robin over the outcome weights; index into [`OUTCOMES`].
    pub fn outcome(&mut self, m: &OutcomeMix) -> usize {
        let w = [
            i64::from(m.delivered),
            i64::from(m.undeliverable),
            i64::from(m.expired),
            i64::from(m.rejected),
        ];
        let total: i64 = w.iter().sum();
        if total == 0 {
            return 0;
        }
        for (c, w) in self.swrr.iter_mut().zip(w) {
            *c += w;
        }
        let best = (0..4)
            .max_by_key(|&i| (self.swrr[i], -(i as i64)))
            .unwrap_or(0);
        self.swrr[best] -= total;
        best
    }
}

/// Everything the SMSC's tasks share.
#[derive(Debug)]
pub struct Shared {
    /// Static configuration.
    pub config: SmscConfig,
    /// Faults in force.
    pub faults: Mutex<Faults>,
    /// Deterministic fault/outcome deciders.
    pub deciders: Mutex<Deciders>,
    /// Submitted messages, oldest first, capped at `config.max_records`.
    pub submitted: Mutex<VecDeque<Submitted>>,
    /// deliver_sm sent (MO parts and receipts), oldest first, capped at `config.max_records`.
    pub delivered: Mutex<VecDeque<Delivered>>,
    /// Bound sessions by session number.
    pub sessions: Mutex<HashMap<u64, SessionEntry>>,
    /// Counters.
    pub stats: Stats,
    /// Next message id number.
    pub next_message_id: AtomicU64,
    /// Next session number.
    pub next_session: AtomicU64,
    /// Round-robin cursor for choosing a receiving session.
    pub rr: AtomicU64,
    /// Receipts to schedule.
    pub receipts: mpsc::UnboundedSender<super::receipts::Pending>,
}

impl Shared {
    /// A copy of the current faults.
    pub fn faults(&self) -> Faults {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Records a submitted message, dropping the oldest beyond the cap.
    pub fn record(&self, s: Submitted) {
        if let Ok(mut v) = self.submitted.lock() {
            if v.len() >= self.config.max_records.max(1) {
                v.pop_front();
            }
            v.push_back(s);
        }
    }

    /// Records a deliver_sm sent, dropping the oldest beyond the cap.
    pub fn record_delivered(&self, d: Delivered) {
        if let Ok(mut v) = self.delivered.lock() {
            if v.len() >= self.config.max_records.max(1) {
                v.pop_front();
            }
            v.push_back(d);
        }
    }

    /// Records the ESME's answer to deliver_sm `sequence_number` of `session`. The search
    /// runs from the newest record: answers come soon after the request.
    pub fn record_response(&self, session: u64, sequence_number: u32, status: u32) {
        if let Ok(mut v) = self.delivered.lock()
            && let Some(d) = v.iter_mut().rev().find(|d| {
                d.session == session && d.sequence_number == sequence_number && d.response.is_none()
            })
        {
            d.response = Some(status);
        }
    }

    /// Sends to a receiving session of `system_id` (any account when `None`), round robin.
    /// Returns the session number, or gives the message back when no such session is bound.
    pub fn send_to_receiver(
        &self,
        system_id: Option<&str>,
        out: Outbound,
    ) -> Result<u64, Outbound> {
        let Ok(sessions) = self.sessions.lock() else {
            return Err(out);
        };
        let mut ids: Vec<u64> = sessions
            .iter()
            .filter(|(_, e)| e.receives && system_id.is_none_or(|s| s == e.system_id))
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return Err(out);
        }
        ids.sort_unstable();
        let pick = ids[(self.rr.fetch_add(1, Ordering::Relaxed) as usize) % ids.len()];
        match sessions.get(&pick) {
            Some(e) => e.tx.send(out).map(|()| pick).map_err(|e| e.0),
            None => Err(out),
        }
    }

    /// A snapshot of the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        let s = &self.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            binds_ok: g(&s.binds_ok),
            binds_refused: g(&s.binds_refused),
            submits: g(&s.submits),
            throttled: g(&s.throttled),
            accepted: g(&s.accepted),
            receipts_sent: g(&s.receipts_sent),
            mo_sent: g(&s.mo_sent),
            deliver_resps: g(&s.deliver_resps),
            generic_nacks_received: g(&s.generic_nacks_received),
            malformed_received: g(&s.malformed_received),
            dropped: g(&s.dropped),
            bound_sessions: self.sessions.lock().map(|s| s.len() as u64).unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn max_rate_should_accept_a_seconds_worth_at_once_then_one_per_interval() {
        let mut d = Deciders::default();
        let t0 = Instant::now();
        let accepted = (0..15).filter(|_| !d.over_rate(Some(10.0), t0)).count();
        assert_eq!(accepted, 10);
        assert!(d.over_rate(Some(10.0), t0 + Duration::from_millis(50)));
        assert!(!d.over_rate(Some(10.0), t0 + Duration::from_millis(110)));
        assert!(!d.over_rate(None, t0 + Duration::from_millis(111)));
    }
}
