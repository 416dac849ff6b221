//! `GET /metrics`: the Prometheus text with queue depths, status changes by route, submit
//! latency, webhook figures and route state.

use std::sync::Arc;

use serde_json::json;

use crate::api_inprocess::{Api, ROUTE};
use crate::fake_route::FakeRoute;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_should_report_depths_changes_latency_and_webhooks_in_prometheus_text() {
    let cfg = format!(
        "{ROUTE}[[webhooks]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/x\"\nsecret = \"0123456789abcdef0\"\n"
    );
    let api = Api::start(&cfg, vec![Arc::new(FakeRoute::accepting("r", 4))]).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (s, b) = api
            .post("/v1/messages", json!({"to": "+358401234567", "text": "m"}))
            .await;
        assert_eq!(s, 202);
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        api.wait_status(id, "sent").await;
    }
    // The counters follow the event log a moment after the store: poll, bounded.
    let mut text = String::new();
    for _ in 0..200 {
        let resp = api
            .req(reqwest::Method::GET, "/metrics")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        text = resp.text().await.unwrap();
        if text.contains("smsgw_message_status_changes_total{status=\"sent\",route=\"r\"} 2") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    for want in [
        "smsgw_messages{status=\"sent\"} 2",
        "smsgw_messages{status=\"queued\"} 0",
        "smsgw_message_status_changes_total{status=\"sent\",route=\"r\"} 2",
        "smsgw_submit_latency_seconds_count 2",
        "smsgw_submit_latency_seconds_bucket{le=\"+Inf\"} 2",
        "smsgw_route_up{route=\"r\"} 1",
        "# TYPE smsgw_webhook_backlog gauge",
        "smsgw_webhook_failed_attempts_total{webhook=\"crm\"}",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // Every line is a comment or `name{labels} number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(series.starts_with("smsgw_"), "{line}");
        assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "{line}");
    }
    api.stop().await;
}
