//! Configuration of one simulated modem: profile, identity, SIM, network timing.

use std::path::PathBuf;
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
    /// `AT+CGSN` (TS 27.007 §5.4).
    pub imei: String,
    /// `AT+CIMI` (TS 27.007 §5.6).
    pub imsi: String,
    /// The SIM's ICCID (ITU-T E.118), answered by the profile's ICCID command.
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
    pub fn new(profile: Profile) -> ModemConfig {
        ModemConfig {
            link: None,
            profile,
            imei: "356938035643809".into(),
            imsi: "001010123456789".into(),
            iccid: "89001012012345678901".into(),
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
