//! Kills at the two inbound moments that need care: between reading a message from the SIM
//! and deleting it, and between the parts of a concatenated message (on a modem and on the
//! SMPP link). Each message must end in the inbox exactly once, whole.

use hw_sim::modem::pdu::{DeliverOptions, encode_deliver};
use hw_sim::smsc::Mo;
use serde_json::Value;

use crate::rig::{Rig, eventually};
use crate::tokens;

/// The inbox entries with `text`.
async fn copies(rig: &Rig, text: &str) -> Vec<Value> {
    rig.all("/v1/inbox")
        .await
        .into_iter()
        .filter(|m| m["text"] == text)
        .collect()
}

/// Waits until `text` is in the inbox, then checks it is there once and whole.
async fn once(rig: &Rig, text: &str) {
    eventually("the message in the inbox", || async {
        (!copies(rig, text).await.is_empty()).then_some(())
    })
    .await;
    // Anything still on the SIMs would be read (and could be a copy): wait for them to empty.
    eventually("empty SIMs", || async {
        (rig.on_sims().await == 0).then_some(())
    })
    .await;
    let found = copies(rig, text).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_ne!(found[0]["incomplete"], true, "{found:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_between_reading_a_part_from_the_sim_and_deleting_it_should_keep_the_message_once() {
    let mut rig = Rig::start(None).await;
    rig.ready().await;
    let sim = rig.sims[0].control();
    // The first part is read and stored; its delete never completes (the modem hangs), so
    // the second part is still on the SIM when the daemon dies.
    sim.fault(hw_sim::Fault::HangOnDelete).await.unwrap();
    let text = tokens::text('N', 1, 300);
    assert_eq!(
        sim.inject_text("+358403000001", &text, false, false)
            .await
            .unwrap(),
        2
    );
    eventually("the delete hanging", || async {
        sim.status().await.ok()?.hung.then_some(())
    })
    .await;
    rig.kill9();
    sim.clear_faults().await.unwrap();
    rig.restart().await;
    rig.ready().await;
    once(&rig, &text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parts_of_a_modem_message_split_by_a_kill_should_make_one_message() {
    let mut rig = Rig::start(None).await;
    rig.ready().await;
    let sim = rig.sims[1].control();
    let text = tokens::text('N', 2, 420);
    let parts = encode_deliver(
        "+358403000002",
        &text,
        &DeliverOptions {
            ucs2: false,
            reference: 77,
        },
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(parts.len(), 3);
    // Part 2 first; it is read, stored for reassembly and deleted before the kill.
    sim.inject_tpdu(parts[1].clone()).await.unwrap();
    eventually("part 2 taken from the SIM", || async {
        (rig.on_sims().await == 0).then_some(())
    })
    .await;
    rig.kill9();
    // Part 3 arrives while the gateway is down: it waits on the SIM.
    sim.inject_tpdu(parts[2].clone()).await.unwrap();
    rig.restart().await;
    rig.ready().await;
    sim.inject_tpdu(parts[0].clone()).await.unwrap();
    once(&rig, &text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parts_of_an_smpp_message_split_by_a_kill_should_make_one_message() {
    let mut rig = Rig::start(None).await;
    rig.ready().await;
    let text = tokens::text('M', 3, 420);
    let mo = Mo {
        from: "+358402000003".into(),
        to: "12345".into(),
        text: text.clone(),
        system_id: None,
    };
    rig.smsc.inject_mo_parts(&mo, 91, 0..1).unwrap();
    // The gateway answered part 1: it is durable in the reassembly.
    eventually("part 1 acknowledged", || async {
        rig.smsc
            .delivered()
            .iter()
            .any(|d| d.response == Some(0))
            .then_some(())
    })
    .await;
    rig.kill9();
    rig.restart().await;
    rig.ready().await;
    rig.smsc.inject_mo_parts(&mo, 91, 1..3).unwrap();
    once(&rig, &text).await;
}
