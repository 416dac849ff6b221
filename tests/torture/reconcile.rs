//! Reconciliation: the daemon's store (over its API), the simulators' own records and the
//! webhook receiver's, against what the clients were told. Every rule must hold whatever
//! the kill moments were; the run waits (bounded) for the system to settle, then reports
//! every broken rule at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::ledger::Ledger;
use crate::rig::{MODEM_PREFIX, Rig};
use crate::tokens;

/// How long the system may take to settle after the last restart.
const SETTLE: Duration = Duration::from_secs(240);

const FINAL: [&str; 5] = ["delivered", "undelivered", "failed", "expired", "canceled"];

/// What a run measured.
#[derive(Debug, Default)]
pub struct Figures {
    pub accepted: usize,
    pub unanswered: usize,
    pub unanswered_stored: usize,
    pub refused: u64,
    pub smpp_messages: usize,
    pub modem_messages: usize,
    /// Parts the simulators received more than once (each flagged `possible_duplicate`).
    pub duplicate_sends: usize,
    /// Parts flagged `possible_duplicate` in all (sent twice or not).
    pub flagged: usize,
    pub smpp_mo: usize,
    pub modem_mo: usize,
    /// SMPP MOs in the inbox twice because the SMSC redelivered one whose answer was lost.
    pub mo_redelivered_copies: usize,
    /// deliver_sm (receipts and MO parts) the SMSC sent again after a lost answer.
    pub smsc_redeliveries: usize,
    pub webhook_events: usize,
    /// Webhook requests acknowledged more than once for one event (at least once).
    pub webhook_repeats: usize,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} messages accepted ({} SMPP, {} modem), {} answers lost ({} of them stored), \
             {} refused; {} duplicate sends, all flagged ({} parts flagged in all); MO: {} SMPP, \
             {} modem, {} SMPP copies after a lost deliver_sm_resp; {} SMSC redeliveries; \
             {} webhook events, {} delivered again",
            self.accepted,
            self.smpp_messages,
            self.modem_messages,
            self.unanswered,
            self.unanswered_stored,
            self.refused,
            self.duplicate_sends,
            self.flagged,
            self.smpp_mo,
            self.modem_mo,
            self.mo_redelivered_copies,
            self.smsc_redeliveries,
            self.webhook_events,
            self.webhook_repeats,
        )
    }
}

