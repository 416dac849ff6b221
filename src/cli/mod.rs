//! Command-line interface: `run`, `check-config`, `send`, and the debugging tools.
//!
//! Parsing lives here; each subcommand's work lives in its own module. Exit codes are a
//! contract for scripts: 0 success, 1 runtime failure, 2 invalid configuration or usage,
//! 3 `send --wait` timed out.

pub mod modem;
pub mod pdu;
pub mod send;
pub mod smpp;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::LogFormat;

/// smsgw: an on-premise SMS gateway for GSM modems and SMPP links.
#[derive(Debug, Parser)]
#[command(name = "smsgw", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway daemon.
    Run(RunArgs),
    /// Validate a configuration file: exit 0 if valid, 2 naming each problem's key and line.
    CheckConfig {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Submit a message through a running gateway's API.
    Send(send::SendArgs),
    /// Decode or encode GSM SMS PDUs (AT PDU mode hex).
    Pdu(pdu::PduArgs),
    /// SMPP debugging tools (`smpp decode HEX`).
    Smpp(smpp::SmppArgs),
    /// Modem tools (`modem probe DEVICE`).
    #[command(subcommand)]
    Modem(modem::ModemCommand),
}

/// `smsgw run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(long, short, env = "SMSGW_CONFIG")]
    pub config: PathBuf,
    /// Listen on this address instead of `server.listen` (port 0 picks a free port). Checked
    /// like the file's value, before anything binds.
    #[arg(long, env = "SMSGW_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Keep the store here instead of `store.data_dir`.
    #[arg(long, env = "SMSGW_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log format, overriding `log.format`.
    #[arg(long, value_enum, env = "SMSGW_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for a runtime failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for an invalid configuration.
pub const EXIT_CONFIG: u8 = 2;
/// Exit code for `send --wait` running out of time.
pub const EXIT_TIMEOUT: u8 = 3;
