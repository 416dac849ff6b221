//! The real daemon (`smsgw::daemon::serve`) in-process on 127.0.0.1:0 with modem pools over
//! hw-sim modems on real pseudo-terminals, and bounded waits that poll the HTTP API.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hw_sim::modem::profile::Profile;
use hw_sim::{ModemConfig as SimConfig, SimModem};
use serde_json::{Value, json};
use smsgw::config::Config;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Every wait in these tests gives up after this long.
pub const WAIT: Duration = Duration::from_secs(20);

/// A recipient (Finnish mobile number, normalised with `default_country = "358"`).
pub const TO: &str = "+358401234567";

/// A simulated modem with test timing; `f` adjusts it.
pub async fn sim(profile: Profile, f: impl FnOnce(&mut SimConfig)) -> SimModem {
    let mut c = SimConfig::fast(profile);
    f(&mut c);
    SimModem::start(c)
        .await
        .expect("the simulated modem starts")
}

/// One `[[modems]]` entry: name, device and extra keys (before its timeouts table).
#[derive(Debug, Clone)]
pub struct ModemEntry {
    /// `m0`, `m1`...
    pub name: String,
    /// The PTY link.
    pub device: PathBuf,
    /// Extra `key = value` lines.
    pub extra: String,
}

impl ModemEntry {
    /// An entry for `modem` named `name`.
    pub fn new(name: &str, modem: &SimModem, extra: &str) -> Self {
        Self {
            name: name.into(),
            device: modem.link(),
            extra: extra.into(),
        }
    }
}

/// The configuration text of a gateway with one pool `sims` over `modems`.
pub fn config_text(data_dir: &Path, modems: &[ModemEntry]) -> String {
    let mut t = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nshutdown_grace = \"2s\"\n\
         [store]\ndata_dir = {:?}\n\
         [messages]\ndefault_country = \"358\"\nmax_parts = 10\nretry_base = \"1s\"\nretry_max = \"2s\"\n\
         [[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n\
         [[rules]]\nprefix = \"\"\nroutes = [\"sims\"]\n",
        data_dir.display().to_string()
    );
    for m in modems {
        t.push_str(&format!(
            "[[modems]]\nname = {:?}\ndevice = {:?}\nroute = \"sims\"\n{}\n\
             [modems.timeouts]\ncommand = \"1s\"\nprompt = \"700ms\"\nresult = \"1500ms\"\n\
             probe_every = \"300ms\"\npoll_every = \"2s\"\nsweep_every = \"700ms\"\n\
             registration = \"3s\"\nreassembly = \"1h\"\nout_of_rotation = \"3s\"\n",
            m.name,
            m.device.display().to_string(),
            m.extra
        ));
    }
    t
}

/// A running gateway.
#[derive(Debug)]
pub struct Gw {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Gw {
    /// Starts the daemon with `config` (TOML text) and waits until its API answers.
    pub async fn start(config: &str) -> Gw {
        if let Ok(filter) = std::env::var("SMSGW_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let cfg = Config::from_toml(config).unwrap_or_else(|e| panic!("config: {e}\n{config}"));
        let routes = smsgw::daemon::build_routes(&cfg).expect("routes");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel::<()>();
        let shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(smsgw::daemon::serve(
            cfg,
            routes,
            listener,
            shutdown,
            move || {
                let _ = ready_tx.send(());
            },
        ));
        ready_rx.await.expect("the daemon becomes ready");
        Gw {
            base,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the daemon and waits for it (its store is closed afterwards).
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(WAIT, t)
                .await
                .expect("the daemon stops in time")
                .unwrap()
                .unwrap();
        }
    }

    /// GET `path` as JSON.
    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null)
    }

    /// GET `path` as text (`/metrics`).
    pub async fn text(&self, path: &str) -> String {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap_or_default()
    }

    /// Submits `text` to [`TO`]; returns the new message's id.
    pub async fn send(&self, text: &str) -> String {
        self.send_with(text, json!({})).await
    }

    /// Submits `text` to [`TO`] with more request fields (`{"validity": 4}`).
    pub async fn send_with(&self, text: &str, more: Value) -> String {
        let mut body = json!({"to": TO, "text": text});
        if let (Some(b), Some(m)) = (body.as_object_mut(), more.as_object()) {
            b.extend(m.clone());
        }
        let r = self
            .http
            .post(format!("{}/v1/messages", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let v: Value = r.json().await.unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    /// The message `id`.
    pub async fn message(&self, id: &str) -> Value {
        self.get(&format!("/v1/messages/{id}")).await
    }

    /// Polls `GET /v1/messages/{id}` until `f` holds; returns the message.
    pub async fn until_message(&self, id: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            last = self.message(id).await;
            if f(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("message {id} never became {what}: {last:#}");
    }

    /// Polls `GET /v1/modems` until `f` holds for the list.
    pub async fn until_modems(&self, what: &str, f: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut last = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            let v = self.get("/v1/modems").await;
            last = v["modems"]
                .as_array()
                .or_else(|| v.as_array())
                .cloned()
                .unwrap_or_default();
            if f(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("modems never became {what}: {last:#?}");
    }

    /// Waits until every modem is ready.
    pub async fn all_ready(&self, n: usize) {
        self.until_modems("all ready", |m| {
            m.len() == n && m.iter().all(|v| state(v) == "ready")
        })
        .await;
    }

    /// The inbox, oldest first.
    pub async fn inbox(&self) -> Vec<Value> {
        let v = self.get("/v1/inbox?limit=100").await;
        v["messages"]
            .as_array()
            .or_else(|| v["items"].as_array())
            .cloned()
            .unwrap_or_default()
    }

    /// Polls the inbox until `f` holds.
    pub async fn until_inbox(&self, what: &str, f: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut last = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            last = self.inbox().await;
            if f(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the inbox never had {what}: {last:#?}");
    }
}

/// A modem view's state name (`ready`, `starting`, ...).
pub fn state(v: &Value) -> String {
    match &v["state"] {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Polls `f` (not the API: the simulator's own view) until it holds.
pub async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Each test runs under this bound.
pub async fn bounded<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(45), f)
        .await
        .expect("the test finished within its bound");
}
