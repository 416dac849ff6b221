//! deliver_sm / data_sm from the SMSC (SMPP 3.4 §4.6.1, §4.7.1): delivery receipts to the
//! store's correlation index, MO messages to the inbox (reassembled when concatenated).
//!
//! A receipt is recognised by its esm_class message type (§5.2.12). Its id and state come from
//! the receipted_message_id and message_state TLVs when present (§5.3.2.12, §5.3.2.35), else
//! from the text (Appendix B); the raw text is kept either way. A receipt that matches no
//! recorded submit yet is parked in the store, counted, and matched again by [`retry_parked`];
//! it is dropped (and counted) only after [`receipt_keep`], when no message it could be for
//! is still valid. The response to the SMSC is sent only after the store write is
//! durable, so a crash before it makes the SMSC send it again (at least once).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::link_writer::Stored;
use super::pdu::values::{MessageState, data_coding, esm_class};
use super::pdu::{Body, CommandStatus, Tlvs};
use super::receipt;
use super::session::Link;
use crate::config::DefaultCoding;
use crate::gsm;
use crate::model::{NumberType, PartStatus, Timestamp};
use crate::store::{InboundPart, PartRef, SmppReceiptMatch, SmscReceipt, Store};

/// How many parked receipts one retry pass looks at.
const PARKED_BATCH: usize = 1000;

/// The part status a receipt's message state means.
pub fn part_status(state: MessageState) -> PartStatus {
    match state {
        MessageState::Delivered => PartStatus::Delivered,
        MessageState::Expired
        | MessageState::Deleted
        | MessageState::Undeliverable
        | MessageState::Rejected
        | MessageState::Skipped => PartStatus::Undelivered,
        _ => PartStatus::Sent,
    }
}

fn state_word(state: MessageState) -> String {
    match state {
        MessageState::Delivered => "DELIVRD".into(),
        MessageState::Expired => "EXPIRED".into(),
        MessageState::Deleted => "DELETED".into(),
        MessageState::Undeliverable => "UNDELIV".into(),
        MessageState::Accepted => "ACCEPTD".into(),
        MessageState::Rejected => "REJECTD".into(),
        MessageState::Enroute => "ENROUTE".into(),
        MessageState::Skipped => "SKIPPED".into(),
        MessageState::Scheduled => "SCHEDULED".into(),
        MessageState::Unknown => "UNKNOWN".into(),
        MessageState::Other(v) => format!("state {v}"),
    }
}

/// The fields of a deliver_sm or data_sm that matter here.
struct Incoming<'a> {
    esm_class: u8,
    data_coding: u8,
    from: String,
    from_ton: u8,
    to: String,
    to_ton: u8,
    payload: &'a [u8],
    tlvs: &'a Tlvs,
}

/// What to answer a deliver_sm / data_sm with: at once, or once its store write is durable.
#[derive(Debug)]
pub enum Answer {
    /// The status to answer with now.
    Now(CommandStatus),
    /// Queued on the link's writer: ESME_ROK once stored, an error status otherwise.
    Stored(Stored),
}

impl Answer {
    /// The command_status to answer with, once known.
    pub async fn status(self) -> CommandStatus {
        match self {
            Answer::Now(status) => status,
            Answer::Stored(stored) => {
                if stored.wait().await {
                    CommandStatus::Ok
                } else {
                    CommandStatus::ReceiverTemporaryAppError
                }
            }
        }
    }
}

/// Takes one deliver_sm / data_sm body: queues its receipt or MO part on the link's writer.
/// Synchronous, so the session queues PDUs in the order it read them (inbox order is wire
/// order) and only the waits for the writes run in tasks of their own.
pub fn accept(link: &Arc<Link>, body: Body) -> Answer {
    let inc = match &body {
        Body::DeliverSm(d) => Incoming {
            esm_class: d.esm_class,
            data_coding: d.data_coding,
            from: d.source.addr.to_string_lossy(),
            from_ton: d.source.ton,
            to: d.dest.addr.to_string_lossy(),
            to_ton: d.dest.ton,
            payload: d.payload(),
            tlvs: &d.tlvs,
        },
        Body::DataSm(d) => Incoming {
            esm_class: d.esm_class,
            data_coding: d.data_coding,
            from: d.source.addr.to_string_lossy(),
            from_ton: d.source.ton,
            to: d.dest.addr.to_string_lossy(),
            to_ton: d.dest.ton,
            payload: d.tlvs.message_payload().unwrap_or_default(),
            tlvs: &d.tlvs,
        },
        _ => return Answer::Now(CommandStatus::InvalidCommandId),
    };
    let now = Timestamp::now();
    if esm_class::is_receipt(inc.esm_class) {
        // The link's writer stores it with the others that came meanwhile, durably.
        return Answer::Stored(link.writer.receipt(receipt_of(&inc, now)));
    }
    // Through the link's writer too: in the order the SMSC sent them, after the conversation
    // records of messages handed over before (so a reply finds them), durably.
    Answer::Stored(link.writer.mo(mo_part(link, &inc), now))
}

