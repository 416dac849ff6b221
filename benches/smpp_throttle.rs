//! SMPP throughput against a throttling SMSC (issue 13's benchmark).
//!
//! smsgw's SMPP link (the real `SmppRoute`: session, pacing, retries of throttled parts, the
//! link's store writer) in this process, window 100, no contracted rate, against the
//! node-smpp SMSC of `tests/peers/node_smsc.js` (npm `smpp` 0.5.1) in a child process, which
//! answers a fraction of submit_sm with `ESME_RTHROTTLED` (0x58), spread evenly. Every
//! message counts once, when the SMSC accepted it (throttled parts are resent by the link).
//!
//! In one run, each on a fresh link:
//! - unthrottled, 1% and 10% throttled: `SMSGW_BENCH_MESSAGES` messages (default 5,000) as
//!   fast as the link takes them, `SMSGW_BENCH_ROUNDS` rounds (default 3); msg/s, medians
//!   and ratios to the unthrottled median;
//! - sustained then recover: a steady backlog, 3 s unthrottled, then every answer 0x58 for
//!   `SMSGW_BENCH_BLOCK_SECS` (default 30), then none: submits per second while blocked (no
//!   tight loop), and the time until a second delivers 90% of the unthrottled rate again.
//!
//!   npm install --prefix target/node-smpp smpp@0.5.1     # once
//!   cargo bench --bench smpp_throttle
//!   SMSGW_BENCH_ROUNDS=1 SMSGW_BENCH_BLOCK_SECS=10 cargo bench --bench smpp_throttle
//!
//! `SMSGW_NODE_MODULES` overrides where the `smpp` module is looked for.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use smsgw::api::submit::{SubmitRequest, SubmitRules};
use smsgw::config::Config;
use smsgw::dispatch::{Route, SendJob};
use smsgw::model::Timestamp;
use smsgw::smpp::route::SmppRoute;
use smsgw::store::Store;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

mod support;
use support::{env_num, median};

struct Smsc {
    port: u16,
    stdin: ChildStdin,
    _child: Child,
}

