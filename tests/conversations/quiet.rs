//! Quiet hours in the dispatcher, with the clock held by the test (tokio's paused time behind
//! `TokioClock`), never the wall clock.

use std::sync::Arc;
use std::time::Duration;

use smsgw::config::Config;
use smsgw::dispatch::{Dispatcher, Route, TokioClock};
use smsgw::model::{MessageId, Status, Timestamp};
use smsgw::store::Store;
use tokio_util::sync::CancellationToken;

use crate::fake_route::FakeRoute;
use crate::support::{config, insert, message_from, temp_store};

/// Monday 23 November 2026, 06:30 UTC: 08:30 in Helsinki (UTC+2), 06:30 in Lisbon (UTC+0).
const T0: Timestamp = Timestamp(1_795_415_400_000);
/// 08:00 in Lisbon that day.
const LISBON_OPENS: Timestamp = Timestamp(1_795_420_800_000);

const HELSINKI: &str = "+358401234567";
const LISBON: &str = "+351912345678";

fn quiet_config() -> Config {
    config(
        r#"
        [messages]
        default_country = "358"
        [quiet_hours]
        window = "08:00-21:00"
        default_zone = "Europe/Helsinki"
        [[routes]]
        name = "r"
        type = "smpp"
        [[rules]]
        prefix = ""
        routes = ["r"]
        "#,
    )
}

fn status(store: &Store, id: MessageId) -> Status {
    store.get(id).unwrap().unwrap().status
}

fn sent_ids(route: &FakeRoute) -> Vec<MessageId> {
    route.sends().iter().map(|s| s.id).collect()
}

#[test]
fn the_test_instants_should_be_what_their_comments_say() {
    let t: jiff::Timestamp = "2026-11-23T06:30:00Z".parse().unwrap();
    assert_eq!(t.as_millisecond() as u64, T0.as_millis());
    let t: jiff::Timestamp = "2026-11-23T08:00:00Z".parse().unwrap();
    assert_eq!(t.as_millisecond() as u64, LISBON_OPENS.as_millis());
}

#[tokio::test(start_paused = true)]
async fn at_one_instant_helsinki_should_get_its_message_and_lisbon_wait_for_eight_local() {
    let (_dir, store) = temp_store();
    let cfg = quiet_config();
    let body = |to: &str, urgent: bool| serde_json::json!({"to": to, "text": "Hei / Olá", "urgent": urgent});
    let msgs = insert(
        &store,
        vec![
            message_from(&cfg, body(HELSINKI, false), T0),
            message_from(&cfg, body(LISBON, false), T0),
            message_from(&cfg, body(LISBON, true), T0),
        ],
    );
    let (fi, pt, urgent) = (msgs[0].id, msgs[1].id, msgs[2].id);
    let route = Arc::new(FakeRoute::accepting("r", 10));
    let stop = CancellationToken::new();
    let commit = tokio::spawn(store.group_commit().run(stop.clone()));
    let clock = Arc::new(TokioClock::starting_at(T0));
    let routes: Vec<Arc<dyn Route>> = vec![route.clone()];
    let (dispatcher, _h) = Dispatcher::new(store.clone(), routes, &cfg, clock).unwrap();
    let task = tokio::spawn(dispatcher.run(stop.clone(), Duration::from_secs(1)));

    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = sent_ids(&route);
    assert!(
        sent.contains(&fi),
        "Helsinki is at 08:30: inside the window"
    );
    assert!(sent.contains(&urgent), "urgent messages ignore quiet hours");
    assert!(!sent.contains(&pt), "Lisbon is at 06:30: quiet");
    let m = store.get(pt).unwrap().unwrap();
    assert_eq!(m.status, Status::Scheduled);
    let reason = m.history.last().unwrap().reason.clone().unwrap();
    assert!(reason.starts_with("quiet_hours"), "{reason}");
    assert!(reason.contains("Europe/Lisbon"), "{reason}");
    assert_eq!(m.due_at(), LISBON_OPENS);

    // One minute before eight in Lisbon it still waits; just after, it has gone.
    tokio::time::sleep(Duration::from_secs(88 * 60)).await;
    assert!(
        !sent_ids(&route).contains(&pt),
        "sent before 08:00 Lisbon time"
    );
    assert_eq!(status(&store, pt), Status::Scheduled);
    tokio::time::sleep(Duration::from_secs(2 * 60)).await;
    assert!(
        sent_ids(&route).contains(&pt),
        "not sent after 08:00 Lisbon time"
    );

    stop.cancel();
    task.await.unwrap();
    commit.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn without_quiet_hours_every_message_should_go_at_once() {
    let (_dir, store) = temp_store();
    let cfg = config(
        "[messages]\ndefault_country = \"358\"\n[[routes]]\nname = \"r\"\ntype = \"smpp\"\n\
         [[rules]]\nprefix = \"\"\nroutes = [\"r\"]\n",
    );
    let m = insert(
        &store,
        vec![message_from(
            &cfg,
            serde_json::json!({"to": LISBON, "text": "x"}),
            T0,
        )],
    );
    let route = Arc::new(FakeRoute::accepting("r", 10));
    let stop = CancellationToken::new();
    let commit = tokio::spawn(store.group_commit().run(stop.clone()));
    let routes: Vec<Arc<dyn Route>> = vec![route.clone()];
    let (d, _h) = Dispatcher::new(
        store.clone(),
        routes,
        &cfg,
        Arc::new(TokioClock::starting_at(T0)),
    )
    .unwrap();
    let task = tokio::spawn(d.run(stop.clone(), Duration::from_secs(1)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sent_ids(&route), vec![m[0].id]);
    stop.cancel();
    task.await.unwrap();
    commit.await.unwrap();
}
