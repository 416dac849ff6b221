//! A snapshot of a simulated modem's state, for tests and the control endpoint.

use std::path::PathBuf;

use super::engine::{Engine, Mode, Sim};

/// Storage occupancy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StorageStatus {
    /// "SM", "ME", "SR".
    pub name: String,
    /// Locations in use.
    pub used: usize,
    /// Locations in total.
    pub capacity: usize,
    /// No room for another message (every slot used, or the `storage_full` fault).
    pub full: bool,
}

/// What the modem is doing now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModemStatus {
    /// Profile name.
    pub profile: String,
    /// The modem's IMEI.
    pub imei: String,
    /// The SIM's IMSI.
    pub imsi: String,
    /// The SIM's ICCID.
    pub iccid: String,
    /// Where the port is linked (or will come back).
    pub link: PathBuf,
    /// Whether the port exists now (false while vanished).
    pub present: bool,
    /// `READY`, `SIM PIN`, `SIM PUK` or `BUSY`.
    pub sim: String,
    /// Registration `<stat>` (TS 27.007 §7.2).
    pub registration: u8,
    /// Whether a hang fault is in force.
    pub hung: bool,
    /// Whether the modem is at the `> ` prompt.
    pub at_prompt: bool,
    /// Current echo setting.
    pub echo: bool,
    /// Current `AT+CNMI` values.
    pub cnmi: [u8; 5],
    /// Messages sent this UTC day.
    pub sent_today: u32,
    /// Incoming messages and status reports the network holds (modem unregistered or
    /// storage full).
    pub network_queue: usize,
    /// Storages.
    pub storages: Vec<StorageStatus>,
}

impl Engine {
    /// The current state.
    pub fn status(&self) -> ModemStatus {
        ModemStatus {
            profile: self.cfg.profile.name.to_owned(),
            imei: self.cfg.imei.clone(),
            imsi: self.cfg.imsi.clone(),
            iccid: self.cfg.iccid.clone(),
            link: PathBuf::new(),
            present: true,
            sim: match self.sim {
                Sim::Ready => "READY",
                Sim::Busy => "BUSY",
                Sim::PinLocked(_) => "SIM PIN",
                Sim::PukLocked => "SIM PUK",
            }
            .to_owned(),
            registration: self.reg_stat,
            hung: self.faults.hung,
            at_prompt: matches!(self.mode, Mode::Prompt { .. }),
            echo: self.echo,
            cnmi: self.cnmi,
            sent_today: self.sent_today(),
            network_queue: self.network_queue.len() + self.held_reports.len(),
            storages: self
                .storages
                .values()
                .filter(|s| s.capacity > 0)
                .map(|s| StorageStatus {
                    name: s.name.clone(),
                    used: s.used(),
                    capacity: s.capacity,
                    full: self.is_full(&s.name),
                })
                .collect(),
        }
    }
}
