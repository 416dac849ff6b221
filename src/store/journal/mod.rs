//! The write-ahead journal (issue 15): what makes a change durable, in front of sled.
//!
//! Every change is appended as one record to an append-only journal of segment files and
//! made durable by one `fdatasync` shared by everything appended since the last one (the
//! store's single writer batches, so a sync is a group commit). sled is then updated from the
//! same records and flushed only as a checkpoint, off the request path, with the journal
//! position it covers; at start the journal is replayed after that position and segments a
//! checkpoint covers are deleted ([`Journal::trim`]).
//!
//! Why a module of our own rather than a WAL crate: the crates that exist either keep their
//! own threads and recovery callbacks (okaywal, which also calls itself early and unstable in
//! format) or do not checksum and preallocate; what the store needs is small — framing
//! ([`frame`]), zero-filled segments so `fdatasync` writes data and not the file's size or
//! extents, and a reader that cuts a torn tail and says so.
//!
//! This type does blocking I/O: it belongs to the store's writer, on a blocking thread.
//!
//! Recovery rules, in the order the reader applies them:
//! - segments are read in the order of their first sequence number (their file names);
//! - within a segment records follow one another, numbered one more than the previous;
//! - a head of zeros ends the segment's data (segments roll before they are full);
//! - anything else that is not the next record (torn, corrupt, stale) cuts the journal
//!   there: the rest of that segment is zeroed, so no leftover bytes can ever be read as a
//!   later record, and any later segment is renamed `*.cut` and kept for inspection. The
//!   cut is returned in [`Recovered::cut`] for the caller to report; it is never a crash.

pub mod frame;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use frame::{Frame, Lsn, SEGMENT_HEADER_LEN};

/// How the journal lays out its files.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Bytes of one segment file, zero-filled when it is created. A record that does not fit
    /// in what is left of a segment starts the next one (a record bigger than a segment gets a
    /// segment of its own, sized to fit).
    pub segment_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            segment_bytes: 16 << 20,
        }
    }
}

/// What went wrong with the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The file system said no (disk full, read-only, permissions).
    #[error("journal I/O on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A change bigger than a record may be.
    #[error("a journal record of {0} bytes is over the {max} byte limit", max = frame::MAX_PAYLOAD)]
    TooBig(usize),
    /// Records the checkpoint does not cover are missing: the first segment starts after the
    /// position the store needs. Starting would silently lose those changes.
    #[error(
        "the journal starts at record {first} but the store's checkpoint covers only up to \
         {covered}: records {from}..{first} are missing (was a segment file deleted?)",
        from = covered + 1
    )]
    Gap {
        /// What the checkpoint covers.
        covered: Lsn,
        /// The first record the journal holds.
        first: Lsn,
    },
    /// A segment's header is unreadable: the file is not ours or is damaged at its start.
    #[error("journal segment {path} has a bad header: {reason}")]
    BadSegment {
        /// The segment.
        path: PathBuf,
        /// What the reader said.
        reason: frame::HeaderError,
    },
    /// An earlier `fdatasync` failed. After a failed sync the kernel may have dropped the
    /// pages it could not write, so a later sync succeeding would prove nothing: the journal
    /// takes no more changes until the process restarts and recovery reads what is really
    /// on disk.
    #[error("the journal stopped taking changes after a failed sync ({0}); restart the daemon")]
    Failed(String),
}

/// Where recovery cut the journal, and why: for the operator's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The segment cut.
    pub segment: PathBuf,
    /// The byte offset in it where the last valid record ends.
    pub offset: u64,
    /// The number the next record would have had.
    pub lsn: Lsn,
    /// What was found there instead.
    pub reason: String,
    /// Later segments set aside (renamed `*.cut`), whole.
    pub set_aside: Vec<PathBuf>,
}

/// What [`Journal::open`] found.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Records replayed (those after the checkpoint's position).
    pub replayed: u64,
    /// The torn or corrupt place recovery cut, if any.
    pub cut: Option<Cut>,
}

/// One segment on disk.
#[derive(Debug)]
struct Segment {
    first_lsn: Lsn,
    path: PathBuf,
}

