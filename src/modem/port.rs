//! One task owns each serial port: it writes commands one at a time, feeds every byte it
//! reads to the AT digester, answers each caller through a oneshot, and fans unsolicited
//! result codes out on their own channel.
//!
//! The task is generic over its transport ([`Transport`]: any `AsyncRead + AsyncWrite`), so
//! tests run it on `tokio::io::duplex` with a scripted peer. Timeouts are the task's: the
//! digester keeps no time. A command that times out is abandoned in the digester, so a late
//! `OK` is reported as stray instead of being taken as the answer to the next command.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout_at};
use tracing::{debug, trace, warn};

use crate::at::{Command, Digester, Event, Expect, Response, SendPdu, Urc};

/// A byte stream to a modem: a serial port, a PTY, or a test duplex.
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Transport for T {}

/// How many URCs may wait for the modem task before new ones are dropped (and counted). A
/// lost `+CMTI` is found by the periodic `AT+CMGL` sweep; an unbounded queue would let a URC
/// flood (ZTE, Huawei `^RSSI`) eat memory.
pub const URC_QUEUE: usize = 256;

/// How many callers may queue commands for one port.
const REQUEST_QUEUE: usize = 32;

/// Why a command got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortError {
    /// No final result code within the command's timeout; the command was abandoned.
    #[error("no answer to {command} within {after:?}")]
    Timeout {
        /// The command line.
        command: String,
        /// Its timeout.
        after: Duration,
    },
    /// `AT+CMGS` got no `> ` prompt in time: ESC was sent and the PDU was never written, so
    /// the part certainly did not go out.
    #[error("no `> ` prompt within {after:?} (ESC sent; the PDU was not written)")]
    NoPrompt {
        /// The prompt timeout.
        after: Duration,
    },
    /// The PDU was written but no `+CMGS`/error came in time: the part may have gone out.
    #[error("no result within {after:?} after the PDU was written")]
    NoResult {
        /// The result timeout.
        after: Duration,
    },
    /// The port task has ended (device gone, read error, shut down).
    #[error("the port is closed")]
    Closed,
    /// Reading or writing failed.
    #[error("I/O error on the port: {0}")]
    Io(String),
}

/// Counters kept by the port task, read by `GET /v1/modems`.
#[derive(Debug, Default)]
pub struct PortStats {
    /// URCs handed to the modem task.
    pub urcs: AtomicU64,
    /// URCs dropped because the modem task was behind (a flood).
    pub urcs_dropped: AtomicU64,
    /// Bytes of unprintable garbage and over-long lines discarded.
    pub garbage_bytes: AtomicU64,
    /// Final results that arrived with no command in flight (late answers after a timeout).
    pub stray: AtomicU64,
}

enum Request {
    Command {
        line: String,
        expect: Expect,
        timeout: Duration,
        reply: oneshot::Sender<Result<Response, PortError>>,
    },
    Send {
        pdu: SendPdu,
        prompt: Duration,
        result: Duration,
        reply: oneshot::Sender<Result<Response, PortError>>,
    },
    Raw {
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<(), PortError>>,
    },
}

/// The way to talk to a port task. Cheap to clone; the task ends when every handle is dropped
/// or the transport fails.
#[derive(Debug, Clone)]
pub struct PortHandle {
    tx: mpsc::Sender<Request>,
    stats: Arc<PortStats>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Command { line, .. } => write!(f, "Command({line})"),
            Request::Send { pdu, .. } => write!(f, "Send({})", pdu.command().text()),
            Request::Raw { bytes, .. } => write!(f, "Raw({} bytes)", bytes.len()),
        }
    }
}

impl PortHandle {
    /// Runs `cmd` and waits for its final result (whatever it is) for at most `timeout`. When
    /// the time runs out after some answer lines, they come back with
    /// [`FinalResult::Abandoned`](crate::at::FinalResult::Abandoned); with no lines, the answer
    /// is [`PortError::Timeout`].
    pub async fn command(&self, cmd: &Command, timeout: Duration) -> Result<Response, PortError> {
        self.command_line(cmd.expect().clone(), timeout).await
    }

