//! Received parts: deduplication of PDUs read twice, and reassembly of concatenated messages
//! (TS 23.040 §9.2.3.24.1 / §9.2.3.24.8) persisted until complete or timed out.
//!
//! A part is taken off the SIM only after this store has it: the modem driver deletes it
//! after [`Store::receive_part`] returned and a flush made it durable. If the daemon dies in
//! between, the part is read again at the next sweep; its PDU is then found under `H` and
//! reported [`Received::Duplicate`], so the driver deletes it without storing it twice. The
//! seen mark, the assembly record and (when complete) the inbox entry with its event are one
//! atomic batch.

use std::collections::BTreeMap;

use super::events::Writes;
use serde::{Deserialize, Serialize};

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{InboundMessage, MessageId, NumberType, ReceivedAddress, Timestamp};

/// Which concatenated message a part belongs to, and where in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRef {
    /// The concatenation reference.
    pub reference: u16,
    /// Parts in the message.
    pub total: u8,
    /// This part's 1-based number.
    pub seq: u8,
    /// 16-bit reference (IEI 0x08) rather than 8-bit (IEI 0x00): part of the group's key,
    /// because the two reference spaces are distinct.
    pub sixteen_bit: bool,
}

/// One received SMS, decoded.
#[derive(Debug, Clone)]
pub struct InboundPart {
    /// The modem it came through (keys dedup and reassembly: references are per sender and SIM).
    pub modem: String,
    /// The route name shown in the inbox.
    pub route: String,
    /// Originator, as the network gave it.
    pub from: String,
    /// The type of number the network gave with `from` (TP-OA, `source_addr_ton`).
    pub from_type: NumberType,
    /// Our SIM's number or the SMPP destination, when known.
    pub to: Option<String>,
    /// The type of number of `to`.
    pub to_type: NumberType,
    /// TP-SCTS.
    pub sent_at: Option<Timestamp>,
    /// Concatenation, if any.
    pub concat: Option<PartRef>,
    /// This part's text.
    pub text: String,
}

/// What [`Store::receive_part`] did.
// Returned once per received part and never kept in collections, so the size of the
// stored message does not matter; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A whole message is now in the inbox.
    Stored(InboundMessage),
    /// The part is kept; the message waits for `total - have` more.
    Waiting {
        /// Parts held.
        have: usize,
        /// Parts expected.
        total: u8,
    },
    /// This exact PDU was stored before (read again after a crash): nothing written.
    Duplicate,
}

/// Parts of one concatenated message received so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Assembly {
    route: String,
    from: String,
    #[serde(default)]
    from_original: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    to_original: Option<String>,
    #[serde(default)]
    sent_at: Option<Timestamp>,
    first_at: Timestamp,
    total: u8,
    parts: BTreeMap<u8, String>,
}

impl Assembly {
    fn into_message(self, now: Timestamp, incomplete: bool) -> InboundMessage {
        let mut text = String::new();
        for seq in 1..=self.total {
            match self.parts.get(&seq) {
                Some(t) => text.push_str(t),
                None => text.push_str(&format!("[part {seq} of {} missing]", self.total)),
            }
        }
        InboundMessage {
            id: MessageId::new_at(now.as_millis()),
            from: self.from,
            from_original: self.from_original,
            to: self.to,
            to_original: self.to_original,
            text,
            route: self.route,
            sent_at: self.sent_at,
            received_at: now,
            parts: self.total,
            incomplete,
            modem: None,
            in_reply_to: None,
            matched_by: None,
            inbound_rule: None,
            keyword: None,
        }
    }
}

fn assembly_key(modem: &str, from: &str, r: &PartRef) -> Vec<u8> {
    let mut k = keys::modem_prefix(keys::ASSEMBLY, modem);
    k.extend_from_slice(from.as_bytes());
    k.push(0);
    k.extend_from_slice(&r.reference.to_be_bytes());
    k.push(r.total);
    k.push(if r.sixteen_bit { 16 } else { 8 });
    k
}

fn seen_key(modem: &str, pdu: &[u8]) -> Vec<u8> {
    let mut k = keys::modem_prefix(keys::SEEN, modem);
    k.extend_from_slice(pdu);
    k
}

