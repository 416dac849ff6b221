//! Plain data shared by every layer: identifiers, phone numbers, messages, statuses and events.
//!
//! Nothing here does I/O or knows about sled, axum or tokio; the store serialises these types and
//! the API shows them. Keep them small and serde-friendly: new fields get `#[serde(default)]` so a
//! store written by an older version still loads.

mod address;
mod audit;
mod consent;
mod event;
mod id;
mod inbound;
mod message;
mod outcome;
mod status;
mod thread;
mod time;

pub use address::{
    AddressError, Msisdn, NumberPlan, NumberType, ReceivedAddress, Sender, load_numbering_plans,
};
pub use audit::{Actor, AuditEntry};
pub use consent::{GLOBAL_SCOPE, KeywordAction, KeywordHit, Suppression, SuppressionSource};
pub use event::{Event, EventKind};
pub use id::MessageId;
pub use inbound::{InboundMessage, MatchRule, MatchedBy, ReplyTo};
pub use message::{Attempt, DlrRequest, OutboundMessage, Part, PartStatus, Priority, StatusChange};
pub use outcome::{PartOutcome, SendEnded, SendReport};
pub use status::Status;
pub use thread::ThreadMarks;
pub use time::Timestamp;
