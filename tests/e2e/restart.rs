//! The durability contract: a 202 means the message survives a SIGKILL; a refusal means it is
//! not there.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::harness::{Daemon, QUEUE_ONLY, write_config};

/// Every id in the store, by walking the paginated listing.
async fn all_messages(http: &reqwest::Client, base: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = http
            .get(format!("{base}/v1/messages?limit=500&cursor={cursor}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        out.extend(page["messages"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_should_survive_a_sigkill_during_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), QUEUE_ONLY);
    let mut daemon = Daemon::start(dir.path(), &config);
    let http = reqwest::Client::new();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let refused_refs: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut clients = Vec::new();

    // Eight clients submit singles, two submit batches of 50; every tenth single is invalid.
    for c in 0..10 {
        let http = http.clone();
        let base = daemon.base.clone();
        let acked = acked.clone();
        let refused_refs = refused_refs.clone();
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let reference = format!("c{c}-{n}");
                let result = if c < 8 {
                    let to = if n % 10 == 9 { "not-a-number" } else { "+358401234567" };
                    let body = json!({"to": to, "text": "hello", "reference": reference});
                    http.post(format!("{base}/v1/messages")).json(&body).send().await
                } else {
                    let items: Vec<Value> = (0..50)
                        .map(|i| json!({"to": "+358401234567", "text": "batch", "reference": format!("{reference}-{i}")}))
                        .collect();
                    http.post(format!("{base}/v1/messages/batch"))
                        .json(&json!({ "messages": items }))
                        .send()
                        .await
                };
                // The connection breaks when the daemon dies: that client stops.
                let Ok(resp) = result else { return };
                let status = resp.status().as_u16();
                let Ok(body) = resp.json::<Value>().await else { return };
                match status {
                    202 if c < 8 => {
                        acked.lock().insert(body["id"].as_str().unwrap().to_string());
                    }
                    202 => {
                        for r in body["results"].as_array().unwrap() {
                            acked.lock().insert(r["id"].as_str().unwrap().to_string());
                        }
                    }
                    400 => refused_refs.lock().push(reference),
                    other => panic!("unexpected status {other}: {body}"),
                }
            }
        }));
    }
    // Kill once a good number of submissions were acknowledged, while clients are mid-flight.
    for _ in 0..600 {
        if acked.lock().len() >= 1500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    daemon.kill9();
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().clone();
    assert!(acked.len() >= 1500, "only {} acknowledged", acked.len());

    let daemon = Daemon::start(dir.path(), &config);
    let stored = all_messages(&http, &daemon.base).await;
    let stored_ids: HashSet<String> = stored
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<_> = acked.difference(&stored_ids).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages lost: {missing:?}",
        missing.len()
    );
    // Unacknowledged extras can only be requests in flight at the kill: at most one per client
    // (a batch counts 50).
    let extra = stored_ids.len() - acked.len();
    assert!(
        extra <= 8 + 2 * 50,
        "{extra} messages stored that nobody was told about"
    );
    let refused: HashSet<String> = refused_refs.lock().iter().cloned().collect();
    assert!(!refused.is_empty());
    for m in &stored {
        let r = m["reference"].as_str().unwrap_or_default();
        assert!(
            !refused.contains(r),
            "a refused submission ({r}) was stored"
        );
        assert_eq!(m["status"], "queued");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_should_stop_cleanly_with_exit_code_zero_and_keep_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), QUEUE_ONLY);
    let mut daemon = Daemon::start(dir.path(), &config);
    let http = reqwest::Client::new();
    let resp: Value = http
        .post(format!("{}/v1/messages", daemon.base))
        .json(&json!({"to": "040 765 4321", "text": "kept"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = resp["id"].as_str().unwrap().to_string();
    let status = daemon.terminate();
    assert!(status.success(), "exit status {status:?}");

    let daemon = Daemon::start(dir.path(), &config);
    let m: Value = http
        .get(format!("{}/v1/messages/{id}", daemon.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["status"], "queued");
    assert_eq!(m["to"], "+358407654321");
}