    /// Runs a command line that has no builder in [`crate::at`] (vendor commands from the
    /// quirk table, such as Huawei's `AT^CURC=0`): `expect.command` is written with a CR.
    pub async fn command_line(
        &self,
        expect: Expect,
        timeout: Duration,
    ) -> Result<Response, PortError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Command {
                line: expect.command.clone(),
                expect,
                timeout,
                reply,
            })
            .await
            .map_err(|_| PortError::Closed)?;
        rx.await.map_err(|_| PortError::Closed)?
    }

    /// `AT+CMGS`: writes the command, waits up to `prompt` for `> `, writes the PDU and Ctrl-Z,
    /// then waits up to `result` for the final result (TS 27.005 §3.5.1).
    pub async fn send_pdu(
        &self,
        pdu: &SendPdu,
        prompt: Duration,
        result: Duration,
    ) -> Result<Response, PortError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Send {
                pdu: pdu.clone(),
                prompt,
                result,
                reply,
            })
            .await
            .map_err(|_| PortError::Closed)?;
        rx.await.map_err(|_| PortError::Closed)?
    }

    /// Writes bytes as they are (ESC to leave a stuck prompt).
    pub async fn write_raw(&self, bytes: &[u8]) -> Result<(), PortError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Raw {
                bytes: bytes.to_vec(),
                reply,
            })
            .await
            .map_err(|_| PortError::Closed)?;
        rx.await.map_err(|_| PortError::Closed)?
    }

    /// Whether the port task has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// The task's counters.
    pub fn stats(&self) -> &PortStats {
        &self.stats
    }
}

/// Starts the task that owns `io`. URCs arrive on the returned receiver.
pub fn spawn<T: Transport>(io: T, name: &str) -> (PortHandle, mpsc::Receiver<Urc>) {
    let (tx, rx) = mpsc::channel(REQUEST_QUEUE);
    let (urc_tx, urc_rx) = mpsc::channel(URC_QUEUE);
    let stats = Arc::new(PortStats::default());
    let task = PortTask {
        io,
        digester: Digester::default(),
        urcs: urc_tx,
        stats: stats.clone(),
        name: name.to_string(),
        buf: vec![0; 2048],
    };
    tokio::spawn(task.run(rx));
    (PortHandle { tx, stats }, urc_rx)
}

struct PortTask<T> {
    io: T,
    digester: Digester,
    urcs: mpsc::Sender<Urc>,
    stats: Arc<PortStats>,
    name: String,
    buf: Vec<u8>,
}

/// What a wait ended with.
enum Got {
    Prompt,
    Response(Response),
}

/// Why a wait ended without an answer.
enum WaitErr {
    Timeout,
    Io(PortError),
}

