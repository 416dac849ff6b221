//! The modem task: one per configured modem. It opens the port, runs start-up, sends the jobs
//! the pool gives it, reads what arrives, probes and polls on intervals, and climbs the
//! recovery ladder when the modem stops answering — reopening the port (and finding a
//! re-enumerated stick) without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::codec::{Decoded, OutgoingPart, StatusReportPdu, TpduCodec};
use super::health::{DEAD_RETRY, Ladder, Step};
use super::init::{self, InitError, InitOptions, Initialised};
use super::open::Opener;
use super::port::{self, PortError, PortHandle};
use super::quirks;
use super::receive::{Handled, REPORT_STORAGE, Receiver};
use super::send::{self, ModemEffect, PartResult, SendTimeouts};
use super::status::{ModemState, ModemView};
use crate::at::registration::RegStatus;
use crate::at::urc::HuaweiUrc;
use crate::at::{Command, SendPdu, Urc};
use crate::config::{ModemConfig, UnknownOutcome};
use crate::dispatch::{PartOutcome, Shaper};
use crate::model::{MessageId, Timestamp};
use crate::store::{Received, Store};

/// How often a modem's deadlines (unconfirmed parts' validity, the reassembly timeout) are
/// checked, whatever state its driver is in.
const DEADLINES_EVERY: Duration = Duration::from_secs(1);

/// How long seen-PDU marks are kept (a SIM is swept far more often than this).
const SEEN_KEEP: Duration = Duration::from_secs(14 * 86_400);

/// A send handed to a modem by its pool.
#[derive(Debug)]
pub struct Job {
    /// The message.
    pub id: MessageId,
    /// Its recipient (for report correlation).
    pub to: String,
    /// The parts to send, in order.
    pub parts: Vec<OutgoingPart>,
    /// Where the per-part results go.
    pub reply: oneshot::Sender<Vec<PartResult>>,
}

/// The pool's wake-up for the dispatcher, shared with its modems.
pub type WakeSlot = Arc<Mutex<Option<Arc<Notify>>>>;

/// What the pool and the API see of a modem.
#[derive(Debug)]
pub struct ModemShared {
    /// Configured name.
    pub name: String,
    /// Snapshot for the API and readiness.
    pub view: Mutex<ModemView>,
    /// Where jobs go.
    pub jobs: mpsc::Sender<Job>,
    /// Set by the pool when it hands out a job, cleared when the job is answered.
    pub busy: AtomicBool,
    /// This SIM's rate and daily cap.
    pub shaper: Mutex<Shaper>,
    /// The dispatcher's wake-up.
    pub wake: WakeSlot,
    /// What the pool does with a part this modem took but never answered.
    pub unknown_outcome: UnknownOutcome,
    /// The pool's circuit breaker for this modem: repeated send failures take it out of
    /// rotation.
    pub breaker: Mutex<super::pool::Breaker>,
}

impl ModemShared {
    /// Whether the modem can send now (ready, not busy, in rotation or due for a probe send).
    pub fn is_usable(&self) -> bool {
        !self.busy.load(Ordering::Acquire)
            && self.view.lock().state == ModemState::Ready
            && self.breaker.lock().allows(Timestamp::now())
    }

    fn notify(&self) {
        if let Some(w) = self.wake.lock().as_ref() {
            w.notify_one();
        }
    }
}

/// Everything a modem task needs.
#[derive(Debug, Clone)]
pub struct ModemDeps {
    /// Its configuration.
    pub config: ModemConfig,
    /// How to open its port.
    pub opener: Arc<dyn Opener>,
    /// TPDU codec.
    pub codec: Arc<dyn TpduCodec>,
    /// The store.
    pub store: Arc<Store>,
}

/// Starts a modem task; it runs until `cancel`.
pub fn spawn(
    deps: ModemDeps,
    shaper: Shaper,
    wake: WakeSlot,
    cancel: CancellationToken,
) -> (Arc<ModemShared>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(4);
    let c = &deps.config;
    let shared = Arc::new(ModemShared {
        name: c.name.clone(),
        view: Mutex::new(ModemView::new(
            &c.name,
            &c.route,
            &c.device.to_string_lossy(),
        )),
        jobs: tx,
        busy: AtomicBool::new(false),
        shaper: Mutex::new(shaper),
        wake,
        unknown_outcome: c.unknown_outcome,
        breaker: Mutex::new(super::pool::Breaker::new(c.timeouts.out_of_rotation.get())),
    });
    let cfun = c.cfun_reset;
    let task = ModemTask {
        shared: shared.clone(),
        jobs: rx,
        cancel,
        ladder: Ladder::new(cfun.unwrap_or(true)),
        init: None,
        registered: false,
        deps,
    };
    tokio::spawn(keep_deadlines(task.deps.clone(), task.cancel.clone()));
    let handle = tokio::spawn(task.run());
    (shared, handle)
}

