//! Third-party programs run by the tests, bounded in time and never left behind: a child is
//! killed (and reaped) when its time is up and when its guard is dropped, also when the test
//! panics half-way.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running child that is killed when dropped.
#[derive(Debug)]
pub struct Bounded {
    child: Child,
    what: String,
    lines: Option<mpsc::Receiver<String>>,
}

impl Drop for Bounded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished program printed and how it ended.
#[derive(Debug)]
pub struct Finished {
    /// How long it was allowed to run.
    pub limit: Duration,
    /// Exit status; `None` when it was killed for running past its time.
    pub status: Option<std::process::ExitStatus>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Bounded {
    /// Start `cmd` with piped output (stdin closed).
    pub fn spawn(cmd: &mut Command) -> Bounded {
        let what = format!("{cmd:?}");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Bounded {
            child,
            what,
            lines: None,
        }
    }

    /// Run `cmd` to its end, for at most `limit` (killed past that: no status).
    pub fn run(cmd: &mut Command, limit: Duration) -> Finished {
        let mut b = Bounded::spawn(cmd);
        let out = b.child.stdout.take().map(drain_thread);
        let err = b.child.stderr.take().map(drain_thread);
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = b.child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = b.child.kill();
                let _ = b.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
            String::from_utf8_lossy(&h.map(|h| h.join().unwrap()).unwrap_or_default()).into_owned()
        };
        Finished {
            limit,
            status,
            stdout: text(out),
            stderr: text(err),
        }
    }

    /// The next line of standard output, waiting at most `limit`; `None` at end of output.
    /// (Standard error is passed through to the test's own.)
    pub fn next_line(&mut self, limit: Duration) -> Option<String> {
        if self.lines.is_none() {
            let (tx, rx) = mpsc::channel();
            if let Some(out) = self.child.stdout.take() {
                std::thread::spawn(move || {
                    for line in BufReader::new(out).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                });
            }
            if let Some(mut err) = self.child.stderr.take() {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut err, &mut std::io::stderr());
                });
            }
            self.lines = Some(rx);
        }
        let rx = self.lines.as_ref().unwrap();
        match rx.recv_timeout(limit) {
            Ok(line) => Some(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{} printed no line within {limit:?}", self.what)
            }
        }
    }

    /// Wait for the child to exit, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {limit:?}",
                self.what
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Finished {
    /// Whether it exited with status 0 in time.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// How it ended, for messages.
    pub fn ending(&self) -> String {
        match self.status {
            Some(s) => s.to_string(),
            None => format!("killed after {:?}", self.limit),
        }
    }
}

fn drain_thread(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}
