//! A small file system of the soak's own for the store (a tmpfs, mounted as root), so the
//! disk can really fill up: a ballast file takes all but a little of its room, and is removed
//! again. Unmounted when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
pub struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `mib` MiB at `path`; the reason when that is not possible here (not
    /// root, no CAP_SYS_ADMIN).
    pub fn mount(path: &Path, mib: u64) -> Result<SmallDisk, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mib}m,mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(SmallDisk {
            path: path.to_path_buf(),
        })
    }

    /// Free bytes now.
    pub fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.path)
            .output()
            .ok();
        out.and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .nth(1)
                .and_then(|l| l.trim().parse().ok())
        })
        .unwrap_or(0)
    }

    /// Fills the disk until `leave` bytes are free (or as close as a write gets).
    pub fn fill(&self, leave: u64) {
        let free = self.free();
        let size = free.saturating_sub(leave);
        let chunk = vec![0u8; 1 << 20];
        let mut f = std::fs::File::create(self.ballast()).unwrap();
        let mut written = 0u64;
        while written < size {
            let n = chunk.len().min((size - written) as usize);
            if std::io::Write::write_all(&mut f, &chunk[..n]).is_err() {
                break;
            }
            written += n as u64;
        }
    }

    /// Removes the ballast: the room is back.
    pub fn free_up(&self) {
        let _ = std::fs::remove_file(self.ballast());
    }

    fn ballast(&self) -> PathBuf {
        self.path.join("ballast")
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
