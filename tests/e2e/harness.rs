//! Starts the `smsgw` binary on a free loopback port with a temporary data directory, and
//! stops it gracefully (SIGTERM) or brutally (SIGKILL).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_smsgw");

/// How long a start may take before the test fails (generous: debug builds, busy CI).
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running daemon.
pub struct Daemon {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Writes `config` into `dir` and returns its path.
pub fn write_config(dir: &Path, config: &str) -> PathBuf {
    let path = dir.join("smsgw.toml");
    std::fs::write(&path, config).unwrap();
    path
}

impl Daemon {
    /// Starts the daemon with `config` (a file in `dir`) and its store in `dir/data`. It logs
    /// warnings to the test's output; `SMSGW_DAEMON_LOG` sets another filter when a run needs
    /// a closer look (`SMSGW_DAEMON_LOG=warn,smsgw::modem=debug`).
    pub fn start(dir: &Path, config: &Path) -> Daemon {
        let mut child = Command::new(BIN)
            .args(["run", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .env(
                "RUST_LOG",
                std::env::var("SMSGW_DAEMON_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("smsgw: listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(START_LIMIT)
            .unwrap_or_else(|_| panic!("smsgw did not start within {START_LIMIT:?}"));
        Daemon {
            child: Some(child),
            base,
        }
    }

    /// The process id, while it runs (the soak reads its resources under /proc).
    #[allow(dead_code)]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends `signal` (`HUP`, `TERM`, …) to the process.
    pub fn signal(&self, signal: &str) {
        let c = self.child.as_ref().expect("daemon already stopped");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &c.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status if the process has already exited by itself (a crash), else `None`.
    #[allow(dead_code)] // used by the torture test binary, which includes this file
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().unwrap())
    }

    /// Kills the process at once (SIGKILL): no flush, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Asks for a graceful stop (SIGTERM) and waits for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut c = self.child.take().expect("daemon already stopped");
        let status = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "smsgw did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A configuration with no routes, on loopback, for tests that only need the queue.
pub const QUEUE_ONLY: &str = r#"
[messages]
default_country = "358"
[log]
filter = "warn"
"#;
