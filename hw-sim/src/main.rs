//! `hw-sim`: command-line entry for the simulators.
use clap::Parser;

/// Simulated hardware for smsgw.
#[derive(Debug, Parser)]
#[command(name = "hw-sim", version, about)]
enum Cli {}

fn main() {
    let _ = Cli::parse();
}
