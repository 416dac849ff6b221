//! Key layout of the store. Everything lives in one sled tree so that a message, its index
//! entries and its event are written by one atomic batch; the first byte says what a key is.
//! Numbers are big-endian so that byte order is numeric (and time) order.

use crate::model::{MessageId, Priority, Status, Timestamp};

/// `M | id` → outbound message (JSON).
pub const MESSAGE: u8 = b'M';
/// `D | priority rank | due ms | id` → (): messages waiting to be dispatched, in dispatch order.
pub const DUE: u8 = b'D';
/// `S | status | id` → (): messages by status.
pub const STATUS: u8 = b'S';
/// `T | recipient | 0 | id` → (): messages by recipient.
pub const RECIPIENT: u8 = b'T';
/// `I | id` → inbound message (JSON).
pub const INBOX: u8 = b'I';
/// `E | sequence` → the events of one write from that sequence number on, as a list (older
/// stores: one event), the outbox that webhooks and long polls read (`store::events`).
pub const EVENT: u8 = b'E';
/// `K | idempotency key` → id (16) + created ms (8).
pub const IDEMPOTENCY: u8 = b'K';
/// `U | route | 0 | UTC day` → count (u64): per-route daily usage, for `daily_limit`.
pub const USAGE: u8 = b'U';
/// `W | tag | target …` → webhook cursors, pending deliveries and dead letters
/// (layout in `store::webhook`).
pub const WEBHOOK: u8 = b'W';
/// `X | name` → metadata such as the schema version.
pub const META: u8 = b'X';
/// `A | modem | 0 | sender | 0 | reference (u16) | total | bits` → parts of a concatenated
/// message received so far (JSON), until the last one arrives or the timeout releases them.
pub const ASSEMBLY: u8 = b'A';
/// `H | modem | 0 | PDU octets` → when it was stored (u64 ms): PDUs already taken from a SIM,
/// so one read again after a crash between store and delete is not stored twice.
pub const SEEN: u8 = b'H';
/// `P | modem | 0 | TP-MR | sent ms | id | part` → a part sent through a modem (JSON), for
/// correlating status reports by (modem, TP-MR, recipient, time window).
pub const SENT_PART: u8 = b'P';
/// `R | route | 0 | canonical SMSC message id` → (message, part) (JSON), for SMPP receipts
/// (layout in `store::smpp_ids`).
pub const SMSC_ID: u8 = b'R';
/// `Q | route | 0 | received ms | n` → a parked SMPP receipt (JSON) that matched nothing yet.
pub const PARKED_RECEIPT: u8 = b'Q';
/// `V | modem | 0 | sent ms | id | part` → a part written to a modem whose `+CMGS:` never
/// came (no TP-MR known), kept under the `wait_for_report` policy until a status report for
/// its recipient arrives or its validity ends.
pub const UNCONFIRMED_PART: u8 = b'V';
/// `C | number | 0 | id` → a message sent to `number` (JSON: sender, time, reference, whether
/// a reply is awaited), for reply matching and sticky senders (layout in
/// `store::conversations`).
pub const CONVERSATION: u8 = b'C';

/// `O | scope | 0 | number` → a suppression-list entry (JSON): `number` opted out of
/// messages from `scope` (`global` or a sender). Issue 7 item 3.
pub const SUPPRESSION: u8 = b'O';
/// `F | recipient | 0 | UTC day` → u64: non-transactional messages accepted for that
/// recipient, due that day, for frequency caps. Days older than a week are purged.
pub const FREQUENCY: u8 = b'F';
/// `N | client reference | 0 | id` → (): messages by client `reference`, for listing and
/// canceling by reference without a scan.
pub const REFERENCE: u8 = b'N';

/// `J | sender | 0 | id` → (): received messages by sender, for a customer's thread in the
/// console (`store::threads`).
pub const SENDER: u8 = b'J';
/// `G | number` → the console's marks on a customer's thread (JSON `ThreadMarks`).
pub const THREAD_MARKS: u8 = b'G';

/// `L | entry id` → an audit entry (JSON): one write made through the API (`store::audit`).
pub const AUDIT: u8 = b'L';

/// The meta key holding the schema version.
pub const SCHEMA_VERSION_KEY: &[u8] = b"Xschema_version";

/// The meta key holding the newest event sequence number handed out (u64), written in every
/// batch that appends events (`store::events`).
pub const EVENT_SEQ_KEY: &[u8] = b"Xevent_seq";

/// The meta key holding the number of messages in each status (`store::status_counts`).
pub const STATUS_COUNTS_KEY: &[u8] = b"Xstatus_counts";

/// `M | id`.
pub fn message(id: MessageId) -> [u8; 17] {
    prefixed(MESSAGE, id)
}

/// `I | id`.
pub fn inbound(id: MessageId) -> [u8; 17] {
    prefixed(INBOX, id)
}

fn prefixed(tag: u8, id: MessageId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = tag;
    k[1..].copy_from_slice(&id.to_bytes());
    k
}

/// `D | rank | due | id`.
pub fn due(priority: Priority, due: Timestamp, id: MessageId) -> [u8; 26] {
    let mut k = [0u8; 26];
    k[0] = DUE;
    k[1] = priority.rank();
    k[2..10].copy_from_slice(&due.as_millis().to_be_bytes());
    k[10..].copy_from_slice(&id.to_bytes());
    k
}

/// The prefix of all due keys of one priority.
pub fn due_prefix(priority: Priority) -> [u8; 2] {
    [DUE, priority.rank()]
}

