//! The store's tree: every change goes to the write-ahead journal first and into an
//! in-memory overlay; sled receives the changes only at checkpoints (issue 15).
//!
//! Why: sled 0.34 rewrites every page a change touched at each flush, so flushing for every
//! group of requests wrote tens of kilobytes per message, and its flush is not durable by
//! itself (see [`super::sync`]). Here a change is durable once its journal record is synced
//! (one `fdatasync` shared by all waiting writers, [`super::commit`]); sled is brought up to
//! date every few seconds, when many changes to the same keys have collapsed into one, in one
//! batch that also records the journal position it covers ([`JOURNAL_APPLIED_KEY`]), then
//! flushed and synced, and the journal segments it covers are deleted. Between checkpoints
//! sled is not written at all, so a power cut can only find it at its last checkpoint (or in
//! the middle of one, which sled's own recovery and the replay after it handle).
//!
//! Reads see the overlay over sled: the changes since the last checkpoint (`active`), then
//! those being checkpointed (`frozen`), then sled.
//!
//! Writes are ordered by one lock around journal append and overlay update, so the journal's
//! order is the overlay's order. Read-modify-write sequences are serialised above, by the
//! store's own write lock.

mod checkpointer;
mod iter;
pub mod ops;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use sled::IVec;

pub use iter::Iter;
use ops::Op;

use super::StoreError;
use super::journal::{self, Journal, Recovered};
use super::sync::DataFiles;

/// sled key holding the last journal record a checkpoint applied (8 bytes, big-endian).
/// Written by checkpoints only, straight to sled.
pub const JOURNAL_APPLIED_KEY: &[u8] = b"Xjournal_applied";

/// Changes per sled batch when a checkpoint writes sled (a few milliseconds each).
const CHECKPOINT_CHUNK: usize = 2048;

/// When checkpoints run.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointPolicy {
    /// At most this long between two.
    pub every: Duration,
    /// Or sooner, once this many bytes were journalled since the last.
    pub bytes: u64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        // A few seconds keep the overlay (memory) and the replay at start small while letting
        // a message's four or five changes collapse into one sled write.
        // At most a segment's worth between two, so each checkpoint's spare segment
        // (`journal::make_spare`) is ready before the journal needs it.
        CheckpointPolicy {
            every: Duration::from_secs(5),
            bytes: journal::Options::default().segment_bytes,
        }
    }
}

/// One layer of changes not yet in sled: a key's newest value, or `None` if removed.
type Layer = BTreeMap<IVec, Option<IVec>>;

/// The overlay.
#[derive(Debug, Default)]
struct Layers {
    /// Changes since the last checkpoint began.
    active: Layer,
    /// Keys `active` did not hold when they were set while having no value
    /// ([`Batch::insert_new`]): what lies below (`frozen` over sled) says "no value" for them,
    /// so a removal of one before the next checkpoint drops its entry rather than leave sled
    /// a removal of a key it never had (index keys of a message sent within seconds, webhook
    /// deliveries acknowledged, events pruned: about four per message).
    new_keys: HashSet<IVec>,
    /// Changes a checkpoint is writing to sled (or failed to: the next one retries them).
    frozen: Arc<Layer>,
}

impl Layers {
    /// Applies `ops` to `active`; `new` are the indices of those setting a key that has no
    /// value.
    fn apply(&mut self, ops: Vec<Op>, new: &[usize]) {
        let mut new = new.iter().copied().peekable();
        for (i, (k, v)) in ops.into_iter().enumerate() {
            let is_new = new.next_if_eq(&i).is_some();
            match v {
                None if !self.new_keys.is_empty() && self.new_keys.remove(&k) => {
                    self.active.remove(&k);
                }
                v => match self.active.entry(k) {
                    std::collections::btree_map::Entry::Vacant(e) => {
                        // Only for a key `active` does not hold: what it holds (even a
                        // removal) shadows what lies below, and dropping it would uncover that.
                        if is_new && v.is_some() {
                            self.new_keys.insert(e.key().clone());
                        }
                        e.insert(v);
                    }
                    std::collections::btree_map::Entry::Occupied(mut e) => {
                        e.insert(v);
                    }
                },
            }
        }
    }

