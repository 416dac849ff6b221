//! The overlay over sled against a model (a `BTreeMap`), through checkpoints, reopening and
//! iteration from both ends; and what the journal replays.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use super::{Batch, CheckpointPolicy, JOURNAL_APPLIED_KEY, Tree};

/// Opens sled in `dir`, retrying for up to two seconds: sled's background threads can hold
/// its file lock for a moment after the last handle is dropped (a restart never sees that).
fn open_sled(dir: &Path) -> sled::Db {
    for _ in 0..100 {
        match sled::Config::new().path(dir).open() {
            Ok(db) => return db,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    sled::Config::new().path(dir).open().unwrap()
}

fn open(dir: &Path) -> (Tree, super::Recovered) {
    let db = open_sled(dir);
    let tree = db.open_tree("t").unwrap();
    Tree::open(db, tree, dir, CheckpointPolicy::default()).unwrap()
}

fn all(t: &Tree) -> Vec<(Vec<u8>, Vec<u8>)> {
    t.range::<&[u8], _>(..)
        .map(|r| {
            let (k, v) = r.unwrap();
            (k.to_vec(), v.to_vec())
        })
        .filter(|(k, _)| k.as_slice() != JOURNAL_APPLIED_KEY)
        .collect()
}

#[test]
fn reads_should_see_the_overlay_before_and_sled_after_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = open(dir.path());
    t.insert(b"a", b"1".as_slice()).unwrap();
    t.insert(b"b", b"2".as_slice()).unwrap();
    assert_eq!(t.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
    assert!(t.checkpoint().unwrap().is_some());
    assert!(t.checkpoint().unwrap().is_none(), "nothing new to write");
    // A removal in the overlay hides what sled holds.
    assert_eq!(t.remove(b"a").unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(t.get(b"a").unwrap(), None);
    assert_eq!(t.remove(b"a").unwrap(), None);
    assert!(!t.contains_key(b"a").unwrap());
    assert_eq!(all(&t), vec![(b"b".to_vec(), b"2".to_vec())]);
    let new = t
        .update_and_fetch(b"b", |old| old.map(|v| [v, b"+"].concat()))
        .unwrap();
    assert_eq!(new.as_deref(), Some(&b"2+"[..]));
    t.checkpoint().unwrap();
    assert_eq!(all(&t), vec![(b"b".to_vec(), b"2+".to_vec())]);
}

#[test]
fn a_synced_change_should_survive_reopening_without_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (t, _) = open(dir.path());
        let mut batch = Batch::default();
        batch.insert(b"k1".as_slice(), b"v1".as_slice());
        batch.insert(b"k2".as_slice(), b"v2".as_slice());
        batch.remove(b"k1".as_slice());
        t.apply_batch(batch).unwrap();
        t.checkpoint().unwrap();
        t.insert(b"k3", b"v3".as_slice()).unwrap();
        t.remove(b"k2").unwrap();
        t.sync().unwrap();
        // Dropped without a checkpoint: k3 and the removal of k2 are only in the journal.
    }
    let (t, recovered) = open(dir.path());
    assert_eq!(recovered.replayed, 2);
    assert!(recovered.cut.is_none());
    assert_eq!(all(&t), vec![(b"k3".to_vec(), b"v3".to_vec())]);
    let covered = t.checkpoint().unwrap().unwrap();
    drop(t);
    let (t, recovered) = open(dir.path());
    assert_eq!(
        recovered.replayed, 0,
        "the checkpoint covers record {covered}"
    );
    assert_eq!(all(&t), vec![(b"k3".to_vec(), b"v3".to_vec())]);
}

#[test]
fn a_journal_record_that_is_not_ours_should_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (t, _) = open(dir.path());
        t.insert(b"k", b"v".as_slice()).unwrap();
        t.sync().unwrap();
    }
    // A record with a good checksum but a payload of an unknown format.
    {
        let mut j = super::journal::Journal::open(
            &dir.path().join("journal"),
            super::journal::Options::default(),
            0,
            |_, _| {},
        )
        .unwrap()
        .0;
        j.append(&[9, 9, 9]).unwrap();
        j.sync().unwrap();
    }
    let db = open_sled(dir.path());
    let tree = db.open_tree("t").unwrap();
    let e = Tree::open(db, tree, dir.path(), CheckpointPolicy::default()).unwrap_err();
    assert!(e.to_string().contains("journal record 2"), "{e}");
}