impl Store {
    /// Takes one received part whose raw PDU is `pdu` (not yet durable: call
    /// [`Store::durable`] before deleting it from the SIM).
    pub fn receive_part(
        &self,
        pdu: &[u8],
        part: InboundPart,
        now: Timestamp,
    ) -> Result<Received, StoreError> {
        // Every received address is read as a submission's number is, so that replies,
        // opt-outs and inbound rules compare E.164 with E.164 (issue 13 item 5).
        // Read before the write lock: a national number takes the plan's patterns.
        let plan = &self.conversations.number_plan;
        let from = ReceivedAddress::read(&part.from, part.from_type, plan);
        let to = part
            .to
            .as_deref()
            .map(|t| ReceivedAddress::read(t, part.to_type, plan));
        let (to, to_original) = match to {
            Some(t) => (Some(t.normalised), t.original),
            None => (None, None),
        };
        let _guard = self.write_lock.lock();
        let seen = seen_key(&part.modem, pdu);
        if self.tree.contains_key(&seen)? {
            return Ok(Received::Duplicate);
        }
        let mut batch = Writes::default();
        batch.insert(seen, &now.as_millis().to_be_bytes());
        let result = match part
            .concat
            .filter(|c| c.total > 1 && c.seq >= 1 && c.seq <= c.total)
        {
            None => {
                let mut msg = InboundMessage {
                    id: MessageId::new_at(now.as_millis()),
                    from: from.normalised,
                    from_original: from.original,
                    to,
                    to_original,
                    text: part.text,
                    route: part.route,
                    sent_at: part.sent_at,
                    received_at: now,
                    parts: 1,
                    incomplete: false,
                    modem: None,
                    in_reply_to: None,
                    matched_by: None,
                    inbound_rule: None,
                    keyword: None,
                };
                self.converse(&mut batch, &mut msg, &part.modem, now)?;
                self.push_inbound(&mut batch, &mut msg)?;
                Received::Stored(msg)
            }
            Some(c) => {
                let key = assembly_key(&part.modem, &from.normalised, &c);
                let mut a = match self.tree.get(&key)? {
                    Some(v) => decode::<Assembly>(&key, &v)?,
                    None => Assembly {
                        route: part.route,
                        from: from.normalised,
                        from_original: from.original,
                        to,
                        to_original,
                        sent_at: part.sent_at,
                        first_at: now,
                        total: c.total,
                        parts: BTreeMap::new(),
                    },
                };
                // A part received twice with different PDUs (resent by the SC): keep the first.
                a.parts.entry(c.seq).or_insert(part.text);
                if c.seq == 1 {
                    a.sent_at = part.sent_at.or(a.sent_at);
                }
                if a.parts.len() == usize::from(a.total) {
                    batch.remove(key);
                    let mut msg = a.into_message(now, false);
                    self.converse(&mut batch, &mut msg, &part.modem, now)?;
                    self.push_inbound(&mut batch, &mut msg)?;
                    Received::Stored(msg)
                } else {
                    let have = a.parts.len();
                    batch.insert(key, encode(&a)?);
                    Received::Waiting {
                        have,
                        total: c.total,
                    }
                }
            }
        };
        self.apply(batch)?;
        if let Received::Stored(m) = &result {
            drop(_guard);
            self.inbound_committed([m]);
        }
        Ok(result)
    }

