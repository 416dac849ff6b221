//! The store's one writer: a thread of its own that applies what the rest of the daemon
//! tells it happened — a hand-over, a send's outcome, the references a route got for it, a
//! receipt, a received part — in batches, in the order it was told.
//!
//! Before it, five places wrote a message each on its own (the dispatcher's outcome writer,
//! the modem pool, the modem driver with blocking writes on the runtime, each SMPP link's
//! writer, the SMPP session's fallback): each took the write lock on its own thread, and a
//! receipt could be applied before the SMSC id it answers only because two writers agreed on
//! an order. Here one queue gives that order: everything a caller queued before a change is
//! applied before it, so an SMSC id or a TP-MR queued when the submit was answered is in the
//! store before any receipt or status report queued after it, a conversation record before
//! the reply to it, the modem that sent a part before the outcome of the send.
//!
//! Callers never block: they queue a change and, where a contract needs the answer (the
//! dispatcher's hand-over, a receipt or part the SMSC or SIM is answered about), await it,
//! then [`Store::durable`] where the contract says on disk. Everything waiting when the
//! thread wakes is applied together, each kind in as few store batches as it allows.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, warn};

use super::webhook::Delivery;
use super::{
    CancelByReference, InboundPart, Inserted, NewMessage, PurgeStep, Received, ReportInput,
    ReportMatch, SmppReceiptMatch, SmscIdRecord, SmscReceipt, Store, StoreError,
};
use crate::model::{
    AuditEntry, InboundMessage, MessageId, OutboundMessage, PartStatus, SendEnded, Status,
    Suppression, ThreadMarks, Timestamp,
};

/// Most changes applied in one wake-up: enough that one write carries a whole window of
/// receipts, few enough that a caller waiting behind it is not held for long.
const MAX_BATCH: usize = 4096;

/// How a send's outcome changes its message: the dispatcher's retry rules, handed with the
/// outcomes so that the store applies them without knowing them.
pub trait OutcomePolicy: Send + Sync + std::fmt::Debug {
    /// Applies `ended` to `m` as stored now; whether `m` changed.
    fn settle(&self, m: &mut OutboundMessage, ended: &SendEnded, now: Timestamp) -> bool;
}

/// A message the dispatcher hands to a route.
#[derive(Debug, Clone)]
pub struct Handing {
    /// The message.
    pub id: MessageId,
    /// The route's name.
    pub route: String,
}

/// Where the dispatcher puts a message it will not send now.
#[derive(Debug, Clone)]
pub enum Setback {
    /// Its validity ended before it could be sent.
    Expire,
    /// Back to `scheduled` until then (quiet hours), for this reason.
    Defer(Timestamp, String),
    /// It cannot be sent, for this reason.
    Fail(String),
}

/// What became of a receipt from an SMSC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptStored {
    /// Applied to the message it answers.
    Applied(MessageId),
    /// It matches no recorded submit yet: parked, to be matched when the id comes.
    Parked,
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One change, with where its answer goes if the caller waits for one.
#[derive(Debug)]
enum Change {
    HandOver {
        picks: Vec<Handing>,
        now: Timestamp,
        done: Reply<Vec<Option<OutboundMessage>>>,
    },
    Usage {
        route: String,
        day: u32,
        parts: u64,
    },
    Setback {
        id: MessageId,
        to: Setback,
        now: Timestamp,
        done: Reply<()>,
    },
    Settle {
        ended: Vec<SendEnded>,
        now: Timestamp,
        policy: Arc<dyn OutcomePolicy>,
        done: Option<oneshot::Sender<Vec<(MessageId, StoreError)>>>,
    },
    SentBy {
        id: MessageId,
        senders: Vec<(u8, String)>,
        resent: Vec<(u8, String, String)>,
        now: Timestamp,
    },
    PossibleDuplicate {
        id: MessageId,
        part: u8,
    },
    SmscId {
        route: String,
        record: SmscIdRecord,
    },
    ModemSent {
        modem: String,
        mr: u8,
        to: String,
        id: MessageId,
        part: u8,
        at: Timestamp,
    },
    ModemUnconfirmed {
        modem: String,
        to: String,
        id: MessageId,
        part: u8,
        at: Timestamp,
        done: Reply<()>,
    },
    StatusReport {
        modem: String,
        report: ReportInput,
        window: Duration,
        now: Timestamp,
        done: Reply<ReportMatch>,
    },
    Receipt {
        route: String,
        receipt: SmscReceipt,
        now: Timestamp,
        done: Reply<ReceiptStored>,
    },
    Inbound {
        pdu: Vec<u8>,
        part: InboundPart,
        at: Timestamp,
        done: Reply<Received>,
    },
    /// New outbound messages (a request's): the submissions of one wake-up are joined into
    /// one write ([`apply_intake`]).
    Intake {
        items: Vec<NewMessage>,
        done: Reply<Vec<Inserted>>,
    },
    /// An entry of the audit trail: those of one wake-up are one write, applied with the
    /// [`Change::Apart`] writes.
    Audit {
        entry: AuditEntry,
        done: Reply<AuditEntry>,
    },
    /// One of the store's other writes (consent, cancels, housekeeping), applied where it
    /// stands in the queue; the typed methods of [`Writer`] make these.
    Other(Job),
    /// A write of state no other kind of change touches (webhook queues):
    /// applied after the wake-up's other changes, in queue order among its kind, so that
    /// the bookkeeping of every delivered callback does not cut the batches of receipts
    /// and outcomes into pieces.
    Apart(Job),
}

/// A write of the store's own, with its answer's sender inside.
struct Job(Box<dyn FnOnce(&Store) + Send>);

impl Job {
    fn answering<T: Send + 'static>(
        done: Reply<T>,
        write: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Self {
        Job(Box::new(move |store| {
            let _ = done.send(write(store));
        }))
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// The writer's queue. Every module outside the store changes it through this handle.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Change>,
}

/// The writer's queue, before its thread runs.
#[derive(Debug)]
pub(super) struct Queue(mpsc::UnboundedReceiver<Change>);

/// A writer and the queue its thread will read.
pub(super) fn channel() -> (Writer, Queue) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Writer { tx }, Queue(rx))
}

