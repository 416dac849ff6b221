//! `[server.tls]`: the API over TLS, a renewed certificate served after SIGHUP without a
//! restart, and files that do not fit refused by check-config.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::harness::{BIN, Daemon, QUEUE_ONLY, write_config};

struct SelfSigned {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn self_signed() -> SelfSigned {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    SelfSigned {
        cert_pem: c.cert.pem(),
        key_pem: c.key_pair.serialize_pem(),
        der: c.cert.der().to_vec(),
    }
}

/// `GET /healthz` over TLS, trusting `roots`; the answer and the certificate the server showed.
async fn healthz(port: u16, roots: &[&SelfSigned]) -> (String, Vec<u8>) {
    let mut store = RootCertStore::empty();
    for r in roots {
        store.add(CertificateDer::from(r.der.clone())).unwrap();
    }
    let config = ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let shown = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    (String::from_utf8_lossy(&answer).into_owned(), shown)
}

fn tls_config(dir: &std::path::Path) -> String {
    format!(
        "{QUEUE_ONLY}[server.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        dir.join("cert.pem").display(),
        dir.join("key.pem").display()
    )
}

fn install(dir: &std::path::Path, c: &SelfSigned) {
    std::fs::write(dir.join("cert.pem"), &c.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &c.key_pem).unwrap();
}

#[tokio::test]
async fn the_api_should_answer_over_tls_and_serve_a_renewed_certificate_after_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (first, renewed) = (self_signed(), self_signed());
    install(dir.path(), &first);
    let path = write_config(dir.path(), &tls_config(dir.path()));
    let daemon = Daemon::start(dir.path(), &path);
    let port: u16 = daemon
        .base
        .strip_prefix("https://127.0.0.1:")
        .expect("an https address")
        .parse()
        .unwrap();

    let (answer, shown) = healthz(port, &[&first]).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(shown, first.der);

    // A renewal that is half written (key of another certificate) is refused, and the old
    // certificate stays in service.
    std::fs::write(dir.path().join("cert.pem"), &renewed.cert_pem).unwrap();
    daemon.signal("HUP");
    let (answer, _) = healthz(port, &[&first, &renewed]).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "still serving: {answer}"
    );

    install(dir.path(), &renewed);
    daemon.signal("HUP");
    // The reload happens on the daemon's own schedule: wait for it, bounded.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (answer, shown) = healthz(port, &[&first, &renewed]).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        if shown == renewed.der {
            break;
        }
        assert_eq!(shown, first.der);
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn check_config_should_refuse_a_key_that_does_not_belong_to_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (self_signed(), self_signed());
    std::fs::write(dir.path().join("cert.pem"), &a.cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), &b.key_pem).unwrap();
    let path = write_config(dir.path(), &tls_config(dir.path()));
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("server.tls"), "{err}");

    std::fs::remove_file(dir.path().join("key.pem")).unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("key.pem"), "{err}");
}

#[test]
fn sighup_without_tls_should_not_end_the_daemon() {
    // `systemctl reload` sends SIGHUP whatever the configuration; its default action would
    // end the process.
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), QUEUE_ONLY);
    let mut daemon = Daemon::start(dir.path(), &path);
    daemon.signal("HUP");
    let addr = daemon.base.strip_prefix("http://").unwrap().to_string();
    let mut answer = String::new();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(daemon.terminate().success());
}
