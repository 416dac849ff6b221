//! `+CMS ERROR: <err>` codes (TS 27.005 §3.2.5) with names and a retry class.
//!
//! Ranges: 0–127 are TS 24.011 §8.2.5.4 RP-causes, 128–255 are TS 23.040
//! §9.2.3.22 TP-Failure-Causes, 300–340 and 500 are TS 27.005's own ME/TA
//! errors, 512 and above are manufacturer specific (see [`super::vendor_errors`]).
//!
//! Classification reasoning, briefly:
//! * subscriber/number problems (1, 21, 28, 30, 195, 196), invalid message
//!   content (95–99, 128–176, 198, 199, 304) and duplicates (197) are
//!   `Permanent` — the same PDU will fail again;
//! * network congestion and outages (27, 38, 41, 42, 47, 192, 194, 332) and full
//!   storage (22, 208, 211, 322) are `Temporary`;
//! * SIM problems (310–318), ME failure (300), no SC subscription (193), no SMSC
//!   address (330) and no network service (331) are `ModemFatal` — every
//!   message on this modem would fail the same way;
//! * generic "unspecified" causes (111, 127, 255, 302, 500) are `Ambiguous`.

use super::error::{ErrorClass, Vendor};
use super::vendor_errors;

use ErrorClass::{Ambiguous as A, ModemFatal as F, Permanent as P, Temporary as T};

/// Standard `+CMS ERROR` table, sorted by code: (code, name, class).
pub(crate) static CMS_TABLE: &[(u16, &str, ErrorClass)] = &[
    (1, "Unassigned (unallocated) number", P),
    (8, "Operator determined barring", P),
    (10, "Call barred", P),
    (17, "Network failure", T),
    (21, "Short message transfer rejected", P),
    (22, "Memory capacity exceeded", T),
    (27, "Destination out of service", T),
    (28, "Unidentified subscriber", P),
    (29, "Facility rejected", P),
    (30, "Unknown subscriber", P),
    (38, "Network out of order", T),
    (41, "Temporary failure", T),
    (42, "Congestion", T),
    (47, "Resources unavailable, unspecified", T),
    (50, "Requested facility not subscribed", P),
    (69, "Requested facility not implemented", P),
    (81, "Invalid short message transfer reference value", A),
    (95, "Invalid message, unspecified", P),
    (96, "Invalid mandatory information", P),
    (97, "Message type non-existent or not implemented", P),
    (
        98,
        "Message not compatible with short message protocol state",
        A,
    ),
    (99, "Information element non-existent or not implemented", P),
    (111, "Protocol error, unspecified", A),
    (127, "Interworking, unspecified", A),
    (128, "Telematic interworking not supported", P),
    (129, "Short message Type 0 not supported", P),
    (130, "Cannot replace short message", P),
    (143, "Unspecified TP-PID error", P),
    (144, "Data coding scheme (alphabet) not supported", P),
    (145, "Message class not supported", P),
    (159, "Unspecified TP-DCS error", P),
    (160, "Command cannot be actioned", P),
    (161, "Command unsupported", P),
    (175, "Unspecified TP-Command error", P),
    (176, "TPDU not supported", P),
    (192, "SC busy", T),
    (193, "No SC subscription", F),
    (194, "SC system failure", T),
    (195, "Invalid SME address", P),
    (196, "Destination SME barred", P),
    (197, "SM Rejected-Duplicate SM", P),
    (198, "TP-VPF not supported", P),
    (199, "TP-VP not supported", P),
    (208, "(U)SIM SMS storage full", T),
    (209, "No SMS storage capability in (U)SIM", F),
    (210, "Error in MS", T),
    (211, "Memory Capacity Exceeded", T),
    (212, "(U)SIM Application Toolkit Busy", T),
    (213, "(U)SIM data download error", T),
    (255, "Unspecified error cause", A),
    (300, "ME failure", F),
    (301, "SMS service of ME reserved", T),
    (302, "operation not allowed", A),
    (303, "operation not supported", P),
    (304, "invalid PDU mode parameter", P),
    (305, "invalid text mode parameter", P),
    (310, "(U)SIM not inserted", F),
    (311, "(U)SIM PIN required", F),
    (312, "PH-(U)SIM PIN required", F),
    (313, "(U)SIM failure", F),
    (314, "(U)SIM busy", T),
    (315, "(U)SIM wrong", F),
    (316, "(U)SIM PUK required", F),
    (317, "(U)SIM PIN2 required", F),
    (318, "(U)SIM PUK2 required", F),
    (320, "memory failure", F),
    (321, "invalid memory index", P),
    (322, "memory full", T),
    (330, "SMSC address unknown", F),
    (331, "no network service", F),
    (332, "network timeout", T),
    (340, "no +CNMA acknowledgement expected", A),
    (500, "unknown error", A),
];

