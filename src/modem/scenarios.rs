//! Driver scenarios: modem tasks and pools against scripted fake modems over duplex streams,
//! with a real store. (End-to-end tests over PTYs with hw-sim live in `tests/modem/`.)

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::build::{Pools, start_pools};
use super::testing::{FakeOpener, FakeState, SendBehaviour, TextCodec};
use crate::api::submit::{SubmitRequest, SubmitRules};
use crate::config::Config;
use crate::dispatch::{PartOutcome, Readiness, Route, SendJob};
use crate::model::{OutboundMessage, PartStatus, Status, Timestamp};
use crate::store::{InboundPart, NewMessage, Store};

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    pools: Pools,
    fakes: Vec<FakeOpener>,
    config: Config,
    stop: CancellationToken,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// `extra` is appended to every `[[modems]]` table (before its timeouts).
fn config_with(n: usize, extra: &str) -> Config {
    let mut t = String::from(
        "[messages]\ndefault_country = \"358\"\n[[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n",
    );
    for i in 0..n {
        t.push_str(&format!(
            "[[modems]]\nname = \"m{i}\"\ndevice = \"/dev/null\"\nroute = \"sims\"\n{extra}\
             [modems.timeouts]\ncommand = \"1s\"\nprompt = \"300ms\"\nresult = \"1s\"\n\
             probe_every = \"1h\"\npoll_every = \"1h\"\nsweep_every = \"1h\"\nregistration = \"1s\"\n"
        ));
    }
    Config::from_toml(&t).unwrap()
}

async fn env(states: Vec<FakeState>) -> Env {
    env_with(states, "").await
}

async fn env_with(states: Vec<FakeState>, extra: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(store.group_commit().run(stop.clone()));
    let config = config_with(states.len(), extra);
    let fakes: Vec<FakeOpener> = states.into_iter().map(FakeOpener::new).collect();
    let list = fakes.clone();
    let open = move |m: &crate::config::ModemConfig| -> Arc<dyn super::open::Opener> {
        let i: usize = m.name[1..].parse().unwrap();
        Arc::new(list[i].clone())
    };
    let pools = start_pools(
        &config,
        store.clone(),
        Arc::new(TextCodec),
        stop.clone(),
        &open,
    )
    .unwrap();
    let e = Env {
        _dir: dir,
        store,
        pools,
        fakes,
        config,
        stop,
    };
    e.until("every modem ready", || {
        e.pools
            .registry
            .views()
            .iter()
            .all(|v| v.state == super::status::ModemState::Ready)
    })
    .await;
    e
}

impl Env {
    fn pool(&self) -> &Arc<dyn Route> {
        &self.pools.routes[0]
    }

    async fn until(&self, what: &str, mut f: impl FnMut() -> bool) {
        for _ in 0..500 {
            if f() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    fn message(&self, text: &str) -> OutboundMessage {
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "0401234567", "text": text})).unwrap();
        let m = SubmitRules::new(&self.config.messages)
            .validate(req, Timestamp::now(), |_| true)
            .unwrap();
        self.store
            .insert_outbound(vec![NewMessage {
                message: m.clone(),
                idempotency_key: None,
            }])
            .unwrap();
        m
    }

    fn inbox(&self) -> Vec<crate::model::InboundMessage> {
        self.store.list_inbox(None, 100).unwrap().items
    }

    fn sim_len(&self, i: usize, storage: &str) -> usize {
        self.fakes[i]
            .state
            .lock()
            .storages
            .get(storage)
            .map_or(0, |s| s.len())
    }

    fn urc(&self, i: usize, text: &str) {
        self.fakes[i].current.lock().as_ref().unwrap().urc(text);
    }
}

#[tokio::test]
async fn a_message_should_go_out_and_its_status_report_should_mark_it_delivered() {
    let e = env(vec![FakeState::default()]).await;
    let m = e.message("hello");
    let report = e
        .pool()
        .send(SendJob {
            message: m.clone(),
            parts: vec![1],
        })
        .await;
    assert_eq!(
        report.parts,
        vec![(
            1,
            PartOutcome::Sent {
                remote_id: Some("1".into())
            }
        )]
    );
    // What the dispatcher's outcome step does for a sent part.
    e.store
        .update(m.id, |m| {
            m.parts[0].status = PartStatus::Sent;
            m.set_status(Status::Sent, Timestamp::now(), None);
            true
        })
        .unwrap();
    let pdu = TextCodec::report(1, "+358401234567", 0);
    e.urc(0, &format!("+CDS: {}\r\n{pdu}", pdu.len() / 2));
    e.until("delivered", || {
        e.store.get(m.id).unwrap().unwrap().status == Status::Delivered
    })
    .await;
    assert_eq!(
        e.store.get(m.id).unwrap().unwrap().parts[0].status,
        PartStatus::Delivered
    );
}