/// Starts the writer of `store` on its own thread; it stops when the store is dropped.
pub(super) fn start(store: Weak<Store>, queue: Queue) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("smsgw-store-writer".into())
        .spawn(move || run(store, queue.0))?;
    Ok(())
}

fn run(store: Weak<Store>, mut rx: mpsc::UnboundedReceiver<Change>) {
    while let Some(first) = rx.blocking_recv() {
        let mut changes = vec![first];
        while changes.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(c) => changes.push(c),
                Err(_) => break,
            }
        }
        let Some(store) = store.upgrade() else {
            return;
        };
        // A bug in one change must not stop every write for good: its batch's callers get
        // `Closed` (their answers are dropped) and the next batch is applied.
        if std::panic::catch_unwind(AssertUnwindSafe(|| apply(&store, changes))).is_err() {
            error!(target: "smsgw::store", "a store write panicked; its callers were told it failed");
        }
    }
}

/// Applies one wake-up's changes. Each kind is applied together, in an order that keeps
/// what callers rely on: hand-overs and the references of sends, then outcomes (which keep
/// those references), then receipts and status reports (which find them), then received
/// parts (which find the conversation records). Within a kind, queue order. A job (any
/// other write) first applies everything queued before it, so it sees those changes.
fn apply(store: &Store, changes: Vec<Change>) {
    let mut phased = Phased::default();
    for c in changes {
        match c {
            Change::HandOver { picks, now, done } => {
                let _ = done.send(hand_over(store, &picks, now));
            }
            Change::Usage { route, day, parts } => {
                if let Err(e) = store.add_usage(&route, day, parts) {
                    warn!(target: "smsgw::store", %route, cause = %e, "cannot count a route's daily usage");
                }
            }
            Change::Setback { id, to, now, done } => {
                let _ = done.send(setback(store, id, to, now));
            }
            Change::Other(job) => {
                phased.apply(store);
                (job.0)(store)
            }
            Change::Apart(job) => phased.apart.push(job),
            Change::Intake { items, done } => phased.intake.push((items, done)),
            Change::Audit { entry, done } => phased.audits.push((entry, done)),
            Change::SmscId { route, record } => {
                phased.smsc_ids.entry(route).or_default().push(record)
            }
            c @ (Change::SentBy { .. }
            | Change::PossibleDuplicate { .. }
            | Change::ModemSent { .. }
            | Change::ModemUnconfirmed { .. }) => phased.sent_refs.push(c),
            c @ Change::Settle { .. } => phased.settles.push(c),
            c @ (Change::StatusReport { .. } | Change::Receipt { .. }) => phased.reports.push(c),
            c @ Change::Inbound { .. } => phased.inbound.push(c),
        }
    }
    phased.apply(store);
}

/// The changes of a wake-up applied kind by kind (see [`apply`]).
#[derive(Default)]
struct Phased {
    intake: Vec<(Vec<NewMessage>, Reply<Vec<Inserted>>)>,
    audits: Vec<(AuditEntry, Reply<AuditEntry>)>,
    smsc_ids: HashMap<String, Vec<SmscIdRecord>>,
    sent_refs: Vec<Change>,
    settles: Vec<Change>,
    reports: Vec<Change>,
    inbound: Vec<Change>,
    apart: Vec<Job>,
}

impl Phased {
    /// Applies and empties what is held.
    fn apply(&mut self, store: &Store) {
        apply_intake(store, std::mem::take(&mut self.intake));
        for (route, records) in self.smsc_ids.drain() {
            if let Err(e) = store.record_smsc_ids(&route, &records) {
                warn!(target: "smsgw::store", %route, cause = %e, n = records.len(), "cannot record SMSC ids; their receipts will stay parked");
            }
        }
        for c in self.sent_refs.drain(..) {
            apply_sent_ref(store, c);
        }
        for c in self.settles.drain(..) {
            if let Change::Settle {
                ended,
                now,
                policy,
                done,
            } = c
            {
                let failed = settle_all(store, ended, now, policy.as_ref());
                match done {
                    Some(done) => {
                        let _ = done.send(failed);
                    }
                    None => {
                        for (id, e) in failed {
                            error!(target: "smsgw::store", cause = %e, %id, "cannot record a send outcome; the message stays `sending` and is requeued at the next start");
                        }
                    }
                }
            }
        }
        apply_reports(store, std::mem::take(&mut self.reports));
        for c in self.inbound.drain(..) {
            if let Change::Inbound {
                pdu,
                part,
                at,
                done,
            } = c
            {
                let _ = done.send(store.receive_part(&pdu, part, at));
            }
        }
        for job in self.apart.drain(..) {
            (job.0)(store);
        }
        apply_audits(store, std::mem::take(&mut self.audits));
    }
}

/// Most messages joined into one write of submissions; a request of more is a write of its
/// own.
const INTAKE_MAX: usize = 1024;

/// Stores the submissions of one wake-up, joined into as few writes as [`INTAKE_MAX`]
/// allows: under load dozens of one-message requests arrive between two wake-ups, and a
/// write each (a journal record, an event group, the status totals, the write lock) cost
/// more than all the rest the store does for them. A joined write that fails is done again
/// one submission at a time, so that an error tied to one (a damaged record its
/// idempotency key names) fails only that one.
fn apply_intake(store: &Store, intake: Vec<(Vec<NewMessage>, Reply<Vec<Inserted>>)>) {
    let mut rest = intake.into_iter().peekable();
    while let Some(first) = rest.next() {
        let mut n = first.0.len();
        let mut group = vec![first];
        while let Some(next) = rest.next_if(|(items, _)| n + items.len() <= INTAKE_MAX) {
            n += next.0.len();
            group.push(next);
        }
        if group.len() == 1 {
            for (items, done) in group {
                let _ = done.send(store.insert_outbound(items));
            }
            continue;
        }
        let (requests, dones): (Vec<Vec<NewMessage>>, Vec<_>) = group.into_iter().unzip();
        let sizes: Vec<usize> = requests.iter().map(Vec::len).collect();
        match store.insert_outbound_or_return(requests.into_iter().flatten().collect()) {
            Ok(inserted) => {
                let mut inserted = inserted.into_iter();
                for (size, done) in sizes.into_iter().zip(dones) {
                    let _ = done.send(Ok(inserted.by_ref().take(size).collect()));
                }
            }
            Err((e, items)) => {
                debug!(target: "smsgw::store", cause = %e, requests = sizes.len(), "a joined write of submissions failed; storing them one request at a time");
                let mut items = items.into_iter();
                for (size, done) in sizes.into_iter().zip(dones) {
                    let _ = done.send(store.insert_outbound(items.by_ref().take(size).collect()));
                }
            }
        }
    }
}

