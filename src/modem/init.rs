//! The start-up sequence: wake the modem, echo off, numeric errors, identity, vendor quirks,
//! SIM PIN, PDU mode, storage, new-message indications with fallbacks, and the wait for
//! network registration. Also the periodic network read (signal, registration, operator).

use std::time::Duration;

use serde::Serialize;
use tracing::{info, warn};

use super::port::{PortError, PortHandle};
use super::quirks::{self, Quirks};
use crate::at::registration::{RegKind, RegStatus};
use crate::at::response::{identity, network, sim, storage};
use crate::at::{Command, Expect, FinalResult, Response, SendPdu};

/// What start-up needs from the configuration.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// SIM PIN, entered only when asked.
    pub pin: Option<String>,
    /// Storage to select; `MT`, then `SM`, then `ME` when `None`.
    pub storage: Option<String>,
    /// `+CNMI` values to use instead of the quirk table's list.
    pub cnmi: Option<[u8; 5]>,
    /// Try `AT+CMMS=1`.
    pub cmms: bool,
    /// Quirk entry forced by the configuration.
    pub quirks: Option<&'static Quirks>,
    /// Timeout of ordinary commands.
    pub command_timeout: Duration,
    /// How long to wait for registration.
    pub registration_timeout: Duration,
}

/// Who the modem and its SIM are (TS 27.007 §5, §7.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// `AT+CGMI`.
    pub manufacturer: String,
    /// `AT+CGMM`.
    pub model: String,
    /// `AT+CGSN`: recognises the modem after it re-enumerates on another port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    /// `AT+CIMI`: the subscriber.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    /// The SIM card's serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// `AT+CNUM`, when the SIM stores its own number (many do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_number: Option<String>,
}

/// The outcome of a successful start-up.
#[derive(Debug, Clone)]
pub struct Initialised {
    /// Identity read.
    pub identity: Identity,
    /// The quirk entry in force.
    pub quirks: &'static Quirks,
    /// The storage selected for reading and receiving.
    pub storage: Option<String>,
    /// The `+CNMI` values accepted, if any (otherwise only the sweep finds messages).
    pub cnmi: Option<[u8; 5]>,
    /// Whether `AT+CMMS=1` was accepted.
    pub cmms: bool,
    /// Whether the modem registered before the timeout.
    pub registered: bool,
}

/// Why start-up failed. Each variant says what a person must do, if anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The port failed or nothing answered `AT`.
    #[error("the modem does not answer: {0}")]
    Port(#[from] PortError),
    /// The SIM wants a PIN and none is configured.
    #[error("the SIM asks for its PIN; set `pin` for this modem")]
    PinRequired,
    /// The configured PIN was refused. Not retried: three wrong PINs lock the SIM.
    #[error("the SIM refused the configured PIN ({0}); not retried, to avoid locking the SIM")]
    WrongPin(String),
    /// The SIM wants its PUK: a person must unlock it.
    #[error("the SIM is locked and asks for its PUK ({0}); unlock it in a phone")]
    SimLocked(String),
    /// No SIM, or it never became ready.
    #[error("the SIM is not ready: {0}")]
    SimNotReady(String),
    /// `AT+CMGF=0` was refused.
    #[error("the modem refuses PDU mode (AT+CMGF=0: {0:?})")]
    NoPduMode(FinalResult),
    /// The configured storage was refused.
    #[error("the modem refuses storage {0:?}")]
    Storage(String),
}

/// How long start-up keeps asking a busy SIM (CME 14 / vendor 515) before giving up.
pub const SIM_BUSY_BUDGET: Duration = Duration::from_secs(40);

