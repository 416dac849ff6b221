//! Outbound messages and their parts.

use serde::{Deserialize, Serialize};

use super::{MessageId, Msisdn, Sender, Status, Timestamp};

/// How urgently a message should leave. The dispatcher takes due messages highest priority
/// first, then oldest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Bulk traffic: newsletters, surveys.
    Low,
    /// Reminders and notices.
    #[default]
    Normal,
    /// One-time codes and anything a person is waiting for.
    High,
}

impl Priority {
    /// All priorities, most urgent first: the order the dispatcher scans them in.
    pub const MOST_URGENT_FIRST: [Priority; 3] = [Priority::High, Priority::Normal, Priority::Low];

    /// The first byte of `due` keys: 0 for the most urgent, so key order is dispatch order.
    pub fn rank(self) -> u8 {
        match self {
            Priority::High => 0,
            Priority::Normal => 1,
            Priority::Low => 2,
        }
    }
}

/// The state of one part (one SMS) of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// Not handed to a route yet (or to be sent again).
    Pending,
    /// Accepted by the network.
    Sent,
    /// Reported delivered.
    Delivered,
    /// Reported not deliverable.
    Undelivered,
    /// Refused by the route or the network.
    Failed,
    /// Written to the modem or link, but no answer came: it may or may not have gone out.
    Unknown,
}

impl PartStatus {
    /// Whether a delivery report saying `reported` may replace this status. An intermediate
    /// report (`Sent`: the network is still trying) never replaces a final one; reports
    /// matched late (parked, then retried) can come after the final one. A part sent twice
    /// (`possible_duplicate`) gets a report for each copy: once one said delivered, the
    /// other copy's failure does not take that back (the crash torture found messages
    /// `delivered` with their part `undelivered` that way).
    pub fn takes_report(self, reported: PartStatus) -> bool {
        !matches!(
            (self, reported),
            (
                PartStatus::Delivered | PartStatus::Undelivered,
                PartStatus::Sent
            ) | (PartStatus::Delivered, PartStatus::Undelivered)
        )
    }
}

/// One SMS of a (possibly concatenated) message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// 1-based position in the concatenated message.
    pub index: u8,
    /// Where this part is.
    pub status: PartStatus,
    /// The route that took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The modem (SIM) of a pool that sent it, as inbound messages name the modem they came
    /// in on; `None` for SMPP links and parts no modem sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<String>,
    /// The network's id for it (SMPP message_id, or the modem's TP-MR), for delivery reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// Why it failed, in the route's words (e.g. `+CMS ERROR: 38`, `ESME_RINVDSTADR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It may have been sent twice (an earlier attempt ended with an unknown outcome).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub possible_duplicate: bool,
    /// The last delivery report for it as received (an SMPP receipt's text, or its fields
    /// when the SMSC sent TLVs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

impl Part {
    /// Takes a delivery report from `source` (`SMSC`, `SC`): its status and, unless it says
    /// delivered, `text` as the error. Returns false, changing nothing, for an intermediate
    /// report that came after a final one ([`PartStatus::takes_report`]).
    pub fn take_report(&mut self, status: PartStatus, text: &str, source: &str) -> bool {
        if !self.status.takes_report(status) {
            return false;
        }
        self.status = status;
        self.error = match status {
            PartStatus::Delivered => None,
            PartStatus::Sent => Some(format!("{text} (the {source} is still trying)")),
            _ => Some(text.to_string()),
        };
        true
    }

    /// A fresh part waiting to be sent.
    pub fn pending(index: u8) -> Self {
        Self {
            index,
            status: PartStatus::Pending,
            route: None,
            modem: None,
            remote_id: None,
            error: None,
            possible_duplicate: false,
            receipt: None,
        }
    }
}

/// One entry of a message's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The new status.
    pub status: Status,
    /// When it changed.
    pub at: Timestamp,
    /// Why, in words an operator can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Bookkeeping of delivery attempts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// How many times the message was handed to a route.
    pub count: u32,
    /// When it may be tried again after a temporary error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<Timestamp>,
    /// Routes that refused it temporarily, tried last on the next attempt (failover).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_routes: Vec<String>,
    /// The last error that made it wait for a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What a Kannel `sendsms` client asked to be told, and where (Kannel user guide, "Delivery
