//! Inbound routing: survey scores and booking answers reach different webhook targets (local
//! receivers on 127.0.0.1:0), with the rule and `in_reply_to` recorded.

use std::time::Duration;

use hw_sim::modem::profile::Profile;
use serde_json::{Value, json};

use crate::harness::*;
use crate::webhook_receiver::Receiver;

const SECRET: &str = "a-webhook-secret-for-tests";
const OTHER: &str = "+358401234568";
const THIRD: &str = "+358401234569";

fn hook(name: &str, r: &Receiver) -> String {
    format!(
        "[[webhooks]]\nname = {name:?}\nurl = \"{}/{name}\"\nsecret = {SECRET:?}\n\
         events = [\"message.received\"]\nretry_base = \"1s\"\n",
        r.base
    )
}

const RULES: &str = r#"
[[inbound_routes]]
name = "low-score"
target = "callbacks-team"
reference_prefix = "survey-"
range = [0, 6]
template = '{"text": "Low score {{data.text}} from {{data.from}}", "survey": "{{data.in_reply_to.reference}}"}'
[[inbound_routes]]
name = "booking"
target = "booking"
reference_prefix = "appt-"
[[inbound_routes]]
name = "everything-else"
target = "default"
"#;

fn texts(r: &Receiver) -> Vec<Value> {
    r.acked().into_iter().map(|h| h.doc).collect()
}

#[tokio::test]
async fn survey_scores_and_booking_answers_should_reach_their_own_targets() {
    bounded(async {
        let callback = Receiver::start(SECRET, 0).await;
        let booking = Receiver::start(SECRET, 0).await;
        let default = Receiver::start(SECRET, 0).await;
        let s0 = sim(Profile::generic(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let cfg = config_text(dir.path(), &[ModemEntry::new("m0", &s0, "")])
            + &hook("callbacks-team", &callback)
            + &hook("booking", &booking)
            + &hook("default", &default)
            + RULES;
        let gw = Gw::start(&cfg).await;
        gw.all_ready(1).await;

        let survey = "How did we do, 0-10?";
        let mut ids = Vec::new();
        for to in [TO, OTHER] {
            ids.push(
                gw.send_with(
                    survey,
                    json!({"to": to, "reference": "survey-42", "expects_reply": true}),
                )
                .await,
            );
        }
        ids.push(
            gw.send_with(
                "Visit Mon 10:00. Reply YES to confirm.",
                json!({"to": THIRD, "reference": "appt-7", "expects_reply": true}),
            )
            .await,
        );
        for id in &ids {
            gw.until_message(id, "sent", |v| {
                v["status"] == "sent" || v["status"] == "delivered"
            })
            .await;
        }
        s0.inject_text(TO, "3", false, false).await.unwrap();
        s0.inject_text(OTHER, "9", false, false).await.unwrap();
        s0.inject_text(THIRD, "YES", false, false).await.unwrap();

        let limit = Duration::from_secs(20);
        callback.wait_for(limit, |r| !r.acked().is_empty()).await;
        default.wait_for(limit, |r| !r.acked().is_empty()).await;
        booking.wait_for(limit, |r| !r.acked().is_empty()).await;
        // Let any misrouted delivery arrive before checking that none did.
        tokio::time::sleep(Duration::from_millis(500)).await;

        let cb = texts(&callback);
        assert_eq!(cb.len(), 1, "{cb:#?}");
        assert_eq!(
            cb[0]["text"],
            format!("Low score 3 from {TO}"),
            "rule template"
        );
        assert_eq!(cb[0]["survey"], "survey-42");
        let d = texts(&default);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0]["data"]["text"], "9");
        assert_eq!(d[0]["data"]["inbound_rule"], "everything-else");
        assert_eq!(d[0]["data"]["in_reply_to"]["id"], json!(ids[1]));
        let b = texts(&booking);
        assert_eq!(b.len(), 1, "{b:#?}");
        assert_eq!(b[0]["type"], "message.received");
        assert_eq!(b[0]["data"]["text"], "YES");
        assert_eq!(b[0]["data"]["inbound_rule"], "booking");
        assert_eq!(b[0]["data"]["in_reply_to"]["id"], json!(ids[2]));
        assert_eq!(b[0]["data"]["in_reply_to"]["reference"], "appt-7");
        assert_eq!(b[0]["data"]["matched_by"]["rule"], "sticky-sender");

        // The rule is recorded on the message in the inbox too.
        let inbox = gw.until_inbox("three replies", |i| i.len() == 3).await;
        let low = inbox.iter().find(|m| m["text"] == "3").unwrap();
        assert_eq!(low["inbound_rule"], "low-score");
        assert_eq!(low["in_reply_to"]["id"], json!(ids[0]));
        gw.stop().await;
    })
    .await;
}