impl Smsc {
    async fn start() -> Smsc {
        let support::NodeSmsc {
            child,
            port,
            stdin,
            mut lines,
        } = support::NodeSmsc::start(&support::node_modules(), &[]).await;
        // Keep reading so the pipe never fills.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Smsc {
            port,
            stdin,
            _child: child,
        }
    }

    async fn throttle(&mut self, fraction: f64) {
        self.stdin
            .write_all(format!("throttle {fraction}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
        // The script applies it when it reads the line; give it that moment.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh link to the SMSC, bound.
struct Link {
    route: Arc<SmppRoute>,
    rules: SubmitRules,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Link {
    async fn start(port: u16) -> Link {
        let text = format!(
            "[messages]\ndefault_country = \"358\"\n\
             [[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
             [[smpp]]\nroute = \"op\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             system_id = \"smsgw\"\npassword = \"secret\"\nwindow = 100\nregistered_delivery = 0\n"
        );
        let config = Config::from_toml(&text).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 64 << 20).unwrap();
        let cancel = CancellationToken::new();
        let mut links = smsgw::smpp::route::start(&config, store, cancel.clone(), &[]);
        let route = links.routes.remove(0);
        assert!(route.link().wait_bound(Duration::from_secs(10)).await);
        Link {
            route,
            rules: SubmitRules::new(&config.messages),
            cancel,
            _dir: dir,
        }
    }

    fn job(&self, i: u64) -> SendJob {
        let req: SubmitRequest = serde_json::from_value(serde_json::json!({
            "to": format!("+3584{:08}", i % 100_000_000),
            "text": "Your order is ready for pick-up until Friday.",
        }))
        .unwrap();
        let message = self
            .rules
            .validate(req, Timestamp::now(), |_| true)
            .unwrap();
        SendJob {
            message,
            parts: vec![1],
        }
    }

    fn accepted(&self) -> u64 {
        self.route.link().stats.accepted.load(Ordering::Relaxed)
    }

    fn submits(&self) -> u64 {
        self.route.link().stats.submits.load(Ordering::Relaxed)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Sends `n` messages through a fresh link; returns accepted messages per second.
async fn batch(smsc: &mut Smsc, fraction: f64, n: u64) -> (f64, u64) {
    smsc.throttle(fraction).await;
    let link = Link::start(smsc.port).await;
    let jobs: Vec<SendJob> = (0..n).map(|i| link.job(i)).collect();
    let t0 = Instant::now();
    let sends: Vec<_> = jobs.into_iter().map(|j| link.route.send(j)).collect();
    let reports = futures::future::join_all(sends).await;
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(reports.len() as u64, n);
    (
        link.accepted() as f64 / secs,
        link.route.link().throttle_cuts(),
    )
}

struct Sustained {
    before: f64,
    blocked_submits_per_s: f64,
    blocked_max_submits_1s: u64,
    recovered_after: Option<f64>,
    after_10s: f64,
}

/// Keeps a backlog on a fresh link: unthrottled, blocked for `block`, then free again.
async fn sustained(smsc: &mut Smsc, block: Duration, reference: f64) -> Sustained {
    smsc.throttle(0.0).await;
    let link = Arc::new(Link::start(smsc.port).await);
    let stop = CancellationToken::new();
    let feeder = {
        let link = link.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            // As many waiting as the link would take from the dispatcher (4 windows).
            let room = Arc::new(Semaphore::new(400));
            let mut i = 0u64;
            loop {
                let permit = tokio::select! {
                    p = room.clone().acquire_owned() => p.unwrap(),
                    _ = stop.cancelled() => break,
                };
                let send = link.route.send(link.job(i));
                i += 1;
                tokio::spawn(async move {
                    let _ = send.await;
                    drop(permit);
                });
            }
        })
    };
    let sample = |d: Duration| {
        let link = link.clone();
        async move {
            let (a0, s0) = (link.accepted(), link.submits());
            tokio::time::sleep(d).await;
            (link.accepted() - a0, link.submits() - s0)
        }
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (acc, _) = sample(Duration::from_secs(2)).await;
    let before = acc as f64 / 2.0;
    smsc.throttle(1.0).await;
    let mut blocked = Vec::new();
    for _ in 0..block.as_secs() {
        blocked.push(sample(Duration::from_secs(1)).await.1);
    }
    smsc.throttle(0.0).await;
    let mut per_tenth = Vec::new();
    for _ in 0..100 {
        per_tenth.push(sample(Duration::from_millis(100)).await.0);
    }
    stop.cancel();
    let _ = feeder.await;
    // The first whole second (in 0.1 s steps) that delivered 90% of the reference.
    let recovered_after = (0..per_tenth.len().saturating_sub(9))
        .find(|&i| per_tenth[i..i + 10].iter().sum::<u64>() as f64 >= 0.9 * reference)
        .map(|i| (i + 10) as f64 / 10.0);
    let after: u64 = per_tenth.iter().sum();
    // The first second of the block still carries the full rate until the first cut.
    let steady = &blocked[1.min(blocked.len())..];
    Sustained {
        before,
        blocked_submits_per_s: steady.iter().sum::<u64>() as f64 / steady.len().max(1) as f64,
        blocked_max_submits_1s: steady.iter().copied().max().unwrap_or(0),
        recovered_after,
        after_10s: after as f64 / 10.0,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let n = env_num("SMSGW_BENCH_MESSAGES", 5_000);
        let rounds = env_num("SMSGW_BENCH_ROUNDS", 3).max(1);
        let block = Duration::from_secs(env_num("SMSGW_BENCH_BLOCK_SECS", 30));
        let mut smsc = Smsc::start().await;
        let cases = [("unthrottled", 0.0), ("1% throttled", 0.01), ("10% throttled", 0.10)];
        // A warm-up batch, not counted: node's JIT and the first store writes made the first
        // batch of a run markedly slower than the rest.
        let (warm, _) = batch(&mut smsc, 0.0, n).await;
        println!("warm-up: {warm:.0} msg/s (not counted)");
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
        for round in 1..=rounds {
            for (i, (name, f)) in cases.iter().enumerate() {
                let (rate, cuts) = batch(&mut smsc, *f, n).await;
                println!("round {round}: {name}: {rate:.0} msg/s ({cuts} cuts)");
                rates[i].push(rate);
            }
        }
        let medians: Vec<f64> = rates.into_iter().map(median).collect();
        let reference = medians[0];
        println!();
        println!("| case ({n} messages, window 100, {rounds} rounds) | msg/s (median) | vs unthrottled |");
        println!("|---|---:|---:|");
        for ((name, _), m) in cases.iter().zip(&medians) {
            println!("| {name} | {m:.0} | {:.3} |", m / reference);
        }
        let s = sustained(&mut smsc, block, reference).await;
        println!();
        println!(
            "sustained: {:.0} msg/s before; every answer 0x58 for {} s: {:.1} submits/s (at most {} in a second, after the first second); after it stops: {} to a second at 90% of {reference:.0} msg/s, {:.0} msg/s over the first 10 s ({:.3} of unthrottled)",
            s.before,
            block.as_secs(),
            s.blocked_submits_per_s,
            s.blocked_max_submits_1s,
            s.recovered_after
                .map_or("not within 10 s".to_string(), |t| format!("{t:.1} s")),
            s.after_10s,
            s.after_10s / reference
        );
    });
}
