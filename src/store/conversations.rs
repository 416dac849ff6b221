//! Conversations: which outbound message an incoming one answers (issue 7, item 1).
//!
//! A message's conversation is read from the message itself: the sender it was handed to
//! (`via`: the modem of a pool that sent its first part, else the route, which for SMPP is the
//! link), when (its last `sending`), the client's `reference`, whether it expects a reply and
//! whether one came (`reply_received`). The messages sent to a number are found through the
//! recipient index (`T | number | 0 | id`), newest first. A reply from `number` received on
//! `via` is matched in the same batch that writes it to the inbox ([`Store::receive_part`]):
//! among the messages sent to `number` from `via` within the reply window, one open
//! conversation is an exact match (`sticky-sender`); otherwise the latest wins (`latest`), less
//! surely when several were open. A match closes the conversation; the window's end closes the
//! rest.
//!
//! Why no key of its own: a `C | number | 0 | id` entry per message handed over (stores
//! written before this build) repeated what the message and its recipient index hold, and was
//! one more sled key per message for every checkpoint to write. Those entries are still read,
//! and win over what their message says, until [`Store::purge_conversations`] has removed the
//! last of them after the window.
//!
//! Lookups are by number and bounded ([`MAX_PER_NUMBER`] newest messages), so the cost does not
//! grow with traffic to other numbers.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::wal::Batch;
use serde::{Deserialize, Serialize};

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{
    InboundMessage, MatchRule, MatchedBy, MessageId, OutboundMessage, ReplyTo, Status, Timestamp,
};

/// The newest conversation entries of one number looked at per lookup. A person with more
/// than this many messages in one reply window is a bulk test, not a conversation.
pub const MAX_PER_NUMBER: usize = 64;

/// The reply window until the daemon sets the configured one (`[conversations] window`).
pub const DEFAULT_REPLY_WINDOW: Duration = Duration::from_secs(3 * 86_400);

/// Chooses the `[[inbound_routes]]` rule of a received message, after reply matching. Defined
/// here and implemented above the store, so the store needs no configuration.
pub trait InboundClassifier: Send + Sync + std::fmt::Debug {
    /// The name of the first rule that matches, if any.
    fn classify(&self, msg: &InboundMessage) -> Option<String>;
}

/// The store's conversation settings, from its [`super::Policies`], fixed at open.
#[derive(Debug)]
pub(super) struct Settings {
    window_ms: u64,
    classifier: Option<Arc<dyn InboundClassifier>>,
    /// How received addresses are read (`[messages] default_country`).
    pub(super) number_plan: crate::model::NumberPlan,
    /// The store may hold `C` entries of an earlier build: set at open when one is there,
    /// cleared when a purge leaves none, so lookups skip their range otherwise.
    legacy_keys: AtomicBool,
}

impl Settings {
    pub(super) fn new(
        window: Duration,
        classifier: Option<Arc<dyn InboundClassifier>>,
        number_plan: crate::model::NumberPlan,
    ) -> Self {
        Self {
            window_ms: window.as_millis() as u64,
            classifier,
            number_plan,
            legacy_keys: AtomicBool::new(false),
        }
    }
}

/// One message sent to a number, as reply matching sees it (and, serialized, the `C` entry of
/// stores written before conversations were read from the messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The outbound message.
    pub id: MessageId,
    /// The modem or SMPP link it was handed to: replies are matched on the same one.
    pub via: String,
    /// When it was handed over.
    pub sent_at: Timestamp,
    /// The client asked for a reply.
    #[serde(default)]
    pub expects_reply: bool,
    /// Still waiting for that reply.
    #[serde(default)]
    pub open: bool,
    /// The client's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Conversation {
    /// The conversation `m` holds: `None` before it was handed to a sender, and for a message
    /// that ended failed, expired or canceled (nobody received it).
    pub fn of(m: &OutboundMessage) -> Option<Self> {
        if ended_unreceived(m.status) {
            return None;
        }
        let sent_at = m
            .history
            .iter()
            .rev()
            .find(|h| h.status == Status::Sending)?
            .at;
        // Replies come back to the SIM the first part left from (a pool), else the route.
        let first = m.parts.iter().min_by_key(|p| p.index)?;
        let via = first.modem.clone().or_else(|| first.route.clone())?;
        Some(Conversation {
            id: m.id,
            via,
            sent_at,
            expects_reply: m.expects_reply,
            open: m.expects_reply && !m.reply_received,
            reference: m.reference.clone(),
        })
    }
}