/// The receipt a deliver_sm / data_sm carries, as the store takes it.
fn receipt_of(inc: &Incoming<'_>, now: Timestamp) -> SmscReceipt {
    let raw = String::from_utf8_lossy(inc.payload).into_owned();
    let parsed = receipt::parse(&raw).ok();
    let smsc_id = inc
        .tlvs
        .receipted_message_id()
        .map(|i| i.to_string_lossy())
        .or_else(|| parsed.as_ref().map(|p| p.id.clone()))
        .unwrap_or_default();
    let state = inc
        .tlvs
        .message_state()
        .or_else(|| parsed.as_ref().and_then(|p| p.state))
        .unwrap_or(MessageState::Unknown);
    let err = parsed.as_ref().and_then(|p| p.err.clone()).or_else(|| {
        inc.tlvs
            .network_error_code()
            .map(|(t, c)| format!("{t}:{c}"))
    });
    let done_date = parsed.as_ref().and_then(|p| p.done_date).map(|d| {
        let mut s = format!(
            "{:02}{:02}{:02}{:02}{:02}",
            d.year % 100,
            d.month,
            d.day,
            d.hour,
            d.minute
        );
        if let Some(sec) = d.second {
            s.push_str(&format!("{sec:02}"));
        }
        s
    });
    SmscReceipt {
        smsc_id,
        part_status: part_status(state),
        stat: parsed
            .as_ref()
            .and_then(|p| p.stat.clone())
            .unwrap_or_else(|| state_word(state)),
        err,
        done_date,
        raw,
        received_at: now,
    }
}

