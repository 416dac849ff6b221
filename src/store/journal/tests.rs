//! The journal on real files: replay after a checkpoint, torn tails at every byte offset,
//! rolling and trimming, corruption in the middle, and the errors that must stop a start.

use std::path::{Path, PathBuf};

use super::frame::{self, Lsn, SEGMENT_HEADER_LEN};
use super::{Journal, JournalError, Options, Recovered};

/// Small segments, so rolling happens within a few records.
const SMALL: Options = Options { segment_bytes: 512 };
/// Segments a test's records fit in (the default's 16 MiB of zeros, written and synced for
/// each of the torn-tail test's hundreds of journals, would only make the test slow).
const ROOMY: Options = Options {
    segment_bytes: 64 << 10,
};

fn payload(n: u64) -> Vec<u8> {
    format!("change {n}: {}", "x".repeat((n % 7) as usize * 5)).into_bytes()
}

/// Opens `dir`, collecting what is replayed after `covered`.
fn open(dir: &Path, options: Options, covered: Lsn) -> (Journal, Recovered, Vec<(Lsn, Vec<u8>)>) {
    let mut seen = Vec::new();
    let (j, r) = Journal::open(dir, options, covered, |lsn, p| seen.push((lsn, p.to_vec())))
        .expect("the journal opens");
    (j, r, seen)
}

/// Appends records `from..=to` (their payloads by number) and syncs them.
fn write(j: &mut Journal, from: u64, to: u64) {
    for n in from..=to {
        assert_eq!(j.append(&payload(n)).unwrap(), n);
    }
    assert_eq!(j.sync().unwrap(), to);
}

fn expect_records(seen: &[(Lsn, Vec<u8>)], from: u64, to: u64) {
    let want: Vec<(Lsn, Vec<u8>)> = (from..=to).map(|n| (n, payload(n))).collect();
    assert_eq!(seen, want.as_slice());
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn reopening_should_replay_exactly_the_records_after_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, r, seen) = open(dir.path(), Options::default(), 0);
    assert!(seen.is_empty() && r.cut.is_none());
    assert_eq!(j.next_lsn(), 1);
    write(&mut j, 1, 20);
    assert_eq!(j.durable(), 20);
    drop(j);

    let (_, r, seen) = open(dir.path(), Options::default(), 0);
    assert_eq!(r.replayed, 20);
    expect_records(&seen, 1, 20);

    // A checkpoint that covers up to 12: only 13..=20 come back, and appends go on at 21.
    let (mut j, r, seen) = open(dir.path(), Options::default(), 12);
    assert!(r.cut.is_none());
    expect_records(&seen, 13, 20);
    assert_eq!(j.next_lsn(), 21);
    write(&mut j, 21, 22);
    drop(j);
    let (_, _, seen) = open(dir.path(), Options::default(), 20);
    expect_records(&seen, 21, 22);
}

#[test]
fn appended_but_unsynced_records_are_not_claimed_durable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), Options::default(), 0);
    write(&mut j, 1, 3);
    j.append(b"pending").unwrap();
    assert_eq!(j.durable(), 3);
    assert_eq!(j.next_lsn(), 5);
}

/// The byte range of the last record of a journal holding records 1..=`last` in one segment.
fn last_record_range(last: u64) -> (usize, usize) {
    let before: usize = (1..last).map(|n| frame::record_len(payload(n).len())).sum();
    let start = SEGMENT_HEADER_LEN + before;
    (start, start + frame::record_len(payload(last).len()))
}

#[test]
fn a_last_record_torn_at_any_byte_should_recover_to_the_one_before() {
    for garbage in [false, true] {
        let (start, end) = last_record_range(5);
        for cut in start..end {
            let dir = tempfile::tempdir().unwrap();
            let (mut j, _, _) = open(dir.path(), ROOMY, 0);
            write(&mut j, 1, 5);
            drop(j);
            // What a power cut can leave: the record's first `cut - start` bytes on disk,
            // the rest zeros (never written) or garbage (an older use of those sectors).
            let seg = &segments(dir.path())[0];
            let mut bytes = std::fs::read(seg).unwrap();
            for (i, b) in bytes[cut..end].iter_mut().enumerate() {
                *b = if garbage { 0xA5 ^ i as u8 } else { 0 };
            }
            std::fs::write(seg, &bytes).unwrap();

            let (mut j, r, seen) = open(dir.path(), ROOMY, 0);
            expect_records(&seen, 1, 4);
            let torn = bytes[start..end].iter().any(|&b| b != 0);
            assert_eq!(
                r.cut.is_some(),
                torn,
                "cut at byte {cut} (garbage {garbage})"
            );
            if let Some(c) = &r.cut {
                assert_eq!((c.offset, c.lsn), (start as u64, 5), "{c:?}");
            }
            // The journal goes on from there, and what follows reads back after a restart.
            assert_eq!(j.next_lsn(), 5);
            write(&mut j, 5, 6);
            drop(j);
            let (_, r, seen) = open(dir.path(), ROOMY, 0);
            assert!(r.cut.is_none(), "after the cut at {cut}: {:?}", r.cut);
            expect_records(&seen, 1, 6);
        }
    }
}

