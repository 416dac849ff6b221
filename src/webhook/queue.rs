//! One target's deliveries in memory, in the order they may go: per message, only its oldest
//! delivery, and only while none of its deliveries is in flight; across messages, by when
//! each is due.
//!
//! Why a structure of its own: the worker used to walk every pending delivery at each wake-up
//! to find the ones that may start, and it wakes for every event and every finished request.
//! With thousands waiting (a burst of receipts, a slow target) that walk was a fifth of the
//! gateway's CPU in the profile of the side-by-side benchmark. Here starting, finishing and
//! retrying cost a logarithm of the backlog.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::model::{MessageId, Timestamp};
use crate::store::webhook::Delivery;

/// The queue; see the module's documentation.
#[derive(Debug, Default)]
pub struct Queue {
    /// Every delivery held, by event sequence number.
    by_seq: BTreeMap<u64, Delivery>,
    /// Each message's deliveries, oldest first.
    by_message: HashMap<MessageId, BTreeSet<u64>>,
    /// Messages with a delivery in flight.
    busy: HashSet<MessageId>,
    /// The oldest delivery of each message not in flight, by when it is due.
    ready: BTreeSet<(Timestamp, u64)>,
}

impl Queue {
    /// Deliveries held (in flight included).
    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Adds `d` unless a delivery of its sequence number is held already.
    pub fn insert(&mut self, d: Delivery) {
        if self.by_seq.contains_key(&d.seq) {
            return;
        }
        let message = d.message_id;
        self.unready(message);
        self.by_message.entry(message).or_default().insert(d.seq);
        self.by_seq.insert(d.seq, d);
        self.make_ready(message);
    }

    /// Takes the deliveries due at `now` that may go, at most `room`, and marks their
    /// messages in flight. Also returns when the first one not yet due is due (`None` when
    /// none waits for a time; a finishing delivery is the other reason to look again).
    pub fn start_due(&mut self, now: Timestamp, room: usize) -> (Vec<Delivery>, Option<Timestamp>) {
        let mut out = Vec::new();
        while let Some(&(at, seq)) = self.ready.first() {
            if at > now {
                return (out, Some(at));
            }
            if out.len() >= room {
                break;
            }
            self.ready.pop_first();
            if let Some(d) = self.by_seq.get(&seq) {
                self.busy.insert(d.message_id);
                out.push(d.clone());
            }
        }
        (out, None)
    }

    /// The delivery `seq` is done (delivered or given up): it goes, and its message's next
    /// one may start. Returns what it was.
    pub fn finish(&mut self, seq: u64) -> Option<Delivery> {
        let d = self.by_seq.remove(&seq)?;
        // Ready when it was retried and then given up at once.
        self.ready.remove(&(d.next_at, seq));
        let message = d.message_id;
        if let Some(seqs) = self.by_message.get_mut(&message) {
            seqs.remove(&seq);
            if seqs.is_empty() {
                self.by_message.remove(&message);
            }
        }
        self.busy.remove(&message);
        self.make_ready(message);
        Some(d)
    }

    /// The delivery `seq` failed and stays: `change` records the attempt (and when it may go
    /// again), then its message is no longer in flight. Returns the delivery as changed.
    pub fn retry(&mut self, seq: u64, change: impl FnOnce(&mut Delivery)) -> Option<&Delivery> {
        let d = self.by_seq.get_mut(&seq)?;
        change(d);
        let message = d.message_id;
        self.busy.remove(&message);
        self.make_ready(message);
        self.by_seq.get(&seq)
    }

    /// A message's request ended without an answer to record (its task stopped): it is no
    /// longer in flight, and its oldest delivery is due again as it was.
    pub fn release(&mut self, message: MessageId) {
        if self.busy.remove(&message) {
            self.make_ready(message);
        }
    }

    /// Puts the oldest delivery of `message` among the ready ones, unless it is in flight.
    fn make_ready(&mut self, message: MessageId) {
        if self.busy.contains(&message) {
            return;
        }
        if let Some(d) = self.head(message) {
            self.ready.insert((d.next_at, d.seq));
        }
    }

