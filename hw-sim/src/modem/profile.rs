//! Modem profiles: the identity strings and behavioural quirks of the modem models we simulate.
//!
//! A profile is data, not code: the engine reads these fields instead of branching on the model.
//! Identity strings follow the formats the vendors' AT manuals show (SIMCom "SIM800 Series AT
//! Command Manual" V1.09, Quectel "EC25&EC21 AT Commands Manual" V1.3, Huawei "HUAWEI Module AT
//! Command Interface Specification" / E3372 stick firmware 21.x in serial mode). Where a field is
//! a simulation choice rather than a documented fact, its doc comment says so.

use smsgw::at::Vendor;

/// Names accepted by `--profile` and [`Profile::by_name`].
pub const PROFILE_NAMES: &[&str] = &["sim800", "ec25", "e3372", "generic"];

/// The fixed description of one modem model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The name used on the command line (`sim800`, `ec25`, `e3372`, `generic`).
    pub name: &'static str,
    /// Vendor, for the verbose `+CMS`/`+CME ERROR` texts of `AT+CMEE=2` (smsgw's tables).
    pub vendor: Vendor,
    /// `AT+CGMI` answer (TS 27.007 §5.1).
    pub manufacturer: &'static str,
    /// `AT+CGMM` answer (TS 27.007 §5.2).
    pub model: &'static str,
    /// `AT+CGMR` answer (TS 27.007 §5.3).
    pub revision: &'static str,
    /// The lines `ATI` prints (V.250 §6.1.3); `{imei}` is replaced by the IMEI.
    pub ati: &'static [&'static str],
    /// Echo state after power-on (V.250 §6.2.4 default is 1).
    pub echo_default: bool,
    /// Accepted values of `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` (TS 27.005 §3.4.1), one list
    /// per parameter, as the modem's `AT+CNMI=?` answer shows them.
    pub cnmi_ranges: [&'static [u8]; 5],
    /// Preferred storages `AT+CPMS` accepts for `<mem1>` (read/list/delete, TS 27.005 §3.2.2).
    pub mem1: &'static [&'static str],
    /// Storages accepted for `<mem2>`/`<mem3>` (write/send, receive).
    pub mem23: &'static [&'static str],
    /// Where `AT+CNMI=...,2,...` stores SMS-STATUS-REPORTs (announced by `+CDSI`).
    pub sr_storage: &'static str,
    /// The command names that answer the SIM's ICCID (`+CCID`, `+QCCID`, `^ICCID`, `+ICCID`)
    /// and the prefix the answer line carries (empty: the bare number).
    pub iccid_commands: &'static [(&'static str, &'static str)],
    /// Whether `AT+CEREG` (LTE registration, TS 27.007 §10.1.22) exists.
    pub has_cereg: bool,
    /// Access technology reported by `AT+COPS?` (TS 27.007 §7.3: 0 GSM, 2 UTRAN, 7 E-UTRAN).
    pub act: u8,
    /// URCs printed after power-on or `AT+CFUN=1,1` (before the SIM is read).
    pub boot_urcs: &'static [&'static str],
    /// URCs printed when the SIM becomes ready (after start-up or PIN entry).
    pub sim_ready_urcs: &'static [&'static str],
    /// Huawei-style periodic noise (`^RSSI`, `^HCSQ`, `^MODE`), switched by `AT^CURC`.
    pub vendor_noise: bool,
    /// The notice sent when a storage is full (`{mem}` is its name), if the model sends one:
    /// Quectel's `+QIND: "smsfull",<mem>` (AT+QINDCFG "smsfull"), Huawei's `^SMMEMFULL:
    /// <mem>`. SIMCom reports it only through `+CIEV` after `AT+CMER`, which is off.
    pub storage_full_urc: Option<&'static str>,
    /// Huawei's `AT^PORTSEL` (which of the stick's ports gets URCs: 0 modem, 1 PCUI), which
    /// gammu sends to every Huawei and gives up on when it fails.
    pub portsel: bool,
    /// Whether `AT+CBC` (battery charge, TS 27.007 §8.4) answers: modules run from a battery
    /// or a supply they measure; USB sticks do not have it.
    pub has_cbc: bool,
    /// Whether `AT+CFUN=1,1` re-enumerates the USB device (the port vanishes and returns),
    /// as USB modules do; UART modules like the SIM800 keep the port.
    pub reset_reenumerates: bool,
    /// Whether `AT+CMGR` on an empty index is `+CMS ERROR: 321` (true) or a bare `OK` (SIMCom).
    pub cmgr_empty_is_error: bool,
    /// Capacity of the SM (SIM), ME (phone) and SR (status report) storages. A simulation
    /// choice; real capacities depend on the SIM card and firmware.
    pub capacity: [usize; 3],
}

