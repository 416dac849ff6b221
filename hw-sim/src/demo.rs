//! `hw-sim demo`: the gateway and the hardware it drives, all simulated, in one process.
//!
//! Reads an ordinary smsgw configuration and brings up what it names: one simulated modem
//! per `[[modems]]` table, on a pseudo-terminal linked at the table's `device` path, and one
//! simulated SMSC per `[[smpp]]` link whose host is this machine, with the link's account.
//! Then it runs the smsgw daemon itself (the same entry point as `smsgw run`) against them.
//! Each simulator gets a loopback HTTP control endpoint, so a person can inject replies and
//! faults while watching the gateway react.
//!
//! Nothing here is special to the demo inside smsgw: it talks to the simulators through the
//! same serial ports and SMPP sockets it would use with real modems and a real operator.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use smsgw::config::Config;

use crate::modem::profile::Profile;
use crate::smsc::{self, Account, SmscConfig, SmscHandle};
use crate::{ModemConfig, SimModem};

/// Profiles given to the demo's modems in turn, so a pool shows different firmware.
const PROFILES: [&str; 3] = ["sim800", "ec25", "generic"];

/// What the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The smsgw configuration (its modems and SMPP links are simulated).
    pub config: PathBuf,
    /// Port of the first SMSC's control endpoint; modem N (from 1) gets `control_port + N`.
    pub control_port: u16,
}

/// One running simulator, for the summary printed at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulated {
    /// `modem sim1` or `smsc operator`.
    pub what: String,
    /// The port or address the gateway uses.
    pub at: String,
    /// The control endpoint.
    pub control: SocketAddr,
}

/// The simulators started for a configuration; stop them with [`Simulators::shutdown`].
#[derive(Debug, Default)]
pub struct Simulators {
    modems: Vec<SimModem>,
    smscs: Vec<Arc<SmscHandle>>,
    /// What runs where.
    pub started: Vec<Simulated>,
}

impl Simulators {
    /// Starts a simulated modem for every `[[modems]]` and a simulated SMSC for every
    /// `[[smpp]]` link on a loopback host. Control endpoints listen on `control_port` (the
    /// first SMSC; further ones on any free port) and `control_port + N` for modem N; with
    /// `control_port` 0 all of them take free ports. A link with `port = 0` gets the port its
    /// simulated SMSC took (written back into `config`), so tests need no fixed ports.
    pub async fn start(config: &mut Config, control_port: u16) -> anyhow::Result<Simulators> {
        let mut sims = Simulators::default();
        let loopback = |port: u16| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        for (i, link) in config.smpp.iter_mut().enumerate() {
            let Some(listen) = loopback_addr(&link.host, link.port) else {
                tracing::warn!(link = %link.route, host = %link.host, "not simulated: the SMSC host is not this machine");
                continue;
            };
            let handle = smsc::start(SmscConfig {
                listen,
                control: Some(loopback(if i == 0 { control_port } else { 0 })),
                accounts: vec![Account {
                    system_id: link.system_id.clone(),
                    password: link.password.0.clone(),
                }],
                ..SmscConfig::default()
            })
            .await
            .with_context(|| format!("cannot start the simulated SMSC on {listen}"))?;
            link.port = handle.smpp_addr.port();
            sims.started.push(Simulated {
                what: format!("smsc for route {}", link.route),
                at: handle.smpp_addr.to_string(),
                control: handle
                    .control_addr
                    .context("the SMSC control endpoint did not start")?,
            });
            sims.smscs.push(handle);
        }
        for (i, m) in config.modems.iter().enumerate() {
            let name = PROFILES[i % PROFILES.len()];
            let profile =
                Profile::by_name(name).with_context(|| format!("hw-sim has no {name} profile"))?;
            let mut cfg = ModemConfig::new(profile);
            if let Some(dir) = m.device.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            cfg.link = Some(m.device.clone());
            cfg.pin = m.pin.clone();
            // Distinct identities, as real sticks and SIMs have (and the same on every run):
            // smsgw finds a re-enumerated modem by its IMEI, and replies say which number
            // they were sent to.
            let id = crate::Identity::numbered(1 + i as u32);
            cfg.imei = id.imei;
            cfg.imsi = id.imsi;
            cfg.iccid = id.iccid;
            cfg.own_number = Some(format!("+3584570000{:02}", i + 1));
            cfg.seed = 0x5eed + i as u64;
            let port = if control_port == 0 {
                0
            } else {
                control_port
                    .checked_add(1 + i as u16)
                    .context("control port out of range")?
            };
            // The control port first: a port another demo holds fails before a link is made.
            let listener = bind_control(loopback(port)).await?;
            let modem = SimModem::start(cfg)
                .await
                .with_context(|| format!("cannot start the modem at {}", m.device.display()))?;
            let control = serve_control(listener, crate::modem::control::router(modem.control()))?;
            sims.started.push(Simulated {
                what: format!("modem {} ({name})", m.name),
                at: m.device.display().to_string(),
                control,
            });
            sims.modems.push(modem);
        }
        Ok(sims)
    }

