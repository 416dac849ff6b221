//! Configuration of one simulated modem: profile, identity, SIM, network timing.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::profile::Profile;

/// Everything a simulated modem needs to start. Build with [`ModemConfig::new`] (realistic
/// timing for people and third-party software) or [`ModemConfig::fast`] (millisecond timing for
/// tests), then change fields.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    /// Where the PTY's slave side is symlinked. `None`: a fresh temporary directory is created
    /// and removed when the [`crate::SimModem`] is dropped.
    pub link: Option<PathBuf>,
    /// The modem model.
    pub profile: Profile,
    /// `AT+CGSN` (TS 27.007 §5.4). Distinct per modem by default (see [`Identity`]).
    pub imei: String,
    /// `AT+CIMI` (TS 27.007 §5.6). Distinct per modem by default.
    pub imsi: String,
    /// The SIM's ICCID (ITU-T E.118), answered by the profile's ICCID command. Distinct per
    /// modem by default.
    pub iccid: String,
    /// `AT+CNUM` (TS 27.007 §7.1); `None` when the SIM does not store it (common).
    pub own_number: Option<String>,
    /// Operator name for `AT+COPS?` (TS 27.007 §7.3).
    pub operator: String,
    /// The service centre address, `AT+CSCA?` (TS 27.005 §3.3.1).
    pub smsc: String,
    /// SIM PIN; `Some` locks the SIM at power-on until `AT+CPIN="<pin>"` (TS 27.007 §8.3).
    pub pin: Option<String>,
    /// SIM PUK, asked after three wrong PINs.
    pub puk: String,
    /// Time from `Ctrl-Z` to `+CMGS:` (the network round trip; real modems take 1–5 s).
    pub send_delay: Duration,
    /// Time from SIM ready (or `AT+CFUN=1`) to registration on the home network.
    pub registration_delay: Duration,
    /// Time from the SIM unlocking until it answers SMS commands (`+CME ERROR: 14` SIM busy
    /// before that).
    pub sim_busy: Duration,
    /// Time from `+CMGS:` to the SMS-STATUS-REPORT when TP-SRR was set.
    pub status_report_delay: Duration,
    /// TP-ST of generated status reports (TS 23.040 §9.2.3.15; 0 = delivered).
    pub report_status: u8,
    /// `<rssi>` of `AT+CSQ` (TS 27.007 §8.5; 0..31, 99 unknown).
    pub rssi: u8,
    /// Storage indexes start here (1 on most modems; 0 on some).
    pub first_index: u32,
    /// How long a routed `+CMT` waits for `AT+CNMA` (when `AT+CSMS=1`) before the network
    /// gives up routing and the message is stored and announced with `+CMTI` instead.
    pub cnma_timeout: Duration,
    /// Interval of the vendor noise URCs (`^RSSI`, `^HCSQ`, `^MODE`) of profiles that have them.
    pub noise_interval: Duration,
    /// How long the port is gone after `AT+CFUN=1,1` on profiles that re-enumerate.
    pub reset_gone: Duration,
    /// The text the network answers to `AT+CUSD=1,...` (balance enquiry, TS 27.007 §7.15).
    pub ussd_reply: String,
    /// Seed of the fault dice (`CmsError` probabilities, garbage bytes), for repeatable runs.
    pub seed: u64,
}

