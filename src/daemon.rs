//! Process life: open the store, start the flusher, dispatcher and API, tell systemd, and shut
//! down in order.
//!
//! Shutdown order matters for the durability contract: first the API stops taking requests and
//! the dispatcher stops handing out messages (waiting up to `shutdown_grace` for sends in
//! flight), then the group-commit flusher makes a last journal sync and the checkpointer a last
//! checkpoint, then the store is checkpointed once more and closed. One [`CancellationToken`] per
//! stage; every task is tracked and awaited.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::api::{self, AppShared, AppState, backpressure::Pressure, submit::SubmitRules};
use crate::config::Config;
use crate::dispatch::{Clock, Dispatcher, Route, SystemClock};
use crate::model::Timestamp;
use crate::store::Store;
use crate::webhook::{self, HttpTransport, Webhooks};

/// How often expired idempotency keys are purged.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(3600);

/// The routes the configuration asks for. Route drivers (modem pools, SMPP links) register
/// here as they are built; a configured route without a driver in this build is an error at
/// start rather than a gateway that accepts messages it can never send.
///
/// `modem_pool` routes are accepted here and started by [`serve`] once the store is open
/// (their modems write received messages and reports to it); this build must have a TPDU
/// codec for them.
pub fn build_routes(config: &Config) -> anyhow::Result<Vec<Arc<dyn Route>>> {
    let has_pools = config
        .routes
        .iter()
        .any(|r| r.kind == crate::config::RouteKind::ModemPool);
    if has_pools && crate::modem::build::default_codec().is_none() {
        anyhow::bail!(
            "modem_pool routes need the GSM TPDU codec, which is not part of this build yet"
        );
    }
    // `smpp` routes with an `[[smpp]]` link are started by [`serve`] too.
    if let Some(route) = config.routes.iter().find(|r| {
        r.kind != crate::config::RouteKind::ModemPool
            && !(r.kind == crate::config::RouteKind::Smpp
                && config.smpp.iter().any(|l| l.route == r.name))
    }) {
        // `Config::validate` refuses this already; kept so a config built in code is refused
        // with the same words.
        anyhow::bail!(
            "route {:?} is of type \"smpp\" but no [[smpp]] table serves it",
            route.name
        );
    }
    Ok(Vec::new())
}

/// Runs the gateway on `config.server.listen` until `shutdown` completes. `routes` are the
/// ways out (from [`build_routes`], or test doubles in tests).
pub async fn run(
    config: Config,
    routes: Vec<Arc<dyn Route>>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let addr: SocketAddr = listener.local_addr().context("no local address")?;
    let scheme = if config.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    serve(config, routes, listener, shutdown, move || {
        // Scripts and tests read this line to find the port when listening on port 0.
        println!("smsgw: listening on {scheme}://{addr}");
        let _ = std::io::stdout().flush();
    })
    .await
}

/// What the store applies inside its writes under `config`: consent keywords (`consent`),
/// reply matching and inbound routing act inside its inbox writes (issues 7, 8), so they are
/// the store's from its first write on; frequency counters are kept only when caps are set.
pub fn store_policies(
    config: &Config,
    consent: Arc<crate::consent::ConsentHook>,
) -> crate::store::Policies {
    let plan = config.messages.number_plan();
    let rules = crate::webhook::inbound_routes::InboundRules::new(&config.inbound_routes, &plan);
    crate::store::Policies {
        inbound_hook: Some(consent),
        inbound_classifier: (!rules.is_empty())
            .then(|| Arc::new(rules) as Arc<dyn crate::store::InboundClassifier>),
        reply_window: config.conversations.window.get(),
        number_plan: plan,
        count_frequency: config.consent.caps.any(),
    }
}