/// One step of the model test.
#[derive(Debug, Clone)]
enum Step {
    Put(u8, u8),
    /// A set as new (`Batch::insert_new`) where the key has no value, else a plain set.
    PutNew(u8, u8),
    Remove(u8),
    Checkpoint,
    /// Scan `lo..hi`, taking `fronts` items from the front first, then alternating.
    Scan {
        lo: u8,
        hi: u8,
        fronts: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..40, any::<u8>()).prop_map(|(k, v)| Step::Put(k, v)),
        3 => (0u8..40, any::<u8>()).prop_map(|(k, v)| Step::PutNew(k, v)),
        3 => (0u8..40).prop_map(Step::Remove),
        1 => Just(Step::Checkpoint),
        2 => (0u8..40, 0u8..42, 0u8..5).prop_map(|(lo, hi, fronts)| Step::Scan { lo, hi, fronts }),
    ]
}

/// Keys spread so some share prefixes and the overlay's chunks (128) are crossed.
fn key(k: u8) -> Vec<u8> {
    let mut v = vec![b'p', k / 8];
    v.extend(std::iter::repeat_n(k, (k % 3) as usize + 1));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn the_overlay_over_sled_should_read_like_one_map(steps in proptest::collection::vec(step(), 1..120)) {
        let dir = tempfile::tempdir().unwrap();
        let (t, _) = open(dir.path());
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for s in steps {
            match s {
                Step::Put(k, v) => {
                    t.insert(key(k), vec![v]).unwrap();
                    model.insert(key(k), vec![v]);
                }
                Step::PutNew(k, v) => {
                    let mut batch = Batch::default();
                    if !model.contains_key(&key(k)) {
                        batch.insert_new(key(k), vec![v]);
                    } else {
                        batch.insert(key(k), vec![v]);
                    }
                    t.apply_batch(batch).unwrap();
                    model.insert(key(k), vec![v]);
                }
                Step::Remove(k) => {
                    let old = t.remove(key(k)).unwrap().map(|v| v.to_vec());
                    prop_assert_eq!(old, model.remove(&key(k)));
                }
                Step::Checkpoint => {
                    t.checkpoint().unwrap();
                }
                Step::Scan { lo, hi, fronts } => {
                    let (lo, hi) = (key(lo), key(hi));
                    let want: Vec<(Vec<u8>, Vec<u8>)> = if lo < hi {
                        model.range(lo.clone()..hi.clone()).map(|(k, v)| (k.clone(), v.clone())).collect()
                    } else {
                        Vec::new()
                    };
                    let mut it = t.range(lo.as_slice()..hi.as_slice());
                    let (mut front, mut back) = (Vec::new(), Vec::new());
                    let mut turn = 0usize;
                    loop {
                        let from_front = turn < fronts as usize || turn % 2 == 0;
                        turn += 1;
                        let item = if from_front { it.next() } else { it.next_back() };
                        let Some(item) = item else { break };
                        let (k, v) = item.unwrap();
                        if from_front { front.push((k.to_vec(), v.to_vec())) } else { back.push((k.to_vec(), v.to_vec())) }
                    }
                    back.reverse();
                    front.extend(back);
                    prop_assert_eq!(front, want);
                }
            }
        }
        let prefix_scan: Vec<Vec<u8>> = t.scan_prefix([b'p', 2]).keys().map(|k| k.unwrap().to_vec()).collect();
        let want: Vec<Vec<u8>> = model.keys().filter(|k| k.starts_with(&[b'p', 2])).cloned().collect();
        prop_assert_eq!(prefix_scan, want);
        t.sync().unwrap();
        drop(t);
        let (t, _) = open(dir.path());
        let got: BTreeMap<Vec<u8>, Vec<u8>> = all(&t).into_iter().collect();
        prop_assert_eq!(got, model);
    }
}

