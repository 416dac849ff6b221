//! Writes what one link learns to the store, in batches: the SMSC id of every accepted
//! submit, the conversation record of every message handed to the link, and delivery receipts.
//!
//! These come as fast as submits go out. Written one at a time from the connection and
//! receipt tasks, each write waited for the store's write lock on the runtime's threads (a
//! connection stalled behind the dispatcher's batches stopped reading responses). Here they go
//! into one queue, in the order they happened, and one task takes everything waiting and
//! writes it on a blocking thread: ids and conversation records first, then the receipts (so
//! a receipt right behind its submit_sm_resp finds its id), parking those that match nothing
//! yet, then MO parts in the order they came (so a reply finds the conversation record of the
//! message it answers). After one flush each receipt or MO task answers the SMSC: nothing is
//! acknowledged before it is on disk. Ids and conversation records need no flush of their own (after a crash
//! without them, a receipt is parked and a reply matched less well, nothing is lost).

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::session::Link;
use crate::model::{MessageId, Timestamp};
use crate::store::{Conversation, InboundPart, SmppReceiptMatch, SmscIdRecord, SmscReceipt, Store};

/// Most jobs written in one batch.
const MAX_BATCH: usize = 2048;

/// Something for the store.
#[derive(Debug)]
enum Job {
    SmscId(SmscIdRecord),
    Conversation(String, Conversation),
    Receipt(SmscReceipt, oneshot::Sender<bool>),
    /// An MO part (SMPP has no per-PDU identity: `unique` stands in for one).
    Mo(Box<Mo>),
}

#[derive(Debug)]
struct Mo {
    unique: [u8; 16],
    part: InboundPart,
    at: Timestamp,
    done: oneshot::Sender<bool>,
}

/// The writer's queue, owned by the link. Unbounded: ids and conversation records come at
/// most one per submit the link's window let out, and each receipt task waits for its own.
#[derive(Debug)]
pub struct LinkWriter {
    tx: mpsc::UnboundedSender<Job>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Job>>>,
}

impl Default for LinkWriter {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl LinkWriter {
    /// Queues the SMSC id of an accepted submit; gives it back if the writer has stopped
    /// (the caller then writes it itself).
    pub fn smsc_id(&self, rec: SmscIdRecord) -> Result<(), SmscIdRecord> {
        self.tx.send(Job::SmscId(rec.clone())).map_err(|_| rec)
    }

    /// Queues the conversation record of a message handed to the link (to `number`); gives
    /// it back if the writer has stopped.
    pub fn conversation(&self, number: &str, c: Conversation) -> Result<(), Conversation> {
        self.tx
            .send(Job::Conversation(number.to_string(), c.clone()))
            .map_err(|_| c)
    }

    /// Queues `receipt`; the answer says when it is stored durably (applied to its part, or
    /// parked to be matched later), or that it could not be: the caller then answers with an
    /// error so that the SMSC sends it again.
    pub fn receipt(&self, receipt: SmscReceipt) -> Stored {
        let (done, rx) = oneshot::channel();
        Stored(self.tx.send(Job::Receipt(receipt, done)).ok().map(|_| rx))
    }

