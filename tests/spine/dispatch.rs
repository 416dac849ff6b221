//! The dispatcher against route doubles, on tokio's paused clock: shaping, daily caps across
//! restarts, retries, failover, expiry, priority and unknown outcomes.

use std::sync::Arc;
use std::time::Duration;

use smsgw::config::Config;
use smsgw::dispatch::{DispatchHandle, Dispatcher, PartOutcome, Route, TokioClock};
use smsgw::model::{MessageId, OutboundMessage, PartStatus, Status, Timestamp};
use smsgw::store::Store;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::fake_route::FakeRoute;
use crate::support::{config, insert, message, message_from, reopen, temp_store};

/// Noon UTC on a fixed day, so no test crosses a midnight by accident.
const T0: Timestamp = Timestamp(20_000 * 86_400_000 + 12 * 3_600_000);

struct Running {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    handle: DispatchHandle,
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        for t in self.tasks {
            t.await.unwrap();
        }
    }
}

fn start(store: &Arc<Store>, routes: Vec<Arc<dyn Route>>, config: &Config) -> Running {
    let stop = CancellationToken::new();
    let clock = Arc::new(TokioClock::starting_at(T0));
    let commit = tokio::spawn(store.group_commit().run(stop.clone()));
    let (dispatcher, handle) = Dispatcher::new(store.clone(), routes, config, clock).unwrap();
    let dispatch = tokio::spawn(dispatcher.run(stop.clone(), Duration::from_secs(5)));
    Running {
        stop,
        tasks: vec![dispatch, commit],
        handle,
    }
}

/// Waits (in paused tokio time) until `cond` holds, at most `limit`. Each look first lets
/// the store's writer apply what was queued before it: the writer runs on a thread of its
/// own, which the paused clock does not wait for, so without this a slow machine would see
/// paused time run out while an outcome is still on its way to the store.
async fn wait_for(store: &Store, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        store.writer().applied().wait().await.unwrap();
        if cond() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn status(store: &Store, id: MessageId) -> Status {
    store.get(id).unwrap().unwrap().status
}

fn one_route(extra: &str) -> Config {
    config(&format!(
        r#"
        [messages]
        default_country = "358"
        retry_base = "10s"
        retry_max = "1m"
        {extra}
        [[routes]]
        name = "r"
        type = "smpp"
        [[rules]]
        prefix = ""
        routes = ["r"]
        "#
    ))
}

fn shaped(rate: &str, burst: u32, daily: Option<u32>) -> Config {
    let daily = daily
        .map(|d| format!("daily_limit = {d}"))
        .unwrap_or_default();
    config(&format!(
        r#"
        [messages]
        default_country = "358"
        [[routes]]
        name = "r"
        type = "smpp"
        rate = "{rate}"
        burst = {burst}
        {daily}
        [[rules]]
        prefix = ""
        routes = ["r"]
        "#
    ))
}

fn many(config: &Config, n: usize) -> Vec<OutboundMessage> {
    (0..n)
        .map(|i| message(config, &format!("+35840{:07}", i), "hello", T0))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_route_at_10_per_second_should_never_exceed_rate_plus_burst_in_any_second() {
    let (_dir, store) = temp_store();
    let config = shaped("10/s", 5, None);
    insert(&store, many(&config, 100));
    let route = Arc::new(FakeRoute::accepting("r", 1000));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(60), || {
        route.sends().len() == 100
    })
    .await;
    run.stop().await;

    let times: Vec<_> = route.sends().iter().map(|s| s.at).collect();
    for (i, &t) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|&&u| u < t + Duration::from_secs(1))
            .count();
        assert!(in_window <= 10 + 5, "{in_window} sends within one second");
    }
    let span = *times.last().unwrap() - times[0];
    // 100 messages at 10/s after a burst of 5 take at least 9.5 s.
    assert!(span >= Duration::from_millis(9_400), "took only {span:?}");
}

