//! Pools and modem health as people and monitoring see them: a failing SIM's retries go to
//! the healthy one and it leaves the rotation (and comes back after a probe send); modems in
//! `/metrics`; a hung modem's state says what the health ladder does; a vendor's
//! storage-full notice is shown and acted on.

use std::time::Duration;

use hw_sim::Fault;
use hw_sim::modem::profile::Profile;
use serde_json::Value;

use crate::harness::*;

fn named<'a>(m: &'a [Value], name: &str) -> &'a Value {
    m.iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no modem {name}: {m:#?}"))
}

fn is_sent(v: &Value) -> bool {
    v["status"] == "sent" || v["status"] == "delivered"
}

#[tokio::test]
async fn a_failing_sim_should_hand_retries_to_the_idle_one_and_leave_the_rotation_until_a_probe_works()
 {
    bounded(async {
        let a = sim(Profile::sim800(), |_| {}).await;
        let b = sim(Profile::sim800(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(
            dir.path(),
            &[ModemEntry::new("m0", &a, ""), ModemEntry::new("m1", &b, "")],
        ))
        .await;
        gw.all_ready(2).await;
        a.fault(Fault::CmsError {
            code: 500,
            probability: 1.0,
            count: None,
        })
        .await
        .unwrap();
        // One at a time, so the healthy SIM is always free when the failing one refuses.
        for i in 0..8 {
            let id = gw.send(&format!("message {i}")).await;
            let v = gw.until_message(&id, "sent", is_sent).await;
            assert_eq!(
                v["attempts"]["count"], 1,
                "sent at the first attempt: {v:#}"
            );
            assert_eq!(
                v["parts"][0]["modem"], "m1",
                "the healthy SIM sent it: {v:#}"
            );
        }
        assert!(a.sent_parts().is_empty());
        assert_eq!(b.sent_parts().len(), 8);
        let m = gw
            .until_modems("m0 out of rotation", |m| {
                !named(m, "m0")["out_of_rotation"].is_null()
            })
            .await;
        let m0 = named(&m, "m0");
        let why = m0["out_of_rotation"]["reason"].as_str().unwrap_or("");
        assert!(why.contains("500"), "the reason names the error: {m0:#}");
        let failed = m0["counters"]["parts_failed"].as_u64().unwrap();
        assert!(
            (3..=4).contains(&failed),
            "three failures take it out (a fourth only as its probe): {m0:#}"
        );
        let metrics = gw.text("/metrics").await;
        assert!(
            metrics.contains("smsgw_modem_up{modem=\"m0\",route=\"sims\"} 0"),
            "{metrics}"
        );
        assert!(
            metrics.contains("smsgw_route_up{route=\"sims\"} 1"),
            "one of two modems is up: {metrics}"
        );

        // Fixed: after its time out of rotation one send probes it, and it is back.
        a.clear_faults().await.unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut i = 0;
        while a.sent_parts().is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "m0 never probed again"
            );
            let id = gw.send(&format!("later {i}")).await;
            gw.until_message(&id, "sent", is_sent).await;
            i += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        gw.until_modems("m0 back in rotation", |m| {
            named(m, "m0")["out_of_rotation"].is_null()
        })
        .await;
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn modems_should_appear_in_metrics_and_a_hung_one_should_say_what_the_ladder_does() {
    bounded(async {
        let a = sim(Profile::sim800(), |_| {}).await;
        let b = sim(Profile::ec25(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(
            dir.path(),
            &[ModemEntry::new("m0", &a, ""), ModemEntry::new("m1", &b, "")],
        ))
        .await;
        gw.all_ready(2).await;
        let id = gw.send("counted").await;
        gw.until_message(&id, "sent", is_sent).await;
        let text = gw.text("/metrics").await;
        for want in [
            "smsgw_modem_up{modem=\"m0\",route=\"sims\"} 1",
            "smsgw_modem_up{modem=\"m1\",route=\"sims\"} 1",
            "smsgw_modem_state{modem=\"m0\",state=\"ready\"} 1",
            "smsgw_modem_signal_dbm{modem=\"m0\"}",
            "smsgw_modem_registered{modem=\"m1\"} 1",
            "smsgw_modem_info{modem=\"m0\",operator=\"hw-sim net\"",
            "smsgw_modem_parts_total{modem=\"m0\",result=\"sent\"}",
            "smsgw_modem_reports_total{modem=\"m1\"}",
            "smsgw_modem_storage_used{modem=\"m0\",storage=",
            "smsgw_modem_storage_full{modem=\"m1\"} 0",
            "smsgw_route_up{route=\"sims\"} 2",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        let sent: f64 = text
            .lines()
            .filter(|l| l.starts_with("smsgw_modem_parts_total{") && l.contains("\"sent\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert_eq!(sent, 1.0, "one part sent in all:\n{text}");

        // m1 hangs: within a probe or two it is out of rotation and says why; then the
        // ladder's steps show as they are taken.
        b.fault(Fault::Hang).await.unwrap();
        let hung_at = tokio::time::Instant::now();
        let m = gw
            .until_modems("m1 probing", |m| state(named(m, "m1")) != "ready")
            .await;
        let m1 = named(&m, "m1");
        assert!(
            hung_at.elapsed() < Duration::from_secs(5),
            "a probe interval (300 ms) and its timeout (1 s) later, not ~29 s"
        );
        assert_eq!(state(m1), "probing", "{m1:#}");
        assert!(
            m1["detail"].as_str().is_some_and(|d| d.contains("probe")),
            "{m1:#}"
        );
        assert!(
            m1["health"].as_str().is_some_and(|h| h.contains("probing")),
            "{m1:#}"
        );
        let text = gw.text("/metrics").await;
        assert!(
            text.contains("smsgw_route_up{route=\"sims\"} 1"),
            "one of two modems is up:\n{text}"
        );
        assert!(text.contains("smsgw_modem_state{modem=\"m1\",state=\"probing\"} 1"));
        gw.until_modems("m1 escaping", |m| {
            named(m, "m1")["health"]
                .as_str()
                .is_some_and(|h| h.contains("escaping"))
        })
        .await;
        gw.until_modems("m1 re-initialising", |m| {
            let v = named(m, "m1");
            v["health"]
                .as_str()
                .is_some_and(|h| h.contains("re-initialising"))
                || state(v) == "down"
        })
        .await;
        // Meanwhile the other SIM sends.
        let id = gw.send("still going").await;
        let v = gw.until_message(&id, "sent", is_sent).await;
        assert_eq!(v["parts"][0]["modem"], "m0", "{v:#}");
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_storage_full_notice_should_be_shown_and_the_storage_emptied() {
    bounded(async {
        let a = sim(Profile::ec25(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &a, "")])).await;
        gw.all_ready(1).await;
        // Quectel's notice (`AT+QINDCFG="smsfull",1`), as the modem writes it.
        a.fault(Fault::Garbage {
            bytes: b"\r\n+QIND: \"smsfull\",\"SM\"\r\n".to_vec(),
            len: 0,
        })
        .await
        .unwrap();
        let m = gw
            .until_modems("the notice counted and the storage read again", |m| {
                m[0]["counters"]["storage_full"] == 1 && m[0]["storage_full"].is_null()
            })
            .await;
        assert!(
            m[0]["storages"]
                .as_array()
                .is_some_and(|s| !s.is_empty() && s.iter().all(|x| x["used"] == 0)),
            "{:#}",
            m[0]
        );
        let text = gw.text("/metrics").await;
        assert!(
            text.contains("smsgw_modem_storage_full_total{modem=\"m0\"} 1"),
            "{text}"
        );
        assert!(text.contains("smsgw_modem_storage_full{modem=\"m0\"} 0"));
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_sim_that_filled_up_while_nobody_read_it_should_be_shown_full_and_emptied_first() {
    bounded(async {
        let a = sim(Profile::sim800(), |c| c.profile.capacity = [2, 2, 3]).await;
        let texts: Vec<String> = (1..=4).map(|i| format!("while away {i}")).collect();
        for t in &texts {
            a.inject_text(TO, t, false, false).await.unwrap();
        }
        let st = a.status().await.unwrap();
        assert!(st.network_queue > 0, "the SIM is full: {st:?}");
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &a, "")])).await;
        let m = gw
            .until_modems("the full storage counted, emptied and read again", |m| {
                m[0]["counters"]["storage_full"] == 1
                    && m[0]["storage_full"].is_null()
                    && m[0]["storages"]
                        .as_array()
                        .and_then(|s| s.last())
                        .is_some_and(|s| s["used"].as_u64() < s["total"].as_u64())
            })
            .await;
        assert_eq!(state(&m[0]), "ready", "{:#}", m[0]);
        let inbox = gw
            .until_inbox("every message once", |i| i.len() >= texts.len())
            .await;
        assert_eq!(inbox.len(), texts.len(), "{inbox:#?}");
        gw.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_message_that_fails_should_end_every_part_and_parts_should_name_their_modem() {
    bounded(async {
        let a = sim(Profile::sim800(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &a, "")])).await;
        gw.all_ready(1).await;
        let long = "a two-part message ".repeat(10);
        let ok = gw.send(&long).await;
        let v = gw.until_message(&ok, "sent", is_sent).await;
        let parts = v["parts"].as_array().unwrap();
        assert_eq!(parts.len(), 2, "{v:#}");
        assert!(parts.iter().all(|p| p["modem"] == "m0"), "{v:#}");

        // The network refuses the first part for good: the message fails, and the second
        // part, never tried, fails with it instead of staying pending.
        a.fault(Fault::CmsError {
            code: 21,
            probability: 1.0,
            count: None,
        })
        .await
        .unwrap();
        let bad = gw.send(&long).await;
        let v = gw
            .until_message(&bad, "failed", |v| v["status"] == "failed")
            .await;
        let parts = v["parts"].as_array().unwrap();
        assert!(
            parts.iter().all(|p| p["status"] == "failed"),
            "no part stays pending: {v:#}"
        );
        assert!(
            parts[0]["error"].as_str().is_some_and(|e| e.contains("21")),
            "{v:#}"
        );

        // Canceled before it was sent: its parts end too.
        let later = gw
            .send_with(
                "not now",
                serde_json::json!({"send_at": smsgw::model::Timestamp::now()
                    .plus(Duration::from_secs(3600))}),
            )
            .await;
        let r = reqwest::Client::new()
            .delete(format!("{}/v1/messages/{later}", gw.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let v = gw.message(&later).await;
        assert_eq!(v["status"], "canceled");
        assert_eq!(v["parts"][0]["status"], "failed", "{v:#}");
        assert!(
            v["parts"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("canceled")),
            "{v:#}"
        );
        gw.stop().await;
    })
    .await;
}
