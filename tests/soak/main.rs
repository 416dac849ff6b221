//! Fault soak (issue 14): the real `smsgw` binary under steady load for a bounded time while
//! everything around it misbehaves — the SMPP link is dropped every few seconds, the SMSC
//! throttles in bursts, one modem hangs and another is unplugged and comes back, CMS errors
//! hit 5% of modem sends, the webhook receiver is down half the time, and the store's disk
//! fills up and is freed. Then the faults stop, the queue drains, and the run is reconciled
//! against what the simulators recorded: no accepted message lost or left unfinished, every
//! duplicate send flagged, every MO in the inbox (twice only after a lost deliver_sm_resp),
//! every status event delivered in order, every fault visible in the metrics, and memory,
//! file descriptors and threads without a growth trend.
//!
//! `SMSGW_SOAK_SECS` sets the loaded time (default 20 s, what `cargo test` runs; the full soak
//! is `SMSGW_SOAK_SECS=600 cargo test --release --test soak -- --nocapture`, which prints its
//! figures). Fault cadences scale with it. `SMSGW_SOAK_SEED` replays a run's fault timings;
//! `SMSGW_SOAK_RATE` sets submissions per second and `SMSGW_SOAK_CACHE_MIB` sled's cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/eventually.rs"]
#[allow(dead_code)]
mod eventually;
#[path = "../e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../support/webhook_receiver.rs"]
mod webhook_receiver;

mod disk;
mod faults;
mod load;
mod reconcile;
mod resources;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hw_sim::smsc::SmscConfig;
use hw_sim::{ModemConfig, Profile, SimModem};
use tokio_util::sync::CancellationToken;

use crate::harness::{Daemon, write_config};
use crate::webhook_receiver::Receiver;

/// The webhook's signing secret.
pub const SECRET: &str = "soak-webhook-secret-0123456789";
/// Size of the store's own file system, and the free space below which submissions are
/// refused (`[limits] min_free_disk`).
const DISK_MIB: u64 = 256;
const FLOOR_MIB: u64 = 24;

/// The soak's knobs, from the environment.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Loaded time.
    pub secs: u64,
    /// Seed of the fault timings.
    pub seed: u64,
    /// Messages submitted per second.
    pub rate: u64,
    /// sled's page cache (`[store] cache_bytes`), in MiB. Small by default so that a soak of
    /// ten minutes fills it early and the memory figure afterwards says whether anything
    /// else grows; at the daemon's default (256 MiB) the cache alone would still be filling.
    pub cache_mib: u64,
}

impl Plan {
    fn from_env() -> Plan {
        let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
        Plan {
            secs: var("SMSGW_SOAK_SECS").unwrap_or(20),
            seed: var("SMSGW_SOAK_SEED").unwrap_or_else(|| fastrand::u64(..)),
            rate: var("SMSGW_SOAK_RATE").unwrap_or(40),
            cache_mib: var("SMSGW_SOAK_CACHE_MIB").unwrap_or(16),
        }
    }

    /// A cadence of the full soak (`full` seconds in a 10-minute run), shortened for short
    /// runs so every fault still happens several times.
    pub fn every(&self, full: f64) -> f64 {
        if self.secs >= 300 {
            full
        } else {
            (full * self.secs as f64 / 120.0).max(1.0)
        }
    }
}

async fn modem(dir: &Path, name: &str) -> SimModem {
    let mut cfg = ModemConfig::fast(Profile::generic());
    cfg.link = Some(dir.join(name));
    SimModem::start(cfg).await.unwrap()
}

