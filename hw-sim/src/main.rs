//! `hw-sim`: command-line entry for the simulators.
use clap::Parser;

/// Simulated hardware for smsgw.
#[derive(Debug, Parser)]
#[command(name = "hw-sim", version, about)]
struct Cli {}

fn main() -> std::process::ExitCode {
    let Cli {} = Cli::parse();
    // The modem and SMSC subcommands land with their simulators.
    eprintln!("hw-sim: no simulator is available in this build yet");
    std::process::ExitCode::from(2)
}
