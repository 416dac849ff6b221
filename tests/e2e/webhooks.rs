//! Webhook durability: events of status changes survive a SIGKILL that comes before the
//! receiver acknowledged them, and arrive after the restart, in order.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Daemon, write_config};
use crate::webhook_receiver::Receiver;

const SECRET: &str = "e2e-webhook-secret-0123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_not_yet_acknowledged_should_arrive_after_a_sigkill_and_restart() {
    let receiver = Receiver::start(SECRET, 0).await;
    receiver.set_down(true);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[messages]\ndefault_country = \"358\"\n[log]\nfilter = \"warn\"\n\
             [[webhooks]]\nname = \"crm\"\nurl = \"{}/hook\"\nsecret = \"{SECRET}\"\n\
             retry_base = \"50ms\"\nretry_max = \"200ms\"\n",
            receiver.base
        ),
    );
    let mut daemon = Daemon::start(dir.path(), &config);
    let http = reqwest::Client::new();
    let body: Value = http
        .post(format!("{}/v1/messages", daemon.base))
        .json(&json!({"to": "+358401234567", "text": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap().to_string();
    let canceled = http
        .delete(format!("{}/v1/messages/{id}", daemon.base))
        .send()
        .await
        .unwrap();
    assert_eq!(canceled.status().as_u16(), 200);
    // The receiver refuses: the first event is being retried, the second waits behind it.
    receiver
        .wait_for(Duration::from_secs(30), |r| !r.hits().is_empty())
        .await;
    daemon.kill9();
    assert!(receiver.acked().is_empty());

    receiver.set_down(false);
    let _daemon = Daemon::start(dir.path(), &config);
    receiver
        .wait_for(Duration::from_secs(30), |r| r.acked().len() >= 2)
        .await;
    let acked = receiver.acked();
    let statuses: Vec<&str> = acked
        .iter()
        .map(|h| h.doc["data"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "canceled"]);
    assert!(
        acked
            .iter()
            .all(|h| h.signed && h.path == "/hook" && h.doc["data"]["id"] == id.as_str())
    );
    assert!(acked[0].event < acked[1].event);
}
