//! A modem pool under sustained load (issue 4's benchmark).
//!
//! Eight hw-sim modems, each sending one message per 2 s (the simulator's send delay, as a
//! real module's radio takes), serve one `modem_pool` route of the real `smsgw` binary. Each
//! modem is configured at exactly that rate (`30/min`). The queue is kept fuller than the pool
//! can drain; after every modem is ready, sends are counted for `SMSGW_BENCH_SECS` (default
//! 300 s) from the simulators' own records. Printed: the pool's aggregate rate against the
//! modems' summed capacity, the busiest modem's count against what its rate allows, and the
//! daemon's CPU use over the window (from `/proc`, the simulators excluded: they run in this
//! process).
//!
//!   cargo bench --bench modem_pool
//!   SMSGW_BENCH_SECS=60 cargo bench --bench modem_pool
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use hw_sim::{ModemConfig, Profile, SimModem};
use serde_json::{Value, json};

mod support;
use support::{Gateway, cpu_seconds, env_num};

const MODEMS: usize = 8;
/// The simulator's time from Ctrl-Z to `+CMGS`: one message per this per modem.
const SEND_DELAY: Duration = Duration::from_secs(2);

fn config(dir: &std::path::Path) -> String {
    let mut c = String::from(
        r#"
[messages]
default_country = "358"
[log]
filter = "warn"
[limits]
max_queued = 1000000
[[routes]]
name = "sims"
type = "modem_pool"
rate = "100/s"
burst = 100
[[rules]]
prefix = ""
routes = ["sims"]
"#,
    );
    for i in 0..MODEMS {
        c.push_str(&format!(
            r#"
[[modems]]
name = "m{i}"
device = "{d}/m{i}"
route = "sims"
rate = "30/min"
daily_limit = 100000
"#,
            d = dir.display()
        ));
    }
    c
}

async fn ready_modems(http: &reqwest::Client, base: &str) -> usize {
    let Ok(r) = http.get(format!("{base}/v1/modems")).send().await else {
        return 0;
    };
    let v: Value = r.json().await.unwrap_or(Value::Null);
    v["modems"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["state"] == "ready").count())
}

/// Submits `n` messages in batches of 500.
async fn fill(http: &reqwest::Client, base: &str, n: usize, offset: usize) {
    for start in (0..n).step_by(500) {
        let messages: Vec<Value> = (start..(start + 500).min(n))
            .map(|i| {
                json!({"to": format!("+3584{:08}", offset + i), "text": format!("Reminder {i}: your visit is tomorrow at 10:00.")})
            })
            .collect();
        let r = http
            .post(format!("{base}/v1/messages/batch"))
            .json(&json!({ "messages": messages }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "batch refused: {}", r.status());
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env_num("SMSGW_BENCH_SECS", 300);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let mut sims = Vec::new();
        for i in 0..MODEMS {
            let mut cfg = ModemConfig::new(Profile::generic());
            cfg.link = Some(dir.path().join(format!("m{i}")));
            cfg.imei = format!("35693803564{i:04}");
            cfg.send_delay = SEND_DELAY;
            cfg.registration_delay = Duration::from_millis(200);
            cfg.status_report_delay = Duration::from_secs(1);
            sims.push(SimModem::start(cfg).await.unwrap());
        }
        let config_path = dir.path().join("bench.toml");
        std::fs::write(&config_path, config(dir.path())).unwrap();
        let gw = {
            let (c, d) = (config_path.clone(), dir.path().join("data"));
            tokio::task::spawn_blocking(move || Gateway::start(&c, &d))
                .await
                .unwrap()
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while ready_modems(&http, &gw.base).await < MODEMS {
            assert!(Instant::now() < deadline, "modems did not come up");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // More than the pool can send in the window, so it never runs dry.
        let capacity_per_sec = MODEMS as f64 / SEND_DELAY.as_secs_f64();
        let backlog = (capacity_per_sec * secs as f64 * 1.3) as usize + 100;
        fill(&http, &gw.base, backlog, 0).await;
        // Start counting once every modem is busy, so start-up does not count against the pool.
        tokio::time::sleep(SEND_DELAY * 2).await;
        let before: Vec<usize> = sims.iter().map(|s| s.sent_parts().len()).collect();
        let cpu0 = cpu_seconds(gw.pid());
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let wall = t0.elapsed().as_secs_f64();
        let cpu = cpu_seconds(gw.pid()) - cpu0;
        let per_modem: Vec<usize> = sims
            .iter()
            .zip(&before)
            .map(|(s, b)| s.sent_parts().len() - b)
            .collect();
        let total: usize = per_modem.iter().sum();
        let rate = total as f64 / wall;
        let busiest = per_modem.iter().copied().max().unwrap_or(0);
        // What `30/min` allows one modem in the window (plus the one token a bucket starts with).
        let allowed = (wall / SEND_DELAY.as_secs_f64()).floor() as usize + 1;
        println!("Modem pool: {MODEMS} simulated modems, 1 message per {SEND_DELAY:?} each, {wall:.0} s of load");
        println!(
            "  aggregate {rate:.3} msg/s of a {capacity_per_sec:.3} msg/s capacity: {:.1}% (target >= 95%)",
            100.0 * rate / capacity_per_sec
        );
        println!("  per modem {per_modem:?}; busiest {busiest}, its rate allows {allowed}");
        println!(
            "  daemon CPU {:.2}% of one core ({cpu:.2} s over {wall:.0} s; target < 5%)",
            100.0 * cpu / wall
        );
        drop(gw);
        for s in sims {
            s.shutdown().await;
        }
    });
}
