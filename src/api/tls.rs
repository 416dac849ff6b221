//! The API's optional TLS listener (`[server.tls]`), for installs without a reverse proxy.
//!
//! rustls with the ring provider. Handshakes run in tasks of their own (a client that stalls
//! mid-handshake holds up no one) and the finished streams are handed to axum through
//! [`TlsListener`], an `axum::serve::Listener`, so everything above the socket — connect info,
//! graceful shutdown — is the plain listener's. The certificate is served through a resolver
//! whose key can be swapped: [`TlsListener::reload`] (on SIGHUP) reads the files again, and a
//! renewed certificate is used from the next handshake without dropping connections; files
//! that do not load leave the old certificate in place.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::ring::{default_provider, sign::any_supported_type};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use crate::config::TlsFiles;

/// A handshake not finished in this long is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; more connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 256;

/// Why the TLS files could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds no PEM item of the kind needed.
    #[error("{what} {path}: {reason}")]
    File {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// rustls refused the key or the configuration.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Reads and checks `[server.tls]`'s files: what `check-config` and start-up report.
pub fn load(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsError> {
    let file_error = |what, path: &Path, reason: String| TlsError::File {
        what,
        path: path.display().to_string(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_error("certificate", &files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error("certificate", &files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(file_error(
            "certificate",
            &files.cert,
            "no CERTIFICATE in the file".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| file_error("private key", &files.key, e.to_string()))?;
    let signing = any_supported_type(&key)?;
    let certified = CertifiedKey::new(certs, signing);
    // A key that does not belong to the certificate would fail every handshake: say so now.
    certified.keys_match()?;
    Ok(Arc::new(certified))
}

/// Serves the current certificate to every handshake; swapped on reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // A poisoned lock still holds a whole `Arc` (the swap cannot be half done).
        Some(match self.0.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        })
    }
}

/// A reloadable handle on the listener's certificate.
#[derive(Debug, Clone)]
pub struct CertHandle {
    files: TlsFiles,
    current: Arc<Current>,
}

impl CertHandle {
    /// Reads the files again and serves the new certificate from the next handshake on; on
    /// an error the old one stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.files)?;
        match self.current.0.write() {
            Ok(mut k) => *k = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}

/// Accepted, handshaken TLS connections, as axum's `serve` takes them.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Wraps `tcp`, serving `files`; the accept loop ends when `stop` is cancelled.
    pub fn new(
        tcp: TcpListener,
        files: &TlsFiles,
        stop: CancellationToken,
    ) -> Result<(TlsListener, CertHandle), TlsError> {
        let current = Arc::new(Current(RwLock::new(load(files)?)));
        let mut config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        // The API speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let local = tcp.local_addr().map_err(|e| TlsError::File {
            what: "listener",
            path: String::new(),
            reason: e.to_string(),
        })?;
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(
            tcp,
            TlsAcceptor::from(Arc::new(config)),
            tx,
            stop,
        ));
        let handle = CertHandle {
            files: files.clone(),
            current,
        };
        Ok((TlsListener { ready, local }, handle))
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop ended (shutdown): no more connections, ever.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let permit = tokio::select! {
            () = stop.cancelled() => return,
            p = slots.clone().acquire_owned() => p,
        };
        let Ok(permit) = permit else {
            return;
        };
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            a = tcp.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(cause = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, cause = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// Reloads the certificate (if the API serves TLS) on every SIGHUP until `stop`. The signal is
/// taken over before this returns (not when the future first runs), so a SIGHUP sent once the
/// daemon said it is ready — `systemctl reload` — never ends the process.
pub fn reload_on_sighup(
    handle: Option<CertHandle>,
    stop: CancellationToken,
) -> impl Future<Output = ()> + Send {
    use tokio::signal::unix::{SignalKind, signal};
    let hup = signal(SignalKind::hangup());
    async move {
        let Ok(hup) = hup else {
            tracing::warn!("cannot watch SIGHUP: the TLS certificate is not reloadable");
            return;
        };
        reload_loop(hup, handle, stop).await;
    }
}

async fn reload_loop(
    mut hup: tokio::signal::unix::Signal,
    handle: Option<CertHandle>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            got = hup.recv() => if got.is_none() { return },
        }
        let Some(handle) = &handle else {
            tracing::info!("SIGHUP: nothing to reload (no [server.tls])");
            continue;
        };
        match handle.reload() {
            Ok(()) => {
                tracing::info!(cert = %handle.files.cert.display(), "TLS certificate reloaded")
            }
            Err(e) => {
                tracing::error!(cause = %e, "TLS certificate not reloaded; the old one stays")
            }
        }
    }
}
