//! A daemon wired to a simulated SMSC, and bounded polling.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hw_sim::smsc::{Faults, SmscConfig, SmscHandle};
use serde_json::{Value, json};
use smsgw::config::Config;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use crate::eventually::{WAIT, eventually};

pub struct Gw {
    pub base: String,
    pub smsc: Arc<SmscHandle>,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// Starts an SMSC with `faults` and a daemon whose route `op` is an SMPP link to it;
/// `link` is extra `[[smpp]]` keys.
pub async fn start(faults: Faults, link: &str) -> Gw {
    let smsc = hw_sim::smsc::start(SmscConfig {
        faults,
        ..SmscConfig::default()
    })
    .await
    .unwrap();
    start_with(smsc, link).await
}

pub async fn start_with(smsc: Arc<SmscHandle>, link: &str) -> Gw {
    let port = smsc.smpp_addr.port();
    start_at(smsc, port, link, "").await
}

/// A daemon whose link `op` goes to the SMSC on `port` (another one than `smsc`, such as a
/// third-party peer); `extra` is more configuration after the link (whole tables).
pub async fn start_at(smsc: Arc<SmscHandle>, port: u16, link: &str, extra: &str) -> Gw {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[messages]\ndefault_country = \"358\"\nmax_parts = 10\nretry_base = \"1s\"\nretry_max = \"2s\"\n\
         [log]\nfilter = \"error\"\n\
         [[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
         [[rules]]\nprefix = \"\"\nroutes = [\"op\"]\n\
         [[smpp]]\nroute = \"op\"\nhost = \"127.0.0.1\"\nport = {port}\nsystem_id = \"smsgw\"\n\
         reconnect_min = \"100ms\"\nreconnect_max = \"1s\"\nreceipt_retry = \"200ms\"\n\
         response_timeout = \"5s\"\n{link}\n"
    );
    let text = if link.contains("password") {
        text
    } else {
        format!("{text}password = \"secret\"\n")
    };
    let text = format!("{text}{extra}\n");
    let mut cfg = Config::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
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
    Gw {
        base,
        smsc,
        http: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
        _dir: dir,
    }
}

impl Gw {
    pub async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap_or(Value::Null)
    }

    pub async fn text(&self, path: &str) -> String {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        r.text().await.unwrap()
    }

    /// Submits `texts` to `to` in one batch; returns the ids.
    pub async fn submit(&self, to: &str, texts: &[String]) -> Vec<String> {
        let items: Vec<Value> = texts.iter().map(|t| json!({"to": to, "text": t})).collect();
        let r = self
            .http
            .post(format!("{}/v1/messages/batch", self.base))
            .json(&json!({ "messages": items }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let v: Value = r.json().await.unwrap();
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn message(&self, id: &str) -> Value {
        self.get(&format!("/v1/messages/{id}")).await
    }

    /// Waits until every message is in one of `statuses`; returns them.
    pub async fn wait_status(&self, ids: &[String], statuses: &[&str]) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let mut all = Vec::new();
            let mut pending = None;
            for id in ids {
                let m = self.message(id).await;
                if !statuses.contains(&m["status"].as_str().unwrap_or("")) {
                    pending = Some(m);
                    break;
                }
                all.push(m);
            }
            match pending {
                None => return all,
                Some(m) if tokio::time::Instant::now() > deadline => {
                    panic!("message not in {statuses:?} after {WAIT:?}: {m:#}")
                }
                Some(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// A counter or gauge from `/metrics` (first sample whose line starts with `prefix`).
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = self.text("/metrics").await;
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        self.smsc.shutdown().await;
    }
}