/// Runs the gateway on an already bound listener; `on_ready` runs once the store is open and
/// the API accepts requests (in-process tests use it to know when to start).
pub async fn serve(
    config: Config,
    routes: Vec<Arc<dyn Route>>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    on_ready: impl FnOnce(),
) -> anyhow::Result<()> {
    for w in config.warnings() {
        warn!("{w}");
    }
    let data_dir = config.store.data_dir.clone();
    let cache = config.store.cache_bytes;
    let dir = data_dir.clone();
    let for_store = config.clone();
    let (store, consent) = tokio::task::spawn_blocking(move || {
        // Loaded here, off the runtime: every number plan below reads it.
        crate::model::load_numbering_plans();
        let consent = crate::consent::ConsentHook::new(&for_store.consent, &for_store.messages);
        let policies = store_policies(&for_store, consent.clone());
        Store::open_with(&dir, cache, policies).map(|store| (store, consent))
    })
    .await
    .context("store open task failed")?
    .with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let requeued = store
        .writer()
        .requeue_in_flight(clock.now())
        .wait()
        .await
        .context("cannot requeue messages left `sending`")?;
    if requeued > 0 {
        warn!(
            requeued,
            "messages were being sent when the previous process stopped; requeued as possible duplicates"
        );
    }

    let links: Vec<String> = config.smpp.iter().map(|l| l.route.clone()).collect();
    let restored = store
        .writer()
        .restore_smsc_ids(links)
        .wait()
        .await
        .context("cannot restore the SMSC ids of messages waiting for receipts")?;
    if restored > 0 {
        warn!(
            restored,
            "SMSC ids lost by the previous process were restored from their messages"
        );
    }

    let work = CancellationToken::new();
    let commit_stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    let commit_task = tokio::spawn(store.group_commit().run(commit_stop.clone()));
    // Checkpoints bring sled up to date from the journal every few seconds, off the request
    // path (store::wal); they stop with the flusher.
    let checkpoint_task = tokio::spawn(store.checkpointer().run_checkpoints(commit_stop.clone()));

    // Modem pools start here, after the store is open, and stop after the dispatcher.
    let modem_stop = CancellationToken::new();
    let mut routes = routes;
    let mut modem_tasks = Vec::new();
    let mut modems = crate::modem::build::ModemRegistry::default();
    if let Some(codec) = crate::modem::build::default_codec() {
        let pools = crate::modem::build::start_pools(
            &config,
            store.clone(),
            codec,
            modem_stop.clone(),
            &crate::modem::build::serial_opener,
        )?;
        routes.extend(pools.routes);
        modem_tasks = pools.tasks;
        modems = pools.registry;
    }

    // SMPP links start here too (their sessions write receipts and MO to the store), unless a
    // route of the same name was given (test doubles); they unbind after the dispatcher stops.
    let smpp_stop = CancellationToken::new();
    let given: Vec<String> = routes.iter().map(|r| r.name().to_string()).collect();
    let links = crate::smpp::route::start(&config, store.clone(), smpp_stop.clone(), &given);
    routes.extend(links.routes.iter().map(|r| r.clone() as Arc<dyn Route>));

    let route_names: Vec<String> = routes.iter().map(|r| r.name().to_string()).collect();
    let targets = webhook::targets_from(&config);
    let activity = crate::metrics::activity::Activity::new();
    let counted = activity.clone();
    tracker.spawn(webhook::prune_events(
        store.clone(),
        targets.iter().map(|t| t.name.clone()).collect(),
        vec![Arc::new(move || counted.events_read())],
        work.clone(),
    ));
    let webhooks = Webhooks::start(
        store.clone(),
        targets,
        Arc::new(HttpTransport::new().map_err(anyhow::Error::msg)?),
        clock.clone(),
        &tracker,
        work.clone(),
    );
    let (dispatcher, handle) = Dispatcher::new(store.clone(), routes, &config, clock)
        .context("cannot start the dispatcher")?;
    tracker.spawn(dispatcher.run(work.clone(), config.server.shutdown_grace.get()));
    consent.set_dispatcher(handle.clone());

    let addr: SocketAddr = listener.local_addr().context("no local address")?;
    let pressure = Pressure::new(config.limits.clone());
    pressure.refresh(&store, &config.store.data_dir).await;
    tracker.spawn(
        pressure
            .clone()
            .run(store.clone(), config.store.data_dir.clone(), work.clone()),
    );
    let metrics = crate::metrics::Registry::new();
    metrics.register(activity.clone());
    metrics.register(store.group_commit());
    metrics.register(Arc::new(store.checkpointer()));
    metrics.register(Arc::new(handle.clone()));
    for link in &links.routes {
        metrics.register(link.clone());
    }
    for pool in modems.pools() {
        metrics.register(pool.clone());
    }
    tracker.spawn(activity.clone().run(store.clone(), work.clone()));
    metrics.register(pressure.clone());
    let auth_failures = Arc::new(api::auth_limit::AuthFailures::new());
    metrics.register(auth_failures.clone());
    let console = Arc::new(api::console::Console::new(
        config.server.tls.is_some(),
        config.console.users.clone(),
    ));
    tracker.spawn(api::console::signals::sample(
        console.signals.clone(),
        modems.clone(),
        work.clone(),
    ));
    let state = AppState::new(AppShared {
        store: store.clone(),
        dispatch: handle,
        rules: Arc::new(SubmitRules::from_config(&config)),
        tokens: Arc::new(config.server.tokens.clone()),
        auth_failures,
        webhooks,
        pressure: pressure.clone(),
        kannel: Arc::new(config.kannel.clone()),
        metrics,
        activity,
        stop: work.clone(),
        modems,
        console,
    });
    let app = api::router(state);
    match &config.server.tls {
        Some(files) => {
            let (tls, cert) = api::tls::TlsListener::new(listener, files, work.clone())
                .context("cannot serve the API over TLS ([server.tls])")?;
            tracker.spawn(api::tls::reload_on_sighup(Some(cert), work.clone()));
            tracker.spawn(serve_api(tls, app, work.clone()));
        }
        None => {
            tracker.spawn(api::tls::reload_on_sighup(None, work.clone()));
            tracker.spawn(serve_api(listener, app, work.clone()));
        }
    }
    tracker.spawn(maintenance(
        store.clone(),
        config.store.retention.get(),
        work.clone(),
    ));
    tracker.spawn(watchdog(work.clone()));

    on_ready();
    if route_names.is_empty() {
        warn!(
            "no routes are configured: messages are accepted and kept in the queue, none are sent"
        );
    }
    info!(%addr, routes = ?route_names, data_dir = %config.store.data_dir.display(), "smsgw ready");
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);

    shutdown.await;
    info!("shutting down: no new requests; waiting for sends in flight");
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    work.cancel();
    tracker.close();
    let bound = config.server.shutdown_grace.get() + Duration::from_secs(5);
    if tokio::time::timeout(bound, tracker.wait()).await.is_err() {
        warn!("some tasks did not stop in time");
    }
    modem_stop.cancel();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        futures::future::join_all(modem_tasks),
    )
    .await;
    smpp_stop.cancel();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        futures::future::join_all(links.tasks),
    )
    .await;
    commit_stop.cancel();
    let _ = commit_task.await;
    let _ = checkpoint_task.await;
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.flush_blocking())
        .await
        .context("final flush task failed")?
        .context("final flush failed")?;
    info!("stopped cleanly");
    Ok(())
}

