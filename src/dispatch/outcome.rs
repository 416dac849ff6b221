//! How a route's report changes a message: per-part status, then the message's status, retry
//! time or failure.

use crate::model::{MessageId, PartStatus, Status, Timestamp};
use crate::store::{Store, StoreError};

use super::{PartOutcome, RetryPolicy, SendReport};

/// Records `report` for message `id` sent through `route`.
pub fn apply(
    store: &Store,
    id: MessageId,
    route: &str,
    report: SendReport,
    now: Timestamp,
    retry: &RetryPolicy,
) -> Result<(), StoreError> {
    store.update(id, |m| {
        if m.status != Status::Sending {
            return false;
        }
        let mut permanent = None;
        let mut temporary = None;
        for part in m.parts.iter_mut() {
            if !matches!(part.status, PartStatus::Pending | PartStatus::Unknown) {
                continue;
            }
            let outcome = report
                .parts
                .iter()
                .find(|(i, _)| *i == part.index)
                .map(|(_, o)| o.clone())
                .unwrap_or(PartOutcome::Unknown {
                    reason: format!("route {route} reported nothing for this part"),
                });
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
        }
        true
    })?;
    Ok(())
}