    fn get(&self, key: &[u8]) -> Option<Option<IVec>> {
        self.active
            .get(key)
            .or_else(|| self.frozen.get(key))
            .cloned()
    }

    /// Up to `n` entries of the range, `active` shadowing `frozen`, ascending or (`rev`)
    /// descending.
    fn chunk(&self, lo: Bound<&[u8]>, hi: Bound<&[u8]>, rev: bool, n: usize) -> Vec<Op> {
        if is_empty_range(lo, hi) {
            return Vec::new();
        }
        let a = self.active.range::<[u8], _>((lo, hi));
        let f = self.frozen.range::<[u8], _>((lo, hi));
        if rev {
            merge(a.rev(), f.rev(), n, |x, y| y.cmp(x))
        } else {
            merge(a, f, n, |x, y| x.cmp(y))
        }
    }
}

/// Whether `BTreeMap::range` would find nothing (it panics on such bounds).
fn is_empty_range(lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> bool {
    match (lo, hi) {
        (Bound::Included(l), Bound::Included(h)) => l > h,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(h))
        | (Bound::Excluded(l), Bound::Included(h)) => l >= h,
        _ => false,
    }
}

/// Merges two sorted runs (in the order `cmp` says), the first shadowing the second on equal
/// keys, taking at most `n`.
fn merge<'a>(
    a: impl Iterator<Item = (&'a IVec, &'a Option<IVec>)>,
    b: impl Iterator<Item = (&'a IVec, &'a Option<IVec>)>,
    n: usize,
    cmp: impl Fn(&IVec, &IVec) -> std::cmp::Ordering,
) -> Vec<Op> {
    use std::cmp::Ordering::*;
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut out = Vec::with_capacity(n.min(64));
    while out.len() < n {
        let pick = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
            (Some((ka, _)), Some((kb, _))) => cmp(ka, kb),
        };
        let next = match pick {
            Less => a.next(),
            Greater => b.next(),
            Equal => {
                b.next();
                a.next()
            }
        };
        let Some((k, v)) = next else { break };
        out.push((k.clone(), v.clone()));
    }
    out
}

/// Figures for metrics.
#[derive(Debug, Default)]
struct Counters {
    /// Journal bytes appended since the last checkpoint began.
    since_checkpoint: AtomicU64,
    /// Journal bytes the running (or last failed) checkpoint is writing to sled.
    in_checkpoint: AtomicU64,
    /// Journal bytes appended since start.
    journalled: AtomicU64,
    checkpoints: AtomicU64,
    checkpoint_micros: AtomicU64,
    syncs: AtomicU64,
    /// What checkpoints handed to sled, by the key's first byte (its kind, `store::keys`):
    /// where sled's writes go, as keys and bytes, without a profiler.
    applied: Mutex<BTreeMap<u8, Applied>>,
}

/// Changes of one kind of key that checkpoints applied to sled.
#[derive(Debug, Default, Clone, Copy)]
struct Applied {
    sets: u64,
    removes: u64,
    /// Keys and values of the sets; keys of the removes.
    bytes: u64,
}

impl Applied {
    fn absorb(&mut self, other: Applied) {
        self.sets += other.sets;
        self.removes += other.removes;
        self.bytes += other.bytes;
    }

    fn add(&mut self, key: &[u8], value: Option<&[u8]>) {
        match value {
            Some(v) => {
                self.sets += 1;
                self.bytes += (key.len() + v.len()) as u64;
            }
            None => {
                self.removes += 1;
                self.bytes += key.len() as u64;
            }
        }
    }
}

#[derive(Debug)]
struct Inner {
    db: sled::Db,
    sled: sled::Tree,
    /// sled's files, synced after each checkpoint's flush.
    files: DataFiles,
    journal: Mutex<Journal>,
    layers: Arc<RwLock<Layers>>,
    /// One checkpoint at a time.
    checkpointing: Mutex<()>,
    policy: CheckpointPolicy,
    /// Wakes the checkpoint thread when a checkpoint is due by size, and ends it on drop.
    wake: Arc<checkpointer::Wake>,
    counters: Counters,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.close();
    }
}