#[tokio::test(start_paused = true)]
async fn the_daily_limit_should_hold_across_a_restart() {
    let (dir, store) = temp_store();
    let config = shaped("1000/s", 10, Some(3));
    let msgs = insert(&store, many(&config, 5));
    let route = Arc::new(FakeRoute::accepting("r", 10));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(10), || route.sends().len() == 3).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(route.sends().len(), 3);
    run.stop().await;
    store.flush_blocking().unwrap();
    drop(store);

    let store = reopen(&dir);
    assert_eq!(store.usage("r", T0.utc_day()).unwrap(), 3);
    let route = Arc::new(FakeRoute::accepting("r", 10));
    let run = start(&store, vec![route.clone()], &config);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(route.sends().is_empty(), "the cap was reset by the restart");
    let waiting = msgs
        .iter()
        .filter(|m| status(&store, m.id) == Status::Queued)
        .count();
    assert_eq!(waiting, 2);
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn temporary_errors_should_be_retried_with_growing_delays_until_sent() {
    let (_dir, store) = temp_store();
    let config = one_route("max_attempts = 5");
    let m = insert(&store, many(&config, 1)).remove(0);
    let route = Arc::new(FakeRoute::with_policy(
        "r",
        1,
        Box::new(|n, _| {
            if n <= 2 {
                PartOutcome::Temporary {
                    reason: "+CMS ERROR: 42".into(),
                }
            } else {
                PartOutcome::Sent { remote_id: None }
            }
        }),
    ));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(300), || {
        status(&store, m.id) == Status::Sent
    })
    .await;
    run.stop().await;

    let sends = route.sends();
    assert_eq!(sends.len(), 3);
    let gap1 = sends[1].at - sends[0].at;
    let gap2 = sends[2].at - sends[1].at;
    assert!(
        gap1 >= Duration::from_secs(5) && gap1 <= Duration::from_secs(11),
        "{gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_secs(10) && gap2 <= Duration::from_secs(21),
        "{gap2:?}"
    );
    let stored = store.get(m.id).unwrap().unwrap();
    assert_eq!(stored.attempts.count, 3);
    let retries = stored
        .history
        .iter()
        .filter(|h| h.reason.as_deref().unwrap_or("").contains("+CMS ERROR: 42"))
        .count();
    assert_eq!(retries, 2);
}

#[tokio::test(start_paused = true)]
async fn a_message_should_fail_after_max_attempts_with_the_last_error() {
    let (_dir, store) = temp_store();
    let config = one_route("max_attempts = 3");
    let m = insert(&store, many(&config, 1)).remove(0);
    let route = Arc::new(FakeRoute::with_policy(
        "r",
        1,
        Box::new(|_, _| PartOutcome::Temporary {
            reason: "network busy".into(),
        }),
    ));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(600), || {
        status(&store, m.id) == Status::Failed
    })
    .await;
    run.stop().await;
    assert_eq!(route.sends().len(), 3);
    let reason = store
        .get(m.id)
        .unwrap()
        .unwrap()
        .history
        .last()
        .unwrap()
        .reason
        .clone()
        .unwrap();
    assert!(
        reason.contains("gave up after 3 attempts") && reason.contains("network busy"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_should_fail_at_once_with_its_reason() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let m = insert(&store, many(&config, 1)).remove(0);
    let route = Arc::new(FakeRoute::with_policy(
        "r",
        1,
        Box::new(|_, _| PartOutcome::Permanent {
            reason: "ESME_RINVDSTADR".into(),
        }),
    ));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(10), || {
        status(&store, m.id) == Status::Failed
    })
    .await;
    tokio::time::sleep(Duration::from_secs(120)).await;
    run.stop().await;
    assert_eq!(route.sends().len(), 1);
    let stored = store.get(m.id).unwrap().unwrap();
    assert!(
        stored
            .history
            .last()
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("ESME_RINVDSTADR")
    );
    assert_eq!(stored.parts[0].status, PartStatus::Failed);
}

fn two_routes() -> Config {
    config(
        r#"
        [messages]
        default_country = "358"
        retry_base = "10s"
        [[routes]]
        name = "a"
        type = "modem_pool"
        [[routes]]
        name = "b"
        type = "smpp"
        [[rules]]
        prefix = "+358"
        routes = ["a", "b"]
        "#,
    )
}

