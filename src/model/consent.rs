//! Consent: keyword hits on incoming replies and suppression-list entries.
//!
//! Plain data shared by the store (which keeps them under `O` keys and on inbox entries), the
//! consent policy (`crate::consent`) and the API. The suppression list is what makes an
//! opt-out stick: a number on it gets no non-transactional message (issue 7, items 2 and 3).

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// What a keyword reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordAction {
    /// Stop sending to me (STOP, STOPP, СТОП, NIE, …): the number goes on the suppression list.
    OptOut,
    /// Send to me again (START, …): the number comes off the suppression list.
    OptIn,
}

/// A reply that was one of the configured keywords, as reported on the inbox entry and in its
/// `message.received` webhook (`keyword` field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordHit {
    /// Opt-out or opt-in.
    pub action: KeywordAction,
    /// The configured word that matched (as configured, e.g. `STOPP`).
    pub word: String,
    /// The language key of the keyword set it came from (`en`, `fi`, …).
    pub language: String,
    /// Where the opt-out or opt-in applies: `global`, or the sender (brand or number) it
    /// concerns when the list is kept per sender.
    pub scope: String,
}

/// How a number came onto the suppression list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionSource {
    /// The recipient replied with an opt-out keyword.
    Keyword,
    /// Put there through `PUT /v1/suppressions/{number}`.
    #[default]
    Api,
    /// Imported from a CSV file.
    Import,
}

/// One entry of the suppression list: `number` must get no non-transactional message from
/// `scope` (`global`: from anyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The normalised number (E.164 or short code).
    pub number: String,
    /// `global` or a sender (brand or number) the opt-out concerns.
    pub scope: String,
    /// How it got here.
    #[serde(default)]
    pub source: SuppressionSource,
    /// The keyword that put it here, for keyword opt-outs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word: Option<String>,
    /// A free note from the operator (API and import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// The scope name of entries that apply to every sender.
pub const GLOBAL_SCOPE: &str = "global";