#[tokio::test]
async fn an_announced_message_should_be_stored_then_deleted_from_the_sim() {
    let e = env(vec![FakeState::default()]).await;
    let i = e.fakes[0].current.lock().as_ref().unwrap().store(
        "SM",
        0,
        &TextCodec::deliver("+358409999999", 0, 1, 1, "hi"),
    );
    assert_eq!(i, 0, "indexes may start at 0");
    e.urc(0, "+CMTI: \"SM\",0");
    e.until("stored and deleted", || {
        e.inbox().len() == 1 && e.sim_len(0, "SM") == 0
    })
    .await;
    assert_eq!(e.inbox()[0].text, "hi");
    assert_eq!(e.inbox()[0].to.as_deref(), Some("+358401112222"));
}

#[tokio::test]
async fn parts_arriving_out_of_order_should_make_one_message() {
    let e = env(vec![FakeState::default()]).await;
    let fake = e.fakes[0].current.lock().clone().unwrap();
    for (seq, text) in [(3, "c"), (1, "a"), (2, "b")] {
        let i = fake.store(
            "SM",
            1,
            &TextCodec::deliver("+358409999999", 77, 3, seq, text),
        );
        fake.urc(&format!("+CMTI: \"SM\",{i}"));
    }
    e.until("one message", || {
        e.inbox().len() == 1 && e.sim_len(0, "SM") == 0
    })
    .await;
    assert_eq!(e.inbox()[0].text, "abc");
    assert_eq!(e.inbox()[0].parts, 3);
}

#[tokio::test]
async fn a_message_read_again_after_a_crash_should_be_deleted_without_a_duplicate() {
    let e = env(vec![FakeState::default()]).await;
    let pdu = TextCodec::deliver("+358409999999", 0, 1, 1, "once");
    // The previous process stored it, then died before AT+CMGD.
    e.store
        .receive_part(
            &hex::decode(&pdu).unwrap(),
            InboundPart {
                modem: "m0".into(),
                route: "sims".into(),
                from: "+358409999999".into(),
                from_type: crate::model::NumberType::Unknown,
                to: None,
                to_type: crate::model::NumberType::Unknown,
                sent_at: None,
                concat: None,
                text: "once".into(),
            },
            Timestamp::now(),
        )
        .unwrap();
    let fake = e.fakes[0].current.lock().clone().unwrap();
    let i = fake.store("SM", 0, &pdu);
    fake.urc(&format!("+CMTI: \"SM\",{i}"));
    e.until("deleted", || e.sim_len(0, "SM") == 0).await;
    assert_eq!(e.inbox().len(), 1);
}

#[tokio::test]
async fn a_modem_that_hangs_before_the_prompt_should_hand_the_part_to_another_modem() {
    let hung = FakeState {
        send_plan: vec![SendBehaviour::NoPrompt],
        ..FakeState::default()
    };
    let e = env(vec![hung, FakeState::default()]).await;
    let m = e.message("once only");
    let report = e
        .pool()
        .send(SendJob {
            message: m,
            parts: vec![1],
        })
        .await;
    assert!(
        matches!(report.parts[0].1, PartOutcome::Sent { .. }),
        "{report:?}"
    );
    let sent: usize = e.fakes.iter().map(|f| f.state.lock().sent.len()).sum();
    assert_eq!(sent, 1, "the part went out exactly once");
}