#[tokio::test(start_paused = true)]
async fn a_route_that_is_down_should_fail_over_to_the_next_one() {
    let (_dir, store) = temp_store();
    let config = two_routes();
    let m = insert(&store, many(&config, 1)).remove(0);
    let a = Arc::new(FakeRoute::accepting("a", 1));
    a.set_down(true);
    let b = Arc::new(FakeRoute::accepting("b", 1));
    let run = start(&store, vec![a.clone(), b.clone()], &config);
    wait_for(&store, Duration::from_secs(10), || {
        status(&store, m.id) == Status::Sent
    })
    .await;
    run.stop().await;
    assert!(a.sends().is_empty());
    assert_eq!(b.sends().len(), 1);
    assert_eq!(
        store.get(m.id).unwrap().unwrap().parts[0].route.as_deref(),
        Some("b")
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_a_temporary_refusal_should_try_the_next_route_first() {
    let (_dir, store) = temp_store();
    let config = two_routes();
    let m = insert(&store, many(&config, 1)).remove(0);
    let a = Arc::new(FakeRoute::with_policy(
        "a",
        1,
        Box::new(|_, _| PartOutcome::Temporary {
            reason: "+CMS ERROR: 500".into(),
        }),
    ));
    let b = Arc::new(FakeRoute::accepting("b", 1));
    let run = start(&store, vec![a.clone(), b.clone()], &config);
    wait_for(&store, Duration::from_secs(120), || {
        status(&store, m.id) == Status::Sent
    })
    .await;
    run.stop().await;
    assert_eq!(a.sends().len(), 1);
    assert_eq!(b.sends().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_message_that_cannot_be_sent_in_its_validity_should_expire_unsent() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let m = insert(
        &store,
        vec![message_from(
            &config,
            serde_json::json!({"to": "+358401234567", "text": "hi", "validity": "90s"}),
            T0,
        )],
    )
    .remove(0);
    let route = Arc::new(FakeRoute::accepting("r", 1));
    route.set_down(true);
    let run = start(&store, vec![route.clone()], &config);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(status(&store, m.id), Status::Queued);
    wait_for(&store, Duration::from_secs(60), || {
        status(&store, m.id) == Status::Expired
    })
    .await;
    run.stop().await;
    assert!(route.sends().is_empty());
}

#[tokio::test(start_paused = true)]
async fn scheduled_messages_should_wait_for_send_at() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let at = T0.plus(Duration::from_secs(3600));
    let m = insert(
        &store,
        vec![message_from(
            &config,
            serde_json::json!({"to": "+358401234567", "text": "hi", "send_at": at.to_rfc3339()}),
            T0,
        )],
    )
    .remove(0);
    assert_eq!(m.status, Status::Scheduled);
    let route = Arc::new(FakeRoute::accepting("r", 1));
    let run = start(&store, vec![route.clone()], &config);
    tokio::time::sleep(Duration::from_secs(3590)).await;
    assert!(route.sends().is_empty());
    wait_for(&store, Duration::from_secs(30), || {
        status(&store, m.id) == Status::Sent
    })
    .await;
    run.stop().await;
    let sent_at = route.sends()[0].at;
    assert!(sent_at.elapsed() < Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn due_messages_should_go_highest_priority_first_then_oldest() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let body = |to: &str, p: &str| serde_json::json!({"to": to, "text": "x", "priority": p});
    // All due before the dispatcher starts, created in this order.
    let at = |ms: u64| Timestamp(T0.as_millis() - 10 + ms);
    let normal1 = message_from(&config, body("+358401000001", "normal"), at(0));
    let normal2 = message_from(&config, body("+358401000002", "normal"), at(1));
    let low = message_from(&config, body("+358401000003", "low"), at(2));
    let high = message_from(&config, body("+358401000004", "high"), at(3));
    let ids = [high.id, normal1.id, normal2.id, low.id];
    insert(&store, vec![normal1, normal2, low, high]);
    let route = Arc::new(FakeRoute::accepting("r", 1));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(10), || route.sends().len() == 4).await;
    run.stop().await;
    let order: Vec<_> = route.sends().iter().map(|s| s.id).collect();
    assert_eq!(order, ids);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_outcome_should_be_resent_marked_as_a_possible_duplicate() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let m = insert(&store, many(&config, 1)).remove(0);
    let route = Arc::new(FakeRoute::with_policy(
        "r",
        1,
        Box::new(|n, _| {
            if n == 1 {
                PartOutcome::Unknown {
                    reason: "no answer within 300 s after the PDU".into(),
                }
            } else {
                PartOutcome::Sent { remote_id: None }
            }
        }),
    ));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(120), || {
        status(&store, m.id) == Status::Sent
    })
    .await;
    run.stop().await;
    let sends = route.sends();
    assert!(!sends[0].possible_duplicate);
    assert!(sends[1].possible_duplicate);
    assert!(store.get(m.id).unwrap().unwrap().parts[0].possible_duplicate);
}

#[tokio::test(start_paused = true)]
async fn messages_without_a_matching_rule_should_fail_with_the_reason() {
    let (_dir, store) = temp_store();
    let config = config(
        r#"
        [[routes]]
        name = "r"
        type = "smpp"
        [[rules]]
        prefix = "+46"
        routes = ["r"]
        "#,
    );
    let m = insert(&store, vec![message(&config, "+358401234567", "hi", T0)]).remove(0);
    let route = Arc::new(FakeRoute::accepting("r", 1));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(10), || {
        status(&store, m.id) == Status::Failed
    })
    .await;
    run.stop().await;
    let reason = store
        .get(m.id)
        .unwrap()
        .unwrap()
        .history
        .last()
        .unwrap()
        .reason
        .clone()
        .unwrap();
    assert!(reason.contains("no routing rule"), "{reason}");
}

