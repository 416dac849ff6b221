//! SMPP receipt correlation (SMPP 3.4 §4.6.1, Appendix B): which part of which message an SMSC
//! message id stands for, per route (the operator account, not the TCP session: a receipt may
//! come back on another bind of the same account), and receipts that matched nothing yet.
//!
//! - `R | route | 0 | canonical id` → [`SmscIdRecord`], written only when a
//!   submit_sm_resp said `ESME_ROK`; a later retry of the same part adds its own id and never
//!   erases an earlier one. Ids are stored under [`canonical_id`] and looked up under it first,
//!   then under [`alternate_ids`] (hex ⇄ decimal), so an SMSC that answers in one form and
//!   reports in the other still matches.
//! - `Q | route | 0 | received ms | n` → [`SmscReceipt`]: a receipt that arrived before
//!   its submit_sm_resp was recorded, or that matches nothing; tried again later, and dropped
//!   only once no message it could be for can still be valid
//!   ([`Store::purge_smpp_receipt_state`], which also forgets the old `R` records).
//!
//! Part and message statuses change by the same rules as modem status reports
//! (`sent_parts.rs`): a message is `delivered` when every part is, `undelivered` as soon as one
//! part will not be.

use serde::{Deserialize, Serialize};

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{MessageId, OutboundMessage, PartStatus, Timestamp};
use crate::smpp::receipt::{alternate_ids, canonical_id};

use keys::{PARKED_RECEIPT, SMSC_ID};

/// Part number meaning "every part of the message" (a message sent in one message_payload).
pub const ALL_PARTS: u8 = 0;

/// What an SMSC message id stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmscIdRecord {
    /// The message.
    pub id: MessageId,
    /// The part (1-based), or [`ALL_PARTS`].
    pub part: u8,
    /// When the submit was accepted.
    pub at: Timestamp,
    /// The id as the SMSC wrote it.
    pub smsc_id: String,
}

/// A delivery receipt as a session decoded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmscReceipt {
    /// The SMSC message id (receipted_message_id TLV, else the text's `id:`).
    pub smsc_id: String,
    /// The part's new status: `Delivered`, `Undelivered`, or `Sent` while still en route.
    pub part_status: PartStatus,
    /// The state word (`DELIVRD`, `UNDELIV`, `EXPIRED`, `REJECTD`…).
    pub stat: String,
    /// The `err:` value or network error code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// The `done date:` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_date: Option<String>,
    /// The receipt text as received (empty when the SMSC sent TLVs only).
    pub raw: String,
    /// When it was received.
    pub received_at: Timestamp,
}

impl SmscReceipt {
    /// The words put in a part's `error` and the message history.
    pub fn describe(&self) -> String {
        let mut s = format!("receipt stat:{}", self.stat);
        if let Some(e) = &self.err {
            s.push_str(&format!(" err:{e}"));
        }
        if let Some(d) = &self.done_date {
            s.push_str(&format!(" done date:{d}"));
        }
        s
    }
}

/// What [`Store::apply_smpp_receipt`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmppReceiptMatch {
    /// The part(s) were updated.
    Applied {
        /// The message.
        id: MessageId,
    },
    /// No submit with this id is known (yet): park and retry.
    NoMatch,
}

fn route_prefix(tag: u8, route: &str) -> Vec<u8> {
    keys::modem_prefix(tag, route)
}

fn id_key(route: &str, canonical: &str) -> Vec<u8> {
    let mut k = route_prefix(SMSC_ID, route);
    k.extend_from_slice(canonical.as_bytes());
    k
}

/// Applies one receipt to the part(s) of `m` that `rec` stands for; returns whether `m`
/// changed.
fn apply_receipt(
    m: &mut OutboundMessage,
    rec: &SmscIdRecord,
    r: &SmscReceipt,
    now: Timestamp,
) -> bool {
    let text = r.describe();
    let raw = if r.raw.is_empty() {
        text.clone()
    } else {
        r.raw.clone()
    };
    let mut changed = false;
    for part in m
        .parts
        .iter_mut()
        .filter(|p| rec.part == ALL_PARTS || p.index == rec.part)
    {
        // Not for an intermediate receipt (ENROUTE, ACCEPTD) matched after the final one.
        if !part.take_report(r.part_status, &text, "SMSC") {
            continue;
        }
        part.remote_id.get_or_insert_with(|| rec.smsc_id.clone());
        part.receipt = Some(raw.clone());
        changed = true;
    }
    if !changed {
        return false;
    }
    let label = if rec.part == ALL_PARTS {
        "all parts".to_string()
    } else {
        format!("part {}", rec.part)
    };
    if !m.settle_delivery(now, Some(format!("{label}: {text}"))) {
        m.updated_at = now;
    }
    true
}