/// Runs the start-up sequence.
pub async fn initialise(port: &PortHandle, opts: &InitOptions) -> Result<Initialised, InitError> {
    let t = opts.command_timeout;
    wake(port, t).await?;
    let _ = port.command(&Command::echo_off(), t).await?;
    let _ = port.command(&Command::report_errors(false), t).await?;
    let manufacturer = text(port, &Command::manufacturer(), t).await?;
    let model = text(port, &Command::model(), t).await?;
    let quirks = opts.quirks.unwrap_or_else(|| {
        quirks::lookup(
            manufacturer.as_deref().unwrap_or(""),
            model.as_deref().unwrap_or(""),
        )
    });
    for c in quirks.init_commands {
        match port.command_line(Expect::new(*c), t).await {
            Ok(r) if r.result.is_ok() => {}
            Ok(r) => {
                warn!(target: "smsgw::modem", command = c, result = ?r.result, "quirk command refused")
            }
            Err(PortError::Timeout { .. }) => {
                warn!(target: "smsgw::modem", command = c, "quirk command unanswered")
            }
            Err(e) => return Err(e.into()),
        }
    }
    unlock_sim(port, opts, quirks).await?;

    let vendor = quirks.vendor;
    let identity = Identity {
        manufacturer: manufacturer.unwrap_or_default(),
        model: model.unwrap_or_default(),
        imei: optional(port, &Command::imei(), t, identity::parse_imei).await?,
        imsi: optional(port, &Command::imsi(), t, identity::parse_imsi).await?,
        iccid: optional(port, &Command::iccid(vendor), t, identity::parse_iccid).await?,
        own_number: optional(port, &Command::subscriber_number(), t, identity::parse_cnum)
            .await?
            .and_then(|v| v.into_iter().next().map(|n| n.number)),
    };

    let r = port.command(&Command::pdu_mode(), t).await?;
    if !r.result.is_ok() {
        return Err(InitError::NoPduMode(r.result));
    }
    let storage = select_storage(port, opts, t).await?;
    let cnmi = select_cnmi(port, opts, quirks, t).await?;
    let cmms = opts.cmms
        && port
            .command(&Command::more_messages(1), t)
            .await?
            .result
            .is_ok();
    let registered = wait_registration(port, t, opts.registration_timeout).await?;
    info!(target: "smsgw::modem", manufacturer = %identity.manufacturer, model = %identity.model,
        quirks = quirks.name, ?storage, ?cnmi, registered, "modem initialised");
    Ok(Initialised {
        identity,
        quirks,
        storage,
        cnmi,
        cmms,
        registered,
    })
}

