//! The due queue in memory: every `D` key of the store (priority, due time, id), kept sorted
//! beside the tree, so the dispatcher reads what is due without walking the tree.
//!
//! Why: the tree's reads merge the changes not yet checkpointed over sled's own, and a
//! message handed over within the last few seconds leaves a removal of its due key in that
//! overlay until the next checkpoint. Under load the dispatcher's scan (one per wake-up, each
//! submission wakes it) walked thousands of such removals to find the few keys still there:
//! an eighth of the gateway's CPU in the profile of the side-by-side benchmark.
//!
//! The keys stay in the tree too (they are the durable truth and what a start reads back);
//! this copy follows every applied write that touches them ([`super::events`] hands it the
//! due keys of each batch after the batch is applied), in the writer's order. Memory: about
//! 40 bytes per waiting message (26-byte keys in a B-tree), 40 MB for a million queued.
//!
//! A start reads the keys back on a thread of its own ([`spawn_loader`]), so the API serves
//! at once: reading a million due keys out of sled takes seconds. Batches applied while it
//! reads are kept in order and replayed over what it read when it is done. Each change says
//! whether a key is present after its batch, so the last change of a key is its state in
//! the tree whether the scan saw the key before or after that batch; a key no batch touched
//! is read as it is. Readers wait until the keys are in (the dispatcher awaits
//! [`DueIndex::loaded`] before its first pass, so no runtime thread blocks on it).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Condvar, Mutex, RwLock};

use super::StoreError;
use super::keys;
use super::wal::{self, ops::Op};
use crate::model::{MessageId, Priority, Timestamp};

/// A due key: `D | priority rank | due ms | id` ([`keys::due`]).
type DueKey = [u8; 26];

/// The due keys of the store.
#[derive(Debug)]
pub(crate) struct DueIndex {
    keys: RwLock<BTreeSet<DueKey>>,
    /// While the start's scan runs: the changes of the batches applied meanwhile, in order.
    /// `None` once the keys are in.
    pending: Mutex<Option<Vec<DueChanges>>>,
    /// Set (with `pending` emptied) when the keys are in: readers check it first.
    ready: AtomicBool,
    /// Wakes readers of other threads waiting for the keys.
    ready_cv: Condvar,
    /// Wakes async waiters ([`DueIndex::loaded`]).
    ready_tx: tokio::sync::watch::Sender<bool>,
}

impl Default for DueIndex {
    /// An empty index that is ready (tests; a store being created has no due keys).
    fn default() -> Self {
        Self {
            keys: RwLock::default(),
            pending: Mutex::new(None),
            ready: AtomicBool::new(true),
            ready_cv: Condvar::new(),
            ready_tx: tokio::sync::watch::Sender::new(true),
        }
    }
}

/// The due keys one batch adds (`true`) or removes, in the batch's order.
pub(crate) type DueChanges = Vec<(DueKey, bool)>;

/// The thread reading the due keys at start; dropping it stops the read and waits for the
/// thread, so the tree it holds is released with the store.
#[derive(Debug)]
pub(crate) struct Loader {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How long the loader waits before reading again after a read error.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts reading the due keys of `tree` into `index` (made by [`DueIndex::loading`]).
pub(crate) fn spawn_loader(index: Arc<DueIndex>, tree: wal::Tree) -> std::io::Result<Loader> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let thread = std::thread::Builder::new()
        .name("smsgw-due-load".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            loop {
                match read_keys(&tree, &stopping) {
                    Ok(Some(set)) => {
                        let n = set.len();
                        index.install(set);
                        tracing::info!(target: "smsgw::store", queued = n,
                            ms = started.elapsed().as_millis() as u64,
                            "due queue loaded: dispatching starts");
                        return;
                    }
                    Ok(None) => return,
                    // The index stays not ready (nothing is dispatched, everything is kept);
                    // a read error at start is most likely the disk: try again.
                    Err(e) => tracing::error!(target: "smsgw::store", cause = %e,
                        retry_in_s = RETRY_AFTER.as_secs(),
                        "cannot read the due queue: nothing is dispatched until it is read"),
                }
                std::thread::sleep(RETRY_AFTER);
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
            }
        })?;
    Ok(Loader {
        stop,
        thread: Some(thread),
    })
}

