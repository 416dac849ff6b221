//! The pseudo-terminal a simulated modem lives on: the slave side is symlinked at the link path
//! so any program can open it like `/dev/ttyUSB0`; the simulator reads and writes the master
//! side through tokio's `AsyncFd` (non-blocking, never blocking the runtime).
//!
//! The simulator keeps its own handle on the slave open, so that a client closing the port does
//! not make the master report end-of-file, and sets the slave to raw mode (`cfmakeraw`), so the
//! line discipline neither echoes the modem's output back nor buffers lines; clients that set
//! their own termios (gammu, smstools, tokio-serial) do so on top.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
use tokio::io::unix::AsyncFd;

/// An open pseudo-terminal with its slave side linked at a path. Dropping it closes both sides
/// and removes the link.
#[derive(Debug)]
pub struct Pty {
    master: AsyncFd<File>,
    _slave: OwnedFd,
    slave_path: PathBuf,
    link: PathBuf,
}

impl Pty {
    /// Open a PTY and symlink its slave at `link`. A stale link (left by a simulator that was
    /// killed: its `/dev/pts/N` is gone) is replaced; a live one, the port of a running
    /// simulator, is not: that is an [`io::ErrorKind::AlreadyExists`] error, checked before
    /// anything is created.
    pub fn open(link: &Path) -> io::Result<Pty> {
        let stale = match std::fs::symlink_metadata(link) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
            Ok(meta) if meta.file_type().is_symlink() && std::fs::metadata(link).is_err() => true,
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "it is the port of a running modem (linked to {}); stop that one or \
                         remove the link",
                        std::fs::read_link(link).unwrap_or_default().display()
                    ),
                ));
            }
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "it exists and is not a link to a modem",
                ));
            }
        };
        let pair = nix::pty::openpty(None, None).map_err(io::Error::from)?;
        // openpty(3) does not set close-on-exec: without it every program started after this
        // one (a gateway under test, gammu) inherits the master, and an unplug that closes it
        // here leaves the port alive in the child: no hang-up, so nothing was unplugged.
        for fd in [&pair.master, &pair.slave] {
            fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
        }
        let mut tio = tcgetattr(&pair.slave).map_err(io::Error::from)?;
        cfmakeraw(&mut tio);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &tio).map_err(io::Error::from)?;
        let flags = fcntl(&pair.master, FcntlArg::F_GETFL).map_err(io::Error::from)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(&pair.master, FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
        let slave_path = nix::unistd::ttyname(&pair.slave).map_err(io::Error::from)?;
        if stale {
            std::fs::remove_file(link)?;
        }
        std::os::unix::fs::symlink(&slave_path, link)?;
        // `AsyncFd::new` is deprecated because a generic `AsRawFd` may hand out a descriptor it
        // does not own; a `File` owns its descriptor for its whole life, which is exactly what
        // `AsyncFd::register`'s safety contract asks, so the safe constructor is sound here.
        #[allow(deprecated)]
        let master = AsyncFd::new(File::from(pair.master))?;
        Ok(Pty {
            master,
            _slave: pair.slave,
            slave_path,
            link: link.to_owned(),
        })
    }

    /// The link path clients open.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// The `/dev/pts/N` the link points to.
    pub fn slave_path(&self) -> &Path {
        &self.slave_path
    }

    /// Read what clients wrote (waits until something is there).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.master.readable().await?;
            match guard.try_io(|inner| inner.get_ref().read(buf)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Write some of `buf` (waits until the PTY can take bytes).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.master.writable().await?;
            match guard.try_io(|inner| inner.get_ref().write(buf)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}

impl Pty {
    /// Write without waiting (the descriptor is non-blocking): what fits goes out now.
    pub fn write_now(&self, buf: &[u8]) -> io::Result<usize> {
        self.master.get_ref().write(buf)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Only remove the link if it still points at our slave (another simulator may own it).
        if std::fs::read_link(&self.link).is_ok_and(|t| t == self.slave_path) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}
