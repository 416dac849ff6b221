//! The life cycle of an outbound message.

use serde::{Deserialize, Serialize};

/// Where an outbound message is. The store indexes messages by this, so the discriminants are
/// part of the on-disk format: never renumber, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Status {
    /// Accepted, waiting for its `send_at`.
    Scheduled = 1,
    /// Due (or waiting for a retry); the dispatcher will hand it to a route.
    Queued = 2,
    /// Handed to a route; the outcome is not known yet.
    Sending = 3,
    /// Every part was accepted by the network (modem `+CMGS` / SMPP `submit_sm_resp`).
    Sent = 4,
    /// Every part was reported delivered to the handset.
    Delivered = 5,
    /// The network reported that at least one part will not be delivered.
    Undelivered = 6,
    /// Sending failed for a stated reason (permanent error, or retries exhausted).
    Failed = 7,
    /// The validity period ran out before the message could be sent.
    Expired = 8,
    /// Canceled by a client before it was handed to a route.
    Canceled = 9,
}

impl Status {
    /// Every status, in life-cycle order.
    pub const ALL: [Status; 9] = [
        Status::Scheduled,
        Status::Queued,
        Status::Sending,
        Status::Sent,
        Status::Delivered,
        Status::Undelivered,
        Status::Failed,
        Status::Expired,
        Status::Canceled,
    ];

    /// The byte used in index keys.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The status for an index-key byte, if it is one.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The lowercase name used in the API and in query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Undelivered => "undelivered",
            Status::Failed => "failed",
            Status::Expired => "expired",
            Status::Canceled => "canceled",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// No further change is expected by the gateway itself. `Sent` is not final: a delivery
    /// report may still move it to `Delivered` or `Undelivered`.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Delivered
                | Status::Undelivered
                | Status::Failed
                | Status::Expired
                | Status::Canceled
        )
    }

    /// The message is still waiting in the queue and has not been handed to a route, so a
    /// client may cancel it.
    pub fn is_cancelable(self) -> bool {
        matches!(self, Status::Scheduled | Status::Queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_should_round_trip_through_its_code_and_name() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::from_code(0), None);
    }
}
