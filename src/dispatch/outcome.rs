//! How a route's report changes a message: per-part status, then the message's status, retry
//! time or failure.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc};
use tracing::error;

use crate::model::{OutboundMessage, PartStatus, Status, Timestamp};
use crate::store::{OutcomePolicy, Store};

use super::{Clock, PartOutcome, RetryPolicy, SendReport};

pub use crate::model::SendEnded as Finished;

/// Hands the outcomes the dispatcher collects to the store's writer, everything waiting at
/// once, until the dispatcher drops its sender. Its own task, so that the dispatcher picks
/// and hands over the next messages while the last ones' outcomes are written. Wakes the
/// dispatcher after each write: a message put back with a retry time is due at a time it has
/// not seen.
pub async fn writer(
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    wake: Arc<Notify>,
    mut rx: mpsc::UnboundedReceiver<Vec<Finished>>,
) {
    let policy: Arc<dyn OutcomePolicy> = Arc::new(Retries(retry));
    while let Some(mut finished) = rx.recv().await {
        while let Ok(more) = rx.try_recv() {
            finished.extend(more);
        }
        let now = clock.now();
        match store
            .writer()
            .settle_and_wait(finished, now, policy.clone())
            .await
        {
            Ok(failed) => {
                for (id, e) in failed {
                    error!(target: "smsgw::dispatch", cause = %e, %id, "cannot record a send outcome; the message stays `sending` and is requeued at the next start");
                }
            }
            Err(e) => {
                error!(target: "smsgw::dispatch", cause = %e, "the outcome write did not finish; those messages stay `sending` and are requeued at the next start");
            }
        }
        wake.notify_one();
    }
}

/// The dispatcher's retry rules, as the store's writer applies them to a send's outcome.
#[derive(Debug)]
pub struct Retries(pub RetryPolicy);

impl OutcomePolicy for Retries {
    fn settle(&self, m: &mut OutboundMessage, ended: &Finished, now: Timestamp) -> bool {
        settle(m, &ended.route, &ended.report, now, &self.0)
    }
}

/// Applies `report` from `route` to `m` if it is still `sending`; returns whether it changed.
fn settle(
    m: &mut OutboundMessage,
    route: &str,
    report: &SendReport,
    now: Timestamp,
    retry: &RetryPolicy,
) -> bool {
    if m.status != Status::Sending {
        return false;
    }
    let mut permanent = None;
    let mut temporary = None;
    for part in m.parts.iter_mut() {
        let outcome = report
            .parts
            .iter()
            .find(|(i, _)| *i == part.index)
            .map(|(_, o)| o.clone())
            .unwrap_or(PartOutcome::Unknown {
                reason: format!("route {route} reported nothing for this part"),
            });
        if !matches!(part.status, PartStatus::Pending | PartStatus::Unknown) {
            // Settled before this send (an earlier attempt), or by a receipt or status report
            // that beat this record: it keeps its state, and learns the route's id if it had
            // none.
            if let PartOutcome::Sent { remote_id } = outcome
                && part.remote_id.is_none()
            {
                part.remote_id = remote_id;
            }
            continue;
        }
        match outcome {
            PartOutcome::Sent { remote_id } => {
                part.status = PartStatus::Sent;
                part.remote_id = remote_id;
                part.error = None;
            }
            PartOutcome::Temporary { reason } => {
                part.status = PartStatus::Pending;
                temporary.get_or_insert_with(|| reason.clone());
                part.error = Some(reason);
            }
            PartOutcome::Permanent { reason } => {
                part.status = PartStatus::Failed;
                permanent.get_or_insert_with(|| reason.clone());
                part.error = Some(reason);
            }
            PartOutcome::Unknown { reason } => {
                // It may have gone out: sending it again must be marked.
                part.status = PartStatus::Pending;
                part.possible_duplicate = true;
                temporary.get_or_insert_with(|| format!("outcome unknown: {reason}"));
                part.error = Some(reason);
            }
            PartOutcome::Unconfirmed { reason } => {
                // Not sent again: the route resolves it from a report or at expiry.
                part.status = PartStatus::Unknown;
                part.error = Some(format!("outcome unknown, waiting for a report: {reason}"));
            }
        }
    }
    if let Some(reason) = permanent {
        m.set_status(Status::Failed, now, Some(format!("{route}: {reason}")));
    } else if let Some(reason) = temporary {
        if !m.attempts.failed_routes.iter().any(|r| r == route) {
            m.attempts.failed_routes.push(route.to_string());
        }
        m.attempts.last_error = Some(format!("{route}: {reason}"));
        if !retry.may_retry(m.attempts.count) {
            m.set_status(
                Status::Failed,
                now,
                Some(format!(
                    "gave up after {} attempts; last error {route}: {reason}",
                    m.attempts.count
                )),
            );
        } else {
            let at = now.plus(retry.delay(m.attempts.count));
            if at >= m.expires_at {
                m.set_status(
                    Status::Expired,
                    now,
                    Some(format!(
                        "the validity period ends before the next retry; last error {route}: {reason}"
                    )),
                );
            } else {
                m.attempts.next_at = Some(at);
                m.set_status(
                    Status::Queued,
                    now,
                    Some(format!("retry at {at} after {route}: {reason}")),
                );
            }
        }
    } else {
        m.set_status(Status::Sent, now, None);
        // Receipts that came in before this outcome was recorded (they can follow the
        // submit's response within milliseconds) were applied to the parts already.
        let reason = early_report_reason(m);
        m.settle_delivery(now, Some(reason));
    }
    true
}

