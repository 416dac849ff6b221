//! What a route reports about a send: the vocabulary between the routes, the dispatcher and
//! the store's writer, which records it.

use super::MessageId;

/// What happened to one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartOutcome {
    /// Accepted by the network; `remote_id` correlates delivery reports.
    Sent {
        /// SMPP message_id or the modem's TP-MR, as text.
        remote_id: Option<String>,
    },
    /// Refused for now (network busy, throttled, modem error): try again later, preferably
    /// through another route.
    Temporary {
        /// The route's words, e.g. `+CMS ERROR: 42` or `ESME_RTHROTTLED`.
        reason: String,
    },
    /// Refused for good (invalid number, barred): the message fails.
    Permanent {
        /// The route's words.
        reason: String,
    },
    /// Written to the modem or link but no answer came: it may have gone out. Retrying may
    /// duplicate it, so the part is marked `possible_duplicate` when it is sent again.
    Unknown {
        /// What was seen.
        reason: String,
    },
    /// Written but not answered, like `Unknown`, and the route will not have it sent again:
    /// it waits for the part's delivery report (a modem pool's `wait_for_report` policy). The
    /// part stays `unknown`; the route resolves it when the report comes or validity ends.
    Unconfirmed {
        /// What was seen.
        reason: String,
    },
}

/// The outcome of a route's send (`dispatch::SendJob`), one entry per part asked for.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// (part index, outcome).
    pub parts: Vec<(u8, PartOutcome)>,
}

/// A send that ended: the message, the route it went through and the route's report.
#[derive(Debug, Clone)]
pub struct SendEnded {
    /// The message sent.
    pub id: MessageId,
    /// The route's name.
    pub route: String,
    /// What the route reported for each part.
    pub report: SendReport,
}
