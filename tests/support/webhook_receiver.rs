//! A webhook receiver for tests: an HTTP server on a loopback port that checks signatures,
//! records every request, and fails on demand (the first attempts of each event, or all while
//! it is "down").
//! (Shared by the spine and e2e test binaries; each uses part of it.)
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use parking_lot::Mutex;
use serde_json::Value;
use smsgw::webhook::sign::{EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The request path (`/hook`, `/cb`).
    pub path: String,
    /// The query string (Kannel delivery reports are GETs with their values in it).
    pub query: String,
    /// `X-Smsgw-Event-Id`.
    pub event: u64,
    /// The parsed body.
    pub doc: Value,
    /// The signature matched the secret.
    pub signed: bool,
    /// What the receiver answered.
    pub answered: u16,
}

#[derive(Debug, Default)]
struct Inner {
    secret: Vec<u8>,
    fail_first: u32,
    down: AtomicBool,
    tries: Mutex<HashMap<(String, u64), u32>>,
    hits: Mutex<Vec<Hit>>,
}

/// The running receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Receiver {
    /// Starts a receiver checking `secret` that answers 503 to the first `fail_first`
    /// attempts of every event (per path).
    pub async fn start(secret: &str, fail_first: u32) -> Receiver {
        let inner = Arc::new(Inner {
            secret: secret.as_bytes().to_vec(),
            fail_first,
            ..Default::default()
        });
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { inner, base }
    }

    /// While down, every request gets 503.
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().clone()
    }

    /// Acknowledged requests, in the order they were acknowledged.
    pub fn acked(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| (200..300).contains(&h.answered))
            .collect()
    }

    /// Waits until `done(self)` holds, for at most `limit` (real time).
    pub async fn wait_for(&self, limit: Duration, done: impl Fn(&Receiver) -> bool) {
        let end = std::time::Instant::now() + limit;
        while !done(self) {
            assert!(
                std::time::Instant::now() < end,
                "webhook receiver: condition not met within {limit:?}; hits: {:#?}",
                self.hits()
                    .iter()
                    .map(|h| (h.event, h.answered, h.doc["data"]["status"].clone()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let event: u64 = h(EVENT_ID_HEADER).parse().unwrap_or(0);
    let signed = verify(
        &inner.secret,
        &h(TIMESTAMP_HEADER),
        &body,
        &h(SIGNATURE_HEADER),
    );
    let path = uri.path().to_string();
    let n = {
        let mut tries = inner.tries.lock();
        let n = tries.entry((path.clone(), event)).or_default();
        *n += 1;
        *n
    };
    let status = if inner.down.load(Ordering::SeqCst) || n <= inner.fail_first {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    };
    inner.hits.lock().push(Hit {
        query: uri.query().unwrap_or("").to_string(),
        path,
        event,
        doc: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signed,
        answered: status.as_u16(),
    });
    status
}