fn num_key(i: u32) -> Vec<u8> {
    [b"n".as_slice(), &i.to_be_bytes()].concat()
}

#[test]
fn a_scan_longer_than_a_chunk_should_read_every_overlay_entry_once() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = open(dir.path());
    for i in 0u32..1000 {
        t.insert(num_key(i), i.to_le_bytes().as_slice()).unwrap();
        if i == 500 {
            t.checkpoint().unwrap();
        }
    }
    for i in (0u32..1000).step_by(3) {
        t.remove(num_key(i)).unwrap();
    }
    let want: Vec<u32> = (0..1000).filter(|i| i % 3 != 0).collect();
    let numbers = |keys: Vec<sled::IVec>| -> Vec<u32> {
        keys.iter()
            .map(|k| u32::from_be_bytes(k[1..].try_into().unwrap()))
            .collect()
    };
    let range = || t.scan_prefix(b"n");
    let got = numbers(range().keys().map(Result::unwrap).collect());
    assert_eq!(got, want);
    let rev = numbers(range().rev().map(|r| r.unwrap().0).collect());
    let mut want_rev = want.clone();
    want_rev.reverse();
    assert_eq!(rev, want_rev);
}

/// Every store write must go through the journal: a direct sled write would reach sled
/// without a journal record, and the next checkpoint or replay would not know of it.
#[test]
fn no_store_module_should_write_sled_behind_the_journal() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let forbidden = [
        "sled::Batch",
        "compare_and_swap",
        ".transaction(",
        "db.insert(",
        "db.remove(",
        "sled::Tree",
    ];
    let mut files = vec![root.clone()];
    let mut offenders = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        // The journal's tree is the one place that writes sled; sync.rs tests sled's files.
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if rel.starts_with("wal") || rel == "sync.rs" || !rel.ends_with(".rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for f in forbidden {
                if code.contains(f) {
                    offenders.push(format!("{rel}:{}: {f}", n + 1));
                }
            }
        }
        let opens = text.matches("open_tree(").count();
        if opens > usize::from(rel == "mod.rs") {
            offenders.push(format!("{rel}: opens a sled tree of its own"));
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// Starts `run_checkpoints` by `policy` on a fresh tree; returns the tree, sled's own tree
/// (to see what reached sled), the stop token and the task.
fn checkpoint_loop(
    dir: &Path,
    policy: CheckpointPolicy,
) -> (
    Tree,
    sled::Tree,
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let db = open_sled(dir);
    let sled_tree = db.open_tree("t").unwrap();
    let (t, _) = Tree::open(db, sled_tree.clone(), dir, policy).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(t.clone().run_checkpoints(stop.clone()));
    (t, sled_tree, stop, task)
}

/// The tree's checkpoint thread, not a test calling `checkpoint` itself, brings sled up to
/// date by the policy's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpoint_loop_should_write_sled_every_policy_interval() {
    let dir = tempfile::tempdir().unwrap();
    let policy = CheckpointPolicy {
        every: std::time::Duration::from_millis(20),
        bytes: 1 << 20,
    };
    let (t, sled_tree, stop, task) = checkpoint_loop(dir.path(), policy);
    t.insert(b"k", b"v".as_slice()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sled_tree.get(b"k").unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint in 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(sled_tree.get(JOURNAL_APPLIED_KEY).unwrap().is_some());
    stop.cancel();
    task.await.unwrap();
}

/// With an interval no test waits out and a size not reached, only the last checkpoint at
/// shutdown can bring the change to sled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpoint_loop_should_checkpoint_once_more_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let policy = CheckpointPolicy {
        every: std::time::Duration::from_secs(3600),
        bytes: 1 << 20,
    };
    let (t, sled_tree, stop, task) = checkpoint_loop(dir.path(), policy);
    t.insert(b"late", b"v".as_slice()).unwrap();
    assert!(sled_tree.get(b"late").unwrap().is_none());
    stop.cancel();
    task.await.unwrap();
    assert_eq!(sled_tree.get(b"late").unwrap().as_deref(), Some(&b"v"[..]));
}

