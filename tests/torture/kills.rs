//! The torture: load both ways, SIGKILL at seeded random moments, restart, reconcile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::ledger::{self, Ledger};
use crate::reconcile;
use crate::rig::Rig;

/// A number from the environment, or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// The seed: from `SMSGW_TORTURE_SEED` to replay a run, else from the clock; printed.
pub fn seed() -> u64 {
    let seed = env_number(
        "SMSGW_TORTURE_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    println!("torture seed: {seed} (replay with SMSGW_TORTURE_SEED={seed})");
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sigkills_should_lose_nothing_and_flag_every_duplicate() {
    let kills = env_number("SMSGW_TORTURE_KILLS", 5);
    let mut rng = fastrand::Rng::with_seed(seed());
    let started = Instant::now();
    let mut rig = Rig::start(None).await;
    rig.ready().await;

    let ledger = Arc::new(Ledger::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..3 {
        load.push(tokio::spawn(ledger::submitter(
            ledger.clone(),
            rig.base.clone(),
            stop.clone(),
            Duration::from_millis(15),
        )));
    }
    load.push(tokio::spawn(ledger::injector(
        ledger.clone(),
        rig.smsc.clone(),
        rig.sims.iter().map(|s| s.control()).collect(),
        stop.clone(),
        Duration::from_millis(40),
    )));

    for k in 0..kills {
        // A moment anywhere from just after the start (modems still initialising, the link
        // binding, the queue requeued) to well into steady load.
        let up = Duration::from_millis(rng.u64(50..1500));
        tokio::time::sleep(up).await;
        rig.kill9();
        // Sometimes down for a while: MOs pile up on the SIMs, receipts at the SMSC.
        tokio::time::sleep(Duration::from_millis(rng.u64(0..300))).await;
        rig.restart().await;
        println!("kill {} after {up:?}", k + 1);
    }
    // Load for a moment more on the last start, then let everything settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for t in load {
        t.await.unwrap();
    }
    let figures = reconcile::settle_and_check(&rig, &ledger).await;
    println!(
        "crash torture: {kills} kills, {} | {:.1} s",
        figures,
        started.elapsed().as_secs_f64()
    );
    let mut d = rig.daemon.take().unwrap();
    assert!(d.terminate().success());
}
