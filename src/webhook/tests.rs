//! The delivery worker against an in-memory receiver, under tokio's paused clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::sign::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use super::transport::{BoxFuture, HttpRequest, Transport};
use super::{Target, Webhooks};
use crate::api::submit::{SubmitRequest, SubmitRules};
use crate::config::{DeliveryConfig, MessagesConfig};
use crate::dispatch::{Clock, TokioClock};
use crate::model::{EventKind, MessageId, Status, Timestamp};
use crate::store::{NewMessage, Store};

const SECRET: &[u8] = b"a-secret-of-16-bytes-or-more";

/// One request the receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    event: u64,
    message: String,
    to: Option<String>,
    answered: u16,
}

/// A receiver that fails the first `fail_first` attempts of every event, checks signatures,
/// and can hang instead of answering.
#[derive(Debug, Default)]
struct Receiver {
    fail_first: u32,
    fail_all: AtomicBool,
    hang: bool,
    tries: Mutex<HashMap<u64, u32>>,
    log: Mutex<Vec<Seen>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Transport for Receiver {
    fn send(&self, req: HttpRequest) -> BoxFuture<Result<u16, String>> {
        let header = |n: &str| {
            req.headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert!(
            verify(
                SECRET,
                &header(TIMESTAMP_HEADER),
                &req.body,
                &header(SIGNATURE_HEADER)
            ),
            "signature does not verify"
        );
        let doc: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        let event = doc["id"].as_u64().unwrap();
        let n = {
            let mut tries = self.tries.lock();
            let n = tries.entry(event).or_default();
            *n += 1;
            *n
        };
        let answered = if n <= self.fail_first || self.fail_all.load(Ordering::SeqCst) {
            503
        } else {
            204
        };
        self.log.lock().push(Seen {
            event,
            message: doc["data"]["id"].as_str().unwrap().to_string(),
            to: doc["data"]["to"].as_str().map(str::to_string),
            answered,
        });
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        // Counts down when the request ends, answered or dropped by the sender's timeout.
        let guard = InFlight(self.in_flight.clone());
        let hang = self.hang;
        Box::pin(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if hang {
                std::future::pending::<()>().await;
            }
            Ok(answered)
        })
    }
}

struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn target(delivery: DeliveryConfig) -> Target {
    Target {
        name: "crm".into(),
        url: Some("http://127.0.0.1:9/hook".into()),
        secret: SECRET.to_vec(),
        events: vec![EventKind::MessageStatus, EventKind::MessageReceived],
        kind: super::TargetKind::Webhook,
        template: None,
        inbound: super::inbound_routes::InboundFilter::All,
        delivery,
        egress: None,
    }
}

fn pacing() -> DeliveryConfig {
    DeliveryConfig {
        timeout: Duration::from_secs(5),
        retry_base: Duration::from_secs(2),
        retry_max: Duration::from_secs(60),
        retry_for: Duration::from_secs(3600),
        max_in_flight: 4,
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    stop: CancellationToken,
    clock: Arc<TokioClock>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 8 << 20).unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(store.group_commit().run(stop.clone()));
    Fixture {
        _dir: dir,
        store,
        stop,
        clock: Arc::new(TokioClock::starting_at(Timestamp(1_700_000_000_000))),
    }
}

impl Fixture {
    /// Starts `target` and waits until the writer has fixed its cursor: the fixture's own
    /// writes go to the store directly, not through the writer, so one made before that
    /// would land before the cursor.
    async fn start(&self, target: Target, receiver: Arc<Receiver>) -> Arc<Webhooks> {
        let hooks = Webhooks::start(
            self.store.clone(),
            vec![target],
            receiver,
            self.clock.clone(),
            &TaskTracker::new(),
            self.stop.clone(),
        );
        self.store.writer().applied().wait().await.unwrap();
        hooks
    }

    /// Stores a message and moves it through `sending` and `sent`: three events.
    fn message_with_three_events(&self) -> MessageId {
        let rules = SubmitRules::new(&MessagesConfig::default());
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "+358401234567", "text": "hi"}))
                .unwrap();
        let m = rules.validate(req, Timestamp(1), |_| true).unwrap();
        let id = m.id;
        self.store
            .insert_outbound(vec![NewMessage {
                message: m,
                idempotency_key: None,
            }])
            .unwrap();
        for s in [Status::Sending, Status::Sent] {
            self.store
                .update(id, |m| {
                    m.set_status(s, Timestamp(2), None);
                    true
                })
                .unwrap();
        }
        id
    }
}

