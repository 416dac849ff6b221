//! `+CME ERROR: <err>` codes (TS 27.007 §9.2) with names and a retry class.
//!
//! Classification reasoning, briefly:
//! * anything about the SIM being absent, locked or broken (5–7, 10–13, 15–18,
//!   40–48), phone failure (0), and no/limited network service (30, 32, GPRS
//!   103/106/107/111) is `ModemFatal`: no command on this modem will succeed
//!   until the condition is fixed;
//! * busy or timing conditions (14 SIM busy, 31 network timeout, 20 memory
//!   full, 134 temporarily out of order) are `Temporary`;
//! * "this request is wrong" (4, 21–27, 50, 58, 59) is `Permanent`;
//! * 3 "operation not allowed" and 100 "unknown" say nothing about the cause
//!   and are `Ambiguous`.

use super::cms_error::{find, lookup_text};
use super::error::{ErrorClass, Vendor};
use super::vendor_errors;

use ErrorClass::{Ambiguous as A, ModemFatal as F, Permanent as P, Temporary as T};

/// Standard `+CME ERROR` table (TS 27.007 §9.2.1 general, §9.2.2 GPRS), sorted by code.
pub(crate) static CME_TABLE: &[(u16, &str, ErrorClass)] = &[
    (0, "phone failure", F),
    (1, "no connection to phone", F),
    (2, "phone-adaptor link reserved", T),
    (3, "operation not allowed", A),
    (4, "operation not supported", P),
    (5, "PH-SIM PIN required", F),
    (6, "PH-FSIM PIN required", F),
    (7, "PH-FSIM PUK required", F),
    (10, "SIM not inserted", F),
    (11, "SIM PIN required", F),
    (12, "SIM PUK required", F),
    (13, "SIM failure", F),
    (14, "SIM busy", T),
    (15, "SIM wrong", F),
    (16, "incorrect password", F),
    (17, "SIM PIN2 required", F),
    (18, "SIM PUK2 required", F),
    (20, "memory full", T),
    (21, "invalid index", P),
    (22, "not found", P),
    (23, "memory failure", F),
    (24, "text string too long", P),
    (25, "invalid characters in text string", P),
    (26, "dial string too long", P),
    (27, "invalid characters in dial string", P),
    (30, "no network service", F),
    (31, "network timeout", T),
    (32, "network not allowed - emergency calls only", F),
    (40, "network personalization PIN required", F),
    (41, "network personalization PUK required", F),
    (42, "network subset personalization PIN required", F),
    (43, "network subset personalization PUK required", F),
    (44, "service provider personalization PIN required", F),
    (45, "service provider personalization PUK required", F),
    (46, "corporate personalization PIN required", F),
    (47, "corporate personalization PUK required", F),
    (48, "hidden key required", F),
    (49, "EAP method not supported", P),
    (50, "Incorrect parameters", P),
    (51, "command implemented but currently disabled", F),
    (52, "command aborted by user", A),
    (
        53,
        "not attached to network due to MT functionality restrictions",
        F,
    ),
    (
        54,
        "modem not allowed - MT restricted to emergency calls only",
        F,
    ),
    (
        55,
        "operation not allowed because of MT functionality restrictions",
        F,
    ),
    (
        56,
        "fixed dial number only allowed - called number is not a fixed dial number",
        P,
    ),
    (57, "temporarily out of service due to other MT usage", T),
    (58, "language/alphabet not supported", P),
    (59, "unexpected data value", P),
    (60, "system failure", A),
    (61, "data missing", P),
    (62, "call barred", P),
    (63, "message waiting indication subscription failure", A),
    (100, "unknown", A),
    (103, "Illegal MS", F),
    (106, "Illegal ME", F),
    (107, "GPRS services not allowed", F),
    (111, "PLMN not allowed", F),
    (112, "Location area not allowed", F),
    (113, "Roaming not allowed in this location area", F),
    (132, "service option not supported", P),
    (133, "requested service option not subscribed", P),
    (134, "service option temporarily out of order", T),
    (148, "unspecified GPRS error", A),
    (149, "PDP authentication failure", F),
    (150, "invalid mobile class", F),
];

/// A `+CME ERROR` as reported by the modem: a number, a verbose text, or both.
///
/// TS 27.007 §9.2; the verbose form (`+CME ERROR: SIM busy`) appears with `AT+CMEE=2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CmeError {
    /// The numeric code, if given or recovered from the verbose text.
    pub code: Option<u16>,
    /// The verbose text, if the modem sent one.
    pub text: Option<String>,
}

impl CmeError {
    /// Build from a numeric code.
    pub fn from_code(code: u16) -> Self {
        CmeError {
            code: Some(code),
            text: None,
        }
    }

    /// Parse the part after `+CME ERROR:` — a number or a verbose text
    /// (mapped back to the standard code when it matches the table).
    pub fn parse(field: &str) -> Self {
        let field = field.trim();
        if let Ok(code) = field.parse::<u16>() {
            return CmeError::from_code(code);
        }
        let code = lookup_text(CME_TABLE, field)
            .or_else(|| lookup_text(&[(100, "unknown error", A)], field));
        CmeError {
            code,
            text: Some(field.to_owned()),
        }
    }

    /// The name of the code, standard table first, then the vendor's table.
    pub fn name(&self, vendor: Vendor) -> Option<&'static str> {
        let code = self.code?;
        find(CME_TABLE, code)
            .or_else(|| find(vendor_errors::cme_table(vendor), code))
            .map(|(n, _)| n)
    }

    /// How to react to this error; unknown codes are [`ErrorClass::Ambiguous`].
    pub fn class(&self, vendor: Vendor) -> ErrorClass {
        match self.code {
            Some(code) => find(CME_TABLE, code)
                .or_else(|| find(vendor_errors::cme_table(vendor), code))
                .map_or(ErrorClass::Ambiguous, |(_, c)| c),
            None => ErrorClass::Ambiguous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cme_table_should_be_sorted_for_binary_search() {
        assert!(CME_TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn verbose_sim_busy_should_map_to_14_temporary() {
        let e = CmeError::parse("SIM busy");
        assert_eq!(e.code, Some(14));
        assert_eq!(e.class(Vendor::Generic), ErrorClass::Temporary);
    }

    #[test]
    fn sim_pin_required_should_be_modem_fatal() {
        assert_eq!(
            CmeError::parse("11").class(Vendor::Generic),
            ErrorClass::ModemFatal
        );
        assert_eq!(CmeError::parse("unknown").code, Some(100));
    }
}
