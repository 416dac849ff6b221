//! The newest events in memory, beside the event log.
//!
//! Why: every reader of the log (the activity counter after every write, each webhook target,
//! long polls) read the events it had just been woken for back from the tree, walking the
//! overlay and decoding MessagePack groups it had encoded a moment before: 3.6% of all CPU in
//! the single-submit profile for the activity counter alone. The writer keeps the newest
//! [`RECENT_EVENTS`] here as it applies them, so a reader that keeps up is answered from memory;
//! one further behind (a target that was down, a start) reads the tree as before.
//!
//! Events are immutable once written and only leave the log by pruning, from the oldest, so a
//! window of the newest, filled in write order, answers exactly what the tree would. Pruned
//! events stay in the window until newer ones push them out: readers never ask below the
//! prune floor (`Store::events_after`), so they are never answered.

use std::collections::VecDeque;

use parking_lot::RwLock;

use crate::model::Event;

/// Events kept: a few seconds at full rate, a few MiB.
pub const RECENT_EVENTS: usize = 8192;

/// The newest events written, oldest first, contiguous in write order.
#[derive(Debug)]
pub struct RecentEvents {
    events: RwLock<Window>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Window {
    events: VecDeque<Event>,
    /// The highest sequence number ever pushed, kept or not.
    newest: u64,
}

impl Default for RecentEvents {
    fn default() -> Self {
        Self::with_capacity(RECENT_EVENTS)
    }
}

impl RecentEvents {
    /// A window of at most `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            events: RwLock::new(Window {
                events: VecDeque::with_capacity(capacity.min(1024)),
                newest: 0,
            }),
            capacity,
        }
    }

    /// Adds the events of one applied write (in sequence order), dropping the oldest beyond
    /// the capacity. A sequence number not above every one pushed before means writes were
    /// applied out of order: the window is emptied and starts again after the newest, so
    /// readers go to the tree rather than miss an event.
    pub fn push(&self, events: Vec<Event>) {
        if self.capacity == 0 {
            return;
        }
        let mut w = self.events.write();
        for event in events {
            if event.seq <= w.newest {
                w.events.clear();
                continue;
            }
            w.newest = event.seq;
            if w.events.len() == self.capacity {
                w.events.pop_front();
            }
            w.events.push_back(event);
        }
    }

    /// Events from sequence number `from` on, at most `limit`, if the window holds every
    /// event written from `from` (its oldest is at or below `from`); `None` sends the
    /// reader to the tree.
    pub fn from(&self, from: u64, limit: usize) -> Option<Vec<Event>> {
        let w = self.events.read();
        if w.events.front()?.seq > from {
            return None;
        }
        let start = w.events.partition_point(|e| e.seq < from);
        Some(w.events.range(start..).take(limit).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, MessageId, Timestamp};

    fn event(seq: u64) -> Event {
        Event {
            seq,
            at: Timestamp(seq),
            kind: EventKind::MessageReceived,
            message_id: MessageId::new_at(seq),
            status: None,
            reason: None,
            parts: Vec::new(),
            attempts: 0,
            asks: None,
        }
    }

    fn seqs(events: Option<Vec<Event>>) -> Option<Vec<u64>> {
        events.map(|v| v.iter().map(|e| e.seq).collect())
    }

    #[test]
    fn reads_inside_the_window_should_be_answered_and_reads_before_it_sent_to_the_tree() {
        let recent = RecentEvents::with_capacity(4);
        assert_eq!(seqs(recent.from(1, 10)), None, "empty: the tree answers");
        recent.push((1..=3).map(event).collect());
        recent.push((4..=6).map(event).collect());
        // 1 and 2 fell out: the window starts at 3.
        assert_eq!(seqs(recent.from(2, 10)), None);
        assert_eq!(seqs(recent.from(3, 10)), Some(vec![3, 4, 5, 6]));
        assert_eq!(seqs(recent.from(5, 1)), Some(vec![5]));
        // Past the newest: nothing yet, and that is an answer, not a miss.
        assert_eq!(seqs(recent.from(7, 10)), Some(vec![]));
    }

    #[test]
    fn a_gap_left_by_a_failed_write_should_be_answered_as_the_tree_would() {
        // Sequence 3 was handed out to a write that failed: neither the tree nor the window
        // has it, and a reader after 2 gets 4 next.
        let recent = RecentEvents::with_capacity(8);
        recent.push(vec![event(1), event(2)]);
        recent.push(vec![event(4)]);
        assert_eq!(seqs(recent.from(3, 10)), Some(vec![4]));
    }

    #[test]
    fn an_event_out_of_order_should_empty_the_window_rather_than_hide_one() {
        let recent = RecentEvents::with_capacity(8);
        recent.push(vec![event(5), event(6)]);
        recent.push(vec![event(4)]);
        assert_eq!(seqs(recent.from(4, 10)), None);
        assert_eq!(seqs(recent.from(5, 10)), None);
        // It starts again after the newest ever pushed: 5 and 6 are the tree's to answer.
        recent.push(vec![event(7)]);
        assert_eq!(seqs(recent.from(5, 10)), None);
        assert_eq!(seqs(recent.from(7, 10)), Some(vec![7]));
    }
}