/// The figure of one unlabelled sample in `tree`'s metrics.
fn metric(tree: &Tree, name: &str) -> f64 {
    use crate::metrics::Collector;
    let mut out = crate::metrics::Exposition::new();
    tree.collect(&mut out);
    let text = out.render();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// What a start would replay is counted until a checkpoint has finished writing it, and the
/// running total of journalled bytes is not reset by checkpoints.
#[test]
fn journal_byte_gauges_should_follow_writes_and_finished_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = open(dir.path());
    let pending = "smsgw_store_journal_bytes_since_checkpoint";
    let total = "smsgw_store_journal_bytes_total";
    assert_eq!(metric(&t, pending), 0.0);
    t.insert(b"k", vec![1u8; 100]).unwrap();
    let first = metric(&t, total);
    assert!(first > 100.0, "{first}");
    assert_eq!(metric(&t, pending), first);
    t.checkpoint().unwrap();
    assert_eq!(metric(&t, pending), 0.0);
    t.insert(b"k", vec![2u8; 100]).unwrap();
    assert_eq!(metric(&t, total), 2.0 * first);
    assert_eq!(metric(&t, pending), first);
}

/// The figure of the sample of `name` for kind `kind` in `tree`'s metrics, 0 when absent.
fn kind_metric(tree: &Tree, name: &str, kind: &str) -> f64 {
    use crate::metrics::Collector;
    let mut out = crate::metrics::Exposition::new();
    tree.collect(&mut out);
    let series = format!("{name}{{kind=\"{kind}\"}} ");
    out.render()
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

/// What a checkpoint hands to sled is counted by the key's first byte, after the overlay
/// has collapsed every change to a key into its last.
#[test]
fn checkpoints_should_count_what_they_hand_to_sled_by_kind_of_key() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = open(dir.path());
    t.insert(b"Ma", b"1234".as_slice()).unwrap();
    t.insert(b"Ma", b"123456".as_slice()).unwrap();
    t.insert(b"Mb", b"x".as_slice()).unwrap();
    t.remove(b"Mb").unwrap();
    t.insert(b"E1", b"ev".as_slice()).unwrap();
    t.checkpoint().unwrap();
    let sets = "smsgw_store_checkpoint_sets_total";
    let removes = "smsgw_store_checkpoint_removes_total";
    let bytes = "smsgw_store_checkpoint_bytes_total";
    assert_eq!(kind_metric(&t, sets, "M"), 1.0);
    assert_eq!(kind_metric(&t, removes, "M"), 1.0);
    assert_eq!(kind_metric(&t, bytes, "M"), (2 + 6 + 2) as f64);
    assert_eq!(kind_metric(&t, sets, "E"), 1.0);
    assert_eq!(kind_metric(&t, removes, "E"), 0.0);
    // Counters add up across checkpoints.
    t.remove(b"E1").unwrap();
    t.checkpoint().unwrap();
    assert_eq!(kind_metric(&t, sets, "E"), 1.0);
    assert_eq!(kind_metric(&t, removes, "E"), 1.0);
    assert_eq!(kind_metric(&t, bytes, "E"), (4 + 2) as f64);
}