/// Appends the audit entries of one wake-up in one write; if it fails, one entry at a time,
/// so each caller hears its own error.
fn apply_audits(store: &Store, audits: Vec<(AuditEntry, Reply<AuditEntry>)>) {
    if audits.is_empty() {
        return;
    }
    let (mut entries, dones): (Vec<AuditEntry>, Vec<_>) = audits.into_iter().unzip();
    if entries.len() > 1 && store.append_audits(&mut entries).is_ok() {
        for (entry, done) in entries.into_iter().zip(dones) {
            let _ = done.send(Ok(entry));
        }
        return;
    }
    for (entry, done) in entries.into_iter().zip(dones) {
        // The API does not wait for its entries (`Writer::record_audit`): a failure nobody
        // waits for is logged here.
        if let Err(Err(e)) = done.send(store.append_audit(entry)) {
            error!(target: "smsgw::store", cause = %e, "cannot record an API write in the audit trail");
        }
    }
}

/// Marks the picks `sending` through their routes; `None` for a message no longer waiting
/// (canceled, expired meanwhile), which the dispatcher then does not send.
fn hand_over(
    store: &Store,
    picks: &[Handing],
    now: Timestamp,
) -> Result<Vec<Option<OutboundMessage>>, StoreError> {
    let ids: Vec<MessageId> = picks.iter().map(|p| p.id).collect();
    let mut taken = vec![false; picks.len()];
    let updated = store.update_many(&ids, |i, m| {
        if !m.status.is_cancelable() {
            return false;
        }
        taken[i] = true;
        let route = &picks[i].route;
        m.attempts.count += 1;
        m.attempts.next_at = None;
        for p in m
            .parts
            .iter_mut()
            .filter(|p| p.status == PartStatus::Pending)
        {
            p.route = Some(route.clone());
        }
        m.set_status(Status::Sending, now, Some(format!("via {route}")));
        true
    })?;
    Ok(updated
        .into_iter()
        .zip(taken)
        .map(|(m, taken)| m.filter(|_| taken))
        .collect())
}

fn setback(store: &Store, id: MessageId, to: Setback, now: Timestamp) -> Result<(), StoreError> {
    store.update(id, |m| {
        if !m.status.is_cancelable() {
            return false;
        }
        match to {
            Setback::Expire => m.set_status(
                Status::Expired,
                now,
                Some("the validity period ended before it could be sent".into()),
            ),
            Setback::Defer(until, reason) => {
                m.attempts.next_at = Some(until);
                m.set_status(Status::Scheduled, now, Some(reason));
            }
            Setback::Fail(reason) => m.set_status(Status::Failed, now, Some(reason)),
        }
        true
    })?;
    Ok(())
}

/// Records the outcomes of sends that ended, as few writes as possible: under load hundreds
/// end between two passes of the dispatcher, and one write each would cost more than sending
/// them. Returns the messages whose outcome could not be written, with why; they stay
/// `sending` and are requeued at the next start.
pub(super) fn settle_all(
    store: &Store,
    ended: Vec<SendEnded>,
    now: Timestamp,
    policy: &dyn OutcomePolicy,
) -> Vec<(MessageId, StoreError)> {
    let mut failed = Vec::new();
    // One write holds each message once; a message cannot end twice between two passes (it
    // is handed over again only after its outcome is recorded), but a batch never relies on it.
    let mut rest = ended;
    while !rest.is_empty() {
        let mut seen = std::collections::HashSet::new();
        let (batch, later): (Vec<SendEnded>, Vec<SendEnded>) =
            rest.into_iter().partition(|f| seen.insert(f.id));
        let ids: Vec<MessageId> = batch.iter().map(|f| f.id).collect();
        let together = store.update_many(&ids, |i, m| policy.settle(m, &batch[i], now));
        if together.is_err() {
            // One unreadable message must not hold back the others: one write each.
            for f in &batch {
                if let Err(e) = store.update(f.id, |m| policy.settle(m, f, now)) {
                    failed.push((f.id, e));
                }
            }
        }
        rest = later;
    }
    failed
}

fn apply_sent_ref(store: &Store, c: Change) {
    let r = match c {
        Change::SentBy {
            id,
            senders,
            resent,
            now,
        } => record_senders(store, id, &senders, &resent, now),
        Change::PossibleDuplicate { id, part } => store.mark_possible_duplicate(id, part),
        Change::ModemSent {
            modem,
            mr,
            to,
            id,
            part,
            at,
        } => store.record_sent_part(&modem, mr, &to, id, part, at),
        Change::ModemUnconfirmed {
            modem,
            to,
            id,
            part,
            at,
            done,
        } => {
            let _ = done.send(store.record_unconfirmed_part(&modem, &to, id, part, at));
            return;
        }
        _ => return,
    };
    if let Err(e) = r {
        warn!(target: "smsgw::store", cause = %e, "cannot record what a route did with a message; its report or a duplicate may go unmatched");
    }
}

