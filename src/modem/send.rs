//! Sending parts with `AT+CMGS` in PDU mode (TS 27.005 §3.5.1), and what each answer means
//! for the part and for the modem.
//!
//! The rules: the length is the TPDU without the SMSC octets; the prompt waits about 10 s and
//! is left with ESC; the result may take minutes. A timeout after the PDU was written is an
//! unknown outcome, never a failure. `+CMS ERROR` codes are classified with the tables of
//! [`crate::at::cms_error`] and the vendor's codes; ambiguous ones (500) are temporary for the
//! message, and counted against the modem so a burst of them triggers recovery.

use std::time::Duration;

use super::codec::OutgoingPart;
use super::port::{PortError, PortHandle};
use crate::at::response::sms::parse_cmgs;
use crate::at::{Command, ErrorClass, FinalResult, SendPdu, Vendor};
use crate::dispatch::PartOutcome;

/// The two `AT+CMGS` timeouts.
#[derive(Debug, Clone, Copy)]
pub struct SendTimeouts {
    /// For the `> ` prompt.
    pub prompt: Duration,
    /// For the result after the PDU.
    pub result: Duration,
    /// For ordinary commands (`AT+CMMS`).
    pub command: Duration,
}

/// What an answer says about the modem, beyond the part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModemEffect {
    /// Nothing: the modem answered.
    None,
    /// A timeout (prompt or result): counts toward the recovery ladder.
    Hung,
    /// An error that every message on this modem would get (SIM, no service): re-initialise.
    Fatal(String),
    /// An error that says nothing (`+CMS ERROR: 500`): counted; a run of them is treated as
    /// a hung modem.
    Ambiguous,
    /// The port is gone.
    PortLost,
}

/// The outcome of one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartResult {
    /// 1-based part index.
    pub index: u8,
    /// What the dispatcher is told.
    pub outcome: PartOutcome,
    /// TP-MR from `+CMGS: <mr>`, to correlate the status report.
    pub mr: Option<u8>,
    /// What it says about the modem.
    pub effect: ModemEffect,
    /// Whether any of the PDU may have reached the modem (false: safe to send elsewhere).
    pub written: bool,
}

/// Sends one part.
pub async fn send_part(
    port: &PortHandle,
    part: &OutgoingPart,
    t: &SendTimeouts,
    vendor: Vendor,
) -> PartResult {
    let mut res = PartResult {
        index: part.index,
        outcome: PartOutcome::Temporary {
            reason: String::new(),
        },
        mr: None,
        effect: ModemEffect::None,
        written: false,
    };
    let pdu = match SendPdu::new(&part.pdu_hex, part.tpdu_len) {
        Ok(p) => p,
        Err(e) => {
            res.outcome = PartOutcome::Permanent {
                reason: format!("the encoded PDU is unusable: {e}"),
            };
            return res;
        }
    };
    let was_closed = port.is_closed();
    match port.send_pdu(&pdu, t.prompt, t.result).await {
        Ok(r) if r.result.is_ok() => {
            res.written = true;
            res.mr = parse_cmgs(&r).ok();
            res.outcome = PartOutcome::Sent {
                remote_id: res.mr.map(|m| m.to_string()),
            };
        }
        Ok(r) => {
            // An error before the prompt means nothing was written; after it the network
            // refused it. Either way the modem answered, so the part did not go out.
            let reason = describe(&r.result, vendor);
            let class = r.result.class(vendor).unwrap_or(ErrorClass::Ambiguous);
            res.outcome = match class {
                ErrorClass::Permanent => PartOutcome::Permanent { reason },
                ErrorClass::ModemFatal => {
                    res.effect = ModemEffect::Fatal(reason.clone());
                    PartOutcome::Temporary { reason }
                }
                ErrorClass::Ambiguous => {
                    res.effect = ModemEffect::Ambiguous;
                    PartOutcome::Temporary { reason }
                }
                _ => PartOutcome::Temporary { reason },
            };
        }
        Err(e @ PortError::NoPrompt { .. }) => {
            res.effect = ModemEffect::Hung;
            res.outcome = PartOutcome::Temporary {
                reason: e.to_string(),
            };
        }
        Err(e @ PortError::NoResult { .. }) => {
            res.effect = ModemEffect::Hung;
            res.written = true;
            res.outcome = PartOutcome::Unknown {
                reason: e.to_string(),
            };
        }
        Err(e) => {
            res.effect = ModemEffect::PortLost;
            if was_closed {
                res.outcome = PartOutcome::Temporary {
                    reason: e.to_string(),
                };
            } else {
                // The port died during the exchange: the PDU may have been written.
                res.written = true;
                res.outcome = PartOutcome::Unknown {
                    reason: e.to_string(),
                };
            }
        }
    }
    res
}