/// Every due key of `tree`; `None` when `stop` was set meanwhile.
fn read_keys(tree: &wal::Tree, stop: &AtomicBool) -> Result<Option<BTreeSet<DueKey>>, StoreError> {
    let mut set = BTreeSet::new();
    for (n, k) in tree.scan_prefix([keys::DUE]).keys().enumerate() {
        if n % 4096 == 0 && stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let k = k?;
        match DueKey::try_from(k.as_ref()) {
            Ok(key) => {
                set.insert(key);
            }
            // Not a key this build writes: left alone in the tree, not dispatched.
            Err(_) => tracing::warn!(target: "smsgw::store", key = %hex::encode(&k),
                "a due-index entry of the wrong length is ignored"),
        }
    }
    Ok(Some(set))
}

impl DueIndex {
    /// An index whose keys are still to be read ([`spawn_loader`]): changes are kept until
    /// then, readers wait.
    pub(crate) fn loading() -> DueIndex {
        DueIndex {
            pending: Mutex::new(Some(Vec::new())),
            ready: AtomicBool::new(false),
            ready_tx: tokio::sync::watch::Sender::new(false),
            ..DueIndex::default()
        }
    }

    /// Reads the keys of `tree` on this thread (a store with few messages waiting: it
    /// serves as soon as it is open, with its queue).
    pub(crate) fn load_now(&self, tree: &wal::Tree) -> Result<(), StoreError> {
        let set = read_keys(tree, &AtomicBool::new(false))?.unwrap_or_default();
        self.install(set);
        Ok(())
    }

    /// Takes the keys read at start, replays over them the changes applied meanwhile, and
    /// opens the index to readers.
    fn install(&self, mut set: BTreeSet<DueKey>) {
        let mut pending = self.pending.lock();
        for changes in pending.take().unwrap_or_default() {
            apply_to(&mut set, changes);
        }
        *self.keys.write() = set;
        self.ready.store(true, Ordering::Release);
        self.ready_cv.notify_all();
        self.ready_tx.send_replace(true);
    }

    /// Resolves once the keys are in (at once when they are).
    pub(crate) fn loaded(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut ready = self.ready_tx.subscribe();
        async move {
            // An error means the index is gone, and with it anything to wait for.
            let _ = ready.wait_for(|r| *r).await;
        }
    }

    /// Whether the keys are in.
    pub(crate) fn is_loaded(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Blocks until the keys are in (readers outside the runtime; the dispatcher has awaited
    /// [`DueIndex::loaded`] before it reads).
    fn wait_loaded(&self) {
        if self.is_loaded() {
            return;
        }
        let mut pending = self.pending.lock();
        while pending.is_some() {
            self.ready_cv.wait(&mut pending);
        }
    }

    /// The due keys among `ops`, for [`DueIndex::apply`] once the batch is applied.
    pub(crate) fn changes_of(ops: &[Op]) -> DueChanges {
        ops.iter()
            .filter(|(k, _)| k.first() == Some(&keys::DUE))
            .filter_map(|(k, v)| Some((DueKey::try_from(k.as_ref()).ok()?, v.is_some())))
            .collect()
    }

    /// Follows an applied batch (kept for later while the keys are being read).
    pub(crate) fn apply(&self, changes: DueChanges) {
        if changes.is_empty() {
            return;
        }
        if !self.is_loaded() {
            let mut pending = self.pending.lock();
            if let Some(kept) = pending.as_mut() {
                kept.push(changes);
                return;
            }
            // Installed between the check and the lock: apply as usual.
        }
        apply_to(&mut self.keys.write(), changes);
    }

    /// Up to `limit` ids due at `now`, most urgent priority first, then oldest.
    pub(crate) fn due(&self, now: Timestamp, limit: usize) -> Vec<MessageId> {
        self.due_after(now, None, limit)
            .iter()
            .filter_map(|k| keys::parse_due(k).map(|(_, id)| id))
            .collect()
    }

    /// Up to `limit` keys due at `now` after `after` (from the start without), in dispatch
    /// order: key order is priority rank, then due time, then id.
    fn due_after(&self, now: Timestamp, after: Option<DueKey>, limit: usize) -> Vec<DueKey> {
        use std::ops::Bound::{Excluded, Included};
        self.wait_loaded();
        let set = self.keys.read();
        let mut out = Vec::new();
        for p in Priority::MOST_URGENT_FIRST {
            let lo = match after {
                Some(a) if a[1] > p.rank() => continue,
                Some(a) if a[1] == p.rank() => Excluded(a),
                _ => Included(bound(p, 0, 0)),
            };
            let hi = Included(bound(p, now.as_millis(), 0xff));
            if matches!((lo, hi), (Excluded(l), Included(h)) if l >= h) {
                continue;
            }
            for k in set.range((lo, hi)) {
                if out.len() >= limit {
                    return out;
                }
                out.push(*k);
            }
        }
        out
    }

    /// The ids due at `now` in dispatch order, read a few at a time: the dispatcher stops as
    /// soon as its routes are full, and the index is not held between reads.
    pub(crate) fn iter(&self, now: Timestamp) -> DueIter<'_> {
        DueIter {
            index: self,
            now,
            last: None,
            read: Vec::new().into_iter(),
            done: false,
        }
    }

    /// The earliest due time after `now` of any waiting message.
    pub(crate) fn next_after(&self, now: Timestamp) -> Option<Timestamp> {
        self.wait_loaded();
        let set = self.keys.read();
        let later = now.as_millis().saturating_add(1);
        Priority::MOST_URGENT_FIRST
            .into_iter()
            .filter_map(|p| {
                let range = bound(p, later, 0)..=bound(p, u64::MAX, 0xff);
                set.range(range).next().and_then(|k| keys::parse_due(k))
            })
            .map(|(due, _)| due)
            .min()
    }

    /// Messages waiting, due or not.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.wait_loaded();
        self.keys.read().len()
    }
}

