//! Shared set-up: a store with the consent hook installed, submissions through the same
//! `SubmitRules` the API uses, and the HTTP API in-process.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use smsgw::api::error::ApiError;
use smsgw::api::submit::{SubmitRequest, SubmitRules};
use smsgw::config::Config;
use smsgw::consent::{CapTally, ConsentHook};
use smsgw::model::{InboundMessage, OutboundMessage, Timestamp};
use smsgw::store::{InboundPart, NewMessage, Received, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A configuration from TOML, with Finnish national numbers.
pub fn config(extra: &str) -> Config {
    Config::from_toml(&format!("[messages]\ndefault_country = \"358\"\n{extra}\n"))
        .unwrap_or_else(|e| panic!("test config invalid: {e}"))
}

/// A store in a temporary directory with `cfg`'s consent hook installed.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub rules: SubmitRules,
    pdu: std::cell::Cell<u32>,
}

impl Env {
    pub fn new(cfg: &Config) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir, cfg);
        Env {
            dir,
            store,
            rules: SubmitRules::from_config(cfg),
            pdu: std::cell::Cell::new(0),
        }
    }

    /// A single-part SMS from `from` to `to` arriving through modem `m1` at `now`, through
    /// the same store call the modem driver makes.
    pub fn receive(
        &self,
        from: &str,
        to: Option<&str>,
        text: &str,
        now: Timestamp,
    ) -> InboundMessage {
        let n = self.pdu.get() + 1;
        self.pdu.set(n);
        let part = InboundPart {
            modem: "m1".into(),
            route: "sims".into(),
            from: from.into(),
            from_type: smsgw::model::NumberType::Unknown,
            to: to.map(String::from),
            to_type: smsgw::model::NumberType::Unknown,
            sent_at: None,
            concat: None,
            text: text.into(),
        };
        match self
            .store
            .receive_part(&n.to_be_bytes(), part, now)
            .unwrap()
        {
            Received::Stored(m) => m,
            other => panic!("not stored: {other:?}"),
        }
    }

    /// Validates and admits a submission as `POST /v1/messages` does, storing it when admitted.
    pub fn submit(&self, body: Value, now: Timestamp) -> Result<OutboundMessage, ApiError> {
        self.submit_with(body, now, &mut CapTally::default())
    }

    /// [`Env::submit`] with a tally shared by a batch.
    pub fn submit_with(
        &self,
        body: Value,
        now: Timestamp,
        tally: &mut CapTally,
    ) -> Result<OutboundMessage, ApiError> {
        let req: SubmitRequest = serde_json::from_value(body).unwrap();
        let mut m = self.rules.validate(req, now, |_| true)?;
        self.rules.admit(&self.store, &mut m, tally, now)?;
        self.store
            .insert_outbound(vec![NewMessage {
                message: m.clone(),
                idempotency_key: None,
            }])
            .unwrap();
        Ok(m)
    }
}

/// Opens the store in `dir` with `cfg`'s policies, consent hook included, as the daemon does.
pub fn open(dir: &tempfile::TempDir, cfg: &Config) -> Arc<Store> {
    let hook = ConsentHook::new(&cfg.consent, &cfg.messages);
    let policies = smsgw::daemon::store_policies(cfg, hook);
    Store::open_with(&dir.path().join("db"), 16 << 20, policies).unwrap()
}

/// The error code of a refusal.
pub fn code(r: &Result<OutboundMessage, ApiError>) -> Option<(u16, &'static str)> {
    r.as_ref().err().map(|e| (e.status.as_u16(), e.code))
}

/// 2026-03-02T10:00:00Z, a Monday: the tests' clock.
pub const T0: Timestamp = Timestamp(1_772_445_600_000);

/// One day in milliseconds.
pub const DAY: u64 = 86_400_000;

/// The HTTP API in-process on a loopback port, with no routes (messages wait in the queue).
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Api {
    pub async fn start(extra: &str) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(extra);
        cfg.store.data_dir = dir.path().join("data");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel::<()>();
        let shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(smsgw::daemon::serve(
            cfg,
            Vec::new(),
            listener,
            shutdown,
            move || {
                let _ = ready_tx.send(());
            },
        ));
        ready_rx.await.unwrap();
        Api {
            base,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn text(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> (u16, String) {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.header("content-type", "text/csv").body(b);
        }
        let resp = r.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(20), t)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }
}