/// Sends parts in order, stopping at the first part that did not go out; the rest are
/// reported not attempted (temporary, nothing written). With `cmms`, `AT+CMMS=1` first keeps
/// the relay link open between parts (TS 27.005 §3.5.6).
pub async fn send_parts(
    port: &PortHandle,
    parts: &[OutgoingPart],
    t: &SendTimeouts,
    vendor: Vendor,
    cmms: bool,
) -> Vec<PartResult> {
    if cmms && parts.len() > 1 {
        let _ = port.command(&Command::more_messages(1), t.command).await;
    }
    let mut out = Vec::with_capacity(parts.len());
    let mut stopped = false;
    for part in parts {
        if stopped {
            out.push(not_attempted(part.index));
            continue;
        }
        let r = send_part(port, part, t, vendor).await;
        stopped = !matches!(r.outcome, PartOutcome::Sent { .. });
        out.push(r);
    }
    out
}

/// A part that was not tried because an earlier part failed.
pub fn not_attempted(index: u8) -> PartResult {
    PartResult {
        index,
        outcome: PartOutcome::Temporary {
            reason: "not attempted: an earlier part did not go out".into(),
        },
        mr: None,
        effect: ModemEffect::None,
        written: false,
    }
}

/// `+CMS ERROR: 42 (Congestion)`-style text for the part's error field.
fn describe(result: &FinalResult, vendor: Vendor) -> String {
    match result {
        FinalResult::Cms(e) => match (e.code, e.name(vendor)) {
            (Some(c), Some(n)) => format!("+CMS ERROR: {c} ({n})"),
            (Some(c), None) => format!("+CMS ERROR: {c}"),
            (None, _) => format!("+CMS ERROR: {}", e.text.as_deref().unwrap_or("?")),
        },
        FinalResult::Cme(e) => match (e.code, e.name(vendor)) {
            (Some(c), Some(n)) => format!("+CME ERROR: {c} ({n})"),
            (Some(c), None) => format!("+CME ERROR: {c}"),
            (None, _) => format!("+CME ERROR: {}", e.text.as_deref().unwrap_or("?")),
        },
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::port;
    use crate::modem::testing::{FakeModem, FakeState, SendBehaviour};

    const T: SendTimeouts = SendTimeouts {
        prompt: Duration::from_secs(10),
        result: Duration::from_secs(300),
        command: Duration::from_secs(2),
    };

    fn part(i: u8) -> OutgoingPart {
        OutgoingPart {
            index: i,
            pdu_hex: "0011000B916407281553F80000AA0AE8329BFD4697D9EC37".into(),
            tpdu_len: 23,
        }
    }

    async fn with(
        plan: Vec<SendBehaviour>,
        parts: &[OutgoingPart],
    ) -> (Vec<PartResult>, FakeModem) {
        let (io, peer) = tokio::io::duplex(4096);
        let fake = FakeModem::start(
            peer,
            FakeState {
                send_plan: plan,
                next_mr: 41,
                ..FakeState::default()
            },
        );
        let (port, _urcs) = port::spawn(io, "t");
        (
            send_parts(&port, parts, &T, Vendor::Generic, true).await,
            fake,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn accepted_parts_should_be_sent_with_their_tp_mr() {
        let (r, fake) = with(vec![], &[part(1), part(2)]).await;
        assert_eq!(r[0].mr, Some(41));
        assert_eq!(
            r[1].outcome,
            PartOutcome::Sent {
                remote_id: Some("42".into())
            }
        );
        assert_eq!(fake.state.lock().sent.len(), 2);
        assert!(fake.state.lock().log.contains(&"AT+CMMS=1".to_string()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_prompt_should_be_temporary_and_unwritten_and_stop_the_rest() {
        let (r, fake) = with(vec![SendBehaviour::NoPrompt], &[part(1), part(2)]).await;
        assert!(matches!(r[0].outcome, PartOutcome::Temporary { .. }));
        assert!(!r[0].written);
        assert_eq!(r[0].effect, ModemEffect::Hung);
        assert!(!r[1].written);
        assert!(fake.state.lock().sent.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn silence_after_the_pdu_should_be_unknown() {
        let (r, _fake) = with(vec![SendBehaviour::NoResult], &[part(1)]).await;
        assert!(matches!(r[0].outcome, PartOutcome::Unknown { .. }));
        assert!(r[0].written);
    }

    #[tokio::test(start_paused = true)]
    async fn cms_errors_should_follow_their_class() {
        let (r, _f) = with(vec![SendBehaviour::Error(21)], &[part(1)]).await;
        assert!(
            matches!(&r[0].outcome, PartOutcome::Permanent { reason } if reason.contains("21"))
        );
        let (r, _f) = with(vec![SendBehaviour::Error(500)], &[part(1)]).await;
        assert!(matches!(r[0].outcome, PartOutcome::Temporary { .. }));
        assert_eq!(r[0].effect, ModemEffect::Ambiguous);
        let (r, _f) = with(vec![SendBehaviour::Error(331)], &[part(1)]).await;
        assert!(matches!(r[0].effect, ModemEffect::Fatal(_)));
        let (r, _f) = with(vec![SendBehaviour::Error(42)], &[part(1)]).await;
        assert_eq!(r[0].effect, ModemEffect::None);
        assert!(matches!(r[0].outcome, PartOutcome::Temporary { .. }));
    }
}
