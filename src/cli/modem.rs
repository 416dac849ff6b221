//! `smsgw modem probe DEVICE`: identify a modem for people setting up hardware.

use std::path::PathBuf;

use crate::config::HumanDuration;
use crate::modem::{open, port, probe};

/// `smsgw modem ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ModemCommand {
    /// Identify the modem on DEVICE and report SIM, registration, signal and what it supports.
    Probe {
        /// The serial device, e.g. /dev/serial/by-id/usb-HUAWEI_...-if02-port0.
        device: PathBuf,
        /// Line speed.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// Per-command timeout: `2s`, `500ms`, `1m` (bare seconds are read as seconds).
        #[arg(long, default_value = "5s", value_parser = super::duration_arg)]
        timeout: HumanDuration,
    },
}

/// Runs a modem subcommand; returns the exit code.
pub async fn run(cmd: ModemCommand) -> anyhow::Result<u8> {
    match cmd {
        ModemCommand::Probe {
            device,
            baud,
            timeout,
        } => {
            let io = open::open_serial(&device, baud)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            let (handle, _urcs) = port::spawn(io, &device.to_string_lossy());
            let report = probe::probe(&handle, timeout.get())
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", device.display()))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(super::EXIT_OK)
        }
    }
}
