//! `[[modems]]`: the GSM modems that serve `modem_pool` routes, one table per SIM.
//!
//! Shaping is per SIM (`rate`, `daily_limit`) because operators block SIMs, not pools. Every
//! timeout has a default chosen from how real networks behave; each is documented at its
//! default function.

use std::path::PathBuf;

use serde::Deserialize;

use super::units::defaults::{d1h, d3d, d5m, d5s, d10s, d30s, d60s, d90s};

use super::{HumanDuration, Rate};

/// One modem (one serial port, one SIM).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemConfig {
    /// Unique name, shown in `GET /v1/modems`, logs and metrics.
    pub name: String,
    /// The serial device. Prefer a stable `/dev/serial/by-id/...` path (or a udev symlink):
    /// `/dev/ttyUSBn` numbers change when a stick re-enumerates.
    pub device: PathBuf,
    /// The `modem_pool` route this modem serves.
    pub route: String,
    /// Line speed. USB modems ignore it; real UARTs need it right.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// SIM PIN, entered only when the SIM asks for it (`+CPIN: SIM PIN`). Never a PUK: a
    /// SIM that wants its PUK is reported and left alone.
    #[serde(default)]
    pub pin: Option<String>,
    /// Steady sending rate of this SIM (`"2/min"`); unlimited when absent.
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Messages allowed at once above the rate after a quiet spell.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// At most this many SMS per UTC day from this SIM (kept across restarts).
    #[serde(default)]
    pub daily_limit: Option<u32>,
    /// Message storage for reading and receiving (`"MT"`, `"SM"`, `"ME"`); the first one the
    /// modem accepts of `MT`, `SM` when absent.
    #[serde(default)]
    pub storage: Option<String>,
    /// `+CNMI` values to use instead of probing (`[2, 1, 0, 2, 0]`), for firmware that accepts
    /// a combination it then does not honour.
    #[serde(default)]
    pub cnmi: Option<[u8; 5]>,
    /// Acknowledge routed `+CMT`/`+CDS` with `AT+CNMA` (needed when `+CSMS=1` is active).
    #[serde(default)]
    pub cnma: bool,
    /// Use `AT+CMMS=1` to keep the radio link open between the parts of a long message.
    #[serde(default)]
    pub cmms: bool,
    /// Allow `AT+CFUN=1,1` in the recovery ladder. Absent: the vendor quirk table decides (some
    /// Huawei sticks reboot into mass-storage mode).
    #[serde(default)]
    pub cfun_reset: Option<bool>,
    /// Use this quirk table entry (`"huawei"`, `"simcom"`, `"quectel"`, `"wavecom"`, `"zte"`,
    /// `"generic"`) instead of the one matched by manufacturer/model.
    #[serde(default)]
    pub quirks: Option<String>,
    /// What to do with a part whose PDU was written but never answered (`+CMGS:` timed out
    /// or the port died): see [`UnknownOutcome`].
    #[serde(default)]
    pub unknown_outcome: UnknownOutcome,
    /// Timeouts and intervals.
    #[serde(default)]
    pub timeouts: ModemTimeouts,
}

/// The "outcome unknown" policy: the modem took the PDU (TS 27.005 §3.5.1, after the `> `
/// prompt) but no `+CMGS:` or error came, so the SMS may or may not have left. Neither
/// choice is free: one risks a duplicate, the other a delay or a loss.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOutcome {
    /// Send the part again at once through another modem of the pool (or later, if none is
    /// free); the part is marked `possible_duplicate` and the message history says why.
    #[default]
    Resend,
    /// Do not send it again: the part stays `unknown` until a status report for it arrives
    /// (TP-SRR is always set), or, if none comes before the message's validity ends, it is
    /// resolved as `undelivered` (the SC would have reported on a message it had).
    WaitForReport,
}

fn default_baud() -> u32 {
    115_200
}

fn default_burst() -> u32 {
    1
}

