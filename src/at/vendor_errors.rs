//! Manufacturer-specific `+CMS ERROR` / `+CME ERROR` codes (≥ 512) as data.
//!
//! TS 27.005 §3.2.5 and TS 27.007 §9.2 reserve 512 and above for
//! manufacturers. Each table is sorted by code and keyed by [`Vendor`];
//! codes not listed fall back to [`ErrorClass::Ambiguous`].
//!
//! Sources (facts only): SIMCom "SIM800 Series AT Command Manual" V1.09,
//! summary of CMS ERROR codes; Quectel "M95 AT Commands Manual" V3.1 summary
//! of CMS ERROR codes (reused for EC25, whose manual we could not re-check —
//! treat as best effort); Wavecom/Sierra codes from the Wavecom AT command
//! interface guide as echoed by the Multi-Tech reference guide (513 "Lower
//! layer failure (for SMS)") and the Sierra forum thread "CMS ERROR 512"
//! (https://forum.sierrawireless.com/t/cms-error-512/1173); CME 515 as
//! produced by python-gsmmodem's fake Wavecom modem. No Huawei codes ≥ 512
//! are listed because the public Huawei specifications we checked define none
//! for SMS; Huawei therefore uses only the standard tables.

use super::error::{ErrorClass, Vendor};

use ErrorClass::{Ambiguous as A, ModemFatal as F, Permanent as P, Temporary as T};

/// SIMCom SIM800/SIM7600 `+CMS ERROR` codes.
static SIMCOM_CMS: &[(u16, &str, ErrorClass)] = &[
    (512, "SIM not ready", F),
    (513, "unread records on SIM", A),
    (514, "CB error unknown", A),
    (515, "PS busy", T),
    (517, "SM BL not ready", T),
    (528, "Invalid (non-hex) chars in PDU", P),
    (529, "Incorrect PDU length", P),
    (530, "Invalid MTI", P),
    (531, "Invalid (non-hex) chars in address", P),
    (532, "Invalid address (no digits read)", P),
    (533, "Incorrect PDU length (UDL)", P),
    (534, "Incorrect SCA length", P),
    (536, "Invalid First Octet (should be 2 or 34)", P),
    (537, "Invalid Command Type", P),
    (538, "SRR bit not set", P),
    (539, "SRR bit set", P),
    (540, "Invalid User Data Header IE", P),
];

/// Quectel `+CMS ERROR` codes.
static QUECTEL_CMS: &[(u16, &str, ErrorClass)] = &[
    (512, "User abort", A),
    (513, "Unable to store", T),
    (514, "Invalid status", P),
    (515, "Device busy or invalid character in string", T),
    (516, "Invalid length", P),
    (517, "Invalid character in PDU", P),
    (518, "Invalid parameter", P),
    (519, "Invalid length or character", P),
    (520, "Invalid character in text", P),
    (521, "Timer expired", T),
    (522, "Operation temporary not allowed", T),
    (532, "SIM not ready", F),
    (534, "Cell broadcast error unknown", A),
    (535, "Protocol stack busy", T),
    (538, "Invalid parameter", P),
];

/// Wavecom/Sierra `+CMS ERROR` codes: radio/link failures while sending are worth a retry.
static WAVECOM_CMS: &[(u16, &str, ErrorClass)] = &[
    (512, "MM establishment failure (for SMS)", T),
    (513, "Lower layer failure (for SMS)", T),
    (514, "CP error (for SMS)", T),
    (
        515,
        "Please wait, init or command processing in progress",
        T,
    ),
];

/// Wavecom/Sierra `+CME ERROR` codes.
static WAVECOM_CME: &[(u16, &str, ErrorClass)] = &[(
    515,
    "Please wait, init or command processing in progress",
    T,
)];

static EMPTY: &[(u16, &str, ErrorClass)] = &[];

/// The vendor's `+CMS ERROR` table (sorted by code).
pub(crate) fn cms_table(vendor: Vendor) -> &'static [(u16, &'static str, ErrorClass)] {
    match vendor {
        Vendor::Simcom => SIMCOM_CMS,
        Vendor::Quectel => QUECTEL_CMS,
        Vendor::Wavecom => WAVECOM_CMS,
        _ => EMPTY,
    }
}

/// The vendor's `+CME ERROR` table (sorted by code).
pub(crate) fn cme_table(vendor: Vendor) -> &'static [(u16, &'static str, ErrorClass)] {
    match vendor {
        Vendor::Wavecom => WAVECOM_CME,
        _ => EMPTY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::cms_error::CmsError;

    #[test]
    fn vendor_tables_should_be_sorted() {
        for t in [SIMCOM_CMS, QUECTEL_CMS, WAVECOM_CMS, WAVECOM_CME] {
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn simcom_528_should_be_permanent_only_for_simcom() {
        let e = CmsError::from_code(528);
        assert_eq!(e.class(Vendor::Simcom), ErrorClass::Permanent);
        assert_eq!(e.class(Vendor::Huawei), ErrorClass::Ambiguous);
        assert_eq!(
            e.name(Vendor::Simcom),
            Some("Invalid (non-hex) chars in PDU")
        );
    }

    #[test]
    fn wavecom_515_should_be_temporary_for_wavecom() {
        use crate::at::cme_error::CmeError;
        use crate::at::event::FinalResult;
        let r = FinalResult::Cme(CmeError::from_code(515));
        assert_eq!(r.class(Vendor::Wavecom), Some(ErrorClass::Temporary));
        assert_eq!(r.class(Vendor::Generic), Some(ErrorClass::Ambiguous));
        assert_eq!(FinalResult::Ok.class(Vendor::Generic), None);
    }
}