impl ModemConfig {
    /// A modem with realistic timing: 2 s per send, 3 s registration, 5 s status reports.
    /// Its IMEI, IMSI and ICCID are [`Identity::next`]: no two modems of a process share
    /// them, as no two real sticks and SIMs do.
    pub fn new(profile: Profile) -> ModemConfig {
        let id = Identity::next();
        ModemConfig {
            link: None,
            profile,
            imei: id.imei,
            imsi: id.imsi,
            iccid: id.iccid,
            own_number: None,
            operator: "hw-sim net".into(),
            smsc: "+19995550100".into(),
            pin: None,
            puk: "12345678".into(),
            send_delay: Duration::from_secs(2),
            registration_delay: Duration::from_secs(3),
            sim_busy: Duration::from_millis(500),
            status_report_delay: Duration::from_secs(5),
            report_status: 0,
            rssi: 21,
            first_index: 1,
            cnma_timeout: Duration::from_secs(15),
            noise_interval: Duration::from_secs(10),
            reset_gone: Duration::from_secs(3),
            ussd_reply: "Your balance is 12.34 EUR".into(),
            seed: 0x5eed,
        }
    }

    /// A modem with millisecond timing for tests (sends take 20 ms, registration 10 ms).
    pub fn fast(profile: Profile) -> ModemConfig {
        ModemConfig {
            send_delay: Duration::from_millis(20),
            registration_delay: Duration::from_millis(10),
            sim_busy: Duration::from_millis(10),
            status_report_delay: Duration::from_millis(30),
            cnma_timeout: Duration::from_millis(300),
            noise_interval: Duration::from_millis(200),
            reset_gone: Duration::from_millis(100),
            ..ModemConfig::new(profile)
        }
    }
}

/// The identity of one simulated modem and its SIM: IMEI (TAC 35693803, a serial, the Luhn
/// check digit of 3GPP TS 23.003 §6.2.1), IMSI (test network MCC 001, MNC 01, TS 23.003 §2.2)
/// and ICCID (ITU-T E.118: `89`, country 001, issuer 01, a serial, Luhn check digit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// 15 digits, the last a Luhn check digit.
    pub imei: String,
    /// 15 digits.
    pub imsi: String,
    /// 20 digits, the last a Luhn check digit.
    pub iccid: String,
}

/// Serial numbers already handed out by [`Identity::next`] in this process.
static NEXT_SERIAL: AtomicU32 = AtomicU32::new(0);

impl Identity {
    /// The identity with serial number `n` (0..1,000,000 are distinct): the same `n` always
    /// gives the same identity, different ones different identities.
    pub fn numbered(n: u32) -> Identity {
        let n = n % 1_000_000;
        Identity {
            imei: with_luhn(&format!("35693803{n:06}")),
            imsi: format!("0010101{n:08}"),
            iccid: with_luhn(&format!("890010100000{n:07}")),
        }
    }

    /// A fresh identity: distinct from every other one this process made, and, by mixing in
    /// the process id, from those of other `hw-sim` processes started at the same time.
    pub fn next() -> Identity {
        let k = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        // 1000 modems per process before a serial could repeat another process's.
        let base = (std::process::id() % 1000) * 1000;
        Identity::numbered(base + k % 1000)
    }
}

/// `digits` followed by their Luhn check digit (ISO/IEC 7812-1 Annex B).
fn with_luhn(digits: &str) -> String {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_should_match_a_known_imei() {
        // TS 23.003 Annex B example IMEI 49015420323751, check digit 8.
        assert_eq!(with_luhn("49015420323751"), "490154203237518");
    }

    #[test]
    fn every_new_config_should_have_its_own_identity() {
        let a = ModemConfig::new(Profile::sim800());
        let b = ModemConfig::fast(Profile::sim800());
        assert_ne!(a.imei, b.imei);
        assert_ne!(a.imsi, b.imsi);
        assert_ne!(a.iccid, b.iccid);
        for c in [&a, &b] {
            assert_eq!(c.imei.len(), 15);
            assert_eq!(c.imsi.len(), 15);
            assert_eq!(c.iccid.len(), 20);
            assert_eq!(with_luhn(&c.imei[..14]), c.imei);
            assert_eq!(with_luhn(&c.iccid[..19]), c.iccid);
        }
        assert_eq!(Identity::numbered(7), Identity::numbered(7));
        assert_ne!(Identity::numbered(7).imei, Identity::numbered(8).imei);
    }
}