/// Nobody received a message that ended so: it holds no conversation.
fn ended_unreceived(status: Status) -> bool {
    matches!(status, Status::Failed | Status::Expired | Status::Canceled)
}

/// `C | number | 0 | id`, an earlier build's entry.
fn legacy_key(number: &str, id: MessageId) -> Vec<u8> {
    let mut k = legacy_prefix(number);
    k.extend_from_slice(&id.to_bytes());
    k
}

fn legacy_prefix(number: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(number.len() + 18);
    k.push(keys::CONVERSATION);
    k.extend_from_slice(number.as_bytes());
    k.push(0);
    k
}

/// Picks the conversation a reply received on `via` answers. `candidates` are the messages
/// sent to the replying number within the window, newest first. Returns the index of the
/// match (if any) and how it was decided.
pub fn match_reply(candidates: &[Conversation], via: &str) -> (Option<usize>, MatchedBy) {
    let on_via: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].via == via)
        .collect();
    let open: Vec<usize> = on_via
        .iter()
        .copied()
        .filter(|&i| candidates[i].expects_reply && candidates[i].open)
        .collect();
    let newest = |set: &[usize]| set.iter().copied().max_by_key(|&i| candidates[i].sent_at);
    match open.len() {
        1 => (
            Some(open[0]),
            MatchedBy {
                rule: MatchRule::StickySender,
                confidence: 95,
            },
        ),
        k if k > 1 => (
            newest(&open),
            MatchedBy {
                rule: MatchRule::Latest,
                // Several open on one sender: a guess among k.
                confidence: (80 / k).max(10) as u8,
            },
        ),
        _ => match newest(&on_via) {
            Some(i) => (
                Some(i),
                MatchedBy {
                    rule: MatchRule::Latest,
                    // A follow-up to an answered question, or an answer nobody asked for.
                    confidence: if candidates[i].expects_reply { 60 } else { 40 },
                },
            ),
            None => (
                None,
                MatchedBy {
                    rule: MatchRule::None,
                    confidence: 0,
                },
            ),
        },
    }
}

impl Store {
    fn reply_window_ms(&self) -> u64 {
        self.conversations.window_ms
    }

    /// Notes at open whether `C` entries of an earlier build are there to be read.
    pub(super) fn load_legacy_conversations(&self) -> Result<(), StoreError> {
        let any = self
            .tree
            .scan_prefix([keys::CONVERSATION])
            .next()
            .transpose()?
            .is_some();
        self.conversations.legacy_keys.store(any, Ordering::Relaxed);
        Ok(())
    }

    /// Messages sent to `number` within the reply window before `now`, newest first (at most
    /// [`MAX_PER_NUMBER`] looked at). Messages that ended failed, expired or canceled are left
    /// out: nobody received them.
    pub fn conversations_with(
        &self,
        number: &str,
        now: Timestamp,
    ) -> Result<Vec<Conversation>, StoreError> {
        Ok(self
            .candidates(number, now)?
            .into_iter()
            .map(|(c, _)| c)
            .collect())
    }

    /// The newest [`MAX_PER_NUMBER`] keys under `prefix` (one number's), newest first.
    fn newest_under(
        &self,
        prefix: &[u8],
    ) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> {
        self.tree
            .range(prefix.to_vec()..keys::prefix_end(prefix))
            .rev()
            .take(MAX_PER_NUMBER)
    }

