//! `hw-sim`: command-line entry for the simulators.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hw_sim::modem::profile::PROFILE_NAMES;
use hw_sim::{ModemConfig, Profile, SimModem};

/// Simulated hardware for smsgw.
#[derive(Debug, Parser)]
#[command(name = "hw-sim", version, about)]
struct Cli {
    /// Which simulator to run.
    #[command(subcommand)]
    command: Command,
}

/// The simulators.
#[derive(Debug, Subcommand)]
enum Command {
    /// A simulated SMPP SMSC.
    Smsc(SmscArgs),
    /// A simulated GSM modem on a pseudo-terminal linked at PATH.
    Modem(ModemArgs),
    /// smsgw itself with simulated modems and SMSC for what its configuration names.
    Demo(DemoArgs),
}

/// `hw-sim demo`.
#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// smsgw configuration; its `[[modems]]` and loopback `[[smpp]]` links are simulated.
    #[arg(long, default_value = "config/demo.toml")]
    config: PathBuf,
    /// Control endpoint port of the simulated SMSC; modem N gets this port + N.
    #[arg(long, default_value_t = 9100)]
    control_port: u16,
}

/// `hw-sim smsc`.
#[derive(Debug, clap::Args)]
struct SmscArgs {
    /// SMPP listen address.
    #[arg(long, default_value = "127.0.0.1:2775")]
    listen: SocketAddr,
    /// HTTP control endpoint (loopback only).
    #[arg(long)]
    control: Option<SocketAddr>,
    /// Accepted account as SYSTEM_ID:PASSWORD (repeatable; default smsgw:secret).
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// Delay between a submit and its receipt, in milliseconds.
    #[arg(long, default_value_t = 100)]
    receipt_delay_ms: u64,
    /// Fraction of submits answered ESME_RTHROTTLED.
    #[arg(long, default_value_t = 0.0)]
    throttle: f64,
    /// Submits per second accepted over all binds (the contracted TPS); faster ones are
    /// answered ESME_RTHROTTLED.
    #[arg(long)]
    max_rate: Option<f64>,
    /// Message id format in submit_sm_resp.
    #[arg(long, value_enum, default_value = "hex")]
    id_format: IdFormatArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum IdFormatArg {
    Hex,
    Decimal,
}

/// `hw-sim modem --link PATH [--profile NAME] [--control ADDR]`.
#[derive(Debug, clap::Args)]
struct ModemArgs {
    /// Where to symlink the PTY (open it like a serial port).
    #[arg(long)]
    link: PathBuf,
    /// Modem model: sim800, ec25, e3372 or generic.
    #[arg(long, default_value = "sim800")]
    profile: String,
    /// Loopback address of the HTTP control endpoint (e.g. 127.0.0.1:8801).
    #[arg(long)]
    control: Option<SocketAddr>,
    /// SIM PIN; when given, the SIM starts locked.
    #[arg(long)]
    pin: Option<String>,
    /// Milliseconds from Ctrl-Z to +CMGS.
    #[arg(long, default_value_t = 2000)]
    send_delay_ms: u64,
    /// Milliseconds until the modem registers on the network.
    #[arg(long, default_value_t = 3000)]
    registration_delay_ms: u64,
    /// Milliseconds from +CMGS to the status report (when TP-SRR is set).
    #[arg(long, default_value_t = 5000)]
    report_delay_ms: u64,
    /// The SIM's own number, answered by AT+CNUM.
    #[arg(long)]
    own_number: Option<String>,
    /// The modem's IMEI (AT+CGSN); default: one no other simulated modem has.
    #[arg(long)]
    imei: Option<String>,
    /// The SIM's IMSI (AT+CIMI); default: one no other simulated SIM has.
    #[arg(long)]
    imsi: Option<String>,
    /// The SIM's ICCID (AT+CCID and the vendors' variants); default: distinct too.
    #[arg(long)]
    iccid: Option<String>,
}

fn main() -> std::process::ExitCode {
    let Cli { command } = Cli::parse();
    if let Command::Demo(args) = command {
        return demo(args);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // One worker is plenty for the simulators alone.
    let Some(runtime) = runtime(Some(1)) else {
        return std::process::ExitCode::FAILURE;
    };
    match command {
        Command::Smsc(args) => runtime.block_on(smsc(args)),
        Command::Demo(args) => demo(args),
        Command::Modem(args) => exit("hw-sim", runtime.block_on(modem(args))),
    }
}

/// A multi-threaded runtime with `workers` threads (one per core when `None`).
fn runtime(workers: Option<usize>) -> Option<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        builder.worker_threads(n);
    }
    builder
        .enable_all()
        .build()
        .inspect_err(|e| eprintln!("hw-sim: cannot start the runtime: {e}"))
        .ok()
}

