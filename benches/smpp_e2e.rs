//! End to end over SMPP (issue 6's benchmark): HTTP → durable queue → SMPP → hw-sim's SMSC,
//! with receipts coming back, on this machine.
//!
//! The real `smsgw` binary runs one `[[smpp]]` link (one transceiver bind, window 64) to an
//! SMSC simulated in this process, which answers every submit and sends a receipt 10 ms later.
//! Clients submit through `POST /v1/messages/batch` (durable before the answer: every message
//! counted was on disk when the client heard "accepted").
//!
//! - Saturated: clients submit as fast as the gateway takes them for `SMSGW_BENCH_SECS`
//!   (default 20); the sustained rate is what the SMSC accepted per second in that window.
//! - Lag: then a steady offered load at half the saturated rate, and the time from each
//!   sampled message's creation to its `sent` status (submit_sm_resp recorded), as median and
//!   99th percentile.
//!
//!   cargo bench --bench smpp_e2e
//!   SMSGW_BENCH_SECS=10 cargo bench --bench smpp_e2e
//!   SMSGW_BENCH_SHOW=1 ...   # also print the status history of a few sampled messages
//!   SMSGW_BENCH_RECEIPTS=0 ...   # request no receipts (the send path alone)
//!   SMSGW_BENCH_OFFER=5000 ...   # offer this rate in the sustained phase (default 80% of the drain)
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hw_sim::smsc::{self, Faults, SmscConfig};
use serde_json::{Value, json};
use smsgw::model::Timestamp;

mod support;
use support::{Gateway, cpu_seconds, env_num, percentile};

const CLIENTS: usize = 8;
const BATCH: usize = 100;

fn config(port: u16) -> String {
    format!(
        r#"
[messages]
default_country = "358"
[log]
filter = "warn"
[limits]
max_queued = 10000000
[[routes]]
name = "operator"
type = "smpp"
rate = "1000000/s"
burst = 100000
[[rules]]
prefix = ""
routes = ["operator"]
[[smpp]]
route = "operator"
host = "127.0.0.1"
port = {port}
system_id = "smsgw"
password = "secret"
window = 64
registered_delivery = {receipts}
"#,
        // SMSGW_BENCH_RECEIPTS=0 asks for no receipts: the send path without the receipt path.
        receipts = env_num("SMSGW_BENCH_RECEIPTS", 1)
    )
}

fn batch(offset: u64) -> Value {
    let messages: Vec<Value> = (0..BATCH as u64)
        .map(|i| json!({"to": format!("+3584{:08}", (offset + i) % 100_000_000), "text": "Your order is ready for pick-up until Friday."}))
        .collect();
    json!({ "messages": messages })
}

/// Submits batches until `stop`, at most `per_sec` messages per second per client (0: as
/// fast as possible). Returns the ids accepted, each with the instant it was accepted.
async fn client(
    http: reqwest::Client,
    base: String,
    n: usize,
    stop: Arc<AtomicBool>,
    per_sec: f64,
    accepted: Arc<AtomicU64>,
) -> Vec<String> {
    let mut ids = Vec::new();
    let start = Instant::now();
    let mut sent = 0u64;
    while !stop.load(Ordering::Relaxed) {
        if per_sec > 0.0 {
            let due = start + Duration::from_secs_f64(sent as f64 / per_sec);
            tokio::time::sleep_until(due.into()).await;
        }
        let r = http
            .post(format!("{base}/v1/messages/batch"))
            .json(&batch((n as u64) << 40 | sent))
            .send()
            .await;
        let Ok(r) = r else { continue };
        if !r.status().is_success() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let v: Value = r.json().await.unwrap_or(Value::Null);
        let results = v["results"].as_array().cloned().unwrap_or_default();
        let got = results.iter().filter(|r| r["id"].is_string()).count() as u64;
        accepted.fetch_add(got, Ordering::Relaxed);
        sent += BATCH as u64;
        if let Some(id) = results.first().and_then(|r| r["id"].as_str()) {
            ids.push(id.to_string());
        }
    }
    ids
}

