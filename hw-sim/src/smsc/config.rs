//! What the simulated SMSC accepts and how it behaves: static configuration (accounts, id
//! format) and the faults that tests and people may change at run time.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// One ESME account: binds must present this `system_id` and `password` (SMPP 3.4 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The ESME's system_id.
    pub system_id: String,
    /// Its password.
    pub password: String,
}

/// How message ids are printed. Real SMSCs differ, and some print the same id in hex in
/// submit_sm_resp and in decimal in the receipt text: the ESME must still correlate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IdFormat {
    /// Upper-case hexadecimal, zero-padded to 10 digits (`000000002A`).
    #[default]
    Hex,
    /// Decimal without padding (`42`).
    Decimal,
}

impl IdFormat {
    /// Prints a numeric id in this format.
    pub fn format(self, n: u64) -> String {
        match self {
            IdFormat::Hex => format!("{n:010X}"),
            IdFormat::Decimal => n.to_string(),
        }
    }
}

/// Static configuration of one simulated SMSC.
#[derive(Debug, Clone)]
pub struct SmscConfig {
    /// SMPP listen address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// HTTP control endpoint, loopback only; `None` for none.
    pub control: Option<SocketAddr>,
    /// Accounts allowed to bind.
    pub accounts: Vec<Account>,
    /// The SMSC's own system_id, returned in bind responses.
    pub system_id: String,
    /// Format of message ids in submit_sm_resp (and the receipted_message_id TLV).
    pub id_format: IdFormat,
    /// Format of the id in the receipt *text*; `None` means the same as `id_format`.
    pub receipt_text_id_format: Option<IdFormat>,
    /// How many submitted messages the control endpoint keeps (oldest dropped first), so a
    /// long benchmark does not grow memory without bound.
    pub max_records: usize,
    /// Faults in force at start.
    pub faults: Faults,
}

impl Default for SmscConfig {
    fn default() -> Self {
        SmscConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            control: None,
            accounts: vec![Account {
                system_id: "smsgw".into(),
                password: "secret".into(),
            }],
            system_id: "hwsim".into(),
            id_format: IdFormat::Hex,
            receipt_text_id_format: None,
            max_records: 100_000,
            faults: Faults::default(),
        }
    }
}

/// Relative weights of receipt outcomes; chosen by smooth weighted round robin, so the mix is
/// exact and repeatable (no test depends on random luck).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutcomeMix {
    /// `stat:DELIVRD`, message_state DELIVERED.
    pub delivered: u32,
    /// `stat:UNDELIV`, message_state UNDELIVERABLE.
    pub undeliverable: u32,
    /// `stat:EXPIRED`, message_state EXPIRED.
    pub expired: u32,
    /// `stat:REJECTD`, message_state REJECTED.
    pub rejected: u32,
}

impl Default for OutcomeMix {
    fn default() -> Self {
        OutcomeMix {
            delivered: 1,
            undeliverable: 0,
            expired: 0,
            rejected: 0,
        }
    }
}

/// Faults and timings that may change while the SMSC runs (`PUT /faults`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Fraction 0..=1 of submits answered `ESME_RTHROTTLED` (spread evenly, deterministic).
    pub throttle_fraction: f64,
    /// The contracted throughput: submits per second the SMSC accepts over all its binds
    /// (a token bucket holding one second's worth); faster submits are answered
    /// `ESME_RTHROTTLED`, as operators enforce a TPS. `None` for no limit.
    pub max_rate: Option<f64>,
    /// Fraction 0..=1 of submits answered `ESME_RMSGQFUL`.
    pub queue_full_fraction: f64,
    /// Delay before each response to a submit (slow SMSC).
    pub response_delay_ms: u64,
    /// Delay between a submit and its receipt.
    pub receipt_delay_ms: u64,
    /// Receipt outcome weights.
    pub outcomes: OutcomeMix,
    /// When set, the connection that receives the Nth next submit is dropped without
    /// answering it (a response lost mid-window); the counter then clears.
    pub drop_after_submits: Option<u64>,
    /// Send receipts with the text form only (no receipted_message_id / message_state TLVs),
    /// like older SMSCs.
    pub receipt_text_only: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            throttle_fraction: 0.0,
            max_rate: None,
            queue_full_fraction: 0.0,
            response_delay_ms: 0,
            receipt_delay_ms: 100,
            outcomes: OutcomeMix::default(),
            drop_after_submits: None,
            receipt_text_only: false,
        }
    }
}