/// The exit code for `result`, printing the error chain after `who`.
fn exit(who: &str, result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{who}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The demo runs the gateway too: a runtime with a worker per core, and the gateway's own
/// log setup (from its configuration) instead of the simulators' one.
fn demo(args: DemoArgs) -> std::process::ExitCode {
    let Some(runtime) = runtime(None) else {
        return std::process::ExitCode::FAILURE;
    };
    let opts = hw_sim::demo::DemoOptions {
        config: args.config,
        control_port: args.control_port,
    };
    exit(
        "hw-sim demo",
        runtime.block_on(async {
            let stop = stop_signals()?;
            hw_sim::demo::run(opts, stop).await
        }),
    )
}

/// Completes on SIGTERM or SIGINT. The handlers are installed when this is called, not when
/// the future is first polled, so a signal that comes while the simulators start is not the
/// default action that would end the process without removing its links.
fn stop_signals() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

async fn smsc(args: SmscArgs) -> std::process::ExitCode {
    let stop = match stop_signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hw-sim: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    use hw_sim::smsc::{Account, Faults, IdFormat, SmscConfig};
    let mut accounts = Vec::new();
    for a in &args.accounts {
        let Some((system_id, password)) = a.split_once(':') else {
            eprintln!("hw-sim: --account must be SYSTEM_ID:PASSWORD, not {a:?}");
            return std::process::ExitCode::from(2);
        };
        accounts.push(Account {
            system_id: system_id.into(),
            password: password.into(),
        });
    }
    let defaults = SmscConfig::default();
    let config = SmscConfig {
        listen: args.listen,
        control: args.control,
        accounts: if accounts.is_empty() {
            defaults.accounts.clone()
        } else {
            accounts
        },
        id_format: match args.id_format {
            IdFormatArg::Hex => IdFormat::Hex,
            IdFormatArg::Decimal => IdFormat::Decimal,
        },
        faults: Faults {
            receipt_delay_ms: args.receipt_delay_ms,
            throttle_fraction: args.throttle,
            max_rate: args.max_rate,
            ..Faults::default()
        },
        ..defaults
    };
    let handle = match hw_sim::smsc::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("hw-sim: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    println!("smsc listening on {}", handle.smpp_addr);
    if let Some(c) = handle.control_addr {
        println!("control on http://{c}");
    }
    stop.await;
    handle.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn modem(args: ModemArgs) -> anyhow::Result<()> {
    // SIGTERM too (kill, systemd, a test harness), and caught from before the link exists:
    // the link is removed however the simulator is stopped.
    let stop = stop_signals()?;
    let Some(profile) = Profile::by_name(&args.profile) else {
        anyhow::bail!(
            "unknown profile {:?} (known: {})",
            args.profile,
            PROFILE_NAMES.join(", ")
        );
    };
    let mut cfg = ModemConfig::new(profile);
    cfg.link = Some(args.link);
    cfg.pin = args.pin;
    cfg.own_number = args.own_number;
    for (value, what, len, field) in [
        (args.imei, "--imei", 15..=15, &mut cfg.imei),
        (args.imsi, "--imsi", 6..=15, &mut cfg.imsi),
        (args.iccid, "--iccid", 18..=22, &mut cfg.iccid),
    ] {
        if let Some(v) = value {
            if !len.contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
                anyhow::bail!(
                    "{what} must be {}..={} digits, not {v:?}",
                    len.start(),
                    len.end()
                );
            }
            *field = v;
        }
    }
    cfg.send_delay = std::time::Duration::from_millis(args.send_delay_ms);
    cfg.registration_delay = std::time::Duration::from_millis(args.registration_delay_ms);
    cfg.status_report_delay = std::time::Duration::from_millis(args.report_delay_ms);
    // The control port first: when it is taken, nothing has been created yet.
    let listener = match args.control {
        Some(addr) if !addr.ip().is_loopback() => {
            anyhow::bail!("the control endpoint listens on loopback only, not {addr}")
        }
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?,
        ),
        None => None,
    };
    let modem = SimModem::start(cfg).await?;
    eprintln!("hw-sim: modem ready at {}", modem.link().display());
    if let Some(listener) = listener {
        eprintln!(
            "hw-sim: control endpoint on http://{}",
            listener.local_addr()?
        );
        let app = hw_sim::modem::control::router(modem.control());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(cause = %e, "control endpoint stopped");
            }
        });
    }
    stop.await;
    modem.shutdown().await;
    Ok(())
}
