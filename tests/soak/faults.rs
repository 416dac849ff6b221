//! The faults of the soak, each on its own schedule until the load stops; afterwards every
//! fault is cleared so the queue can drain. Timings come from the plan's seed.

use std::sync::Arc;
use std::time::Duration;

use hw_sim::ModemControl;
use hw_sim::modem::Fault;
use hw_sim::smsc::SmscHandle;
use tokio_util::sync::CancellationToken;

use crate::Plan;
use crate::disk::SmallDisk;
use crate::reconcile::{metric, text};
use crate::webhook_receiver::Receiver;

/// How often each fault happened.
#[derive(Debug, Default, Clone)]
pub struct FaultLog {
    /// SMPP connections dropped by the SMSC.
    pub link_drops: u64,
    /// Bursts of 50% ESME_RTHROTTLED.
    pub throttle_bursts: u64,
    /// Times the first modem stopped answering.
    pub hangs: u64,
    /// Times the second modem was unplugged (and came back).
    pub unplugs: u64,
    /// Times the webhook receiver went down.
    pub webhook_downs: u64,
    /// Times the store's disk was filled to below the floor.
    pub disk_fills: u64,
    /// Hangs and unplugs the daemon did not show in its metrics within [`NOTICE_WITHIN`].
    pub unnoticed: Vec<String>,
}

/// The daemon under test, watched so a fault lasts until the daemon has seen it: a hang that
/// ends before any command was due, or a port that comes back before the daemon looked,
/// would leave nothing in the metrics, and the test would then hang on timing luck.
#[derive(Clone)]
pub struct Watched {
    pub http: reqwest::Client,
    pub base: String,
}

/// How long a fault is held at most for the daemon to notice it; a hang or an unplug the
/// daemon has not seen by then (it probes every second) is a defect the reconciliation names.
const NOTICE_WITHIN: Duration = Duration::from_secs(30);

impl Watched {
    /// The daemon's counter `name{labels}` now.
    async fn counter(&self, name: &str, labels: &str) -> f64 {
        metric(
            &text(&self.http, format!("{}/metrics", self.base)).await,
            name,
            labels,
        )
    }