/// The journal: append, sync, trim. One owner.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    options: Options,
    /// Every segment, oldest first; the last is the one appended to.
    segments: Vec<Segment>,
    active: Arc<File>,
    /// Bytes of the active segment file.
    active_len: u64,
    /// Where the next record goes in the active segment (counting bytes still in `pending`).
    offset: u64,
    /// Records appended but not yet written to the active segment.
    pending: Vec<u8>,
    /// Where `pending` starts in the active segment.
    pending_at: u64,
    /// Earlier segments written to since the last sync (a roll in between).
    unsynced: Vec<Arc<File>>,
    next_lsn: Lsn,
    /// The last record a sync made durable.
    durable: Lsn,
    /// Why the journal stopped taking changes (a sync failed), if it did.
    failed: Option<String>,
    /// A zero-filled file ready to become the next segment ([`make_spare`]).
    spare: Option<Spare>,
}

/// A zero-filled segment file made ahead of need by [`make_spare`], outside the journal's
/// owner, so that starting a new segment does not write megabytes of zeros while every
/// writer waits. Named `*.spare` until used; a start deletes spares it finds.
#[derive(Debug)]
pub struct Spare {
    path: PathBuf,
    file: File,
    len: u64,
}

/// Makes a spare segment of `size` bytes in the journal's directory `dir` (blocking; hand it
/// to [`Journal::add_spare`]).
pub fn make_spare(dir: &Path, size: u64) -> Result<Spare, JournalError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{}-{n}{SPARE_SUFFIX}", std::process::id()));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(io_at(&path))?;
    write_zeros(&mut file, size).map_err(io_at(&path))?;
    file.sync_all().map_err(io_at(&path))?;
    forget_cached(&file);
    Ok(Spare {
        path,
        file,
        len: size,
    })
}

/// Drops the file's pages from the page cache (advice only: errors are ignored). Why: Linux
/// (6.x) caches a file written in big chunks in big folios, up to 1 MiB for the zero fill,
/// and a small append then dirties a whole folio: each `fdatasync` of a record of a few
/// hundred bytes wrote a megabyte (measured with `/proc/PID/io` on the `rust` machine:
/// 1,048,576 bytes per sync after a 1 MiB-chunk fill, 5,092 after dropping the cache). Pages
/// read or written afterwards come back as small folios.
fn forget_cached(file: &File) {
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
}

