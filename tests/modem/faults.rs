//! Faults from the simulator: hangs before and after the PDU (both outcome-unknown
//! policies), a modem unplugged and back, `+CMS ERROR: 500` bursts, and SIM PIN entry.

use hw_sim::Fault;
use hw_sim::modem::profile::Profile;
use serde_json::Value;
use smsgw::gsm::{self, Address, StatusReport, TpStatus, Tpdu};

use crate::harness::*;

fn part(v: &Value) -> &Value {
    &v["parts"][0]
}

fn history_mentions(v: &Value, needle: &str) -> bool {
    v["history"].as_array().is_some_and(|h| {
        h.iter()
            .any(|e| e["reason"].as_str().is_some_and(|r| r.contains(needle)))
    })
}

#[tokio::test]
async fn a_modem_that_hangs_before_the_prompt_should_leave_the_message_to_the_other_once() {
    bounded(async {
        let (a, b) = (
            sim(Profile::generic(), |_| {}).await,
            sim(Profile::sim800(), |_| {}).await,
        );
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(
            dir.path(),
            &[ModemEntry::new("m0", &a, ""), ModemEntry::new("m1", &b, "")],
        ))
        .await;
        gw.all_ready(2).await;
        a.fault(Fault::HangBeforePrompt).await.unwrap();
        let id = gw.send("only once, please").await;
        let v = gw
            .until_message(&id, "sent", |v| {
                v["status"] == "sent" || v["status"] == "delivered"
            })
            .await;
        // The pool tried m0 first (it is hung now) and m1 sent it; nobody sent it twice.
        assert!(a.status().await.unwrap().hung, "m0 was never asked");
        assert_eq!(a.control().sent_parts().len(), 0);
        assert_eq!(b.control().sent_parts().len(), 1);
        assert_eq!(part(&v)["possible_duplicate"], Value::Null, "{v:#}");
        // m0 comes back and nothing is sent again.
        a.clear_faults().await.unwrap();
        gw.all_ready(2).await;
        assert_eq!(
            a.control().sent_parts().len() + b.control().sent_parts().len(),
            1
        );
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_hang_after_the_pdu_under_resend_should_send_again_elsewhere_marked_duplicate() {
    bounded(async {
        let (a, b) = (
            sim(Profile::generic(), |_| {}).await,
            sim(Profile::generic(), |_| {}).await,
        );
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(
            dir.path(),
            &[
                ModemEntry::new("m0", &a, "unknown_outcome = \"resend\""),
                ModemEntry::new("m1", &b, "unknown_outcome = \"resend\""),
            ],
        ))
        .await;
        gw.all_ready(2).await;
        a.fault(Fault::HangAfterPdu).await.unwrap();
        let id = gw.send("maybe twice").await;
        let v = gw
            .until_message(&id, "sent", |v| {
                v["status"] == "sent" || v["status"] == "delivered"
            })
            .await;
        a.clear_faults().await.unwrap();
        let (sa, sb) = (a.control().sent_parts(), b.control().sent_parts());
        assert_eq!((sa.len(), sb.len()), (1, 1), "{sa:?} {sb:?}");
        assert!(!sa[0].acknowledged, "m0 swallowed the +CMGS");
        assert_eq!(part(&v)["possible_duplicate"], true, "{v:#}");
        assert!(history_mentions(&v, "possible duplicate"), "{v:#}");
        gw.stop().await;
    })
    .await;
}

/// The SMS-STATUS-REPORT the SC would send for a message to [`TO`], TPDU only.
fn report_tpdu(mr: u8, st: u8) -> Vec<u8> {
    let t = gsm::Timestamp {
        year: 26,
        month: 11,
        day: 22,
        hour: 12,
        minute: 0,
        second: 0,
        tz_quarters: 0,
    };
    Tpdu::StatusReport(StatusReport {
        more_messages: false,
        loop_prevention: false,
        qualifier_command: false,
        message_reference: mr,
        recipient: Address::international(&TO[1..]),
        timestamp: t,
        discharge_time: t,
        status: TpStatus(st),
        protocol_id: None,
        dcs: None,
        user_data: None,
    })
    .encode()
    .unwrap()
}

#[tokio::test]
async fn a_hang_after_the_pdu_under_wait_for_report_should_stay_unknown_until_the_report() {
    bounded(async {
        let (a, b) = (
            sim(Profile::generic(), |_| {}).await,
            sim(Profile::generic(), |_| {}).await,
        );
        let dir = tempfile::tempdir().unwrap();
        let policy = "unknown_outcome = \"wait_for_report\"";
        let gw = Gw::start(&config_text(
            dir.path(),
            &[
                ModemEntry::new("m0", &a, policy),
                ModemEntry::new("m1", &b, policy),
            ],
        ))
        .await;
        gw.all_ready(2).await;
        a.fault(Fault::HangAfterPdu).await.unwrap();
        let id = gw.send("wait and see").await;
        let v = gw
            .until_message(&id, "sent with an unknown part", |v| {
                v["status"] == "sent" && part(v)["status"] == "unknown"
            })
            .await;
        // hw-sim stays busy after a swallowed +CMGS even once faults are cleared: only a power
        // cycle brings it back, so unplug it briefly (as a person would).
        a.clear_faults().await.unwrap();
        a.fault(Fault::Vanish {
            ms: 300,
            new_link: None,
        })
        .await
        .unwrap();
        gw.until_modems("m0 not ready", |m| state(&m[0]) != "ready")
            .await;
        gw.all_ready(2).await;
        assert_eq!(b.control().sent_parts().len(), 0, "resent: {v:#}");
        // The simulator makes no report for a send whose +CMGS it swallowed, so the SC's
        // report is delivered into m0's storage as the network would store it.
        let mr = a.control().sent_parts()[0].mr;
        a.inject_tpdu(report_tpdu(mr, 0x00)).await.unwrap();
        let v = gw
            .until_message(&id, "delivered", |v| v["status"] == "delivered")
            .await;
        assert_eq!(part(&v)["status"], "delivered");
        assert_eq!(part(&v)["possible_duplicate"], Value::Null);
        assert_eq!(b.control().sent_parts().len(), 0);
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_unknown_part_with_no_report_should_be_undelivered_when_its_validity_ends() {
    bounded(async {
        let a = sim(Profile::generic(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        // Each recovery step of the hung modem waits 25 s for an answer, longer than the test
        // waits: the deadline must pass on its own timer, not when the driver gets round to it.
        let config = config_text(
            dir.path(),
            &[ModemEntry::new(
                "m0",
                &a,
                "unknown_outcome = \"wait_for_report\"",
            )],
        )
        .replace("command = \"1s\"", "command = \"25s\"");
        let gw = Gw::start(&config).await;
        gw.all_ready(1).await;
        a.fault(Fault::HangAfterPdu).await.unwrap();
        let id = gw
            .send_with("short-lived", serde_json::json!({"validity": 4}))
            .await;
        gw.until_message(&id, "sent with an unknown part", |v| {
            v["status"] == "sent" && part(v)["status"] == "unknown"
        })
        .await;
        // The modem stays hung: the deadline is kept while it is stuck recovering.
        let v = gw
            .until_message(&id, "undelivered", |v| v["status"] == "undelivered")
            .await;
        assert_eq!(part(&v)["status"], "undelivered");
        assert_eq!(a.control().sent_parts().len(), 1);
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_modem_unplugged_and_back_should_send_again_without_a_restart() {
    bounded(async {
        let a = sim(Profile::ec25(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &a, "")])).await;
        gw.all_ready(1).await;
        a.fault(Fault::Vanish {
            ms: 1500,
            new_link: None,
        })
        .await
        .unwrap();
        gw.until_modems("m0 not ready", |m| state(&m[0]) != "ready")
            .await;
        gw.all_ready(1).await;
        let id = gw.send("back again").await;
        gw.until_message(&id, "sent", |v| {
            v["status"] == "sent" || v["status"] == "delivered"
        })
        .await;
        assert_eq!(a.control().sent_parts().len(), 1);
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_cms_500_should_be_retried_until_the_message_goes_once() {
    bounded(async {
        let a = sim(Profile::sim800(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &a, "")])).await;
        gw.all_ready(1).await;
        a.fault(Fault::CmsError {
            code: 500,
            probability: 1.0,
            count: Some(2),
        })
        .await
        .unwrap();
        let id = gw.send("through the noise").await;
        let v = gw
            .until_message(&id, "sent", |v| {
                v["status"] == "sent" || v["status"] == "delivered"
            })
            .await;
        assert_eq!(a.control().sent_parts().len(), 1);
        assert!(history_mentions(&v, "500"), "{v:#}");
        let m = gw
            .until_modems("m0 ready", |m| state(&m[0]) == "ready")
            .await;
        assert_ne!(state(&m[0]), "dead");
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_pin_locked_sim_should_be_unlocked_with_the_configured_pin_and_send() {
    bounded(async {
        let a = sim(Profile::ec25(), |c| c.pin = Some("4321".into())).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(
            dir.path(),
            &[ModemEntry::new("m0", &a, "pin = \"4321\"")],
        ))
        .await;
        gw.all_ready(1).await;
        assert_eq!(a.status().await.unwrap().sim, "READY");
        let id = gw.send("unlocked").await;
        gw.until_message(&id, "sent", |v| {
            v["status"] == "sent" || v["status"] == "delivered"
        })
        .await;
        gw.stop().await;
    })
    .await;
}