impl Profile {
    /// The profile called `name` (case-insensitive), if there is one.
    pub fn by_name(name: &str) -> Option<Profile> {
        match name.to_ascii_lowercase().as_str() {
            "sim800" => Some(Profile::sim800()),
            "ec25" => Some(Profile::ec25()),
            "e3372" => Some(Profile::e3372()),
            "generic" => Some(Profile::generic()),
            _ => None,
        }
    }

    /// SIMCom SIM800: 2G UART module. Echo on by default, boot URCs `RDY`, `Call Ready`,
    /// `SMS Ready`; ICCID via `AT+CCID` as a bare line; no LTE registration; `AT+CMGR` on an
    /// empty index answers `OK`; status reports are stored in "SM" (the module has no "SR").
    pub fn sim800() -> Profile {
        Profile {
            name: "sim800",
            vendor: Vendor::Simcom,
            manufacturer: "SIMCOM_Ltd",
            model: "SIMCOM_SIM800L",
            revision: "Revision:1418B04SIM800L24",
            ati: &["SIM800 R14.18"],
            echo_default: true,
            cnmi_ranges: [&[0, 1, 2, 3], &[0, 1, 2, 3], &[0, 2], &[0, 1, 2], &[0, 1]],
            mem1: &["SM", "ME"],
            mem23: &["SM", "ME"],
            sr_storage: "SM",
            iccid_commands: &[("+CCID", "")],
            has_cereg: false,
            act: 0,
            boot_urcs: &["RDY", "+CFUN: 1"],
            sim_ready_urcs: &["+CPIN: READY", "Call Ready", "SMS Ready"],
            vendor_noise: false,
            storage_full_urc: None,
            portsel: false,
            has_cbc: true,
            reset_reenumerates: false,
            cmgr_empty_is_error: false,
            capacity: [30, 50, 0],
        }
    }

    /// Quectel EC25: LTE USB module. Echo on; boot URC `RDY`; `+QUSIM`/`+QIND: SMS DONE` when
    /// the SIM is ready; ICCID via `AT+QCCID`; has a separate "SR" storage; CEREG; a reset
    /// re-enumerates the USB ports.
    pub fn ec25() -> Profile {
        Profile {
            name: "ec25",
            vendor: Vendor::Quectel,
            manufacturer: "Quectel",
            model: "EC25",
            revision: "EC25EFAR06A06M4G",
            ati: &["Quectel", "EC25", "Revision: EC25EFAR06A06M4G"],
            echo_default: true,
            cnmi_ranges: [&[0, 1, 2], &[0, 1, 2, 3], &[0, 2], &[0, 1, 2], &[0, 1]],
            mem1: &["SM", "ME", "SR"],
            mem23: &["SM", "ME"],
            sr_storage: "SR",
            iccid_commands: &[("+QCCID", "+QCCID: "), ("+CCID", "+CCID: ")],
            has_cereg: true,
            act: 7,
            boot_urcs: &["RDY", "+CFUN: 1"],
            sim_ready_urcs: &[
                "+CPIN: READY",
                "+QUSIM: 1",
                "+QIND: SMS DONE",
                "+QIND: PB DONE",
            ],
            vendor_noise: false,
            storage_full_urc: Some("+QIND: \"smsfull\",\"{mem}\""),
            portsel: false,
            has_cbc: true,
            reset_reenumerates: true,
            cmgr_empty_is_error: true,
            capacity: [30, 255, 50],
        }
    }