    /// Queues an MO part received at `at`; the answer says when it is in the inbox durably.
    /// MO parts are written in the order they were queued, after the conversation records
    /// queued before them (so a reply finds the message it answers): callers queue them in
    /// the order the SMSC sent them, before waiting.
    pub fn mo(&self, part: InboundPart, at: Timestamp) -> Stored {
        let (done, rx) = oneshot::channel();
        // Every deliver_sm is a new part: the SMSC resends only what we did not answer, and
        // we answer after the write is durable.
        let unique = MessageId::new_at(at.as_millis()).to_bytes();
        let job = Mo {
            unique,
            part,
            at,
            done,
        };
        Stored(self.tx.send(Job::Mo(Box::new(job))).ok().map(|_| rx))
    }
}

/// A receipt or MO part queued on a link's writer.
#[must_use = "the SMSC is answered once the job is stored"]
#[derive(Debug)]
pub struct Stored(Option<oneshot::Receiver<bool>>);

impl Stored {
    /// Waits for the write: `true` once the job is stored durably, `false` if it could not be
    /// (or the writer had stopped when it was queued).
    pub async fn wait(self) -> bool {
        match self.0 {
            Some(rx) => rx.await.unwrap_or(false),
            None => false,
        }
    }
}

/// Writes what is queued on `link`'s writer until `cancel`, then what is still queued.
pub async fn run(link: Arc<Link>, store: Arc<Store>, cancel: CancellationToken) {
    let Some(mut rx) = link.writer.rx.lock().take() else {
        warn!(target: "smsgw::smpp", link = %link.name, "the link's store writer is already running");
        return;
    };
    loop {
        let first = tokio::select! {
            job = rx.recv() => job,
            _ = cancel.cancelled() => None,
        };
        let Some(first) = first else {
            break;
        };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        write_batch(&link, &store, jobs).await;
    }
    // What was handed over is written before the link goes away; later callers write
    // themselves (ids, conversations) or get an error for the SMSC (receipts).
    rx.close();
    let mut rest = Vec::new();
    while let Some(job) = rx.recv().await {
        rest.push(job);
    }
    if !rest.is_empty() {
        write_batch(&link, &store, rest).await;
    }
}

async fn write_batch(link: &Arc<Link>, store: &Arc<Store>, jobs: Vec<Job>) {
    let mut ids = Vec::new();
    let mut conversations = Vec::new();
    let mut receipts = Vec::new();
    let mut replies = Vec::new();
    let mut mos = Vec::new();
    let mut mo_replies = Vec::new();
    for job in jobs {
        match job {
            Job::SmscId(rec) => ids.push(rec),
            Job::Conversation(number, c) => conversations.push((number, c)),
            Job::Receipt(r, done) => {
                receipts.push(r);
                replies.push(done);
            }
            Job::Mo(mo) => {
                let Mo {
                    unique,
                    part,
                    at,
                    done,
                } = *mo;
                mos.push((unique, part, at));
                mo_replies.push(done);
            }
        }
    }
    let written = {
        let (link, store) = (link.clone(), store.clone());
        tokio::task::spawn_blocking(move || {
            record_sent(&link, &store, &ids, &conversations);
            let mut stored = store_all(&link, &store, &receipts);
            stored.extend(
                mos.into_iter()
                    .map(|(u, p, at)| store_mo(&link, &store, &u, p, at)),
            );
            stored
        })
        .await
    };
    replies.extend(mo_replies);
    if replies.is_empty() {
        return;
    }
    let stored = match written {
        Ok(stored) => stored,
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "the store write did not finish; the SMSC will resend");
            vec![false; replies.len()]
        }
    };
    let durable = if stored.iter().any(|&s| s) {
        match store.durable().await {
            Ok(()) => true,
            Err(e) => {
                warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot make receipts durable; the SMSC will resend them");
                false
            }
        }
    } else {
        false
    };
    for (reply, stored) in replies.into_iter().zip(stored) {
        let _ = reply.send(stored && durable);
    }
}

/// Puts an MO part in the inbox (reassembled with its siblings); whether it is stored.
fn store_mo(link: &Link, store: &Store, unique: &[u8], part: InboundPart, at: Timestamp) -> bool {
    match store.receive_part(unique, part, at) {
        Ok(_) => {
            Link::count(&link.stats.mo);
            true
        }
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot store an inbound PDU; the SMSC will resend it");
            false
        }
    }
}

/// Writes the ids and conversation records (failures are logged: the receipt is then parked,
/// the reply matched less well).
fn record_sent(
    link: &Link,
    store: &Store,
    ids: &[SmscIdRecord],
    conversations: &[(String, Conversation)],
) {
    if !ids.is_empty()
        && let Err(e) = store.record_smsc_ids(&link.name, ids)
    {
        warn!(target: "smsgw::smpp", link = %link.name, cause = %e, n = ids.len(), "cannot record SMSC ids; their receipts will stay parked");
    }
    if !conversations.is_empty() {
        let entries: Vec<(&str, Conversation)> = conversations
            .iter()
            .map(|(n, c)| (n.as_str(), c.clone()))
            .collect();
        if let Err(e) = store.record_conversations(&entries) {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, n = entries.len(), "cannot record conversations; replies to these messages will not be matched");
        }
    }
}

