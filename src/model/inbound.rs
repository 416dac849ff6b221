//! Messages received from handsets.

use serde::{Deserialize, Serialize};

use super::{KeywordHit, MessageId, Timestamp};

/// A message that came in through a route (a modem's SIM or an SMPP `deliver_sm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Sortable id, also the time it was stored.
    pub id: MessageId,
    /// The originator: E.164 when it is a number that could be read (with the type of number
    /// the network gave and `default_country`, as a submission's `to` is read), else as the
    /// network gave it (an alphanumeric name, a service number).
    pub from: String,
    /// `from` as the network gave it, when that differs (`0401001101`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_original: Option<String>,
    /// The number it was sent to (our SIM's number or SMPP destination), when known; read
    /// like `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `to` as the network gave it, when that differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_original: Option<String>,
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
    /// The modem or SMPP link it came in on (the "number it was received on" for reply
    /// matching and inbound routing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<String>,
    /// The outbound message this one answers, when reply matching found one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<ReplyTo>,
    /// How reply matching decided (`sticky-sender`, `latest`, `none`) and how sure it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<MatchedBy>,
    /// The `[[inbound_routes]]` rule that chose where this message's webhook goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_rule: Option<String>,
    /// The whole reply was an opt-out or opt-in keyword (set by the consent hook when the
    /// message is stored; issue 7 item 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<KeywordHit>,
}

/// The outbound message an incoming one answers: its id and the client's `reference`, so a
/// booking system can act on "NO" without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    /// The outbound message's id.
    pub id: MessageId,
    /// Its client `reference`, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The rule reply matching used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchRule {
    /// The reply came in on the SIM that holds exactly one open conversation with the sender:
    /// exact, because sticky senders gave each open conversation its own SIM.
    StickySender,
    /// The latest message sent to the sender from the number the reply came in on, within
    /// the reply window; less sure when several conversations were open on that number.
    Latest,
    /// Nothing was sent to the sender from that number within the window.
    None,
}

/// How a reply was matched, and how sure the match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedBy {
    /// The rule.
    pub rule: MatchRule,
    /// 0.0 to 1.0, kept as whole percent so the type stays `Eq` and JSON shows e.g. `0.95`.
    #[serde(with = "percent")]
    pub confidence: u8,
}

/// `u8` percent on the Rust side, a 0.0–1.0 number in JSON.
mod percent {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u8, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(*v) / 100.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        let f = f64::deserialize(d)?;
        Ok((f.clamp(0.0, 1.0) * 100.0).round() as u8)
    }
}

fn one() -> u8 {
    1
}