/// Why a message whose reports beat its send's outcome is delivered or undelivered: for
/// undelivered, the report's own words as they are on the part (`part 2: receipt
/// stat:UNDELIV err:012`), as when the report comes after the outcome.
fn early_report_reason(m: &OutboundMessage) -> String {
    let undelivered: Vec<_> = m
        .parts
        .iter()
        .filter(|p| p.status == PartStatus::Undelivered)
        .collect();
    let Some(first) = undelivered.first() else {
        return "delivery reports came in before the send was recorded".into();
    };
    let error = first.error.as_deref().unwrap_or("reported not delivered");
    if m.parts.len() > 1
        && undelivered.len() == m.parts.len()
        && undelivered.iter().all(|p| p.error == first.error)
    {
        format!("all parts: {error}")
    } else {
        format!("part {}: {error}", first.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::submit::{SubmitRequest, SubmitRules};
    use crate::config::Config;
    use crate::model::MessageId;
    use crate::store::{Inserted, NewMessage, StoreError};

    fn sending_message(store: &Store) -> MessageId {
        let config = Config::from_toml("[messages]\ndefault_country = \"358\"\n").unwrap();
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "+358401234567", "text": "hi"}))
                .unwrap();
        let message = SubmitRules::new(&config.messages)
            .validate(req, Timestamp(1_000), |_| true)
            .unwrap();
        let id = match store
            .insert_outbound(vec![NewMessage {
                message,
                idempotency_key: None,
            }])
            .unwrap()
            .remove(0)
        {
            Inserted::New(m) | Inserted::Existing(m) => m.id,
        };
        store
            .update(id, |m| {
                m.set_status(Status::Sending, Timestamp(2_000), None);
                true
            })
            .unwrap();
        id
    }

    async fn apply_all(
        store: &Store,
        finished: Vec<Finished>,
        now: Timestamp,
        retry: &RetryPolicy,
    ) -> Vec<(MessageId, StoreError)> {
        let policy = Arc::new(Retries(*retry));
        store
            .writer()
            .settle_and_wait(finished, now, policy)
            .await
            .unwrap()
    }

    fn report(outcome: PartOutcome) -> SendReport {
        SendReport {
            parts: vec![(1, outcome)],
        }
    }

    #[tokio::test]
    async fn an_unreadable_message_should_not_hold_back_the_outcomes_batched_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let (bad, good) = (sending_message(&store), sending_message(&store));
        store
            .put_raw(&crate::store::keys::message(bad), b"\x00\xc1")
            .unwrap();
        let sent = |id| Finished {
            id,
            route: "r".into(),
            report: report(PartOutcome::Sent { remote_id: None }),
        };
        let failed = apply_all(
            &store,
            vec![sent(bad), sent(good)],
            Timestamp(3_000),
            &retry(),
        )
        .await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, bad);
        assert_eq!(store.get(good).unwrap().unwrap().status, Status::Sent);
    }

    fn retry() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base: std::time::Duration::from_secs(10),
            max: std::time::Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn outcomes_of_several_messages_and_a_repeated_one_should_all_be_applied_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let (a, b) = (sending_message(&store), sending_message(&store));
        let retry = retry();
        let sent = |id| Finished {
            id,
            route: "r".into(),
            report: report(PartOutcome::Sent {
                remote_id: Some("x".into()),
            }),
        };
        let refused = Finished {
            id: b,
            route: "r".into(),
            report: report(PartOutcome::Permanent {
                reason: "refused".into(),
            }),
        };
        // `a` twice: the first report settles it, the second finds it no longer `sending`.
        let late = Finished {
            id: a,
            route: "r".into(),
            report: report(PartOutcome::Permanent {
                reason: "too late".into(),
            }),
        };
        let failed = apply_all(
            &store,
            vec![sent(a), refused, late],
            Timestamp(3_000),
            &retry,
        )
        .await;
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(store.get(a).unwrap().unwrap().status, Status::Sent);
        assert_eq!(store.get(b).unwrap().unwrap().status, Status::Failed);
    }

    /// An SMPP receipt for part 1 of `id` (SMSC id `abc`), applied before the send's outcome.
    fn receipt_before_outcome(
        store: &Store,
        id: MessageId,
        part_status: PartStatus,
        stat: &str,
        err: Option<&str>,
    ) {
        store
            .record_smsc_id("r", "abc", id, 1, Timestamp(2_500))
            .unwrap();
        let err_text = err.map(|e| format!(" err:{e}")).unwrap_or_default();
        let receipt = crate::store::SmscReceipt {
            smsc_id: "abc".into(),
            part_status,
            stat: stat.into(),
            err: err.map(str::to_string),
            done_date: None,
            raw: format!("id:abc stat:{stat}{err_text}"),
            received_at: Timestamp(2_600),
        };
        store
            .apply_smpp_receipt("r", &receipt, Timestamp(2_600))
            .unwrap();
    }

    #[tokio::test]
    async fn a_receipt_that_came_before_the_outcome_should_make_the_message_delivered_through_sent()
    {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let id = sending_message(&store);
        receipt_before_outcome(&store, id, PartStatus::Delivered, "DELIVRD", None);
        record_sent_then_expect_delivered_through_sent(&store, id, "abc").await;
    }

    #[tokio::test]
    async fn a_status_report_that_came_before_the_outcome_should_make_the_message_delivered_through_sent()
     {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let id = sending_message(&store);
        store
            .record_sent_part("m1", 7, "+358401234567", id, 1, Timestamp(2_500))
            .unwrap();
        let report = crate::store::ReportInput {
            mr: 7,
            recipient: "+358401234567".into(),
            status: 0,
            part_status: PartStatus::Delivered,
        };
        let window = std::time::Duration::from_secs(3600);
        assert_eq!(
            store
                .apply_status_report("m1", &report, window, Timestamp(2_600))
                .unwrap(),
            crate::store::ReportMatch::Applied { id, part: 1 }
        );
        let m = store.get(id).unwrap().unwrap();
        assert_eq!(m.status, Status::Sending, "the send is not recorded yet");
        assert_eq!(m.parts[0].status, PartStatus::Delivered);
        record_sent_then_expect_delivered_through_sent(&store, id, "7").await;
    }

    #[tokio::test]
    async fn an_undelivered_receipt_that_came_before_the_outcome_should_be_the_reason_in_the_history()
     {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let id = sending_message(&store);
        receipt_before_outcome(&store, id, PartStatus::Undelivered, "UNDELIV", Some("012"));
        let sent = Finished {
            id,
            route: "r".into(),
            report: report(PartOutcome::Sent {
                remote_id: Some("abc".into()),
            }),
        };
        assert!(
            apply_all(&store, vec![sent], Timestamp(3_000), &retry())
                .await
                .is_empty()
        );
        let m = store.get(id).unwrap().unwrap();
        assert_eq!(m.status, Status::Undelivered);
        let last = m.history.last().unwrap();
        assert_eq!(last.status, Status::Undelivered);
        // The same words as on the part, and as when the receipt comes after the outcome.
        assert_eq!(
            m.parts[0].error.as_deref(),
            Some("receipt stat:UNDELIV err:012")
        );
        assert_eq!(
            last.reason.as_deref(),
            Some("part 1: receipt stat:UNDELIV err:012")
        );
    }

    /// Records `id`'s send through route `r` (remote id `remote`) after its part took a
    /// receipt or report: the message goes `sent` then `delivered`, each announced.
    async fn record_sent_then_expect_delivered_through_sent(
        store: &Store,
        id: MessageId,
        remote: &str,
    ) {
        let sent = Finished {
            id,
            route: "r".into(),
            report: report(PartOutcome::Sent {
                remote_id: Some(remote.into()),
            }),
        };
        assert!(
            apply_all(store, vec![sent], Timestamp(3_000), &retry())
                .await
                .is_empty()
        );
        let m = store.get(id).unwrap().unwrap();
        assert_eq!(m.parts[0].remote_id.as_deref(), Some(remote));
        assert_eq!(m.status, Status::Delivered);
        assert_eq!(m.parts[0].status, PartStatus::Delivered);
        let steps: Vec<Status> = m.history.iter().map(|h| h.status).collect();
        assert!(
            steps.ends_with(&[Status::Sending, Status::Sent, Status::Delivered]),
            "{steps:?}"
        );
        // Webhooks and long polls see both changes, in order.
        let events: Vec<Status> = store
            .events_after(0, 100)
            .unwrap()
            .into_iter()
            .filter(|e| e.message_id == id)
            .filter_map(|e| e.status)
            .collect();
        assert!(
            events.ends_with(&[Status::Sending, Status::Sent, Status::Delivered]),
            "{events:?}"
        );
    }
}