    /// Waits until `name{labels}` is above `before`, for at most [`NOTICE_WITHIN`]; false
    /// when the daemon never showed it.
    async fn noticed(&self, name: &str, labels: &str, before: f64) -> bool {
        let deadline = tokio::time::Instant::now() + NOTICE_WITHIN;
        while tokio::time::Instant::now() < deadline {
            if self.counter(name, labels).await > before {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}

/// The 5% CMS errors every modem send risks (cause 500, unknown error: temporary).
fn cms_errors() -> Fault {
    Fault::CmsError {
        code: 500,
        probability: 0.05,
        count: None,
    }
}

/// The time to the next occurrence of a fault that comes every `lo`–`hi` s of the full soak;
/// the first comes by the fraction `first` of the run at the latest, so a short run sees
/// every fault.
fn next(plan: &Plan, rng: &mut fastrand::Rng, n: u64, lo: f64, hi: f64, first: f64) -> f64 {
    let t = plan.every(lo + rng.f64() * (hi - lo));
    if n == 0 {
        t.min(plan.secs as f64 * first)
    } else {
        t
    }
}

/// Sleeps `secs`, or less when `stop` comes first; false when stopped.
async fn wait(secs: f64, stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(Duration::from_secs_f64(secs)) => true,
    }
}

/// Runs every fault until `stop`, then clears them all.
pub async fn run(
    plan: Plan,
    daemon: Watched,
    smsc: Arc<SmscHandle>,
    sims: [ModemControl; 2],
    receiver: Receiver,
    disk: Option<Arc<SmallDisk>>,
    stop: CancellationToken,
) -> FaultLog {
    for s in &sims {
        s.fault(cms_errors()).await.unwrap();
    }
    let seed = plan.seed;
    let link = tokio::spawn(link_drops(plan, seed, smsc.clone(), stop.clone()));
    let throttle = tokio::spawn(throttle_bursts(plan, seed ^ 1, smsc.clone(), stop.clone()));
    let hang = tokio::spawn(hangs(
        plan,
        seed ^ 2,
        sims[0].clone(),
        daemon.clone(),
        stop.clone(),
    ));
    let unplug = tokio::spawn(unplugs(
        plan,
        seed ^ 3,
        sims[1].clone(),
        daemon,
        stop.clone(),
    ));
    let hook = tokio::spawn(webhook_flaps(plan, receiver.clone(), stop.clone()));
    let fill = disk.map(|d| tokio::spawn(disk_fills(plan, seed ^ 4, d, stop.clone())));
    let (hangs, mut unnoticed) = hang.await.unwrap();
    let (unplugs, unseen_unplugs) = unplug.await.unwrap();
    unnoticed.extend(unseen_unplugs);
    let mut log = FaultLog {
        link_drops: link.await.unwrap(),
        throttle_bursts: throttle.await.unwrap(),
        hangs,
        unplugs,
        webhook_downs: hook.await.unwrap(),
        unnoticed,
        ..FaultLog::default()
    };
    if let Some(f) = fill {
        log.disk_fills = f.await.unwrap();
    }
    // The weather clears: everything may now drain.
    smsc.set_faults(hw_sim::smsc::Faults::default());
    for s in &sims {
        s.clear_faults().await.unwrap();
    }
    receiver.set_down(false);
    log
}

/// The SMSC drops every connection every 20–40 s (of the full soak).
async fn link_drops(plan: Plan, seed: u64, smsc: Arc<SmscHandle>, stop: CancellationToken) -> u64 {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut n = 0;
    while wait(next(&plan, &mut rng, n, 20.0, 40.0, 0.15), &stop).await {
        smsc.drop_connections();
        n += 1;
    }
    n
}

/// Every ~30 s, half of the submits are throttled for a few seconds.
async fn throttle_bursts(
    plan: Plan,
    seed: u64,
    smsc: Arc<SmscHandle>,
    stop: CancellationToken,
) -> u64 {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut n = 0;
    while wait(next(&plan, &mut rng, n, 20.0, 40.0, 0.3), &stop).await {
        let mut f = smsc.faults();
        f.throttle_fraction = 0.5;
        smsc.set_faults(f);
        n += 1;
        let more = wait(plan.every(5.0), &stop).await;
        let mut f = smsc.faults();
        f.throttle_fraction = 0.0;
        smsc.set_faults(f);
        if !more {
            break;
        }
    }
    n
}

/// The first modem stops answering anything for a while, every ~2 minutes; each hang lasts
/// until the daemon has counted a timeout on it (its probe comes every second).
async fn hangs(
    plan: Plan,
    seed: u64,
    sim: ModemControl,
    daemon: Watched,
    stop: CancellationToken,
) -> (u64, Vec<String>) {
    const TIMEOUTS: &str = "smsgw_modem_timeouts_total";
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut n, mut unnoticed) = (0, Vec::new());
    while wait(next(&plan, &mut rng, n, 60.0, 120.0, 0.2), &stop).await {
        let before = daemon.counter(TIMEOUTS, "modem=\"sim1\"").await;
        sim.fault(Fault::Hang).await.unwrap();
        n += 1;
        let more = wait(plan.every(15.0), &stop).await;
        if !daemon.noticed(TIMEOUTS, "modem=\"sim1\"", before).await {
            unnoticed.push(format!("hang {n} of sim1: no timeout counted"));
        }
        // Clearing the hang clears the CMS errors too: they go back on.
        sim.clear_faults().await.unwrap();
        sim.fault(cms_errors()).await.unwrap();
        if !more {
            break;
        }
    }
    (n, unnoticed)
}

/// The second modem is unplugged for a few seconds (its port vanishes and comes back, the
/// modem power-cycled), every ~2 minutes; the next unplug waits until the daemon has opened
/// the port again.
async fn unplugs(
    plan: Plan,
    seed: u64,
    sim: ModemControl,
    daemon: Watched,
    stop: CancellationToken,
) -> (u64, Vec<String>) {
    const OPENS: &str = "smsgw_modem_opens_total";
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut n, mut unnoticed) = (0, Vec::new());
    while wait(next(&plan, &mut rng, n, 60.0, 120.0, 0.45), &stop).await {
        let before = daemon.counter(OPENS, "modem=\"sim2\"").await;
        let ms = (plan.every(8.0) * 1000.0) as u64;
        sim.fault(Fault::Vanish { ms, new_link: None })
            .await
            .unwrap();
        n += 1;
        let more = wait(ms as f64 / 1000.0 + 0.5, &stop).await;
        if !daemon.noticed(OPENS, "modem=\"sim2\"", before).await {
            unnoticed.push(format!("unplug {n} of sim2: the port was not opened again"));
        }
        sim.fault(cms_errors()).await.unwrap();
        if !more {
            break;
        }
    }
    (n, unnoticed)
}

/// The webhook receiver is down half the time, in spells of a few seconds.
async fn webhook_flaps(plan: Plan, receiver: Receiver, stop: CancellationToken) -> u64 {
    let mut n = 0;
    loop {
        receiver.set_down(true);
        n += 1;
        if !wait(plan.every(10.0), &stop).await {
            break;
        }
        receiver.set_down(false);
        if !wait(plan.every(10.0), &stop).await {
            break;
        }
    }
    n
}

/// The store's disk fills to below the floor for a while, every ~3 minutes.
async fn disk_fills(plan: Plan, seed: u64, disk: Arc<SmallDisk>, stop: CancellationToken) -> u64 {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut n = 0;
    while wait(next(&plan, &mut rng, n, 90.0, 150.0, 0.6), &stop).await {
        let d = disk.clone();
        // Below the floor, but with room for what is already accepted to finish.
        tokio::task::spawn_blocking(move || d.fill((crate::FLOOR_MIB << 20) / 2))
            .await
            .unwrap();
        n += 1;
        let more = wait(plan.every(15.0), &stop).await;
        let d = disk.clone();
        tokio::task::spawn_blocking(move || d.free_up())
            .await
            .unwrap();
        if !more {
            break;
        }
    }
    n
}