    /// Delivers the partial messages of `modem` whose first part came before `older_than`,
    /// flagged incomplete with the missing parts marked in the text.
    pub fn release_incomplete(
        &self,
        modem: &str,
        older_than: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<InboundMessage>, StoreError> {
        let _guard = self.write_lock.lock();
        let mut batch = Writes::default();
        let mut out = Vec::new();
        for kv in self
            .tree
            .scan_prefix(keys::modem_prefix(keys::ASSEMBLY, modem))
        {
            let (k, v) = kv?;
            let a: Assembly = decode(&k, &v)?;
            if a.first_at < older_than {
                batch.remove(k);
                let mut msg = a.into_message(now, true);
                self.converse(&mut batch, &mut msg, modem, now)?;
                self.push_inbound(&mut batch, &mut msg)?;
                out.push(msg);
            }
        }
        if !out.is_empty() {
            self.apply(batch)?;
            drop(_guard);
            self.inbound_committed(&out);
        }
        Ok(out)
    }

    /// Forgets seen PDUs of `modem` stored before `older_than` (they are long deleted from
    /// the SIM). Returns how many.
    pub fn purge_seen(&self, modem: &str, older_than: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.tree.scan_prefix(keys::modem_prefix(keys::SEEN, modem)) {
            let (k, v) = kv?;
            let at = v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
            if at < older_than.as_millis() {
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

    fn store() -> (tempfile::TempDir, std::sync::Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), 1 << 20).unwrap();
        (dir, s)
    }

    fn part(seq: u8, total: u8, text: &str) -> InboundPart {
        InboundPart {
            modem: "m1".into(),
            route: "sims".into(),
            from: "+358401234567".into(),
            from_type: crate::model::NumberType::Unknown,
            to: None,
            to_type: crate::model::NumberType::Unknown,
            sent_at: None,
            concat: Some(PartRef {
                reference: 7,
                total,
                seq,
                sixteen_bit: false,
            }),
            text: text.into(),
        }
    }

    #[test]
    fn parts_in_any_order_should_make_one_message() {
        let (_d, s) = store();
        let now = Timestamp(1_000);
        assert_eq!(
            s.receive_part(b"p3", part(3, 3, "c"), now).unwrap(),
            Received::Waiting { have: 1, total: 3 }
        );
        s.receive_part(b"p1", part(1, 3, "a"), now).unwrap();
        let Received::Stored(m) = s.receive_part(b"p2", part(2, 3, "b"), now).unwrap() else {
            panic!("not complete")
        };
        assert_eq!(m.text, "abc");
        assert_eq!(m.parts, 3);
        assert_eq!(s.list_inbox(None, 10).unwrap().items.len(), 1);
    }

    #[test]
    fn a_pdu_read_twice_should_be_stored_once() {
        let (_d, s) = store();
        let mut p = part(1, 1, "hello");
        p.concat = None;
        assert!(matches!(
            s.receive_part(b"pdu", p.clone(), Timestamp(5)).unwrap(),
            Received::Stored(_)
        ));
        assert_eq!(
            s.receive_part(b"pdu", p, Timestamp(6)).unwrap(),
            Received::Duplicate
        );
        assert_eq!(s.list_inbox(None, 10).unwrap().items.len(), 1);
        assert_eq!(s.purge_seen("m1", Timestamp(100)).unwrap(), 1);
    }

    #[test]
    fn an_incomplete_message_should_be_released_after_the_timeout_and_flagged() {
        let (_d, s) = store();
        s.receive_part(b"p1", part(1, 3, "a"), Timestamp(1_000))
            .unwrap();
        s.receive_part(b"p3", part(3, 3, "c"), Timestamp(1_000))
            .unwrap();
        assert!(
            s.release_incomplete("m1", Timestamp(1_000), Timestamp(2_000))
                .unwrap()
                .is_empty()
        );
        let out = s
            .release_incomplete("m1", Timestamp(1_001), Timestamp(2_000))
            .unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].incomplete);
        assert_eq!(out[0].text, "a[part 2 of 3 missing]c");
        // The group is gone: a late part 2 starts a new group instead of completing nothing.
        assert!(matches!(
            s.receive_part(b"p2", part(2, 3, "b"), Timestamp(3_000))
                .unwrap(),
            Received::Waiting { have: 1, .. }
        ));
    }

    #[test]
    fn groups_with_different_references_or_widths_should_not_mix() {
        let (_d, s) = store();
        let mut other = part(2, 2, "Y");
        other.concat = Some(PartRef {
            reference: 7,
            total: 2,
            seq: 2,
            sixteen_bit: true,
        });
        s.receive_part(b"a1", part(1, 2, "A"), Timestamp(1))
            .unwrap();
        assert!(matches!(
            s.receive_part(b"b2", other, Timestamp(1)).unwrap(),
            Received::Waiting { .. }
        ));
        assert!(matches!(
            s.receive_part(b"a2", part(2, 2, "B"), Timestamp(1)).unwrap(),
            Received::Stored(m) if m.text == "AB"
        ));
    }
}
