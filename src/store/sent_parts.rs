//! Status-report correlation for modem sends: a part sent through a modem is recorded by
//! (modem, TP-MR, time); an SMS-STATUS-REPORT (TS 23.040 §9.2.2.3) is matched by the same
//! modem, its TP-MR, its TP-RA (the recipient) and a time window, because TP-MR is one octet
//! and wraps after 256 sends. The full TP-ST is kept on the record and in the part's text.
//!
//! Parts whose outcome is unknown (written, no `+CMGS:`, so no TP-MR) under the
//! `wait_for_report` policy are kept apart: a report that matches no known TP-MR is tried
//! against them by (modem, recipient, time window), and those still unresolved when their
//! message's validity has ended are resolved as undelivered.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::value::{decode, encode};
use super::{Store, StoreError, keys};
use crate::model::{MessageId, PartStatus, Status, Timestamp};

/// A status report, as the modem driver decoded it.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// TP-MR.
    pub mr: u8,
    /// TP-RA.
    pub recipient: String,
    /// TP-ST (§9.2.3.15), whole.
    pub status: u8,
    /// The part's new status from TP-ST: `Delivered`, `Undelivered`, or `Sent` while the SC
    /// is still trying.
    pub part_status: PartStatus,
}

/// What [`Store::apply_status_report`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportMatch {
    /// The part was found and updated.
    Applied {
        /// The message.
        id: MessageId,
        /// The part.
        part: u8,
    },
    /// No sent part matches.
    NoMatch,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SentRecord {
    recipient: String,
    #[serde(default)]
    status: Option<u8>,
    #[serde(default)]
    reported_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnconfirmedRecord {
    recipient: String,
}

fn unconfirmed_key(modem: &str, at: Timestamp, id: MessageId, part: u8) -> Vec<u8> {
    let mut k = keys::modem_prefix(keys::UNCONFIRMED_PART, modem);
    k.extend_from_slice(&at.as_millis().to_be_bytes());
    k.extend_from_slice(&id.to_bytes());
    k.push(part);
    k
}

/// `sent ms | id | part` after a prefix.
fn parse_tail(tail: &[u8]) -> Option<(u64, MessageId, u8)> {
    Some((
        u64::from_be_bytes(tail.get(..8)?.try_into().ok()?),
        MessageId::from_slice(tail.get(8..24)?)?,
        *tail.get(24)?,
    ))
}

fn record_key(modem: &str, mr: u8, at: Timestamp, id: MessageId, part: u8) -> Vec<u8> {
    let mut k = keys::modem_prefix(keys::SENT_PART, modem);
    k.push(mr);
    k.extend_from_slice(&at.as_millis().to_be_bytes());
    k.extend_from_slice(&id.to_bytes());
    k.push(part);
    k
}

/// Whether two renderings of a number are the same subscriber: the digits agree, or one is
/// the other with a country code in front (a report may carry the national form).
fn same_number(a: &str, b: &str) -> bool {
    let d = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (d(a), d(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let tail = short.trim_start_matches('0');
    tail.len() >= 6 && long.ends_with(tail)
}

impl Store {
    /// Records that `part` of message `id` to `recipient` left through `modem` with TP-MR `mr`.
    pub fn record_sent_part(
        &self,
        modem: &str,
        mr: u8,
        recipient: &str,
        id: MessageId,
        part: u8,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let rec = SentRecord {
            recipient: recipient.to_string(),
            status: None,
            reported_at: None,
        };
        self.tree
            .insert(record_key(modem, mr, at, id, part), encode(&rec)?)?;
        Ok(())
    }

    /// Applies a status report received on `modem` at `now` to the most recent matching part
    /// sent within `window`, then moves the message to `delivered` when every part is, or to
    /// `undelivered` when one will not be.
    pub fn apply_status_report(
        &self,
        modem: &str,
        report: &ReportInput,
        window: Duration,
        now: Timestamp,
    ) -> Result<ReportMatch, StoreError> {
        let mut prefix = keys::modem_prefix(keys::SENT_PART, modem);
        prefix.push(report.mr);
        let since = now.as_millis().saturating_sub(window.as_millis() as u64);
        let mut found = None;
        for kv in self.tree.scan_prefix(&prefix).rev() {
            let (k, v) = kv?;
            let tail = &k[prefix.len()..];
            let (Some(at), Some(id), Some(&part)) = (
                tail.get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes),
                tail.get(8..24).and_then(MessageId::from_slice),
                tail.get(24),
            ) else {
                continue;
            };
            if at < since {
                break;
            }
            let rec: SentRecord = decode(&k, &v)?;
            if same_number(&rec.recipient, &report.recipient) {
                found = Some((k, rec, id, part));
                break;
            }
        }
        let Some((key, mut rec, id, part_no)) = found else {
            return self.apply_to_unconfirmed(modem, report, since, now);
        };
        self.apply_report_to_part(id, part_no, report, now)?;
        rec.status = Some(report.status);
        rec.reported_at = Some(now);
        self.tree.insert(key, encode(&rec)?)?;
        Ok(ReportMatch::Applied { id, part: part_no })
    }

    /// Records that `part` of message `id` to `recipient` was written to `modem` at `at` but
    /// never answered, and waits for its status report (`wait_for_report` policy).
    pub fn record_unconfirmed_part(
        &self,
        modem: &str,
        recipient: &str,
        id: MessageId,
        part: u8,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let rec = UnconfirmedRecord {
            recipient: recipient.to_string(),
        };
        self.tree
            .insert(unconfirmed_key(modem, at, id, part), encode(&rec)?)?;
        Ok(())
    }

    /// A report with no known TP-MR: the newest unconfirmed part of `modem` to the same
    /// recipient since `since` (ms) that is still `unknown` takes it.
    fn apply_to_unconfirmed(
        &self,
        modem: &str,
        report: &ReportInput,
        since: u64,
        now: Timestamp,
    ) -> Result<ReportMatch, StoreError> {
        let prefix = keys::modem_prefix(keys::UNCONFIRMED_PART, modem);
        for kv in self.tree.scan_prefix(&prefix).rev() {
            let (k, v) = kv?;
            let Some((at, id, part)) = parse_tail(&k[prefix.len()..]) else {
                continue;
            };
            if at < since {
                break;
            }
            let rec: UnconfirmedRecord = decode(&k, &v)?;
            if !same_number(&rec.recipient, &report.recipient) {
                continue;
            }
            let still_unknown = self.get(id)?.is_some_and(|m| {
                m.parts
                    .iter()
                    .any(|p| p.index == part && p.status == PartStatus::Unknown)
            });
            if !still_unknown {
                continue;
            }
            self.apply_report_to_part(id, part, report, now)?;
            // A temporary TP-ST (the SC is still trying) keeps it waiting for the final one.
            if report.part_status != PartStatus::Sent {
                self.tree.remove(k)?;
            }
            return Ok(ReportMatch::Applied { id, part });
        }
        Ok(ReportMatch::NoMatch)
    }

    /// Resolves the unconfirmed parts of `modem` whose message's validity ended before `now`
    /// without a report: `undelivered`. Returns the (message, part) pairs resolved.
    pub fn resolve_unconfirmed(
        &self,
        modem: &str,
        now: Timestamp,
    ) -> Result<Vec<(MessageId, u8)>, StoreError> {
        let prefix = keys::modem_prefix(keys::UNCONFIRMED_PART, modem);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let Some((_, id, part)) = parse_tail(&k[prefix.len()..]) else {
                self.tree.remove(k)?;
                continue;
            };
            let Some(m) = self.get(id)? else {
                self.tree.remove(k)?;
                continue;
            };
            let unknown = m
                .parts
                .iter()
                .any(|p| p.index == part && p.status == PartStatus::Unknown);
            if !unknown {
                // Resolved otherwise (a report, a resend after a restart): forget it.
                self.tree.remove(k)?;
                continue;
            }
            if now < m.expires_at {
                continue;
            }
            let reason = format!(
                "part {part}: outcome unknown (written to modem {modem}, no answer) and no \
                 status report before the validity period ended"
            );
            self.update(id, |m| {
                let Some(p) = m.parts.iter_mut().find(|p| p.index == part) else {
                    return false;
                };
                if p.status != PartStatus::Unknown {
                    return false;
                }
                p.status = PartStatus::Undelivered;
                p.error = Some(reason.clone());
                if m.status == Status::Sent {
                    m.set_status(Status::Undelivered, now, Some(reason.clone()));
                } else {
                    m.updated_at = now;
                }
                true
            })?;
            self.tree.remove(k)?;
            out.push((id, part));
        }
        Ok(out)
    }

    /// Sets `part_no` of `id` from a report; true when its send is not recorded yet.
    fn apply_report_to_part(
        &self,
        id: MessageId,
        part_no: u8,
        report: &ReportInput,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let text = format!("status report TP-ST 0x{:02X}", report.status);
        self.update(id, |m| {
            let Some(part) = m.parts.iter_mut().find(|p| p.index == part_no) else {
                return false;
            };
            // A report may beat the dispatcher's record of the send (the modem answered
            // `+CMGS` and the SC reported at once): the part did go, so it takes the report,
            // and the dispatcher settles the message from its parts when it records the send.
            if !part.take_report(report.part_status, &text, "SC") {
                return false;
            }
            if !m.settle_delivery(now, Some(format!("part {part_no}: {text}"))) {
                m.updated_at = now;
            }
            true
        })?;
        Ok(())
    }

    /// Forgets send records of `modem` older than `older_than`; returns how many.
    pub fn purge_sent_parts(
        &self,
        modem: &str,
        older_than: Timestamp,
    ) -> Result<usize, StoreError> {
        let prefix = keys::modem_prefix(keys::SENT_PART, modem);
        let mut n = 0;
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let at = k
                .get(prefix.len() + 1..prefix.len() + 9)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            if at < older_than.as_millis() {
                self.tree.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_should_match_across_national_and_international_forms() {
        assert!(same_number("+358401234567", "0401234567"));
        assert!(same_number("+358401234567", "358401234567"));
        assert!(!same_number("+358401234567", "+358401234568"));
        assert!(!same_number("", "123"));
    }
}
