//! Sticky senders: two reminders to one person leave from two SIMs of a pool, and a "NO" to
//! each is matched to its own reminder.

use hw_sim::SimModem;
use hw_sim::modem::profile::Profile;
use serde_json::{Value, json};

use crate::harness::*;

/// Index (0 or 1) of the SIM that sent a message whose text is `text`.
fn sender_of(sims: &[&SimModem; 2], text: &str) -> usize {
    let found: Vec<usize> = (0..2)
        .filter(|&i| sims[i].sent_messages().iter().any(|m| m.text == text))
        .collect();
    assert_eq!(found.len(), 1, "{text:?} was sent by SIMs {found:?}");
    found[0]
}

async fn sent(gw: &Gw, id: &str) {
    gw.until_message(id, "sent", |v| {
        v["status"] == "sent" || v["status"] == "delivered"
    })
    .await;
}

#[tokio::test]
async fn two_reminders_to_one_person_should_leave_from_two_sims_and_each_no_should_match_its_own() {
    bounded(async {
        let s0 = sim(Profile::generic(), |_| {}).await;
        let s1 = sim(Profile::generic(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let cfg = config_text(
            dir.path(),
            &[
                ModemEntry::new("m0", &s0, ""),
                ModemEntry::new("m1", &s1, ""),
            ],
        ) + "[conversations]\nwindow = \"1d\"\n";
        let gw = Gw::start(&cfg).await;
        gw.all_ready(2).await;
        let sims = [&s0, &s1];

        let r1 = "Visit Mon 10:00. Reply NO to cancel.";
        let a = gw
            .send_with(r1, json!({"reference": "appt-1", "expects_reply": true}))
            .await;
        sent(&gw, &a).await;
        let first = sender_of(&sims, r1);
        // A notice that expects no answer moves the pool's round robin on, so a pool without
        // sticky senders would now pick the first reminder's SIM again.
        let notice = "Your parcel is ready for pick-up.";
        let n = gw.send(notice).await;
        sent(&gw, &n).await;
        let r2 = "Visit Thu 14:00. Reply NO to cancel.";
        let b = gw
            .send_with(r2, json!({"reference": "appt-2", "expects_reply": true}))
            .await;
        sent(&gw, &b).await;
        let second = sender_of(&sims, r2);
        assert_ne!(first, second, "both reminders left from the same SIM");

        sims[second]
            .inject_text(TO, "NO", false, false)
            .await
            .unwrap();
        sims[first]
            .inject_text(TO, "no", false, false)
            .await
            .unwrap();
        let inbox = gw
            .until_inbox("two replies", |items| items.len() == 2)
            .await;
        let by_text = |t: &str| -> Value {
            inbox
                .iter()
                .find(|m| m["text"] == t)
                .cloned()
                .unwrap_or(Value::Null)
        };
        let to_second = by_text("NO");
        let to_first = by_text("no");
        assert_eq!(to_second["in_reply_to"]["id"], json!(b), "{to_second:#}");
        assert_eq!(to_second["in_reply_to"]["reference"], "appt-2");
        assert_eq!(to_second["matched_by"]["rule"], "sticky-sender");
        assert!(to_second["matched_by"]["confidence"].as_f64().unwrap() >= 0.9);
        assert_eq!(to_first["in_reply_to"]["id"], json!(a), "{to_first:#}");
        assert_eq!(to_first["in_reply_to"]["reference"], "appt-1");
        assert_eq!(to_first["matched_by"]["rule"], "sticky-sender");
        assert_eq!(
            to_first["modem"],
            json!(["m0", "m1"][first]),
            "the reply records the modem it came in on"
        );

        // Both conversations are closed now: a second answer on the first SIM is matched by
        // `latest` (a follow-up), not as an exact answer to an open question.
        sims[first]
            .inject_text(TO, "sorry, I meant yes", false, false)
            .await
            .unwrap();
        let inbox = gw
            .until_inbox("three replies", |items| items.len() == 3)
            .await;
        let follow = &inbox[2];
        assert_eq!(follow["matched_by"]["rule"], "latest", "{follow:#}");
        assert!(follow["matched_by"]["confidence"].as_f64().unwrap() < 0.9);
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_reply_from_a_number_we_never_wrote_to_should_match_nothing() {
    bounded(async {
        let s0 = sim(Profile::generic(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &s0, "")])).await;
        gw.all_ready(1).await;
        s0.inject_text("+358409999999", "Hello?", false, false)
            .await
            .unwrap();
        let inbox = gw.until_inbox("one message", |i| i.len() == 1).await;
        assert_eq!(inbox[0]["matched_by"]["rule"], "none");
        assert!(inbox[0].get("in_reply_to").is_none(), "{:#}", inbox[0]);
        gw.stop().await;
    })
    .await;
}