/// Submits one message a millisecond for 200 ms (each waking the dispatcher, as the API
/// does) and returns how many queue scans that cost.
async fn scans_during_intake(store: &Store, config: &Config, run: &Running) -> u64 {
    let before = run.handle.queue_scans();
    for i in 0..200 {
        insert(
            store,
            vec![message(config, &format!("+35850{i:07}"), "later", T0)],
        );
        run.handle.notify();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    run.handle.queue_scans() - before
}

#[tokio::test(start_paused = true)]
async fn submissions_while_every_route_is_full_should_not_each_cost_a_queue_scan() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let first = insert(&store, many(&config, 1)).remove(0);
    let mut route = FakeRoute::accepting("r", 1);
    let hold = Arc::new(tokio::sync::Semaphore::new(0));
    route.hold = Some(hold.clone());
    let route = Arc::new(route);
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(5), || route.sends().len() == 1).await;
    // Under heavy intake a full scan per wake-up used to starve the sends themselves.
    let scans = scans_during_intake(&store, &config, &run).await;
    assert!(
        scans <= 2,
        "{scans} scans for 200 submissions to a full route"
    );
    // Room again: the backlog goes at once, not at the next idle scan.
    hold.add_permits(1_000);
    wait_for(&store, Duration::from_millis(500), || {
        route.sends().len() == 201
    })
    .await;
    run.stop().await;
    assert_eq!(status(&store, first.id), Status::Sent);
}

