//! Faults on demand: the misbehaviour of real modems and networks that smsgw must survive.
//!
//! [`Fault`] is what a test or the control endpoint asks for; [`FaultState`] is what the
//! engine consults. Randomness comes from a seeded generator so that a run can be repeated.

use std::path::PathBuf;

/// A fault to inject. JSON form: `{"kind": "hang"}`, `{"kind": "cms_error", "code": 500,
/// "probability": 0.5}`, `{"kind": "vanish", "ms": 2000, "new_link": "/tmp/ttyX"}`, ...
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Stop answering anything (bytes are read and ignored) until faults are cleared, like a
    /// Huawei stick that silently stops after hours.
    Hang,
    /// The next `AT+CMGS` gets no `> ` prompt; the modem hangs from then on.
    HangBeforePrompt,
    /// The next PDU is taken and sent to the network, but `+CMGS:` never comes; the modem
    /// hangs from then on (the sender cannot know whether the message went out).
    HangAfterPdu,
    /// The next `AT+CMGD` deletes nothing and gets no answer; the modem hangs from then on
    /// (as if the host died between reading a message and deleting it: the message stays on
    /// the SIM for the next reader).
    HangOnDelete,
    /// The port disappears (PTY closed, link removed) for `ms` milliseconds and comes back,
    /// at `new_link` if given (a USB modem re-enumerated as another ttyUSB), power-cycled.
    Vanish {
        /// How long the port is gone.
        ms: u64,
        /// Where the port comes back; the old link otherwise.
        #[serde(default)]
        new_link: Option<PathBuf>,
    },
    /// `AT+CMGS` fails with `+CMS ERROR: <code>` with this probability, for the next `count`
    /// sends (or until cleared).
    CmsError {
        /// TS 27.005 §3.2.5 / TS 24.011 cause, e.g. 500 (unknown), 38 (network out of order).
        code: u16,
        /// Chance per send, 0.0..=1.0.
        #[serde(default = "one")]
        probability: f64,
        /// How many sends the fault lasts; unlimited when absent.
        #[serde(default)]
        count: Option<u32>,
    },
    /// Write these bytes (or `len` random bytes when `bytes` is empty) to the port now.
    Garbage {
        /// Bytes to write (JSON: array of numbers).
        #[serde(default)]
        bytes: Vec<u8>,
        /// Random bytes to write when `bytes` is empty.
        #[serde(default)]
        len: usize,
    },
    /// The storage (`"SM"`, the SIM, unless given) is full, as if other software had filled
    /// it: `AT+CMGW` there fails with `+CMS ERROR: 322`, incoming messages are not stored
    /// (the network holds them, no `+CMTI`), `AT+CPMS?` shows it full, and the profile's
    /// vendor notice (`+QIND: "smsfull"`, `^SMMEMFULL`) is sent, until faults are cleared.
    StorageFull {
        /// The storage that is full.
        #[serde(default = "sim_storage")]
        storage: String,
    },
    /// The operator blocks the SIM after `daily_limit` messages per UTC day: later sends fail
    /// with `+CMS ERROR: <code>` (default 21, "short message transfer rejected", TS 24.011
    /// §8.2.5.4).
    OperatorBlock {
        /// Messages allowed per UTC day (counting those already sent today).
        daily_limit: u32,
        /// The CMS error answered once blocked.
        #[serde(default = "rejected")]
        code: u16,
    },
}

fn sim_storage() -> String {
    "SM".into()
}

fn one() -> f64 {
    1.0
}

fn rejected() -> u16 {
    21
}

/// What happens to the next `AT+CMGS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFault {
    /// Nothing special.
    None,
    /// No prompt, then hang.
    HangBeforePrompt,
    /// Prompt and PDU, then hang.
    HangAfterPdu,
}

/// The faults in force.
#[derive(Debug, Clone)]
pub struct FaultState {
    /// Not answering.
    pub hung: bool,
    /// What the next send does.
    pub send: SendFault,
    /// The next `AT+CMGD` hangs the modem instead of deleting.
    pub hang_on_delete: bool,
    /// Storages made full by [`Fault::StorageFull`].
    pub full: Vec<String>,
    cms: Option<(u16, f64, Option<u32>)>,
    block: Option<(u32, u16)>,
    rng: fastrand::Rng,
}