/// reports": `dlr-mask` bits 1 delivered to phone, 2 non-delivered to phone, 4 queued on SMSC,
/// 8 delivered to SMSC, 16 non-delivered to SMSC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DlrRequest {
    /// The URL template with `%d`, `%p`, … escapes, fetched with GET.
    pub url: String,
    /// Which report types to send.
    pub mask: u8,
    /// The `sendsms` user that submitted it (`%n`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A message a client asked us to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// Sortable id, also the creation time.
    pub id: MessageId,
    /// Normalised recipient.
    pub to: Msisdn,
    /// The recipient as the client wrote it, when that differs from `to` (`040 123 4567`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_original: Option<String>,
    /// Who it appears to come from; `None` lets the route choose (the SIM's own number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Sender>,
    /// The text, as UTF-8; the route chooses the coding.
    pub text: String,
    /// `gsm7` or `ucs2`, as counted at submit time.
    pub encoding: String,
    /// Not before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_at: Option<Timestamp>,
    /// Not after this time: past it the message is `expired`, never sent.
    pub expires_at: Timestamp,
    /// Dispatch order among due messages.
    #[serde(default)]
    pub priority: Priority,
    /// The client's own reference (e.g. an appointment id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A route the client asked for, bypassing the prefix rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The SIM of `route`'s pool to send from, and no other (a reply that should come from
    /// the number the customer wrote to); it waits while that SIM is busy or down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<String>,
    /// Where this message's `message.status` events are POSTed, besides the configured
    /// webhooks (the client's own `callback_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// The statuses whose events go to `callback_url`; empty means every status change
    /// (a Kannel client's `dlr-mask`, for the JSON API: most want only the final ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callback_events: Vec<Status>,
    /// A Kannel-style delivery report request (`dlr-url`, `dlr-mask`) from the Kannel-compatible
    /// `sendsms` interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlr: Option<DlrRequest>,
    /// The client waits for an answer to this message (a reminder asking YES/NO, a survey):
    /// it opens a conversation, and with a modem pool the next message to the same number
    /// that also expects a reply goes out from another SIM (sticky senders, issue 7).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expects_reply: bool,
    /// A reply was matched to this message: its conversation is closed (reply matching then
    /// prefers another open one on the same SIM).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reply_received: bool,
    /// Send even during the recipient's quiet hours (`[quiet_hours]`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub urgent: bool,
    /// A message the recipient needs whatever their marketing consent (a one-time code, a
    /// receipt): exempt from frequency caps, and sent to opted-out numbers where the
    /// configuration allows (`consent.allow_transactional_to_opted_out`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transactional: bool,
    /// Current status.
    pub status: Status,
    /// The parts, one per SMS.
    pub parts: Vec<Part>,
    /// Every status change, oldest first.
    pub history: Vec<StatusChange>,
    /// Delivery attempts.
    #[serde(default)]
    pub attempts: Attempt,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl OutboundMessage {
    /// Moves to `status`, recording when and why in the history.
    /// A message that ends `failed`, `expired` or `canceled` takes its parts still `pending`
    /// with it (`failed`, the reason as their error): no part stays pending once nothing
    /// will send it.
    pub fn set_status(&mut self, status: Status, at: Timestamp, reason: Option<String>) {
        if matches!(status, Status::Failed | Status::Expired | Status::Canceled) {
            for p in self
                .parts
                .iter_mut()
                .filter(|p| p.status == PartStatus::Pending)
            {
                p.status = PartStatus::Failed;
                let why = match (status, &reason) {
                    (Status::Failed, Some(r)) => format!("not sent: {r}"),
                    (s, _) => format!("not sent: the message is {}", s.as_str()),
                };
                p.error = Some(match p.error.take() {
                    Some(e) if status == Status::Failed => e,
                    Some(e) => format!("{why} (last error: {e})"),
                    None => why,
                });
            }
        }
        self.status = status;
        self.updated_at = at;
        self.history.push(StatusChange { status, at, reason });
    }

    /// Moves a `sent` message to `undelivered` as soon as one part will not be delivered, or
    /// to `delivered` once every part is; returns whether it moved. The one rule for every
    /// path that learns of deliveries: modem status reports, SMPP receipts, and a send's
    /// outcome recorded after its reports came in.
    pub fn settle_delivery(&mut self, now: Timestamp, reason: Option<String>) -> bool {
        // `undelivered` is left when every part is delivered after all: a copy of a part
        // sent twice failed first, and the other copy's report came later.
        let all_delivered = self.parts.iter().all(|p| p.status == PartStatus::Delivered);
        if self.status != Status::Sent && !(self.status == Status::Undelivered && all_delivered) {
            return false;
        }
        let to = if self
            .parts
            .iter()
            .any(|p| p.status == PartStatus::Undelivered)
        {
            Status::Undelivered
        } else if self.parts.iter().all(|p| p.status == PartStatus::Delivered) {
            Status::Delivered
        } else {
            return false;
        };
        self.set_status(to, now, reason);
        true
    }

    /// When the dispatcher should look at it next: its `send_at`, its retry time, or now.
    pub fn due_at(&self) -> Timestamp {
        self.attempts
            .next_at
            .or(self.send_at)
            .unwrap_or(self.created_at)
    }
}

