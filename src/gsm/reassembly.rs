//! Reassembly of concatenated incoming messages (TS 23.040 §9.2.3.24.1): parts are grouped
//! by (sender, reference, total, 8/16-bit reference), duplicates are dropped, order does not
//! matter, and a message still incomplete after the timeout is released with its missing
//! parts marked. Pure and clock-free: the caller passes the time in, and may persist the
//! whole state with serde so that a restart loses no part.

use serde::{Deserialize, Serialize};

use super::tpdu::Deliver;
use super::udh::Concat;
use super::user_data::Body;

/// Stands in for a part that never arrived.
pub const MISSING_PART_MARKER: &str = "[…]";

/// Default number of incomplete messages kept before the oldest is released early.
pub const DEFAULT_MAX_PENDING: usize = 1024;

/// The body of one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// Decoded text (GSM 7-bit or UCS-2).
    Text(String),
    /// 8-bit data (or compressed data, which is not decompressed).
    Binary(Vec<u8>),
}

/// One received part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// Sender as displayed (`+358…` or an alphanumeric name).
    pub sender: String,
    /// Concatenation information; `None` for a message in one part.
    pub concat: Option<ConcatKey>,
    /// The body.
    pub content: Content,
}

/// The concatenation fields of a part (TS 23.040 §9.2.3.24.1/.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcatKey {
    /// Reference shared by the parts.
    pub reference: u16,
    /// Total parts.
    pub total: u8,
    /// This part's number, 1-based.
    pub sequence: u8,
    /// Whether the reference was 16-bit.
    pub sixteen_bit: bool,
}

impl From<Concat> for ConcatKey {
    fn from(c: Concat) -> Self {
        Self {
            reference: c.reference,
            total: c.total,
            sequence: c.sequence,
            sixteen_bit: c.sixteen_bit,
        }
    }
}

impl Fragment {
    /// The fragment an SMS-DELIVER carries.
    pub fn from_deliver(d: &Deliver) -> Self {
        let concat = d
            .user_data
            .header
            .as_ref()
            .and_then(|h| h.concat())
            .filter(|c| c.total > 1)
            .map(ConcatKey::from);
        let content = match &d.user_data.body {
            Body::Text(t) => Content::Text(t.clone()),
            Body::Binary(b) | Body::Compressed(b) => Content::Binary(b.clone()),
        };
        Self {
            sender: d.originator.display(),
            concat,
            content,
        }
    }
}

/// A message handed back to the caller, complete or released at timeout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassembled {
    /// Sender.
    pub sender: String,
    /// Concatenation reference, `None` for a single-part message.
    pub reference: Option<u16>,
    /// Number of parts the message should have.
    pub total: u8,
    /// The joined body; missing text parts appear as [`MISSING_PART_MARKER`].
    pub content: Content,
    /// Numbers of the parts that never arrived (empty when complete).
    pub missing: Vec<u8>,
    /// When the first part arrived (caller's clock, milliseconds).
    pub first_seen_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    sender: String,
    reference: u16,
    total: u8,
    sixteen_bit: bool,
    parts: Vec<(u8, Content)>,
    first_seen_ms: u64,
}

impl Pending {
    fn matches(&self, sender: &str, k: &ConcatKey) -> bool {
        self.reference == k.reference
            && self.total == k.total
            && self.sixteen_bit == k.sixteen_bit
            && self.sender == sender
    }

    fn release(mut self) -> Reassembled {
        self.parts.sort_by_key(|(seq, _)| *seq);
        let missing: Vec<u8> = (1..=self.total)
            .filter(|s| self.parts.binary_search_by_key(s, |(q, _)| *q).is_err())
            .collect();
        let all_binary = self
            .parts
            .iter()
            .all(|(_, c)| matches!(c, Content::Binary(_)));
        let content = if all_binary && !self.parts.is_empty() {
            Content::Binary(
                self.parts
                    .iter()
                    .flat_map(|(_, c)| match c {
                        Content::Binary(b) => b.as_slice(),
                        Content::Text(_) => &[],
                    })
                    .copied()
                    .collect(),
            )
        } else {
            let mut text = String::new();
            let mut it = self.parts.iter().peekable();
            for seq in 1..=self.total {
                match it.peek() {
                    Some((s, c)) if *s == seq => {
                        match c {
                            Content::Text(t) => text.push_str(t),
                            Content::Binary(b) => text.push_str(&String::from_utf8_lossy(b)),
                        }
                        it.next();
                    }
                    _ => text.push_str(MISSING_PART_MARKER),
                }
            }
            Content::Text(text)
        };
        Reassembled {
            sender: self.sender,
            reference: Some(self.reference),
            total: self.total,
            content,
            missing,
            first_seen_ms: self.first_seen_ms,
        }
    }
}

/// Collects parts until each message is complete or timed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassembler {
    pending: Vec<Pending>,
    timeout_ms: u64,
    max_pending: usize,
}