/// The store's tree (cheap to clone).
#[derive(Debug, Clone)]
pub struct Tree {
    /// Declared before `inner`, so dropped first: the last handle ends the checkpoint thread
    /// and waits for it. Otherwise a checkpoint running at that moment would hold the tree,
    /// and sled's lock on its files, a little past the last handle, and the store opened
    /// again at once in the same process found it locked. `None` in the thread's own handle.
    _checkpoints: Option<Arc<checkpointer::Thread>>,
    inner: Arc<Inner>,
}

/// A set of changes applied atomically, in order (a later change to a key wins).
#[derive(Debug, Default, Clone)]
pub struct Batch {
    ops: Vec<Op>,
    /// Indices of the `ops` that set a key having no value ([`Batch::insert_new`]).
    new: Vec<usize>,
}

impl Batch {
    /// Sets `key` to `value`.
    pub fn insert<K: Into<IVec>, V: Into<IVec>>(&mut self, key: K, value: V) {
        self.ops.push((key.into(), Some(value.into())));
    }

    /// Sets `key`, which has no value (a key made of a fresh message id or event number, an
    /// index entry the message's previous state did not have), to `value`. Stored as
    /// [`Batch::insert`] does; only a removal of it before the next checkpoint costs sled
    /// nothing then. A key that may have a value must go through `insert`: a removal of one
    /// set here brings back what it had before.
    pub fn insert_new<K: Into<IVec>, V: Into<IVec>>(&mut self, key: K, value: V) {
        self.new.push(self.ops.len());
        self.insert(key, value);
    }

    /// Removes `key`.
    pub fn remove<K: Into<IVec>>(&mut self, key: K) {
        self.ops.push((key.into(), None));
    }