/// Applies a modem's deadlines on a timer of their own: parts parked by `wait_for_report`
/// whose validity ended without a report become undelivered, and parts of a concatenated
/// message that waited longer than the reassembly timeout are delivered flagged incomplete.
/// Apart from the driver because a deadline passes whatever the modem does: a driver stuck
/// in a recovery step with long command timeouts must not hold a message past its validity.
async fn keep_deadlines(deps: ModemDeps, cancel: CancellationToken) {
    let mut tick = interval(DEADLINES_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = Timestamp::now();
        resolve_unconfirmed(&deps, now).await;
        release_incomplete(&deps, now).await;
    }
}

/// Parts parked by `wait_for_report` whose validity ended without a report become undelivered
/// (no report can come for them any more).
async fn resolve_unconfirmed(deps: &ModemDeps, now: Timestamp) {
    let c = &deps.config;
    match deps
        .store
        .writer()
        .resolve_unconfirmed(&c.name, now)
        .wait()
        .await
    {
        Ok(v) if !v.is_empty() => {
            let _ = deps.store.durable().await;
            warn!(target: "smsgw::modem", modem = %c.name, parts = ?v, "unconfirmed parts resolved undelivered: no status report before their validity ended");
        }
        Ok(_) => {}
        Err(e) => warn!(target: "smsgw::modem", cause = %e, "cannot resolve unconfirmed parts"),
    }
}

/// Received messages whose parts waited longer than the reassembly timeout are delivered,
/// flagged incomplete.
async fn release_incomplete(deps: &ModemDeps, now: Timestamp) {
    let c = &deps.config;
    let older = Timestamp(
        now.as_millis()
            .saturating_sub(c.timeouts.reassembly.get().as_millis() as u64),
    );
    match deps
        .store
        .writer()
        .release_incomplete(&c.name, older, now)
        .wait()
        .await
    {
        Ok(v) if !v.is_empty() => {
            let _ = deps.store.durable().await;
            warn!(target: "smsgw::modem", modem = %c.name, count = v.len(), "incomplete messages delivered after the reassembly timeout");
        }
        Ok(_) => {}
        Err(e) => warn!(target: "smsgw::modem", cause = %e, "cannot release incomplete messages"),
    }
}

/// How a session with an open port ended.
enum Exit {
    Cancelled,
    Reopen,
    Down(String, Duration),
    Dead(String),
}

struct ModemTask {
    deps: ModemDeps,
    shared: Arc<ModemShared>,
    jobs: mpsc::Receiver<Job>,
    cancel: CancellationToken,
    ladder: Ladder,
    init: Option<Initialised>,
    /// Registered on a network, as last read (where a modem that answers again goes back to).
    registered: bool,
}

impl ModemTask {
    fn name(&self) -> &str {
        &self.deps.config.name
    }

    fn set_state(&self, state: ModemState) {
        let changed = {
            let mut v = self.shared.view.lock();
            let changed = v.state != state;
            if matches!(state, ModemState::Ready | ModemState::NotRegistered) {
                v.health = None;
            }
            v.state = state;
            changed
        };
        if changed {
            self.shared.notify();
        }
    }