/// `[modems.timeouts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemTimeouts {
    /// Ordinary commands (`AT+CSQ`, `AT+CMGR`).
    #[serde(default = "d5s")]
    pub command: HumanDuration,
    /// Waiting for the `> ` prompt of `AT+CMGS`; after it, ESC is sent (TS 27.005 §3.5.1).
    #[serde(default = "d10s")]
    pub prompt: HumanDuration,
    /// Waiting for `+CMGS:` after the PDU was written: weak-signal sends take minutes.
    #[serde(default = "d5m")]
    pub result: HumanDuration,
    /// How often an idle modem is probed with `AT`.
    #[serde(default = "d30s")]
    pub probe_every: HumanDuration,
    /// How often signal and registration are read.
    #[serde(default = "d60s")]
    pub poll_every: HumanDuration,
    /// How often all storages are listed (`AT+CMGL`) for messages whose indication was lost.
    #[serde(default = "d5m")]
    pub sweep_every: HumanDuration,
    /// How long start-up waits for network registration before reporting the modem not ready.
    #[serde(default = "d90s")]
    pub registration: HumanDuration,
    /// How long parts of a concatenated message wait for the rest before the message is
    /// delivered flagged incomplete.
    #[serde(default = "d1h")]
    pub reassembly: HumanDuration,
    /// How far back a status report may match a sent part (TP-MR wraps at 256).
    #[serde(default = "d3d")]
    pub report_window: HumanDuration,
    /// How long a modem whose sends failed [`crate::modem::pool::BREAKER_FAILURES`] times in
    /// a row stays out of its pool's rotation before one send probes it again (doubling, up
    /// to ten times this, while the probes fail).
    #[serde(default = "d60s")]
    pub out_of_rotation: HumanDuration,
}

impl Default for ModemTimeouts {
    fn default() -> Self {
        Self {
            command: d5s(),
            prompt: d10s(),
            result: d5m(),
            probe_every: d30s(),
            poll_every: d60s(),
            sweep_every: d5m(),
            registration: d90s(),
            reassembly: d1h(),
            report_window: d3d(),
            out_of_rotation: d60s(),
        }
    }
}

/// Quirk table names accepted in `quirks`.
pub const QUIRK_NAMES: &[&str] = &["generic", "simcom", "quectel", "huawei", "wavecom", "zte"];

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn modem_problems_should_be_reported_with_key_and_line() {
        let text = "[[routes]]\nname = \"sims\"\ntype = \"smpp\"\n\n[[modems]]\nname = \"m 1\"\n\
                    device = \"/dev/x\"\nroute = \"sims\"\npin = \"12\"\n\
                    [modems.timeouts]\nprompt = \"0s\"\n";
        let errors = Config::from_toml(text).unwrap_err();
        let found: Vec<(String, Option<usize>)> =
            errors.0.iter().map(|e| (e.key.clone(), e.line)).collect();
        for expected in [
            ("modems[0].name", 6),
            ("modems[0].route", 8),
            ("modems[0].pin", 9),
            ("modems[0].timeouts.prompt", 11),
        ] {
            assert!(
                found.contains(&(expected.0.to_string(), Some(expected.1))),
                "{expected:?} not in {found:?}"
            );
        }
    }

    #[test]
    fn the_unknown_outcome_policy_should_parse_and_default_to_resend() {
        let base = "[[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n[[modems]]\nname = \"m\"\n\
                    device = \"/dev/x\"\nroute = \"sims\"\n";
        let c = Config::from_toml(base).unwrap();
        assert_eq!(c.modems[0].unknown_outcome, super::UnknownOutcome::Resend);
        let c =
            Config::from_toml(&format!("{base}unknown_outcome = \"wait_for_report\"\n")).unwrap();
        assert_eq!(
            c.modems[0].unknown_outcome,
            super::UnknownOutcome::WaitForReport
        );
        assert!(Config::from_toml(&format!("{base}unknown_outcome = \"guess\"\n")).is_err());
    }

    #[test]
    fn an_unknown_modem_key_should_be_refused() {
        let text = "[[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n[[modems]]\nname = \"m\"\n\
                    device = \"/dev/x\"\nroute = \"sims\"\nbaudrate = 9600\n";
        assert!(Config::from_toml(text).is_err());
    }
}