impl Store {
    /// Records that the SMSC of `route` accepted `part` of message `id` as `smsc_id`
    /// (call only on `ESME_ROK`).
    pub fn record_smsc_id(
        &self,
        route: &str,
        smsc_id: &str,
        id: MessageId,
        part: u8,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.record_smsc_ids(
            route,
            &[SmscIdRecord {
                id,
                part,
                at,
                smsc_id: smsc_id.to_string(),
            }],
        )
    }

    /// [`Store::record_smsc_id`] for several ids in one write.
    pub fn record_smsc_ids(&self, route: &str, records: &[SmscIdRecord]) -> Result<(), StoreError> {
        let mut batch = super::wal::Batch::default();
        for rec in records {
            batch.insert(id_key(route, &canonical_id(&rec.smsc_id)), encode(rec)?);
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Writes the missing `R` key of every part still waiting for its receipt on one of
    /// `routes` (at start, before the links connect). The outcome that marks a part `sent`
    /// (with its SMSC id) and the link writer's id record are separate writes, so a crash can
    /// keep the first without the second: the receipt then matched nothing, stayed parked,
    /// and the message stayed `sent` for ever (the crash torture found such messages).
    /// Returns how many were written.
    pub fn restore_smsc_ids(&self, routes: &[&str]) -> Result<usize, StoreError> {
        let ids: Vec<MessageId> = self
            .tree
            .scan_prefix(crate::store::keys::status_prefix(
                crate::model::Status::Sent,
            ))
            .keys()
            .filter_map(|k| k.ok().and_then(|k| crate::store::keys::trailing_id(&k)))
            .collect();
        let mut n = 0;
        for id in ids {
            let Some(m) = self.get(id)? else { continue };
            let mut missing: Vec<(String, SmscIdRecord)> = Vec::new();
            for p in &m.parts {
                let (Some(route), Some(smsc_id)) = (&p.route, &p.remote_id) else {
                    continue;
                };
                if p.status != crate::model::PartStatus::Sent || !routes.contains(&route.as_str()) {
                    continue;
                }
                if self.smsc_id_record(route, smsc_id)?.is_some()
                    || missing.iter().any(|(_, r)| r.smsc_id == *smsc_id)
                {
                    continue;
                }
                // One submit for every part (message_payload) gives every part its id.
                let shared = m
                    .parts
                    .iter()
                    .filter(|q| q.remote_id.as_ref() == Some(smsc_id))
                    .count()
                    > 1;
                missing.push((
                    route.clone(),
                    SmscIdRecord {
                        id,
                        part: if shared { ALL_PARTS } else { p.index },
                        at: m.updated_at,
                        smsc_id: smsc_id.clone(),
                    },
                ));
            }
            for (route, rec) in missing {
                self.record_smsc_ids(&route, &[rec])?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The record of an SMSC id of `route`, looked up under its normalised forms.
    pub fn smsc_id_record(
        &self,
        route: &str,
        smsc_id: &str,
    ) -> Result<Option<(Vec<u8>, SmscIdRecord)>, StoreError> {
        let c = canonical_id(smsc_id);
        for form in std::iter::once(c.clone()).chain(alternate_ids(&c)) {
            let k = id_key(route, &form);
            if let Some(v) = self.tree.get(&k)? {
                return Ok(Some((k.clone(), decode(&k, &v)?)));
            }
        }
        Ok(None)
    }

    /// Applies a receipt of `route` to its part(s); see [`Store::apply_smpp_receipts`].
    pub fn apply_smpp_receipt(
        &self,
        route: &str,
        r: &SmscReceipt,
        now: Timestamp,
    ) -> Result<SmppReceiptMatch, StoreError> {
        let mut out = self.apply_smpp_receipts(route, std::slice::from_ref(r), now)?;
        Ok(out.pop().unwrap_or(SmppReceiptMatch::NoMatch))
    }

    /// Applies receipts of `route` to their parts in one write; returns what each matched, in
    /// order. A message moves to `delivered` when every part is, to `undelivered` as soon as
    /// one will not be. A receipt for a part whose send's outcome the dispatcher has not
    /// recorded yet (it comes right behind the submit_sm_resp) is applied to the part all the
    /// same: the SMSC id was recorded on `ESME_ROK`, so the part did go, and the dispatcher
    /// settles the message from its parts when it records the outcome.
    pub fn apply_smpp_receipts(
        &self,
        route: &str,
        receipts: &[SmscReceipt],
        now: Timestamp,
    ) -> Result<Vec<SmppReceiptMatch>, StoreError> {
        let mut out = Vec::with_capacity(receipts.len());
        // Each message once in the write, with the receipts that are for it, in order.
        let mut ids: Vec<MessageId> = Vec::new();
        let mut for_message: Vec<Vec<(usize, SmscIdRecord)>> = Vec::new();
        let mut position: std::collections::HashMap<MessageId, usize> = Default::default();
        for (i, r) in receipts.iter().enumerate() {
            let Some((_, rec)) = self.smsc_id_record(route, &r.smsc_id)? else {
                out.push(SmppReceiptMatch::NoMatch);
                continue;
            };
            out.push(SmppReceiptMatch::Applied { id: rec.id });
            let at = *position.entry(rec.id).or_insert_with(|| {
                ids.push(rec.id);
                for_message.push(Vec::new());
                ids.len() - 1
            });
            for_message[at].push((i, rec));
        }
        if !ids.is_empty() {
            self.update_many(&ids, |at, m| {
                let mut changed = false;
                for (i, rec) in &for_message[at] {
                    changed |= apply_receipt(m, rec, &receipts[*i], now);
                }
                changed
            })?;
        }
        Ok(out)
    }

    /// [`Store::apply_smpp_receipts`] that cannot lose a batch to one bad receipt: one write
    /// for all, and if that fails (an unreadable message, say), one write each, so only the
    /// receipts that cannot be stored come back as errors.
    pub fn apply_smpp_receipts_each(
        &self,
        route: &str,
        receipts: &[SmscReceipt],
        now: Timestamp,
    ) -> Vec<Result<SmppReceiptMatch, StoreError>> {
        match self.apply_smpp_receipts(route, receipts, now) {
            Ok(matched) => matched.into_iter().map(Ok).collect(),
            Err(e) if receipts.len() == 1 => vec![Err(e)],
            Err(_) => receipts
                .iter()
                .map(|r| self.apply_smpp_receipt(route, r, now))
                .collect(),
        }
    }

    /// Parks a receipt of `route` to be matched again later.
    pub fn park_smpp_receipt(&self, route: &str, r: &SmscReceipt) -> Result<(), StoreError> {
        let mut k = route_prefix(PARKED_RECEIPT, route);
        k.extend_from_slice(&r.received_at.as_millis().to_be_bytes());
        k.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        self.tree.insert(k, encode(r)?)?;
        Ok(())
    }

    /// Parked receipts of `route` after the key `after` (the last of an earlier page), oldest
    /// first, at most `limit`; from the oldest when `after` is `None`.
    pub fn parked_smpp_receipts(
        &self,
        route: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, SmscReceipt)>, StoreError> {
        let prefix = route_prefix(PARKED_RECEIPT, route);
        let start = match after {
            Some(k) => [k, &[0][..]].concat(),
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for kv in self
            .tree
            .range(start..keys::prefix_end(&prefix))
            .take(limit)
        {
            let (k, v) = kv?;
            out.push((k.to_vec(), decode(&k, &v)?));
        }
        Ok(out)
    }

    /// The newest parked receipts of `route`, newest first, at most `limit`.
    pub fn newest_parked_smpp_receipts(
        &self,
        route: &str,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, SmscReceipt)>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree
            .scan_prefix(route_prefix(PARKED_RECEIPT, route))
            .rev()
            .take(limit)
        {
            let (k, v) = kv?;
            out.push((k.to_vec(), decode(&k, &v)?));
        }
        Ok(out)
    }

    /// Forgets what `route` keeps for receipts from before `before`: SMSC ids recorded then
    /// (their receipts are long due) and receipts parked then (nothing recorded since can
    /// match them). Returns how many of each it removed.
    pub fn purge_smpp_receipt_state(
        &self,
        route: &str,
        before: Timestamp,
    ) -> Result<(usize, usize), StoreError> {
        let ids = self.remove_in_chunks(
            self.tree
                .scan_prefix(route_prefix(SMSC_ID, route))
                .filter_map(|kv| match kv {
                    // An unreadable record can never match: it goes too.
                    Ok((k, v)) => decode::<SmscIdRecord>(&k, &v)
                        .map_or(true, |r| r.at < before)
                        .then_some(Ok(k)),
                    Err(e) => Some(Err(e.into())),
                }),
        )?;
        // Parked receipts are keyed by when they came: the old ones are one range.
        let prefix = route_prefix(PARKED_RECEIPT, route);
        let mut end = prefix.clone();
        end.extend_from_slice(&before.as_millis().to_be_bytes());
        let parked = self.remove_in_chunks(self.tree.range(prefix..end).map(|kv| Ok(kv?.0)))?;
        Ok((ids, parked))
    }

    /// Forgets a parked receipt once it matched.
    pub fn unpark_smpp_receipt(&self, key: &[u8]) -> Result<(), StoreError> {
        self.tree.remove(key)?;
        Ok(())
    }

    /// How many receipts of `route` are parked.
    pub fn count_parked_smpp_receipts(&self, route: &str) -> u64 {
        self.tree
            .scan_prefix(route_prefix(PARKED_RECEIPT, route))
            .keys()
            .count() as u64
    }

    /// Marks part `part` (or every part for [`ALL_PARTS`]) of `id` as possibly sent twice:
    /// its submit went out and no response came before the link dropped.
    pub fn mark_possible_duplicate(&self, id: MessageId, part: u8) -> Result<(), StoreError> {
        self.update(id, |m| {
            let mut changed = false;
            for p in m
                .parts
                .iter_mut()
                .filter(|p| part == ALL_PARTS || p.index == part)
            {
                changed |= !p.possible_duplicate;
                p.possible_duplicate = true;
            }
            changed
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Msisdn, NumberPlan, OutboundMessage, Part, Status};

    fn store() -> (tempfile::TempDir, std::sync::Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), 1 << 20).unwrap();
        (dir, s)
    }

    fn sent_message(s: &Store, parts: u8) -> MessageId {
        let now = Timestamp::now();
        let m = OutboundMessage {
            id: MessageId::new_at(now.as_millis()),
            to: Msisdn::parse("+358401234567", &NumberPlan::default()).unwrap(),
            to_original: None,
            from: None,
            text: "hi".into(),
            encoding: "gsm7".into(),
            send_at: None,
            expires_at: now.plus(std::time::Duration::from_secs(3600)),
            priority: Default::default(),
            reference: None,
            route: None,
            modem: None,
            callback_url: None,
            callback_events: Vec::new(),
            dlr: None,
            expects_reply: false,
            reply_received: false,
            urgent: false,
            transactional: false,
            status: Status::Sent,
            parts: (1..=parts)
                .map(|i| Part {
                    status: PartStatus::Sent,
                    ..Part::pending(i)
                })
                .collect(),
            history: Vec::new(),
            attempts: Default::default(),
            created_at: now,
            updated_at: now,
        };
        let id = m.id;
        s.insert_outbound(vec![super::super::NewMessage {
            message: m,
            idempotency_key: None,
        }])
        .unwrap();
        id
    }

    fn receipt(id: &str, st: PartStatus) -> SmscReceipt {
        SmscReceipt {
            smsc_id: id.into(),
            part_status: st,
            stat: "DELIVRD".into(),
            err: Some("000".into()),
            done_date: Some("2611221010".into()),
            raw: format!("id:{id} stat:DELIVRD"),
            received_at: Timestamp::now(),
        }
    }

    #[test]
    fn a_sent_part_whose_id_record_a_crash_lost_should_take_its_receipt_after_the_restart() {
        let (_d, s) = store();
        let id = sent_message(&s, 2);
        // The outcome (part sent, with its SMSC id) is on disk; the id records are not.
        s.update(id, |m| {
            for (p, smsc_id) in m.parts.iter_mut().zip(["b1", "b2"]) {
                p.route = Some("op".into());
                p.remote_id = Some(smsc_id.into());
            }
            true
        })
        .unwrap();
        s.record_smsc_id("op", "b2", id, 2, Timestamp::now())
            .unwrap();
        assert_eq!(s.restore_smsc_ids(&["op"]).unwrap(), 1);
        assert_eq!(s.restore_smsc_ids(&["op"]).unwrap(), 0, "once");
        assert_eq!(s.restore_smsc_ids(&["other"]).unwrap(), 0);
        for smsc_id in ["b1", "b2"] {
            let r = receipt(smsc_id, PartStatus::Delivered);
            let got = s.apply_smpp_receipt("op", &r, Timestamp::now()).unwrap();
            assert_eq!(got, SmppReceiptMatch::Applied { id });
        }
        assert_eq!(s.get(id).unwrap().unwrap().status, Status::Delivered);
    }

    #[test]
    fn a_receipt_in_decimal_should_match_an_id_answered_in_hex() {
        let (_d, s) = store();
        let id = sent_message(&s, 1);
        s.record_smsc_id("op", "00000F4240", id, 1, Timestamp::now())
            .unwrap();
        let r = receipt("1000000", PartStatus::Delivered);
        let got = s.apply_smpp_receipt("op", &r, Timestamp::now()).unwrap();
        assert_eq!(got, SmppReceiptMatch::Applied { id });
        let m = s.get(id).unwrap().unwrap();
        assert_eq!(m.status, Status::Delivered);
        assert_eq!(
            m.parts[0].receipt.as_deref(),
            Some("id:1000000 stat:DELIVRD")
        );
        assert_eq!(m.parts[0].remote_id.as_deref(), Some("00000F4240"));
    }

    #[test]
    fn a_message_should_be_delivered_only_when_every_part_is() {
        let (_d, s) = store();
        let id = sent_message(&s, 2);
        s.record_smsc_id("op", "a1", id, 1, Timestamp::now())
            .unwrap();
        s.record_smsc_id("op", "a2", id, 2, Timestamp::now())
            .unwrap();
        s.apply_smpp_receipt(
            "op",
            &receipt("a1", PartStatus::Delivered),
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(s.get(id).unwrap().unwrap().status, Status::Sent);
        s.apply_smpp_receipt(
            "op",
            &receipt("a2", PartStatus::Delivered),
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(s.get(id).unwrap().unwrap().status, Status::Delivered);
    }

    #[test]
    fn an_intermediate_receipt_matched_after_the_final_one_should_not_undo_it() {
        let (_d, s) = store();
        let id = sent_message(&s, 1);
        s.record_smsc_id("op", "b1", id, 1, Timestamp::now())
            .unwrap();
        let done = receipt("b1", PartStatus::Delivered);
        s.apply_smpp_receipt("op", &done, Timestamp::now()).unwrap();
        let mut enroute = receipt("b1", PartStatus::Sent);
        enroute.stat = "ENROUTE".into();
        enroute.raw = "id:b1 stat:ENROUTE".into();
        assert_eq!(
            s.apply_smpp_receipt("op", &enroute, Timestamp::now())
                .unwrap(),
            SmppReceiptMatch::Applied { id }
        );
        let m = s.get(id).unwrap().unwrap();
        assert_eq!(m.status, Status::Delivered);
        assert_eq!(m.parts[0].status, PartStatus::Delivered);
        assert_eq!(m.parts[0].receipt.as_deref(), Some("id:b1 stat:DELIVRD"));
    }

    #[test]
    fn one_unreadable_message_should_fail_only_its_own_receipt_in_a_batch() {
        let (_d, s) = store();
        let good = sent_message(&s, 1);
        let bad = sent_message(&s, 1);
        s.record_smsc_id("op", "c1", good, 1, Timestamp::now())
            .unwrap();
        s.record_smsc_id("op", "c2", bad, 1, Timestamp::now())
            .unwrap();
        s.put_raw(&keys::message(bad), b"\x00\xc1").unwrap();
        let receipts = [
            receipt("c2", PartStatus::Delivered),
            receipt("c1", PartStatus::Delivered),
            receipt("c3", PartStatus::Delivered),
        ];
        let got = s.apply_smpp_receipts_each("op", &receipts, Timestamp::now());
        assert!(matches!(got[0], Err(StoreError::Corrupt { .. })), "{got:?}");
        assert_eq!(
            got[1].as_ref().unwrap(),
            &SmppReceiptMatch::Applied { id: good }
        );
        assert_eq!(got[2].as_ref().unwrap(), &SmppReceiptMatch::NoMatch);
        assert_eq!(s.get(good).unwrap().unwrap().status, Status::Delivered);
    }

    #[test]
    fn ids_and_parked_receipts_past_the_horizon_should_be_forgotten_and_newer_ones_kept() {
        let (_d, s) = store();
        let id = sent_message(&s, 2);
        s.record_smsc_id("op", "old", id, 1, Timestamp(1_000))
            .unwrap();
        s.record_smsc_id("op", "new", id, 2, Timestamp(5_000))
            .unwrap();
        s.record_smsc_id("other", "old", id, 1, Timestamp(1_000))
            .unwrap();
        for (smsc_id, at) in [("x", 1_000), ("y", 2_999), ("z", 3_000)] {
            let mut r = receipt(smsc_id, PartStatus::Delivered);
            r.received_at = Timestamp(at);
            s.park_smpp_receipt("op", &r).unwrap();
        }
        assert_eq!(
            s.purge_smpp_receipt_state("op", Timestamp(3_000)).unwrap(),
            (1, 2)
        );
        assert!(s.smsc_id_record("op", "old").unwrap().is_none());
        assert!(s.smsc_id_record("op", "new").unwrap().is_some());
        assert!(s.smsc_id_record("other", "old").unwrap().is_some());
        let left = s.parked_smpp_receipts("op", None, 10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].1.smsc_id, "z");
    }

    #[test]
    fn an_unknown_receipt_should_be_parked_not_dropped() {
        let (_d, s) = store();
        let r = receipt("77", PartStatus::Delivered);
        assert_eq!(
            s.apply_smpp_receipt("op", &r, Timestamp::now()).unwrap(),
            SmppReceiptMatch::NoMatch
        );
        s.park_smpp_receipt("op", &r).unwrap();
        assert_eq!(s.count_parked_smpp_receipts("op"), 1);
        assert_eq!(s.count_parked_smpp_receipts("other"), 0);
        let parked = s.parked_smpp_receipts("op", None, 10).unwrap();
        assert_eq!(parked[0].1, r);
        s.unpark_smpp_receipt(&parked[0].0).unwrap();
        assert_eq!(s.count_parked_smpp_receipts("op"), 0);
    }

    #[test]
    fn receipts_written_together_should_each_find_their_part_or_be_reported_unmatched() {
        let (_d, s) = store();
        let id = sent_message(&s, 2);
        s.record_smsc_id("op", "c1", id, 1, Timestamp::now())
            .unwrap();
        s.record_smsc_id("op", "c2", id, 2, Timestamp::now())
            .unwrap();
        let got = s
            .apply_smpp_receipts(
                "op",
                &[
                    receipt("c1", PartStatus::Delivered),
                    receipt("nope", PartStatus::Delivered),
                    receipt("c2", PartStatus::Delivered),
                ],
                Timestamp::now(),
            )
            .unwrap();
        assert_eq!(
            got,
            vec![
                SmppReceiptMatch::Applied { id },
                SmppReceiptMatch::NoMatch,
                SmppReceiptMatch::Applied { id }
            ]
        );
        let m = s.get(id).unwrap().unwrap();
        assert_eq!(m.status, Status::Delivered);
        assert!(m.parts.iter().all(|p| p.status == PartStatus::Delivered));
    }

    #[test]
    fn a_receipt_ahead_of_the_recorded_outcome_should_be_applied_to_its_part() {
        let (_d, s) = store();
        let id = sent_message(&s, 1);
        // As the dispatcher leaves it until the route reports: `sending`, part pending.
        s.update(id, |m| {
            m.status = Status::Sending;
            m.parts[0].status = PartStatus::Pending;
            true
        })
        .unwrap();
        s.record_smsc_id("op", "d1", id, 1, Timestamp::now())
            .unwrap();
        let got = s
            .apply_smpp_receipt(
                "op",
                &receipt("d1", PartStatus::Delivered),
                Timestamp::now(),
            )
            .unwrap();
        assert_eq!(got, SmppReceiptMatch::Applied { id });
        let m = s.get(id).unwrap().unwrap();
        // The message waits for its outcome; the part knows already.
        assert_eq!(m.status, Status::Sending);
        assert_eq!(m.parts[0].status, PartStatus::Delivered);
        assert_eq!(m.parts[0].remote_id.as_deref(), Some("d1"));
        assert_eq!(s.count_parked_smpp_receipts("op"), 0);
    }
}