    async fn run(mut self) {
        let mut retry = Duration::from_secs(2);
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            self.set_state(ModemState::Starting);
            let io = match self.deps.opener.open().await {
                Ok(io) => io,
                Err(e) => {
                    warn!(target: "smsgw::modem", modem = self.name(), cause = %e, "cannot open the modem's port");
                    self.shared.view.lock().error(e.clone());
                    self.set_state(ModemState::Down(e));
                    if !self.pause(retry).await {
                        return;
                    }
                    retry = (retry * 2).min(Duration::from_secs(60));
                    continue;
                }
            };
            retry = Duration::from_secs(2);
            self.shared.view.lock().counters.opens += 1;
            let (port, urcs) = port::spawn(io, self.name());
            let exit = self.session(&port, urcs).await;
            drop(port);
            match exit {
                Exit::Cancelled => return,
                Exit::Reopen => {
                    {
                        let mut v = self.shared.view.lock();
                        if v.health.is_none() {
                            v.health = Some("re-opening: the port closed".into());
                        }
                    }
                    self.set_state(ModemState::Recovering(Step::Reopen));
                    if !self.pause(Duration::from_millis(500)).await {
                        return;
                    }
                }
                Exit::Down(reason, wait) => {
                    warn!(target: "smsgw::modem", modem = self.name(), %reason, "modem down");
                    {
                        let mut v = self.shared.view.lock();
                        v.error(reason.clone());
                        v.health = Some(format!(
                            "down: opening the port and starting again in {wait:?}: {reason}"
                        ));
                    }
                    self.set_state(ModemState::Down(reason));
                    if !self.pause(wait).await {
                        return;
                    }
                }
                Exit::Dead(reason) => {
                    error!(target: "smsgw::modem", modem = self.name(), %reason, "modem dead: a person should look at it; retrying every {:?}", DEAD_RETRY);
                    {
                        let mut v = self.shared.view.lock();
                        v.error(reason.clone());
                        v.health = Some(format!(
                            "dead: the ladder is exhausted; trying again every {DEAD_RETRY:?}: {reason}"
                        ));
                    }
                    self.set_state(ModemState::Dead(reason));
                    if !self.pause(DEAD_RETRY).await {
                        return;
                    }
                    self.ladder.success();
                }
            }
        }
    }

    /// Sleeps `d`, refusing jobs meanwhile. False when cancelled.
    async fn pause(&mut self, d: Duration) -> bool {
        let until = Instant::now() + d;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return false,
                _ = tokio::time::sleep_until(until) => return true,
                Some(job) = self.jobs.recv() => self.refuse(job, "the modem is not ready"),
            }
        }
    }

    fn refuse(&self, job: Job, why: &str) {
        let r = job
            .parts
            .iter()
            .map(|p| {
                let mut r = send::not_attempted(p.index);
                r.outcome = PartOutcome::Temporary {
                    reason: format!("{}: {why}", self.name()),
                };
                r
            })
            .collect();
        let _ = job.reply.send(r);
        self.shared.busy.store(false, Ordering::Release);
        self.shared.notify();
    }

    fn init_options(&self) -> InitOptions {
        let c = &self.deps.config;
        InitOptions {
            pin: c.pin.clone(),
            storage: c.storage.clone(),
            cnmi: c.cnmi,
            cmms: c.cmms,
            quirks: c.quirks.as_deref().and_then(quirks::by_name),
            command_timeout: c.timeouts.command.get(),
            registration_timeout: c.timeouts.registration.get(),
        }
    }

    async fn start(&mut self, port: &PortHandle) -> Result<(), Exit> {
        match init::initialise(port, &self.init_options()).await {
            Ok(init) => {
                if let Some(imei) = &init.identity.imei {
                    self.deps.opener.remember_imei(imei);
                }
                self.ladder = Ladder::new(
                    self.deps
                        .config
                        .cfun_reset
                        .unwrap_or(init.quirks.cfun_reset_safe),
                );
                {
                    let mut v = self.shared.view.lock();
                    v.identity = Some(init.identity.clone());
                    v.quirks = Some(init.quirks.name.to_string());
                    v.storage = init.storage.clone();
                    v.cnmi = init.cnmi;
                }
                let registered = init.registered;
                self.registered = registered;
                self.init = Some(init);
                self.set_state(if registered {
                    ModemState::Ready
                } else {
                    ModemState::NotRegistered
                });
                Ok(())
            }
            Err(
                e @ (InitError::PinRequired | InitError::WrongPin(_) | InitError::SimLocked(_)),
            ) => Err(Exit::Dead(e.to_string())),
            Err(e) => Err(Exit::Down(e.to_string(), Duration::from_secs(10))),
        }
    }

    async fn session(&mut self, port: &PortHandle, mut urcs: mpsc::Receiver<Urc>) -> Exit {
        if let Err(exit) = self.start(port).await {
            return exit;
        }
        // Storage first: a SIM that filled up while nobody read it is emptied before anything
        // else (the network holds what did not fit until the modem reports room).
        if let Some(step) = self.read_storage(port).await {
            if let Some(exit) = self.recover(port, step).await {
                return exit;
            }
        }
        let t = &self.deps.config.timeouts;
        let mut probe = interval(t.probe_every.get());
        let mut poll = interval(t.poll_every.get());
        let mut sweep = interval(t.sweep_every.get());
        for i in [&mut probe, &mut poll, &mut sweep] {
            i.set_missed_tick_behavior(MissedTickBehavior::Delay);
        }
        // The first tick of each fires at once: poll and sweep right after start-up.
        probe.tick().await;
        loop {
            let step = tokio::select! {
                _ = self.cancel.cancelled() => return Exit::Cancelled,
                Some(job) = self.jobs.recv() => self.send_job(port, job).await,
                urc = urcs.recv() => match urc {
                    None => return Exit::Reopen,
                    Some(u) => match self.on_urc(port, u).await {
                        Ok(s) => s,
                        Err(exit) => return exit,
                    },
                },
                _ = probe.tick() => self.probe(port).await,
                _ = poll.tick() => self.poll(port).await,
                _ = sweep.tick() => self.sweep(port).await,
            };
            if let Some(step) = step {
                if let Some(exit) = self.recover(port, step).await {
                    return exit;
                }
            }
            if port.is_closed() {
                return Exit::Reopen;
            }
        }
    }

    /// Takes a ladder step; `Some` ends the session.
    async fn recover(&mut self, port: &PortHandle, step: Step) -> Option<Exit> {
        warn!(target: "smsgw::modem", modem = self.name(), ?step, "recovering an unresponsive modem");
        {
            let mut v = self.shared.view.lock();
            v.counters.recoveries += 1;
            let why = v.last_error.clone().unwrap_or_else(|| "no answer".into());
            v.health = Some(format!(
                "{}: {} failures in a row; last: {why}",
                step.doing(),
                super::health::FAILURES_PER_STEP
            ));
        }
        self.set_state(ModemState::Recovering(step));
        match step {
            Step::Esc => {
                let _ = port.write_raw(&SendPdu::abort()).await;
                // Out of rotation until it answers a probe again.
                self.set_state(ModemState::Probing(
                    "ESC written after failures; waiting for an answer to AT".into(),
                ));
                self.shared.view.lock().health = Some(format!(
                    "probing after escaping; next if it stays silent: {}",
                    self.ladder.next_step().doing()
                ));
                None
            }
            Step::Reinit => self.start(port).await.err(),
            Step::Reopen => Some(Exit::Reopen),
            Step::CfunReset => {
                let _ = port
                    .command(&Command::reset(), self.deps.config.timeouts.command.get())
                    .await;
                Some(Exit::Down(
                    "reset with AT+CFUN=1,1".into(),
                    Duration::from_secs(15),
                ))
            }
            Step::Dead => Some(Exit::Dead(
                "the modem stopped answering and the recovery ladder is exhausted".into(),
            )),
        }
    }

    async fn probe(&mut self, port: &PortHandle) -> Option<Step> {
        match port
            .command(
                &Command::attention(),
                self.deps.config.timeouts.command.get(),
            )
            .await
        {
            Ok(_) => {
                self.answered();
                None
            }
            Err(e) => {
                let step = self.ladder.failure();
                let what = format!("probe: {e}");
                {
                    let mut v = self.shared.view.lock();
                    v.counters.timeouts += 1;
                    v.error(what.clone());
                    if step.is_none() {
                        v.health = Some(format!(
                            "probing: {} of {} unanswered before {}: {what}",
                            self.ladder.failures(),
                            super::health::FAILURES_PER_STEP,
                            self.ladder.next_step().doing()
                        ));
                    }
                }
                if step.is_none() {
                    self.set_state(ModemState::Probing(what));
                }
                step
            }
        }
    }

    /// The modem answered: back to the bottom of the ladder, and out of `probing`.
    fn answered(&mut self) {
        self.ladder.success();
        let probing = matches!(self.shared.view.lock().state, ModemState::Probing(_));
        if probing {
            info!(target: "smsgw::modem", modem = self.name(), "the modem answers again");
            self.set_state(if self.registered {
                ModemState::Ready
            } else {
                ModemState::NotRegistered
            });
        }
    }

    async fn poll(&mut self, port: &PortHandle) -> Option<Step> {
        let t = self.deps.config.timeouts.command.get();
        match init::read_network(port, t, true).await {
            Ok(net) => {
                let registered = net.registration.is_some_and(RegStatus::is_registered);
                {
                    let mut v = self.shared.view.lock();
                    v.urcs_dropped = port.stats().urcs_dropped.load(Ordering::Relaxed);
                    if let Some(s) = net.signal {
                        v.signal_rssi = Some(s.rssi);
                        v.signal_dbm = s.dbm();
                    }
                    v.registration = net.registration.map(|r| format!("{r:?}").to_lowercase());
                    if net.operator.is_some() {
                        v.operator = net.operator;
                    }
                }
                self.answered();
                self.registration_changed(registered);
                self.read_storage(port).await
            }
            Err(_) => self.ladder.failure(),
        }
    }

    /// Reads storage occupancy (`AT+CPMS?`); a full receive storage is swept at once (read,
    /// store durably, delete) so the network can deliver what it holds.
    async fn read_storage(&mut self, port: &PortHandle) -> Option<Step> {
        let t = self.deps.config.timeouts.command.get();
        let Ok(r) = port.command(&Command::preferred_storage_query(), t).await else {
            return None;
        };
        let Ok(usage) = crate::at::response::storage::parse_cpms(&r) else {
            return None;
        };
        let names = ["read", "write", "receive"];
        let storages: Vec<super::status::StorageUse> = usage
            .iter()
            .enumerate()
            .map(|(i, u)| super::status::StorageUse {
                memory: u
                    .memory
                    .clone()
                    .unwrap_or_else(|| names.get(i).copied().unwrap_or("?").to_string()),
                used: u.used,
                total: u.total,
            })
            .collect();
        // The receive storage (<mem3>) is where new messages go.
        let full = storages
            .last()
            .filter(|s| s.total > 0 && s.used >= s.total)
            .map(|s| format!("+CPMS: {} {}/{} used", s.memory, s.used, s.total));
        let was_full = {
            let mut v = self.shared.view.lock();
            v.storages = storages;
            let was = v.storage_full.is_some();
            match (&full, was) {
                (Some(why), false) => {
                    v.counters.storage_full += 1;
                    v.storage_full = Some(why.clone());
                }
                (None, true) => v.storage_full = None,
                _ => {}
            }
            was
        };
        match full {
            Some(why) if !was_full => {
                warn!(target: "smsgw::modem", modem = self.name(), %why, "message storage full; reading and deleting now");
                self.empty_full_storage(port).await
            }
            _ => None,
        }
    }

    /// A full storage (by `+CPMS` or a vendor notice): sweep now, then read the occupancy
    /// again, which clears the mark once there is room.
    async fn empty_full_storage(&mut self, port: &PortHandle) -> Option<Step> {
        let step = self.sweep(port).await;
        if step.is_some() {
            return step;
        }
        let t = self.deps.config.timeouts.command.get();
        let Ok(r) = port.command(&Command::preferred_storage_query(), t).await else {
            return None;
        };
        if let Ok(usage) = crate::at::response::storage::parse_cpms(&r) {
            let mut v = self.shared.view.lock();
            for (s, u) in v.storages.iter_mut().zip(&usage) {
                s.used = u.used;
                s.total = u.total;
            }
            if usage.last().is_some_and(|u| u.used < u.total) {
                v.storage_full = None;
            }
        }
        None
    }

    fn registration_changed(&mut self, registered: bool) {
        self.registered = registered;
        let state = self.shared.view.lock().state.clone();
        match (state, registered) {
            (ModemState::NotRegistered, true) => self.set_state(ModemState::Ready),
            (ModemState::Ready, false) => self.set_state(ModemState::NotRegistered),
            _ => {}
        }
    }

    fn receiver<'a>(&'a self, port: &'a PortHandle) -> Receiver<'a> {
        let c = &self.deps.config;
        let own = self
            .init
            .as_ref()
            .and_then(|i| i.identity.own_number.as_deref());
        Receiver {
            port,
            codec: self.deps.codec.as_ref(),
            store: &self.deps.store,
            modem: &c.name,
            route: &c.route,
            own_number: own,
            storage: self.init.as_ref().and_then(|i| i.storage.as_deref()),
            timeout: c.timeouts.command.get(),
            report_window: c.timeouts.report_window.get(),
        }
    }

    async fn sweep(&mut self, port: &PortHandle) -> Option<Step> {
        let main = self
            .init
            .as_ref()
            .and_then(|i| i.storage.clone())
            .unwrap_or_else(|| "SM".into());
        let mut storages = vec![main.as_str()];
        for s in ["SM", "ME", REPORT_STORAGE] {
            // `MT` already covers `SM` and `ME` (TS 27.005 §3.2.2).
            let covered = main == "MT" && matches!(s, "SM" | "ME");
            if !storages.contains(&s) && !covered {
                storages.push(s);
            }
        }
        let r = self.receiver(port).sweep(&storages).await;
        let now = Timestamp::now();
        let c = &self.deps.config;
        // Queued, not waited for: forgetting old marks late changes nothing.
        let writer = self.deps.store.writer();
        let _ = writer.purge_seen(
            &c.name,
            Timestamp(now.as_millis().saturating_sub(SEEN_KEEP.as_millis() as u64)),
        );
        let _ = writer.purge_sent_parts(
            &c.name,
            Timestamp(
                now.as_millis()
                    .saturating_sub(c.timeouts.report_window.get().as_millis() as u64),
            ),
        );
        match r {
            Ok(n) => {
                self.shared.view.lock().counters.received += n as u64;
                None
            }
            Err(PortError::Timeout { .. }) => self.ladder.failure(),
            Err(_) => Some(Step::Reopen),
        }
    }

    async fn apply_report_only(&self, sr: &StatusReportPdu) -> Option<Handled> {
        let c = &self.deps.config;
        let input = super::receive::report_input(sr);
        let now = Timestamp::now();
        match self
            .deps
            .store
            .writer()
            .apply_status_report(&c.name, input, c.timeouts.report_window.get(), now)
            .wait()
            .await
        {
            Ok(m) => {
                let _ = self.deps.store.durable().await;
                Some(Handled::Report(m))
            }
            Err(_) => None,
        }
    }

    async fn on_urc(&mut self, port: &PortHandle, u: Urc) -> Result<Option<Step>, Exit> {
        let cnma = self.deps.config.cnma;
        let handled = match u {
            Urc::NewMessage { storage, index } => {
                self.receiver(port).read_announced(&storage, index).await
            }
            Urc::NewStatusReport { storage, index } => {
                self.receiver(port).read_report(&storage, index).await
            }
            Urc::Message { pdu, .. } => {
                let r = self.receiver(port).handle_pdu(&pdu).await;
                if cnma {
                    let _ = self.receiver(port).acknowledge().await;
                }
                Ok(r.unwrap_or_else(|e| Handled::Kept(e.to_string())))
            }
            Urc::StatusReport { pdu, .. } => {
                let h = match self.deps.codec.decode(&pdu) {
                    Ok(Decoded::StatusReport(sr)) => {
                        let h = self.apply_report_only(&sr).await;
                        h.unwrap_or(Handled::Kept("store error".into()))
                    }
                    _ => Handled::Kept("+CDS without a status report".into()),
                };
                if cnma {
                    let _ = self.receiver(port).acknowledge().await;
                }
                Ok(h)
            }
            ref other if super::quirks::storage_full_notice(other).is_some() => {
                let notice = super::quirks::storage_full_notice(other).unwrap_or_default();
                warn!(target: "smsgw::modem", modem = self.name(), %notice, "the modem says its message storage is full; reading and deleting now");
                {
                    let mut v = self.shared.view.lock();
                    if v.storage_full.is_none() {
                        v.counters.storage_full += 1;
                    }
                    v.storage_full = Some(notice);
                }
                return Ok(self.empty_full_storage(port).await);
            }
            Urc::Registration(r) => {
                self.shared.view.lock().registration = Some(format!("{:?}", r.stat).to_lowercase());
                self.registration_changed(r.stat.is_registered());
                return Ok(None);
            }
            Urc::Huawei(HuaweiUrc::Rssi(rssi)) => {
                let mut v = self.shared.view.lock();
                v.signal_rssi = Some(rssi);
                v.signal_dbm = (rssi <= 31).then(|| -113 + 2 * i16::from(rssi));
                return Ok(None);
            }
            Urc::SimStatus(s) if s != crate::at::response::sim::PinState::Ready => {
                return Err(Exit::Down(
                    format!("the SIM reported {s:?}"),
                    Duration::from_secs(5),
                ));
            }
            Urc::Ready | Urc::Functionality(_) => {
                // The modem restarted by itself: its settings (echo, CNMI, storage) are gone.
                info!(target: "smsgw::modem", modem = self.name(), "the modem restarted; initialising again");
                return Err(Exit::Down(
                    "the modem restarted".into(),
                    Duration::from_secs(3),
                ));
            }
            _ => return Ok(None),
        };
        match handled {
            Ok(Handled::Stored(Received::Stored(_))) => {
                self.shared.view.lock().counters.received += 1;
                Ok(None)
            }
            Ok(Handled::Report(_)) => {
                self.shared.view.lock().counters.reports += 1;
                Ok(None)
            }
            Ok(_) => Ok(None),
            Err(PortError::Timeout { .. }) => Ok(self.ladder.failure()),
            Err(_) => Err(Exit::Reopen),
        }
    }

    async fn send_job(&mut self, port: &PortHandle, job: Job) -> Option<Step> {
        if self.shared.view.lock().state != ModemState::Ready {
            self.refuse(job, "the modem is not ready");
            return None;
        }
        let Some(init) = self.init.as_ref() else {
            self.refuse(job, "the modem is not initialised");
            return None;
        };
        let c = &self.deps.config;
        let t = SendTimeouts {
            prompt: c.timeouts.prompt.get(),
            result: c.timeouts.result.get(),
            command: c.timeouts.command.get(),
        };
        let mut results =
            send::send_parts(port, &job.parts, &t, init.quirks.vendor, init.cmms).await;
        let now = Timestamp::now();
        if c.unknown_outcome == UnknownOutcome::WaitForReport {
            for r in results.iter_mut() {
                let PartOutcome::Unknown { reason } = &r.outcome else {
                    continue;
                };
                match self
                    .deps
                    .store
                    .writer()
                    .record_unconfirmed_part(&c.name, &job.to, job.id, r.index, now)
                    .wait()
                    .await
                {
                    Ok(()) => {
                        r.outcome = PartOutcome::Unconfirmed {
                            reason: reason.clone(),
                        }
                    }
                    // Without the record nothing would resolve it: leave it to be resent.
                    Err(e) => {
                        warn!(target: "smsgw::modem", cause = %e, "cannot record an unconfirmed part; it will be resent")
                    }
                }
            }
        }
        let mut step = None;
        {
            let mut v = self.shared.view.lock();
            for r in &results {
                match &r.outcome {
                    PartOutcome::Sent { .. } => v.counters.parts_sent += 1,
                    PartOutcome::Unknown { reason } | PartOutcome::Unconfirmed { reason } => {
                        v.counters.parts_unknown += 1;
                        v.error(reason.clone());
                    }
                    PartOutcome::Temporary { reason } | PartOutcome::Permanent { reason } => {
                        if r.written
                            || r.effect != ModemEffect::None
                            || r.index == job.parts.first().map_or(0, |p| p.index)
                        {
                            v.counters.parts_failed += 1;
                            v.error(reason.clone());
                        }
                    }
                }
                if r.effect == ModemEffect::Hung {
                    v.counters.timeouts += 1;
                }
            }
        }
        for r in &results {
            if let (PartOutcome::Sent { .. }, Some(mr)) = (&r.outcome, r.mr) {
                // Queued before any status report read after it, which then finds it.
                self.deps
                    .store
                    .writer()
                    .record_modem_part(&c.name, mr, &job.to, job.id, r.index, now);
            }
            let s = match &r.effect {
                ModemEffect::None if matches!(r.outcome, PartOutcome::Sent { .. }) => {
                    // Sends go only to a ready modem: nothing to leave but the ladder.
                    self.ladder.success();
                    None
                }
                ModemEffect::None => None,
                ModemEffect::Hung => self.ladder.failure(),
                ModemEffect::Ambiguous => self.ladder.ambiguous(),
                ModemEffect::Fatal(_) => Some(Step::Reinit),
                ModemEffect::PortLost => Some(Step::Reopen),
            };
            step = step.or(s);
        }
        let _ = job.reply.send(results);
        self.shared.busy.store(false, Ordering::Release);
        self.shared.notify();
        step
    }
}
