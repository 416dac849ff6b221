//! The happy paths: HTTP → submit_sm → receipts → statuses; MO to the inbox; long messages.

use hw_sim::smsc::{Faults, IdFormat, Mo, OutcomeMix, SmscConfig};

use crate::harness::{Gw, eventually, start, start_with};

fn texts(n: usize, tag: &str) -> Vec<String> {
    (0..n).map(|i| format!("{tag} message {i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_http_should_be_submitted_and_their_receipts_should_set_statuses() {
    // Ids answered in hex, receipt text in decimal, half the receipts as text only: the
    // correlation must still match every one. Receipts right behind their submit_sm_resp on
    // the same connection: the session records the id as it reads the response, so none may
    // be parked.
    let smsc = hw_sim::smsc::start(SmscConfig {
        id_format: IdFormat::Hex,
        receipt_text_id_format: Some(IdFormat::Decimal),
        faults: Faults {
            receipt_delay_ms: 0,
            outcomes: OutcomeMix {
                delivered: 3,
                undeliverable: 1,
                expired: 0,
                rejected: 0,
            },
            receipt_text_only: true,
            ..Faults::default()
        },
        ..SmscConfig::default()
    })
    .await
    .unwrap();
    let gw = start_with(smsc, "").await;
    let ids = gw.submit("+358401234567", &texts(20, "plain")).await;
    let done = gw.wait_status(&ids, &["delivered", "undelivered"]).await;
    let undelivered: Vec<_> = done
        .iter()
        .filter(|m| m["status"] == "undelivered")
        .collect();
    assert_eq!(undelivered.len(), 5, "3:1 outcome mix over 20 messages");
    let why = undelivered[0]["parts"][0]["error"].as_str().unwrap();
    assert!(why.contains("stat:UNDELIV"), "{why}");
    for m in &done {
        assert!(m["parts"][0]["remote_id"].is_string(), "{m:#}");
        assert!(m["parts"][0].get("possible_duplicate").is_none());
    }
    let submitted = gw.smsc.submitted();
    assert_eq!(submitted.len(), 20);
    assert!(
        submitted
            .iter()
            .all(|s| s.dest_ton == 1 && s.destination == "358401234567")
    );
    assert!(
        submitted
            .iter()
            .all(|s| s.data_coding == 0 && s.registered_delivery == 1)
    );
    assert_eq!(gw.metric("smsgw_smpp_receipts_parked{").await, 0.0);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mo_message_should_reach_the_inbox_reassembled() {
    let gw = start(Faults::default(), "").await;
    let long = "This reply is long enough to need three parts when it is sent as GSM 7-bit text, \
                so the SMSC splits it with a concatenation header and we must put it together \
                again before anyone reads it in the inbox. Thanks!";
    for text in ["STOP", long] {
        let mo = Mo {
            from: "+358407654321".into(),
            to: "12345".into(),
            text: text.into(),
            system_id: None,
        };
        eventually("a bound receiver", || async { gw.smsc.inject_mo(&mo).ok() }).await;
    }
    let inbox = eventually("two inbox messages", || async {
        let v = gw.get("/v1/inbox").await;
        let msgs = v["messages"].as_array()?.clone();
        (msgs.len() == 2).then_some(msgs)
    })
    .await;
    assert_eq!(inbox[0]["text"], "STOP");
    assert_eq!(inbox[0]["from"], "+358407654321");
    assert_eq!(inbox[0]["route"], "op");
    assert_eq!(inbox[1]["text"], long);
    assert!(inbox[1]["parts"].as_u64().unwrap() > 1);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mo_messages_should_reach_the_inbox_in_the_order_the_smsc_sent_them() {
    let gw = start(Faults::default(), "").await;
    let mo = |i: usize| Mo {
        from: "+358407654321".into(),
        to: "12345".into(),
        text: format!("reply {i}"),
        system_id: None,
    };
    eventually("a bound receiver", || async {
        gw.smsc.inject_mo(&mo(0)).ok()
    })
    .await;
    // Back to back on one bind: the SMSC does not wait for one answer before the next.
    for i in 1..40 {
        gw.smsc.inject_mo(&mo(i)).unwrap();
    }
    let inbox = eventually("forty inbox messages", || async {
        let v = gw.get("/v1/inbox?limit=100").await;
        let msgs = v["messages"].as_array()?.clone();
        (msgs.len() == 40).then_some(msgs)
    })
    .await;
    let texts: Vec<&str> = inbox.iter().filter_map(|m| m["text"].as_str()).collect();
    let sent: Vec<String> = (0..40).map(|i| format!("reply {i}")).collect();
    assert_eq!(texts, sent);
    gw.stop().await;
}

async fn long_ucs2(mode: &str) -> (Gw, Vec<hw_sim::smsc::Submitted>, String) {
    let gw = start(Faults::default(), &format!("long_messages = \"{mode}\"")).await;
    let text = "Ваш заказ готов к выдаче. Приходите в пункт выдачи до пятницы! ".repeat(3);
    let ids = gw
        .submit("+358401234567", std::slice::from_ref(&text))
        .await;
    let done = gw.wait_status(&ids, &["delivered"]).await;
    assert_eq!(
        done[0]["parts"].as_array().unwrap().len(),
        3,
        "{:#}",
        done[0]
    );
    let sub = gw.smsc.submitted();
    (gw, sub, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_ucs2_message_should_go_with_udh() {
    let (gw, sub, text) = long_ucs2("udh").await;
    assert_eq!(sub.len(), 3);
    assert!(
        sub.iter()
            .all(|s| s.data_coding == 8 && s.esm_class & 0x40 != 0)
    );
    let joined: String = sub.iter().map(|s| s.text.clone().unwrap()).collect();
    assert_eq!(joined, text);
    assert_eq!(
        sub[2].concat.as_ref().map(|c| (c.total, c.seq)),
        Some((3, 3))
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_ucs2_message_should_go_with_sar_tlvs() {
    let (gw, sub, text) = long_ucs2("sar").await;
    assert_eq!(sub.len(), 3);
    assert!(
        sub.iter()
            .all(|s| s.data_coding == 8 && s.esm_class & 0x40 == 0)
    );
    let joined: String = sub.iter().map(|s| s.text.clone().unwrap()).collect();
    assert_eq!(joined, text);
    assert_eq!(
        sub[1].concat.as_ref().map(|c| (c.total, c.seq)),
        Some((3, 2))
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_ucs2_message_should_go_in_one_message_payload() {
    let (gw, sub, text) = long_ucs2("payload").await;
    assert_eq!(sub.len(), 1);
    assert!(sub[0].payload_tlv && sub[0].data_coding == 8);
    assert_eq!(sub[0].text.as_deref(), Some(text.as_str()));
    gw.stop().await;
}
