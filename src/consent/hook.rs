//! The inbound side of consent: a received reply that is an opt-out or opt-in keyword
//! changes the suppression list, may be answered with a confirmation, and is reported on the
//! inbox entry (`keyword`) and so in its `message.received` webhook (issue 7 item 2).
//!
//! It runs as the store's [`InboundHook`], inside the batch that stores the reply, for every
//! route (modem receive, modem reassembly timeout, SMPP `deliver_sm`).

use std::sync::{Arc, OnceLock};

use crate::config::{ConsentConfig, ConsentScope, MessagesConfig};
use crate::dispatch::DispatchHandle;
use crate::gsm::{SegmentOptions, count_parts};
use crate::model::{
    Attempt, GLOBAL_SCOPE, InboundMessage, KeywordAction, KeywordHit, MessageId, Msisdn,
    NumberPlan, OutboundMessage, Part, Priority, Sender, Status, Suppression, SuppressionSource,
    Timestamp,
};
use crate::store::{InboundHook, InboundTx, StoreError};

use super::keywords::KeywordMatcher;

/// What the consent hook needs, built once from the configuration.
#[derive(Debug)]
pub struct ConsentHook {
    cfg: ConsentConfig,
    matcher: KeywordMatcher,
    plan: NumberPlan,
    messages: MessagesConfig,
    wake: OnceLock<DispatchHandle>,
}

impl ConsentHook {
    /// A hook for this configuration.
    pub fn new(cfg: &ConsentConfig, messages: &MessagesConfig) -> Arc<Self> {
        Arc::new(Self {
            matcher: KeywordMatcher::new(&cfg.keywords),
            cfg: cfg.clone(),
            plan: messages.number_plan(),
            messages: messages.clone(),
            wake: OnceLock::new(),
        })
    }

    /// Lets the hook wake the dispatcher when it queued a confirmation (the dispatcher is
    /// built after the store, so this comes later than [`ConsentHook::new`]).
    pub fn set_dispatcher(&self, handle: DispatchHandle) {
        let _ = self.wake.set(handle);
    }
}

impl InboundHook for ConsentHook {
    fn on_received(
        &self,
        tx: &mut InboundTx<'_>,
        msg: &mut InboundMessage,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        msg.keyword = on_inbound(tx, self, msg, now)?;
        Ok(())
    }

    fn committed(&self, msg: &InboundMessage) {
        if msg.keyword.is_some() {
            if let Some(w) = self.wake.get() {
                w.notify();
            }
        }
    }
}

/// The entry point for a received message: if its whole text is a keyword, puts the sender
/// on the suppression list (opt-out) or takes it off (opt-in) in the scope the configuration
/// says, queues the configured confirmation (transactional, so it reaches an opted-out
/// number), and returns the hit to record on the inbox entry. Writes go into `tx`, the batch
/// that stores `msg`. Originators that are not numbers (alphanumeric) are reported but not
/// listed: nothing can be sent to them anyway.
pub fn on_inbound(
    tx: &mut InboundTx<'_>,
    hook: &ConsentHook,
    msg: &InboundMessage,
    now: Timestamp,
) -> Result<Option<KeywordHit>, StoreError> {
    if !hook.cfg.keywords_enabled || msg.incomplete {
        return Ok(None);
    }
    let Some(m) = hook.matcher.classify(&msg.text) else {
        return Ok(None);
    };
    let scope = match hook.cfg.scope {
        ConsentScope::Global => GLOBAL_SCOPE.to_string(),
        ConsentScope::Sender => msg
            .to
            .as_deref()
            .and_then(|t| Sender::parse(t, &hook.plan).ok())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| GLOBAL_SCOPE.to_string()),
    };
    let hit = KeywordHit {
        action: m.action,
        word: m.word.clone(),
        language: m.language.clone(),
        scope: scope.clone(),
    };
    let Ok(number) = Msisdn::parse(&msg.from, &hook.plan) else {
        return Ok(Some(hit));
    };
    let set = hook.cfg.keywords.get(&m.language);
    let reply = match m.action {
        KeywordAction::OptOut => {
            tx.put_suppression(&Suppression {
                number: number.as_str().to_string(),
                scope: scope.clone(),
                source: SuppressionSource::Keyword,
                word: Some(m.word.clone()),
                note: None,
                created_at: now,
            })?;
            set.and_then(|s| s.opt_out_reply.as_deref())
        }
        KeywordAction::OptIn => {
            tx.remove_suppression(&scope, number.as_str());
            set.and_then(|s| s.opt_in_reply.as_deref())
        }
    };
    if let Some(text) = reply.filter(|t| !t.is_empty()) {
        let from = (scope != GLOBAL_SCOPE)
            .then(|| Sender::parse(&scope, &hook.plan).ok())
            .flatten();
        tx.queue(confirmation(hook, number, from, text, now));
    }
    Ok(Some(hit))
}

/// A transactional answer to `to`, queued now.
fn confirmation(
    hook: &ConsentHook,
    to: Msisdn,
    from: Option<Sender>,
    text: &str,
    now: Timestamp,
) -> OutboundMessage {
    let count = count_parts(text, &SegmentOptions::default());
    let mut m = OutboundMessage {
        id: MessageId::new_at(now.as_millis()),
        to,
        to_original: None,
        from,
        text: text.to_string(),
        encoding: crate::api::submit::encoding_name(count.encoding).to_string(),
        send_at: None,
        expires_at: now.plus(hook.messages.default_validity.get()),
        priority: Priority::High,
        reference: None,
        route: None,
        modem: None,
        callback_url: None,
        callback_events: Vec::new(),
        dlr: None,
        transactional: true,
        expects_reply: false,
        reply_received: false,
        // The answer to the customer's own STOP goes at once, even at night: they just wrote.
        urgent: true,
        status: Status::Queued,
        parts: (1..=count.parts.max(1))
            .map(|i| Part::pending(i as u8))
            .collect(),
        history: Vec::new(),
        attempts: Attempt::default(),
        created_at: now,
        updated_at: now,
    };
    m.set_status(
        Status::Queued,
        now,
        Some("consent confirmation for a keyword reply".into()),
    );
    m
}