/// Applies (or parks) every receipt; returns which are stored. One write for all; should it
/// fail (one unreadable message, say), one write each, so that the others still get stored.
fn store_all(link: &Link, store: &Store, receipts: &[SmscReceipt]) -> Vec<bool> {
    let now = Timestamp::now();
    let matched = store.apply_smpp_receipts_each(&link.name, receipts, now);
    receipts
        .iter()
        .zip(matched)
        .map(|(r, m)| {
            let stored = match m {
                Ok(SmppReceiptMatch::Applied { .. }) => {
                    Link::count(&link.stats.receipts);
                    Ok(())
                }
                Ok(SmppReceiptMatch::NoMatch) => {
                    tracing::debug!(target: "smsgw::smpp", link = %link.name, id = %r.smsc_id, "receipt matches no recorded submit yet; parked");
                    let parked = store.park_smpp_receipt(&link.name, r);
                    if parked.is_ok() {
                        Link::count(&link.stats.receipts_parked);
                        Link::count(&link.stats.receipts_parked_now);
                    }
                    parked
                }
                Err(e) => Err(e),
            };
            stored
                .map_err(|e| {
                    warn!(target: "smsgw::smpp", link = %link.name, id = %r.smsc_id, cause = %e, "cannot store a receipt; the SMSC will resend it");
                })
                .is_ok()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::submit::{SubmitRequest, SubmitRules};
    use crate::config::Config;
    use crate::model::{MessageId, PartStatus, Status};
    use crate::store::{Inserted, NewMessage};

    /// A store with one message `sending` over link `op`, and the link.
    pub(crate) fn setup() -> (tempfile::TempDir, Arc<Store>, Arc<Link>, MessageId) {
        let config = Config::from_toml(
            "[messages]\ndefault_country = \"358\"\n[[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
             [[smpp]]\nroute = \"op\"\nhost = \"h\"\nsystem_id = \"a\"\npassword = \"b\"\n",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "+358401234567", "text": "hi"}))
                .unwrap();
        let message = SubmitRules::new(&config.messages)
            .validate(req, Timestamp::now(), |_| true)
            .unwrap();
        let Inserted::New(m) = store
            .insert_outbound(vec![NewMessage {
                message,
                idempotency_key: None,
            }])
            .unwrap()
            .remove(0)
        else {
            panic!("a new message");
        };
        // As the dispatcher leaves it while the route works on it.
        store
            .update(m.id, |m| {
                m.set_status(Status::Sending, Timestamp::now(), None);
                true
            })
            .unwrap();
        let link = Link::new("op", config.smpp[0].clone());
        (dir, store, link, m.id)
    }

    /// A `DELIVRD` receipt for `smsc_id`, received now.
    pub(crate) fn receipt(smsc_id: &str) -> SmscReceipt {
        SmscReceipt {
            smsc_id: smsc_id.into(),
            part_status: PartStatus::Delivered,
            stat: "DELIVRD".into(),
            err: None,
            done_date: None,
            raw: format!("id:{smsc_id} stat:DELIVRD"),
            received_at: Timestamp::now(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receipt_queued_right_behind_its_id_should_find_it_and_one_matching_nothing_be_parked()
     {
        let (_dir, store, link, id) = setup();
        let cancel = CancellationToken::new();
        tokio::spawn(store.group_commit().run(cancel.clone()));
        let task = tokio::spawn(run(link.clone(), store.clone(), cancel.clone()));
        link.writer
            .smsc_id(SmscIdRecord {
                id,
                part: 1,
                at: Timestamp::now(),
                smsc_id: "7f".into(),
            })
            .unwrap();
        let (known, unknown) = tokio::join!(
            link.writer.receipt(receipt("7F")).wait(),
            link.writer.receipt(receipt("nothing")).wait()
        );
        assert!(known && unknown, "both stored");
        let m = store.get(id).unwrap().unwrap();
        assert_eq!(m.parts[0].status, PartStatus::Delivered);
        assert_eq!(m.parts[0].receipt.as_deref(), Some("id:7F stat:DELIVRD"));
        assert_eq!(store.count_parked_smpp_receipts("op"), 1);
        assert_eq!(
            link.stats
                .receipts_parked_now
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        assert_eq!(
            link.stats
                .receipts_parked
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );

        // A reply handed over after a conversation record is written after it.
        let m = store.get(id).unwrap().unwrap();
        link.writer
            .conversation(
                m.to.as_str(),
                Conversation::handed_to(&m, "op", Timestamp::now()),
            )
            .unwrap();
        let reply = InboundPart {
            modem: "op".into(),
            route: "op".into(),
            from: m.to.as_str().into(),
            from_type: crate::model::NumberType::Unknown,
            to: None,
            to_type: crate::model::NumberType::Unknown,
            sent_at: None,
            concat: None,
            text: "Yes".into(),
        };
        assert!(link.writer.mo(reply, Timestamp::now()).wait().await);
        let open = store
            .conversations_with(m.to.as_str(), Timestamp::now())
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, id);
        assert_eq!(link.stats.mo.load(std::sync::atomic::Ordering::Relaxed), 1);

        // After the writer stopped, callers are told so (and write themselves).
        cancel.cancel();
        task.await.unwrap();
        assert!(!link.writer.receipt(receipt("7f")).wait().await);
        assert!(
            link.writer
                .smsc_id(SmscIdRecord {
                    id,
                    part: 1,
                    at: Timestamp::now(),
                    smsc_id: "80".into(),
                })
                .is_err()
        );
    }
}
