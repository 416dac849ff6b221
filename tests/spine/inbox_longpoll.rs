//! Long polls on `/v1/inbox` and explicit acknowledgement, against the router with a store the
//! test writes received messages into (as a modem or SMPP driver would).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsgw::api::{self, AppShared, AppState, submit::SubmitRules};
use smsgw::config::Config;
use smsgw::dispatch::{Dispatcher, SystemClock};
use smsgw::model::{InboundMessage, MessageId, Timestamp};
use smsgw::store::Store;
use smsgw::webhook::Webhooks;
use tokio_util::sync::CancellationToken;

use crate::support::{received, temp_store};

/// Serves the router over `store` on a loopback port; returns its base URL.
pub async fn serve(store: Arc<Store>, config: &Config) -> String {
    let (_dispatcher, handle) =
        Dispatcher::new(store.clone(), vec![], config, Arc::new(SystemClock)).unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(store.group_commit().run(stop.clone()));
    let state = AppState::new(AppShared {
        store,
        dispatch: handle,
        rules: Arc::new(SubmitRules::new(&config.messages)),
        tokens: Arc::new(config.server.tokens.clone()),
        auth_failures: Default::default(),
        webhooks: Webhooks::none(),
        pressure: smsgw::api::backpressure::Pressure::unlimited(),
        kannel: Arc::new(config.kannel.clone()),
        metrics: smsgw::metrics::Registry::new(),
        activity: smsgw::metrics::activity::Activity::new(),
        stop,
        modems: Default::default(),
        console: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, api::router(state)).await;
    });
    base
}

fn inbound(text: &str) -> InboundMessage {
    received("sims", text, Timestamp::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_should_return_as_soon_as_a_message_arrives() {
    let (_dir, store) = temp_store();
    let base = serve(store.clone(), &Config::default()).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let poll = tokio::spawn({
        let http = http.clone();
        let base = base.clone();
        async move {
            let v: Value = http
                .get(format!("{base}/v1/inbox?wait=20s"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (v, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "the poll must wait while the inbox is empty"
    );
    store.insert_inbound(inbound("kyllä")).unwrap();
    let (v, took) = poll.await.unwrap();
    assert_eq!(v["messages"][0]["text"], "kyllä");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_with_nothing_new_should_answer_empty_after_its_wait() {
    let (_dir, store) = temp_store();
    let base = serve(store.clone(), &Config::default()).await;
    let started = Instant::now();
    let v: Value = reqwest::get(format!("{base}/v1/inbox?wait=1"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(v["messages"], json!([]));
    let r = reqwest::get(format!("{base}/v1/inbox?wait=1h"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_cursor_should_be_where_cursorless_polls_continue() {
    let (_dir, store) = temp_store();
    let base = serve(store.clone(), &Config::default()).await;
    let http = reqwest::Client::new();
    for t in ["one", "two"] {
        store.insert_inbound(inbound(t)).unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let page: Value = http
        .get(format!("{base}/v1/inbox?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"][0]["text"], "one");
    // Reading alone acknowledges nothing.
    let again: Value = http
        .get(format!("{base}/v1/inbox?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["messages"][0]["text"], "one");
    let r = http
        .post(format!("{base}/v1/inbox/ack"))
        .json(&json!({"cursor": page["next_cursor"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let next: Value = http
        .get(format!("{base}/v1/inbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["messages"].as_array().unwrap().len(), 1);
    assert_eq!(next["messages"][0]["text"], "two");
    // Another consumer has its own position.
    let other: Value = http
        .get(format!("{base}/v1/inbox?consumer=crm"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["messages"].as_array().unwrap().len(), 2);
}

#[test]
fn inbox_order_should_be_write_order_even_within_one_millisecond() {
    let (_dir, store) = temp_store();
    let at = Timestamp::now();
    // Ids made by callers in the same millisecond sort at random; the store reassigns them.
    let mut written = Vec::new();
    for i in 0..50 {
        let mut m = inbound(&format!("m{i}"));
        m.received_at = at;
        m.id = MessageId::new_at(at.as_millis());
        written.push(store.insert_inbound(m).unwrap().text);
    }
    let page = store.list_inbox(None, 100).unwrap();
    let read: Vec<String> = page.items.into_iter().map(|m| m.text).collect();
    assert_eq!(read, written);
    // A cursor taken after the first 10 sees exactly the other 40.
    let cursor = store.list_inbox(None, 10).unwrap().next_cursor;
    assert_eq!(store.list_inbox(cursor, 100).unwrap().items.len(), 40);
}