#[test]
fn a_long_record_torn_over_a_shorter_new_one_leaves_nothing_readable_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), ROOMY, 0);
    write(&mut j, 1, 2);
    let long = vec![7u8; 300];
    j.append(&long).unwrap();
    j.sync().unwrap();
    drop(j);
    // Tear the long record's head (its tail bytes stay on disk).
    let seg = &segments(dir.path())[0];
    let mut bytes = std::fs::read(seg).unwrap();
    let (start, _) = last_record_range(3);
    bytes[start..start + 16].fill(0);
    std::fs::write(seg, &bytes).unwrap();

    let (mut j, r, seen) = open(dir.path(), ROOMY, 0);
    expect_records(&seen, 1, 2);
    assert!(r.cut.is_some(), "the bytes after the end are reported");
    j.append(b"short").unwrap();
    j.sync().unwrap();
    drop(j);
    let (_, r, seen) = open(dir.path(), ROOMY, 0);
    assert!(r.cut.is_none(), "{:?}", r.cut);
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2], (3, b"short".to_vec()));
}

#[test]
fn segments_roll_and_a_checkpoint_trims_the_ones_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 60);
    let rolled = j.segment_count();
    assert!(rolled > 3, "{rolled} segments");
    assert_eq!(segments(dir.path()).len(), rolled);

    // Nothing is covered yet: nothing goes.
    assert_eq!(j.trim(0).unwrap(), 0);
    // Covered up to 30: every segment whose records all are at or before 30 goes.
    let gone = j.trim(30).unwrap();
    assert!(gone > 0);
    let left = segments(dir.path());
    let first: Lsn = left[0]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        first <= 31,
        "the segment holding 31 stays (starts at {first})"
    );
    drop(j);
    let (mut j, r, seen) = open(dir.path(), SMALL, 30);
    assert!(r.cut.is_none());
    expect_records(&seen, 31, 60);
    // Covering everything keeps the active segment only.
    j.trim(60).unwrap();
    assert_eq!(j.segment_count(), 1);
    write(&mut j, 61, 61);
    drop(j);
    let (_, _, seen) = open(dir.path(), SMALL, 60);
    expect_records(&seen, 61, 61);
}

#[test]
fn a_missing_segment_the_checkpoint_needs_should_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 60);
    drop(j);
    std::fs::remove_file(&segments(dir.path())[0]).unwrap();
    let e = Journal::open(dir.path(), SMALL, 0, |_, _| {}).unwrap_err();
    assert!(matches!(e, JournalError::Gap { covered: 0, .. }), "{e}");
    assert!(e.to_string().contains("missing"), "{e}");
}

#[test]
fn corruption_in_a_middle_segment_should_cut_there_and_set_the_rest_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 60);
    drop(j);
    let segs = segments(dir.path());
    assert!(segs.len() >= 4);
    let second_first: Lsn = segs[1]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // Flip one bit in the second segment's first record.
    let mut bytes = std::fs::read(&segs[1]).unwrap();
    bytes[SEGMENT_HEADER_LEN + 20] ^= 0x10;
    std::fs::write(&segs[1], &bytes).unwrap();

    let (mut j, r, seen) = open(dir.path(), SMALL, 0);
    expect_records(&seen, 1, second_first - 1);
    let cut = r.cut.expect("the corruption is reported");
    assert_eq!(cut.lsn, second_first);
    assert_eq!(cut.segment, segs[1]);
    assert_eq!(cut.set_aside.len(), segs.len() - 2);
    for p in &cut.set_aside {
        assert!(
            p.exists() && p.to_string_lossy().ends_with(".seg.cut"),
            "{p:?}"
        );
    }
    // Appending goes on at the cut, and the set-aside segments are not read again.
    assert_eq!(j.next_lsn(), second_first);
    write(&mut j, second_first, second_first + 2);
    drop(j);
    let (_, r, seen) = open(dir.path(), SMALL, 0);
    assert!(r.cut.is_none(), "{:?}", r.cut);
    expect_records(&seen, 1, second_first + 2);
}

#[test]
fn a_record_bigger_than_a_segment_gets_a_segment_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 2);
    let big = vec![0x5Au8; 4000];
    assert_eq!(j.append(&big).unwrap(), 3);
    write(&mut j, 4, 5);
    drop(j);
    let (_, r, seen) = open(dir.path(), SMALL, 0);
    assert!(r.cut.is_none());
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[2], (3, big));
}

#[test]
fn a_change_over_the_limit_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    let huge = vec![0u8; frame::MAX_PAYLOAD + 1];
    assert!(matches!(j.append(&huge), Err(JournalError::TooBig(_))));
    assert_eq!(j.next_lsn(), 1);
    write(&mut j, 1, 1);
}