/// Applies one batch's due changes to `set`, in the batch's order.
fn apply_to(set: &mut BTreeSet<DueKey>, changes: DueChanges) {
    for (key, present) in changes {
        if present {
            set.insert(key);
        } else {
            set.remove(&key);
        }
    }
}

/// Lazily read due ids ([`DueIndex::iter`]). Like the tree's iterators, not a snapshot: a
/// message queued while it runs may or may not be seen.
#[derive(Debug)]
pub struct DueIter<'a> {
    index: &'a DueIndex,
    now: Timestamp,
    last: Option<DueKey>,
    read: std::vec::IntoIter<DueKey>,
    done: bool,
}

/// Keys read from the index at a time.
const ITER_CHUNK: usize = 64;

impl Iterator for DueIter<'_> {
    type Item = MessageId;

    fn next(&mut self) -> Option<MessageId> {
        loop {
            if let Some(k) = self.read.next() {
                self.last = Some(k);
                match keys::parse_due(&k) {
                    Some((_, id)) => return Some(id),
                    None => continue,
                }
            }
            if self.done {
                return None;
            }
            let chunk = self.index.due_after(self.now, self.last, ITER_CHUNK);
            self.done = chunk.len() < ITER_CHUNK;
            if chunk.is_empty() {
                return None;
            }
            self.read = chunk.into_iter();
        }
    }
}

