//! Webhooks through the whole daemon (in process): a real receiver on a loopback port that
//! fails the first attempts, a route double, per-config and per-message targets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::api_inprocess::{Api, ROUTE};
use crate::eventually::eventually;
use crate::fake_route::FakeRoute;
use crate::webhook_receiver::Receiver;

const SECRET: &str = "webhook-secret-0123456789";
const CB_SECRET: &str = "callback-secret-0123456789";

fn hook_config(receiver: &Receiver, cb: bool) -> String {
    let mut c = format!(
        "{ROUTE}\n[[webhooks]]\nname = \"crm\"\nurl = \"{}/hook\"\nsecret = \"{SECRET}\"\n\
         retry_base = \"50ms\"\nretry_max = \"200ms\"\n",
        receiver.base
    );
    if cb {
        c.push_str(&format!(
            "[callbacks]\nsecret = \"{CB_SECRET}\"\nallow = [\"127.0.0.1\"]\nretry_base = \"50ms\"\nretry_max = \"200ms\"\n"
        ));
    }
    c
}

/// For each message id, the statuses in the order they were acknowledged.
fn statuses_by_message(receiver: &Receiver, path: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for h in receiver.acked().into_iter().filter(|h| h.path == path) {
        out.entry(h.doc["data"]["id"].as_str().unwrap().to_string())
            .or_default()
            .push(h.doc["data"]["status"].as_str().unwrap().to_string());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_the_first_attempts_should_get_every_status_event_in_order_and_signed() {
    let receiver = Receiver::start(SECRET, 2).await;
    let route = Arc::new(FakeRoute::accepting("r", 8));
    let api = Api::start(&hook_config(&receiver, false), vec![route]).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let (s, body) = api
            .post(
                "/v1/messages",
                json!({"to": "+358401234567", "text": format!("hello {i}"), "reference": format!("ref-{i}")}),
            )
            .await;
        assert_eq!(s, 202, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    receiver
        .wait_for(Duration::from_secs(30), |r| {
            let by = statuses_by_message(r, "/hook");
            ids.iter()
                .all(|id| by.get(id).is_some_and(|s| s.len() == 3))
        })
        .await;
    let by = statuses_by_message(&receiver, "/hook");
    for id in &ids {
        assert_eq!(by[id], ["queued", "sending", "sent"], "message {id}");
    }
    let hits = receiver.hits();
    assert!(hits.iter().all(|h| h.signed), "every request is signed");
    // Every event was refused twice before it was acknowledged.
    assert_eq!(hits.len(), 6 * 3 * 3);
    let sent = receiver
        .acked()
        .into_iter()
        .find(|h| h.doc["data"]["status"] == "sent")
        .unwrap();
    assert_eq!(sent.doc["type"], "message.status");
    assert_eq!(sent.doc["data"]["parts"][0]["status"], "sent");
    assert!(sent.doc["data"]["parts"][0]["remote_id"].is_string());
    assert!(
        sent.doc["data"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("ref-")
    );
    assert_eq!(sent.event, sent.doc["id"].as_u64().unwrap());

    // The receiver records an event before its 200 reaches the gateway, so the last
    // acknowledgement may still be on its way back: pending drops to 0 once it is recorded.
    let list = eventually("no webhook event pending", || async {
        let (s, list) = api.get("/v1/webhooks").await;
        assert_eq!(s, 200);
        (list["webhooks"][0]["pending"] == 0).then_some(list)
    })
    .await;
    assert_eq!(list["webhooks"][0]["name"], "crm");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_url_should_receive_only_its_own_messages_events() {
    let receiver = Receiver::start(CB_SECRET, 0).await;
    let route = Arc::new(FakeRoute::accepting("r", 8));
    let api = Api::start(&hook_config(&receiver, true), vec![route]).await;
    let (s, with) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "a", "callback_url": format!("{}/cb", receiver.base)}),
        )
        .await;
    assert_eq!(s, 202, "{with}");
    let (s, _) = api
        .post("/v1/messages", json!({"to": "+358401234567", "text": "b"}))
        .await;
    assert_eq!(s, 202);
    let id = with["id"].as_str().unwrap().to_string();
    receiver
        .wait_for(Duration::from_secs(30), |r| {
            statuses_by_message(r, "/cb")
                .get(&id)
                .is_some_and(|s| s.len() == 3)
        })
        .await;
    let cb = statuses_by_message(&receiver, "/cb");
    assert_eq!(cb.len(), 1, "only the message with a callback_url");
    assert!(
        receiver
            .hits()
            .iter()
            .filter(|h| h.path == "/cb")
            .all(|h| h.signed)
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_url_should_receive_only_the_events_its_message_asked_for() {
    let receiver = Receiver::start(CB_SECRET, 0).await;
    let route = Arc::new(FakeRoute::accepting("r", 8));
    let api = Api::start(&hook_config(&receiver, true), vec![route]).await;
    let (s, body) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "a", "callback_url": format!("{}/cb", receiver.base),
                   "callback_events": ["sent", "failed", "sent"]}),
        )
        .await;
    assert_eq!(s, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    receiver
        .wait_for(Duration::from_secs(30), |r| {
            statuses_by_message(r, "/cb").contains_key(&id)
        })
        .await;
    // A target delivers one message's events one at a time, in order: had `queued` or
    // `sending` been queued for the callback, it would have arrived before `sent`.
    assert_eq!(statuses_by_message(&receiver, "/cb")[&id], ["sent"]);
    // The configured webhook still gets every change.
    receiver
        .wait_for(Duration::from_secs(30), |r| {
            statuses_by_message(r, "/hook")
                .get(&id)
                .is_some_and(|s| s.len() == 3)
        })
        .await;
    let (s, m) = api.get(&format!("/v1/messages/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(m["callback_events"], json!(["sent", "failed"]));
    api.stop().await;
}

#[tokio::test]
async fn callback_events_should_be_refused_without_a_callback_url_or_when_empty_or_unknown() {
    let api = Api::start(
        "[callbacks]\nsecret = \"callback-secret-0123456789\"\nallow = [\"127.0.0.1\"]\n",
        vec![],
    )
    .await;
    let cases = [
        (
            json!({"to": "+358401234567", "text": "a", "callback_events": ["delivered"]}),
            "callback_events_without_url",
        ),
        (
            json!({"to": "+358401234567", "text": "a", "callback_url": "http://127.0.0.1:1/cb",
                   "callback_events": []}),
            "invalid_callback_events",
        ),
    ];
    for (body, code) in cases {
        let (s, answer) = api.post("/v1/messages", body).await;
        assert_eq!((s, answer["error"]["code"].as_str()), (400, Some(code)));
    }
    let (s, answer) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "a", "callback_url": "http://127.0.0.1:1/cb",
                   "callback_events": ["arrived"]}),
        )
        .await;
    assert_eq!(s, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("arrived")),
        "{answer}"
    );
    let (s, answer) = api.get("/v1/messages").await;
    assert_eq!(s, 200);
    assert_eq!(answer["messages"], json!([]), "nothing was accepted");
    api.stop().await;
}

