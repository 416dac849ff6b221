//! The one task that owns a simulated modem: it reads and writes the PTY, keeps the engine's
//! timers, carries out control requests, and makes the port vanish and come back.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::engine::{Engine, Output, Timed};
use super::faults::Fault;
use super::pdu::PduError;
use super::pty::Pty;
use super::sent::SentPart;
use super::status::ModemStatus;

/// Output kept for a port nobody reads, before the oldest bytes are dropped (a real modem's
/// bytes are lost on the wire when no program has the port open).
const MAX_PENDING_OUTPUT: usize = 64 * 1024;

/// A request to the modem task.
#[derive(Debug)]
pub(crate) enum Request {
    /// Deliver a text from `from`.
    InjectText {
        from: String,
        text: String,
        ucs2: bool,
        reverse: bool,
        reply: oneshot::Sender<Result<usize, PduError>>,
    },
    /// Deliver a raw SMS-DELIVER TPDU.
    InjectTpdu {
        tpdu: Vec<u8>,
        reply: oneshot::Sender<()>,
    },
    /// Apply a fault.
    Fault {
        fault: Fault,
        reply: oneshot::Sender<()>,
    },
    /// Clear all faults.
    ClearFaults { reply: oneshot::Sender<()> },
    /// Report the state.
    Status { reply: oneshot::Sender<ModemStatus> },
}

/// State shared with handles without a round trip through the task.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Every part the network accepted, in order.
    pub sent: Mutex<Vec<SentPart>>,
    /// Where the port is (or will come back).
    pub link: Mutex<PathBuf>,
}

/// Everything the task owns.
pub(crate) struct ModemTask {
    pub engine: Engine,
    pub pty: Option<Pty>,
    pub shared: Arc<Shared>,
    pub requests: mpsc::Receiver<Request>,
    pub cancel: CancellationToken,
}

impl std::fmt::Debug for ModemTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModemTask").field("pty", &self.pty).finish()
    }
}

impl ModemTask {
    /// Run until cancelled or every handle is gone.
    pub async fn run(mut self, first: Output) {
        let mut timers: Vec<(Instant, Timed)> = Vec::new();
        let mut outbuf: Vec<u8> = Vec::new();
        let mut back_at: Option<(Instant, PathBuf)> = None;
        let mut buf = vec![0u8; 4096];
        self.apply(first, &mut timers, &mut outbuf, &mut back_at);
        loop {
            let next_timer = timers.iter().map(|(at, _)| *at).min();
            let mut out = Output::default();
            tokio::select! {
                _ = self.cancel.cancelled() => break,
                r = read_some(self.pty.as_ref(), &mut buf) => match r {
                    Ok(0) => tokio::time::sleep(Duration::from_millis(20)).await,
                    Ok(n) => self.engine.input(&buf[..n], &mut out),
                    Err(e) => {
                        tracing::debug!(cause = %e, "pty read");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                },
                r = write_some(self.pty.as_ref(), &outbuf), if !outbuf.is_empty() => match r {
                    Ok(n) => { outbuf.drain(..n.min(outbuf.len())); }
                    Err(e) => {
                        tracing::debug!(cause = %e, "pty write");
                        outbuf.clear();
                    }
                },
                req = self.requests.recv() => match req {
                    None => break,
                    Some(req) => self.request(req, &mut out, &mut back_at),
                },
                _ = sleep_until(next_timer), if next_timer.is_some() => {
                    let now = Instant::now();
                    let (due, later): (Vec<_>, Vec<_>) =
                        timers.drain(..).partition(|(at, _)| *at <= now);
                    timers = later;
                    for (_, t) in due {
                        self.engine.fire(t, &mut out);
                    }
                }
                _ = sleep_until(back_at.as_ref().map(|b| b.0)), if back_at.is_some() => {
                    if let Some((_, link)) = back_at.take() {
                        self.come_back(&link, &mut out, &mut outbuf);
                    }
                }
            }
            self.apply(out, &mut timers, &mut outbuf, &mut back_at);
        }
    }

    /// Carry out what an engine step asked for.
    fn apply(
        &mut self,
        out: Output,
        timers: &mut Vec<(Instant, Timed)>,
        outbuf: &mut Vec<u8>,
        back_at: &mut Option<(Instant, PathBuf)>,
    ) {
        let now = Instant::now();
        timers.extend(out.timers.into_iter().map(|(d, t)| (now + d, t)));
        if !out.sent.is_empty()
            && let Ok(mut sent) = self.shared.sent.lock()
        {
            sent.extend(out.sent);
        }
        if self.pty.is_some() {
            outbuf.extend_from_slice(&out.bytes);
            if outbuf.len() > MAX_PENDING_OUTPUT {
                let excess = outbuf.len() - MAX_PENDING_OUTPUT;
                outbuf.drain(..excess);
            }
        }
        if let Some(gone) = out.reenumerate {
            // The OK of AT+CFUN=1,1 is written before the USB device goes away.
            if let Some(pty) = &self.pty {
                let _ = pty.write_now(outbuf);
            }
            outbuf.clear();
            let link = self.current_link();
            self.vanish(gone, link, back_at);
        }
    }

    fn current_link(&self) -> PathBuf {
        self.shared
            .link
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    fn request(
        &mut self,
        req: Request,
        out: &mut Output,
        back_at: &mut Option<(Instant, PathBuf)>,
    ) {
        match req {
            Request::InjectText {
                from,
                text,
                ucs2,
                reverse,
                reply,
            } => {
                let r = self.engine.inject_text(&from, &text, ucs2, reverse, out);
                let _ = reply.send(r);
            }
            Request::InjectTpdu { tpdu, reply } => {
                self.engine.deliver(tpdu, out);
                let _ = reply.send(());
            }
            Request::Fault { fault, reply } => {
                if let Fault::Vanish { ms, new_link } = &fault {
                    let link = new_link.clone().unwrap_or_else(|| self.current_link());
                    self.vanish(Duration::from_millis(*ms), link, back_at);
                } else {
                    self.engine.fault(&fault, out);
                }
                let _ = reply.send(());
            }
            Request::ClearFaults { reply } => {
                self.engine.clear_faults(out);
                let _ = reply.send(());
            }
            Request::Status { reply } => {
                let mut st = self.engine.status();
                st.link = self.current_link();
                st.present = self.pty.is_some();
                let _ = reply.send(st);
            }
        }
    }

    /// Close the PTY (clients see EIO/hang-up, the link disappears) for `gone`.
    fn vanish(&mut self, gone: Duration, link: PathBuf, back_at: &mut Option<(Instant, PathBuf)>) {
        self.pty = None;
        if let Ok(mut l) = self.shared.link.lock() {
            *l = link.clone();
        }
        *back_at = Some((Instant::now() + gone, link));
    }

    /// The device is back (power-cycled), possibly under another name.
    fn come_back(&mut self, link: &std::path::Path, out: &mut Output, outbuf: &mut Vec<u8>) {
        outbuf.clear();
        match Pty::open(link) {
            Ok(pty) => {
                tracing::info!(link = %link.display(), slave = %pty.slave_path().display(), "simulated modem is back");
                self.pty = Some(pty);
                self.engine.power_on(true, out);
            }
            Err(e) => {
                tracing::error!(cause = %e, link = %link.display(), "cannot re-create the PTY")
            }
        }
    }
}

async fn read_some(pty: Option<&Pty>, buf: &mut [u8]) -> std::io::Result<usize> {
    match pty {
        Some(p) => p.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn write_some(pty: Option<&Pty>, buf: &[u8]) -> std::io::Result<usize> {
    match pty {
        Some(p) => p.write(buf).await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
