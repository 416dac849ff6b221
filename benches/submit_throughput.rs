//! Durable submit throughput of the HTTP API, and start-up over a large queue.
//!
//! Not a criterion benchmark: it runs the daemon in-process on loopback, drives it with 64
//! concurrent HTTP clients for a few seconds per round, and prints medians over rounds. A
//! reference is measured in the same run (`GET /healthz` with the same clients: HTTP cost
//! without the store), so figures can be compared across noisy machines as ratios.
//!
//! Then it fills a store with `SMSGW_BENCH_QUEUE` (default 1,000,000) queued messages and
//! starts the real `smsgw` binary over it, measuring time to ready, RSS and size on disk.
//!
//!   cargo bench --bench submit_throughput
//!   SMSGW_BENCH_SECS=3 SMSGW_BENCH_ROUNDS=3 SMSGW_BENCH_QUEUE=200000 cargo bench --bench submit_throughput
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

// The allocator the `smsgw` binary uses, so the in-process daemon measures like the real one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use smsgw::api::submit::{SubmitRequest, SubmitRules};
use smsgw::config::Config;
use smsgw::model::Timestamp;
use smsgw::store::{NewMessage, Store};
use tokio::net::TcpListener;

mod support;
use support::{Gateway, env_num, median, percentile, rss_kib};

const CLIENTS: usize = 64;
const BATCH: usize = 100;

#[derive(Clone, Copy)]
enum Load {
    Health,
    Single,
    Batch,
}

struct Round {
    /// Requests per second.
    requests: f64,
    /// Messages per second (requests × batch size for batches).
    messages: f64,
    p50: Duration,
    p99: Duration,
}

async fn round(base: &str, load: Load, secs: u64) -> Round {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let http = http.clone();
        let base = base.to_string();
        let latencies = latencies.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let resp = match load {
                    Load::Health => http.get(format!("{base}/healthz")).send().await,
                    Load::Single => {
                        http.post(format!("{base}/v1/messages"))
                            .json(&json!({"to": format!("+3584{:08}", c * 1_000_000 + n as usize), "text": "Reminder: your visit is tomorrow at 10:00"}))
                            .send()
                            .await
                    }
                    Load::Batch => {
                        let items: Vec<Value> = (0..BATCH)
                            .map(|i| json!({"to": format!("+3585{:08}", i), "text": "Your order is ready for pick-up"}))
                            .collect();
                        http.post(format!("{base}/v1/messages/batch"))
                            .json(&json!({ "messages": items }))
                            .send()
                            .await
                    }
                };
                let resp = resp.unwrap();
                assert!(resp.status().is_success(), "{}", resp.status());
                let _ = resp.bytes().await.unwrap();
                mine.push(t.elapsed());
                n += 1;
            }
            latencies.lock().extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat = latencies.lock().clone();
    lat.sort();
    let requests = lat.len() as f64 / elapsed;
    let per = match load {
        Load::Batch => BATCH as f64,
        _ => 1.0,
    };
    Round {
        requests,
        messages: requests * per,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
    }
}

fn throughput(secs: u64, rounds: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir_in(".").unwrap();
        let mut config =
            Config::from_toml("[messages]\ndefault_country = \"358\"\n[log]\nfilter = \"error\"\n")
                .unwrap();
        config.store.data_dir = dir.path().join("data");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(smsgw::daemon::serve(
            config,
            Vec::new(),
            listener,
            async move {
                let _ = stop_rx.await;
            },
            move || {
                let _ = ready_tx.send(());
            },
        ));
        ready_rx.await.unwrap();
        println!("HTTP API, {CLIENTS} concurrent clients, {secs} s per round, {rounds} rounds, medians:");
        let mut reference = 0.0;
        for (name, load) in [
            ("reference GET /healthz", Load::Health),
            ("durable single submits", Load::Single),
            ("durable batch submits (100/batch)", Load::Batch),
        ] {
            let mut rs = Vec::new();
            for _ in 0..rounds {
                rs.push(round(&base, load, secs).await);
            }
            let req = median(rs.iter().map(|r| r.requests).collect());
            let msgs = median(rs.iter().map(|r| r.messages).collect());
            let p50 = median(rs.iter().map(|r| r.p50.as_secs_f64() * 1000.0).collect());
            let p99 = median(rs.iter().map(|r| r.p99.as_secs_f64() * 1000.0).collect());
            if let Load::Health = load {
                reference = req;
            }
            println!(
                "  {name:36} {req:>9.0} req/s  {msgs:>9.0} msg/s  p50 {p50:>6.2} ms  p99 {p99:>6.2} ms  ({:.2}x reference req/s)",
                req / reference
            );
        }
        let _ = stop_tx.send(());
        server.await.unwrap().unwrap();
    });
}

