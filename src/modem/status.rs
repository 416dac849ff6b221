//! What a modem shows the world: state, identity, network, counters and the last error.
//! Written by the modem task, read by the pool (readiness) and `GET /v1/modems`.

use serde::Serialize;

use super::health::Step;
use super::init::Identity;
use crate::model::Timestamp;

/// Where a modem is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum ModemState {
    /// Opening the port or running start-up.
    Starting,
    /// Initialised and registered: sends.
    Ready,
    /// Initialised but not registered on a network: does not send.
    NotRegistered,
    /// A probe or command went unanswered: the modem is out of rotation while the health
    /// ladder probes it again (the detail says what went unanswered). A success returns it
    /// to `ready`, more silence climbs the ladder.
    Probing(String),
    /// Climbing the recovery ladder.
    Recovering(Step),
    /// The port cannot be opened or start-up failed; retried.
    Down(String),
    /// The ladder ran out: a person should look. Retried rarely.
    Dead(String),
}

/// Counters since start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    /// Parts accepted by the network.
    pub parts_sent: u64,
    /// Parts refused (temporary or permanent).
    pub parts_failed: u64,
    /// Parts with unknown outcome (timeout after the PDU).
    pub parts_unknown: u64,
    /// Messages (or parts of messages) stored in the inbox.
    pub received: u64,
    /// Status reports read.
    pub reports: u64,
    /// Command timeouts.
    pub timeouts: u64,
    /// Recovery steps taken.
    pub recoveries: u64,
    /// Times the message storage was found full (`+CPMS` or a vendor notice).
    pub storage_full: u64,
    /// Times the pool took the modem out of rotation after repeated send failures.
    pub out_of_rotation: u64,
    /// Times the port was (re)opened.
    pub opens: u64,
}

/// The snapshot shown by `GET /v1/modems`.
#[derive(Debug, Clone, Serialize)]
pub struct ModemView {
    /// Configured name.
    pub name: String,
    /// The route (pool) it serves.
    pub route: String,
    /// The device path.
    pub device: String,
    /// Current state.
    #[serde(flatten)]
    pub state: ModemState,
    /// Who it is, once read.
    pub identity: Option<Identity>,
    /// The quirk table entry in force.
    pub quirks: Option<String>,
    /// `+CSQ` rssi (0..31, 99 unknown).
    pub signal_rssi: Option<u8>,
    /// The same in dBm.
    pub signal_dbm: Option<i16>,
    /// Registration, e.g. `home`, `roaming`, `searching`.
    pub registration: Option<String>,
    /// Operator name.
    pub operator: Option<String>,
    /// Message storage in use.
    pub storage: Option<String>,
    /// `+CNMI` values in force.
    pub cnmi: Option<[u8; 5]>,
    /// Whether a send is in progress.
    pub busy: bool,
    /// Counters.
    pub counters: Counters,
    /// The last error, with when it happened.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<Timestamp>,
    /// URCs dropped in floods.
    pub urcs_dropped: u64,
    /// What the health ladder is doing and why (`escaping: 2 probes unanswered: ...`);
    /// `None` while the modem answers.
    pub health: Option<String>,
    /// Occupancy of each message storage from the last `AT+CPMS?` (read, write, receive).
    pub storages: Vec<StorageUse>,
    /// Why the receive storage counts as full (`+CPMS` 30/30, or the vendor notice such as
    /// `^SMMEMFULL: "SM"`) while it is; `None` once there is room again.
    pub storage_full: Option<String>,
    /// Set while the pool keeps this modem out of rotation (its sends kept failing).
    pub out_of_rotation: Option<OutOfRotation>,
    /// Messages this SIM sent today (UTC) and its `daily_limit`, filled in by the pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today: Option<DailyUse>,
}

/// A SIM's count for the day against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DailyUse {
    /// Messages sent today (UTC).
    pub sent: u64,
    /// The configured `daily_limit`, if any.
    pub limit: Option<u64>,
}

/// One storage's occupancy (`+CPMS`, TS 27.005 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageUse {
    /// `SM`, `ME`, `MT`, `SR`.
    pub memory: String,
    /// Locations in use.
    pub used: u32,
    /// Locations in total.
    pub total: u32,
}

/// Why and until when the pool leaves a modem out (its circuit breaker is open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutOfRotation {
    /// The failures that opened it, with the last error.
    pub reason: String,
    /// Since when.
    pub since: Timestamp,
    /// When one send will probe it again.
    pub until: Timestamp,
}

impl ModemView {
    /// A modem that has not started yet.
    pub fn new(name: &str, route: &str, device: &str) -> Self {
        ModemView {
            name: name.to_string(),
            route: route.to_string(),
            device: device.to_string(),
            state: ModemState::Starting,
            identity: None,
            quirks: None,
            signal_rssi: None,
            signal_dbm: None,
            registration: None,
            operator: None,
            storage: None,
            cnmi: None,
            busy: false,
            counters: Counters::default(),
            last_error: None,
            last_error_at: None,
            urcs_dropped: 0,
            health: None,
            storages: Vec::new(),
            storage_full: None,
            out_of_rotation: None,
            today: None,
        }
    }

    /// Whether the modem counts as up: ready and in its pool's rotation.
    pub fn is_up(&self) -> bool {
        self.state == ModemState::Ready && self.out_of_rotation.is_none()
    }

    /// The state's name as the API shows it (`ready`, `probing`, `recovering`, ...).
    pub fn state_name(&self) -> &'static str {
        match self.state {
            ModemState::Starting => "starting",
            ModemState::Ready => "ready",
            ModemState::NotRegistered => "not_registered",
            ModemState::Probing(_) => "probing",
            ModemState::Recovering(_) => "recovering",
            ModemState::Down(_) => "down",
            ModemState::Dead(_) => "dead",
        }
    }

    /// Records an error.
    pub fn error(&mut self, text: impl Into<String>) {
        self.last_error = Some(text.into());
        self.last_error_at = Some(Timestamp::now());
    }
}
