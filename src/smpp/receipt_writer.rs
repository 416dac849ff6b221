//! Writes one link's delivery receipts to the store in batches.
//!
//! Receipts come back as fast as submits go out: one store write and one wait for durability
//! per receipt made every receipt task contend for the store's write lock on the runtime's
//! threads. Here each connection's receipt tasks hand their decoded receipt to the link's
//! writer, which takes every receipt waiting, applies them in one write on a blocking thread
//! (parking those that match nothing yet), waits for one flush, and only then lets each task
//! answer the SMSC: a receipt is acknowledged only once it is on disk, as before.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::session::Link;
use crate::model::Timestamp;
use crate::store::{SmppReceiptMatch, SmscReceipt, Store, StoreError};

/// Most receipts written in one batch.
const MAX_BATCH: usize = 1024;

/// Receipts waiting to be written, beyond which receipt tasks wait for room.
const QUEUE: usize = 8192;

/// A receipt handed to the writer, and where to say whether it is durable.
#[derive(Debug)]
struct Job {
    receipt: SmscReceipt,
    done: oneshot::Sender<bool>,
}

/// The writer's mailbox, owned by the link.
#[derive(Debug)]
pub struct ReceiptWriter {
    tx: mpsc::Sender<Job>,
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
}

impl Default for ReceiptWriter {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl ReceiptWriter {
    /// Hands `receipt` to the writer and waits until it is stored durably (applied to its
    /// part, or parked to be matched later). `false` when it could not be stored: the caller
    /// answers with an error so that the SMSC sends it again.
    pub async fn write(&self, receipt: SmscReceipt) -> bool {
        let (done, rx) = oneshot::channel();
        if self.tx.send(Job { receipt, done }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }
}

/// Writes the receipts handed to `link`'s writer until `cancel`, then those still queued.
pub async fn run(link: Arc<Link>, store: Arc<Store>, cancel: CancellationToken) {
    let Some(mut rx) = link.receipts.rx.lock().take() else {
        warn!(target: "smsgw::smpp", link = %link.name, "the receipt writer is already running");
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
    // Receipts already handed over are written before the link goes away.
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
    let (receipts, replies): (Vec<SmscReceipt>, Vec<oneshot::Sender<bool>>) =
        jobs.into_iter().map(|j| (j.receipt, j.done)).unzip();
    let written = {
        let (link, store) = (link.clone(), store.clone());
        tokio::task::spawn_blocking(move || store_all(&link, &store, &receipts)).await
    };
    let stored = match written {
        Ok(stored) => stored,
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "the receipt write did not finish; the SMSC will resend");
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

/// Applies (or parks) every receipt; returns which are stored. One write for all; should it
/// fail (one unreadable message, say), one write each, so that the others still get stored.
fn store_all(link: &Link, store: &Store, receipts: &[SmscReceipt]) -> Vec<bool> {
    let now = Timestamp::now();
    match store_together(link, store, receipts, now) {
        Ok(()) => vec![true; receipts.len()],
        Err(_) if receipts.len() > 1 => receipts
            .iter()
            .map(|r| store_one(link, store, r, now))
            .collect(),
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, id = %receipts[0].smsc_id, cause = %e, "cannot store a receipt; the SMSC will resend it");
            vec![false]
        }
    }
}

fn store_one(link: &Link, store: &Store, r: &SmscReceipt, now: Timestamp) -> bool {
    match store_together(link, store, std::slice::from_ref(r), now) {
        Ok(()) => true,
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, id = %r.smsc_id, cause = %e, "cannot store a receipt; the SMSC will resend it");
            false
        }
    }
}

fn store_together(
    link: &Link,
    store: &Store,
    receipts: &[SmscReceipt],
    now: Timestamp,
) -> Result<(), StoreError> {
    let matched = store.apply_smpp_receipts(&link.name, receipts, now)?;
    for (r, m) in receipts.iter().zip(matched) {
        match m {
            SmppReceiptMatch::Applied { .. } => Link::count(&link.stats.receipts),
            SmppReceiptMatch::NoMatch => {
                tracing::debug!(target: "smsgw::smpp", link = %link.name, id = %r.smsc_id, "receipt matches no recorded submit yet; parked");
                store.park_smpp_receipt(&link.name, r)?;
                Link::count(&link.stats.receipts_parked);
            }
        }
    }
    Ok(())
}