/// The lowest (`fill` 0) or highest (`fill` 0xff) due key of priority `p` due at `ms`.
fn bound(p: Priority, ms: u64, fill: u8) -> DueKey {
    let mut k = [fill; 26];
    k[0] = keys::DUE;
    k[1] = p.rank();
    k[2..10].copy_from_slice(&ms.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    fn id(n: u8) -> MessageId {
        let mut b = [0u8; 16];
        b[15] = n;
        MessageId::from_slice(&b).unwrap()
    }

    fn put(p: Priority, due: u64, n: u8) -> (DueKey, bool) {
        (keys::due(p, Timestamp(due), id(n)), true)
    }

    #[test]
    fn due_should_list_the_most_urgent_first_then_the_oldest_up_to_now() {
        let index = DueIndex::default();
        index.apply(vec![
            put(Priority::Normal, 100, 1),
            put(Priority::High, 300, 2),
            put(Priority::Low, 50, 3),
            put(Priority::Normal, 90, 4),
            put(Priority::High, 900, 5),
        ]);
        assert_eq!(
            index.due(Timestamp(300), 10),
            vec![id(2), id(4), id(1), id(3)]
        );
        assert_eq!(index.due(Timestamp(300), 2), vec![id(2), id(4)]);
        assert_eq!(
            index.iter(Timestamp(300)).collect::<Vec<_>>(),
            vec![id(2), id(4), id(1), id(3)]
        );
        assert_eq!(index.next_after(Timestamp(300)), Some(Timestamp(900)));
        assert_eq!(index.next_after(Timestamp(900)), None);
    }

    #[test]
    fn iter_should_read_past_its_chunks_across_priorities() {
        let index = DueIndex::default();
        let mut want = Vec::new();
        let mut changes = Vec::new();
        for (p, base) in [
            (Priority::High, 0u8),
            (Priority::Normal, 100),
            (Priority::Low, 200),
        ] {
            for n in 0..(ITER_CHUNK as u8 / 2 + 3) {
                changes.push(put(p, 10 + u64::from(n), base + n));
                want.push(id(base + n));
            }
        }
        changes.push(put(Priority::Normal, 5_000, 255));
        index.apply(changes);
        assert_eq!(index.iter(Timestamp(1_000)).collect::<Vec<_>>(), want);
        assert_eq!(index.due(Timestamp(1_000), 1_000), want);
    }

    #[test]
    fn apply_should_follow_removals_in_the_batch_order() {
        let index = DueIndex::default();
        let (k, _) = put(Priority::Normal, 100, 1);
        index.apply(vec![(k, true), (k, false)]);
        assert_eq!(index.len(), 0);
        index.apply(vec![(k, false), (k, true)]);
        assert_eq!(index.due(Timestamp(100), 10), vec![id(1)]);
    }

    #[test]
    fn changes_applied_while_loading_should_win_over_what_the_scan_read() {
        let index = Arc::new(DueIndex::loading());
        let (a, _) = put(Priority::Normal, 100, 1);
        let (b, _) = put(Priority::Normal, 110, 2);
        let (c, _) = put(Priority::Normal, 120, 3);
        let (d, _) = put(Priority::Normal, 130, 4);
        // While the scan runs: a is added, b removed, d added then removed.
        index.apply(vec![(a, true), (b, false)]);
        index.apply(vec![(d, true)]);
        index.apply(vec![(d, false)]);
        assert!(!index.is_loaded());
        let mut loaded = Box::pin(index.loaded());
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(loaded.as_mut().poll(&mut cx).is_pending());
        // The scan saw b (before its removal) and d (between its two changes), missed a.
        index.install(BTreeSet::from([b, c, d]));
        assert!(index.is_loaded());
        assert!(loaded.as_mut().poll(&mut cx).is_ready());
        assert_eq!(index.due(Timestamp(1_000), 10), vec![id(1), id(3)]);
        // From now on changes go straight in.
        index.apply(vec![(b, true)]);
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn readers_of_other_threads_should_wait_until_the_keys_are_in() {
        let index = Arc::new(DueIndex::loading());
        let (a, _) = put(Priority::High, 5, 7);
        let (reading, started) = std::sync::mpsc::channel();
        let reader = {
            let index = index.clone();
            std::thread::spawn(move || {
                reading.send(()).unwrap();
                index.due(Timestamp(10), 10)
            })
        };
        // The reader is reading before the keys are in: a reader that did not wait would
        // have answered nothing by the time they are.
        started.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        index.install(BTreeSet::from([a]));
        assert_eq!(reader.join().unwrap(), vec![id(7)]);
    }

    #[test]
    fn a_store_read_back_in_the_background_should_dispatch_what_it_held_and_what_came_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let mut want: Vec<MessageId> = {
            let store = crate::store::Store::open(dir.path(), 1 << 20).unwrap();
            let ids = (0..300)
                .map(|n| store.queue_for_test(&format!("+3584012{n:05}")))
                .collect();
            store.flush_blocking().unwrap();
            ids
        };
        let store = crate::store::Store::open_inner(
            dir.path(),
            1 << 20,
            crate::store::Policies::default(),
            0,
        )
        .unwrap();
        assert!(store.due_loader.is_some(), "read in the background");
        // Written while the scan may still run: kept and replayed over it.
        want.extend((300..320).map(|n| store.queue_for_test(&format!("+3584012{n:05}"))));
        futures::executor::block_on(store.due_loaded());
        assert!(store.due_queue_loaded());
        let mut due = store.due(Timestamp(u64::MAX / 2), 1_000);
        due.sort();
        want.sort();
        assert_eq!(due, want);
    }

    #[test]
    fn changes_of_should_take_only_due_keys() {
        let (k, _) = put(Priority::High, 7, 9);
        let ops: Vec<Op> = vec![
            (
                keys::message(id(9)).to_vec().into(),
                Some(b"{}".to_vec().into()),
            ),
            (k.to_vec().into(), Some(Vec::new().into())),
            (b"Dshort".to_vec().into(), None),
            (k.to_vec().into(), None),
        ];
        assert_eq!(DueIndex::changes_of(&ops), vec![(k, true), (k, false)]);
    }
}