#[tokio::test]
async fn a_timeout_after_the_pdu_should_be_reported_unknown() {
    let e = env(vec![FakeState {
        send_plan: vec![SendBehaviour::NoResult],
        ..FakeState::default()
    }])
    .await;
    let m = e.message("maybe");
    let report = e
        .pool()
        .send(SendJob {
            message: m,
            parts: vec![1],
        })
        .await;
    assert!(
        matches!(report.parts[0].1, PartOutcome::Unknown { .. }),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_modem_unplugged_and_plugged_back_should_be_ready_again_without_a_restart() {
    let e = env(vec![FakeState::default()]).await;
    e.fakes[0].unplug();
    e.until("down", || {
        matches!(e.pool().readiness(), Readiness::Down(_))
    })
    .await;
    e.fakes[0].plug();
    e.until("ready again", || {
        matches!(e.pool().readiness(), Readiness::Ready { .. })
    })
    .await;
    let m = e.message("back");
    let report = e
        .pool()
        .send(SendJob {
            message: m,
            parts: vec![1],
        })
        .await;
    assert!(matches!(report.parts[0].1, PartOutcome::Sent { .. }));
}

#[tokio::test]
async fn an_unknown_outcome_under_resend_should_go_out_through_another_modem_marked_duplicate() {
    let e = env_with(
        vec![
            FakeState {
                send_plan: vec![SendBehaviour::NoResult],
                ..FakeState::default()
            },
            FakeState::default(),
        ],
        "unknown_outcome = \"resend\"\n",
    )
    .await;
    let m = e.message("twice?");
    let id = m.id;
    let report = e
        .pool()
        .send(SendJob {
            message: m,
            parts: vec![1],
        })
        .await;
    assert!(
        matches!(report.parts[0].1, PartOutcome::Sent { .. }),
        "{report:?}"
    );
    // The pool queued the duplicate mark before it reported.
    e.store.writer().applied().wait().await.unwrap();
    let stored = e.store.get(id).unwrap().unwrap();
    assert!(stored.parts[0].possible_duplicate);
    assert!(
        stored.history.iter().any(|h| h
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("modem m0") && r.contains("modem m1"))),
        "{:?}",
        stored.history
    );
}

#[tokio::test]
async fn an_unknown_outcome_under_wait_for_report_should_park_the_part_until_its_report() {
    let e = env_with(
        vec![
            FakeState {
                send_plan: vec![SendBehaviour::NoResult],
                ..FakeState::default()
            },
            FakeState::default(),
        ],
        "unknown_outcome = \"wait_for_report\"\n",
    )
    .await;
    let m = e.message("parked");
    let id = m.id;
    let to = m.to.as_str().to_string();
    let report = e
        .pool()
        .send(SendJob {
            message: m,
            parts: vec![1],
        })
        .await;
    assert!(
        matches!(report.parts[0].1, PartOutcome::Unconfirmed { .. }),
        "{report:?}"
    );
    // What the dispatcher records for `Unconfirmed`: the part unknown, the message sent.
    e.store
        .update(id, |m| {
            m.parts[0].status = PartStatus::Unknown;
            m.set_status(Status::Sent, Timestamp::now(), None);
            true
        })
        .unwrap();
    // No TP-MR is known; the report on m0 for that recipient resolves it.
    let input = crate::store::ReportInput {
        mr: 77,
        recipient: to,
        status: 0,
        part_status: PartStatus::Delivered,
    };
    let other = e
        .store
        .apply_status_report("m1", &input, Duration::from_secs(60), Timestamp::now())
        .unwrap();
    assert_eq!(other, crate::store::ReportMatch::NoMatch);
    let r = e
        .store
        .apply_status_report("m0", &input, Duration::from_secs(60), Timestamp::now())
        .unwrap();
    assert_eq!(r, crate::store::ReportMatch::Applied { id, part: 1 });
    let stored = e.store.get(id).unwrap().unwrap();
    assert_eq!(stored.parts[0].status, PartStatus::Delivered);
    assert_eq!(stored.status, Status::Delivered);
    assert!(!stored.parts[0].possible_duplicate);
}

#[tokio::test]
async fn an_unconfirmed_part_without_a_report_should_be_undelivered_when_validity_ends() {
    let e = env(vec![FakeState::default()]).await;
    let m = e.message("lost?");
    let id = m.id;
    e.store
        .update(id, |m| {
            m.parts[0].status = PartStatus::Unknown;
            m.set_status(Status::Sent, Timestamp::now(), None);
            true
        })
        .unwrap();
    let now = Timestamp::now();
    e.store
        .record_unconfirmed_part("m0", m.to.as_str(), id, 1, now)
        .unwrap();
    assert!(e.store.resolve_unconfirmed("m0", now).unwrap().is_empty());
    assert_eq!(
        e.store.get(id).unwrap().unwrap().parts[0].status,
        PartStatus::Unknown
    );
    let later = m.expires_at.plus(Duration::from_secs(1));
    assert_eq!(
        e.store.resolve_unconfirmed("m0", later).unwrap(),
        vec![(id, 1)]
    );
    let stored = e.store.get(id).unwrap().unwrap();
    assert_eq!(stored.parts[0].status, PartStatus::Undelivered);
    assert_eq!(stored.status, Status::Undelivered);
    // Resolved once.
    assert!(e.store.resolve_unconfirmed("m0", later).unwrap().is_empty());
}
