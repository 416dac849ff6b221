//! Reply matching over an SMPP link, which has one sender id: several open questions to one
//! person cannot be told apart by the number, so a reply goes to the newest with a lower
//! confidence (the limit documented in ARCHITECTURE.md).

use hw_sim::smsc::{Faults, Mo};
use serde_json::{Value, json};

use crate::smpp_harness::{eventually, start};

const PERSON: &str = "+358407654321";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_open_questions_on_one_link_should_match_the_newest_with_low_confidence() {
    let gw = start(Faults::default(), "").await;
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for (text, reference) in [
        ("Visit Mon? Reply NO to cancel", "appt-1"),
        ("Visit Thu? Reply NO to cancel", "appt-2"),
    ] {
        let r = http
            .post(format!("{}/v1/messages", gw.base))
            .json(
                &json!({"to": PERSON, "text": text, "reference": reference, "expects_reply": true}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let v: Value = r.json().await.unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        // One after the other, so "newest" is well defined.
        gw.wait_status(std::slice::from_ref(&id), &["sent", "delivered"])
            .await;
        ids.push(id);
    }
    let mo = |text: &str| Mo {
        from: PERSON.into(),
        to: "12345".into(),
        text: text.into(),
        system_id: None,
    };
    let first = mo("NO");
    eventually("a bound receiver", || async {
        gw.smsc.inject_mo(&first).ok()
    })
    .await;
    let inbox = eventually("one reply", || async {
        let v = gw.get("/v1/inbox").await;
        let m = v["messages"].as_array()?.clone();
        (m.len() == 1).then_some(m)
    })
    .await;
    assert_eq!(
        inbox[0]["in_reply_to"]["id"],
        json!(ids[1]),
        "{:#}",
        inbox[0]
    );
    assert_eq!(inbox[0]["matched_by"]["rule"], "latest");
    assert!(inbox[0]["matched_by"]["confidence"].as_f64().unwrap() < 0.5);
    assert_eq!(inbox[0]["modem"], "op", "the link it came in on");

    // The newest is answered (closed); the one question still open on the link takes the next.
    let second = mo("NO");
    eventually("a bound receiver", || async {
        gw.smsc.inject_mo(&second).ok()
    })
    .await;
    let inbox = eventually("two replies", || async {
        let v = gw.get("/v1/inbox").await;
        let m = v["messages"].as_array()?.clone();
        (m.len() == 2).then_some(m)
    })
    .await;
    assert_eq!(
        inbox[1]["in_reply_to"]["reference"], "appt-1",
        "{:#}",
        inbox[1]
    );
    gw.stop().await;
}