/// Waits until every rule holds (or [`SETTLE`] passes, then panics with what does not).
pub async fn settle_and_check(rig: &Rig, ledger: &Ledger) -> Figures {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let problems = match check(rig, ledger).await {
            Ok(f) => return f,
            Err(p) => p,
        };
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{} problems after {SETTLE:?} (first 40):\n{}",
                problems.len(),
                problems
                    .iter()
                    .take(40)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// (token, part) of what a simulator received: the token of the text, the part from the
/// concatenation header (1 for a single message).
type PartKey = (u64, u8);

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

async fn check(rig: &Rig, ledger: &Ledger) -> Result<Figures, Vec<String>> {
    let mut p = Vec::new();
    let mut f = Figures::default();
    let messages = rig.all("/v1/messages").await;
    let inbox = rig.all("/v1/inbox").await;
    let accepted = ledger.accepted.lock().clone();
    let unanswered: HashSet<u64> = ledger.unanswered.lock().iter().copied().collect();
    f.accepted = accepted.len();
    f.unanswered = unanswered.len();
    f.refused = ledger.refused.load(std::sync::atomic::Ordering::Relaxed);

    // 1. Every 202 is in the store; nothing is in the store that no client sent.
    let by_id: HashMap<&str, &Value> = messages.iter().map(|m| (str_of(m, "id"), m)).collect();
    for a in &accepted {
        if !by_id.contains_key(a.id.as_str()) {
            p.push(format!(
                "LOST: message {} (T{}) got a 202 and is not in the store",
                a.id, a.token
            ));
        }
    }
    let accepted_tokens: HashSet<u64> = accepted.iter().map(|a| a.token).collect();
    let mut token_of: HashMap<u64, &Value> = HashMap::new();
    for m in &messages {
        let token: u64 = str_of(m, "reference")
            .strip_prefix('t')
            .and_then(|t| t.parse().ok())
            .unwrap_or(u64::MAX);
        if !accepted_tokens.contains(&token) {
            if unanswered.contains(&token) {
                f.unanswered_stored += 1;
            } else {
                p.push(format!(
                    "PHANTOM: {} in the store, no client sent it",
                    str_of(m, "id")
                ));
            }
        }
        if token_of.insert(token, m).is_some() {
            p.push(format!("DUPLICATE: token {token} stored twice"));
        }
        // 2. Every message reached a final state.
        let status = str_of(m, "status");
        if !FINAL.contains(&status) {
            p.push(format!(
                "NOT FINAL: {} is {status}: {}",
                str_of(m, "id"),
                m["parts"]
            ));
        } else if !["delivered", "undelivered"].contains(&status) {
            p.push(format!(
                "FAILED: {} ended {status}: {}",
                str_of(m, "id"),
                m["history"]
            ));
        }
    }

    // 3. What the simulators received, per (token, part).
    let mut smsc: BTreeMap<PartKey, Vec<Option<&'static str>>> = BTreeMap::new();
    for s in rig.smsc.submitted() {
        let Some(t) = s.text.as_deref().and_then(|t| tokens::number('T', t)) else {
            p.push(format!("UNKNOWN: the SMSC got {:?}", s.text));
            continue;
        };
        let part = s.concat.as_ref().map_or(1, |c| c.seq);
        smsc.entry((t, part)).or_default().push(s.receipt_stat);
    }
    let mut modem: BTreeMap<PartKey, usize> = BTreeMap::new();
    for sim in &rig.sims {
        for s in sim.sent_parts() {
            let Some(info) = &s.decoded else { continue };
            let Some(t) = info.text.as_deref().and_then(|t| tokens::number('T', t)) else {
                p.push(format!("UNKNOWN: a modem sent {:?}", info.text));
                continue;
            };
            *modem
                .entry((t, info.concat.as_ref().map_or(1, |c| c.seq)))
                .or_default() += 1;
        }
    }
    for &(t, part) in smsc.keys().chain(modem.keys()) {
        if !token_of.contains_key(&t) {
            p.push(format!(
                "LOST: T{t} part {part} was sent and is not in the store"
            ));
        }
    }
    for (&token, m) in &token_of {
        let via_modem = str_of(m, "to").starts_with(MODEM_PREFIX);
        if via_modem {
            f.modem_messages += 1;
        } else {
            f.smpp_messages += 1;
        }
        let status = str_of(m, "status");
        let parts = m["parts"].as_array().cloned().unwrap_or_default();
        for part in &parts {
            let index = part["index"].as_u64().unwrap_or(0) as u8;
            let flagged = part["possible_duplicate"].as_bool().unwrap_or(false);
            f.flagged += usize::from(flagged);
            let pstatus = str_of(part, "status");
            let (sends, stats): (usize, Vec<Option<&str>>) = if via_modem {
                (modem.get(&(token, index)).copied().unwrap_or(0), Vec::new())
            } else {
                let s = smsc.get(&(token, index)).cloned().unwrap_or_default();
                (s.len(), s)
            };
            if FINAL.contains(&status) && sends == 0 {
                p.push(format!(
                    "NOT SENT: T{token} part {index} is {pstatus} but no simulator got it"
                ));
            }
            if sends > 1 {
                f.duplicate_sends += sends - 1;
                if !flagged {
                    p.push(format!(
                        "UNFLAGGED DUPLICATE: T{token} part {index} sent {sends} times, not flagged possible_duplicate"
                    ));
                }
            }
            // 4. Every receipt applied: the part ends as one of its sends' receipts said.
            let ok = if via_modem {
                pstatus == "delivered"
            } else {
                stats.iter().any(|s| match s {
                    Some("DELIVRD") => pstatus == "delivered",
                    Some(_) => pstatus == "undelivered",
                    None => false,
                })
            };
            if !ok && FINAL.contains(&status) {
                p.push(format!(
                    "RECEIPT: T{token} part {index} is {pstatus}, receipts said {stats:?}"
                ));
            }
        }
        let all_delivered = parts.iter().all(|x| str_of(x, "status") == "delivered");
        if FINAL.contains(&status) && (status == "delivered") != all_delivered {
            p.push(format!(
                "STATUS: T{token} is {status} with parts {}",
                m["parts"]
            ));
        }
    }

    // 5. MOs: each in the inbox once; an SMPP MO twice only if the SMSC sent it again
    // because its deliver_sm_resp was lost.
    let mut inbox_texts: HashMap<&str, usize> = HashMap::new();
    for m in &inbox {
        *inbox_texts.entry(str_of(m, "text")).or_default() += 1;
        if m["incomplete"].as_bool().unwrap_or(false) {
            p.push(format!(
                "INCOMPLETE: inbox {} {:?}",
                str_of(m, "id"),
                str_of(m, "text")
            ));
        }
    }
    let delivered = rig.smsc.delivered();
    let mut unanswered_mo: HashMap<u64, usize> = HashMap::new();
    let mut answered: HashSet<(bool, String, u8)> = HashSet::new();
    let mut sent: HashSet<(bool, String, u8)> = HashSet::new();
    for d in &delivered {
        f.smsc_redeliveries += usize::from(d.redelivery);
        let key = if d.receipt {
            (true, d.receipted_message_id.clone().unwrap_or_default(), 0)
        } else {
            let t = d
                .text
                .as_deref()
                .and_then(|t| tokens::number('M', t))
                .unwrap_or(u64::MAX);
            if d.response.is_none() {
                *unanswered_mo.entry(t).or_default() += 1;
            }
            (false, t.to_string(), d.concat.as_ref().map_or(1, |c| c.seq))
        };
        if d.response == Some(0) {
            answered.insert(key.clone());
        }
        sent.insert(key);
    }
    for k in sent.difference(&answered) {
        p.push(format!(
            "UNANSWERED: the SMSC's deliver_sm {k:?} was never acknowledged"
        ));
    }
    let smpp_mo = ledger.smpp_mo.lock().clone();
    let modem_mo = ledger.modem_mo.lock().clone();
    f.smpp_mo = smpp_mo.len();
    f.modem_mo = modem_mo.len();
    let mut expected: HashSet<&str> = HashSet::new();
    for t in &smpp_mo {
        expected.insert(t);
        let n = inbox_texts.get(t.as_str()).copied().unwrap_or(0);
        let lost_answers = tokens::number('M', t)
            .and_then(|m| unanswered_mo.get(&m))
            .copied()
            .unwrap_or(0);
        if n == 0 {
            p.push(format!("MO LOST: {t:.20}… (SMPP) not in the inbox"));
        } else if n - 1 > lost_answers {
            p.push(format!(
                "MO TWICE: {t:.20}… (SMPP) {n} times, {lost_answers} answers lost"
            ));
        } else {
            f.mo_redelivered_copies += n - 1;
        }
    }
    for t in &modem_mo {
        expected.insert(t);
        match inbox_texts.get(t.as_str()).copied().unwrap_or(0) {
            1 => {}
            n => p.push(format!("MO: {t:.20}… (modem) {n} times in the inbox")),
        }
    }
    for t in inbox_texts.keys() {
        if !expected.contains(t) {
            p.push(format!("PHANTOM MO: {t:.30}… in the inbox, never injected"));
        }
    }
    let on_sims = rig.on_sims().await;
    if on_sims > 0 {
        p.push(format!(
            "SIM: {on_sims} messages still on the SIMs or in their networks"
        ));
    }

    // 6. Webhooks: every event at least once, one content per event id, in order per message.
    let mut first: BTreeMap<u64, (usize, Value)> = BTreeMap::new();
    let acked = rig.receiver.acked();
    for (i, h) in acked.iter().enumerate() {
        let doc = &h.doc;
        let summary = serde_json::json!([doc["type"], doc["data"]["id"], doc["data"]["status"]]);
        match first.get(&h.event) {
            Some((_, s)) if *s != summary => {
                p.push(format!(
                    "WEBHOOK: event {} delivered as {s} and as {summary}",
                    h.event
                ));
            }
            Some(_) => f.webhook_repeats += 1,
            None => {
                first.insert(h.event, (i, summary));
            }
        }
    }
    f.webhook_events = first.len();
    let mut per_message: HashMap<String, Vec<(usize, u64, String)>> = HashMap::new();
    for (event, (i, s)) in &first {
        let id = s[1].as_str().unwrap_or("").to_string();
        per_message.entry(id).or_default().push((
            *i,
            *event,
            s[2].as_str().unwrap_or("").to_string(),
        ));
    }
    for m in &messages {
        let id = str_of(m, "id");
        let mut got = per_message.remove(id).unwrap_or_default();
        got.sort();
        let ids: Vec<u64> = got.iter().map(|g| g.1).collect();
        if ids.windows(2).any(|w| w[0] > w[1]) {
            p.push(format!(
                "WEBHOOK ORDER: {id} events acknowledged in order {ids:?}"
            ));
        }
        let statuses: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
        let history: Vec<&str> = m["history"]
            .as_array()
            .map(|h| h.iter().map(|c| str_of(c, "status")).collect())
            .unwrap_or_default();
        if statuses != history {
            p.push(format!(
                "WEBHOOK: {id} events {statuses:?}, history {history:?}"
            ));
        }
    }
    for m in &inbox {
        if per_message.remove(str_of(m, "id")).is_none() {
            p.push(format!(
                "WEBHOOK: no message.received for inbox {}",
                str_of(m, "id")
            ));
        }
    }
    for (id, events) in per_message {
        p.push(format!(
            "WEBHOOK: events {events:?} for {id}, which is in no listing"
        ));
    }
    if p.is_empty() { Ok(f) } else { Err(p) }
}
