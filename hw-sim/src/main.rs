//! `hw-sim`: command-line entry for the simulators.
use std::net::SocketAddr;

use clap::{Parser, Subcommand};

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
    /// Message id format in submit_sm_resp.
    #[arg(long, value_enum, default_value = "hex")]
    id_format: IdFormatArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum IdFormatArg {
    Hex,
    Decimal,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hw-sim: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Smsc(args) => runtime.block_on(smsc(args)),
    }
}

async fn smsc(args: SmscArgs) -> std::process::ExitCode {
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
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    std::process::ExitCode::SUCCESS
}
