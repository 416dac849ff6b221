//! Against node-smpp (npm `smpp` 0.5.1), a third-party SMPP implementation: the submit_sm
//! fields smsgw sends (validity, priority, receipt request) as that library decodes them.
//! The SMSC is `tests/peers/node_smsc.js`; the module is looked up under
//! `target/node-smpp/node_modules` (`npm install --prefix target/node-smpp smpp@0.5.1`) or
//! `SMSGW_NODE_MODULES`.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::harness::{WAIT, start_at};
use crate::peer;

const INSTALL: &str = "npm install --prefix target/node-smpp smpp@0.5.1";

/// Where node finds the `smpp` module.
pub fn node_modules() -> PathBuf {
    std::env::var_os("SMSGW_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/node-smpp/node_modules")
        })
}

/// The node-smpp SMSC, running.
pub struct NodeSmsc {
    pub port: u16,
    events: mpsc::UnboundedReceiver<Value>,
    _child: Child,
}

impl NodeSmsc {
    /// Starts it with `env` (see the script), or `None` (with a notice; a failure under CI)
    /// when node or the module is missing.
    pub async fn start(env: &[(&str, &str)]) -> Option<NodeSmsc> {
        let modules = node_modules();
        let probe = modules.join("smpp");
        let probe = probe.to_string_lossy();
        if !peer::works("node", &["-e", "require(process.argv[1])", &probe], INSTALL) {
            return None;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/node_smsc.js");
        let mut child = Command::new("node")
            .arg(script)
            .env("NODE_PATH", &modules)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, mut events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                if let Ok(v) = serde_json::from_str::<Value>(&l) {
                    let _ = tx.send(v);
                }
            }
        });
        let first = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first["event"], "listening", "{first}");
        let port = first["port"].as_u64().unwrap() as u16;
        Some(NodeSmsc {
            port,
            events,
            _child: child,
        })
    }

    /// The next `n` submit_sm the SMSC logged.
    pub async fn submits(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while out.len() < n {
            let e = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("{} of {n} submit_sm after {WAIT:?}", out.len()))
                .unwrap();
            if e["event"] == "submit_sm" {
                out.push(e);
            }
        }
        out
    }
}

fn ms(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_default();
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{s:?}: {e}"));
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

async fn post(gw: &crate::harness::Gw, body: Value) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/messages", gw.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remaining_validity_and_the_priority_should_reach_a_node_smpp_smsc() {
    let Some(mut smsc) = NodeSmsc::start(&[("SMSC_LOG_SUBMITS", "1")]).await else {
        return;
    };
    let sim = hw_sim::smsc::start(Default::default()).await.unwrap();
    let gw = start_at(sim, smsc.port, "", "").await;
    post(
        &gw,
        json!({"to": "+358401111111", "text": "code 1234", "validity": 60, "priority": "high"}),
    )
    .await;
    let s = smsc.submits(1).await.remove(0);
    assert_eq!(s["destination_addr"], "358401111111");
    assert_eq!(s["priority_flag"], 1, "{s}");
    assert_eq!(s["registered_delivery"], 1, "{s}");
    // node-smpp turns the relative time into an expiry from when it read the submit: what
    // was left of the 60 s (less the time in the queue, at most a few seconds here).
    let left = ms(&s["validity_period"]) - ms(&s["received_at"]);
    assert!((50_000..=61_000).contains(&left), "{left} ms left: {s}");
    post(
        &gw,
        json!({"to": "+358402222222", "text": "newsletter", "priority": "low"}),
    )
    .await;
    let s = smsc.submits(1).await.remove(0);
    assert_eq!(s["priority_flag"], 0, "{s}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absolute_validity_and_a_kannel_dlr_mask_of_zero_should_reach_a_node_smpp_smsc() {
    let Some(mut smsc) = NodeSmsc::start(&[("SMSC_LOG_SUBMITS", "1")]).await else {
        return;
    };
    let sim = hw_sim::smsc::start(Default::default()).await.unwrap();
    let gw = start_at(
        sim,
        smsc.port,
        "validity_format = \"absolute\"\nhonour_dlr_mask = true",
        "[kannel]\nenabled = true\ndlr_allow = [\"http://127.0.0.1:9/\"]\n[[kannel.users]]\nusername = \"k\"\npassword = \"kannel-secret\"\n",
    )
    .await;
    let id = post(
        &gw,
        json!({"to": "+358401111111", "text": "hello", "validity": 600}),
    )
    .await;
    let s = smsc.submits(1).await.remove(0);
    // The expiry itself, in UTC, to the tenth of a second smsgw sends.
    let m = gw.message(&id).await;
    let expires = ms(&m["expires_at"]);
    let sent = ms(&s["validity_period"]);
    assert!(
        (expires - sent).abs() < 1_000,
        "{s} vs expires_at {}",
        m["expires_at"]
    );
    // Not given: the link's registered_delivery, as before.
    assert_eq!(s["registered_delivery"], 1, "{s}");
    let http = reqwest::Client::new();
    for (mask, want) in [("0", 0), ("3", 1), ("2", 2)] {
        let url = format!(
            "{}/cgi-bin/sendsms?user=k&pass=kannel-secret&to=%2B358403333333&text=hi&dlr-mask={mask}&dlr-url=http%3A%2F%2F127.0.0.1%3A9%2Fdlr",
            gw.base
        );
        let r = http.get(url).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let s = smsc.submits(1).await.remove(0);
        assert_eq!(s["registered_delivery"], want, "dlr-mask {mask}: {s}");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_sent_at_once_should_leave_their_stat_and_err_as_the_history_reason() {
    // node-smpp sends each receipt right behind the submit_sm_resp: many arrive before the
    // dispatcher records the send's outcome.
    let Some(_smsc) = NodeSmsc::start(&[("SMSC_RECEIPTS", "UNDELIV")]).await else {
        return;
    };
    let sim = hw_sim::smsc::start(Default::default()).await.unwrap();
    let gw = start_at(sim, _smsc.port, "window = 50", "").await;
    let texts: Vec<String> = (0..100).map(|i| format!("receipt race {i}")).collect();
    let ids = gw.submit("+358401234567", &texts).await;
    let done = gw.wait_status(&ids, &["undelivered"]).await;
    for m in &done {
        let last = m["history"].as_array().unwrap().last().unwrap();
        assert_eq!(last["status"], "undelivered");
        let error = m["parts"][0]["error"].as_str().unwrap();
        assert!(error.starts_with("receipt stat:UNDELIV err:012"), "{m:#}");
        assert_eq!(last["reason"], format!("part 1: {error}"), "{m:#}");
    }
    gw.stop().await;
}