/// Hourly housekeeping, on a blocking thread (each step walks a key range). Messages past
/// `retention` go (none when it is zero).
async fn maintenance(store: Arc<Store>, retention: Duration, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(MAINTENANCE_EVERY) => {}
        }
        tidy(&store, retention).await;
    }
}

/// Removes what has outlived its use: idempotency keys, closed conversations, old frequency
/// counters, and messages past `retention`.
async fn tidy(store: &Store, retention: Duration) {
    let writer = store.writer();
    match writer.purge_idempotency_keys(Timestamp::now()).wait().await {
        Ok(n) if n > 0 => info!(purged = n, "expired idempotency keys removed"),
        Ok(_) => {}
        Err(e) => warn!(cause = %e, "cannot purge idempotency keys"),
    }
    match writer.purge_conversations(Timestamp::now()).wait().await {
        Ok(n) if n > 0 => info!(purged = n, "conversations past the reply window removed"),
        Ok(_) => {}
        Err(e) => warn!(cause = %e, "cannot purge conversations"),
    }
    // Frequency counters: a rolling week needs the last 7 days (and the future ones).
    let keep_from = Timestamp::now().utc_day().saturating_sub(7);
    if let Err(e) = writer.purge_frequency(keep_from).wait().await {
        warn!(cause = %e, "cannot purge frequency counters");
    }
    if !retention.is_zero() {
        let cutoff = Timestamp(
            Timestamp::now()
                .as_millis()
                .saturating_sub(retention.as_millis() as u64),
        );
        let (mut sent, mut received) = (0, 0);
        loop {
            match writer.purge_step(cutoff).wait().await {
                Ok(step) => {
                    sent += step.outbound;
                    received += step.inbound;
                    if !step.more {
                        break;
                    }
                }
                Err(e) => {
                    warn!(cause = %e, "cannot remove messages past the retention");
                    break;
                }
            }
        }
        if sent + received > 0 {
            info!(sent, received, "messages past the retention removed");
        }
        if let Err(e) = writer.purge_audit_before(cutoff).wait().await {
            warn!(cause = %e, "cannot remove audit entries past the retention");
        }
    }
}

/// Serves the API on `listener` until `stop`.
async fn serve_api<L>(listener: L, app: axum::Router, stop: CancellationToken)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use axum::serve::ListenerExt;
    // The peer's address reaches the handlers (failed authentications are limited per client).
    // axum gives any listener's address as connect info only through `tap_io`.
    let listener = listener.tap_io(|_io| {});
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let serve =
        axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await });
    if let Err(e) = serve.await {
        tracing::error!(cause = %e, "the HTTP server stopped with an error");
    }
}

/// Pings systemd's watchdog at half its interval while the daemon runs.
async fn watchdog(stop: CancellationToken) {
    let mut usec = 0u64;
    if !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        return;
    }
    let every = Duration::from_micros(usec / 2);
    loop {
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
