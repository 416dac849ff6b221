//! The real `smsgw` binary driving two hw-sim modems over real pseudo-terminals: messages go
//! out as PDUs the simulated network decodes, status reports mark them delivered, and replies
//! (single, multi-part out of order, UCS-2) land in the inbox.

use std::path::Path;

use hw_sim::{ModemConfig, Profile, SimModem};
use serde_json::{Value, json};

use crate::eventually::eventually;
use crate::harness::{Daemon, write_config};

async fn modem(dir: &Path, name: &str, profile: Profile) -> SimModem {
    let mut cfg = ModemConfig::fast(profile);
    cfg.link = Some(dir.join(name));
    SimModem::start(cfg).await.unwrap()
}

fn config(dir: &Path) -> String {
    config_for(dir, &["sim1", "sim2"])
}

/// A pool named `sims` of the modems linked at `dir/NAME`.
fn config_for(dir: &Path, names: &[&str]) -> String {
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
    let mut c = String::from(
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
"#,
    );
    for name in names {
        c.push_str(&format!(
            "[[modems]]\nname = \"{name}\"\ndevice = \"{d}/{name}\"\nroute = \"sims\"\nrate = \"100/s\"\n{timeouts}\n",
            d = dir.display()
        ));
    }
    c
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Starts the daemon off the runtime's threads (it waits for the listening line).
async fn start_daemon(dir: &Path, config: &Path) -> Daemon {
    let (d, c) = (dir.to_path_buf(), config.to_path_buf());
    tokio::task::spawn_blocking(move || Daemon::start(&d, &c))
        .await
        .unwrap()
}

/// Waits until the daemon reports `n` ready modems.
async fn ready(http: &reqwest::Client, base: &str, n: usize) {
    eventually("ready modems", || {
        let (http, base) = (http.clone(), base.to_string());
        async move {
            let v = get(&http, format!("{base}/v1/modems")).await;
            let modems = v["modems"].as_array()?;
            (modems.len() == n && modems.iter().all(|m| m["state"] == "ready")).then_some(())
        }
    })
    .await;
}

/// The inbox's texts, oldest first.
async fn inbox_texts(http: &reqwest::Client, base: &str) -> Vec<String> {
    let v = get(http, format!("{base}/v1/inbox?limit=100")).await;
    v["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect()
}

/// Messages stored on the simulated SIM (all storages but status reports).
async fn stored_on_sim(sim: &SimModem) -> usize {
    let st = sim.status().await.unwrap();
    st.storages
        .iter()
        .filter(|s| s.name != "SR")
        .map(|s| s.used)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_should_go_out_through_simulated_modems_and_replies_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let sim1 = modem(dir.path(), "sim1", Profile::sim800()).await;
    let sim2 = modem(dir.path(), "sim2", Profile::ec25()).await;
    let config = write_config(dir.path(), &config(dir.path()));
    let daemon = start_daemon(dir.path(), &config).await;
    let base = daemon.base.clone();
    let http = reqwest::Client::new();

    // Both modems come up ready.
    ready(&http, &base, 2).await;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sim_should_be_emptied_and_what_the_network_held_should_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = ModemConfig::fast(Profile::sim800());
    cfg.link = Some(dir.path().join("sim1"));
    cfg.profile.capacity = [2, 2, 3];
    let sim = SimModem::start(cfg).await.unwrap();
    // Messages arrive while no gateway runs: the SIM fills up and the network holds the rest
    // (TS 23.040 §10.3: it retries once the mobile reports free memory).
    let texts: Vec<String> = (1..=7).map(|i| format!("reply {i}")).collect();
    for t in &texts {
        sim.inject_text("+358401234567", t, false, false)
            .await
            .unwrap();
    }
    let st = sim.status().await.unwrap();
    assert!(st.network_queue > 0, "the SIM should be full: {st:?}");

    let config = write_config(dir.path(), &config_for(dir.path(), &["sim1"]));
    let daemon = start_daemon(dir.path(), &config).await;
    let http = reqwest::Client::new();
    let base = daemon.base.clone();
    let want_n = texts.len();
    let got = eventually("every held message in the inbox", || {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let got = inbox_texts(&http, &base).await;
            (got.len() >= want_n).then_some(got)
        }
    })
    .await;
    let mut got = got;
    got.sort();
    let mut want = texts.clone();
    want.sort();
    assert_eq!(got, want, "each message once");
    eventually("an empty SIM", || async {
        let st = sim.status().await.ok()?;
        (st.network_queue == 0 && stored_on_sim(&sim).await == 0).then_some(())
    })
    .await;
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_between_reading_and_deleting_should_keep_the_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let sim = modem(dir.path(), "sim1", Profile::ec25()).await;
    let config = write_config(dir.path(), &config_for(dir.path(), &["sim1"]));
    let mut daemon = start_daemon(dir.path(), &config).await;
    let http = reqwest::Client::new();
    ready(&http, &daemon.base, 1).await;

    // The gateway reads the reply and stores it; the delete never completes.
    sim.fault(hw_sim::Fault::HangOnDelete).await.unwrap();
    sim.inject_text("+358401234567", "NO", false, false)
        .await
        .unwrap();
    let base = daemon.base.clone();
    eventually("the reply stored", || {
        let (http, base) = (http.clone(), base.clone());
        async move { (inbox_texts(&http, &base).await == ["NO"]).then_some(()) }
    })
    .await;
    eventually("the delete hanging", || async {
        sim.status().await.ok()?.hung.then_some(())
    })
    .await;
    assert_eq!(stored_on_sim(&sim).await, 1, "still on the SIM");
    daemon.kill9();

    // Back up: the message is read again from the SIM, recognised, deleted, not stored twice.
    sim.clear_faults().await.unwrap();
    let daemon = start_daemon(dir.path(), &config).await;
    ready(&http, &daemon.base, 1).await;
    eventually("the SIM emptied", || async {
        (stored_on_sim(&sim).await == 0).then_some(())
    })
    .await;
    assert_eq!(inbox_texts(&http, &daemon.base).await, ["NO"]);
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opt_out_through_a_modem_should_stop_messages_until_the_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    let sim = modem(dir.path(), "sim1", Profile::sim800()).await;
    let consent = r#"
[consent.keywords.en]
opt_out = ["STOP"]
opt_in = ["START"]
opt_out_reply = "You will get no more messages from us. Reply START to resume."
[consent.keywords.fi]
opt_out = ["LOPETA"]
opt_in = ["ALOITA"]
opt_out_reply = "Et saa meiltä enää viestejä. Vastaa ALOITA, jos haluat ne takaisin."
"#;
    let text = format!("{}{consent}", config_for(dir.path(), &["sim1"]));
    let config = write_config(dir.path(), &text);
    let daemon = start_daemon(dir.path(), &config).await;
    let http = reqwest::Client::new();
    let base = daemon.base.clone();
    ready(&http, &base, 1).await;
    let submit = |body: Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .post(format!("{base}/v1/messages"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let inbox_keywords = || {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let v = get(&http, format!("{base}/v1/inbox")).await;
            v["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| m["keyword"]["action"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        }
    };

    // "Lopeta!" (Finnish, with punctuation) through the SIM: on the list, confirmation sent.
    sim.inject_text("+358401234567", "Lopeta!", false, false)
        .await
        .unwrap();
    eventually("the opt-out recorded", || async {
        (inbox_keywords().await == ["opt_out"]).then_some(())
    })
    .await;
    // The confirmation in the language of the keyword went out through the SIM.
    eventually("the confirmation sent", || async {
        sim.sent_messages()
            .iter()
            .any(|m| m.recipient == "+358401234567" && m.text.starts_with("Et saa meiltä"))
            .then_some(())
    })
    .await;
    let (status, body) = submit(json!({"to": "040 123 4567", "text": "Reminder"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "recipient_opted_out");
    let (status, body) =
        submit(json!({"to": "040 123 4567", "text": "Code 1234", "transactional": true})).await;
    assert_eq!(
        status, 422,
        "transactional is not allowed by default: {body}"
    );
    // Another number is not affected.
    let (status, body) = submit(json!({"to": "040 765 4321", "text": "Reminder"})).await;
    assert_eq!(status, 202, "{body}");

    // "start" lifts it.
    sim.inject_text("+358401234567", "start", false, false)
        .await
        .unwrap();
    eventually("the opt-in recorded", || async {
        (inbox_keywords().await == ["opt_out", "opt_in"]).then_some(())
    })
    .await;
    let (status, body) = submit(json!({"to": "040 123 4567", "text": "Reminder"})).await;
    assert_eq!(status, 202, "{body}");
    drop(daemon);
}
