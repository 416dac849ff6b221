//! The store: group commit, indexes, idempotency, restart recovery and events.

use std::sync::Arc;

use smsgw::model::{EventKind, PartStatus, Status, Timestamp};
use smsgw::store::{Inserted, ListFilter, NewMessage};
use tokio_util::sync::CancellationToken;

use crate::support::{config, insert, message, raw_sled, received, reopen, temp_store};

fn demo() -> smsgw::config::Config {
    config("[messages]\ndefault_country = \"358\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_durable_writers_should_share_far_fewer_flushes() {
    let (_dir, store) = temp_store();
    let stop = CancellationToken::new();
    let flusher = tokio::spawn(store.group_commit().run(stop.clone()));
    let config = demo();
    let before = store.group_commit().flush_count();
    const WRITERS: usize = 256;
    let mut tasks = Vec::new();
    for i in 0..WRITERS {
        let store = store.clone();
        let m = message(&config, &format!("+35840{i:07}"), "hi", Timestamp::now());
        tasks.push(tokio::spawn(async move {
            insert(&store, vec![m]);
            store.durable().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let flushes = store.group_commit().flush_count() - before;
    stop.cancel();
    flusher.await.unwrap();
    assert!(flushes >= 1);
    assert!(
        flushes <= (WRITERS / 4) as u64,
        "{WRITERS} writers caused {flushes} flushes"
    );
}

#[test]
fn a_repeated_idempotency_key_should_return_the_original_message() {
    let (_dir, store) = temp_store();
    let config = demo();
    let now = Timestamp::now();
    let first = message(&config, "+358401234567", "once", now);
    let second = message(&config, "+358401234567", "once", now);
    let key = Some("booking-42-reminder".to_string());
    let a = store
        .insert_outbound(vec![NewMessage {
            message: first.clone(),
            idempotency_key: key.clone(),
        }])
        .unwrap();
    let b = store
        .insert_outbound(vec![NewMessage {
            message: second,
            idempotency_key: key,
        }])
        .unwrap();
    assert!(matches!(&a[0], Inserted::New(m) if m.id == first.id));
    assert!(matches!(&b[0], Inserted::Existing(m) if m.id == first.id));
    let all = store
        .list(&ListFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

#[test]
fn listing_should_use_indexes_and_page_newest_first() {
    let (_dir, store) = temp_store();
    let config = demo();
    let t = Timestamp::now();
    let mut msgs = Vec::new();
    for i in 0..5u64 {
        msgs.push(message(&config, "+358401111111", "a", Timestamp(t.0 + i)));
    }
    msgs.push(message(&config, "+358402222222", "b", Timestamp(t.0 + 10)));
    let msgs = insert(&store, msgs);
    store
        .update(msgs[0].id, |m| {
            m.set_status(Status::Canceled, t, None);
            true
        })
        .unwrap();

    let page1 = store
        .list(&ListFilter {
            to: Some("+358401111111".into()),
            limit: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        page1.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![msgs[4].id, msgs[3].id, msgs[2].id]
    );
    let page2 = store
        .list(&ListFilter {
            to: Some("+358401111111".into()),
            before: page1.next_cursor,
            limit: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page2.items.len(), 2);
    assert!(page2.next_cursor.is_none());

    let canceled = store
        .list(&ListFilter {
            status: Some(Status::Canceled),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(canceled.items.len(), 1);
    assert_eq!(canceled.items[0].id, msgs[0].id);
    // The update moved the status and due entries and kept the recipient entry.
    let due = store.due(Timestamp(t.0 + 1_000), 100);
    assert_eq!(due.len(), 5);
    assert!(!due.contains(&msgs[0].id));
    assert_eq!(page2.items[1].id, msgs[0].id);
    let counts = store.count_by_status().unwrap();
    assert!(counts.contains(&(Status::Queued, 5)));
    assert!(counts.contains(&(Status::Canceled, 1)));
}

#[test]
fn the_due_queue_should_come_back_from_the_journal_alone_after_a_restart() {
    let (dir, store) = temp_store();
    let config = demo();
    let now = Timestamp::now();
    let msgs = insert(
        &store,
        (0..4)
            .map(|i| message(&config, &format!("+35840123456{i}"), "hi", now))
            .collect(),
    );
    store
        .update(msgs[1].id, |m| {
            m.set_status(Status::Sending, now, Some("via r".into()));
            true
        })
        .unwrap();
    // Durable in the journal, never checkpointed into sled: the start replays it.
    store.group_commit().flush_blocking().unwrap();
    drop(store);

    let store = reopen(&dir);
    let want: Vec<_> = [0, 2, 3].iter().map(|&i| msgs[i].id).collect();
    let mut due = store.due(now, 10);
    due.sort();
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(due, sorted);
    assert_eq!(store.due_iter(now).count(), 3);
    assert_eq!(store.next_due_after(now), None);
}

#[test]
fn messages_left_sending_should_be_requeued_as_possible_duplicates_after_a_restart() {
    let (dir, store) = temp_store();
    let config = demo();
    let now = Timestamp::now();
    let m = insert(&store, vec![message(&config, "+358401234567", "hi", now)]).remove(0);
    store
        .update(m.id, |m| {
            m.set_status(Status::Sending, now, Some("via r".into()));
            true
        })
        .unwrap();
    assert!(store.due(now, 10).is_empty());
    store.flush_blocking().unwrap();
    drop(store);

    let store = reopen(&dir);
    assert_eq!(store.requeue_in_flight(now).unwrap(), 1);
    let back = store.get(m.id).unwrap().unwrap();
    assert_eq!(back.status, Status::Queued);
    assert!(back.parts[0].possible_duplicate);
    assert_eq!(back.parts[0].status, PartStatus::Pending);
    assert_eq!(store.due(now, 10), vec![m.id]);
}

#[test]
fn every_status_change_should_append_an_event_in_order() {
    let (_dir, store) = temp_store();
    let config = demo();
    let now = Timestamp::now();
    let m = insert(&store, vec![message(&config, "+358401234567", "hi", now)]).remove(0);
    for s in [Status::Sending, Status::Sent] {
        store
            .update(m.id, |msg| {
                msg.set_status(s, now, None);
                true
            })
            .unwrap();
    }
    let events = store.events_after(0, 100).unwrap();
    let statuses: Vec<_> = events.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        vec![
            Some(Status::Queued),
            Some(Status::Sending),
            Some(Status::Sent)
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.kind == EventKind::MessageStatus && e.message_id == m.id)
    );
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[test]
fn a_store_from_a_newer_version_should_be_refused() {
    let (dir, store) = temp_store();
    drop(store);
    {
        let db = raw_sled(&dir);
        let tree = db.open_tree("smsgw").unwrap();
        tree.insert(b"Xschema_version", &99u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    // sled's background threads may hold the file lock for a moment after the last handle
    // is gone (see `reopen`): only that error is retried.
    let mut err = String::new();
    for _ in 0..100 {
        err = smsgw::store::Store::open(&dir.path().join("db"), 1 << 20)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        if err.contains("schema version") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(err.contains("schema version 99"), "{err}");
    let _unused: Option<Arc<smsgw::store::Store>> = None;
}

#[test]
fn the_kept_status_counts_should_match_the_status_index_through_changes_and_a_restart() {
    let (dir, store) = temp_store();
    let config = demo();
    let now = Timestamp::now();
    let msgs: Vec<_> = (0..10)
        .map(|i| message(&config, &format!("+35840{i:07}"), "hi", now))
        .collect();
    let ids: Vec<_> = insert(&store, msgs).into_iter().map(|m| m.id).collect();
    let check = |store: &smsgw::store::Store| {
        assert_eq!(
            store.count_by_status().unwrap(),
            store.walk_status_index().unwrap()
        );
    };
    check(&store);
    assert_eq!(store.count_in_status(Status::Queued), 10);
    // Some move on, one is changed without a status change, one update changes nothing.
    store
        .update_many(&ids[..6], |i, m| {
            m.set_status(Status::Sending, now, None);
            i != 5
        })
        .unwrap();
    store
        .update(ids[0], |m| {
            m.set_status(Status::Sent, now, None);
            true
        })
        .unwrap();
    store
        .update(ids[1], |m| {
            m.updated_at = now;
            true
        })
        .unwrap();
    check(&store);
    assert_eq!(store.count_in_status(Status::Queued), 5);
    assert_eq!(store.count_in_status(Status::Sending), 4);
    assert_eq!(store.count_in_status(Status::Sent), 1);
    store.flush_blocking().unwrap();
    drop(store);

    let store = reopen(&dir);
    check(&store);
    assert_eq!(store.requeue_in_flight(now).unwrap(), 4);
    check(&store);
    assert_eq!(store.count_in_status(Status::Queued), 9);
}

#[test]
fn retention_should_remove_only_final_messages_and_received_ones_older_than_the_cutoff() {
    let (_dir, store) = temp_store();
    let config = demo();
    let day = 86_400_000;
    let now = Timestamp::now();
    let old = Timestamp(now.as_millis() - 100 * day);
    let cutoff = Timestamp(now.as_millis() - 90 * day);
    let to = "+358401234567";
    let ids: Vec<_> = insert(
        &store,
        (0..5)
            .map(|i| message(&config, to, &format!("old {i}"), old))
            .collect(),
    )
    .into_iter()
    .map(|m| m.id)
    .collect();
    let recent = insert(&store, vec![message(&config, to, "recent", now)]).remove(0);
    // 0: delivered long ago; 1: failed long ago; 2: delivered, but its receipt came late;
    // 3: still queued; 4: sent, its receipt never came. Only 0 and 1 may go.
    let set = |id, status, at| {
        store
            .update(id, |m| {
                m.set_status(status, at, None);
                m.updated_at = at;
                true
            })
            .unwrap();
    };
    set(ids[0], Status::Delivered, old);
    set(ids[1], Status::Failed, old);
    set(ids[2], Status::Delivered, now);
    set(ids[4], Status::Sent, old);
    set(recent.id, Status::Delivered, now);
    store
        .insert_inbound(received("r", "old reply", old))
        .unwrap();
    store
        .insert_inbound(received("r", "new reply", now))
        .unwrap();

    assert_eq!(store.purge_before(cutoff).unwrap(), (2, 1));
    assert!(store.get(ids[0]).unwrap().is_none());
    assert!(store.get(ids[1]).unwrap().is_none());
    for kept in [ids[2], ids[3], ids[4], recent.id] {
        assert!(store.get(kept).unwrap().is_some());
    }
    assert_eq!(
        store.count_by_status().unwrap(),
        store.walk_status_index().unwrap()
    );
    let by_recipient = store
        .list(&ListFilter {
            to: Some(to.into()),
            limit: 100,
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(by_recipient.items.len(), 4);
    let inbox = store.list_inbox(None, 10).unwrap();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].text, "new reply");
    // Nothing more to do: a second pass removes nothing.
    assert_eq!(store.purge_before(cutoff).unwrap(), (0, 0));
}

#[test]
fn retention_should_go_through_more_old_messages_than_one_write_takes() {
    let (_dir, store) = temp_store();
    let config = demo();
    let old = Timestamp(Timestamp::now().as_millis() - 100 * 86_400_000);
    let ids: Vec<_> = insert(
        &store,
        (0..1_100)
            .map(|i| message(&config, &format!("+35840{i:07}"), "hi", old))
            .collect(),
    )
    .into_iter()
    .map(|m| m.id)
    .collect();
    store
        .update_many(&ids, |_, m| {
            m.set_status(Status::Canceled, old, None);
            m.updated_at = old;
            true
        })
        .unwrap();
    let cutoff = Timestamp(old.as_millis() + 1);
    // Step by step (as the daemon's writer runs it, other changes between the steps): each
    // removes at most one write's worth, and the steps end.
    let mut steps = Vec::new();
    loop {
        let step = store.purge_step(cutoff).unwrap();
        steps.push(step.outbound);
        if !step.more {
            break;
        }
        assert!(steps.len() < 10, "retention never ends: {steps:?}");
    }
    assert_eq!(steps.iter().sum::<usize>(), 1_100, "{steps:?}");
    assert!(steps.iter().all(|&n| n <= 500), "{steps:?}");
    assert_eq!(store.count_in_status(Status::Canceled), 0);
    assert_eq!(
        store.count_by_status().unwrap(),
        store.walk_status_index().unwrap()
    );
}

#[test]
fn a_store_of_schema_3_without_a_journal_should_open_and_become_the_current_schema() {
    let (dir, store) = temp_store();
    let m = insert(
        &store,
        vec![message(&demo(), "+358401234567", "hi", Timestamp::now())],
    )
    .remove(0);
    store
        .insert_inbound(received("sims", "a reply", Timestamp::now()))
        .unwrap();
    store.flush_blocking().unwrap();
    drop(store);
    // What a build before the journal left: everything in sled, schema 3, no journal (and no
    // sender index: schema 5 added it).
    {
        let db = raw_sled(&dir);
        let tree = db.open_tree("smsgw").unwrap();
        tree.insert(b"Xschema_version", &3u32.to_be_bytes())
            .unwrap();
        tree.remove(b"Xjournal_applied").unwrap();
        let senders: Vec<_> = tree
            .scan_prefix([smsgw::store::keys::SENDER])
            .keys()
            .map(Result::unwrap)
            .collect();
        for k in senders {
            tree.remove(k).unwrap();
        }
        db.flush().unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("db/journal")).unwrap();
    let store = reopen(&dir);
    assert_eq!(store.get(m.id).unwrap().unwrap().text, m.text);
    assert_eq!(
        store
            .received_from("+358401234567", None, 10)
            .unwrap()
            .len(),
        1,
        "the sender index is built on the way to schema 5"
    );
    drop(store);
    let db = raw_sled(&dir);
    let version = db
        .open_tree("smsgw")
        .unwrap()
        .get(b"Xschema_version")
        .unwrap()
        .unwrap();
    assert_eq!(
        version.as_ref(),
        &smsgw::store::SCHEMA_VERSION.to_be_bytes(),
        "the new version is in sled itself, so an older build refuses the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_should_list_by_sender_count_unread_and_go_with_retention() {
    let (dir, store) = temp_store();
    let t0 = Timestamp::now().as_millis() - 10_000;
    let mut from_b = received("sims", "b1", Timestamp(t0));
    from_b.from = "+358409999999".into();
    store
        .insert_inbound(received("sims", "a1", Timestamp(t0 + 1)))
        .unwrap();
    store.insert_inbound(from_b).unwrap();
    let a2 = store
        .insert_inbound(received("sims", "a2", Timestamp(t0 + 2)))
        .unwrap();
    let a = "+358401234567";
    let got: Vec<String> = store
        .received_from(a, None, 10)
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(got, ["a2", "a1"], "newest first, only that sender");
    let threads = store.recent_threads(10, 100).unwrap();
    let numbers: Vec<&str> = threads.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(
        numbers,
        [a, "+358409999999"],
        "newest reply first, one entry per sender"
    );
    assert_eq!(
        threads[0].newest.as_ref().map(|m| m.text.as_str()),
        Some("a2")
    );
    assert_eq!(threads[0].unread, 2);
    store
        .set_thread_marks(
            a,
            &smsgw::model::ThreadMarks {
                read_upto: Some(a2.id),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(store.unread_from(a, Some(a2.id)).unwrap(), 0);
    assert_eq!(store.recent_threads(10, 100).unwrap()[0].unread, 0);

    // The marks and the index survive a restart; retention takes the index with the messages.
    store.flush_blocking().unwrap();
    drop(store);
    let store = reopen(&dir);
    assert_eq!(store.thread_marks(a).unwrap().read_upto, Some(a2.id));
    assert_eq!(store.received_from(a, None, 10).unwrap().len(), 2);
    let (_, inbound) = store.purge_before(Timestamp(t0 + 2)).unwrap();
    assert_eq!(inbound, 2, "a1 and b1 are older than the cutoff");
    assert_eq!(store.received_from(a, None, 10).unwrap().len(), 1);
    assert!(
        store
            .received_from("+358409999999", None, 10)
            .unwrap()
            .is_empty()
    );
    let senders = store
        .checkpointer()
        .scan_prefix([smsgw::store::keys::SENDER])
        .count();
    assert_eq!(senders, 1, "no sender index entry outlives its message");
}