fn dir_size(path: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                dir_size(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}

fn large_queue(n: u64, rounds: u64) {
    // `SMSGW_BENCH_DIR` keeps the filled store in that directory and reuses it when it
    // already holds one (to measure or profile starts again without filling again).
    let temp = tempfile::tempdir_in(".").unwrap();
    let kept = std::env::var_os("SMSGW_BENCH_DIR").map(std::path::PathBuf::from);
    let root = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let data = root.join("data");
    let reuse = kept.is_some() && data.join("journal").exists();
    // `SMSGW_BENCH_CACHE` sets `[store] cache_bytes` (default: the configuration's default),
    // to see what sled's page cache costs in memory with a large queue.
    let cache = std::env::var("SMSGW_BENCH_CACHE")
        .ok()
        .map(|c| format!("[store]\ncache_bytes = {c}\n"))
        .unwrap_or_default();
    let config_text =
        format!("[messages]\ndefault_country = \"358\"\n[log]\nfilter = \"warn\"\n{cache}");
    let config = Config::from_toml(&config_text).unwrap();
    let rules = SubmitRules::new(&config.messages);
    let fill = Instant::now();
    if !reuse {
        let store = Store::open(&data, config.store.cache_bytes).unwrap();
        let mut done = 0u64;
        while done < n {
            let now = Timestamp::now();
            let batch: Vec<NewMessage> = (0..1000.min(n - done))
                .map(|i| {
                    let req: SubmitRequest = serde_json::from_value(json!({
                        "to": format!("+3584{:08}", done + i),
                        "text": "Reminder: your visit is tomorrow at 10:00. Reply NO to cancel.",
                        "reference": format!("appt-{}", done + i),
                    }))
                    .unwrap();
                    NewMessage {
                        message: rules.validate(req, now, |_| true).unwrap(),
                        idempotency_key: None,
                    }
                })
                .collect();
            done += batch.len() as u64;
            store.insert_outbound(batch).unwrap();
        }
        store.flush_blocking().unwrap();
    }
    let fill_secs = fill.elapsed().as_secs_f64();
    let size = dir_size(&data);
    if reuse {
        println!(
            "Store in {} reused ({:.0} MiB on disk)",
            root.display(),
            size as f64 / 1048576.0
        );
    } else {
        println!(
            "Store with {n} queued messages: filled in {fill_secs:.1} s ({:.0} msg/s, direct), {:.0} MiB on disk ({:.0} bytes/message)",
            n as f64 / fill_secs,
            size as f64 / 1048576.0,
            size as f64 / n as f64
        );
    }
    let config_path = root.join("bench.toml");
    std::fs::write(&config_path, &config_text).unwrap();
    let mut starts = Vec::new();
    let mut loads = Vec::new();
    let mut rss = Vec::new();
    for round in 0..rounds {
        let t = Instant::now();
        let gw = Gateway::start(&config_path, &data);
        let ready = t.elapsed();
        // Then until the due queue is read back (dispatching starts), from `/readyz`.
        let addr = gw.base.trim_start_matches("http://").to_string();
        let loaded = loop {
            let body = http_get(&addr, "/readyz");
            if body.contains("\"queue_loaded\":true") {
                break t.elapsed();
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "the queue was not loaded: {body}"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        // One request that touches the store, then memory as it stands.
        http_get(&addr, "/v1/messages?limit=10");
        std::thread::sleep(Duration::from_millis(500));
        rss.push(rss_kib(gw.pid()) as f64 / 1024.0);
        let (ready_ms, loaded_ms) = (ready.as_secs_f64() * 1000.0, loaded.as_secs_f64() * 1000.0);
        // The first start after the fill is sled's worst case: it reads back everything
        // written since its last start (a daemon that ran for days has written as much).
        let which = if round == 0 {
            "first start after the fill"
        } else {
            "start again"
        };
        println!("  {which}: API listening in {ready_ms:.0} ms, queue loaded in {loaded_ms:.0} ms");
        if ready_ms > 1000.0 {
            println!("  TARGET MISSED: start to serving took more than 1 s ({ready_ms:.0} ms)");
        }
        starts.push(ready_ms);
        loads.push(loaded_ms);
        drop(gw);
    }
    println!(
        "Daemon start over that store (median of {rounds}): API listening in {:.0} ms, queue loaded in {:.0} ms; RSS after start {:.0} MiB",
        median(starts),
        median(loads),
        median(rss)
    );
}

/// A plain HTTP/1.0 GET over a socket; the response as text (empty if it failed).
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut out = Vec::new();
    if let Ok(mut sock) = std::net::TcpStream::connect(addr) {
        let _ = sock.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes());
        let _ = sock.read_to_end(&mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing we need.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env_num("SMSGW_BENCH_SECS", 5);
    let rounds = env_num("SMSGW_BENCH_ROUNDS", 3);
    let queue = env_num("SMSGW_BENCH_QUEUE", 1_000_000);
    // `SMSGW_BENCH_SECS=0` measures only the large queue.
    if secs > 0 {
        throughput(secs, rounds);
    }
    large_queue(queue, rounds);
}