    /// Huawei E3372 in serial ("stick") mode: vendor URC noise `^RSSI`/`^HCSQ`/`^MODE` while
    /// `AT^CURC=1` (the default); ICCID via `AT^ICCID?`. Simulated quirk reported for Huawei
    /// sticks: routed status reports (`<ds>`=1) are refused, so `AT+CNMI=2,1,0,1,0` fails with
    /// `+CMS ERROR: 303` while the fallback `AT+CNMI=2,1,0,2,0` works.
    pub fn e3372() -> Profile {
        Profile {
            name: "e3372",
            vendor: Vendor::Huawei,
            manufacturer: "huawei",
            model: "E3372",
            revision: "21.180.01.00.00",
            ati: &[
                "Manufacturer: huawei",
                "Model: E3372",
                "Revision: 21.180.01.00.00",
                "IMEI: {imei}",
                "+GCAP: +CGSM,+DS,+ES",
            ],
            echo_default: true,
            cnmi_ranges: [&[0, 1, 2], &[0, 1, 2, 3], &[0, 2], &[0, 2], &[0, 1]],
            mem1: &["SM", "ME", "SR"],
            mem23: &["SM", "ME"],
            sr_storage: "SR",
            iccid_commands: &[("^ICCID", "^ICCID: ")],
            has_cereg: true,
            act: 7,
            boot_urcs: &["^SYSSTART"],
            sim_ready_urcs: &["^SIMST: 1"],
            vendor_noise: true,
            storage_full_urc: Some("^SMMEMFULL: \"{mem}\""),
            portsel: true,
            has_cbc: false,
            reset_reenumerates: true,
            cmgr_empty_is_error: true,
            capacity: [20, 100, 20],
        }
    }

    /// A plain TS 27.005/27.007 modem with no vendor URCs and echo off at power-on (as if the
    /// user had stored `ATE0` with `AT&W`). A simulation choice for tests that want no quirks.
    pub fn generic() -> Profile {
        Profile {
            name: "generic",
            vendor: Vendor::Generic,
            manufacturer: "hw-sim",
            model: "Generic GSM modem",
            revision: "hw-sim 0.1",
            ati: &["hw-sim Generic GSM modem"],
            echo_default: false,
            cnmi_ranges: [&[0, 1, 2], &[0, 1, 2, 3], &[0, 2], &[0, 1, 2], &[0, 1]],
            mem1: &["SM", "ME", "SR"],
            mem23: &["SM", "ME"],
            sr_storage: "SR",
            iccid_commands: &[("+CCID", "+CCID: "), ("+ICCID", "+ICCID: ")],
            has_cereg: true,
            act: 7,
            boot_urcs: &[],
            sim_ready_urcs: &[],
            vendor_noise: false,
            storage_full_urc: None,
            portsel: false,
            has_cbc: false,
            reset_reenumerates: false,
            cmgr_empty_is_error: true,
            capacity: [30, 100, 30],
        }
    }

    /// The `AT+CNMI=?` answer built from [`Profile::cnmi_ranges`].
    pub fn cnmi_test(&self) -> String {
        let lists: Vec<String> = self
            .cnmi_ranges
            .iter()
            .map(|vals| {
                let items: Vec<String> = vals.iter().map(u8::to_string).collect();
                format!("({})", items.join(","))
            })
            .collect();
        format!("+CNMI: {}", lists.join(","))
    }

    /// Capacity of a storage by name; unknown names have none.
    pub fn capacity_of(&self, mem: &str) -> usize {
        match mem {
            "SM" => self.capacity[0],
            "ME" => self.capacity[1],
            "SR" => self.capacity[2],
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_should_resolve_to_its_profile() {
        for name in PROFILE_NAMES {
            let p = Profile::by_name(name).expect("listed profile");
            assert_eq!(p.name, *name);
        }
        assert!(Profile::by_name("nokia").is_none());
    }

    #[test]
    fn e3372_cnmi_test_should_not_offer_routed_status_reports() {
        assert_eq!(
            Profile::e3372().cnmi_test(),
            "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,2),(0,1)"
        );
    }
}