    /// The changes, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

impl Tree {
    /// Opens the tree over sled's `tree`, with its journal in `dir/journal`, replaying into the
    /// overlay every record after the last checkpoint. A torn or corrupt tail is cut and
    /// returned in [`Recovered::cut`] for the caller to report.
    pub fn open(
        db: sled::Db,
        tree: sled::Tree,
        dir: &Path,
        policy: CheckpointPolicy,
    ) -> Result<(Tree, Recovered), StoreError> {
        let covered = match tree.get(JOURNAL_APPLIED_KEY)? {
            None => 0,
            Some(v) => {
                u64::from_be_bytes(v.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                    key: hex::encode(JOURNAL_APPLIED_KEY),
                    reason: format!("{} bytes where 8 were expected", v.len()),
                })?)
            }
        };
        let mut layers = Layers::default();
        let mut unreadable = None;
        let (journal, recovered) = Journal::open(
            &dir.join("journal"),
            journal::Options::default(),
            covered,
            |lsn, payload| {
                if unreadable.is_some() {
                    return;
                }
                match ops::decode(payload) {
                    Ok(ops) => layers.active.extend(ops),
                    Err(e) => unreadable = Some((lsn, e)),
                }
            },
        )?;
        if let Some((lsn, e)) = unreadable {
            // Its checksum was right, so this is not a torn write: refuse rather than start
            // without changes that were acknowledged.
            return Err(StoreError::Corrupt {
                key: format!("journal record {lsn}"),
                reason: e.to_string(),
            });
        }
        let files = DataFiles::open(dir).map_err(sled::Error::Io)?;
        let inner = Inner {
            db,
            sled: tree,
            files,
            journal: Mutex::new(journal),
            layers: Arc::new(RwLock::new(layers)),
            checkpointing: Mutex::new(()),
            policy,
            wake: Arc::default(),
            counters: Counters::default(),
        };
        let inner = Arc::new(inner);
        let thread = checkpointer::spawn(Arc::downgrade(&inner), inner.wake.clone(), policy.every)
            .map_err(sled::Error::Io)?;
        let tree = Tree {
            _checkpoints: Some(Arc::new(thread)),
            inner,
        };
        Ok((tree, recovered))
    }

    /// The value of `key`.
    pub fn get<K: AsRef<[u8]>>(&self, key: K) -> Result<Option<IVec>, sled::Error> {
        let key = key.as_ref();
        if let Some(v) = self.inner.layers.read().get(key) {
            return Ok(v);
        }
        self.inner.sled.get(key)
    }

    /// Whether `key` has a value.
    pub fn contains_key<K: AsRef<[u8]>>(&self, key: K) -> Result<bool, sled::Error> {
        Ok(self.get(key)?.is_some())
    }

    /// Sets `key` to `value` (journalled, not yet durable).
    pub fn insert<K: AsRef<[u8]>, V: Into<IVec>>(
        &self,
        key: K,
        value: V,
    ) -> Result<(), StoreError> {
        self.write(vec![(IVec::from(key.as_ref()), Some(value.into()))], &[])
    }

    /// Removes `key` (journalled, not yet durable) and returns the value it had. Removing a
    /// key that has none journals nothing.
    pub fn remove<K: AsRef<[u8]>>(&self, key: K) -> Result<Option<IVec>, StoreError> {
        let key = IVec::from(key.as_ref());
        let mut journal = self.inner.journal.lock();
        let old = self.get(&key)?;
        if old.is_some() {
            self.append_locked(&mut journal, vec![(key, None)], &[])?;
        }
        Ok(old)
    }

    /// Applies every change of `batch` atomically: one journal record.
    pub fn apply_batch(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.ops.is_empty() {
            return Ok(());
        }
        self.write(batch.ops, &batch.new)
    }

    /// Replaces the value of `key` with what `f` makes of it (`None` removes it), atomically
    /// with respect to every other write, and returns the new value.
    pub fn update_and_fetch<K, V, F>(&self, key: K, mut f: F) -> Result<Option<IVec>, StoreError>
    where
        K: AsRef<[u8]>,
        V: Into<IVec>,
        F: FnMut(Option<&[u8]>) -> Option<V>,
    {
        let key = IVec::from(key.as_ref());
        let mut journal = self.inner.journal.lock();
        let old = self.get(&key)?;
        let new: Option<IVec> = f(old.as_deref()).map(Into::into);
        self.append_locked(&mut journal, vec![(key, new.clone())], &[])?;
        Ok(new)
    }

    fn write(&self, ops: Vec<Op>, new: &[usize]) -> Result<(), StoreError> {
        let mut journal = self.inner.journal.lock();
        self.append_locked(&mut journal, ops, new)
    }

    /// Journals `ops` and applies them to the overlay, under the journal's lock so both see
    /// the same order. (`new`, the ops setting keys that had no value, is not journalled: a
    /// replay leaves sled their removals, which only costs sled a lookup.)
    fn append_locked(
        &self,
        journal: &mut Journal,
        ops: Vec<Op>,
        new: &[usize],
    ) -> Result<(), StoreError> {
        let payload = ops::encode(&ops);
        journal.append(&payload)?;
        self.inner.layers.write().apply(ops, new);
        let counters = &self.inner.counters;
        counters
            .journalled
            .fetch_add(payload.len() as u64, Ordering::Relaxed);
        let before = counters
            .since_checkpoint
            .fetch_add(payload.len() as u64, Ordering::Relaxed);
        if before < self.inner.policy.bytes
            && before + payload.len() as u64 >= self.inner.policy.bytes
        {
            self.inner.wake.due();
        }
        Ok(())
    }

    /// Makes every change journalled so far durable: one `fdatasync` (more if segments
    /// rolled), run without holding up writers. Blocking: call it on a blocking thread.
    pub fn sync(&self) -> Result<(), StoreError> {
        let job = self.inner.journal.lock().begin_sync()?;
        let result = job.run();
        self.inner.journal.lock().synced(result)?;
        self.inner.counters.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Writes the overlay to sled, flushes and syncs sled, and deletes the journal segments
    /// that are then covered. Returns the last record covered, or `None` if there was nothing
    /// to write. Blocking; one at a time (a second caller waits for the first).
    pub fn checkpoint(&self) -> Result<Option<journal::frame::Lsn>, StoreError> {
        let _one = self.inner.checkpointing.lock();
        let started = std::time::Instant::now();
        let (frozen, upto) = {
            let journal = self.inner.journal.lock();
            let mut layers = self.inner.layers.write();
            // Records whose changes all cancelled out in the overlay (a new key set and
            // removed) still need covering, so the journal can be trimmed.
            let journalled = self.inner.counters.since_checkpoint.load(Ordering::SeqCst) > 0;
            if layers.active.is_empty() && layers.frozen.is_empty() && !journalled {
                return Ok(None);
            }
            let active = std::mem::take(&mut layers.active);
            // Those keys go below with `active`: a removal in the next layer must reach them.
            layers.new_keys.clear();
            if layers.frozen.is_empty() {
                layers.frozen = Arc::new(active);
            } else {
                // The previous checkpoint failed: its changes go again, under the newer ones.
                let frozen = Arc::make_mut(&mut layers.frozen);
                frozen.extend(active);
            }
            // Moved so a reader of both (metrics, without the locks) never sees zero between.
            let c = &self.inner.counters;
            let n = c.since_checkpoint.load(Ordering::SeqCst);
            c.in_checkpoint.fetch_add(n, Ordering::SeqCst);
            c.since_checkpoint.fetch_sub(n, Ordering::SeqCst);
            (layers.frozen.clone(), journal.next_lsn() - 1)
        };
        // The journal must hold everything the checkpoint will say it covers, or a start after
        // a crash could find it behind the checkpoint with a record number reused.
        self.sync()?;
        // In sled batches of a bounded size: sled holds every reader of the tree off while it
        // applies a batch, and one batch of a few seconds' changes kept requests that read
        // sled waiting for seconds. Only the last carries the position covered, so a crash
        // between two leaves sled behind its marker's word, never ahead: the start replays
        // from the old position, and records of absolute changes replay to the same state.
        let mut changes = frozen.iter().peekable();
        let mut applied: BTreeMap<u8, Applied> = BTreeMap::new();
        loop {
            let mut batch = sled::Batch::default();
            for (k, v) in changes.by_ref().take(CHECKPOINT_CHUNK) {
                if let Some(&kind) = k.first() {
                    applied.entry(kind).or_default().add(k, v.as_deref());
                }
                match v {
                    Some(v) => batch.insert(k, v),
                    None => batch.remove(k),
                }
            }
            let last = changes.peek().is_none();
            if last {
                batch.insert(JOURNAL_APPLIED_KEY, &upto.to_be_bytes());
            }
            self.inner.sled.apply_batch(batch)?;
            if last {
                break;
            }
        }
        // sled's flush, then the fdatasyncs that make it durable (`store::sync`).
        self.inner.db.flush()?;
        self.inner.files.sync().map_err(sled::Error::Io)?;
        self.inner.layers.write().frozen = Arc::default();
        self.inner.counters.in_checkpoint.store(0, Ordering::SeqCst);
        let wanted = {
            let mut journal = self.inner.journal.lock();
            journal.trim(upto)?;
            journal.spare_wanted()
        };
        if let Some((dir, size)) = wanted {
            // The next segment's zeros are written here, off the writers' path.
            let spare = journal::make_spare(&dir, size)?;
            self.inner.journal.lock().add_spare(spare);
        }
        let c = &self.inner.counters;
        {
            let mut total = c.applied.lock();
            for (kind, a) in applied {
                total.entry(kind).or_default().absorb(a);
            }
        }
        c.checkpoints.fetch_add(1, Ordering::Relaxed);
        c.checkpoint_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        Ok(Some(upto))
    }

    /// Waits for `shutdown`, then makes a last checkpoint. (Checkpoints by the policy run on
    /// the tree's own thread from the moment it opens, [`checkpointer`].)
    pub async fn run_checkpoints(self, shutdown: tokio_util::sync::CancellationToken) {
        shutdown.cancelled().await;
        self.checkpoint_in_background().await;
    }

    async fn checkpoint_in_background(&self) {
        let tree = self.clone();
        match tokio::task::spawn_blocking(move || tree.checkpoint()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                // The changes stay in the overlay and the journal; the next checkpoint retries.
                tracing::error!(target: "smsgw::store", cause = %e, "checkpoint failed");
            }
            Err(e) => tracing::error!(target: "smsgw::store", cause = %e, "checkpoint task failed"),
        }
    }

    /// Keys and values in `range`, in order.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter {
        let bound = |b: Bound<&K>| match b {
            Bound::Included(k) => Bound::Included(IVec::from(k.as_ref())),
            Bound::Excluded(k) => Bound::Excluded(IVec::from(k.as_ref())),
            Bound::Unbounded => Bound::Unbounded,
        };
        let (lo, hi) = (bound(range.start_bound()), bound(range.end_bound()));
        Iter::new(self.inner.layers.clone(), &self.inner.sled, lo, hi)
    }

    /// Keys starting with `prefix` and their values, in order.
    pub fn scan_prefix<P: AsRef<[u8]>>(&self, prefix: P) -> Iter {
        let prefix = prefix.as_ref();
        let lo = Bound::Included(IVec::from(prefix));
        let hi = match super::keys::prefix_upper(prefix) {
            Some(end) => Bound::Excluded(IVec::from(end)),
            None => Bound::Unbounded,
        };
        Iter::new(self.inner.layers.clone(), &self.inner.sled, lo, hi)
    }

    /// Journal segment files on disk.
    pub fn journal_segments(&self) -> usize {
        self.inner.journal.lock().segment_count()
    }
}