async fn load(base: &str, secs: u64, per_sec_total: f64, accepted: Arc<AtomicU64>) -> Vec<String> {
    let stop = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(client(
                http.clone(),
                base.to_string(),
                n,
                stop.clone(),
                per_sec_total / CLIENTS as f64,
                accepted.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

/// Creation-to-`sent` lag of each message in `ids` that reached `sent`.
async fn lags(base: &str, ids: &[String]) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for id in ids {
        let Ok(r) = http.get(format!("{base}/v1/messages/{id}")).send().await else {
            continue;
        };
        let m: Value = r.json().await.unwrap_or(Value::Null);
        let at = |status: &str| -> Option<Timestamp> {
            let h = m["history"].as_array()?;
            let e = h.iter().find(|e| e["status"] == status)?;
            serde_json::from_value(e["at"].clone()).ok()
        };
        if std::env::var("SMSGW_BENCH_SHOW").is_ok() && out.len() < 8 {
            let h: Vec<String> = m["history"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| format!("{} {}", e["status"], e["at"]))
                .collect();
            eprintln!("{}", h.join(", "));
        }
        if let (Some(created), Some(sent)) = (at("queued"), at("sent")) {
            out.push(Duration::from_millis(
                sent.as_millis().saturating_sub(created.as_millis()),
            ));
        }
    }
    out.sort();
    out
}

/// Waits until the SMSC has acknowledged nothing new for a second (or `limit` passed);
/// returns when it last saw a new one, and the total then.
async fn quiet(smsc: &smsc::SmscHandle, limit: Duration) -> (Instant, u64) {
    let deadline = Instant::now() + limit;
    let mut last = (Instant::now(), smsc.stats().accepted);
    while Instant::now() < deadline && last.0.elapsed() < Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = smsc.stats().accepted;
        if now != last.1 {
            last = (Instant::now(), now);
        }
    }
    last
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env_num("SMSGW_BENCH_SECS", 20);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let smsc = smsc::start(SmscConfig {
            max_records: 10_000,
            faults: Faults {
                receipt_delay_ms: 10,
                ..Faults::default()
            },
            ..SmscConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir_in(".").unwrap();
        let config_path = dir.path().join("bench.toml");
        std::fs::write(&config_path, config(smsc.smpp_addr.port())).unwrap();
        let gw = {
            let (c, d) = (config_path.clone(), dir.path().join("data"));
            tokio::task::spawn_blocking(move || Gateway::start(&c, &d))
                .await
                .unwrap()
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while smsc.stats().bound_sessions == 0 {
            assert!(Instant::now() < deadline, "the link did not bind");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Saturated.
        let accepted = Arc::new(AtomicU64::new(0));
        let s0 = smsc.stats();
        let cpu0 = cpu_seconds(gw.pid());
        let t0 = Instant::now();
        let _ = load(&gw.base, secs, 0.0, accepted.clone()).await;
        let wall = t0.elapsed().as_secs_f64();
        let s1 = smsc.stats();
        let cpu = cpu_seconds(gw.pid()) - cpu0;
        let intake = accepted.load(Ordering::Relaxed) as f64 / wall;
        let sent = (s1.accepted - s0.accepted) as f64 / wall;
        let receipts = (s1.receipts_sent - s0.receipts_sent) as f64 / wall;
        println!("SMPP end to end: one transceiver bind, window 64, {CLIENTS} HTTP clients, batches of {BATCH}, {wall:.0} s");
        println!("  saturated: accepted over HTTP {intake:.0} msg/s; submitted and acknowledged by the SMSC {sent:.0} msg/s (target >= 5,000); receipts {receipts:.0}/s");
        println!(
            "  daemon CPU {:.0}% of one core over the window",
            100.0 * cpu / wall
        );

        // The drain, with no intake competing for the store: the send path's own rate.
        let drain_start = (Instant::now(), smsc.stats().accepted);
        let drain_end = quiet(&smsc, Duration::from_secs(secs * 10)).await;
        let drained = drain_end.1 - drain_start.1;
        let drain_rate = drained as f64 / drain_end.0.duration_since(drain_start.0).as_secs_f64();
        if drained > 0 {
            println!(
                "  draining the backlog left ({drained} messages, no intake): {drain_rate:.0} msg/s"
            );
        }

        // Sustained: intake and sends together at 80% of the drain rate. Kept up if the SMSC
        // acknowledges about what is offered during the window and little is left after it.
        let offered = match env_num("SMSGW_BENCH_OFFER", 0) {
            0 if drained > 0 => 0.8 * drain_rate,
            0 => (sent / 2.0).max(100.0),
            fixed => fixed as f64,
        };
        let a0 = smsc.stats().accepted;
        let t0 = Instant::now();
        let ids = load(&gw.base, secs, offered, Arc::new(AtomicU64::new(0))).await;
        let window = t0.elapsed();
        let during = (smsc.stats().accepted - a0) as f64 / window.as_secs_f64();
        let (cleared, _) = quiet(&smsc, Duration::from_secs(secs * 10)).await;
        let l = lags(&gw.base, &ids).await;
        println!(
            "  sustained, {offered:.0} msg/s offered for {:.0} s: acknowledged {during:.0} msg/s during it, last one {:.1} s after it; submit to `sent` median {:?}, p99 {:?} ({} sampled messages)",
            window.as_secs_f64(),
            cleared.saturating_duration_since(t0 + window).as_secs_f64(),
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            l.len()
        );
        drop(gw);
        smsc.shutdown().await;
    });
}