/// Records on each part the modem that sent it, and marks parts sent again after an unknown
/// outcome as possible duplicates, with a line in the message history naming both modems.
fn record_senders(
    store: &Store,
    id: MessageId,
    senders: &[(u8, String)],
    resent: &[(u8, String, String)],
    now: Timestamp,
) -> Result<(), StoreError> {
    store.update(id, |m| {
        let mut changed = !resent.is_empty();
        for (index, modem) in senders {
            if let Some(p) = m.parts.iter_mut().find(|p| p.index == *index)
                && p.modem.as_deref() != Some(modem)
            {
                p.modem = Some(modem.clone());
                changed = true;
            }
        }
        for (index, from, to) in resent {
            if let Some(p) = m.parts.iter_mut().find(|p| p.index == *index) {
                p.possible_duplicate = true;
            }
            let status = m.status;
            m.set_status(
                status,
                now,
                Some(format!(
                    "part {index}: outcome unknown on modem {from} (written, no answer); \
                     sent again through modem {to}: possible duplicate"
                )),
            );
        }
        changed
    })?;
    Ok(())
}

/// Status reports one by one (a modem's come a few a second); SMSC receipts per link in one
/// write, parking those that match nothing yet.
fn apply_reports(store: &Store, reports: Vec<Change>) {
    type Queued = (SmscReceipt, Timestamp, Reply<ReceiptStored>);
    let mut receipts: Vec<(String, Vec<Queued>)> = Vec::new();
    for c in reports {
        match c {
            Change::StatusReport {
                modem,
                report,
                window,
                now,
                done,
            } => {
                let _ = done.send(store.apply_status_report(&modem, &report, window, now));
            }
            Change::Receipt {
                route,
                receipt,
                now,
                done,
            } => match receipts.iter_mut().find(|(r, _)| *r == route) {
                Some((_, v)) => v.push((receipt, now, done)),
                None => receipts.push((route, vec![(receipt, now, done)])),
            },
            _ => {}
        }
    }
    for (route, items) in receipts {
        let now = items
            .iter()
            .map(|(_, t, _)| *t)
            .max()
            .unwrap_or(Timestamp(0));
        let (list, dones): (Vec<SmscReceipt>, Vec<Reply<ReceiptStored>>) =
            items.into_iter().map(|(r, _, d)| (r, d)).unzip();
        let matched = store.apply_smpp_receipts_each(&route, &list, now);
        for ((r, m), done) in list.iter().zip(matched).zip(dones) {
            let stored = match m {
                Ok(SmppReceiptMatch::Applied { id }) => Ok(ReceiptStored::Applied(id)),
                Ok(SmppReceiptMatch::NoMatch) => store
                    .park_smpp_receipt(&route, r)
                    .map(|()| ReceiptStored::Parked),
                Err(e) => Err(e),
            };
            let _ = done.send(stored);
        }
    }
}

impl Writer {
    fn queue(&self, c: Change) {
        // Only fails once the store is gone, when nothing is left to write to.
        let _ = self.tx.send(c);
    }

    /// Queues a change now; its answer comes through the [`Pending`].
    fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Change) -> Pending<T> {
        let (done, rx) = oneshot::channel();
        Pending(self.tx.send(make(done)).ok().map(|_| rx))
    }

    /// Queues one of the store's writes; its answer comes through the [`Pending`].
    fn job<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        self.ask(|done| Change::Other(Job::answering(done, write)))
    }

    /// Queues a write of state only writes of its own kind touch (see [`Change::Apart`]).
    fn job_apart<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        self.ask(|done| Change::Apart(Job::answering(done, write)))
    }

    /// Answers once every change queued before it is applied (not yet durable): to read
    /// what fire-and-forget changes wrote.
    pub fn applied(&self) -> Pending<()> {
        self.job(|_| Ok(()))
    }

    /// Marks `picks` `sending`; the messages as stored, `None` for those no longer waiting.
    /// Not yet durable: take [`Store::durable_ticket`] after it, before any route sees them.
    pub fn hand_over(
        &self,
        picks: Vec<Handing>,
        now: Timestamp,
    ) -> Pending<Vec<Option<OutboundMessage>>> {
        self.ask(|done| Change::HandOver { picks, now, done })
    }

    /// Adds `parts` to `route`'s count for `day` (daily caps are reloaded from it at start).
    pub fn count_usage(&self, route: &str, day: u32, parts: u64) {
        self.queue(Change::Usage {
            route: route.to_string(),
            day,
            parts,
        });
    }

    /// Expires, defers or fails a message that is still waiting.
    pub fn set_back(&self, id: MessageId, to: Setback, now: Timestamp) -> Pending<()> {
        self.ask(|done| Change::Setback { id, to, now, done })
    }

    /// Records the outcomes of sends that ended, by `policy`; failures are logged (those
    /// messages stay `sending` and are requeued at the next start).
    pub fn settle(&self, ended: Vec<SendEnded>, now: Timestamp, policy: Arc<dyn OutcomePolicy>) {
        self.queue(Change::Settle {
            ended,
            now,
            policy,
            done: None,
        });
    }

    /// Records the outcomes like [`Writer::settle`] and says which could not be written.
    pub async fn settle_and_wait(
        &self,
        ended: Vec<SendEnded>,
        now: Timestamp,
        policy: Arc<dyn OutcomePolicy>,
    ) -> Result<Vec<(MessageId, StoreError)>, StoreError> {
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Change::Settle {
                ended,
                now,
                policy,
                done: Some(done),
            })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)
    }

    /// Records which modem sent each part (`senders`), and the parts sent again after an
    /// unknown outcome elsewhere (`resent`: part, first modem, second modem) as possible
    /// duplicates.
    pub fn record_senders(
        &self,
        id: MessageId,
        senders: Vec<(u8, String)>,
        resent: Vec<(u8, String, String)>,
        now: Timestamp,
    ) {
        self.queue(Change::SentBy {
            id,
            senders,
            resent,
            now,
        });
    }

    /// Marks a part (or [`super::ALL_PARTS`]) as possibly sent twice.
    pub fn mark_possible_duplicate(&self, id: MessageId, part: u8) {
        self.queue(Change::PossibleDuplicate { id, part });
    }

    /// Records the SMSC id of an accepted submit, for its receipt: receipts queued after it
    /// find it.
    pub fn record_smsc_id(&self, route: &str, record: SmscIdRecord) {
        self.queue(Change::SmscId {
            route: route.to_string(),
            record,
        });
    }

    /// Records a part a modem sent with TP-MR `mr`, for its status report: reports queued
    /// after it find it.
    pub fn record_modem_part(
        &self,
        modem: &str,
        mr: u8,
        to: &str,
        id: MessageId,
        part: u8,
        at: Timestamp,
    ) {
        self.queue(Change::ModemSent {
            modem: modem.to_string(),
            mr,
            to: to.to_string(),
            id,
            part,
            at,
        });
    }

    /// Records a part written to a modem that never answered, to be resolved by its status
    /// report or at the end of its validity; the caller has it resent if this fails.
    pub fn record_unconfirmed_part(
        &self,
        modem: &str,
        to: &str,
        id: MessageId,
        part: u8,
        at: Timestamp,
    ) -> Pending<()> {
        let (modem, to) = (modem.to_string(), to.to_string());
        self.ask(|done| Change::ModemUnconfirmed {
            modem,
            to,
            id,
            part,
            at,
            done,
        })
    }

    /// Applies a modem's status report to the part it answers (within `window`). Not yet
    /// durable.
    pub fn apply_status_report(
        &self,
        modem: &str,
        report: ReportInput,
        window: Duration,
        now: Timestamp,
    ) -> Pending<ReportMatch> {
        let modem = modem.to_string();
        self.ask(|done| Change::StatusReport {
            modem,
            report,
            window,
            now,
            done,
        })
    }

    /// Applies an SMSC's receipt to the part it answers, or parks it. Not yet durable.
    pub fn apply_receipt(
        &self,
        route: &str,
        receipt: SmscReceipt,
        now: Timestamp,
    ) -> Pending<ReceiptStored> {
        let route = route.to_string();
        self.ask(|done| Change::Receipt {
            route,
            receipt,
            now,
            done,
        })
    }

    /// Puts a received part in the inbox, reassembled with its siblings; `pdu` identifies
    /// it, so the same part written twice (read again after a crash) is stored once. Not yet
    /// durable.
    pub fn receive_part(
        &self,
        pdu: Vec<u8>,
        part: InboundPart,
        at: Timestamp,
    ) -> Pending<Received> {
        self.ask(|done| Change::Inbound {
            pdu,
            part,
            at,
            done,
        })
    }
}

