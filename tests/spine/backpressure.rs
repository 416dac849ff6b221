//! Back-pressure: a full queue answers 429 and a disk below its floor 503, each with a reason
//! and `Retry-After`; nothing is accepted silently and nothing is dropped silently.

use serde_json::{Value, json};

use crate::api_inprocess::Api;

async fn submit(api: &Api, path: &str, body: Value) -> (u16, Option<String>, Value) {
    let resp = api
        .req(reqwest::Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_full_queue_should_answer_429_with_retry_after_and_store_nothing_more() {
    // No route: everything stays queued.
    let api = Api::start("[limits]\nmax_queued = 3\n", vec![]).await;
    let one = json!({"to": "+358401234567", "text": "hi"});
    for _ in 0..3 {
        let (s, _, body) = submit(&api, "/v1/messages", one.clone()).await;
        assert_eq!(s, 202, "{body}");
    }
    let (s, retry, body) = submit(&api, "/v1/messages", one.clone()).await;
    assert_eq!(s, 429);
    assert_eq!(body["error"]["code"], "queue_full");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit is 3")
    );
    assert_eq!(retry.as_deref(), Some("30"));
    let (s, _, body) = submit(
        &api,
        "/v1/messages/batch",
        json!({"messages": [one.clone()]}),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (429, Some("queue_full"))
    );
    let (_, list) = api.get("/v1/messages?limit=50").await;
    assert_eq!(list["messages"].as_array().unwrap().len(), 3);
    api.stop().await;
}

#[tokio::test]
async fn a_disk_below_its_floor_should_answer_503_disk_full_with_retry_after() {
    let api = Api::start("[limits]\nmin_free_disk = \"900000TB\"\n", vec![]).await;
    let (s, retry, body) = submit(
        &api,
        "/v1/messages",
        json!({"to": "+358401234567", "text": "hi"}),
    )
    .await;
    assert_eq!(s, 503);
    assert_eq!(body["error"]["code"], "disk_full");
    assert_eq!(retry.as_deref(), Some("300"));
    api.stop().await;
}