#[test]
fn a_segment_that_is_not_ours_should_refuse_to_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 3);
    drop(j);
    let seg = &segments(dir.path())[0];
    let mut bytes = std::fs::read(seg).unwrap();
    bytes[0] = b'X';
    std::fs::write(seg, &bytes).unwrap();
    let e = Journal::open(dir.path(), SMALL, 0, |_, _| {}).unwrap_err();
    assert!(matches!(e, JournalError::BadSegment { .. }), "{e}");
    assert!(e.to_string().contains(&seg.display().to_string()), "{e}");
}

#[test]
fn a_checkpoint_newer_than_the_journal_should_append_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 3);
    drop(j);
    // The store checkpointed up to 3 and then (say) the journal was moved aside.
    let (j, r, seen) = open(dir.path(), SMALL, 3);
    assert!(seen.is_empty() && r.cut.is_none());
    assert_eq!(j.next_lsn(), 4);
    drop(j);
    let fresh = tempfile::tempdir().unwrap();
    let (j, _, _) = open(fresh.path(), SMALL, 41);
    assert_eq!(j.next_lsn(), 42);
}

#[test]
fn a_segment_whose_creation_was_interrupted_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    write(&mut j, 1, 2);
    drop(j);
    let half = dir.path().join("00000000000000000003.seg.new");
    std::fs::write(&half, b"half").unwrap();
    let (_, r, seen) = open(dir.path(), SMALL, 0);
    assert!(r.cut.is_none());
    expect_records(&seen, 1, 2);
    assert!(!half.exists());
}

#[test]
fn records_appended_after_a_checkpoint_ahead_of_the_journal_replay_without_a_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), ROOMY, 0);
    write(&mut j, 1, 3);
    drop(j);
    // The checkpoint covers 1..=5 but the journal kept only 1..=3 (4 and 5 were never
    // synced to it): appending resumes at 6, and 6.. must come back at the next start.
    let (mut j, r, seen) = open(dir.path(), ROOMY, 5);
    assert!(seen.is_empty() && r.cut.is_none());
    write(&mut j, 6, 8);
    drop(j);
    let (j, r, seen) = open(dir.path(), ROOMY, 5);
    assert!(r.cut.is_none(), "{:?}", r.cut);
    expect_records(&seen, 6, 8);
    assert_eq!(j.next_lsn(), 9);
    assert_eq!(
        segments(dir.path()).len(),
        1,
        "the covered segment is deleted"
    );
}

#[test]
fn a_spare_made_ahead_should_become_the_next_segment_and_unused_spares_go_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut j, _, _) = open(dir.path(), SMALL, 0);
    let (at, size) = j.spare_wanted().unwrap();
    j.add_spare(super::make_spare(&at, size).unwrap());
    assert!(j.spare_wanted().is_none(), "one spare at a time");
    // Enough records to roll twice: the first roll takes the spare, the second makes its own.
    write(&mut j, 1, 40);
    assert!(segments(dir.path()).len() >= 3);
    let spares = |d: &Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "spare")
            })
            .count()
    };
    assert_eq!(
        spares(dir.path()),
        0,
        "the spare was renamed into a segment"
    );
    let (at, size) = j.spare_wanted().unwrap();
    j.add_spare(super::make_spare(&at, size).unwrap());
    assert_eq!(spares(dir.path()), 1);
    drop(j);
    let (j, r, seen) = open(dir.path(), SMALL, 0);
    assert!(r.cut.is_none(), "{:?}", r.cut);
    expect_records(&seen, 1, 40);
    assert_eq!(j.next_lsn(), 41);
    assert_eq!(spares(dir.path()), 0, "an unused spare is deleted at start");
}

/// Bytes this thread has caused to be written to storage (`/proc/thread-self/io`), if the
/// kernel accounts them.
fn thread_write_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_small_record_synced_should_write_kilobytes_not_the_zero_fills_folio() {
    let dir = tempfile::tempdir().unwrap();
    let before_fill = thread_write_bytes();
    let (mut j, _, _) = open(dir.path(), Options::default(), 0);
    let (Some(before_fill), Some(after_fill)) = (before_fill, thread_write_bytes()) else {
        panic!("no /proc/thread-self/io on this kernel");
    };
    if after_fill - before_fill < Options::default().segment_bytes {
        // tmpfs and some overlay file systems do not account writes to a disk.
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "the temporary directory's file system accounts no writes, so this cannot be checked"
        );
        eprintln!("notice: writes not accounted on this file system; not checked");
        return;
    }
    const N: u64 = 200;
    for n in 1..=N {
        j.append(&[b'r'; 300]).unwrap();
        j.sync().unwrap();
        assert_eq!(j.durable(), n);
    }
    let per_sync = (thread_write_bytes().unwrap() - after_fill) / N;
    // A 4 KiB page, sometimes two, plus the file system's own: never the 1 MiB folios the
    // zero fill was cached in.
    assert!(
        per_sync <= 12 << 10,
        "{per_sync} bytes written per sync of 300 bytes"
    );
}
