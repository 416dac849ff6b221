//! Received addresses are read as submitted numbers are (issue 13 item 5): a reply whose
//! sender the network gives in national format is matched to the message it answers, and an
//! SMPP destination given as international digits (TON 1, no `+`) matches an
//! `[[inbound_routes]]` rule written in E.164.

use hw_sim::modem::profile::Profile;
use hw_sim::smsc::{Faults, Mo};
use serde_json::json;

use crate::harness::*;
use crate::smpp_harness::{eventually, start};
use crate::webhook_receiver::Receiver;

const SECRET: &str = "a-webhook-secret-for-tests";

#[tokio::test]
async fn a_modem_reply_from_a_national_format_sender_should_get_in_reply_to() {
    bounded(async {
        let s0 = sim(Profile::generic(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let cfg = config_text(dir.path(), &[ModemEntry::new("m0", &s0, "")]);
        let gw = Gw::start(&cfg).await;
        gw.all_ready(1).await;
        let id = gw
            .send_with(
                "Visit Mon 10:00. Reply NO to cancel.",
                json!({"to": "+358401001101", "reference": "appt-1", "expects_reply": true}),
            )
            .await;
        gw.until_message(&id, "sent", |v| {
            v["status"] == "sent" || v["status"] == "delivered"
        })
        .await;
        // The network gives the sender as 0401001101 (type of number unknown).
        s0.inject_text("0401001101", "NO", false, false)
            .await
            .unwrap();
        let inbox = gw.until_inbox("the reply", |m| m.len() == 1).await;
        let m = &inbox[0];
        assert_eq!(m["from"], "+358401001101", "{m:#}");
        assert_eq!(m["from_original"], "0401001101", "{m:#}");
        assert_eq!(m["in_reply_to"]["id"], json!(id), "{m:#}");
        assert_eq!(m["in_reply_to"]["reference"], "appt-1", "{m:#}");
        gw.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smpp_destination_with_ton_international_should_match_an_e164_inbound_rule() {
    let receiver = Receiver::start(SECRET, 0).await;
    let extra = format!(
        "password = \"secret\"\n\
         [[webhooks]]\nname = \"poland\"\nurl = \"{}/poland\"\nsecret = {SECRET:?}\n\
         events = [\"message.received\"]\nretry_base = \"1s\"\n\
         [[inbound_routes]]\nname = \"polish-number\"\ntarget = \"poland\"\nto = \"+48500100200\"\n",
        receiver.base
    );
    let gw = start(Faults::default(), &extra).await;
    // hw-sim sends digits as TON 1 / NPI 1 without `+`: destination_addr 48500100200.
    let mo = Mo {
        from: "+358407654321".into(),
        to: "48500100200".into(),
        text: "Hello".into(),
        system_id: None,
    };
    eventually("a bound receiver", || async { gw.smsc.inject_mo(&mo).ok() }).await;
    let inbox = eventually("the message", || async {
        let v = gw.get("/v1/inbox").await;
        let m = v["messages"].as_array()?.clone();
        (m.len() == 1).then_some(m)
    })
    .await;
    let m = &inbox[0];
    assert_eq!(m["to"], "+48500100200", "{m:#}");
    assert_eq!(m["to_original"], "48500100200", "{m:#}");
    assert_eq!(m["inbound_rule"], "polish-number", "{m:#}");
    let delivered = eventually("the webhook delivery", || async {
        let d = receiver.acked();
        (!d.is_empty()).then_some(d)
    })
    .await;
    assert_eq!(delivered[0].doc["data"]["to"], "+48500100200");
    gw.stop().await;
}