impl FaultState {
    /// No faults; dice seeded with `seed`.
    pub fn new(seed: u64) -> FaultState {
        FaultState {
            hung: false,
            send: SendFault::None,
            hang_on_delete: false,
            full: Vec::new(),
            cms: None,
            block: None,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Arm a fault that the engine consults (vanish and garbage are carried out by the caller).
    pub fn arm(&mut self, fault: &Fault) {
        match *fault {
            Fault::Hang => self.hung = true,
            Fault::HangBeforePrompt => self.send = SendFault::HangBeforePrompt,
            Fault::HangAfterPdu => self.send = SendFault::HangAfterPdu,
            Fault::HangOnDelete => self.hang_on_delete = true,
            Fault::CmsError {
                code,
                probability,
                count,
            } => self.cms = Some((code, probability.clamp(0.0, 1.0), count)),
            Fault::OperatorBlock { daily_limit, code } => self.block = Some((daily_limit, code)),
            Fault::StorageFull { ref storage } => {
                let storage = storage.to_ascii_uppercase();
                if !self.full.contains(&storage) {
                    self.full.push(storage);
                }
            }
            Fault::Vanish { .. } | Fault::Garbage { .. } => {}
        }
    }

    /// Clear every fault.
    pub fn clear(&mut self) {
        self.hung = false;
        self.send = SendFault::None;
        self.hang_on_delete = false;
        self.full.clear();
        self.cms = None;
        self.block = None;
    }

    /// Roll the dice for a send: the CMS error to answer instead of sending, if any.
    /// `sent_today` is the number of messages the SIM already sent this UTC day.
    pub fn send_error(&mut self, sent_today: u32) -> Option<u16> {
        if let Some((limit, code)) = self.block
            && sent_today >= limit
        {
            return Some(code);
        }
        let (code, p, count) = self.cms?;
        if count == Some(0) {
            self.cms = None;
            return None;
        }
        if let Some(n) = count {
            self.cms = if n <= 1 {
                None
            } else {
                Some((code, p, Some(n - 1)))
            };
        }
        (self.rng.f64() < p).then_some(code)
    }

    /// Random bytes for a garbage fault.
    pub fn random_bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.rng.u8(..)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_cms_errors_should_stop_after_count() {
        let mut f = FaultState::new(1);
        f.arm(&Fault::CmsError {
            code: 500,
            probability: 1.0,
            count: Some(2),
        });
        assert_eq!(f.send_error(0), Some(500));
        assert_eq!(f.send_error(0), Some(500));
        assert_eq!(f.send_error(0), None);
    }

    #[test]
    fn operator_block_should_start_at_the_daily_limit() {
        let mut f = FaultState::new(1);
        f.arm(&Fault::OperatorBlock {
            daily_limit: 3,
            code: 21,
        });
        assert_eq!(f.send_error(2), None);
        assert_eq!(f.send_error(3), Some(21));
        f.clear();
        assert_eq!(f.send_error(3), None);
    }

    #[test]
    fn fault_json_should_parse_with_defaults() {
        let f: Fault = serde_json::from_str(r#"{"kind":"cms_error","code":500}"#).unwrap();
        assert_eq!(
            f,
            Fault::CmsError {
                code: 500,
                probability: 1.0,
                count: None
            }
        );
        let v: Fault = serde_json::from_str(r#"{"kind":"vanish","ms":100}"#).unwrap();
        assert_eq!(
            v,
            Fault::Vanish {
                ms: 100,
                new_link: None
            }
        );
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"cms_error","code":1,"x":1}"#).is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"melt"}"#).is_err());
        let full: Fault = serde_json::from_str(r#"{"kind":"storage_full"}"#).unwrap();
        assert_eq!(
            full,
            Fault::StorageFull {
                storage: "SM".into()
            }
        );
    }

    #[test]
    fn half_probability_should_fail_some_but_not_all_sends() {
        let mut f = FaultState::new(7);
        f.arm(&Fault::CmsError {
            code: 500,
            probability: 0.5,
            count: None,
        });
        let fails = (0..200).filter(|_| f.send_error(0).is_some()).count();
        assert!((50..150).contains(&fails), "{fails}");
    }
}
