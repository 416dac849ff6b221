//! The `smsgw` binary: parse the command line, set up logging, run, map the outcome to an exit
//! code. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use smsgw::cli::{Cli, Command, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, RunArgs};
use smsgw::config::{Config, LoadError, Overrides, exposure_warning};

/// The store's writes (sled copies a node on every change) and the HTTP path allocate many
/// small buffers; mimalloc serves them at about a third of glibc's cost (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // No transparent huge pages for this process. mimalloc asks for them on its arenas, and
    // the store's churn of buffers (the overlay between checkpoints, decoded messages) makes it
    // return pages and fault them back: each fault then zeroes 2 MiB. Under load that was 7% of
    // the daemon's CPU, and the 2 MiB granularity added tens of MiB of RSS (BENCHMARKS.md).
    // Best effort: a kernel without the flag runs as before.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = Cli::parse();
    let code = match cli.command {
        Command::CheckConfig { config } => match Config::load(&config) {
            // The TLS files are read now too, so a wrong path or a key that does not belong
            // to the certificate is found before a restart.
            Ok(c) if let Some(Err(e)) = c.server.tls.as_ref().map(smsgw::api::tls::load) => {
                eprintln!("smsgw: {}: `server.tls`: {e}", config.display());
                EXIT_CONFIG
            }
            Ok(c) => {
                for w in c.warnings().into_iter().chain(exposure_warning(&config)) {
                    eprintln!("smsgw: warning: {w}");
                }
                println!("{}: ok", config.display());
                EXIT_OK
            }
            Err(e) => report_config_error(&e),
        },
        Command::Run(args) => run(args),
        Command::Send(args) => block_on(smsgw::cli::send::run(args)),
        Command::Pdu(args) => smsgw::cli::pdu::run(args),
        Command::Smpp(args) => smsgw::cli::smpp::run(args),
        Command::Modem(cmd) => block_on(smsgw::cli::modem::run(cmd)),
        Command::HashPassword => match smsgw::cli::hash_password(&mut std::io::stdin().lock()) {
            Ok(hash) => {
                println!("{hash}");
                EXIT_OK
            }
            Err(e) => {
                eprintln!("smsgw: {e}");
                EXIT_FAILURE
            }
        },
    };
    ExitCode::from(code)
}

fn report_config_error(e: &LoadError) -> u8 {
    eprintln!("smsgw: {e}");
    match e {
        LoadError::Read { .. } => EXIT_FAILURE,
        _ => EXIT_CONFIG,
    }
}

fn run(args: RunArgs) -> u8 {
    let overrides = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
    };
    let config = match Config::load_with(&args.config, &overrides) {
        Ok(c) => c,
        Err(e) => return report_config_error(&e),
    };
    let format = args.log_format.unwrap_or(config.log.format);
    smsgw::telemetry::init(format, &config.log.filter);
    if let Some(warning) = exposure_warning(&args.config) {
        tracing::warn!("{warning}");
    }
    block_on(async move {
        let routes = smsgw::daemon::build_routes(&config)?;
        smsgw::daemon::run(config, routes, smsgw::daemon::shutdown_signal()).await?;
        Ok(EXIT_OK)
    })
}

fn block_on(fut: impl std::future::Future<Output = anyhow::Result<u8>>) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("smsgw: cannot start the async runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("smsgw: {e:#}");
            EXIT_FAILURE
        }
    }
}