/// Finnish numbers go through the two SIMs, the rest over SMPP; retries are quick and many,
/// so a message the faults hold up is retried until it goes (never `failed` for a fault that
/// passes).
fn config(plan: &Plan, dir: &Path, smsc_port: u16, hook: &str) -> String {
    let timeouts = "[modems.timeouts]\ncommand = \"1s\"\nprompt = \"1s\"\nresult = \"2s\"\n\
                    probe_every = \"1s\"\npoll_every = \"5s\"\nsweep_every = \"1s\"\n\
                    registration = \"5s\"\nreassembly = \"1h\"\nout_of_rotation = \"2s\"\n";
    let mut c = format!(
        "[messages]\ndefault_country = \"358\"\nmax_attempts = 1000\nretry_base = \"200ms\"\n\
         retry_max = \"2s\"\n\
         [log]\nfilter = \"error\"\n\
         [limits]\nmin_free_disk = \"{FLOOR_MIB}MiB\"\n\
         [store]\ncache_bytes = {cache}\n\
         [[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n\
         [[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
         [[rules]]\nprefix = \"+358\"\nroutes = [\"sims\"]\n\
         [[rules]]\nprefix = \"\"\nroutes = [\"op\"]\n\
         [[smpp]]\nroute = \"op\"\nhost = \"127.0.0.1\"\nport = {smsc_port}\nsystem_id = \"smsgw\"\n\
         password = \"secret\"\nreconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\
         receipt_retry = \"200ms\"\nresponse_timeout = \"3s\"\n\
         [[webhooks]]\nname = \"soak\"\nurl = \"{hook}\"\nsecret = \"{SECRET}\"\n\
         retry_base = \"100ms\"\nretry_max = \"1s\"\n",
        cache = plan.cache_mib * 1024 * 1024,
    );
    for name in ["sim1", "sim2"] {
        c.push_str(&format!(
            "[[modems]]\nname = \"{name}\"\ndevice = \"{}/{name}\"\nroute = \"sims\"\n{timeouts}",
            dir.display()
        ));
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_nothing_should_be_lost_every_duplicate_flagged_and_resources_flat() {
    let plan = Plan::from_env();
    println!("soak: {plan:?} (replay with SMSGW_SOAK_SEED={})", plan.seed);
    let dir = tempfile::tempdir().unwrap();
    let disk = match disk::SmallDisk::mount(&dir.path().join("data"), DISK_MIB) {
        Ok(d) => Some(Arc::new(d)),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the soak needs a tmpfs of its own for the disk-full fault (run as root): {why}")
        }
        Err(why) => {
            eprintln!("notice: no disk-full fault in this soak (cannot mount a tmpfs: {why})");
            None
        }
    };
    let smsc = hw_sim::smsc::start(SmscConfig::default()).await.unwrap();
    let sims = [
        modem(dir.path(), "sim1").await,
        modem(dir.path(), "sim2").await,
    ];
    let receiver = Receiver::start(SECRET, 0).await;
    let cfg = config(
        &plan,
        dir.path(),
        smsc.smpp_addr.port(),
        &format!("{}/hook", receiver.base),
    );
    let config = write_config(dir.path(), &cfg);
    let daemon = Daemon::start(dir.path(), &config);
    let base = daemon.base.clone();
    let pid = daemon.pid().unwrap();
    let http = reqwest::Client::new();
    load::until_ready(&http, &base).await;

    let stop = CancellationToken::new();
    let sampler = tokio::spawn(resources::sample(pid, stop.clone()));
    let controls = [sims[0].control(), sims[1].control()];
    let watched = faults::Watched {
        http: http.clone(),
        base: base.clone(),
    };
    let fault_run = tokio::spawn(faults::run(
        plan,
        watched,
        smsc.clone(),
        controls.clone(),
        receiver.clone(),
        disk.clone(),
        stop.clone(),
    ));
    let submits = tokio::spawn(load::submit(plan, http.clone(), base.clone(), stop.clone()));
    let mos = tokio::spawn(load::inject_mo(
        smsc.clone(),
        controls.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(plan.secs)).await;
    stop.cancel();
    let submitted = submits.await.unwrap();
    let injected = mos.await.unwrap();
    let fault_log = fault_run.await.unwrap();
    let samples = sampler.await.unwrap();

    let report = reconcile::check(reconcile::Run {
        http: &http,
        base: &base,
        pid,
        smsc: &smsc,
        sims: &controls,
        receiver: &receiver,
        submitted: &submitted,
        injected: &injected,
        faults: &fault_log,
        samples: &samples,
    })
    .await;
    println!("{report}");
    drop(daemon);
    smsc.shutdown().await;
    // The disk is unmounted (dropped) only now, after the daemon that wrote to it is gone.
    drop(disk);
}