/// Splits a due key into its due time and id.
pub fn parse_due(key: &[u8]) -> Option<(Timestamp, MessageId)> {
    if key.len() != 26 || key[0] != DUE {
        return None;
    }
    let due = u64::from_be_bytes(key[2..10].try_into().ok()?);
    Some((Timestamp(due), MessageId::from_slice(&key[10..])?))
}

/// `S | status | id`.
pub fn status(status: Status, id: MessageId) -> [u8; 18] {
    let mut k = [0u8; 18];
    k[0] = STATUS;
    k[1] = status.code();
    k[2..].copy_from_slice(&id.to_bytes());
    k
}

/// The prefix of all status keys of one status.
pub fn status_prefix(status: Status) -> [u8; 2] {
    [STATUS, status.code()]
}

/// `T | recipient | 0 | id`.
pub fn recipient(to: &str, id: MessageId) -> Vec<u8> {
    let mut k = recipient_prefix(to);
    k.extend_from_slice(&id.to_bytes());
    k
}

/// The prefix of all recipient keys of one number.
pub fn recipient_prefix(to: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(to.len() + 18);
    k.push(RECIPIENT);
    k.extend_from_slice(to.as_bytes());
    k.push(0);
    k
}

/// `J | sender | 0 | id`.
pub fn sender(from: &str, id: MessageId) -> Vec<u8> {
    let mut k = text_prefix(SENDER, from);
    k.extend_from_slice(&id.to_bytes());
    k
}

/// `G | number`.
pub fn thread_marks(number: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(number.len() + 1);
    k.push(THREAD_MARKS);
    k.extend_from_slice(number.as_bytes());
    k
}

/// `E | seq`.
pub fn event(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = EVENT;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// `K | key`.
pub fn idempotency(key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(IDEMPOTENCY);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `U | route | 0 | day`.
pub fn usage(route: &str, day: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(route.len() + 6);
    k.push(USAGE);
    k.extend_from_slice(route.as_bytes());
    k.push(0);
    k.extend_from_slice(&day.to_be_bytes());
    k
}

/// `tag | text | 0`: the prefix of keys whose first field is a NUL-free text (`O`, `F`, `N`).
pub fn text_prefix(tag: u8, text: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(text.len() + 26);
    k.push(tag);
    k.extend_from_slice(text.as_bytes());
    k.push(0);
    k
}

/// `O | scope | 0 | number`. A write that puts one notes it first in the store's
/// `suppressed_keys`, which the consent check trusts to say which keys cannot be there.
pub fn suppression(scope: &str, number: &str) -> Vec<u8> {
    let mut k = text_prefix(SUPPRESSION, scope);
    k.extend_from_slice(number.as_bytes());
    k
}

/// `F | recipient | 0 | day`.
pub fn frequency(recipient: &str, day: u32) -> Vec<u8> {
    let mut k = text_prefix(FREQUENCY, recipient);
    k.extend_from_slice(&day.to_be_bytes());
    k
}

/// `N | reference | 0 | id`.
pub fn reference(reference: &str, id: MessageId) -> Vec<u8> {
    let mut k = text_prefix(REFERENCE, reference);
    k.extend_from_slice(&id.to_bytes());
    k
}

/// `tag | name | 0`: the prefix of a modem's keys in the `A`, `H` and `P` families.
pub fn modem_prefix(tag: u8, modem: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(modem.len() + 2);
    k.push(tag);
    k.extend_from_slice(modem.as_bytes());
    k.push(0);
    k
}

/// The id at the end of an index key (status, recipient).
pub fn trailing_id(key: &[u8]) -> Option<MessageId> {
    let start = key.len().checked_sub(16)?;
    MessageId::from_slice(&key[start..])
}

/// The smallest key greater than every key starting with `prefix`, or `None` when there is
/// none (a prefix of 0xff bytes only: the range then has no upper end).
pub fn prefix_upper(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The smallest key greater than every key starting with `prefix`, for range ends (the
/// store's prefixes are letters, so [`prefix_upper`] always has one; the fallback is for
/// completeness).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    prefix_upper(prefix).unwrap_or_else(|| vec![u8::MAX; prefix.len() + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tree_prefix_should_be_distinct() {
        let all = [
            MESSAGE,
            DUE,
            STATUS,
            RECIPIENT,
            INBOX,
            EVENT,
            IDEMPOTENCY,
            USAGE,
            WEBHOOK,
            META,
            ASSEMBLY,
            SEEN,
            SENT_PART,
            SMSC_ID,
            PARKED_RECEIPT,
            UNCONFIRMED_PART,
            CONVERSATION,
            SUPPRESSION,
            FREQUENCY,
            REFERENCE,
            SENDER,
            THREAD_MARKS,
            AUDIT,
        ];
        let distinct: std::collections::BTreeSet<u8> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len(), "two trees share a key prefix");
    }

    #[test]
    fn due_keys_should_order_by_priority_then_time_then_id() {
        let a = MessageId::new_at(5);
        let b = MessageId::new_at(6);
        let high_late = due(Priority::High, Timestamp(900), a);
        let normal_early = due(Priority::Normal, Timestamp(100), b);
        assert!(high_late < normal_early);
        assert!(due(Priority::Normal, Timestamp(100), a) < normal_early);
        assert_eq!(parse_due(&normal_early), Some((Timestamp(100), b)));
    }

    #[test]
    fn prefix_end_should_bound_every_key_with_the_prefix() {
        assert_eq!(prefix_end(b"Sa"), b"Sb".to_vec());
        assert_eq!(prefix_end(&[b'S', 0xff]), vec![b'T']);
    }
}