    /// [`Store::conversations_with`], each with whether it came from an earlier build's `C`
    /// entry (closed there, not on the message).
    fn candidates(
        &self,
        number: &str,
        now: Timestamp,
    ) -> Result<Vec<(Conversation, bool)>, StoreError> {
        let from = now.as_millis().saturating_sub(self.reply_window_ms());
        let in_window = |c: &Conversation| c.sent_at.as_millis() >= from;
        let mut out = Vec::new();
        let mut legacy = HashSet::new();
        if self.conversations.legacy_keys.load(Ordering::Relaxed) {
            for kv in self.newest_under(&legacy_prefix(number)) {
                let (k, v) = kv?;
                // An unreadable entry would fail every reply from this number (the part stays
                // unstored); it matches nothing, and the purge removes it.
                let c: Conversation = match decode(&k, &v) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(target: "smsgw::store", error = %e, "an earlier build's conversation entry is unreadable; skipped");
                        continue;
                    }
                };
                legacy.insert(c.id);
                let received = self.get(c.id)?.is_none_or(|m| !ended_unreceived(m.status));
                if in_window(&c) && received {
                    out.push((c, true));
                }
            }
        }
        let p = keys::recipient_prefix(number);
        for kv in self.newest_under(&p) {
            let (k, _) = kv?;
            let Some(id) = k.get(p.len()..).and_then(MessageId::from_slice) else {
                continue;
            };
            if legacy.contains(&id) {
                continue;
            }
            if let Some(c) = self.get(id)?.as_ref().and_then(Conversation::of)
                && in_window(&c)
            {
                out.push((c, false));
            }
        }
        out.sort_by_key(|(c, _)| std::cmp::Reverse(c.sent_at));
        Ok(out)
    }

    /// The senders (modems) holding an open conversation with `number`: a pool sends the next
    /// message that expects a reply from another one when it can.
    pub fn open_conversation_senders(
        &self,
        number: &str,
        now: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .conversations_with(number, now)?
            .into_iter()
            .filter(|c| c.open && c.expects_reply)
            .map(|c| c.via)
            .collect())
    }

    /// Reply matching and inbound routing for `msg`, received on `via`, with the closing of
    /// the matched conversation added to `batch`. Call with `write_lock` held, before
    /// `push_inbound`.
    pub(super) fn converse(
        &self,
        batch: &mut Batch,
        msg: &mut InboundMessage,
        via: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        msg.modem = Some(via.to_string());
        let (candidates, legacy): (Vec<Conversation>, Vec<bool>) =
            self.candidates(&msg.from, now)?.into_iter().unzip();
        let (found, how) = match_reply(&candidates, via);
        msg.matched_by = Some(how);
        if let Some(i) = found {
            let c = &candidates[i];
            msg.in_reply_to = Some(ReplyTo {
                id: c.id,
                reference: c.reference.clone(),
            });
            if c.open && legacy[i] {
                let mut closed = c.clone();
                closed.open = false;
                batch.insert(legacy_key(&msg.from, c.id), encode(&closed)?);
            } else if c.open
                && let Some(mut m) = self.get(c.id)?
            {
                // Only a flag changes: no index or event follows it.
                m.reply_received = true;
                batch.insert(&keys::message(c.id), encode(&m)?);
            }
        }
        if let Some(cl) = &self.conversations.classifier {
            msg.inbound_rule = cl.classify(msg);
        }
        Ok(())
    }

    /// Removes the `C` entries of an earlier build older than the reply window, in batches;
    /// returns how many. Once none is left, lookups stop reading their range.
    pub fn purge_conversations(&self, now: Timestamp) -> Result<usize, StoreError> {
        if !self.conversations.legacy_keys.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let from = now.as_millis().saturating_sub(self.reply_window_ms());
        let (mut old, mut kept) = (Vec::new(), 0usize);
        for kv in self.tree.scan_prefix([keys::CONVERSATION]) {
            let (k, v) = kv?;
            // One that cannot be read would never match: it goes too.
            if decode::<Conversation>(&k, &v).map_or(true, |c| c.sent_at.as_millis() < from) {
                old.push(k);
            } else {
                kept += 1;
            }
        }
        let n = old.len();
        self.remove_in_chunks(old.into_iter().map(Ok))?;
        if kept == 0 {
            self.conversations
                .legacy_keys
                .store(false, Ordering::Relaxed);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(n: u64, via: &str, expects: bool, open: bool) -> Conversation {
        Conversation {
            id: MessageId::new_at(n),
            via: via.into(),
            sent_at: Timestamp(n),
            expects_reply: expects,
            open,
            reference: Some(format!("r{n}")),
        }
    }

    fn outbound(n: u64, reference: &str) -> OutboundMessage {
        let req: crate::api::submit::SubmitRequest = serde_json::from_value(serde_json::json!({
            "to": "+358401234567", "text": "Reply NO to cancel", "reference": reference,
            "expects_reply": true
        }))
        .unwrap();
        crate::api::submit::SubmitRules::new(&crate::config::MessagesConfig::default())
            .validate(req, Timestamp(n), |_| true)
            .unwrap()
    }

    fn reply(modem: &str) -> crate::store::InboundPart {
        crate::store::InboundPart {
            modem: modem.into(),
            route: "sims".into(),
            from: "+358401234567".into(),
            from_type: crate::model::NumberType::Unknown,
            to: None,
            to_type: crate::model::NumberType::Unknown,
            sent_at: None,
            concat: None,
            text: "NO".into(),
        }
    }

    fn store_with_window(dir: &std::path::Path) -> Arc<Store> {
        let policies = crate::store::Policies {
            reply_window: Duration::from_secs(3600),
            ..Default::default()
        };
        Store::open_with(dir, 1 << 20, policies).unwrap()
    }

    /// Stores `m` and hands it to `modem` of the pool `sims` at `at`, as the dispatcher and
    /// the pool record it.
    fn handed_over(s: &Store, m: &OutboundMessage, modem: &str, at: u64) -> OutboundMessage {
        s.insert_outbound(vec![crate::store::NewMessage {
            message: m.clone(),
            idempotency_key: None,
        }])
        .unwrap();
        s.update(m.id, |m| {
            for p in &mut m.parts {
                p.route = Some("sims".into());
                p.modem = Some(modem.into());
            }
            m.set_status(Status::Sending, Timestamp(at), None);
            true
        })
        .unwrap()
        .unwrap()
    }

    #[test]
    fn a_stored_reply_should_carry_its_match_and_close_the_conversation() {
        let dir = tempfile::tempdir().unwrap();
        let s = store_with_window(dir.path());
        let (a, b) = (outbound(1_000, "appt-1"), outbound(2_000, "appt-2"));
        handed_over(&s, &a, "m1", 1_000);
        handed_over(&s, &b, "m2", 2_000);
        // Accepted, not handed over: nobody has it yet.
        let queued = outbound(2_500, "appt-3");
        s.insert_outbound(vec![crate::store::NewMessage {
            message: queued,
            idempotency_key: None,
        }])
        .unwrap();
        assert_eq!(
            s.open_conversation_senders("+358401234567", Timestamp(3_000))
                .unwrap(),
            vec!["m2".to_string(), "m1".to_string()]
        );
        let super::super::Received::Stored(m) =
            s.receive_part(b"x", reply("m1"), Timestamp(5_000)).unwrap()
        else {
            panic!("not stored")
        };
        assert_eq!(
            m.in_reply_to,
            Some(ReplyTo {
                id: a.id,
                reference: Some("appt-1".into())
            })
        );
        assert_eq!(m.matched_by.map(|h| h.rule), Some(MatchRule::StickySender));
        assert_eq!(m.modem.as_deref(), Some("m1"));
        // The inbox entry says the same, and m1's conversation is closed, on the message.
        let stored = s.list_inbox(None, 10).unwrap().items;
        assert_eq!(stored[0].in_reply_to, m.in_reply_to);
        assert!(s.get(a.id).unwrap().unwrap().reply_received);
        assert!(!s.get(b.id).unwrap().unwrap().reply_received);
        assert_eq!(
            s.open_conversation_senders("+358401234567", Timestamp(6_000))
                .unwrap(),
            vec!["m2".to_string()]
        );
        // A second reply on m1 follows up the answered one.
        let super::super::Received::Stored(m) = s
            .receive_part(b"x2", reply("m1"), Timestamp(7_000))
            .unwrap()
        else {
            panic!("not stored")
        };
        assert_eq!(m.in_reply_to.map(|r| r.id), Some(a.id));
        assert_eq!(m.matched_by.map(|h| h.rule), Some(MatchRule::Latest));
        // After the window nothing matches; no entry of its own was written to purge.
        let later = Timestamp(2_000 + 3_600_000 + 1);
        let super::super::Received::Stored(m) = s.receive_part(b"y", reply("m2"), later).unwrap()
        else {
            panic!("not stored")
        };
        assert_eq!(m.matched_by.map(|h| h.rule), Some(MatchRule::None));
        assert_eq!(s.tree.scan_prefix([keys::CONVERSATION]).count(), 0);
        assert_eq!(s.purge_conversations(later).unwrap(), 0);
    }

    #[test]
    fn a_message_should_hold_a_conversation_once_handed_over_until_it_ends_unreceived() {
        let dir = tempfile::tempdir().unwrap();
        let s = store_with_window(dir.path());
        let m = outbound(1_000, "appt-1");
        assert_eq!(Conversation::of(&m), None, "not handed over");
        let mut sent = handed_over(&s, &m, "m1", 1_500);
        let c = Conversation::of(&sent).unwrap();
        assert_eq!(
            (c.via.as_str(), c.sent_at, c.open),
            ("m1", Timestamp(1_500), true)
        );
        // Through an SMPP link: no modem, the route (the link) is the sender.
        sent.parts[0].modem = None;
        assert_eq!(Conversation::of(&sent).unwrap().via, "sims");
        sent.set_status(Status::Failed, Timestamp(2_000), None);
        assert_eq!(Conversation::of(&sent), None, "failed: nobody received it");
    }

    #[test]
    fn entries_of_an_earlier_build_should_match_close_there_and_be_purged_after_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let number = "+358401234567";
        let (a, b) = (outbound(1_000, "appt-1"), outbound(2_000, "appt-2"));
        {
            let s = store_with_window(dir.path());
            // Handed over by the earlier build: its message says open, its entry closed.
            handed_over(&s, &a, "m1", 1_000);
            let mut closed = conv(1_000, "m1", true, false);
            closed.id = a.id;
            s.put_raw(&legacy_key(number, a.id), &encode(&closed).unwrap())
                .unwrap();
            handed_over(&s, &b, "m2", 2_000);
            let mut open = conv(2_000, "m2", true, true);
            open.id = b.id;
            s.put_raw(&legacy_key(number, b.id), &encode(&open).unwrap())
                .unwrap();
            s.flush_blocking().unwrap();
        }
        let s = store_with_window(dir.path());
        assert_eq!(
            s.open_conversation_senders(number, Timestamp(3_000))
                .unwrap(),
            vec!["m2".to_string()],
            "the entry wins over its message"
        );
        // A damaged entry beside them is passed over, not a failure of every reply.
        s.put_raw(
            &legacy_key(number, MessageId::new_at(2_500)),
            b"\xffdamaged",
        )
        .unwrap();
        let super::super::Received::Stored(m) =
            s.receive_part(b"x", reply("m2"), Timestamp(5_000)).unwrap()
        else {
            panic!("not stored")
        };
        assert_eq!(m.in_reply_to.map(|r| r.id), Some(b.id));
        assert_eq!(m.matched_by.map(|h| h.rule), Some(MatchRule::StickySender));
        let v = s.tree.get(legacy_key(number, b.id)).unwrap().unwrap();
        assert!(
            !decode::<Conversation>(b"k", &v).unwrap().open,
            "closed in the entry"
        );
        assert!(
            s.open_conversation_senders(number, Timestamp(6_000))
                .unwrap()
                .is_empty()
        );
        // Within the window the entries stay; after it both go, and lookups stop reading them.
        assert_eq!(
            s.purge_conversations(Timestamp(6_000)).unwrap(),
            1,
            "the damaged one"
        );
        let later = Timestamp(2_000 + 3_600_000 + 1);
        assert_eq!(s.purge_conversations(later).unwrap(), 2);
        assert_eq!(s.tree.scan_prefix([keys::CONVERSATION]).count(), 0);
        assert!(!s.conversations.legacy_keys.load(Ordering::Relaxed));
    }

    #[test]
    fn one_open_conversation_on_the_receiving_sim_should_match_as_sticky_sender() {
        // Newest first: a reminder on m1 (open) and one on m2 (open).
        let c = [conv(20, "m2", true, true), conv(10, "m1", true, true)];
        let (i, how) = match_reply(&c, "m1");
        assert_eq!(i, Some(1));
        assert_eq!(how.rule, MatchRule::StickySender);
        assert!(how.confidence >= 90);
        let (i, how) = match_reply(&c, "m2");
        assert_eq!((i, how.rule), (Some(0), MatchRule::StickySender));
    }

    #[test]
    fn several_open_on_one_sender_should_match_the_latest_with_less_confidence() {
        let c = [conv(30, "link", true, true), conv(20, "link", true, true)];
        let (i, how) = match_reply(&c, "link");
        assert_eq!((i, how.rule), (Some(0), MatchRule::Latest));
        assert!(how.confidence < 50, "{}", how.confidence);
    }

    #[test]
    fn no_open_conversation_should_fall_back_to_the_latest_sent_from_that_number() {
        let c = [
            conv(30, "m2", false, false),
            conv(20, "m1", false, false),
            conv(10, "m1", true, false),
        ];
        let (i, how) = match_reply(&c, "m1");
        assert_eq!((i, how.rule), (Some(1), MatchRule::Latest));
        assert_eq!(how.confidence, 40);
    }

    #[test]
    fn nothing_sent_from_the_receiving_number_should_match_nothing() {
        let c = [conv(30, "m2", true, true)];
        let (i, how) = match_reply(&c, "m1");
        assert_eq!((i, how.rule, how.confidence), (None, MatchRule::None, 0));
        assert_eq!(match_reply(&[], "m1").0, None);
    }
}