/// The store's other writes, each queued as it is called and applied in queue order.
impl Writer {
    /// Stores new outbound messages (or finds them by idempotency key). Not yet durable.
    pub fn insert_outbound(&self, items: Vec<NewMessage>) -> Pending<Vec<Inserted>> {
        self.ask(|done| Change::Intake { items, done })
    }

    /// Cancels a message that is still waiting: its status before, and the message as
    /// stored after (unchanged if it was no longer waiting); `None` if there is no such
    /// message.
    pub fn cancel(
        &self,
        id: MessageId,
        now: Timestamp,
        reason: String,
    ) -> Pending<Option<(Status, OutboundMessage)>> {
        self.job(move |s| {
            let mut was = None;
            let m = s.update(id, |m| {
                was = Some(m.status);
                if !m.status.is_cancelable() {
                    return false;
                }
                m.set_status(Status::Canceled, now, Some(reason));
                true
            })?;
            Ok(m.zip(was).map(|(m, was)| (was, m)))
        })
    }

    /// Cancels the waiting messages with a client reference.
    pub fn cancel_by_reference(
        &self,
        reference: &str,
        now: Timestamp,
        reason: &str,
    ) -> Pending<CancelByReference> {
        let (reference, reason) = (reference.to_string(), reason.to_string());
        self.job(move |s| s.cancel_by_reference(&reference, now, &reason))
    }

    /// Appends an entry to the audit trail; the entry as stored (with its id).
    pub fn append_audit(&self, entry: AuditEntry) -> Pending<AuditEntry> {
        self.ask(|done| Change::Audit { entry, done })
    }

    /// Appends an entry to the audit trail without waiting: the API records every write
    /// request this way, so no request waits a writer round trip for its own trail. A
    /// failure is logged by the writer; the trail is read through [`Writer::list_audit`],
    /// which sees every entry recorded before it.
    pub fn record_audit(&self, entry: AuditEntry) {
        drop(self.append_audit(entry));
    }

    /// Up to `limit` audit entries older than `before` (all when `None`), newest first, read
    /// in the writer's queue order: the entries of every request answered before are in.
    pub fn list_audit(&self, before: Option<MessageId>, limit: usize) -> Pending<Vec<AuditEntry>> {
        self.job(move |s| s.list_audit(before, limit))
    }

    /// Adds or replaces suppression-list entries; how many are new.
    pub fn put_suppressions(&self, entries: Vec<Suppression>) -> Pending<usize> {
        self.job(move |s| s.put_suppressions(&entries))
    }

    /// Removes a suppression-list entry; whether there was one.
    pub fn remove_suppression(&self, scope: &str, number: &str) -> Pending<bool> {
        let (scope, number) = (scope.to_string(), number.to_string());
        self.job(move |s| s.remove_suppression(&scope, &number))
    }

    /// Moves an inbox consumer's cursor to `id`.
    pub fn ack_inbox(&self, consumer: &str, id: MessageId) -> Pending<()> {
        let consumer = consumer.to_string();
        self.job(move |s| s.ack_inbox(&consumer, id))
    }

    /// Replaces the console's marks on `number`'s thread.
    pub fn mark_thread(&self, number: &str, marks: ThreadMarks) -> Pending<()> {
        let number = number.to_string();
        self.job(move |s| s.set_thread_marks(&number, &marks))
    }

    /// Puts messages left `sending` by a crash back in the queue, marked; how many.
    pub fn requeue_in_flight(&self, now: Timestamp) -> Pending<usize> {
        self.job(move |s| s.requeue_in_flight(now))
    }

    /// Rewrites the SMSC ids of these routes in today's key form; how many.
    pub fn restore_smsc_ids(&self, routes: Vec<String>) -> Pending<usize> {
        self.job(move |s| {
            let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
            s.restore_smsc_ids(&routes)
        })
    }

