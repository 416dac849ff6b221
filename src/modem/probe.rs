//! `smsgw modem probe DEVICE`: identify a modem and report its SIM, registration, signal and
//! what it supports, for people setting up hardware. Reads only; changes no setting that
//! survives a power cycle, and never enters a PIN.

use std::time::Duration;

use serde::Serialize;

use super::init::{self, Identity};
use super::port::{PortError, PortHandle};
use super::quirks;
use crate::at::Command;
use crate::at::response::{identity, network, sim, sms, storage};

/// What the probe found. Fields are `None` when the modem did not answer that question.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeReport {
    /// Manufacturer, model, IMEI, IMSI, ICCID, own number.
    pub identity: Identity,
    /// The quirk table entry that would be used.
    pub quirks: String,
    /// `+CPIN?` state (`Ready`, `SimPin` …).
    pub sim: Option<String>,
    /// Registration `<stat>`.
    pub registration: Option<String>,
    /// `+CSQ` rssi and dBm.
    pub signal_rssi: Option<u8>,
    /// Signal in dBm.
    pub signal_dbm: Option<i16>,
    /// Operator name.
    pub operator: Option<String>,
    /// Service centre number (`+CSCA?`).
    pub smsc: Option<String>,
    /// Whether PDU mode (`AT+CMGF=0`) is accepted.
    pub pdu_mode: bool,
    /// Storages with used/total, from `AT+CPMS?`.
    pub storage: Vec<String>,
    /// The `+CNMI=?` answer, as value lists.
    pub cnmi_supported: Option<String>,
    /// Whether `AT+CMMS?` is understood.
    pub cmms: bool,
}

/// Probes the modem behind `port`.
pub async fn probe(port: &PortHandle, t: Duration) -> Result<ProbeReport, PortError> {
    port.command(&Command::attention(), t).await?;
    let _ = port.command(&Command::echo_off(), t).await?;
    let _ = port.command(&Command::report_errors(false), t).await?;
    let text = |r: Result<crate::at::Response, PortError>| {
        r.ok().and_then(|r| identity::parse_text(&r).ok())
    };
    let manufacturer = text(port.command(&Command::manufacturer(), t).await).unwrap_or_default();
    let model = text(port.command(&Command::model(), t).await).unwrap_or_default();
    let q = quirks::lookup(&manufacturer, &model);
    let ok = |r: &Result<crate::at::Response, PortError>| r.as_ref().ok().cloned();
    let imei =
        ok(&port.command(&Command::imei(), t).await).and_then(|r| identity::parse_imei(&r).ok());
    let imsi =
        ok(&port.command(&Command::imsi(), t).await).and_then(|r| identity::parse_imsi(&r).ok());
    let iccid = ok(&port.command(&Command::iccid(q.vendor), t).await)
        .and_then(|r| identity::parse_iccid(&r).ok());
    let own = ok(&port.command(&Command::subscriber_number(), t).await)
        .and_then(|r| identity::parse_cnum(&r).ok())
        .and_then(|v| v.into_iter().next().map(|n| n.number));
    let sim_state = ok(&port.command(&Command::pin_query(), t).await)
        .and_then(|r| sim::parse_cpin(&r).ok())
        .map(|s| format!("{s:?}"));
    let net = init::read_network(port, t, true).await?;
    let smsc = ok(&port.command(&Command::service_centre_query(), t).await)
        .and_then(|r| network::parse_csca(&r).ok().flatten())
        .map(|c| c.address);
    let pdu_mode =
        ok(&port.command(&Command::pdu_mode(), t).await).is_some_and(|r| r.result.is_ok());
    let storage = ok(&port.command(&Command::preferred_storage_query(), t).await)
        .and_then(|r| storage::parse_cpms(&r).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|s| format!("{} {}/{}", s.memory.unwrap_or_default(), s.used, s.total))
        .collect();
    let cnmi_supported = ok(&port
        .command(&Command::new_message_indications_test(), t)
        .await)
    .and_then(|r| storage::parse_cnmi_test(&r).ok())
    .map(|s| {
        format!(
            "mode {:?} mt {:?} bm {:?} ds {:?} bfr {:?}",
            s.mode, s.mt, s.bm, s.ds, s.bfr
        )
    });
    let cmms = ok(&port.command(&Command::more_messages_query(), t).await)
        .is_some_and(|r| sms::parse_cmms(&r).is_ok());
    Ok(ProbeReport {
        identity: Identity {
            manufacturer,
            model,
            imei,
            imsi,
            iccid,
            own_number: own,
        },
        quirks: q.name.to_string(),
        sim: sim_state,
        registration: net.registration.map(|r| format!("{r:?}")),
        signal_rssi: net.signal.map(|s| s.rssi),
        signal_dbm: net.signal.and_then(|s| s.dbm()),
        operator: net.operator,
        smsc,
        pdu_mode,
        storage,
        cnmi_supported,
        cmms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::port;
    use crate::modem::testing::{FakeModem, FakeState};

    #[tokio::test(start_paused = true)]
    async fn a_probe_should_report_identity_sim_and_network() {
        let (io, peer) = tokio::io::duplex(4096);
        let _fake = FakeModem::start(peer, FakeState::default());
        let (port, _urcs) = port::spawn(io, "t");
        let r = probe(&port, Duration::from_secs(1)).await.unwrap();
        assert_eq!(r.identity.imsi.as_deref(), Some("244911234567890"));
        assert_eq!(r.sim.as_deref(), Some("Ready"));
        assert_eq!(r.registration.as_deref(), Some("Home"));
        assert_eq!(r.signal_dbm, Some(-71));
        assert_eq!(r.operator.as_deref(), Some("Fake Net"));
        assert!(r.pdu_mode);
        assert!(r.cnmi_supported.is_some());
    }
}