    /// Stops every simulator (modem links are removed).
    pub async fn shutdown(self) {
        for m in self.modems {
            m.shutdown().await;
        }
        for s in self.smscs {
            s.shutdown().await;
        }
    }
}

/// `host:port` as a socket address when `host` is this machine.
fn loopback_addr(host: &str, port: u16) -> Option<SocketAddr> {
    let ip: IpAddr = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other.parse().ok()?,
    };
    ip.is_loopback().then_some(SocketAddr::new(ip, port))
}

async fn bind_control(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for a control endpoint"))
}

fn serve_control(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> anyhow::Result<SocketAddr> {
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(cause = %e, "control endpoint stopped");
        }
    });
    Ok(bound)
}

/// Runs the demo until `shutdown` completes: simulators first, then the gateway.
pub async fn run(
    opts: DemoOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let mut config = Config::load(&opts.config)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("in {}", opts.config.display()))?;
    smsgw::telemetry::init(config.log.format, &config.log.filter);
    // What another running demo (or gateway) holds is checked before any simulator starts:
    // the API port and the store's lock. Otherwise a second demo would put its modems on
    // the first one's ports before failing.
    let api = config.server.listen;
    let listener = tokio::net::TcpListener::bind(api)
        .await
        .with_context(|| format!("cannot listen on {api} (is another demo or smsgw running?)"))?;
    let addr = listener.local_addr().context("no local address")?;
    let data_dir = config.store.data_dir.clone();
    tokio::task::spawn_blocking(move || store_is_free(&data_dir))
        .await
        .context("the store check failed")??;
    let sims = Simulators::start(&mut config, opts.control_port).await?;
    print_summary(&config, &sims.started);
    let routes = smsgw::daemon::build_routes(&config)?;
    let result = smsgw::daemon::serve(config, routes, listener, shutdown, move || {
        // Scripts and tests read this line to find the port when listening on port 0.
        println!("smsgw: listening on http://{addr}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
    })
    .await;
    sims.shutdown().await;
    result
}

/// Fails when another process has the store in `dir` open. The store (sled) holds an
/// exclusive `flock` on `dir/db` while open; taking and at once dropping it here asks the
/// same question without opening (or creating) the store.
fn store_is_free(dir: &std::path::Path) -> anyhow::Result<()> {
    use nix::fcntl::{Flock, FlockArg};
    let lock_file = dir.join("db");
    let file = match std::fs::File::open(&lock_file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot open {}", lock_file.display()));
        }
    };
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(_held) => Ok(()),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => anyhow::bail!(
            "the store in {} is in use by another process (another demo or smsgw?)",
            dir.display()
        ),
        Err((_, e)) => Err(e).with_context(|| format!("cannot lock {}", lock_file.display())),
    }
}

fn print_summary(config: &Config, started: &[Simulated]) {
    let api = config.server.listen;
    println!("hw-sim demo: simulated hardware");
    for s in started {
        println!("  {:<28} {:<24} control http://{}", s.what, s.at, s.control);
    }
    println!("Try:");
    println!(
        "  curl -s http://{api}/v1/messages -H 'content-type: application/json' \\\n    \
         -d '{{\"to\": \"040 123 4567\", \"text\": \"Your visit is tomorrow at 10:00. Reply NO to cancel.\"}}'"
    );
    if let Some(m) = started.iter().find(|s| s.what.starts_with("modem")) {
        println!(
            "  curl -s http://{}/inject -H 'content-type: application/json' \\\n    \
             -d '{{\"from\": \"+358401234567\", \"text\": \"NO\"}}'",
            m.control
        );
    }
    println!("  curl -s http://{api}/v1/inbox");
    let _ = std::io::Write::flush(&mut std::io::stdout());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_on_this_machine_should_be_simulated() {
        assert_eq!(
            loopback_addr("127.0.0.1", 2775),
            Some("127.0.0.1:2775".parse().unwrap())
        );
        assert!(loopback_addr("localhost", 2775).is_some());
        assert!(loopback_addr("::1", 2775).is_some());
        assert_eq!(loopback_addr("smsc.operator.example", 2775), None);
        assert_eq!(loopback_addr("10.0.0.1", 2775), None);
    }
}