    /// Tries parked SMSC receipts (`key`, receipt) again; those that match now are applied
    /// and unparked.
    pub fn rematch_parked(
        &self,
        route: &str,
        parked: Vec<(Vec<u8>, SmscReceipt)>,
        now: Timestamp,
    ) -> Pending<Vec<Result<Rematched, StoreError>>> {
        let route = route.to_string();
        self.job(move |s| {
            let (keys, receipts): (Vec<Vec<u8>>, Vec<SmscReceipt>) = parked.into_iter().unzip();
            let matched = s.apply_smpp_receipts_each(&route, &receipts, now);
            Ok(keys
                .iter()
                .zip(matched)
                .map(|(key, m)| {
                    m.map(|m| match m {
                        SmppReceiptMatch::Applied { .. } => Rematched::Applied {
                            unparked: s.unpark_smpp_receipt(key),
                        },
                        SmppReceiptMatch::NoMatch => Rematched::NoMatch,
                    })
                })
                .collect())
        })
    }

    /// Forgets a route's SMSC ids and parked receipts from before `before`: (ids, receipts).
    pub fn purge_smpp_receipt_state(
        &self,
        route: &str,
        before: Timestamp,
    ) -> Pending<(usize, usize)> {
        let route = route.to_string();
        self.job(move |s| s.purge_smpp_receipt_state(&route, before))
    }

    /// Releases, flagged incomplete, the messages of `source` whose parts stopped coming
    /// before `older_than`.
    pub fn release_incomplete(
        &self,
        source: &str,
        older_than: Timestamp,
        now: Timestamp,
    ) -> Pending<Vec<InboundMessage>> {
        let source = source.to_string();
        self.job(move |s| s.release_incomplete(&source, older_than, now))
    }

    /// Forgets the marks of PDUs `source` received before `older_than`.
    pub fn purge_seen(&self, source: &str, older_than: Timestamp) -> Pending<usize> {
        let source = source.to_string();
        self.job(move |s| s.purge_seen(&source, older_than))
    }

    /// Forgets a modem's sent-part records from before `older_than`.
    pub fn purge_sent_parts(&self, modem: &str, older_than: Timestamp) -> Pending<usize> {
        let modem = modem.to_string();
        self.job(move |s| s.purge_sent_parts(&modem, older_than))
    }

    /// Resolves a modem's unconfirmed parts whose validity ended as undelivered.
    pub fn resolve_unconfirmed(
        &self,
        modem: &str,
        now: Timestamp,
    ) -> Pending<Vec<(MessageId, u8)>> {
        let modem = modem.to_string();
        self.job(move |s| s.resolve_unconfirmed(&modem, now))
    }

    /// Forgets idempotency keys older than their window.
    pub fn purge_idempotency_keys(&self, now: Timestamp) -> Pending<usize> {
        self.job(move |s| s.purge_idempotency_keys(now))
    }

    /// Forgets conversation records past the reply window.
    pub fn purge_conversations(&self, now: Timestamp) -> Pending<usize> {
        self.job(move |s| s.purge_conversations(now))
    }

    /// Forgets frequency counters of days before `before_day`.
    pub fn purge_frequency(&self, before_day: u32) -> Pending<usize> {
        self.job(move |s| s.purge_frequency(before_day))
    }

    /// One step of retention (final messages and received messages older than `cutoff`):
    /// call again while it says `more`, so other changes go in between.
    pub fn purge_step(&self, cutoff: Timestamp) -> Pending<PurgeStep> {
        self.job(move |s| s.purge_step(cutoff))
    }

    /// Removes audit entries older than `cutoff`.
    pub fn purge_audit_before(&self, cutoff: Timestamp) -> Pending<usize> {
        self.job(move |s| s.purge_audit_before(cutoff))
    }

    /// Removes events up to `upto` older than `before`, one step ([`Store::prune_events_step`]):
    /// the caller asks again while `more`.
    pub fn prune_events_step(&self, upto: u64, before: Timestamp) -> Pending<super::EventsPruned> {
        self.job(move |s| s.prune_events_step(upto, before))
    }

    /// Queues deliveries for a webhook target and moves its event cursor, in one write;
    /// the deliveries back, as queued.
    pub fn webhook_enqueue(
        &self,
        target: &str,
        deliveries: Vec<Delivery>,
        cursor: u64,
    ) -> Pending<Vec<Delivery>> {
        let target = target.to_string();
        self.job_apart(move |s| {
            s.webhook_enqueue(&target, &deliveries, cursor)?;
            Ok(deliveries)
        })
    }

    /// Fixes `target`'s cursor at the newest event if it has none, in order with every change
    /// queued before (a target started before the API starts misses nothing after); the cursor.
    pub fn webhook_start(&self, target: &str) -> Pending<u64> {
        let target = target.to_string();
        self.job(move |s| s.start_webhook_cursor(&target))
    }

    /// Deliveries went through (one job for all a worker saw answered at once).
    pub fn webhook_done(&self, target: &str, seqs: Vec<u64>) -> Pending<()> {
        let target = target.to_string();
        self.job_apart(move |s| s.webhook_done(&target, &seqs))
    }

    /// A delivery failed for good: a dead letter.
    pub fn webhook_bury(&self, target: &str, d: Delivery) -> Pending<()> {
        let target = target.to_string();
        self.job_apart(move |s| s.webhook_bury(&target, &d))
    }

    /// A delivery failed for now: kept with its next attempt.
    pub fn webhook_retry_later(&self, target: &str, d: Delivery) -> Pending<()> {
        let target = target.to_string();
        self.job_apart(move |s| s.webhook_retry_later(&target, &d))
    }

    /// Puts dead letters back in the queue (one, or all with `None`); those revived.
    pub fn webhook_revive(
        &self,
        target: &str,
        seq: Option<u64>,
        now: Timestamp,
    ) -> Pending<Vec<Delivery>> {
        let target = target.to_string();
        self.job(move |s| s.webhook_revive(&target, seq, now))
    }
}

/// What became of a parked receipt tried again.
#[derive(Debug)]
pub enum Rematched {
    /// Applied to its message now; whether it could also be unparked.
    Applied {
        /// The removal of its parked copy (a failure leaves it to be applied again, which
        /// changes nothing).
        unparked: Result<(), StoreError>,
    },
    /// Still matches nothing.
    NoMatch,
}