#[tokio::test]
async fn a_callback_url_should_be_refused_without_callbacks_or_when_not_http() {
    let api = Api::start("", vec![]).await;
    let (s, body) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "a", "callback_url": "http://127.0.0.1:1/cb"}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("callbacks_disabled"))
    );
    api.stop().await;
    let api = Api::start(
        "[callbacks]\nsecret = \"callback-secret-0123456789\"\n",
        vec![],
    )
    .await;
    let (s, body) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "a", "callback_url": "file:///etc/passwd"}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("invalid_callback_url"))
    );
    api.stop().await;
}

#[tokio::test]
async fn a_callback_url_into_the_gateways_network_should_be_refused_unless_allowed() {
    let api = Api::start(
        "[callbacks]\nsecret = \"callback-secret-0123456789\"\nallow = [\"http://10.1.2.3:8080/hooks/\"]\n",
        vec![Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await;
    for (url, why) in [
        ("http://127.0.0.1:9000/cb", "a loopback address"),
        ("http://localhost/cb", "a loopback address"),
        ("http://[::ffff:127.0.0.1]/cb", "a loopback address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "a link-local address",
        ),
        ("http://10.1.2.3:8080/admin", "a private address"),
        ("http://10.1.2.3:8080/hooks/../admin", "a private address"),
        ("http://0.0.0.0/cb", "the unspecified address"),
        ("http://224.0.0.1/cb", "a multicast address"),
    ] {
        let (s, body) = api
            .post(
                "/v1/messages",
                json!({"to": "+358401234567", "text": "a", "callback_url": url}),
            )
            .await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (400, Some("invalid_callback_url")),
            "{url}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{url}: {message}");
        assert!(message.contains("[callbacks] allow"), "{message}");
    }
    for url in [
        "http://10.1.2.3:8080/hooks/sms",
        "https://crm.example.com/sms",
    ] {
        let (s, body) = api
            .post(
                "/v1/messages",
                json!({"to": "+358401234567", "text": "a", "callback_url": url}),
            )
            .await;
        assert_eq!(s, 202, "{url}: {body}");
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_target_that_hangs_should_not_slow_sending() {
    // A "receiver" that accepts connections and never answers.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = black_hole.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = black_hole.accept().await {
            conns.push(c);
        }
    });
    let cfg = format!(
        "{ROUTE}\n[[webhooks]]\nname = \"slow\"\nurl = \"http://{addr}/hook\"\nsecret = \"{SECRET}\"\ntimeout = \"1h\"\nmax_in_flight = 2\n"
    );
    let route = Arc::new(FakeRoute::accepting("r", 8));
    let api = Api::start(&cfg, vec![route.clone()]).await;
    let started = std::time::Instant::now();
    let mut ids = Vec::new();
    for i in 0..20 {
        let (s, b) = api
            .post(
                "/v1/messages",
                json!({"to": "+358401234567", "text": format!("m{i}")}),
            )
            .await;
        assert_eq!(s, 202);
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        api.wait_status(id, "sent").await;
    }
    // Sending finished while every webhook request hangs (a 1 h timeout).
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(route.sends().len(), 20);
    // Every event is queued for the hanging target (it reads the log a moment after the store).
    eventually("20 messages × queued, sending, sent pending", || async {
        let (_, hooks) = api.get("/v1/webhooks").await;
        (hooks["webhooks"][0]["pending"] == 60).then_some(())
    })
    .await;
    api.stop().await;
    held.abort();
}
