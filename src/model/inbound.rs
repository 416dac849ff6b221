//! Messages received from handsets.

use serde::{Deserialize, Serialize};

use super::{KeywordHit, MessageId, Timestamp};

/// A message that came in through a route (a modem's SIM or an SMPP `deliver_sm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Sortable id, also the time it was stored.
    pub id: MessageId,
    /// The originator as the network gave it (a number or an alphanumeric name).
    pub from: String,
    /// The number it was sent to (our SIM's number or SMPP destination), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The text, decoded and reassembled.
    pub text: String,
    /// The route it came in through.
    pub route: String,
    /// The network's timestamp (TP-SCTS), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// When we stored it.
    pub received_at: Timestamp,
    /// How many parts it was made of.
    #[serde(default = "one")]
    pub parts: u8,
    /// Some parts never arrived before the reassembly timeout; the missing ones are marked in
    /// the text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// The whole reply was an opt-out or opt-in keyword (set by the consent hook when the
    /// message is stored; issue 7 item 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<KeywordHit>,
}

fn one() -> u8 {
    1
}