#[cfg(test)]
mod tests {
    use super::PartStatus::*;
    use super::{OutboundMessage, Part, Status};
    use crate::model::Timestamp;

    fn message(parts: Vec<Part>) -> OutboundMessage {
        let v = serde_json::json!({
            "id": "01HZY0000000000000000000AA", "to": "+358401234567", "text": "hi",
            "encoding": "gsm7", "expires_at": 9_000_000, "status": "queued", "parts": [],
            "history": [], "created_at": 1, "updated_at": 1
        });
        let mut m: OutboundMessage = serde_json::from_value(v).unwrap();
        m.parts = parts;
        m
    }

    #[test]
    fn a_message_that_ends_failed_or_canceled_should_take_its_pending_parts_with_it() {
        for end in [Status::Failed, Status::Canceled, Status::Expired] {
            let mut sent = Part::pending(1);
            sent.status = Sent;
            let mut tried = Part::pending(3);
            tried.error = Some("m0: +CMS ERROR: 500".into());
            let mut m = message(vec![sent, Part::pending(2), tried]);
            m.set_status(end, Timestamp(5), Some("gave up after 4 attempts".into()));
            assert_eq!(m.parts[0].status, Sent, "{end:?}: a sent part stays sent");
            assert_eq!(m.parts[1].status, Failed, "{end:?}");
            assert_eq!(m.parts[2].status, Failed, "{end:?}");
            assert!(
                m.parts[1]
                    .error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("not sent"))
            );
            assert!(
                m.parts[2]
                    .error
                    .as_deref()
                    .is_some_and(|e| e.contains("+CMS ERROR: 500")),
                "{end:?}: the part keeps its own error: {:?}",
                m.parts[2].error
            );
        }
        let mut m = message(vec![Part::pending(1)]);
        m.set_status(Status::Queued, Timestamp(5), None);
        assert_eq!(m.parts[0].status, Pending, "a retry keeps it pending");
    }

    #[test]
    fn an_intermediate_report_should_not_replace_a_final_one() {
        assert!(!Delivered.takes_report(Sent));
        assert!(!Undelivered.takes_report(Sent));
        // Everything else is taken: first reports, final after intermediate, a repeat.
        assert!(Sent.takes_report(Sent));
        assert!(Sent.takes_report(Delivered));
        assert!(Sent.takes_report(Undelivered));
        assert!(Pending.takes_report(Delivered));
        assert!(Unknown.takes_report(Sent));
        assert!(Delivered.takes_report(Delivered));
        assert!(Undelivered.takes_report(Delivered));
    }

    #[test]
    fn reports_for_two_copies_of_a_part_should_settle_delivered_whatever_their_order() {
        for first_fails in [true, false] {
            let mut p = Part::pending(1);
            p.status = Sent;
            p.possible_duplicate = true;
            let mut m = message(vec![p]);
            m.set_status(Status::Sent, Timestamp(2), None);
            let order = if first_fails {
                [Undelivered, Delivered]
            } else {
                [Delivered, Undelivered]
            };
            for (i, r) in order.into_iter().enumerate() {
                if m.parts[0].take_report(r, "receipt", "SMSC") {
                    m.settle_delivery(Timestamp(3 + i as u64), None);
                }
            }
            assert_eq!(
                m.parts[0].status, Delivered,
                "undelivered first: {first_fails}"
            );
            assert_eq!(
                m.status,
                Status::Delivered,
                "undelivered first: {first_fails}"
            );
        }
    }
}
