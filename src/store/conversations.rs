//! Conversations: which outbound message an incoming one answers (issue 7, item 1).
//!
//! Every message handed to a sender (a modem of a pool, or an SMPP link) is recorded under
//! `C | number | 0 | id` with the sender's name (`via`), the time, the client's `reference`
//! and whether it expects a reply. A reply from `number` received on `via` is matched in the
//! same batch that writes it to the inbox ([`Store::receive_part`]): among the messages sent
//! to `number` from `via` within the reply window, one open conversation is an exact match
//! (`sticky-sender`); otherwise the latest wins (`latest`), less surely when several were open.
//! A match closes the conversation; the window's end closes the rest, and
//! [`Store::purge_conversations`] removes them.
//!
//! Lookups are by number and bounded ([`MAX_PER_NUMBER`] newest entries), so the cost does not
//! grow with traffic to other numbers.

use std::sync::Arc;
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
        }
    }
}

/// One message sent to a number, as reply matching sees it.
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
    /// The entry for `m` handed to `via` (a modem or link) at `now`.
    pub fn handed_to(m: &OutboundMessage, via: &str, now: Timestamp) -> Self {
        Conversation {
            id: m.id,
            via: via.to_string(),
            sent_at: now,
            expects_reply: m.expects_reply,
            open: m.expects_reply,
            reference: m.reference.clone(),
        }
    }
}

fn key(number: &str, id: MessageId) -> Vec<u8> {
    let mut k = prefix(number);
    k.extend_from_slice(&id.to_bytes());
    k
}

fn prefix(number: &str) -> Vec<u8> {
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

    /// Records that `m` is handed to `via` (a modem or link) at `now`. Called again for a
    /// resend, it replaces the entry (the newest sender is the one a reply comes back to).
    pub fn record_conversation(
        &self,
        m: &OutboundMessage,
        via: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.record_conversations(&[(m.to.as_str(), Conversation::handed_to(m, via, now))])
    }

    /// [`Store::record_conversation`] for several messages (number, entry) in one write.
    pub fn record_conversations(&self, entries: &[(&str, Conversation)]) -> Result<(), StoreError> {
        let mut batch = super::wal::Batch::default();
        for (number, c) in entries {
            batch.insert(key(number, c.id), encode(c)?);
        }
        let _guard = self.write_lock.lock();
        self.tree.apply_batch(batch)?;
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
        let from = now.as_millis().saturating_sub(self.reply_window_ms());
        let p = prefix(number);
        let mut out = Vec::new();
        for kv in self
            .tree
            .range(p.clone()..keys::prefix_end(&p))
            .rev()
            .take(MAX_PER_NUMBER)
        {
            let (k, v) = kv?;
            let c: Conversation = decode(&k, &v)?;
            if c.sent_at.as_millis() < from {
                continue;
            }
            if let Some(m) = self.get(c.id)? {
                if matches!(
                    m.status,
                    Status::Failed | Status::Expired | Status::Canceled
                ) {
                    continue;
                }
            }
            out.push(c);
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.sent_at));
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
        let candidates = self.conversations_with(&msg.from, now)?;
        let (found, how) = match_reply(&candidates, via);
        msg.matched_by = Some(how);
        if let Some(i) = found {
            let c = &candidates[i];
            msg.in_reply_to = Some(ReplyTo {
                id: c.id,
                reference: c.reference.clone(),
            });
            if c.open {
                let mut closed = c.clone();
                closed.open = false;
                batch.insert(key(&msg.from, c.id), encode(&closed)?);
            }
        }
        if let Some(cl) = &self.conversations.classifier {
            msg.inbound_rule = cl.classify(msg);
        }
        Ok(())
    }

    /// Removes conversation entries older than the reply window; returns how many.
    pub fn purge_conversations(&self, now: Timestamp) -> Result<usize, StoreError> {
        let from = now.as_millis().saturating_sub(self.reply_window_ms());
        let mut n = 0;
        for kv in self.tree.scan_prefix([keys::CONVERSATION]) {
            let (k, v) = kv?;
            let old = decode::<Conversation>(&k, &v).map_or(true, |c| c.sent_at.as_millis() < from);
            if old {
                self.tree.remove(k)?;
                n += 1;
            }
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

    #[test]
    fn a_stored_reply_should_carry_its_match_and_close_the_conversation() {
        let dir = tempfile::tempdir().unwrap();
        let policies = crate::store::Policies {
            reply_window: Duration::from_secs(3600),
            ..Default::default()
        };
        let s = Store::open_with(dir.path(), 1 << 20, policies).unwrap();
        let (a, b) = (outbound(1_000, "appt-1"), outbound(2_000, "appt-2"));
        s.record_conversation(&a, "m1", Timestamp(1_000)).unwrap();
        s.record_conversation(&b, "m2", Timestamp(2_000)).unwrap();
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
        // The inbox entry says the same, and m1's conversation is closed.
        let stored = s.list_inbox(None, 10).unwrap().items;
        assert_eq!(stored[0].in_reply_to, m.in_reply_to);
        assert_eq!(
            s.open_conversation_senders("+358401234567", Timestamp(6_000))
                .unwrap(),
            vec!["m2".to_string()]
        );
        // After the window nothing matches, and the hourly purge removes the entries.
        let later = Timestamp(2_000 + 3_600_000 + 1);
        let super::super::Received::Stored(m) = s.receive_part(b"y", reply("m2"), later).unwrap()
        else {
            panic!("not stored")
        };
        assert_eq!(m.matched_by.map(|h| h.rule), Some(MatchRule::None));
        assert_eq!(s.purge_conversations(later).unwrap(), 2);
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