/// A `+CMS ERROR` as reported by the modem: a number, a verbose text, or both.
///
/// TS 27.005 §3.2.5; the verbose form appears when `AT+CMEE=2` is active.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CmsError {
    /// The numeric code, if given or recovered from the verbose text.
    pub code: Option<u16>,
    /// The verbose text, if the modem sent one.
    pub text: Option<String>,
}

impl CmsError {
    /// Build from a numeric code.
    pub fn from_code(code: u16) -> Self {
        CmsError {
            code: Some(code),
            text: None,
        }
    }

    /// Parse the part after `+CMS ERROR:` — a number or a verbose text.
    ///
    /// Verbose texts are mapped back to their standard code when they match a
    /// table entry (ignoring case and the `(U)` prefix).
    pub fn parse(field: &str) -> Self {
        let field = field.trim();
        if let Ok(code) = field.parse::<u16>() {
            return CmsError::from_code(code);
        }
        let code = lookup_text(CMS_TABLE, field);
        CmsError {
            code,
            text: Some(field.to_owned()),
        }
    }

    /// The name of the code, standard table first, then the vendor's table.
    pub fn name(&self, vendor: Vendor) -> Option<&'static str> {
        let code = self.code?;
        find(CMS_TABLE, code)
            .or_else(|| find(vendor_errors::cms_table(vendor), code))
            .map(|(n, _)| n)
    }

    /// How to react to this error; unknown codes are [`ErrorClass::Ambiguous`].
    pub fn class(&self, vendor: Vendor) -> ErrorClass {
        match self.code {
            Some(code) => find(CMS_TABLE, code)
                .or_else(|| find(vendor_errors::cms_table(vendor), code))
                .map_or(ErrorClass::Ambiguous, |(_, c)| c),
            None => ErrorClass::Ambiguous,
        }
    }
}

/// Binary-search a sorted (code, name, class) table.
pub(crate) fn find(
    table: &'static [(u16, &'static str, ErrorClass)],
    code: u16,
) -> Option<(&'static str, ErrorClass)> {
    table
        .binary_search_by_key(&code, |e| e.0)
        .ok()
        .and_then(|i| table.get(i))
        .map(|e| (e.1, e.2))
}

/// Normalise a verbose error text for comparison: lower case, no `(U)`, single spaces.
pub(crate) fn normalise(text: &str) -> String {
    text.to_ascii_lowercase()
        .replace("(u)", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Find the code whose name matches `text` (see [`normalise`]).
pub(crate) fn lookup_text(table: &[(u16, &str, ErrorClass)], text: &str) -> Option<u16> {
    let wanted = normalise(text);
    table
        .iter()
        .find(|(_, name, _)| normalise(name) == wanted)
        .map(|e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_should_be_sorted_for_binary_search() {
        assert!(CMS_TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn unknown_error_500_should_be_ambiguous() {
        assert_eq!(
            CmsError::from_code(500).class(Vendor::Generic),
            ErrorClass::Ambiguous
        );
    }

    #[test]
    fn verbose_text_should_map_back_to_code() {
        let e = CmsError::parse("SIM not inserted");
        assert_eq!(e.code, Some(310));
        assert_eq!(e.class(Vendor::Generic), ErrorClass::ModemFatal);
        assert_eq!(CmsError::parse("unknown error").code, Some(500));
    }

    #[test]
    fn rp_causes_should_be_classified() {
        assert_eq!(
            CmsError::from_code(1).class(Vendor::Generic),
            ErrorClass::Permanent
        );
        assert_eq!(
            CmsError::from_code(42).class(Vendor::Generic),
            ErrorClass::Temporary
        );
        assert_eq!(
            CmsError::from_code(331).class(Vendor::Generic),
            ErrorClass::ModemFatal
        );
        assert_eq!(
            CmsError::from_code(9999).class(Vendor::Generic),
            ErrorClass::Ambiguous
        );
    }
}
