//! What makes a sled flush durable. sled 0.34 ends `Db::flush` with `sync_file_range` on
//! Linux, which writes the log's pages out but, as its manual says, neither commits the file's
//! metadata (the blocks and size of a log that grew) nor flushes the disk's write cache: after
//! a power cut (not after a process kill, where the kernel still holds everything) writes it
//! answered for could be gone. The crash torture's power cuts lost every message acknowledged
//! in the second before the cut that way. So after each flush the store fdatasyncs sled's
//! files itself: blob files (values sled keeps outside its log, never synced by sled) first,
//! then the log, so no record on disk points to a blob that is not.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

/// sled's files in one store directory.
#[derive(Debug)]
pub struct DataFiles {
    /// sled's log (`db`): every page write goes there.
    log: File,
    /// sled's `blobs` directory.
    blobs: PathBuf,
    /// Blob files already synced (blobs are written once, never changed).
    synced_blobs: Mutex<HashSet<OsString>>,
}

impl DataFiles {
    /// Opens sled's files in `dir` (sled has created them) and syncs the directory, so the
    /// files themselves survive a power cut.
    pub fn open(dir: &Path) -> io::Result<DataFiles> {
        let log = File::open(dir.join("db"))?;
        File::open(dir)?.sync_all()?;
        Ok(DataFiles {
            log,
            blobs: dir.join("blobs"),
            synced_blobs: Mutex::default(),
        })
    }

    /// Makes what `sled::Db::flush` wrote durable. Runs on a blocking thread, after the flush.
    pub fn sync(&self) -> io::Result<()> {
        let mut synced = self.synced_blobs.lock();
        let mut present = HashSet::new();
        let mut new = false;
        match std::fs::read_dir(&self.blobs) {
            Ok(entries) => {
                for e in entries {
                    let e = e?;
                    let name = e.file_name();
                    if !synced.contains(&name) {
                        File::open(e.path())?.sync_data()?;
                        new = true;
                    }
                    present.insert(name);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if new {
            File::open(&self.blobs)?.sync_all()?;
        }
        // Blobs sled removed are forgotten, so the set stays the size of the directory.
        *synced = present;
        drop(synced);
        self.log.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_should_cover_the_log_and_new_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        db.insert(b"k", vec![7u8; 1 << 20]).unwrap();
        db.flush().unwrap();
        let files = DataFiles::open(dir.path()).unwrap();
        files.sync().unwrap();
        let blobs = std::fs::read_dir(dir.path().join("blobs")).unwrap().count();
        assert_eq!(files.synced_blobs.lock().len(), blobs);
        assert!(blobs > 0, "a 1 MiB value is a blob in sled 0.34");
    }
}
