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

use crate::config::{HumanDuration, LogFormat};

/// A duration flag, written as in the configuration (`2s`, `5m`, `1h 30m`) or as bare
/// seconds (`5`): every duration flag takes the same forms.
pub fn duration_arg(s: &str) -> Result<HumanDuration, String> {
    match s.trim().parse::<u64>() {
        Ok(secs) => Ok(HumanDuration(std::time::Duration::from_secs(secs))),
        Err(_) => s.parse(),
    }
}

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
    /// Hash a console user's password (read from standard input, one line) for
    /// `[[console.users]] password_hash`.
    HashPassword,
}

/// `smsgw hash-password`: the Argon2id PHC string of the first line of `input`, for
/// `[[console.users]] password_hash`.
pub fn hash_password(input: &mut dyn std::io::BufRead) -> Result<String, String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.chars().count() < 8 {
        return Err("give a password of at least 8 characters on standard input".into());
    }
    crate::api::console::password::hash(password).map_err(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_timeout(arg: &str) -> Result<std::time::Duration, String> {
        let cli =
            Cli::try_parse_from(["smsgw", "modem", "probe", "/dev/ttyUSB0", "--timeout", arg])
                .map_err(|e| e.to_string())?;
        match cli.command {
            Command::Modem(modem::ModemCommand::Probe { timeout, .. }) => Ok(timeout.get()),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn duration_flags_should_take_units_like_the_configuration_and_bare_seconds() {
        use std::time::Duration;
        assert_eq!(probe_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(probe_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(probe_timeout("7"), Ok(Duration::from_secs(7)));
        assert!(probe_timeout("soon").is_err());
        let send = Cli::try_parse_from([
            "smsgw",
            "send",
            "--to",
            "+358401234567",
            "--text",
            "x",
            "--timeout",
            "90",
        ])
        .unwrap();
        match send.command {
            Command::Send(a) => assert_eq!(a.timeout.get(), Duration::from_secs(90)),
            other => panic!("{other:?}"),
        }
    }
}
