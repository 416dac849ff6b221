//! Concatenation references (TS 23.040 §9.2.3.24.1): parts of one message share a
//! reference, and the reference must differ from other recent messages to the same
//! recipient, or their phone mixes the parts. The allocator is plain data the caller keeps
//! (and may persist with serde); it has no clock and no I/O.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Recipients remembered by default before the oldest is forgotten.
pub const DEFAULT_MAX_RECIPIENTS: usize = 10_000;

/// A rolling per-recipient reference allocator. A recipient seen for the first time (or
/// forgotten) starts from a global counter, so references stay spread out even then.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConcatReferences {
    next: HashMap<String, u16>,
    order: VecDeque<String>,
    global: u16,
    max_recipients: usize,
}

impl Default for ConcatReferences {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RECIPIENTS)
    }
}

impl ConcatReferences {
    /// An allocator remembering at most `max_recipients` recipients (at least 1).
    pub fn new(max_recipients: usize) -> Self {
        Self {
            next: HashMap::new(),
            order: VecDeque::new(),
            global: 0,
            max_recipients: max_recipients.max(1),
        }
    }

    /// The next reference for `recipient`: 8-bit (0..=255) unless `sixteen_bit`.
    pub fn allocate(&mut self, recipient: &str, sixteen_bit: bool) -> u16 {
        self.global = self.global.wrapping_add(1);
        let value = match self.next.get_mut(recipient) {
            Some(v) => {
                *v = v.wrapping_add(1);
                *v
            }
            None => {
                if self.order.len() >= self.max_recipients {
                    if let Some(old) = self.order.pop_front() {
                        self.next.remove(&old);
                    }
                }
                self.order.push_back(recipient.to_string());
                self.next.insert(recipient.to_string(), self.global);
                self.global
            }
        };
        if sixteen_bit { value } else { value & 0xFF }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_messages_to_one_recipient_should_get_distinct_references() {
        let mut r = ConcatReferences::default();
        let refs: Vec<u16> = (0..256).map(|_| r.allocate("+358401", false)).collect();
        let mut sorted = refs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 256);
        assert!(refs.iter().all(|&v| v <= 0xFF));
    }

    #[test]
    fn forgotten_recipients_should_not_grow_the_state() {
        let mut r = ConcatReferences::new(2);
        for n in 0..10 {
            r.allocate(&n.to_string(), true);
        }
        assert_eq!(r.next.len(), 2);
        let json = serde_json::to_string(&r).unwrap();
        let back: ConcatReferences = serde_json::from_str(&json).unwrap();
        assert_eq!(back.global, r.global);
    }
}