    /// Takes the oldest delivery of `message` out of the ready ones (before the head changes).
    fn unready(&mut self, message: MessageId) {
        if self.busy.contains(&message) {
            return;
        }
        if let Some(key) = self.head(message).map(|d| (d.next_at, d.seq)) {
            self.ready.remove(&key);
        }
    }

    fn head(&self, message: MessageId) -> Option<&Delivery> {
        let seq = self.by_message.get(&message)?.first()?;
        self.by_seq.get(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;

    fn id(n: u8) -> MessageId {
        let mut b = [0u8; 16];
        b[15] = n;
        MessageId::from_slice(&b).unwrap()
    }

    fn delivery(seq: u64, message: u8, next_at: u64) -> Delivery {
        Delivery {
            seq,
            kind: EventKind::MessageStatus,
            message_id: id(message),
            url: None,
            payload: serde_json::Value::Null,
            attempts: 0,
            first_attempt_at: None,
            next_at: Timestamp(next_at),
            last_error: None,
        }
    }

    fn seqs(v: &[Delivery]) -> Vec<u64> {
        v.iter().map(|d| d.seq).collect()
    }

    #[test]
    fn only_the_oldest_delivery_of_a_message_should_go_and_only_one_at_a_time() {
        let mut q = Queue::default();
        for (seq, m) in [(1, 1), (2, 2), (3, 1), (4, 3), (5, 1)] {
            q.insert(delivery(seq, m, 0));
        }
        let (started, wake) = q.start_due(Timestamp(10), 100);
        assert_eq!(seqs(&started), vec![1, 2, 4]);
        assert_eq!(wake, None);
        // Nothing more may go while those are in flight.
        assert!(q.start_due(Timestamp(10), 100).0.is_empty());
        q.finish(1);
        assert_eq!(seqs(&q.start_due(Timestamp(10), 100).0), vec![3]);
        q.finish(3);
        q.finish(2);
        assert_eq!(seqs(&q.start_due(Timestamp(10), 100).0), vec![5]);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn a_failed_delivery_should_wait_for_its_retry_and_hold_its_message_back() {
        let mut q = Queue::default();
        q.insert(delivery(1, 1, 0));
        q.insert(delivery(2, 1, 0));
        q.insert(delivery(3, 2, 50));
        let (started, wake) = q.start_due(Timestamp(10), 100);
        assert_eq!((seqs(&started), wake), (vec![1], Some(Timestamp(50))));
        let d = q.retry(1, |d| {
            d.attempts += 1;
            d.next_at = Timestamp(100);
        });
        assert_eq!(d.map(|d| d.attempts), Some(1));
        let (started, wake) = q.start_due(Timestamp(60), 100);
        assert_eq!((seqs(&started), wake), (vec![3], Some(Timestamp(100))));
        let (started, _) = q.start_due(Timestamp(100), 100);
        assert_eq!(seqs(&started), vec![1]);
    }

    #[test]
    fn start_due_should_take_no_more_than_the_room_and_keep_the_rest_ready() {
        let mut q = Queue::default();
        for seq in 0..10 {
            q.insert(delivery(seq, seq as u8, seq));
        }
        assert_eq!(seqs(&q.start_due(Timestamp(100), 3).0), vec![0, 1, 2]);
        assert_eq!(seqs(&q.start_due(Timestamp(100), 3).0), vec![3, 4, 5]);
        q.release(id(0));
        assert_eq!(seqs(&q.start_due(Timestamp(100), 2).0), vec![0, 6]);
    }

    #[test]
    fn an_older_delivery_added_later_should_go_first_for_its_message() {
        // A revived dead letter is older than what its message has queued since.
        let mut q = Queue::default();
        q.insert(delivery(9, 1, 0));
        q.insert(delivery(4, 1, 0));
        q.insert(delivery(4, 1, 0));
        assert_eq!(q.len(), 2);
        assert_eq!(seqs(&q.start_due(Timestamp(0), 10).0), vec![4]);
        q.finish(4);
        assert_eq!(seqs(&q.start_due(Timestamp(0), 10).0), vec![9]);
        q.finish(9);
        assert!(q.is_empty());
        assert!(q.start_due(Timestamp(0), 10).0.is_empty());
    }
}