impl crate::metrics::Collector for Tree {
    fn collect(&self, out: &mut crate::metrics::Exposition) {
        let c = &self.inner.counters;
        out.counter(
            "smsgw_store_checkpoints_total",
            "Checkpoints: the journalled changes written to sled and the journal trimmed.",
            &[],
            c.checkpoints.load(Ordering::Relaxed) as f64,
        );
        out.counter(
            "smsgw_store_checkpoint_seconds_total",
            "Time spent in checkpoints.",
            &[],
            c.checkpoint_micros.load(Ordering::Relaxed) as f64 / 1e6,
        );
        out.counter(
            "smsgw_store_journal_bytes_total",
            "Bytes of changes journalled (record payloads, before framing and page rounding).",
            &[],
            c.journalled.load(Ordering::Relaxed) as f64,
        );
        for (kind, a) in c.applied.lock().iter() {
            let kind = if kind.is_ascii_graphic() {
                char::from(*kind).to_string()
            } else {
                format!("0x{kind:02x}")
            };
            let labels: &[(&str, &str)] = &[("kind", &kind)];
            out.counter(
                "smsgw_store_checkpoint_sets_total",
                "Keys checkpoints wrote to sled, by kind (the key's first byte).",
                labels,
                a.sets as f64,
            );
            out.counter(
                "smsgw_store_checkpoint_removes_total",
                "Removals checkpoints handed to sled, by kind (the key's first byte); that of a \
                 key written and removed since the checkpoint before costs sled nothing.",
                labels,
                a.removes as f64,
            );
            out.counter(
                "smsgw_store_checkpoint_bytes_total",
                "Bytes of keys and values checkpoints handed to sled, by kind.",
                labels,
                a.bytes as f64,
            );
        }
        out.gauge(
            "smsgw_store_journal_segments",
            "Journal segment files on disk.",
            &[],
            self.journal_segments() as f64,
        );
        out.gauge(
            "smsgw_store_journal_bytes_since_checkpoint",
            "Bytes journalled that no finished checkpoint has written to sled (what a start \
             would replay).",
            &[],
            (c.since_checkpoint.load(Ordering::SeqCst) + c.in_checkpoint.load(Ordering::SeqCst))
                as f64,
        );
    }
}
