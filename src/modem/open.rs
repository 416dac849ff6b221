//! Opening a modem's port: exclusively, with a clear message when another program (such as
//! ModemManager) holds it, and finding a re-enumerated stick again by its IMEI when its
//! configured path is gone.

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;

use super::port::{self, Transport};
use crate::at::Command;
use crate::at::response::identity::parse_imei;
use crate::dispatch::BoxFuture;

/// A boxed transport, as opened.
pub type BoxTransport = Box<dyn Transport>;

/// Opens the byte stream to one modem. Production opens a serial device; tests hand out
/// duplex streams.
pub trait Opener: Send + Sync + Debug + 'static {
    /// Opens the port, or says why not in words an operator can act on.
    fn open(&self) -> BoxFuture<Result<BoxTransport, String>>;

    /// Remembers the modem's IMEI, so a later open can find it on another port.
    fn remember_imei(&self, imei: &str) {
        let _ = imei;
    }
}

/// Opens a serial device (tokio-serial) exclusively.
#[derive(Debug)]
pub struct SerialOpener {
    path: PathBuf,
    baud: u32,
    imei: Mutex<Option<String>>,
}

impl SerialOpener {
    /// An opener for `path` at `baud`.
    pub fn new(path: PathBuf, baud: u32) -> Self {
        SerialOpener {
            path,
            baud,
            imei: Mutex::new(None),
        }
    }
}

impl Opener for SerialOpener {
    fn open(&self) -> BoxFuture<Result<BoxTransport, String>> {
        let path = self.path.clone();
        let baud = self.baud;
        let imei = self.imei.lock().clone();
        Box::pin(async move {
            if path.exists() {
                return open_serial(&path, baud).await;
            }
            let Some(imei) = imei else {
                return Err(format!("{} does not exist (unplugged?)", path.display()));
            };
            find_by_imei(&imei, baud).await.ok_or_else(|| {
                format!(
                    "{} does not exist and no other port answers with IMEI {imei}",
                    path.display()
                )
            })
        })
    }

    fn remember_imei(&self, imei: &str) {
        *self.imei.lock() = Some(imei.to_string());
    }
}

/// Opens `path` with exclusive access (TIOCEXCL), refusing when another process has it open.
pub async fn open_serial(path: &Path, baud: u32) -> Result<BoxTransport, String> {
    let p = path.to_path_buf();
    let others = tokio::task::spawn_blocking(move || other_openers(&p))
        .await
        .unwrap_or_default();
    if !others.is_empty() {
        return Err(format!(
            "{} is already open in another program ({}); two programs on one modem port \
             corrupt each other's dialogue. Stop it, or tell ModemManager to ignore the modem \
             (udev: ENV{{ID_MM_DEVICE_IGNORE}}=\"1\")",
            path.display(),
            others.join(", ")
        ));
    }
    let builder = tokio_serial::new(path.to_string_lossy(), baud);
    let mut stream = tokio_serial::SerialStream::open(&builder).map_err(|e| {
        if matches!(
            e.kind,
            tokio_serial::ErrorKind::Io(std::io::ErrorKind::PermissionDenied)
        ) {
            format!(
                "cannot open {}: permission denied (add the smsgw user to the dialout group)",
                path.display()
            )
        } else {
            format!(
                "cannot open {}: {e} (if it is busy, another program such as ModemManager has it)",
                path.display()
            )
        }
    })?;
    #[cfg(unix)]
    {
        let _ = stream.set_exclusive(true);
    }
    #[cfg(not(unix))]
    let _ = &mut stream;
    Ok(Box::new(stream))
}

/// Other processes holding `path` open, as `pid (name)`: found through `/proc/*/fd` on Linux;
/// empty elsewhere or when `/proc` cannot be read.
///
/// Pseudo-terminals (`/dev/pts/*`) are not checked: the program on the other side of one
/// (hw-sim, socat, ser2net, remserial) is expected to hold it, often through the slave side too,
/// and ModemManager, the usual intruder, never probes them.
pub fn other_openers(path: &Path) -> Vec<String> {
    let Ok(target) = std::fs::canonicalize(path) else {
        return Vec::new();
    };
    if target.starts_with("/dev/pts") {
        return Vec::new();
    }
    let me = std::process::id().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in procs.flatten() {
        let pid = p.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
        {
            let name = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            out.push(format!("pid {pid} ({})", name.trim()));
        }
    }
    out
}

/// Tries every `/dev/serial/by-id` entry (then `ttyUSB*`/`ttyACM*`) and returns the port whose
/// modem answers `AT+CGSN` with `imei`. Ports open elsewhere are skipped.
pub async fn find_by_imei(imei: &str, baud: u32) -> Option<BoxTransport> {
    let candidates = tokio::task::spawn_blocking(candidate_ports)
        .await
        .unwrap_or_default();
    for path in candidates {
        let Ok(io) = open_serial(&path, baud).await else {
            continue;
        };
        let (handle, _urcs) = port::spawn(io, &path.to_string_lossy());
        let t = Duration::from_secs(2);
        let _ = handle.command(&Command::echo_off(), t).await;
        let found = match handle.command(&Command::imei(), t).await {
            Ok(r) => parse_imei(&r).ok().is_some_and(|i| i == imei),
            Err(_) => false,
        };
        drop(handle);
        if found {
            // Reopen: the probe's port task owned the stream and has ended with its handle.
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Ok(io) = open_serial(&path, baud).await {
                return Some(io);
            }
        }
    }
    None
}

fn candidate_ports() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(d) = std::fs::read_dir("/dev/serial/by-id") {
        out.extend(d.flatten().map(|e| e.path()));
    }
    if out.is_empty() {
        if let Ok(d) = std::fs::read_dir("/dev") {
            out.extend(d.flatten().map(|e| e.path()).filter(|p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .is_some_and(|n| n.starts_with("ttyUSB") || n.starts_with("ttyACM"))
            }));
        }
    }
    out.sort();
    out
}
