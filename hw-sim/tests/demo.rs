//! `hw-sim demo`, the README's first command, run as a person runs it: the binary with a
//! configuration naming two modems and an SMPP link. Messages go out through the simulated
//! SIMs and the simulated SMSC, and a reply injected through a modem's control endpoint
//! reaches the inbox.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// Upper bound of every wait (debug builds on a busy machine).
const WAIT: Duration = Duration::from_secs(60);

/// The demo configuration shipped in `config/demo.toml`, with its paths moved into `dir` and
/// every port chosen by the system.
fn config(dir: &Path) -> String {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/demo.toml"))
            .unwrap();
    let d = dir.display();
    let out = shipped
        .replace("\"127.0.0.1:8080\"", "\"127.0.0.1:0\"")
        .replace("\"data/demo\"", &format!("\"{d}/store\""))
        .replace("\"data/demo-tty/", &format!("\"{d}/tty/"))
        .replace("port = 2775", "port = 0")
        // The simulated SIMs send 2 s per message; no rate shaping should slow the test more.
        .replace("rate = \"20/min\"", "rate = \"60/s\"")
        .replace("rate = \"30/min\"", "rate = \"60/s\"");
    assert_ne!(out, shipped);
    out
}

/// The running demo; killed on drop.
struct Demo {
    child: Child,
    api: String,
    modem_controls: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path) -> Demo {
    let path = dir.join("demo.toml");
    std::fs::write(&path, config(dir)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_hw-sim"))
        .args(["demo", "--control-port", "0", "--config"])
        .arg(&path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Owned by `Demo` at once, so it is killed and reaped even if a wait below fails.
    let mut demo = Demo {
        child,
        api: String::new(),
        modem_controls: Vec::new(),
    };
    let stdout = demo.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx
            .recv_timeout(WAIT)
            .expect("the demo did not print its address in time");
        if line.trim_start().starts_with("modem ") {
            let url = line.split("control ").nth(1).unwrap().trim().to_string();
            demo.modem_controls.push(url);
        }
        if let Some(addr) = line.strip_prefix("smsgw: listening on ") {
            demo.api = addr.trim().to_string();
            return demo;
        }
    }
}

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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_demo_should_send_through_simulated_sims_and_smsc_and_take_replies() {
    let dir = tempfile::tempdir().unwrap();
    let demo = tokio::task::spawn_blocking({
        let d = dir.path().to_path_buf();
        move || start(&d)
    })
    .await
    .unwrap();
    assert_eq!(
        demo.modem_controls.len(),
        2,
        "two simulated modems announced"
    );
    let http = reqwest::Client::new();
    let api = demo.api.clone();

    // The simulated SIMs register in a few seconds, as real ones do; until then the pool is
    // down and Finnish numbers would fail over to the SMSC.
    eventually("two ready modems", || {
        let (http, url) = (http.clone(), format!("{api}/v1/modems"));
        async move {
            let v: Value = http.get(url).send().await.ok()?.json().await.ok()?;
            let modems = v["modems"].as_array()?;
            (modems.len() == 2 && modems.iter().all(|m| m["state"] == "ready")).then_some(())
        }
    })
    .await;

    // A Finnish number goes through the SIM pool, a Swedish one through the SMSC.
    let mut ids = Vec::new();
    for to in ["040 123 4567", "+46 70 123 4567"] {
        let r: Value = http
            .post(format!("{api}/v1/messages"))
            .json(
                &json!({"to": to, "text": "Your visit is tomorrow at 10:00. Reply NO to cancel."}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(
            r["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_string(),
        );
    }
    let mut routes = Vec::new();
    for id in &ids {
        let m = eventually("delivered", || {
            let (http, url) = (http.clone(), format!("{api}/v1/messages/{id}"));
            async move {
                let m: Value = http.get(url).send().await.ok()?.json().await.ok()?;
                (m["status"] == "delivered").then_some(m)
            }
        })
        .await;
        routes.push(m["parts"][0]["route"].as_str().unwrap().to_string());
    }
    assert_eq!(routes, ["sims", "operator"]);

    // The customer answers through the SIM that texted them.
    let r = http
        .post(format!("{}/inject", demo.modem_controls[0]))
        .json(&json!({"from": "+358401234567", "text": "NO"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let reply = eventually("the reply in the inbox", || {
        let (http, url) = (http.clone(), format!("{api}/v1/inbox"));
        async move {
            let v: Value = http.get(url).send().await.ok()?.json().await.ok()?;
            v["messages"].as_array()?.first().cloned()
        }
    })
    .await;
    assert_eq!(reply["from"], "+358401234567");
    assert_eq!(reply["text"], "NO");
    assert_eq!(reply["route"], "sims");
    // The demo expects replies: the answer names the reminder it answers.
    assert_eq!(reply["in_reply_to"]["id"], ids[0].as_str(), "{reply}");
}

/// A second demo on the same configuration finds the store in use and stops before it
/// touches anything of the running one: its modems keep their ports.
#[tokio::test]
async fn a_second_demo_should_stop_without_touching_the_running_ones_ports() {
    let dir = tempfile::tempdir().unwrap();
    let demo = tokio::task::spawn_blocking({
        let d = dir.path().to_path_buf();
        move || start(&d)
    })
    .await
    .unwrap();
    let tty = dir.path().join("tty");
    let links = || {
        let mut v: Vec<_> = std::fs::read_dir(&tty)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let target = std::fs::read_link(&p).unwrap();
                (p, target)
            })
            .collect();
        v.sort();
        v
    };
    let before = links();
    assert_eq!(before.len(), 2, "{before:?}");
    let second = tokio::task::spawn_blocking({
        let path = dir.path().join("demo.toml");
        move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_hw-sim"))
                .args(["demo", "--control-port", "0", "--config"])
                .arg(&path)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + WAIT;
            let status = loop {
                if let Some(s) = child.try_wait().unwrap() {
                    break Some(s);
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            (status, err)
        }
    })
    .await
    .unwrap();
    assert!(second.0.is_some_and(|s| !s.success()), "{second:?}");
    assert!(second.1.contains("in use"), "{}", second.1);
    assert_eq!(links(), before, "the running demo's ports were replaced");
    // And the running demo still answers.
    let v: Value = reqwest::get(format!("{}/v1/modems", demo.api))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["modems"].as_array().unwrap().len(), 2, "{v}");
}