impl<T: Transport> PortTask<T> {
    async fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        loop {
            tokio::select! {
                req = rx.recv() => {
                    let Some(req) = req else { return };
                    if let Err(e) = self.handle(req).await {
                        debug!(target: "smsgw::modem", port = %self.name, cause = %e, "port task ends");
                        return;
                    }
                    // What came in the same read after the command's final result (a
                    // `+CMTI` the modem held while it was busy) is handed on now, not when
                    // the next bytes happen to arrive.
                    self.drain_side_events();
                }
                n = self.io.read(&mut self.buf) => match n {
                    Ok(0) => {
                        debug!(target: "smsgw::modem", port = %self.name, "port closed by the device");
                        return;
                    }
                    Ok(n) => {
                        trace!(target: "smsgw::modem", port = %self.name, bytes = ?String::from_utf8_lossy(&self.buf[..n]), "read");
                        let chunk = self.buf[..n].to_vec();
                        self.digester.feed(&chunk);
                        self.drain_side_events();
                    }
                    Err(e) => {
                        warn!(target: "smsgw::modem", port = %self.name, cause = %e, "read from port failed");
                        return;
                    }
                }
            }
        }
    }

    /// Handles one request; `Err` means the transport is gone and the task must end.
    async fn handle(&mut self, req: Request) -> Result<(), PortError> {
        match req {
            Request::Raw { bytes, reply } => {
                let r = self.write(&bytes).await;
                let _ = reply.send(r.clone());
                r
            }
            Request::Command {
                line,
                expect,
                timeout,
                reply,
            } => {
                let deadline = Instant::now() + timeout;
                let r = async {
                    let mut bytes = line.clone().into_bytes();
                    bytes.push(b'\r');
                    self.write(&bytes).await.map_err(WaitErr::Io)?;
                    self.digester.expect(&expect);
                    match self.wait(deadline).await {
                        Ok(Got::Response(r)) => Ok(r),
                        Ok(Got::Prompt) => {
                            Err(WaitErr::Io(PortError::Io("unexpected prompt".into())))
                        }
                        Err(e) => Err(e),
                    }
                }
                .await;
                let out = match r {
                    Ok(resp) => Ok(resp),
                    Err(WaitErr::Timeout) => match self.digester.abandon() {
                        // Lines without a final result (`+CPIN: READY` with no `OK` on old
                        // Wavecom firmware): hand them over as `FinalResult::Abandoned`.
                        Some(partial) if !partial.lines.is_empty() => Ok(partial),
                        _ => Err(PortError::Timeout {
                            command: line.clone(),
                            after: timeout,
                        }),
                    },
                    Err(WaitErr::Io(e)) => {
                        let _ = reply.send(Err(e.clone()));
                        return Err(e);
                    }
                };
                let _ = reply.send(out);
                Ok(())
            }
            Request::Send {
                pdu,
                prompt,
                result,
                reply,
            } => {
                let out = self.send_pdu(&pdu, prompt, result).await;
                let fatal = matches!(out, Err(PortError::Io(_) | PortError::Closed));
                let _ = reply.send(out.clone());
                match out {
                    Err(e) if fatal => Err(e),
                    _ => Ok(()),
                }
            }
        }
    }

    async fn send_pdu(
        &mut self,
        pdu: &SendPdu,
        prompt: Duration,
        result: Duration,
    ) -> Result<Response, PortError> {
        let cmd = pdu.command();
        self.write(&cmd.bytes()).await?;
        self.digester.expect(cmd.expect());
        match self.wait(Instant::now() + prompt).await {
            Ok(Got::Prompt) => {}
            // An error instead of the prompt (`+CMS ERROR: 304`, SIM busy): nothing was sent.
            Ok(Got::Response(r)) => return Ok(r),
            Err(WaitErr::Io(e)) => return Err(e),
            Err(WaitErr::Timeout) => {
                // The modem may be in text-entry state without having shown the prompt: ESC
                // leaves it, so the next command is not taken as message text.
                self.digester.abandon();
                self.write(&SendPdu::abort()).await?;
                return Err(PortError::NoPrompt { after: prompt });
            }
        }
        self.write(&pdu.body()).await?;
        match self.wait(Instant::now() + result).await {
            Ok(Got::Response(r)) => Ok(r),
            Ok(Got::Prompt) => Err(PortError::Io("second prompt".into())),
            Err(WaitErr::Io(e)) => Err(e),
            Err(WaitErr::Timeout) => {
                self.digester.abandon();
                Err(PortError::NoResult { after: result })
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), PortError> {
        trace!(target: "smsgw::modem", port = %self.name, bytes = ?String::from_utf8_lossy(bytes), "write");
        self.io
            .write_all(bytes)
            .await
            .map_err(|e| PortError::Io(e.to_string()))?;
        self.io
            .flush()
            .await
            .map_err(|e| PortError::Io(e.to_string()))
    }

    /// Reads until the command in flight shows its prompt or its final result, or `deadline`.
    async fn wait(&mut self, deadline: Instant) -> Result<Got, WaitErr> {
        loop {
            while let Some(ev) = self.digester.next_event() {
                match ev {
                    Event::Prompt => return Ok(Got::Prompt),
                    Event::Response(r) => return Ok(Got::Response(r)),
                    other => self.side_event(other),
                }
            }
            match timeout_at(deadline, self.io.read(&mut self.buf)).await {
                Err(_) => return Err(WaitErr::Timeout),
                Ok(Ok(0)) => return Err(WaitErr::Io(PortError::Closed)),
                Ok(Err(e)) => return Err(WaitErr::Io(PortError::Io(e.to_string()))),
                Ok(Ok(n)) => {
                    trace!(target: "smsgw::modem", port = %self.name, bytes = ?String::from_utf8_lossy(&self.buf[..n]), "read");
                    let chunk = self.buf[..n].to_vec();
                    self.digester.feed(&chunk);
                }
            }
        }
    }

    /// Hands on every event the digester holds while no command is in flight.
    fn drain_side_events(&mut self) {
        while let Some(ev) = self.digester.next_event() {
            self.side_event(ev);
        }
    }

    /// Everything that is not the answer to the command in flight.
    fn side_event(&mut self, ev: Event) {
        match ev {
            Event::Urc(u) => {
                self.stats.urcs.fetch_add(1, Ordering::Relaxed);
                if self.urcs.try_send(u).is_err() {
                    self.stats.urcs_dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            Event::Garbage { bytes } | Event::LineTooLong { discarded: bytes } => {
                self.stats
                    .garbage_bytes
                    .fetch_add(bytes as u64, Ordering::Relaxed);
            }
            Event::Stray(line) => {
                self.stats.stray.fetch_add(1, Ordering::Relaxed);
                debug!(target: "smsgw::modem", port = %self.name, %line, "stray result");
            }
            // A prompt or response without a command in flight cannot happen (the digester
            // only reports them for one); anything newer is ignored.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::FinalResult;
    use crate::modem::testing::{Peer, script};

    #[tokio::test(start_paused = true)]
    async fn a_command_should_get_its_answer_and_urcs_should_go_aside() {
        let (io, peer) = tokio::io::duplex(256);
        let _peer = script(peer, |line| match line {
            "AT+CSQ" => Some(b"AT+CSQ\r\r\n+CMTI: \"SM\",3\r\n+CSQ: 20,0\r\n\r\nOK\r\n".to_vec()),
            _ => None,
        });
        let (port, mut urcs) = spawn(io, "t");
        let r = port
            .command(&Command::signal_quality(), Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(r.lines, vec!["+CSQ: 20,0"]);
        assert_eq!(r.result, FinalResult::Ok);
        assert!(matches!(
            urcs.recv().await,
            Some(Urc::NewMessage { index: 3, .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_urc_right_after_the_final_result_should_be_handed_on_at_once() {
        let (io, peer) = tokio::io::duplex(256);
        // The modem held the indication while busy and flushes it behind the OK (CNMI mode 2).
        let _peer = script(peer, |line| match line {
            "AT+CSQ" => Some(b"\r\n+CSQ: 20,0\r\n\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n".to_vec()),
            _ => None,
        });
        let (port, mut urcs) = spawn(io, "t");
        port.command(&Command::signal_quality(), Duration::from_secs(1))
            .await
            .unwrap();
        // No more bytes will come: the indication must not wait for them.
        let got = tokio::time::timeout(Duration::from_secs(1), urcs.recv()).await;
        assert!(
            matches!(got, Ok(Some(Urc::NewMessage { index: 1, .. }))),
            "{got:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_modem_should_time_out_and_a_late_ok_should_be_counted_as_stray() {
        let (io, peer) = tokio::io::duplex(256);
        let peer = Peer::start(peer);
        let (port, _urcs) = spawn(io, "t");
        let e = port
            .command(&Command::attention(), Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(matches!(e, PortError::Timeout { .. }));
        assert_eq!(peer.next_line().await, "AT");
        peer.write(b"\r\nOK\r\n").await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(port.stats().stray.load(Ordering::Relaxed), 1);
        let task = tokio::spawn({
            let port = port.clone();
            async move {
                port.command(&Command::signal_quality(), Duration::from_secs(2))
                    .await
            }
        });
        assert_eq!(peer.next_line().await, "AT+CSQ");
        peer.write(b"\r\n+CSQ: 9,0\r\n\r\nOK\r\n").await;
        assert_eq!(task.await.unwrap().unwrap().lines, ["+CSQ: 9,0"]);
    }

    #[tokio::test(start_paused = true)]
    async fn cmgs_should_wait_for_the_prompt_then_write_the_pdu() {
        let (io, peer) = tokio::io::duplex(1024);
        let peer = Peer::start(peer);
        let (port, _urcs) = spawn(io, "t");
        let pdu = SendPdu::new("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 23).unwrap();
        let task = tokio::spawn({
            let port = port.clone();
            async move {
                port.send_pdu(&pdu, Duration::from_secs(10), Duration::from_secs(300))
                    .await
            }
        });
        assert_eq!(peer.next_line().await, "AT+CMGS=23");
        peer.write(b"\r\n> ").await;
        let body = peer.next_until(0x1A).await;
        assert_eq!(body, "0011000B916407281553F80000AA0AE8329BFD4697D9EC37");
        peer.write(b"\r\n+CMGS: 7\r\n\r\nOK\r\n").await;
        let r = task.await.unwrap().unwrap();
        assert_eq!(crate::at::response::sms::parse_cmgs(&r), Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_prompt_should_send_esc_and_say_nothing_was_written() {
        let (io, peer) = tokio::io::duplex(1024);
        let peer = Peer::start(peer);
        let (port, _urcs) = spawn(io, "t");
        let pdu = SendPdu::new("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 23).unwrap();
        let r = port
            .send_pdu(&pdu, Duration::from_secs(10), Duration::from_secs(300))
            .await;
        assert_eq!(
            r,
            Err(PortError::NoPrompt {
                after: Duration::from_secs(10)
            })
        );
        assert_eq!(peer.next_line().await, "AT+CMGS=23");
        assert_eq!(peer.next_until(0x1B).await, "");
    }

    #[tokio::test(start_paused = true)]
    async fn silence_after_the_pdu_should_be_an_unknown_outcome() {
        let (io, peer) = tokio::io::duplex(1024);
        let peer = Peer::start(peer);
        let (port, _urcs) = spawn(io, "t");
        let pdu = SendPdu::new("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 23).unwrap();
        let task = tokio::spawn({
            let port = port.clone();
            async move {
                port.send_pdu(&pdu, Duration::from_secs(10), Duration::from_secs(300))
                    .await
            }
        });
        assert_eq!(peer.next_line().await, "AT+CMGS=23");
        peer.write(b"> ").await;
        let _ = peer.next_until(0x1A).await;
        assert_eq!(
            task.await.unwrap(),
            Err(PortError::NoResult {
                after: Duration::from_secs(300)
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_device_should_fail_callers_with_closed() {
        let (io, peer) = tokio::io::duplex(64);
        let (port, _urcs) = spawn(io, "t");
        drop(peer);
        let r = port
            .command(&Command::attention(), Duration::from_secs(1))
            .await;
        assert!(matches!(r, Err(PortError::Closed | PortError::Io(_))));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(port.is_closed());
    }
}
