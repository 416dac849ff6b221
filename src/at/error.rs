//! Typed errors of the AT layer and the retry classification shared by
//! `+CMS ERROR` and `+CME ERROR` codes.

use super::event::FinalResult;

/// How a caller should react to a failed command (used for `+CMS`/`+CME ERROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Retrying the same message will fail again (bad destination, barred, invalid PDU).
    Permanent,
    /// A transient network/SMSC/ME condition: retry later, possibly elsewhere.
    Temporary,
    /// This modem cannot send anything until someone intervenes (SIM, PIN, no service).
    ModemFatal,
    /// The code does not say (e.g. CMS 500 "unknown error"); callers should cap retries.
    Ambiguous,
}

/// Modem manufacturer, used to pick a vendor-specific error table (codes ≥ 512).
///
/// TS 27.005 §3.2.5 and TS 27.007 §9.2 leave codes from 512 up to manufacturers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Vendor {
    /// Unknown manufacturer: only standard codes are named.
    #[default]
    Generic,
    /// SIMCom (SIM800, SIM7600).
    Simcom,
    /// Quectel (EC25, UC20, M10).
    Quectel,
    /// Huawei (E3372, E173, K3715).
    Huawei,
    /// Sierra Wireless / Wavecom.
    Wavecom,
}

impl Vendor {
    /// Guess the vendor from the `AT+CGMI` answer (TS 27.007 §5.1).
    pub fn from_manufacturer(text: &str) -> Vendor {
        let t = text.trim().to_ascii_lowercase();
        if t.contains("simcom") {
            Vendor::Simcom
        } else if t.contains("quectel") {
            Vendor::Quectel
        } else if t.contains("huawei") {
            Vendor::Huawei
        } else if t.contains("wavecom") || t.contains("sierra") {
            Vendor::Wavecom
        } else {
            Vendor::Generic
        }
    }
}

/// Failure to turn a [`Response`](super::event::Response) into a typed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The command ended with a final result other than `OK`.
    #[error("command failed: {0:?}")]
    Failed(FinalResult),
    /// No information line with the expected prefix was present.
    #[error("no `{prefix}` line in response")]
    Missing {
        /// The prefix that was looked for.
        prefix: &'static str,
    },
    /// A line had the right prefix but could not be parsed.
    #[error("malformed {what}: {line:?}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// The offending line.
        line: String,
    },
}

/// Failure to build a command from caller-supplied values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A PIN/PUK must be 4–8 decimal digits (TS 27.007 §8.3 with TS 31.101 limits).
    #[error("PIN must be 4 to 8 digits")]
    InvalidPin,
    /// The PDU is not even-length hexadecimal.
    #[error("PDU is not hexadecimal")]
    InvalidPdu,
    /// The TPDU length must be 1..=164 octets and fit inside the PDU (TS 27.005 §3.5.1).
    #[error("TPDU length {0} is out of range")]
    InvalidLength(usize),
    /// A string parameter contains a quote or control character, which AT cannot carry.
    #[error("parameter contains a quote or control character")]
    InvalidString,
}