/// A key set as new and removed before the next checkpoint leaves sled nothing to do; set
/// as new and removed after a checkpoint, its removal goes to sled as any other.
#[test]
fn a_new_key_removed_before_a_checkpoint_should_hand_sled_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = open(dir.path());
    let removes = "smsgw_store_checkpoint_removes_total";
    let mut batch = Batch::default();
    batch.insert_new(b"Da".as_slice(), b"".as_slice());
    batch.insert_new(b"Db".as_slice(), b"".as_slice());
    batch.insert_new(b"Dc".as_slice(), b"".as_slice());
    // Set as new and removed in the same batch.
    batch.remove(b"Dc".as_slice());
    t.apply_batch(batch).unwrap();
    t.insert(b"Db", b"again".as_slice()).unwrap();
    t.remove(b"Da").unwrap();
    t.remove(b"Db").unwrap();
    assert_eq!(t.get(b"Da").unwrap(), None);
    assert_eq!(t.get(b"Db").unwrap(), None);
    assert!(
        t.checkpoint().unwrap().is_some(),
        "the records are still covered"
    );
    assert_eq!(kind_metric(&t, removes, "D"), 0.0);
    // Checkpointed, then removed: sled holds it, so the removal must reach sled.
    let mut batch = Batch::default();
    batch.insert_new(b"Dd".as_slice(), b"1".as_slice());
    t.apply_batch(batch).unwrap();
    t.checkpoint().unwrap();
    t.remove(b"Dd").unwrap();
    assert_eq!(t.get(b"Dd").unwrap(), None);
    t.checkpoint().unwrap();
    assert_eq!(kind_metric(&t, removes, "D"), 1.0);
    t.sync().unwrap();
    drop(t);
    let (t, _) = open(dir.path());
    assert_eq!(all(&t), Vec::<(Vec<u8>, Vec<u8>)>::new());
}

/// A tree that nobody runs `run_checkpoints` for (a tool, a bench filling a store) still
/// checkpoints once the journal has grown by the policy's size, so its overlay stays bounded.
#[test]
fn a_tree_should_checkpoint_by_size_with_no_daemon_loop() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_sled(dir.path());
    let sled_tree = db.open_tree("t").unwrap();
    let policy = CheckpointPolicy {
        every: std::time::Duration::from_secs(3600),
        bytes: 4 << 10,
    };
    let (t, _) = Tree::open(db, sled_tree.clone(), dir.path(), policy).unwrap();
    for i in 0..64u32 {
        // Incompressible values, so the journal's bytes are what is written.
        let v: Vec<u8> = (0..128u32)
            .map(|j| (i * 131 + j * 7919) as u8 ^ (j >> 3) as u8)
            .collect();
        t.insert(i.to_be_bytes(), v).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // Counted once the checkpoint has finished (sled has the marker a moment before).
    while metric(&t, "smsgw_store_checkpoints_total") < 1.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint in 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(sled_tree.get(JOURNAL_APPLIED_KEY).unwrap().is_some());
}

/// A checkpoint larger than one sled batch writes every change and the position once, in its
/// last batch; a start after a crash between two batches (sled holding some of the newer
/// values, the old position) replays to the same state.
#[test]
fn a_checkpoint_of_many_batches_should_write_everything_and_survive_a_cut_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let n = super::CHECKPOINT_CHUNK as u32 * 2 + 17;
    {
        let (t, _) = open(dir.path());
        for i in 0..n {
            t.insert(i.to_be_bytes(), i.to_le_bytes().to_vec()).unwrap();
        }
        t.checkpoint().unwrap();
        for i in 0..n {
            t.insert(i.to_be_bytes(), (i + 1).to_le_bytes().to_vec())
                .unwrap();
        }
        t.sync().unwrap();
        // What a crash after the first batch of the next checkpoint leaves in sled.
        let mut first = sled::Batch::default();
        for i in 0..super::CHECKPOINT_CHUNK as u32 {
            first.insert(&i.to_be_bytes(), &(i + 1).to_le_bytes());
        }
        t.inner.sled.apply_batch(first).unwrap();
        t.inner.db.flush().unwrap();
    }
    let (t, _) = open(dir.path());
    let all = all(&t);
    assert_eq!(all.len(), n as usize);
    for (i, (k, v)) in all.iter().enumerate() {
        let i = i as u32;
        assert_eq!(k.as_slice(), i.to_be_bytes());
        assert_eq!(v.as_slice(), (i + 1).to_le_bytes(), "key {i}");
    }
    t.checkpoint().unwrap();
    assert_eq!(
        t.inner.sled.len(),
        n as usize + 1,
        "every key and the position"
    );
}
