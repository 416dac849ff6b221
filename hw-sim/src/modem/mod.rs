//! A simulated GSM modem on a pseudo-terminal, speaking AT commands in PDU mode like a real one
//! (ITU-T V.250, 3GPP TS 27.007 and TS 27.005), with vendor profiles and faults on demand.
//!
//! - [`pty`]: the PTY whose slave side is linked at the port path.
//! - [`frontend`]: command-line assembly and splitting (V.250 §5).
//! - [`engine`]: the sans-IO state machine; command handlers in `cmd_general` and `cmd_sms`,
//!   the network side (incoming messages, status reports) in `network`.
//! - [`sim_storage`]: SM/ME/SR storages.
//! - [`profile`]: SIM800, EC25, E3372 and generic identities and quirks.
//! - [`faults`]: hang, vanish, CMS errors, garbage, operator block.
//! - [`pdu`]: the adapter to smsgw's GSM codec.
//! - [`sent`]: what the network received, decoded and grouped.
//! - [`task`], [`handle`]: the owning task and the in-process API ([`SimModem`]).
//! - [`control`]: the HTTP control endpoint.

mod cmd_general;
mod cmd_sms;
pub mod config;
pub mod control;
pub mod engine;
pub mod faults;
pub mod frontend;
pub mod handle;
mod network;
pub mod pdu;
pub mod profile;
pub mod pty;
pub mod sent;
pub mod sim_storage;
pub mod status;
mod task;

pub use config::{Identity, ModemConfig};
pub use faults::Fault;
pub use handle::{ModemControl, SimError, SimModem};
pub use profile::Profile;
pub use sent::{SentMessage, SentPart};
pub use status::ModemStatus;
