//! The simulators, the daemon's configuration, and the daemon's life: start, SIGKILL,
//! restart on the same data directory. Clients find the daemon through [`Rig::base`], which
//! is empty while it is down (each start listens on a new port).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hw_sim::smsc::{Faults, OutcomeMix, SmscConfig, SmscHandle};
use hw_sim::{ModemConfig, Profile, SimModem};
use parking_lot::RwLock;
use serde_json::Value;

use crate::harness::{Daemon, write_config};
use crate::webhook_receiver::Receiver;

/// The longest any single wait lasts (debug builds on a busy 2-core machine).
pub const WAIT: Duration = Duration::from_secs(60);

/// The webhook secret.
pub const SECRET: &str = "torture-webhook-secret-0123";

/// Recipients under this prefix go through the modem pool, the rest through the SMPP link.
pub const MODEM_PREFIX: &str = "+35850";

/// Names of the simulated modems.
pub const MODEMS: [&str; 2] = ["sim1", "sim2"];

/// Everything a torture run drives.
pub struct Rig {
    /// Holds the configuration and the modems' port links (removed on drop).
    _dir: tempfile::TempDir,
    /// Where the daemon keeps its store (`root/data`).
    pub root: PathBuf,
    pub config: PathBuf,
    pub smsc: Arc<SmscHandle>,
    pub sims: Vec<SimModem>,
    pub receiver: Receiver,
    pub daemon: Option<Daemon>,
    /// `http://127.0.0.1:PORT` of the running daemon; `None` while it is down.
    pub base: Arc<RwLock<Option<String>>>,
    pub http: reqwest::Client,
}

/// The daemon's configuration: a link `op` to the SMSC on `smsc_port`, a pool `sims` of the
/// modems linked in `dir`, and one webhook target taking every event.
pub fn config(dir: &Path, smsc_port: u16, hook: &str) -> String {
    let mut c = format!(
        r#"
[messages]
default_country = "358"
max_parts = 10
retry_base = "200ms"
retry_max = "1s"
[log]
filter = "error"
[[routes]]
name = "op"
type = "smpp"
[[routes]]
name = "sims"
type = "modem_pool"
rate = "200/s"
burst = 20
[[rules]]
prefix = ""
routes = ["op"]
[[rules]]
prefix = "{MODEM_PREFIX}"
routes = ["sims"]
[[smpp]]
route = "op"
host = "127.0.0.1"
port = {smsc_port}
system_id = "smsgw"
password = "secret"
reconnect_min = "50ms"
reconnect_max = "300ms"
receipt_retry = "200ms"
response_timeout = "5s"
[[webhooks]]
name = "hook"
url = "{hook}/hook"
secret = "{SECRET}"
retry_base = "50ms"
retry_max = "200ms"
"#
    );
    for name in MODEMS {
        c.push_str(&format!(
            r#"
[[modems]]
name = "{name}"
device = "{d}/{name}"
route = "sims"
rate = "200/s"
unknown_outcome = "resend"
[modems.timeouts]
command = "2s"
prompt = "2s"
result = "5s"
probe_every = "5s"
poll_every = "5s"
sweep_every = "1s"
registration = "10s"
reassembly = "5m"
report_window = "1h"
"#,
            d = dir.display()
        ));
    }
    c
}

impl Rig {
    /// Starts the simulators (receipts: four delivered to one undeliverable) and the daemon,
    /// with its store under `root` (a temporary directory when `None`).
    pub async fn start(root: Option<PathBuf>) -> Rig {
        let smsc = hw_sim::smsc::start(SmscConfig {
            faults: Faults {
                receipt_delay_ms: 50,
                outcomes: OutcomeMix {
                    delivered: 4,
                    undeliverable: 1,
                    expired: 0,
                    rejected: 0,
                },
                ..Faults::default()
            },
            ..SmscConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut sims = Vec::new();
        for (i, name) in MODEMS.iter().enumerate() {
            let profile = if i == 0 {
                Profile::sim800()
            } else {
                Profile::ec25()
            };
            let mut cfg = ModemConfig::fast(profile);
            cfg.link = Some(dir.path().join(name));
            sims.push(SimModem::start(cfg).await.unwrap());
        }
        let receiver = Receiver::start(SECRET, 0).await;
        let text = config(dir.path(), smsc.smpp_addr.port(), &receiver.base);
        let config = write_config(dir.path(), &text);
        // It holds the webhook secret: readable by us only (the daemon warns otherwise).
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let root = root.unwrap_or_else(|| dir.path().to_path_buf());
        let mut rig = Rig {
            _dir: dir,
            root,
            config,
            smsc,
            sims,
            receiver,
            daemon: None,
            base: Arc::default(),
            http: reqwest::Client::new(),
        };
        rig.restart().await;
        rig
    }

    /// Starts the daemon (off the runtime's threads: the start waits for its listening line)
    /// and publishes its address.
    pub async fn restart(&mut self) {
        assert!(self.daemon.is_none());
        let (root, config) = (self.root.clone(), self.config.clone());
        let d = tokio::task::spawn_blocking(move || Daemon::start(&root, &config))
            .await
            .unwrap();
        *self.base.write() = Some(d.base.clone());
        self.daemon = Some(d);
    }

    /// SIGKILL; the address is withdrawn first so clients stop using it. Panics if the
    /// daemon had already exited by itself (a crash the torture must report).
    pub fn kill9(&mut self) {
        *self.base.write() = None;
        let mut d = self.daemon.take().expect("the daemon runs");
        if let Some(status) = d.exited() {
            panic!("the daemon exited by itself before the kill: {status:?}");
        }
        d.kill9();
    }

    /// The running daemon's address.
    pub fn url(&self, path: &str) -> String {
        let base = self.base.read().clone().expect("the daemon runs");
        format!("{base}{path}")
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every page of a listing (`/v1/messages` or `/v1/inbox`), oldest first.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.get(&format!("{path}?limit=500&cursor={cursor}")).await;
            let items = page["messages"].as_array().unwrap();
            out.extend(items.iter().cloned());
            let more = match page.get("more") {
                Some(m) => m.as_bool().unwrap_or(false),
                None => page["next_cursor"].is_string(),
            };
            if items.is_empty() || !more {
                return out;
            }
            cursor = page["next_cursor"].as_str().unwrap().to_string();
        }
    }

    /// Waits until both modems are ready and the SMPP link is bound.
    pub async fn ready(&self) {
        eventually("modems ready and the link bound", || async {
            let v = self.get("/v1/modems").await;
            let modems = v["modems"].as_array()?;
            let modems_ready =
                modems.len() == MODEMS.len() && modems.iter().all(|m| m["state"] == "ready");
            (modems_ready && self.smsc.stats().bound_sessions > 0).then_some(())
        })
        .await;
    }

    /// Messages stored on the simulated SIMs (all storages, status reports included) and
    /// held by their networks.
    pub async fn on_sims(&self) -> usize {
        let mut n = 0;
        for sim in &self.sims {
            let st = sim.status().await.unwrap();
            n += st.network_queue + st.storages.iter().map(|s| s.used).sum::<usize>();
        }
        n
    }
}

/// Polls `f` every 50 ms until it gives a value, for at most [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