#[tokio::test(start_paused = true)]
async fn submissions_while_every_route_waits_for_a_token_should_not_each_cost_a_queue_scan() {
    let (_dir, store) = temp_store();
    let config = shaped("1/s", 1, None);
    insert(&store, many(&config, 1));
    let route = Arc::new(FakeRoute::accepting("r", 10));
    let run = start(&store, vec![route.clone()], &config);
    wait_for(&store, Duration::from_secs(5), || route.sends().len() == 1).await;
    let scans = scans_during_intake(&store, &config, &run).await;
    assert!(
        scans <= 2,
        "{scans} scans for 200 submissions to a shaped route"
    );
    // The next token still sends the next message.
    wait_for(&store, Duration::from_secs(2), || route.sends().len() == 2).await;
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn sends_waiting_for_their_hand_over_flush_should_count_against_the_route_capacity() {
    let (_dir, store) = temp_store();
    let config = one_route("");
    let msgs = insert(&store, many(&config, 20));
    let route = Arc::new(FakeRoute::accepting("r", 4));
    // No group-commit flusher yet: hand-overs are written but never made durable, so no send
    // reaches the route, whose own count of free slots stays at 4 meanwhile.
    let stop = CancellationToken::new();
    let clock = Arc::new(TokioClock::starting_at(T0));
    let routes: Vec<Arc<dyn Route>> = vec![route.clone()];
    let (dispatcher, handle) = Dispatcher::new(store.clone(), routes, &config, clock).unwrap();
    let dispatch = tokio::spawn(dispatcher.run(stop.clone(), Duration::from_secs(5)));
    wait_for(&store, Duration::from_secs(10), || {
        store.count_in_status(Status::Sending) >= 4
    })
    .await;
    for _ in 0..5 {
        handle.notify();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert_eq!(store.count_in_status(Status::Sending), 4);
    assert!(route.sends().is_empty());

    let commit = tokio::spawn(store.group_commit().run(stop.clone()));
    wait_for(&store, Duration::from_secs(60), || {
        msgs.iter().all(|m| status(&store, m.id) == Status::Sent)
    })
    .await;
    assert_eq!(route.sends().len(), 20);
    stop.cancel();
    dispatch.await.unwrap();
    commit.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_brand_sender_should_go_to_the_link_that_can_carry_it_never_to_a_modem() {
    let (_dir, store) = temp_store();
    let mut config = two_routes();
    config.rules.push(smsgw::config::RuleConfig {
        prefix: "+46".into(),
        routes: vec!["a".into()],
    });
    let brand = |to: &str| {
        message_from(
            &config,
            serde_json::json!({"to": to, "text": "Your table is ready", "from": "Bistro"}),
            T0,
        )
    };
    let numeric = message(&config, "+358401234568", "hello", T0);
    let ms = insert(
        &store,
        vec![brand("+358401234567"), numeric, brand("+46701234567")],
    );
    // The modem pool "a" is first in the rule and has room: the brand message still goes to
    // the SMPP link "b", the numeric one to the pool.
    let a = Arc::new(FakeRoute::accepting("a", 4));
    let b = Arc::new(FakeRoute::accepting("b", 4));
    let run = start(&store, vec![a.clone(), b.clone()], &config);
    wait_for(&store, Duration::from_secs(10), || {
        status(&store, ms[0].id) == Status::Sent && status(&store, ms[1].id) == Status::Sent
    })
    .await;
    wait_for(&store, Duration::from_secs(10), || {
        status(&store, ms[2].id) == Status::Failed
    })
    .await;
    run.stop().await;
    let route_of = |m: &OutboundMessage| {
        store.get(m.id).unwrap().unwrap().parts[0]
            .route
            .clone()
            .unwrap_or_default()
    };
    assert_eq!(route_of(&ms[0]), "b");
    assert_eq!(route_of(&ms[1]), "a");
    // Only modems serve +46: a stored brand message fails with the reason, unsent.
    let failed = store.get(ms[2].id).unwrap().unwrap();
    let reason = failed.history.last().unwrap().reason.clone().unwrap();
    assert!(reason.contains("brand name"), "{reason}");
    assert_eq!(a.sends().len(), 1);
    assert_eq!(b.sends().len(), 1);
    // The API refuses such a message before storing it.
    let rules = smsgw::api::submit::SubmitRules::from_config(&config);
    let req = serde_json::from_value(
        serde_json::json!({"to": "+46701234567", "text": "hi", "from": "Bistro"}),
    )
    .unwrap();
    let err = rules.validate(req, T0, |_| true).unwrap_err();
    assert_eq!((err.status.as_u16(), err.code), (422, "sender_not_allowed"));
    let req = serde_json::from_value(
        serde_json::json!({"to": "+358401234567", "text": "hi", "from": "Bistro"}),
    )
    .unwrap();
    assert!(rules.validate(req, T0, |_| true).is_ok());
}