/// Waits (in paused time) until `done` holds, at most `limit` of virtual time.
async fn until(limit: Duration, done: impl Fn() -> bool) {
    let end = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < end,
            "condition not met in {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_receiver_failing_the_first_attempts_should_get_every_event_in_order_per_message() {
    let f = fixture();
    let receiver = Arc::new(Receiver {
        fail_first: 2,
        ..Default::default()
    });
    let hooks = f.start(target(pacing()), receiver.clone()).await;
    let ids: Vec<MessageId> = (0..5).map(|_| f.message_with_three_events()).collect();
    let acked = || {
        receiver
            .log
            .lock()
            .iter()
            .filter(|s| s.answered == 204)
            .count()
    };
    until(Duration::from_secs(600), || acked() == 15).await;

    let log = receiver.log.lock().clone();
    for id in &ids {
        let seen: Vec<&Seen> = log.iter().filter(|s| s.message == id.to_string()).collect();
        // Three events, each tried three times, never a later event before an earlier one
        // was acknowledged.
        assert_eq!(seen.len(), 9, "{seen:?}");
        assert!(
            seen.windows(2).all(|w| w[0].event <= w[1].event),
            "{seen:?}"
        );
        assert!(
            seen.windows(2)
                .all(|w| w[0].event == w[1].event || w[0].answered == 204)
        );
    }
    assert!(receiver.max_in_flight.load(Ordering::SeqCst) <= 4);
    until(Duration::from_secs(5), || hooks.backlog() == 0).await;
    assert_eq!(f.store.webhook_counts("crm").unwrap(), (0, 0));
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn an_event_failing_for_longer_than_retry_for_should_be_dead_lettered_and_replayable() {
    let f = fixture();
    let receiver = Arc::new(Receiver::default());
    receiver.fail_all.store(true, Ordering::SeqCst);
    let hooks = f
        .start(
            target(DeliveryConfig {
                retry_for: Duration::from_secs(60),
                ..pacing()
            }),
            receiver.clone(),
        )
        .await;
    f.message_with_three_events();
    until(Duration::from_secs(600), || {
        f.store.webhook_counts("crm").unwrap() == (0, 3)
    })
    .await;
    let dead = f.store.webhook_dead("crm", 10).unwrap();
    assert_eq!(dead[0].last_error.as_deref(), Some("HTTP 503"));
    assert!(dead[0].attempts >= 3, "backoff of 2s, 4s, 8s… within 60s");

    receiver.fail_all.store(false, Ordering::SeqCst);
    let revived = hooks
        .replay(&f.store, "crm", None, f.clock.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revived.len(), 3);
    until(Duration::from_secs(60), || {
        f.store.webhook_counts("crm").unwrap() == (0, 0)
    })
    .await;
    let ok: Vec<u64> = receiver
        .log
        .lock()
        .iter()
        .filter(|s| s.answered == 204)
        .map(|s| s.event)
        .collect();
    assert_eq!(ok.len(), 3);
    assert!(ok.windows(2).all(|w| w[0] < w[1]), "{ok:?}");
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_hanging_target_should_hold_at_most_max_in_flight_requests_and_time_them_out() {
    let f = fixture();
    let receiver = Arc::new(Receiver {
        hang: true,
        ..Default::default()
    });
    f.start(
        target(DeliveryConfig {
            max_in_flight: 2,
            ..pacing()
        }),
        receiver.clone(),
    )
    .await;
    for _ in 0..6 {
        f.message_with_three_events();
    }
    // Every request hangs until the timeout; retries keep coming, two at a time.
    until(Duration::from_secs(120), || receiver.log.lock().len() >= 12).await;
    assert_eq!(receiver.max_in_flight.load(Ordering::SeqCst), 2);
    f.stop.cancel();
}

/// A target decodes a message once for all its status events (`webhook::sent_messages`):
/// what a delivery takes from the message is fixed at acceptance. The probe changes the
/// stored record behind the store's back once the first event is delivered: the next
/// event's delivery still carries what was read for the first.
#[tokio::test(start_paused = true)]
async fn a_target_should_read_a_message_once_for_all_its_status_events() {
    let f = fixture();
    let receiver = Arc::new(Receiver::default());
    f.start(target(pacing()), receiver.clone()).await;
    let id = f.store.queue_for_test("+358401234567");
    until(Duration::from_secs(30), || receiver.log.lock().len() == 1).await;
    let mut changed = f.store.get(id).unwrap().unwrap();
    changed.to = serde_json::from_value(serde_json::json!("+358409999999")).unwrap();
    f.store.overwrite_for_test(&changed).unwrap();
    f.store
        .update(id, |m| {
            m.set_status(Status::Sending, Timestamp(2), None);
            true
        })
        .unwrap();
    until(Duration::from_secs(30), || receiver.log.lock().len() == 2).await;
    let log = receiver.log.lock().clone();
    let to: Vec<_> = log.iter().map(|s| s.to.as_deref()).collect();
    assert_eq!(to, [Some("+358401234567"), Some("+358401234567")]);
    assert_eq!(
        f.store.get(id).unwrap().unwrap().to.to_string(),
        "+358409999999"
    );
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_new_target_should_start_after_existing_events_and_skip_unwanted_kinds() {
    let f = fixture();
    f.message_with_three_events();
    let receiver = Arc::new(Receiver::default());
    let mut t = target(pacing());
    t.events = vec![EventKind::MessageReceived];
    f.start(t, receiver.clone()).await;
    f.message_with_three_events();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(receiver.log.lock().is_empty());
    assert_eq!(f.store.webhook_counts("crm").unwrap(), (0, 0));
    assert_eq!(
        f.store.webhook_cursor("crm").unwrap(),
        f.store.last_event_seq().unwrap()
    );
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn pruning_should_remove_only_old_events_that_every_target_has_read() {
    let f = fixture();
    f.message_with_three_events();
    f.message_with_three_events();
    let head = f.store.last_event_seq().unwrap();
    assert_eq!(f.store.events_after(0, 100).unwrap().len(), 6);
    // The test's events happened at 1–2 ms after the epoch: "before 3 ms" covers them all,
    // but only those up to the lowest cursor go.
    assert_eq!(f.store.prune_events(head - 3, Timestamp(3)).unwrap(), 3);
    assert_eq!(f.store.events_after(0, 100).unwrap().len(), 3);
    // Nothing at or after `before` is removed, whatever the cursor.
    assert_eq!(f.store.prune_events(head, Timestamp(1)).unwrap(), 0);
    assert_eq!(f.store.events_after(0, 100).unwrap().len(), 3);
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn the_pruner_should_remove_events_once_every_target_and_reader_has_read_them() {
    let f = fixture();
    // A target whose cursor is fixed before the events: it has read none of them.
    let fixed = f.store.writer().webhook_start("crm").wait().await.unwrap();
    assert_eq!(fixed, 0);
    f.message_with_three_events();
    f.message_with_three_events();
    let head = f.store.last_event_seq().unwrap();
    let reader = Arc::new(std::sync::atomic::AtomicU64::new(head));
    let read = reader.clone();
    tokio::spawn(super::prune_events(
        f.store.clone(),
        vec!["crm".into()],
        vec![Arc::new(move || read.load(Ordering::SeqCst))],
        f.stop.clone(),
    ));
    let remaining = || f.store.events_after(0, 100).unwrap().len();
    tokio::time::sleep(super::PRUNE_EVERY * 3).await;
    f.store.writer().applied().wait().await.unwrap();
    assert_eq!(remaining(), 6, "the target has read nothing");
    // The target reads everything; the other reader only the first message's events.
    reader.store(head - 3, Ordering::SeqCst);
    f.store
        .writer()
        .webhook_enqueue("crm", Vec::new(), head)
        .wait()
        .await
        .unwrap();
    tokio::time::sleep(super::PRUNE_EVERY * 3).await;
    f.store.writer().applied().wait().await.unwrap();
    assert_eq!(remaining(), 3);
    assert!(f.store.events_after(0, 100).unwrap()[0].seq > head - 3);
    reader.store(head, Ordering::SeqCst);
    tokio::time::sleep(super::PRUNE_EVERY * 3).await;
    f.store.writer().applied().wait().await.unwrap();
    assert_eq!(remaining(), 0);
    // New events after that are kept until read.
    f.message_with_three_events();
    tokio::time::sleep(super::PRUNE_EVERY * 3).await;
    f.store.writer().applied().wait().await.unwrap();
    assert_eq!(remaining(), 3);
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_client_chosen_url_into_the_gateways_network_should_never_be_requested() {
    let f = fixture();
    let receiver = Arc::new(Receiver::default());
    // A callback-like target (a client chose its URL) that points at loopback, with an
    // allow-list that does not cover it: every attempt fails before any request is made.
    let mut refused = target(DeliveryConfig {
        retry_for: Duration::from_secs(60),
        ..pacing()
    });
    refused.egress = Some(Arc::new(super::egress::EgressPolicy::new(&[
        "crm.lan".to_string()
    ])));
    f.start(refused, receiver.clone()).await;
    f.message_with_three_events();
    until(Duration::from_secs(600), || {
        f.store.webhook_counts("crm").unwrap() == (0, 3)
    })
    .await;
    let dead = f.store.webhook_dead("crm", 10).unwrap();
    let why = dead[0].last_error.clone().unwrap_or_default();
    assert!(why.contains("a loopback address"), "{why}");
    assert!(receiver.log.lock().is_empty(), "a request was made");
    f.stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn an_allow_listed_client_url_should_be_delivered() {
    let f = fixture();
    let receiver = Arc::new(Receiver::default());
    let mut allowed = target(pacing());
    allowed.egress = Some(Arc::new(super::egress::EgressPolicy::new(&[
        "127.0.0.1".to_string()
    ])));
    let hooks = f.start(allowed, receiver.clone()).await;
    f.message_with_three_events();
    until(Duration::from_secs(60), || receiver.log.lock().len() == 3).await;
    until(Duration::from_secs(5), || hooks.backlog() == 0).await;
    f.stop.cancel();
}

/// A per-message target passes over the events of a message that asked for no callback,
/// as the event says, without reading the message; a message that asked is read and called.
#[tokio::test(start_paused = true)]
async fn a_callback_target_should_pass_over_messages_that_asked_for_none_without_reading_them() {
    let f = fixture();
    let receiver = Arc::new(Receiver::default());
    let mut callbacks = target(pacing());
    callbacks.kind = super::TargetKind::Callback;
    callbacks.url = None;
    callbacks.events = vec![EventKind::MessageStatus];
    f.start(callbacks, receiver.clone()).await;
    let with_url = |id: MessageId, url: &str| {
        let mut m = f.store.get(id).unwrap().unwrap();
        m.callback_url = Some(url.into());
        f.store.overwrite_for_test(&m).unwrap();
    };
    // Its three events say "no callback"; read after them, the message would say otherwise.
    let quiet = f.message_with_three_events();
    with_url(quiet, "http://127.0.0.1:9/quiet");
    let asked = f.store.queue_for_test("+358409999999");
    with_url(asked, "http://127.0.0.1:9/asked");
    f.store
        .update(asked, |m| {
            m.set_status(Status::Sending, Timestamp(3), None);
            true
        })
        .unwrap();
    // Its `queued` event came before the URL was set: only `sending` is called back.
    until(Duration::from_secs(60), || !receiver.log.lock().is_empty()).await;
    let hooks_done = || f.store.webhook_counts("crm").unwrap() == (0, 0);
    until(Duration::from_secs(60), hooks_done).await;
    let log = receiver.log.lock().clone();
    assert!(
        log.len() == 1 && log.iter().all(|s| s.message == asked.to_string()),
        "{log:?}"
    );
    // An event of an earlier build says nothing: the message decides.
    let mut old = crate::model::Event {
        seq: 1,
        at: Timestamp(1),
        kind: EventKind::MessageStatus,
        message_id: quiet,
        status: Some(Status::Sent),
        reason: None,
        parts: Vec::new(),
        attempts: 0,
        asks: None,
    };
    assert!(old.may_ask(crate::model::Event::ASKS_CALLBACK));
    old.asks = Some(crate::model::Event::ASKS_DLR);
    assert!(!old.may_ask(crate::model::Event::ASKS_CALLBACK));
    assert!(old.may_ask(crate::model::Event::ASKS_DLR));
    f.stop.cancel();
}