fn write_zeros(f: &mut File, mut left: u64) -> io::Result<()> {
    let zeros = vec![0u8; 1 << 20];
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// The slow half of a sync ([`Journal::begin_sync`]): the `fdatasync`s, run without the
/// journal, so records go on being appended meanwhile.
#[derive(Debug)]
#[must_use = "a sync job does nothing until it runs"]
pub struct SyncJob {
    files: Vec<Arc<File>>,
    dir: PathBuf,
    upto: Lsn,
}

impl SyncJob {
    /// Syncs the files; on success every record up to the returned number is durable (tell
    /// the journal with [`Journal::synced`]).
    pub fn run(&self) -> Result<Lsn, JournalError> {
        for f in &self.files {
            f.sync_data().map_err(io_at(&self.dir))?;
        }
        Ok(self.upto)
    }
}

impl Journal {
    /// Opens the journal in `dir` (creating it), calls `replay` with every record after
    /// `covered` (the position the store's last checkpoint holds) in order, and leaves the
    /// journal ready to append the record after the last valid one.
    pub fn open(
        dir: &Path,
        options: Options,
        covered: Lsn,
        mut replay: impl FnMut(Lsn, &[u8]),
    ) -> Result<(Journal, Recovered), JournalError> {
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
        let mut segments = list_segments(dir)?;
        let mut recovered = Recovered::default();
        if let Some(first) = segments.first()
            && first.first_lsn > covered + 1
        {
            return Err(JournalError::Gap {
                covered,
                first: first.first_lsn,
            });
        }
        // Read every segment; stop at the first cut.
        let mut next = segments.first().map_or(covered + 1, |s| s.first_lsn);
        let mut end_of_last = SEGMENT_HEADER_LEN as u64;
        let mut cut_at: Option<(usize, u64, String)> = None;
        for (i, seg) in segments.iter().enumerate() {
            if seg.first_lsn > next && seg.first_lsn <= covered + 1 {
                // The records missing before this segment are covered by the checkpoint (a
                // start that found the journal behind its checkpoint began a segment there).
                next = seg.first_lsn;
            }
            if seg.first_lsn != next {
                // A segment that does not follow on from the one before (its predecessor was
                // cut short, or records are missing between them).
                cut_at = Some((
                    i.saturating_sub(1),
                    end_of_last,
                    format!(
                        "segment {} starts at record {} where {next} was expected",
                        seg.path.display(),
                        seg.first_lsn
                    ),
                ));
                break;
            }
            let bytes = read_all(&seg.path)?;
            let mut at = SEGMENT_HEADER_LEN;
            loop {
                match frame::decode_record(&bytes[at..], next) {
                    Frame::Record { payload, len } => {
                        if next > covered {
                            replay(next, payload);
                            recovered.replayed += 1;
                        }
                        next += 1;
                        at += len;
                    }
                    Frame::End => {
                        // Bytes after the end (a record whose head never reached the disk
                        // while later bytes did) are cut like a torn record, so new records
                        // written there cannot be followed by them at the next start.
                        if bytes[at..].iter().any(|&b| b != 0) {
                            cut_at = Some((
                                i,
                                at as u64,
                                "bytes after the last record (a torn write)".into(),
                            ));
                        }
                        break;
                    }
                    Frame::Invalid(why) => {
                        cut_at = Some((i, at as u64, why.to_string()));
                        break;
                    }
                }
            }
            end_of_last = at as u64;
            if cut_at.is_some() {
                break;
            }
        }
        if let Some((i, offset, reason)) = cut_at {
            let set_aside = set_aside_after(&mut segments, i)?;
            zero_from(&segments[i].path, offset)?;
            end_of_last = offset;
            recovered.cut = Some(Cut {
                segment: segments[i].path.clone(),
                offset,
                lsn: next,
                reason,
                set_aside,
            });
        }
        // Everything in the journal may be older than the checkpoint (segments it covers that
        // were not yet deleted): then appending goes on after the checkpoint, in a segment of
        // its own, because records within a segment must follow one another.
        let behind = next <= covered;
        if behind {
            next = covered + 1;
        }
        let mut journal = match segments.last() {
            Some(last) if last.first_lsn <= next && !behind => {
                let active = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&last.path)
                    .map_err(io_at(&last.path))?;
                let active_len = active.metadata().map_err(io_at(&last.path))?.len();
                // Recovery read it whole (in big folios): appends must not dirty those.
                forget_cached(&active);
                let active = Arc::new(active);
                Journal {
                    dir: dir.to_path_buf(),
                    options,
                    segments,
                    active,
                    active_len,
                    offset: end_of_last,
                    pending: Vec::new(),
                    pending_at: end_of_last,
                    unsynced: Vec::new(),
                    next_lsn: next,
                    durable: next - 1,
                    failed: None,
                    spare: None,
                }
            }
            _ => {
                let (seg, active, len) = create_segment(dir, next, options.segment_bytes)?;
                let active = Arc::new(active);
                segments.push(seg);
                Journal {
                    dir: dir.to_path_buf(),
                    options,
                    segments,
                    active,
                    active_len: len,
                    offset: SEGMENT_HEADER_LEN as u64,
                    pending: Vec::new(),
                    pending_at: SEGMENT_HEADER_LEN as u64,
                    unsynced: Vec::new(),
                    next_lsn: next,
                    durable: next - 1,
                    failed: None,
                    spare: None,
                }
            }
        };
        journal.trim(covered)?;
        Ok((journal, recovered))
    }

    /// Appends one record (held in memory until [`Journal::sync`]) and returns its number.
    pub fn append(&mut self, payload: &[u8]) -> Result<Lsn, JournalError> {
        if let Some(why) = &self.failed {
            return Err(JournalError::Failed(why.clone()));
        }
        if payload.len() > frame::MAX_PAYLOAD {
            return Err(JournalError::TooBig(payload.len()));
        }
        let need = frame::record_len(payload.len()) as u64;
        if self.offset + need > self.active_len {
            self.roll(need)?;
        }
        let lsn = self.next_lsn;
        frame::encode_record(lsn, payload, &mut self.pending);
        self.offset += need;
        self.next_lsn += 1;
        Ok(lsn)
    }

    /// Writes what was appended and makes it durable with one `fdatasync` (one more for each
    /// segment rolled since the last sync). Returns the last durable record's number.
    pub fn sync(&mut self) -> Result<Lsn, JournalError> {
        let job = self.begin_sync()?;
        let result = job.run();
        self.synced(result)
    }

    /// The first half of a sync, done by the journal's owner: writes what was appended and
    /// hands back the `fdatasync`s to run without holding the journal.
    pub fn begin_sync(&mut self) -> Result<SyncJob, JournalError> {
        if let Some(why) = &self.failed {
            return Err(JournalError::Failed(why.clone()));
        }
        self.write_pending()?;
        let mut files: Vec<Arc<File>> = self.unsynced.drain(..).collect();
        files.push(self.active.clone());
        Ok(SyncJob {
            files,
            dir: self.dir.clone(),
            upto: self.next_lsn - 1,
        })
    }

    /// The end of a sync: records the records it made durable, or stops the journal if it
    /// failed (see [`JournalError::Failed`]).
    pub fn synced(&mut self, result: Result<Lsn, JournalError>) -> Result<Lsn, JournalError> {
        match result {
            Ok(upto) => {
                self.durable = self.durable.max(upto);
                Ok(self.durable)
            }
            Err(e) => {
                self.failed = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Deletes the segments whose every record is at or before `covered` (a checkpoint holds
    /// them now). The active segment is kept. Returns how many were deleted.
    pub fn trim(&mut self, covered: Lsn) -> Result<usize, JournalError> {
        let mut n = 0;
        // A segment is covered when the next one starts at or before covered + 1.
        while self.segments.len() > 1 && self.segments[1].first_lsn <= covered + 1 {
            let seg = self.segments.remove(0);
            std::fs::remove_file(&seg.path).map_err(io_at(&seg.path))?;
            n += 1;
        }
        if n > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(n)
    }

    /// The number the next appended record gets.
    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    /// The last record a sync made durable.
    pub fn durable(&self) -> Lsn {
        self.durable
    }

    /// Segment files on disk.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Where and how big a spare should be made, if none is ready: the journal's directory
    /// and its segments' size.
    pub fn spare_wanted(&self) -> Option<(PathBuf, u64)> {
        (self.spare.is_none() && self.failed.is_none())
            .then(|| (self.dir.clone(), self.options.segment_bytes))
    }

    /// Keeps `spare` for the next new segment (one at a time; another is deleted).
    pub fn add_spare(&mut self, spare: Spare) {
        if self.spare.is_none() {
            self.spare = Some(spare);
        } else {
            let _ = std::fs::remove_file(&spare.path);
        }
    }

    fn active_path(&self) -> PathBuf {
        self.segments
            .last()
            .map_or_else(|| self.dir.clone(), |s| s.path.clone())
    }

    fn write_pending(&mut self) -> Result<(), JournalError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let path = self.active_path();
        self.active
            .write_all_at(&self.pending, self.pending_at)
            .map_err(io_at(&path))?;
        self.pending_at += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Starts a new segment for a record of `need` bytes.
    fn roll(&mut self, need: u64) -> Result<(), JournalError> {
        self.write_pending()?;
        let size = self
            .options
            .segment_bytes
            .max(SEGMENT_HEADER_LEN as u64 + need);
        let (seg, file, len) = match self.spare.take() {
            Some(spare) if spare.len >= size => self.use_spare(spare)?,
            other => {
                if let Some(spare) = other {
                    let _ = std::fs::remove_file(&spare.path);
                }
                create_segment(&self.dir, self.next_lsn, size)?
            }
        };
        let old = std::mem::replace(&mut self.active, Arc::new(file));
        self.unsynced.push(old);
        self.segments.push(seg);
        self.active_len = len;
        self.offset = SEGMENT_HEADER_LEN as u64;
        self.pending_at = self.offset;
        Ok(())
    }
}

impl Journal {
    /// Makes `spare` the segment starting at the next record: its header is written and
    /// synced before the rename, so a segment file never has a placeholder header.
    fn use_spare(&self, spare: Spare) -> Result<(Segment, File, u64), JournalError> {
        let Spare { path, file, len } = spare;
        file.write_all_at(&frame::encode_header(self.next_lsn), 0)
            .and_then(|_| file.sync_data())
            .map_err(io_at(&path))?;
        let seg = Segment {
            first_lsn: self.next_lsn,
            path: self.dir.join(segment_name(self.next_lsn)),
        };
        std::fs::rename(&path, &seg.path).map_err(io_at(&path))?;
        sync_dir(&self.dir)?;
        Ok((seg, file, len))
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

const SUFFIX: &str = ".seg";
const SPARE_SUFFIX: &str = ".spare";

fn segment_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:020}{SUFFIX}")
}

/// The segments in `dir`, oldest first, each header checked against its name.
fn list_segments(dir: &Path) -> Result<Vec<Segment>, JournalError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_at(dir))? {
        let entry = entry.map_err(io_at(dir))?;
        let name = entry.file_name();
        if name
            .to_str()
            .is_some_and(|n| n.ends_with(".new") || n.ends_with(SPARE_SUFFIX))
        {
            // A segment whose creation a crash interrupted (never renamed, so never used),
            // or a spare never used.
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io_at(&path))?;
            continue;
        }
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)) else {
            continue;
        };
        let Ok(first_lsn) = stem.parse::<Lsn>() else {
            continue;
        };
        let path = entry.path();
        let mut head = [0u8; SEGMENT_HEADER_LEN];
        let read = File::open(&path)
            .and_then(|mut f| read_up_to(&mut f, &mut head))
            .map_err(io_at(&path))?;
        let header =
            frame::decode_header(&head[..read]).map_err(|reason| JournalError::BadSegment {
                path: path.clone(),
                reason,
            })?;
        if header.first_lsn != first_lsn {
            return Err(JournalError::BadSegment {
                path,
                reason: frame::HeaderError::Checksum,
            });
        }
        out.push(Segment { first_lsn, path });
    }
    out.sort_by_key(|s| s.first_lsn);
    Ok(out)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn read_all(path: &Path) -> Result<Vec<u8>, JournalError> {
    std::fs::read(path).map_err(io_at(path))
}