/// Text of MO user data in `dc` (SMPP 3.4 §5.2.19), with the link's meaning of 0.
pub fn decode_text(dc: u8, octets: &[u8], default: DefaultCoding) -> String {
    match dc {
        data_coding::UCS2 => gsm::ucs2::decode(octets),
        data_coding::LATIN1 => octets.iter().map(|&b| char::from(b)).collect(),
        data_coding::IA5 => String::from_utf8_lossy(octets).into_owned(),
        data_coding::SMSC_DEFAULT => match default {
            DefaultCoding::Gsm7 => gsm::Gsm7Charset::DEFAULT.decode(octets),
            DefaultCoding::Latin1 => octets.iter().map(|&b| char::from(b)).collect(),
            DefaultCoding::Ascii => String::from_utf8_lossy(octets).into_owned(),
        },
        _ => octets.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Splits a user data header off `ud` (through [`crate::gsm::UserDataHeader::split`]) and
/// reads its concatenation element, if any. `None` when the header is malformed.
pub fn split_udh(ud: &[u8]) -> Option<(Option<PartRef>, &[u8])> {
    let (header, rest) = crate::gsm::UserDataHeader::split(ud).ok()?;
    let concat = header.concat().map(|c| PartRef {
        reference: c.reference,
        total: c.total,
        seq: c.sequence,
        sixteen_bit: c.sixteen_bit,
    });
    Some((concat, rest))
}

/// The inbox part a deliver_sm / data_sm carries.
fn mo_part(link: &Link, inc: &Incoming<'_>) -> InboundPart {
    let (mut concat, body) = if inc.esm_class & esm_class::UDHI != 0 {
        split_udh(inc.payload).unwrap_or((None, inc.payload))
    } else {
        (None, inc.payload)
    };
    if let Some((reference, total, seq)) = inc.tlvs.sar() {
        concat = Some(PartRef {
            reference,
            total,
            seq,
            sixteen_bit: true,
        });
    }
    let text = decode_text(inc.data_coding, body, link.config.default_coding);
    // The store reads both addresses with their type of number (`model::ReceivedAddress`).
    InboundPart {
        modem: link.name.clone(),
        route: link.name.clone(),
        from: inc.from.clone(),
        from_type: NumberType::from_ton(inc.from_ton),
        to: (!inc.to.is_empty()).then(|| inc.to.clone()),
        to_type: NumberType::from_ton(inc.to_ton),
        sent_at: None,
        concat,
        text,
    }
}

/// Matches parked receipts again every `receipt_retry`, releases MO messages whose parts
/// stopped coming after `reassembly`, and forgets old dedup marks, until `cancel`. SMSC ids
/// and parked receipts older than `keep` are forgotten (see [`receipt_keep`]).
pub async fn retry_parked(
    link: Arc<Link>,
    store: Arc<Store>,
    keep: Duration,
    cancel: CancellationToken,
) {
    let every = link.config.receipt_retry.get();
    let mut last_release = Timestamp::now();
    let mut last_purge = Timestamp(0);
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = Timestamp::now();
        // Wall-clock time: a clock stepped back counts as time passed (a subtraction would
        // underflow).
        let housekeeping = now.as_millis().abs_diff(last_release.as_millis()) >= 60_000;
        if housekeeping {
            last_release = now;
        }
        // Forgetting old ids walks all of them: hourly is often enough for a horizon of days.
        let purge = now.as_millis().abs_diff(last_purge.as_millis()) >= 3_600_000;
        if purge {
            last_purge = now;
        }
        let (link2, store2, from) = (link.clone(), store.clone(), cursor.take());
        let pass = tokio::task::spawn_blocking(move || {
            let next = retry_pass(&link2, &store2, from, now);
            if housekeeping {
                tidy(&link2, &store2, now);
            }
            if purge {
                forget_old_receipt_state(&link2, &store2, keep, now);
            }
            next
        });
        cursor = pass.await.unwrap_or(None);
    }
}

/// How long a link keeps SMSC ids and parked receipts: a receipt comes at the latest when
/// the message's validity ends, and no message is valid longer than `max_validity`; a day
/// more for SMSCs that report late.
pub fn receipt_keep(max_validity: Duration) -> Duration {
    max_validity + Duration::from_secs(86_400)
}

/// One retry of parked receipts: the newest (a receipt that came just before its
/// submit_sm_resp was recorded matches now), and the next page of the older ones after
/// `cursor`, so that every parked receipt is tried again in turn however many never match.
/// Returns where the next page starts.
fn retry_pass(
    link: &Link,
    store: &Store,
    cursor: Option<Vec<u8>>,
    now: Timestamp,
) -> Option<Vec<u8>> {
    let read = store
        .newest_parked_smpp_receipts(&link.name, PARKED_BATCH)
        .and_then(|newest| {
            let page = store.parked_smpp_receipts(&link.name, cursor.as_deref(), PARKED_BATCH)?;
            Ok((newest, page))
        });
    let (mut parked, page) = match read {
        Ok(p) => p,
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot read parked receipts");
            return cursor;
        }
    };
    let next = (page.len() == PARKED_BATCH)
        .then(|| page.last().map(|(k, _)| k.clone()))
        .flatten();
    // The two overlap while few are parked.
    let newest: std::collections::HashSet<Vec<u8>> =
        parked.iter().map(|(k, _)| k.clone()).collect();
    parked.extend(page.into_iter().filter(|(k, _)| !newest.contains(k)));
    let (keys, receipts): (Vec<Vec<u8>>, Vec<SmscReceipt>) = parked.into_iter().unzip();
    let matched = store.apply_smpp_receipts_each(&link.name, &receipts, now);
    for (key, m) in keys.iter().zip(matched) {
        match m {
            Ok(SmppReceiptMatch::Applied { .. }) => {
                Link::count(&link.stats.receipts_matched_late);
                Link::count(&link.stats.receipts);
                match store.unpark_smpp_receipt(key) {
                    Ok(()) => Link::uncount(&link.stats.receipts_parked_now),
                    Err(e) => {
                        warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot unpark a receipt")
                    }
                }
            }
            Ok(SmppReceiptMatch::NoMatch) => {}
            Err(e) => {
                warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot apply a parked receipt")
            }
        }
    }
    next
}

/// Once a minute: releases MO messages whose parts stopped coming, forgets day-old dedup
/// marks.
fn tidy(link: &Link, store: &Store, now: Timestamp) {
    let window = link.config.reassembly.get();
    let older = Timestamp(now.as_millis().saturating_sub(window.as_millis() as u64));
    let _ = store.release_incomplete(&link.name, older, now);
    let day = Timestamp(
        now.as_millis()
            .saturating_sub(Duration::from_secs(86_400).as_millis() as u64),
    );
    let _ = store.purge_seen(&link.name, day);
}

