//! Frequency caps (refuse and defer) with the clock given explicitly, and cancel by
//! reference at the store.

use serde_json::json;
use smsgw::consent::CapTally;
use smsgw::model::{Status, Timestamp};

use crate::harness::{DAY, Env, T0, code, config};

#[test]
fn a_recipient_over_the_daily_cap_should_be_refused_but_transactional_should_pass() {
    let env = Env::new(&config("[consent.caps]\nper_day = 2\n"));
    let to = json!("+358401000001");
    for _ in 0..2 {
        env.submit(json!({"to": to, "text": "News"}), T0).unwrap();
    }
    let r = env.submit(json!({"to": to, "text": "More news"}), T0);
    assert_eq!(code(&r), Some((422, "frequency_cap")));
    // Transactional: not capped, not counted.
    env.submit(
        json!({"to": to, "text": "Code 1", "transactional": true}),
        T0,
    )
    .unwrap();
    assert_eq!(
        env.store.frequency("+358401000001", T0.utc_day()).unwrap(),
        2
    );
    // Another recipient is not affected; the next day is free again.
    env.submit(json!({"to": "+358401000002", "text": "News"}), T0)
        .unwrap();
    env.submit(json!({"to": to, "text": "News"}), Timestamp(T0.0 + DAY))
        .unwrap();
}

#[test]
fn without_caps_the_store_should_keep_no_counters() {
    // When `[consent.caps]` sets nothing the store is opened without counters: one key less
    // per message.
    let to = "+358401000003";
    let capped = Env::new(&config("[consent.caps]\nper_day = 5\n"));
    capped
        .submit(json!({"to": to, "text": "Counted"}), T0)
        .unwrap();
    assert_eq!(capped.store.frequency(to, T0.utc_day()).unwrap(), 1);
    let uncapped = Env::new(&config(""));
    uncapped
        .submit(json!({"to": to, "text": "Not counted"}), T0)
        .unwrap();
    assert_eq!(uncapped.store.frequency(to, T0.utc_day()).unwrap(), 0);
}

#[test]
fn a_batch_should_count_its_own_messages_against_the_cap() {
    let env = Env::new(&config("[consent.caps]\nper_day = 1\n"));
    let mut tally = CapTally::default();
    let body = json!({"to": "+358401000001", "text": "A"});
    env.submit_with(body.clone(), T0, &mut tally).unwrap();
    assert_eq!(
        code(&env.submit_with(body, T0, &mut tally)),
        Some((422, "frequency_cap"))
    );
}

#[test]
fn a_recipient_over_the_cap_should_be_deferred_to_the_first_free_day_with_the_reason() {
    let env = Env::new(&config(
        "[consent.caps]\nper_day = 1\nper_week = 2\nover_cap = \"defer\"\n",
    ));
    let body = json!({"to": "+358401000001", "text": "Newsletter", "validity": "2d"});
    let first = env.submit(body.clone(), T0).unwrap();
    assert_eq!(first.status, Status::Queued);
    // Day 0 is full: the next day, at its UTC midnight.
    let second = env.submit(body.clone(), T0).unwrap();
    let day1 = Timestamp((T0.utc_day() as u64 + 1) * DAY);
    assert_eq!(second.status, Status::Scheduled);
    assert_eq!(second.send_at, Some(day1));
    assert_eq!(
        second.expires_at,
        day1.plus(std::time::Duration::from_secs(2 * 86_400))
    );
    let reason = second.history.last().unwrap().reason.clone().unwrap();
    assert!(reason.starts_with("frequency_cap"), "{reason}");
    // Days 0 and 1 fill the week: the third waits until day 0 leaves the 7-day window.
    let third = env.submit(body.clone(), T0).unwrap();
    assert_eq!(
        third.send_at,
        Some(Timestamp((T0.utc_day() as u64 + 7) * DAY))
    );
    // The stored message is what the dispatcher will see: scheduled, due then.
    let stored = env.store.get(second.id).unwrap().unwrap();
    assert_eq!((stored.status, stored.due_at()), (Status::Scheduled, day1));
    assert!(env.store.due(Timestamp(day1.0 - 1), 10).len() == 1);
}