/// The answer to a change queued on the [`Writer`]. The change is queued when the method
/// that returned this was called, whether or not this is waited for.
#[must_use = "the change is queued; its answer says whether it was written"]
#[derive(Debug)]
pub struct Pending<T>(Option<oneshot::Receiver<Result<T, StoreError>>>);

impl<T: Send + 'static> Pending<T> {
    /// Waits for the change to be written (not yet durable: [`Store::durable`] after it).
    /// `Closed` if the store stopped before writing it.
    pub async fn wait(self) -> Result<T, StoreError> {
        match self.0 {
            Some(rx) => answer(rx).await.ok_or(StoreError::Closed)?,
            None => Err(StoreError::Closed),
        }
    }
}

/// Whether waits for the writer hold tokio's paused clock (see [`answer`]); always in this
/// crate's unit tests.
static HOLD_PAUSED_CLOCK: AtomicBool = AtomicBool::new(cfg!(test));

/// For tests on tokio's paused clock (`start_paused`): makes every wait for the writer hold
/// the clock, in this process, for good. Never needed under a running clock.
#[doc(hidden)]
pub fn hold_paused_clock_while_writing() {
    HOLD_PAUSED_CLOCK.store(true, Ordering::Relaxed);
}

/// The writer's answer. Tokio's paused clock jumps to the next timer whenever every task
/// waits, as if the writer's thread took that long; it does not jump while a blocking task
/// runs, so where the clock may be paused the wait is one. Under a running clock both are
/// the same, and the plain wait is cheaper.
async fn answer<T: Send + 'static>(rx: oneshot::Receiver<T>) -> Option<T> {
    if !HOLD_PAUSED_CLOCK.load(Ordering::Relaxed) {
        return rx.await.ok();
    }
    tokio::task::spawn_blocking(move || rx.blocking_recv().ok())
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys;

    /// The store's methods that change it. Only the writer's thread calls them; the rest of
    /// the daemon goes through [`super::Writer`].
    const WRITES: &[&str] = &[
        "insert_outbound",
        "insert_inbound",
        "update",
        "update_many",
        "add_usage",
        "requeue_in_flight",
        "purge_idempotency_keys",
        "purge_before",
        "purge_step",
        "purge_frequency",
        "put_suppressions",
        "remove_suppression",
        "cancel_by_reference",
        "apply_smpp_receipt",
        "apply_smpp_receipts",
        "apply_smpp_receipts_each",
        "mark_possible_duplicate",
        "park_smpp_receipt",
        "unpark_smpp_receipt",
        "purge_smpp_receipt_state",
        "record_smsc_id",
        "record_smsc_ids",
        "restore_smsc_ids",
        "apply_status_report",
        "purge_sent_parts",
        "record_sent_part",
        "record_unconfirmed_part",
        "resolve_unconfirmed",
        "append_audit",
        "append_audits",
        "insert_outbound_or_return",
        "purge_audit_before",
        "prune_events",
        "start_webhook_cursor",
        "receive_part",
        "purge_seen",
        "release_incomplete",
        "purge_conversations",
        "ack_inbox",
        "set_thread_marks",
        "webhook_bury",
        "webhook_done",
        "webhook_enqueue",
        "webhook_retry_later",
        "webhook_revive",
        "put_raw",
    ];

    /// Calls of a store write method (`store.update(`, `self.deps.store\n.purge_seen(`) in
    /// `text`, with their line numbers.
    fn direct_writes(text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut from = 0;
        while let Some(at) = text[from..].find("store") {
            let start = from + at;
            from = start + 5;
            // `store` as a whole word (not `restore`, `store_x`).
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
                continue;
            }
            let rest = text[from..].trim_start_matches("()");
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix('.') else {
                continue;
            };
            let rest = rest.trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if WRITES.contains(&name.as_str()) && rest[name.len()..].starts_with('(') {
                let line = text[..start].matches('\n').count() + 1;
                out.push((line, name));
            }
        }
        out
    }

    /// `text` without its test code, line numbers kept: a `#[cfg(test)]` module at the
    /// end cuts the rest (test modules set up their state directly); any other
    /// `#[cfg(test)]` item (a `mod tests;` declaration) blanks just its line.
    fn production_code(text: &str) -> String {
        let mut out = String::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.trim() == "#[cfg(test)]" {
                let Some(item) = lines.next() else { break };
                let item = item
                    .trim_start_matches("pub(crate) ")
                    .trim_start_matches("pub ");
                if item.starts_with("mod ") && item.ends_with('{') {
                    break;
                }
                out.push_str("\n\n");
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    fn production_sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                production_sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn the_scan_should_find_direct_writes_and_nothing_else() {
        let text = "let a = self.store.update(id, f);\nlet b = self.deps.store\n    .purge_seen(x);\nstore.writer().update(1);\nrestore.update(2);\nstore.get(3);";
        assert_eq!(
            direct_writes(text),
            vec![(1, "update".into()), (2, "purge_seen".into())]
        );
    }

    #[tokio::test]
    async fn a_job_should_see_every_change_queued_before_it_in_the_same_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path(), 1 << 20).unwrap();
        let ids: Vec<_> = (0..50)
            .map(|_| store.queue_for_test("+358401234567"))
            .collect();
        // Fire-and-forget marks and a job after each, queued faster than one batch applies.
        let writer = store.writer();
        let mut seen = Vec::new();
        for &id in &ids {
            writer.mark_possible_duplicate(id, 1);
            let reader = store.clone();
            seen.push(writer.job(move |_| {
                Ok(reader
                    .get(id)?
                    .is_some_and(|m| m.parts[0].possible_duplicate))
            }));
        }
        for s in seen {
            assert!(s.wait().await.unwrap());
        }
        writer.applied().wait().await.unwrap();
    }

    /// A one-message submission to `to` as the API validates it, with `key` as its
    /// idempotency key.
    fn submission(to: &str, key: Option<&str>) -> NewMessage {
        NewMessage {
            message: Store::message_for_test(to),
            idempotency_key: key.map(str::to_string),
        }
    }

    /// Holds the writer's thread in a job until the returned sender is dropped, so that
    /// everything queued meanwhile is applied in one wake-up. Returns once the job runs: its
    /// own wake-up was gathered before, so nothing queued later joins that one.
    fn hold(writer: &Writer) -> std::sync::mpsc::Sender<()> {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (entered_tx, entered) = std::sync::mpsc::channel::<()>();
        drop(writer.job(move |_| {
            let _ = entered_tx.send(());
            let _ = rx.recv();
            Ok(())
        }));
        entered.recv().unwrap();
        tx
    }

    fn new_ids(inserted: &[Inserted]) -> Vec<MessageId> {
        inserted
            .iter()
            .map(|i| match i {
                Inserted::New(m) => m.id,
                Inserted::Existing(m) => panic!("{} was not new", m.id),
            })
            .collect()
    }

    #[tokio::test]
    async fn submissions_of_one_wake_up_should_be_one_write_and_each_caller_get_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let writer = store.writer();
        let held = hold(writer);
        let mut sent = Vec::new();
        let mut pending = Vec::new();
        for i in 0..8 {
            let items: Vec<NewMessage> = (0..1 + i % 3)
                .map(|_| submission("+358401234567", None))
                .collect();
            sent.push(items.iter().map(|m| m.message.id).collect::<Vec<_>>());
            pending.push(writer.insert_outbound(items));
        }
        // Two requests with one idempotency key: the second gets the first's message.
        let first = submission("+358401234568", Some("k"));
        let first_id = first.message.id;
        let with_key = writer.insert_outbound(vec![first]);
        let again = writer.insert_outbound(vec![submission("+358401234568", Some("k"))]);
        drop(held);
        for (p, ids) in pending.into_iter().zip(&sent) {
            assert_eq!(&new_ids(&p.wait().await.unwrap()), ids);
        }
        assert_eq!(new_ids(&with_key.wait().await.unwrap()), vec![first_id]);
        match &again.wait().await.unwrap()[..] {
            [Inserted::Existing(m)] => assert_eq!(m.id, first_id),
            other => panic!("a repeated key gave {other:?}"),
        }
        // One write: its events are one group (one key), not a group per request.
        assert_eq!(store.tree.scan_prefix([keys::EVENT]).count(), 1);
        let stored = sent.iter().flatten().count() + 1;
        assert_eq!(store.count_in_status(Status::Queued), stored as u64);
    }

    #[tokio::test]
    async fn a_joined_write_that_fails_should_fail_only_the_submission_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        // An idempotency key naming a message whose record is damaged.
        let damaged = MessageId::new_at(1);
        let mut named = damaged.to_bytes().to_vec();
        named.extend_from_slice(&1u64.to_be_bytes());
        store.put_raw(&keys::idempotency("bad"), &named).unwrap();
        store
            .put_raw(&keys::message(damaged), b"\x00not a message")
            .unwrap();
        let writer = store.writer();
        let held = hold(writer);
        let good: Vec<_> = (0..4)
            .map(|_| writer.insert_outbound(vec![submission("+358401234567", None)]))
            .collect();
        let bad = writer.insert_outbound(vec![submission("+358401234567", Some("bad"))]);
        drop(held);
        for p in good {
            assert_eq!(new_ids(&p.wait().await.unwrap()).len(), 1);
        }
        assert!(matches!(bad.wait().await, Err(StoreError::Corrupt { .. })));
        assert_eq!(store.count_in_status(Status::Queued), 4);
    }

    /// An answered API write to `path`, as the audit middleware records it.
    fn audit_entry(path: &str) -> AuditEntry {
        AuditEntry {
            id: MessageId::new_at(0),
            at: Timestamp(5),
            actor: "crm".into(),
            client: "127.0.0.1".into(),
            method: "POST".into(),
            path: path.into(),
            status: 202,
            detail: None,
        }
    }

    #[tokio::test]
    async fn audit_entries_of_one_wake_up_should_be_one_write_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let writer = store.writer();
        let held = hold(writer);
        let pending: Vec<_> = (0..5)
            .map(|i| writer.append_audit(audit_entry(&format!("/v1/messages/{i}"))))
            .collect();
        drop(held);
        let mut ids = Vec::new();
        for p in pending {
            ids.push(p.wait().await.unwrap().id);
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids in queue order");
        let listed = writer.list_audit(None, 10).wait().await.unwrap();
        let paths: Vec<_> = listed.iter().rev().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            (0..5)
                .map(|i| format!("/v1/messages/{i}"))
                .collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn a_listing_of_the_trail_should_hold_entries_recorded_before_it_not_yet_applied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let writer = store.writer();
        let held = hold(writer);
        writer.record_audit(audit_entry("/v1/messages/x"));
        // Asked while the entry waits behind the held job: a read straight from the store
        // would miss it.
        let listing = writer.list_audit(None, 10);
        assert!(store.list_audit(None, 10).unwrap().is_empty());
        drop(held);
        let listed = listing.wait().await.unwrap();
        assert_eq!(
            listed.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["/v1/messages/x"]
        );
    }

    #[test]
    fn test_modules_should_be_left_out_and_declarations_skipped() {
        let text = "#[cfg(test)]\nmod tests;\nstore.update(1);\n#[cfg(test)]\nmod tests {\n    store.update(2);\n}\n";
        assert_eq!(
            direct_writes(&production_code(text)),
            vec![(3, "update".into())]
        );
    }

    #[test]
    fn no_module_outside_the_store_should_write_it_except_through_the_writer() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        production_sources(&src, &mut files);
        let mut found = Vec::new();
        for f in files {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if rel.starts_with("store/")
                || ["tests.rs", "scenarios.rs", "testing.rs"].contains(&name.as_str())
            {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, call) in direct_writes(&production_code(&text)) {
                found.push(format!("src/{rel}:{line}: {call}"));
            }
        }
        assert!(
            found.is_empty(),
            "store writes outside the store's writer:\n{}",
            found.join("\n")
        );
    }
}