/// Forgets SMSC ids and parked receipts older than `keep`, counting the receipts, and counts
/// those still parked (for the gauge).
fn forget_old_receipt_state(link: &Link, store: &Store, keep: Duration, now: Timestamp) {
    let before = Timestamp(now.as_millis().saturating_sub(keep.as_millis() as u64));
    match store.purge_smpp_receipt_state(&link.name, before) {
        Ok((ids, parked)) => {
            if parked > 0 {
                Link::add(&link.stats.receipts_expired, parked as u64);
                warn!(target: "smsgw::smpp", link = %link.name, parked, "receipts parked longer than any message stays valid matched nothing and were dropped");
            }
            if ids > 0 {
                tracing::debug!(target: "smsgw::smpp", link = %link.name, ids, "old SMSC ids forgotten");
            }
        }
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot forget old SMSC ids and parked receipts")
        }
    }
    link.stats.receipts_parked_now.store(
        store.count_parked_smpp_receipts(&link.name),
        Ordering::Relaxed,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smpp::link_writer::tests::{receipt, setup};

    /// Parks `n` receipts for ids nobody sent (`junk0`…), oldest first, a millisecond apart,
    /// before `t0`.
    fn park_junk(store: &Store, n: u64, t0: Timestamp) {
        for i in 0..n {
            let mut r = receipt(&format!("junk{i}"));
            r.received_at = Timestamp(t0.as_millis() - 100_000 + i);
            store.park_smpp_receipt("op", &r).unwrap();
        }
    }

    fn part_status_of(store: &Store, id: crate::model::MessageId) -> PartStatus {
        store.get(id).unwrap().unwrap().parts[0].status
    }

    #[test]
    fn a_receipt_parked_behind_thousands_that_never_match_should_match_once_its_id_is_recorded() {
        let (_dir, store, link, id) = setup();
        let t0 = Timestamp::now();
        park_junk(&store, 2 * PARKED_BATCH as u64, t0);
        // Ours came just before its submit_sm_resp was recorded.
        store.park_smpp_receipt("op", &receipt("ours")).unwrap();
        store.record_smsc_id("op", "ours", id, 1, t0).unwrap();
        // The hourly recount sets the gauge; the match takes one off.
        forget_old_receipt_state(&link, &store, Duration::from_secs(86_400), t0);
        let parked_now = || link.stats.receipts_parked_now.load(Ordering::Relaxed);
        assert_eq!(parked_now(), 2 * PARKED_BATCH as u64 + 1);
        retry_pass(&link, &store, None, t0);
        assert_eq!(part_status_of(&store, id), PartStatus::Delivered);
        assert_eq!(
            store.count_parked_smpp_receipts("op"),
            2 * PARKED_BATCH as u64
        );
        assert_eq!(parked_now(), 2 * PARKED_BATCH as u64);
    }

    #[test]
    fn every_parked_receipt_should_be_tried_again_in_turn_however_many_never_match() {
        let (_dir, store, link, id) = setup();
        let t0 = Timestamp::now();
        // Neither among the newest nor on the first page of the oldest.
        park_junk(&store, 2 * PARKED_BATCH as u64 + 500, t0);
        store.record_smsc_id("op", "junk1200", id, 1, t0).unwrap();
        let next = retry_pass(&link, &store, None, t0);
        assert_eq!(part_status_of(&store, id), PartStatus::Pending);
        assert!(next.is_some());
        let next = retry_pass(&link, &store, next, t0);
        assert_eq!(part_status_of(&store, id), PartStatus::Delivered);
        // The third page is short: the pass after it starts from the oldest again.
        let next = retry_pass(&link, &store, next, t0);
        assert!(retry_pass(&link, &store, next, t0).is_some());
    }

    #[test]
    fn an_8bit_concat_udh_should_be_split_off() {
        let ud = [5, 0, 3, 0x2a, 3, 2, b'h', b'i'];
        let (c, rest) = split_udh(&ud).unwrap();
        let c = c.unwrap();
        assert_eq!((c.reference, c.total, c.seq), (0x2a, 3, 2));
        assert_eq!(rest, b"hi");
    }

    #[test]
    fn a_truncated_udh_should_not_panic() {
        assert!(split_udh(&[9, 0, 3]).is_none());
        assert!(split_udh(&[]).is_none());
        // An element running past its header is malformed, not silently skipped.
        assert!(split_udh(&[3, 0, 5, 1]).is_none());
        // A concatenation element with sequence 0 is ignored (TS 23.040 §9.2.3.24.1).
        let (c, rest) = split_udh(&[5, 0, 3, 1, 2, 0, b'x']).unwrap();
        assert!(c.is_none());
        assert_eq!(rest, b"x");
    }

    #[test]
    fn states_should_map_to_part_statuses() {
        assert_eq!(part_status(MessageState::Delivered), PartStatus::Delivered);
        assert_eq!(part_status(MessageState::Rejected), PartStatus::Undelivered);
        assert_eq!(part_status(MessageState::Expired), PartStatus::Undelivered);
        assert_eq!(part_status(MessageState::Enroute), PartStatus::Sent);
    }
}