/// Renames every segment after index `i` to `*.cut` and drops it from the list.
fn set_aside_after(segments: &mut Vec<Segment>, i: usize) -> Result<Vec<PathBuf>, JournalError> {
    let mut out = Vec::new();
    for seg in segments.drain(i + 1..) {
        let mut to = seg.path.clone().into_os_string();
        to.push(".cut");
        let to = PathBuf::from(to);
        std::fs::rename(&seg.path, &to).map_err(io_at(&seg.path))?;
        out.push(to);
    }
    if let Some(dir) = segments.get(i).and_then(|s| s.path.parent())
        && !out.is_empty()
    {
        sync_dir(dir)?;
    }
    Ok(out)
}

/// Zeroes a segment from `offset` to its last non-zero byte and syncs it, so that what was
/// torn there can never be read again as a record once new ones are written over it.
fn zero_from(path: &Path, offset: u64) -> Result<(), JournalError> {
    let bytes = read_all(path)?;
    let from = (offset as usize).min(bytes.len());
    let Some(last) = bytes[from..].iter().rposition(|&b| b != 0) else {
        return Ok(());
    };
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_at(path))?;
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.write_all(&vec![0u8; last + 1]))
        .and_then(|_| f.sync_data())
        .map_err(io_at(path))
}

/// Creates a zero-filled segment of `size` bytes starting at `first_lsn`, synced with its
/// directory entry. Zeros are written, not just allocated, so later appends change no
/// metadata and `fdatasync` writes only the data.
fn create_segment(
    dir: &Path,
    first_lsn: Lsn,
    size: u64,
) -> Result<(Segment, File, u64), JournalError> {
    let path = dir.join(segment_name(first_lsn));
    let tmp = dir.join(format!("{}.new", segment_name(first_lsn)));
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io_at(&tmp))?;
    f.write_all(&frame::encode_header(first_lsn))
        .map_err(io_at(&tmp))?;
    write_zeros(&mut f, size.saturating_sub(SEGMENT_HEADER_LEN as u64)).map_err(io_at(&tmp))?;
    f.sync_all().map_err(io_at(&tmp))?;
    forget_cached(&f);
    std::fs::rename(&tmp, &path).map_err(io_at(&tmp))?;
    sync_dir(dir)?;
    let len = size.max(SEGMENT_HEADER_LEN as u64);
    Ok((Segment { first_lsn, path }, f, len))
}

fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

#[cfg(test)]
mod tests;