/// `AT` until it answers; ESC between tries leaves a stuck `> ` prompt.
async fn wake(port: &PortHandle, t: Duration) -> Result<(), InitError> {
    let mut last = None;
    for _ in 0..3 {
        match port.command(&Command::attention(), t).await {
            Ok(_) => return Ok(()),
            Err(e @ PortError::Timeout { .. }) => {
                last = Some(e);
                port.write_raw(&SendPdu::abort()).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or(PortError::Closed).into())
}

/// An identity line, `None` when the command fails.
async fn text(port: &PortHandle, cmd: &Command, t: Duration) -> Result<Option<String>, PortError> {
    optional(port, cmd, t, identity::parse_text).await
}

/// Runs `cmd` and parses it; errors and timeouts become `None` (the port failing does not).
async fn optional<T>(
    port: &PortHandle,
    cmd: &Command,
    t: Duration,
    parse: impl Fn(&Response) -> Result<T, crate::at::ParseError>,
) -> Result<Option<T>, PortError> {
    match port.command(cmd, t).await {
        Ok(r) => Ok(parse(&r).ok()),
        Err(PortError::Timeout { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks `+CPIN?`, enters the PIN once if asked, and waits out a busy SIM with back-off.
async fn unlock_sim(
    port: &PortHandle,
    opts: &InitOptions,
    quirks: &Quirks,
) -> Result<(), InitError> {
    let t = opts.command_timeout;
    let mut pin_sent = false;
    let mut waited = Duration::ZERO;
    let mut backoff = Duration::from_millis(500);
    loop {
        let r = port.command(&Command::pin_query(), t).await?;
        let busy = match (&r.result, sim::parse_cpin(&r)) {
            (FinalResult::Abandoned, Ok(_)) if !quirks.cpin_without_ok => {
                return Err(InitError::SimNotReady("+CPIN answer without OK".into()));
            }
            (_, Ok(sim::PinState::Ready)) => return Ok(()),
            (_, Ok(sim::PinState::SimPin)) => {
                let Some(pin) = &opts.pin else {
                    return Err(InitError::PinRequired);
                };
                if pin_sent {
                    // Accepted, but the SIM still asks: treat as busy a while.
                    true
                } else {
                    let cmd = Command::enter_pin(pin, None)
                        .map_err(|_| InitError::WrongPin("the PIN is not 4 to 8 digits".into()))?;
                    let r = port.command(&cmd, t).await?;
                    if !r.result.is_ok() && !is_sim_busy(&r.result) {
                        return Err(InitError::WrongPin(format!("{:?}", r.result)));
                    }
                    pin_sent = true;
                    info!(target: "smsgw::modem", "SIM PIN entered");
                    true
                }
            }
            (_, Ok(sim::PinState::SimPuk | sim::PinState::SimPuk2)) => {
                return Err(InitError::SimLocked("SIM PUK".into()));
            }
            (_, Ok(sim::PinState::NotReady(s))) => {
                if s.to_ascii_uppercase().contains("INSERTED") {
                    return Err(InitError::SimNotReady(s));
                }
                true
            }
            (_, Ok(other)) => return Err(InitError::SimLocked(format!("{other:?}"))),
            (res, Err(_)) if is_sim_busy(res) => true,
            (FinalResult::Cme(e), Err(_)) if e.code == Some(10) => {
                return Err(InitError::SimNotReady("SIM not inserted (CME 10)".into()));
            }
            (res, Err(_)) => return Err(InitError::SimNotReady(format!("{res:?}"))),
        };
        if busy {
            if waited >= SIM_BUSY_BUDGET {
                return Err(InitError::SimNotReady(format!(
                    "the SIM stayed busy for {waited:?}"
                )));
            }
            tokio::time::sleep(backoff).await;
            waited += backoff;
            backoff = (backoff * 2).min(Duration::from_secs(8));
        }
    }
}

/// CME 14 "SIM busy" (TS 27.007 §9.2.1) and vendor 515 "please wait, init or command
/// processing in progress" (SIMCom, Huawei).
fn is_sim_busy(r: &FinalResult) -> bool {
    matches!(r, FinalResult::Cme(e) if matches!(e.code, Some(14 | 515)))
        || matches!(r, FinalResult::Cms(e) if matches!(e.code, Some(314 | 515)))
}

async fn select_storage(
    port: &PortHandle,
    opts: &InitOptions,
    t: Duration,
) -> Result<Option<String>, InitError> {
    let candidates: Vec<String> = match &opts.storage {
        Some(s) => vec![s.clone()],
        None => vec!["MT".into(), "SM".into(), "ME".into()],
    };
    for m in &candidates {
        let Ok(cmd) = Command::preferred_storage(m, Some(m), Some(m)) else {
            continue;
        };
        if port.command(&cmd, t).await?.result.is_ok() {
            return Ok(Some(m.clone()));
        }
    }
    match &opts.storage {
        Some(s) => Err(InitError::Storage(s.clone())),
        None => {
            warn!(target: "smsgw::modem", "no message storage accepted; using the modem's default");
            Ok(None)
        }
    }
}

async fn select_cnmi(
    port: &PortHandle,
    opts: &InitOptions,
    quirks: &Quirks,
    t: Duration,
) -> Result<Option<[u8; 5]>, InitError> {
    let mut candidates: Vec<[u8; 5]> = match opts.cnmi {
        Some(v) => vec![v],
        None => quirks.cnmi.to_vec(),
    };
    if opts.cnmi.is_none() {
        if let Ok(support) = storage::parse_cnmi_test(
            &port
                .command(&Command::new_message_indications_test(), t)
                .await?,
        ) {
            let ok = |list: &Vec<u8>, v: u8| list.is_empty() || list.contains(&v);
            let supported: Vec<[u8; 5]> = candidates
                .iter()
                .copied()
                .filter(|c| {
                    ok(&support.mode, c[0])
                        && ok(&support.mt, c[1])
                        && ok(&support.bm, c[2])
                        && ok(&support.ds, c[3])
                        && ok(&support.bfr, c[4])
                })
                .collect();
            // Some firmware lies in its test answer: keep the others as later fallbacks.
            candidates.retain(|c| !supported.contains(c));
            candidates.splice(0..0, supported);
        }
    }
    for v in candidates {
        let r = port
            .command(&Command::new_message_indications(v), t)
            .await?;
        if r.result.is_ok() {
            return Ok(Some(v));
        }
    }
    warn!(target: "smsgw::modem", "no +CNMI combination accepted; messages are found by the periodic sweep only");
    Ok(None)
}

/// Polls `+CREG?` (and `+CEREG?` for LTE-only modems) until registered or `budget` ends.
async fn wait_registration(
    port: &PortHandle,
    t: Duration,
    budget: Duration,
) -> Result<bool, InitError> {
    let deadline = tokio::time::Instant::now() + budget;
    loop {
        let net = read_network(port, t, false).await?;
        if net.registration.is_some_and(RegStatus::is_registered) {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Signal, registration and operator, read together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkState {
    /// `+CSQ` (TS 27.007 §8.5).
    pub signal: Option<network::SignalQuality>,
    /// `+CREG`/`+CEREG` `<stat>`, the better of the two.
    pub registration: Option<RegStatus>,
    /// `+COPS?` operator name.
    pub operator: Option<String>,
}

/// Reads registration (and with `full`, signal and operator). Timeouts leave fields empty.
pub async fn read_network(
    port: &PortHandle,
    t: Duration,
    full: bool,
) -> Result<NetworkState, PortError> {
    let mut out = NetworkState::default();
    for kind in [RegKind::Creg, RegKind::Cereg] {
        let reg = optional(port, &Command::registration_query(kind), t, |r| {
            network::parse_registration(r, kind)
        })
        .await?;
        if let Some(reg) = reg {
            let better = out.registration.is_none_or(|s| !s.is_registered());
            if better {
                out.registration = Some(reg.stat);
            }
            if reg.stat.is_registered() {
                break;
            }
        }
    }
    if full {
        out.signal = optional(port, &Command::signal_quality(), t, network::parse_csq).await?;
        out.operator = optional(port, &Command::operator_query(), t, network::parse_cops)
            .await?
            .and_then(|o| o.name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::port;
    use crate::modem::testing::{FakeModem, FakeState};

    fn opts() -> InitOptions {
        InitOptions {
            pin: Some("1234".into()),
            storage: None,
            cnmi: None,
            cmms: false,
            quirks: None,
            command_timeout: Duration::from_secs(2),
            registration_timeout: Duration::from_secs(10),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pin_locked_modem_should_get_its_pin_and_start() {
        let (io, peer) = tokio::io::duplex(4096);
        let fake = FakeModem::start(
            peer,
            FakeState {
                pin_locked: true,
                sim_busy: 2,
                ..FakeState::default()
            },
        );
        let (port, _urcs) = port::spawn(io, "t");
        let init = initialise(&port, &opts()).await.unwrap();
        assert_eq!(init.identity.imei.as_deref(), Some("356938035643809"));
        assert_eq!(init.identity.iccid.as_deref(), Some("89358001234567890123"));
        assert_eq!(init.identity.own_number.as_deref(), Some("+358401112222"));
        assert!(init.registered);
        let log = fake.state.lock().log.clone();
        assert!(log.contains(&"AT+CPIN=\"1234\"".to_string()));
        assert!(!fake.state.lock().pin_locked);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_cnmi_combination_should_fall_back_to_the_next() {
        let (io, peer) = tokio::io::duplex(4096);
        let fake = FakeModem::start(
            peer,
            FakeState {
                cnmi_ok: vec!["1,1,0,1,0".into()],
                ..FakeState::default()
            },
        );
        let (port, _urcs) = port::spawn(io, "t");
        let init = initialise(&port, &opts()).await.unwrap();
        assert_eq!(init.cnmi, Some([1, 1, 0, 1, 0]));
        assert_eq!(init.storage.as_deref(), Some("MT"));
        let log = fake.state.lock().log.clone();
        assert!(log.contains(&"AT+CNMI=2,1,0,2,0".to_string()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pin_request_without_a_configured_pin_should_say_so() {
        let (io, peer) = tokio::io::duplex(4096);
        let _fake = FakeModem::start(
            peer,
            FakeState {
                pin_locked: true,
                ..FakeState::default()
            },
        );
        let (port, _urcs) = port::spawn(io, "t");
        let o = InitOptions {
            pin: None,
            ..opts()
        };
        assert_eq!(
            initialise(&port, &o).await.unwrap_err(),
            InitError::PinRequired
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cpin_without_ok_should_be_accepted_for_families_that_do_it() {
        let (io, peer) = tokio::io::duplex(4096);
        let _fake = FakeModem::start(
            peer,
            FakeState {
                cpin_without_ok: true,
                ..FakeState::default()
            },
        );
        let (port, _urcs) = port::spawn(io, "t");
        let init = initialise(&port, &opts()).await.unwrap();
        assert_eq!(init.quirks.name, "generic");
        let (io, peer) = tokio::io::duplex(4096);
        let _fake = FakeModem::start(
            peer,
            FakeState {
                cpin_without_ok: true,
                ..FakeState::default()
            },
        );
        let (port, _urcs) = port::spawn(io, "t");
        let o = InitOptions {
            quirks: quirks::by_name("simcom"),
            ..opts()
        };
        assert!(matches!(
            initialise(&port, &o).await,
            Err(InitError::SimNotReady(_))
        ));
    }
}