#[test]
fn old_frequency_counters_should_be_purged() {
    let env = Env::new(&config("[consent.caps]\nper_day = 5\n"));
    env.submit(json!({"to": "+358401000001", "text": "A"}), T0)
        .unwrap();
    let later = T0.utc_day() + 8;
    env.submit(
        json!({"to": "+358401000001", "text": "B"}),
        Timestamp(later as u64 * DAY),
    )
    .unwrap();
    assert_eq!(env.store.purge_frequency(later - 7).unwrap(), 1);
    assert_eq!(
        env.store.frequency("+358401000001", T0.utc_day()).unwrap(),
        0
    );
    assert_eq!(env.store.frequency("+358401000001", later).unwrap(), 1);
}

#[test]
fn cancel_by_reference_should_cancel_waiting_messages_and_report_the_others() {
    let env = Env::new(&config(""));
    let later = Timestamp(T0.0 + DAY).to_rfc3339();
    let a = env
        .submit(json!({"to": "+358401000001", "text": "Reminder 1", "reference": "appt-7", "send_at": later}), T0)
        .unwrap();
    let b = env
        .submit(
            json!({"to": "+358401000001", "text": "Reminder 2", "reference": "appt-7"}),
            T0,
        )
        .unwrap();
    let c = env
        .submit(
            json!({"to": "+358401000001", "text": "Confirmation", "reference": "appt-7"}),
            T0,
        )
        .unwrap();
    let other = env
        .submit(
            json!({"to": "+358401000001", "text": "Other", "reference": "appt-70"}),
            T0,
        )
        .unwrap();
    // c is being sent already.
    env.store
        .update(c.id, |m| {
            m.set_status(Status::Sending, T0, None);
            true
        })
        .unwrap();
    let done = env
        .store
        .cancel_by_reference("appt-7", T0, "moved")
        .unwrap();
    let ids = |v: &[smsgw::model::OutboundMessage]| {
        let mut ids = v.iter().map(|m| m.id).collect::<Vec<_>>();
        ids.sort();
        ids
    };
    let mut want = vec![a.id, b.id];
    want.sort();
    assert_eq!(ids(&done.canceled), want);
    assert_eq!(ids(&done.not_cancelable), vec![c.id]);
    assert_eq!(
        env.store.get(other.id).unwrap().unwrap().status,
        Status::Queued
    );
    assert!(env.store.due(Timestamp(T0.0 + 2 * DAY), 10) == vec![other.id]);
    // The index follows status changes and still lists all three.
    assert_eq!(env.store.ids_by_reference("appt-7").unwrap().len(), 3);
}

#[test]
fn a_canceled_message_should_no_longer_count_against_the_cap() {
    let env = Env::new(&config("[consent.caps]\nper_day = 2\n"));
    let to = "+358401000001";
    let later = Timestamp(T0.0 + DAY).to_rfc3339();
    let body = json!({"to": to, "text": "News", "reference": "promo-1"});
    let first = env.submit(body.clone(), T0).unwrap();
    env.submit(body.clone(), T0).unwrap();
    assert_eq!(
        code(&env.submit(body.clone(), T0)),
        Some((422, "frequency_cap"))
    );
    // Canceled one by one (DELETE /v1/messages/{id} goes through `update`)…
    env.store
        .update(first.id, |m| {
            m.set_status(Status::Canceled, T0, Some("canceled by the client".into()));
            true
        })
        .unwrap();
    assert_eq!(env.store.frequency(to, T0.utc_day()).unwrap(), 1);
    env.submit(body.clone(), T0).unwrap();
    // …or by reference, also for a message scheduled on a later day.
    let scheduled = json!({"to": to, "text": "News", "reference": "promo-2", "send_at": later});
    env.submit(scheduled.clone(), T0).unwrap();
    assert_eq!(env.store.frequency(to, T0.utc_day() + 1).unwrap(), 1);
    env.store
        .cancel_by_reference("promo-1", T0, "moved")
        .unwrap();
    env.store
        .cancel_by_reference("promo-2", T0, "moved")
        .unwrap();
    assert_eq!(env.store.frequency(to, T0.utc_day()).unwrap(), 0);
    assert_eq!(env.store.frequency(to, T0.utc_day() + 1).unwrap(), 0);
    // A message canceled twice, or one already canceled, is not taken back again.
    env.store
        .update(first.id, |m| {
            m.set_status(Status::Canceled, T0, Some("again".into()));
            true
        })
        .unwrap();
    assert_eq!(env.store.frequency(to, T0.utc_day()).unwrap(), 0);
    for _ in 0..2 {
        env.submit(body.clone(), T0).unwrap();
    }
    assert_eq!(code(&env.submit(body, T0)), Some((422, "frequency_cap")));
}
