//! Vendor quirks as data: one table keyed by manufacturer and model, so that the driver has
//! no scattered `if huawei` branches. An entry is chosen from the `AT+CGMI`/`AT+CGMM` answers,
//! or by name from the configuration (`quirks = "huawei"`).
//!
//! Sources: Huawei MU509/ME909 and E3372 AT command interface specifications (`^CURC`,
//! `^PORTSEL`), the SIMCom SIM800 and Quectel EC25 AT manuals (`+CNMI` support), Wavecom
//! firmware answering `AT+CPIN?` without `OK` (recorded in python-gsmmodem's profiles), and
//! the smstools3 and gammu issue trackers for ZTE URC floods and Huawei sticks rebooting into
//! mass-storage mode after `AT+CFUN=1,1`.

use crate::at::Vendor;

/// What differs between modem families.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirks {
    /// The table entry's name (`huawei`, `generic` …), shown in `GET /v1/modems`.
    pub name: &'static str,
    /// The vendor for error tables and command spellings.
    pub vendor: Vendor,
    /// Extra commands sent after the standard start-up, in order. Failures are logged, not
    /// fatal: a firmware without the command still works.
    pub init_commands: &'static [&'static str],
    /// `+CNMI` combinations to try, best first, when the configuration gives none
    /// (TS 27.005 §3.4.1: `<mode>,<mt>,<bm>,<ds>,<bfr>`). `mt=1` stores and announces
    /// (`+CMTI`), which survives our being down; `ds=2` stores status reports (`+CDSI`),
    /// `ds=1` routes them (`+CDS`).
    pub cnmi: &'static [[u8; 5]],
    /// `AT+CPIN?` may end without `OK`: an abandoned answer with a `+CPIN:` line counts.
    pub cpin_without_ok: bool,
    /// Whether `AT+CFUN=1,1` is safe in the recovery ladder.
    pub cfun_reset_safe: bool,
    /// URC prefixes that are noise at high rates; they are dropped without a log line.
    pub noisy_urcs: &'static [&'static str],
}

const STANDARD_CNMI: &[[u8; 5]] = &[
    [2, 1, 0, 2, 0],
    [2, 1, 0, 1, 0],
    [1, 1, 0, 2, 0],
    [1, 1, 0, 1, 0],
    [2, 1, 0, 0, 0],
    [1, 1, 0, 0, 0],
];

/// The table: (manufacturer substring, model substring or "" for any, quirks). First match
/// wins, so specific models come before their vendor's catch-all.
pub static TABLE: &[(&str, &str, Quirks)] = &[
    (
        "huawei",
        "",
        Quirks {
            name: "huawei",
            vendor: Vendor::Huawei,
            // ^CURC=0 stops the periodic ^RSSI/^BOOT/^DSFLOWRPT reports; ^PORTSEL=1 sends
            // the remaining URCs (+CMTI) to the PCUI port smsgw talks to.
            init_commands: &["AT^CURC=0", "AT^PORTSEL=1"],
            // E3372/E173 firmware accepts <mode>=2 but then holds indications: mode 1 first.
            cnmi: &[
                [1, 1, 0, 2, 0],
                [1, 1, 0, 1, 0],
                [2, 1, 0, 2, 0],
                [1, 1, 0, 0, 0],
            ],
            cpin_without_ok: false,
            cfun_reset_safe: false,
            noisy_urcs: &["^RSSI", "^BOOT", "^DSFLOWRPT", "^MODE", "^SRVST", "^HCSQ"],
        },
    ),
    (
        "zte",
        "",
        Quirks {
            name: "zte",
            vendor: Vendor::Generic,
            // ZTE sticks repeat +ZUSIMR/+ZDONR/+ZEND several times a second.
            init_commands: &[],
            cnmi: STANDARD_CNMI,
            cpin_without_ok: false,
            cfun_reset_safe: true,
            noisy_urcs: &["+ZUSIMR", "+ZDONR", "+ZEND", "+ZPASR", "+ZSTR"],
        },
    ),
    (
        "simcom",
        "",
        Quirks {
            name: "simcom",
            vendor: Vendor::Simcom,
            init_commands: &[],
            cnmi: STANDARD_CNMI,
            cpin_without_ok: false,
            cfun_reset_safe: true,
            noisy_urcs: &[],
        },
    ),
    (
        "quectel",
        "",
        Quirks {
            name: "quectel",
            vendor: Vendor::Quectel,
            init_commands: &[],
            cnmi: STANDARD_CNMI,
            cpin_without_ok: false,
            cfun_reset_safe: true,
            noisy_urcs: &[],
        },
    ),
    (
        "wavecom",
        "",
        Quirks {
            name: "wavecom",
            vendor: Vendor::Wavecom,
            init_commands: &[],
            cnmi: STANDARD_CNMI,
            cpin_without_ok: true,
            cfun_reset_safe: true,
            noisy_urcs: &[],
        },
    ),
    (
        "sierra",
        "",
        Quirks {
            name: "wavecom",
            vendor: Vendor::Wavecom,
            init_commands: &[],
            cnmi: STANDARD_CNMI,
            cpin_without_ok: true,
            cfun_reset_safe: true,
            noisy_urcs: &[],
        },
    ),
];

