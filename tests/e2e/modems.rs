//! The real `smsgw` binary driving two hw-sim modems over real pseudo-terminals: messages go
//! out as PDUs the simulated network decodes, status reports mark them delivered, and replies
//! (single, multi-part out of order, UCS-2) land in the inbox.

use std::path::Path;
use std::time::Duration;

use hw_sim::{ModemConfig, Profile, SimModem};
use serde_json::{Value, json};

use crate::harness::{Daemon, write_config};

/// Upper bound of every wait: generous for debug builds on a busy machine.
const WAIT: Duration = Duration::from_secs(30);

async fn modem(dir: &Path, name: &str, profile: Profile) -> SimModem {
    let mut cfg = ModemConfig::fast(profile);
    cfg.link = Some(dir.join(name));
    SimModem::start(cfg).await.unwrap()
}

fn config(dir: &Path) -> String {
    let timeouts = r#"
[modems.timeouts]
command = "2s"
prompt = "2s"
result = "5s"
probe_every = "5s"
poll_every = "5s"
sweep_every = "2s"
registration = "10s"
reassembly = "30s"
report_window = "1h"
"#;
    format!(
        r#"
[messages]
default_country = "358"
[log]
filter = "warn"
[[routes]]
name = "sims"
type = "modem_pool"
rate = "100/s"
burst = 10
[[rules]]
prefix = ""
routes = ["sims"]
[[modems]]
name = "sim1"
device = "{d}/sim1"
route = "sims"
rate = "100/s"
{timeouts}
[[modems]]
name = "sim2"
device = "{d}/sim2"
route = "sims"
rate = "100/s"
{timeouts}
"#,
        d = dir.display()
    )
}

/// Polls `f` every 50 ms until it gives a value, up to [`WAIT`].
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
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
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_should_go_out_through_simulated_modems_and_replies_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let sim1 = modem(dir.path(), "sim1", Profile::sim800()).await;
    let sim2 = modem(dir.path(), "sim2", Profile::ec25()).await;
    let config = write_config(dir.path(), &config(dir.path()));
    let daemon = {
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || Daemon::start(&d, &config))
            .await
            .unwrap()
    };
    let base = daemon.base.clone();
    let http = reqwest::Client::new();

    // Both modems come up ready.
    eventually("two ready modems", || {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let v = get(&http, format!("{base}/v1/modems")).await;
            let modems = v["modems"].as_array()?;
            (modems.len() == 2 && modems.iter().all(|m| m["state"] == "ready")).then_some(())
        }
    })
    .await;

    // A 7-bit single, a long 7-bit and a long UCS-2 message.
    let texts = [
        "Reminder: your visit is tomorrow at 10:00. Reply NO to cancel.".to_string(),
        "Long reminder. ".repeat(15),
        "Muistutus: käynti huomenna klo 10 — вы придёте? 🙂 ".repeat(3),
    ];
    let mut ids = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let r: Value = http
            .post(format!("{base}/v1/messages"))
            .json(&json!({"to": format!("040 123 456{i}"), "text": text, "reference": format!("appt-{i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["id"]
            .as_str()
            .unwrap_or_else(|| panic!("submit refused: {r}"));
        ids.push(id.to_string());
    }

    // Each is delivered: sent by a modem, status reports for every part.
    for id in &ids {
        eventually("delivered", || {
            let (http, base, id) = (http.clone(), base.clone(), id.clone());
            async move {
                let m = get(&http, format!("{base}/v1/messages/{id}")).await;
                (m["status"] == "delivered").then_some(())
            }
        })
        .await;
    }
    // The simulated network received exactly these texts, whole, each once.
    let mut sent: Vec<(String, String)> = sim1
        .sent_messages()
        .into_iter()
        .chain(sim2.sent_messages())
        .map(|m| {
            assert!(m.complete && m.srr, "{m:?}");
            (m.recipient, m.text)
        })
        .collect();
    sent.sort();
    let mut expected: Vec<(String, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("+35840123456{i}"), t.clone()))
        .collect();
    expected.sort();
    assert_eq!(sent, expected);

    // Replies: a single, a multi-part delivered last part first, and a UCS-2 one.
    sim1.inject_text("+358401234560", "NO", false, false)
        .await
        .unwrap();
    let long_reply = "I cannot come tomorrow, could we move it to Friday afternoon? ".repeat(4);
    assert!(
        sim2.inject_text("+358401234561", &long_reply, false, true)
            .await
            .unwrap()
            > 1
    );
    sim2.inject_text("+358401234562", "Kiitos!", true, false)
        .await
        .unwrap();
    let inbox = eventually("three replies in the inbox", || {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let v = get(&http, format!("{base}/v1/inbox")).await;
            let items = v["messages"].as_array()?.clone();
            (items.len() >= 3).then_some(items)
        }
    })
    .await;
    let mut got: Vec<(String, String)> = inbox
        .iter()
        .map(|m| {
            (
                m["from"].as_str().unwrap().to_string(),
                m["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("+358401234560".to_string(), "NO".to_string()),
            ("+358401234561".to_string(), long_reply),
            ("+358401234562".to_string(), "Kiitos!".to_string()),
        ]
    );
    drop(daemon);
}
