//! The in-process API of a simulated modem: start it, learn its port, inject messages and
//! faults, read what it sent, shut it down. smsgw's tests use this without HTTP; the control
//! endpoint is a thin layer over [`ModemControl`].

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::config::ModemConfig;
use super::engine::{Engine, Output};
use super::faults::Fault;
use super::pdu::PduError;
use super::pty::Pty;
use super::sent::{SentMessage, SentPart, group};
use super::status::ModemStatus;
use super::task::{ModemTask, Request, Shared};

/// Why a simulated modem could not start or answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The PTY, its link or the temporary directory could not be created.
    /// (The cause is the error's source, which `{:#}` and error reports print after it.)
    #[error("cannot create the modem's port at {link}")]
    Port {
        /// The link path.
        link: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The modem task is gone (shut down).
    #[error("the simulated modem has stopped")]
    Stopped,
    /// An injected message could not be encoded.
    #[error(transparent)]
    Pdu(#[from] PduError),
}

/// A cloneable remote control of one running simulated modem.
#[derive(Debug, Clone)]
pub struct ModemControl {
    tx: mpsc::Sender<Request>,
    shared: Arc<Shared>,
}

impl ModemControl {
    /// Where the port is linked now (or where it will come back after a vanish fault).
    pub fn link(&self) -> PathBuf {
        self.shared
            .link
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Request,
    ) -> Result<T, SimError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(make(tx))
            .await
            .map_err(|_| SimError::Stopped)?;
        rx.await.map_err(|_| SimError::Stopped)
    }

    /// Deliver a text message from `from` (encoded by smsgw's GSM codec; split into
    /// concatenated parts when long; UCS-2 when needed or when `ucs2`); `reverse` delivers the
    /// parts last first. Returns the number of parts.
    pub async fn inject_text(
        &self,
        from: &str,
        text: &str,
        ucs2: bool,
        reverse: bool,
    ) -> Result<usize, SimError> {
        let r = self
            .ask(|reply| Request::InjectText {
                from: from.to_owned(),
                text: text.to_owned(),
                ucs2,
                reverse,
                reply,
            })
            .await?;
        Ok(r?)
    }

    /// Deliver a raw SMS-DELIVER TPDU (without SMSC address), for PDUs the codec would not
    /// build (odd senders, odd coding).
    pub async fn inject_tpdu(&self, tpdu: Vec<u8>) -> Result<(), SimError> {
        self.ask(|reply| Request::InjectTpdu { tpdu, reply }).await
    }

    /// Apply a fault.
    pub async fn fault(&self, fault: Fault) -> Result<(), SimError> {
        self.ask(|reply| Request::Fault { fault, reply }).await
    }

    /// Clear every fault (a hung modem answers again).
    pub async fn clear_faults(&self) -> Result<(), SimError> {
        self.ask(|reply| Request::ClearFaults { reply }).await
    }

    /// The modem's state.
    pub async fn status(&self) -> Result<ModemStatus, SimError> {
        self.ask(|reply| Request::Status { reply }).await
    }

    /// Every part the network accepted, in order.
    pub fn sent_parts(&self) -> Vec<SentPart> {
        self.shared
            .sent
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The accepted parts grouped into messages.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        group(&self.sent_parts())
    }
}

/// A running simulated modem. Dropping it stops the modem, removes its link and its
/// temporary directory.
#[derive(Debug)]
pub struct SimModem {
    control: ModemControl,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl SimModem {
    /// Start a modem on a new PTY linked at `config.link` (or in a fresh temporary directory).
    /// Must be called inside a tokio runtime.
    pub async fn start(config: ModemConfig) -> Result<SimModem, SimError> {
        let (dir, link) = match &config.link {
            Some(l) => (None, l.clone()),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("hw-sim-modem")
                    .tempdir()
                    .map_err(|source| SimError::Port {
                        link: std::env::temp_dir(),
                        source,
                    })?;
                let link = dir.path().join("ttySIM0");
                (Some(dir), link)
            }
        };
        let pty = Pty::open(&link).map_err(|source| SimError::Port {
            link: link.clone(),
            source,
        })?;
        tracing::info!(link = %link.display(), slave = %pty.slave_path().display(), profile = config.profile.name, "simulated modem ready");
        let shared = Arc::new(Shared::default());
        if let Ok(mut l) = shared.link.lock() {
            *l = link;
        }
        let mut first = Output::default();
        let engine = Engine::new(config, &mut first);
        let (tx, rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let task = ModemTask {
            engine,
            pty: Some(pty),
            shared: shared.clone(),
            requests: rx,
            cancel: cancel.clone(),
        };
        let task = tokio::spawn(task.run(first));
        Ok(SimModem {
            control: ModemControl { tx, shared },
            cancel,
            task: Some(task),
            _dir: dir,
        })
    }

    /// A cloneable control handle (for the HTTP endpoint or other tasks).
    pub fn control(&self) -> ModemControl {
        self.control.clone()
    }

    /// Where clients open the port.
    pub fn link(&self) -> PathBuf {
        self.control.link()
    }

    /// See [`ModemControl::inject_text`].
    pub async fn inject_text(
        &self,
        from: &str,
        text: &str,
        ucs2: bool,
        reverse: bool,
    ) -> Result<usize, SimError> {
        self.control.inject_text(from, text, ucs2, reverse).await
    }

    /// See [`ModemControl::inject_tpdu`].
    pub async fn inject_tpdu(&self, tpdu: Vec<u8>) -> Result<(), SimError> {
        self.control.inject_tpdu(tpdu).await
    }

    /// See [`ModemControl::fault`].
    pub async fn fault(&self, fault: Fault) -> Result<(), SimError> {
        self.control.fault(fault).await
    }

    /// See [`ModemControl::clear_faults`].
    pub async fn clear_faults(&self) -> Result<(), SimError> {
        self.control.clear_faults().await
    }

    /// See [`ModemControl::status`].
    pub async fn status(&self) -> Result<ModemStatus, SimError> {
        self.control.status().await
    }

    /// See [`ModemControl::sent_parts`].
    pub fn sent_parts(&self) -> Vec<SentPart> {
        self.control.sent_parts()
    }

    /// See [`ModemControl::sent_messages`].
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.control.sent_messages()
    }

    /// Stop the modem and wait until its port is closed and its link removed.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimModem {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