/// The entry for modems nobody listed.
pub static GENERIC: Quirks = Quirks {
    name: "generic",
    vendor: Vendor::Generic,
    init_commands: &[],
    cnmi: STANDARD_CNMI,
    // Unknown firmware: accept a +CPIN line without OK rather than fail start-up.
    cpin_without_ok: true,
    cfun_reset_safe: true,
    noisy_urcs: &[],
};

/// The entry for a manufacturer/model pair (case-insensitive substring match).
pub fn lookup(manufacturer: &str, model: &str) -> &'static Quirks {
    let man = manufacturer.to_ascii_lowercase();
    let model = model.to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(m, md, _)| man.contains(m) && (md.is_empty() || model.contains(md)))
        .map_or(&GENERIC, |(_, _, q)| q)
}

/// The entry named `name` in the configuration.
pub fn by_name(name: &str) -> Option<&'static Quirks> {
    if name == GENERIC.name {
        return Some(&GENERIC);
    }
    TABLE.iter().map(|(_, _, q)| q).find(|q| q.name == name)
}

impl Quirks {
    /// Whether a URC line is known noise for this family.
    pub fn is_noise(&self, line: &str) -> bool {
        self.noisy_urcs.iter().any(|p| line.starts_with(p))
    }
}

/// A vendor's "message storage full" notice, as the text shown on the modem's view; `None`
/// for any other URC. Modems do not send `+CMTI` for what no longer fits, so without these a
/// full SIM is silent:
/// - Huawei: `^SMMEMFULL: <mem_type>` (MU509/ME909 AT Command Interface Specification,
///   "^SMMEMFULL – Report Message Storage Media Being Full").
/// - Quectel: `+QIND: "smsfull",<mem>` (EC25/EG25 AT manual, enabled by
///   `AT+QINDCFG="smsfull",1`).
/// - SIMCom and other `+CIND` indicators: `+CIEV: "SMSFULL",1` (or `"MESSAGE FULL"`); a
///   value of 0 means there is room again and is not a notice.
pub fn storage_full_notice(u: &crate::at::Urc) -> Option<String> {
    use crate::at::Urc;
    use crate::at::urc::HuaweiUrc;
    match u {
        Urc::Huawei(HuaweiUrc::Other { tag, params }) if tag.eq_ignore_ascii_case("SMMEMFULL") => {
            Some(format!("^SMMEMFULL: {params}"))
        }
        Urc::QuectelIndication(p) => {
            let first = p.split(',').next().unwrap_or("").trim().trim_matches('"');
            first
                .eq_ignore_ascii_case("smsfull")
                .then(|| format!("+QIND: {}", p.trim()))
        }
        Urc::Other(line) => {
            let rest = line.trim().strip_prefix("+CIEV:")?;
            let mut f = rest.split(',');
            let name = f.next()?.trim().trim_matches('"').to_ascii_uppercase();
            let value = f.next().map(str::trim);
            let full_name = name == "SMSFULL" || name == "MESSAGE FULL" || name == "SMSFULLMEM";
            (full_name && value != Some("0")).then(|| line.trim().to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_storage_full_notices_should_be_recognised_and_others_not() {
        use crate::at::Urc;
        use crate::at::urc::HuaweiUrc;
        let huawei = Urc::Huawei(HuaweiUrc::Other {
            tag: "SMMEMFULL".into(),
            params: "\"SM\"".into(),
        });
        assert_eq!(
            storage_full_notice(&huawei).as_deref(),
            Some("^SMMEMFULL: \"SM\"")
        );
        let quectel = Urc::QuectelIndication(" \"smsfull\",\"SM\"".into());
        assert!(storage_full_notice(&quectel).is_some());
        let done = Urc::QuectelIndication(" \"SMS DONE\"".into());
        assert_eq!(storage_full_notice(&done), None);
        let simcom = Urc::Other("+CIEV: \"SMSFULL\",1".into());
        assert!(storage_full_notice(&simcom).is_some());
        let room = Urc::Other("+CIEV: \"SMSFULL\",0".into());
        assert_eq!(storage_full_notice(&room), None);
        assert_eq!(storage_full_notice(&Urc::Other("+CIEV: 2,3".into())), None);
    }

    #[test]
    fn manufacturer_answers_should_pick_their_family() {
        assert_eq!(lookup("huawei", "E3372").name, "huawei");
        assert_eq!(lookup("SIMCOM_Ltd", "SIMCOM_SIM800L").name, "simcom");
        assert_eq!(
            lookup(" WAVECOM MODEM", "MULTIBAND  900E  1800").name,
            "wavecom"
        );
        assert_eq!(lookup("Acme", "X").name, "generic");
        assert!(!lookup("huawei", "E173").cfun_reset_safe);
    }

    #[test]
    fn every_configurable_name_should_exist_in_the_table() {
        for n in crate::config::QUIRK_NAMES {
            assert!(by_name(n).is_some(), "{n}");
        }
    }
}
