//! What the digester hands to the driver: events, responses and final result codes.

use super::cme_error::CmeError;
use super::cms_error::CmsError;
use super::error::{ErrorClass, Vendor};
use super::fields::strip_prefix;
use super::urc::Urc;

/// A final result code ending a command (V.250 §5.7.1, TS 27.007 §9.2, TS 27.005 §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinalResult {
    /// `OK` (V0: `0`).
    Ok,
    /// `ERROR` (V0: `4`).
    Error,
    /// `+CME ERROR: <err>` (TS 27.007 §9.2).
    Cme(CmeError),
    /// `+CMS ERROR: <err>` (TS 27.005 §3.2.5).
    Cms(CmsError),
    /// `NO CARRIER` (V0: `3`).
    NoCarrier,
    /// `BUSY` (V0: `7`).
    Busy,
    /// `NO ANSWER` (V0: `8`).
    NoAnswer,
    /// `NO DIALTONE` (V0: `6`).
    NoDialtone,
    /// A non-standard error line such as Huawei's `COMMAND NOT SUPPORT`.
    VendorError(String),
    /// No final result arrived; the driver gave up (see `Digester::abandon`).
    /// Some modems (old Wavecom) answer `AT+CPIN?` without `OK`.
    Abandoned,
}

/// Non-standard final error lines seen on Huawei firmware (python-gsmmodem's
/// HuaweiE1752 profile records `COMMAND NOT SUPPORT`).
const VENDOR_ERRORS: &[&str] = &["COMMAND NOT SUPPORT", "TOO MANY PARAMETERS"];

impl FinalResult {
    /// True for `OK`.
    pub fn is_ok(&self) -> bool {
        matches!(self, FinalResult::Ok)
    }

    /// How to react to this outcome; `None` for `OK`.
    ///
    /// `+CMS`/`+CME ERROR` use their tables (with `vendor`'s codes ≥ 512). A
    /// plain `ERROR`, a vendor error line or an abandoned command say nothing
    /// about the cause and are [`ErrorClass::Ambiguous`]; call-progress codes
    /// (`BUSY`, `NO CARRIER` …) are [`ErrorClass::Temporary`].
    pub fn class(&self, vendor: Vendor) -> Option<ErrorClass> {
        Some(match self {
            FinalResult::Ok => return None,
            FinalResult::Cms(e) => e.class(vendor),
            FinalResult::Cme(e) => e.class(vendor),
            FinalResult::NoCarrier
            | FinalResult::Busy
            | FinalResult::NoAnswer
            | FinalResult::NoDialtone => ErrorClass::Temporary,
            FinalResult::Error | FinalResult::VendorError(_) | FinalResult::Abandoned => {
                ErrorClass::Ambiguous
            }
        })
    }

    /// Recognise a final result code line (verbose form; numeric V0 forms when
    /// `numeric` is set, V.250 §6.2.6 Table 1).
    pub fn parse(line: &str, numeric: bool) -> Option<FinalResult> {
        let t = line.trim();
        let r = match t {
            "OK" => FinalResult::Ok,
            "ERROR" => FinalResult::Error,
            "NO CARRIER" => FinalResult::NoCarrier,
            "BUSY" => FinalResult::Busy,
            "NO ANSWER" => FinalResult::NoAnswer,
            "NO DIALTONE" | "NO DIAL TONE" => FinalResult::NoDialtone,
            "0" if numeric => FinalResult::Ok,
            "4" if numeric => FinalResult::Error,
            "3" if numeric => FinalResult::NoCarrier,
            "6" if numeric => FinalResult::NoDialtone,
            "7" if numeric => FinalResult::Busy,
            "8" if numeric => FinalResult::NoAnswer,
            _ => {
                let body = t.strip_prefix('+').unwrap_or(t);
                if let Some(rest) = strip_prefix(body, "CME ERROR:") {
                    FinalResult::Cme(CmeError::parse(rest))
                } else if let Some(rest) = strip_prefix(body, "CMS ERROR:") {
                    FinalResult::Cms(CmsError::parse(rest))
                } else if VENDOR_ERRORS.iter().any(|v| t.eq_ignore_ascii_case(v)) {
                    FinalResult::VendorError(t.to_owned())
                } else {
                    return None;
                }
            }
        };
        Some(r)
    }
}

/// A complete answer to one command: its information lines and the final result.
///
/// Echo and URCs are never included; a `+CMGR`/`+CMGL` header line is followed
/// in `lines` by its PDU line (TS 27.005 §3.4.3, §3.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Information text lines, in order, without line terminators.
    pub lines: Vec<String>,
    /// How the command ended.
    pub result: FinalResult,
}

impl Response {
    /// The lines starting with `prefix` (ASCII-case-insensitive), prefix stripped.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter_map(move |l| strip_prefix(l, prefix))
    }
}

/// One thing the digester recognised in the byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An unsolicited result code (TS 27.007 §3, TS 27.005 §3.4.1).
    Urc(Urc),
    /// The `> ` prompt of `AT+CMGS`/`AT+CMGW` (TS 27.005 §3.5.1): send the PDU now.
    Prompt,
    /// The in-flight command finished.
    Response(Response),
    /// A line that consisted only of unprintable bytes (NUL, 0xFF …) was dropped.
    Garbage {
        /// How many bytes were dropped.
        bytes: usize,
    },
    /// A line exceeded the maximum length and was discarded up to its line end.
    LineTooLong {
        /// How many bytes were discarded.
        discarded: usize,
    },
    /// A final result code or answer line arrived while no command was in flight
    /// (e.g. a late `OK` after [`FinalResult::Abandoned`]).
    Stray(String),
}