impl Reassembler {
    /// A reassembler releasing incomplete messages `timeout_ms` after their first part.
    pub fn new(timeout_ms: u64) -> Self {
        Self {
            pending: Vec::new(),
            timeout_ms,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }

    /// The same with a bound on incomplete messages kept (at least 1); beyond it the
    /// oldest is released early, so a flood of stray parts cannot grow memory.
    pub fn with_max_pending(timeout_ms: u64, max_pending: usize) -> Self {
        Self {
            max_pending: max_pending.max(1),
            ..Self::new(timeout_ms)
        }
    }

    /// Adds a part received at `now_ms`. Returns the messages this completes (a single-part
    /// message comes straight back) and any released early to respect the bound.
    pub fn push(&mut self, frag: Fragment, now_ms: u64) -> Vec<Reassembled> {
        let Some(key) = frag
            .concat
            .filter(|k| k.total > 1 && (1..=k.total).contains(&k.sequence))
        else {
            return vec![Reassembled {
                sender: frag.sender,
                reference: None,
                total: 1,
                content: frag.content,
                missing: Vec::new(),
                first_seen_ms: now_ms,
            }];
        };
        let mut out = Vec::new();
        let idx = match self
            .pending
            .iter()
            .position(|p| p.matches(&frag.sender, &key))
        {
            Some(i) => i,
            None => {
                if self.pending.len() >= self.max_pending {
                    let oldest = (0..self.pending.len())
                        .min_by_key(|&i| self.pending[i].first_seen_ms)
                        .unwrap_or(0);
                    out.push(self.pending.swap_remove(oldest).release());
                }
                self.pending.push(Pending {
                    sender: frag.sender,
                    reference: key.reference,
                    total: key.total,
                    sixteen_bit: key.sixteen_bit,
                    parts: Vec::with_capacity(usize::from(key.total)),
                    first_seen_ms: now_ms,
                });
                self.pending.len() - 1
            }
        };
        let p = &mut self.pending[idx];
        if !p.parts.iter().any(|(s, _)| *s == key.sequence) {
            p.parts.push((key.sequence, frag.content));
        }
        if p.parts.len() == usize::from(p.total) {
            out.push(self.pending.swap_remove(idx).release());
        }
        out
    }

    /// Releases every message whose first part is at least the timeout old at `now_ms`.
    pub fn expire(&mut self, now_ms: u64) -> Vec<Reassembled> {
        let timeout = self.timeout_ms;
        let (due, keep): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| now_ms.saturating_sub(p.first_seen_ms) >= timeout);
        self.pending = keep;
        due.into_iter().map(Pending::release).collect()
    }

    /// When [`Reassembler::expire`] next has something to release.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.pending
            .iter()
            .map(|p| p.first_seen_ms.saturating_add(self.timeout_ms))
            .min()
    }

    /// Incomplete messages held.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(seq: u8, total: u8, text: &str) -> Fragment {
        Fragment {
            sender: "+358401".into(),
            concat: Some(ConcatKey {
                reference: 9,
                total,
                sequence: seq,
                sixteen_bit: false,
            }),
            content: Content::Text(text.into()),
        }
    }

    #[test]
    fn out_of_order_parts_with_duplicates_should_join_in_order() {
        let mut r = Reassembler::new(60_000);
        assert!(r.push(part(3, 3, "c"), 0).is_empty());
        assert!(r.push(part(1, 3, "a"), 1).is_empty());
        assert!(r.push(part(1, 3, "x"), 2).is_empty());
        let done = r.push(part(2, 3, "b"), 3);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].content, Content::Text("abc".into()));
        assert!(done[0].missing.is_empty());
        assert_eq!(r.pending_len(), 0);
    }

    #[test]
    fn timeout_should_release_incomplete_message_with_marker() {
        let mut r = Reassembler::new(1_000);
        r.push(part(1, 3, "a"), 100);
        assert_eq!(r.next_deadline_ms(), Some(1_100));
        assert!(r.expire(1_099).is_empty());
        let json = serde_json::to_string(&r).unwrap();
        let mut r: Reassembler = serde_json::from_str(&json).unwrap();
        let out = r.expire(1_100);
        assert_eq!(out[0].missing, vec![2, 3]);
        assert_eq!(
            out[0].content,
            Content::Text(format!("a{0}{0}", MISSING_PART_MARKER))
        );
    }

    #[test]
    fn flood_of_strays_should_stay_bounded() {
        let mut r = Reassembler::with_max_pending(1_000, 2);
        for reference in 0..5u16 {
            let mut f = part(1, 2, "x");
            if let Some(c) = f.concat.as_mut() {
                c.reference = reference;
            }
            r.push(f, u64::from(reference));
        }
        assert_eq!(r.pending_len(), 2);
    }
}
