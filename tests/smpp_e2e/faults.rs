//! Faults: the link dropped mid-window, throttling, malformed PDUs, bad credentials.

use std::collections::HashMap;

use hw_sim::smsc::Faults;

use crate::harness::{eventually, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_dropped_mid_window_should_lose_nothing_and_mark_only_lost_responses() {
    // Slow answers keep the window full; the 15th submit drops the connection with every
    // response still queued at the SMSC lost with it.
    let gw = start(
        Faults {
            response_delay_ms: 30,
            drop_after_submits: Some(15),
            receipt_delay_ms: 10,
            ..Faults::default()
        },
        "window = 8",
    )
    .await;
    let texts: Vec<String> = (0..40).map(|i| format!("drop test {i}")).collect();
    let ids = gw.submit("+358401234567", &texts).await;
    let done = gw.wait_status(&ids, &["sent", "delivered"]).await;
    assert!(gw.smsc.stats().dropped >= 1);
    let mut copies: HashMap<String, usize> = HashMap::new();
    for s in gw.smsc.submitted() {
        *copies.entry(s.text.unwrap()).or_default() += 1;
    }
    let mut marked = 0;
    for (m, text) in done.iter().zip(&texts) {
        let n = copies.get(text).copied().unwrap_or(0);
        assert!(n >= 1, "{text} never reached the SMSC");
        let dup = m["parts"][0]["possible_duplicate"] == true;
        marked += usize::from(dup);
        // A message the SMSC got twice must be one whose response was lost.
        assert!(
            n == 1 || dup,
            "{text} sent {n} times without the mark: {m:#}"
        );
    }
    assert!(marked >= 1, "the drop cut no response?");
    assert_eq!(
        gw.metric("smsgw_smpp_possible_duplicates_total{").await,
        marked as f64
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_should_slow_the_link_down_and_lose_nothing() {
    let gw = start(
        Faults {
            // The operator's contracted TPS, well under what a window of 16 sends.
            max_rate: Some(25.0),
            receipt_delay_ms: 10,
            ..Faults::default()
        },
        "window = 16",
    )
    .await;
    let texts: Vec<String> = (0..100).map(|i| format!("throttle test {i}")).collect();
    let ids = gw.submit("+358401234567", &texts).await;
    let done = gw.wait_status(&ids, &["delivered"]).await;
    assert_eq!(done.len(), 100);
    assert!(gw.smsc.stats().throttled > 0);
    assert!(gw.metric("smsgw_smpp_throttle_cuts_total{").await >= 1.0);
    // Paced near what the SMSC accepts (25/s, plus its first second's burst and the probing
    // above it), far under what a window of 16 sends unpaced; 0 would mean no limit.
    let rate = gw.metric("smsgw_smpp_rate_limit{").await;
    assert!(rate > 0.0 && rate < 100.0, "rate limit {rate}");
    // Every message reached the SMSC exactly once: throttled submits were not accepted.
    assert_eq!(gw.smsc.submitted().len(), 100);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_pdus_should_get_generic_nack_and_the_session_should_go_on() {
    let gw = start(Faults::default(), "").await;
    eventually("bound", || async {
        (gw.metric("smsgw_smpp_bound_sessions{").await == 1.0).then_some(())
    })
    .await;
    assert_eq!(gw.smsc.send_malformed(), 1);
    eventually("a generic_nack", || async {
        (gw.smsc.stats().generic_nacks_received == 1).then_some(())
    })
    .await;
    let ids = gw
        .submit("+358401234567", &["after garbage".to_string()])
        .await;
    gw.wait_status(&ids, &["delivered"]).await;
    assert_eq!(
        gw.smsc.stats().binds_ok,
        1,
        "the session went on without a rebind"
    );
    assert_eq!(gw.metric("smsgw_smpp_generic_nacks_sent_total{").await, 1.0);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_should_be_reported_and_retried_slowly() {
    let gw = start(Faults::default(), "password = \"wrong\"").await;
    let ready = eventually("the refusal in /readyz", || async {
        let v = gw.get("/readyz").await;
        let why = v["routes"][0]["reason"].as_str()?.to_string();
        why.contains("ESME_RINVPASWD").then_some(why)
    })
    .await;
    assert!(ready.contains("bind refused"), "{ready}");
    let first = gw.smsc.stats().binds_refused;
    // reconnect_max is 1 s: a refused bind waits 0.5–1 s, so 1.5 s allows at most 3 more.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let more = gw.smsc.stats().binds_refused - first;
    assert!(more <= 3, "{more} binds in 1.5 s");
    assert!(gw.metric("smsgw_smpp_bind_refusals_total{").await >= 1.0);
    // Messages wait in the queue (the route is down), they do not fail.
    let ids = gw.submit("+358401234567", &["waiting".to_string()]).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(gw.message(&ids[0]).await["status"], "queued");
    gw.stop().await;
}
