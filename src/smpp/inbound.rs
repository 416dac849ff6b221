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

use super::pdu::values::{MessageState, data_coding, esm_class};
use super::pdu::{Body, CommandStatus, Tlvs};
use super::receipt;
use super::session::Link;
use crate::config::DefaultCoding;
use crate::gsm;
use crate::model::{MessageId, NumberType, PartStatus, Timestamp};
use crate::store::writer::Pending;
use crate::store::{InboundPart, PartRef, ReceiptStored, Received, Rematched, SmscReceipt, Store};

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
    /// Queued on the store's writer: ESME_ROK once stored durably, an error status otherwise.
    Stored(Stored),
}

/// A receipt or MO part queued on the store's writer, for the link that received it.
#[must_use = "the SMSC is answered once the write is durable"]
#[derive(Debug)]
pub struct Stored {
    link: Arc<Link>,
    store: Arc<Store>,
    write: Write,
}

#[derive(Debug)]
enum Write {
    Receipt(Pending<ReceiptStored>),
    Mo(Pending<Received>),
}

impl Stored {
    /// Waits for the write and for it to be durable; whether it is (the SMSC is then
    /// answered with success, else with an error so that it sends the PDU again).
    pub async fn wait(self) -> bool {
        let Stored { link, store, write } = self;
        let stored = match write {
            Write::Receipt(p) => match p.wait().await {
                Ok(ReceiptStored::Applied(_)) => {
                    Link::count(&link.stats.receipts);
                    Ok(())
                }
                Ok(ReceiptStored::Parked) => {
                    tracing::debug!(target: "smsgw::smpp", link = %link.name, "receipt matches no recorded submit yet; parked");
                    Link::count(&link.stats.receipts_parked);
                    Link::count(&link.stats.receipts_parked_now);
                    Ok(())
                }
                Err(e) => Err(("a receipt", e)),
            },
            Write::Mo(p) => match p.wait().await {
                Ok(_) => {
                    Link::count(&link.stats.mo);
                    Ok(())
                }
                Err(e) => Err(("an inbound PDU", e)),
            },
        };
        if let Err((what, e)) = stored {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot store {what}; the SMSC will resend it");
            return false;
        }
        match store.durable().await {
            Ok(()) => true,
            Err(e) => {
                warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot make a receipt or MO durable; the SMSC will resend it");
                false
            }
        }
    }
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

/// Takes one deliver_sm / data_sm body: queues its receipt or MO part on the store's writer.
/// Synchronous, so the session queues PDUs in the order it read them (inbox order is wire
/// order, and a receipt queued after its submit's SMSC id finds it) and only the waits for
/// the writes run in tasks of their own.
pub fn accept(link: &Arc<Link>, store: &Arc<Store>, body: Body) -> Answer {
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
    let write = if esm_class::is_receipt(inc.esm_class) {
        Write::Receipt(
            store
                .writer()
                .apply_receipt(&link.name, receipt_of(&inc, now), now),
        )
    } else {
        // Every deliver_sm is a new part: the SMSC resends only what we did not answer, and
        // we answer after the write is durable. SMPP has no per-PDU identity: a fresh id
        // stands in for one.
        let unique = MessageId::new_at(now.as_millis()).to_bytes().to_vec();
        Write::Mo(
            store
                .writer()
                .receive_part(unique, mo_part(link, &inc), now),
        )
    };
    Answer::Stored(Stored {
        link: link.clone(),
        store: store.clone(),
        write,
    })
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
        cursor = retry_pass(&link, &store, cursor.take(), now).await;
        if housekeeping {
            tidy(&link, &store, now).await;
        }
        if purge {
            forget_old_receipt_state(&link, &store, keep, now).await;
        }
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
async fn retry_pass(
    link: &Arc<Link>,
    store: &Arc<Store>,
    cursor: Option<Vec<u8>>,
    now: Timestamp,
) -> Option<Vec<u8>> {
    // Reading walks sled's pages: off the runtime.
    let (name, reader, from) = (link.name.clone(), store.clone(), cursor.clone());
    let read = tokio::task::spawn_blocking(move || {
        let newest = reader.newest_parked_smpp_receipts(&name, PARKED_BATCH)?;
        let page = reader.parked_smpp_receipts(&name, from.as_deref(), PARKED_BATCH)?;
        Ok::<_, crate::store::StoreError>((newest, page))
    })
    .await;
    let (mut parked, page) = match read {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot read parked receipts");
            return cursor;
        }
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "reading parked receipts failed");
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
    if parked.is_empty() {
        return next;
    }
    let matched = match store
        .writer()
        .rematch_parked(&link.name, parked, now)
        .wait()
        .await
    {
        Ok(m) => m,
        Err(e) => {
            warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot apply parked receipts");
            return next;
        }
    };
    for m in matched {
        match m {
            Ok(Rematched::Applied { unparked }) => {
                Link::count(&link.stats.receipts_matched_late);
                Link::count(&link.stats.receipts);
                match unparked {
                    Ok(()) => Link::uncount(&link.stats.receipts_parked_now),
                    Err(e) => {
                        warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot unpark a receipt")
                    }
                }
            }
            Ok(Rematched::NoMatch) => {}
            Err(e) => {
                warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot apply a parked receipt")
            }
        }
    }
    next
}

/// Once a minute: releases MO messages whose parts stopped coming, forgets day-old dedup
/// marks.
async fn tidy(link: &Link, store: &Store, now: Timestamp) {
    let window = link.config.reassembly.get();
    let older = Timestamp(now.as_millis().saturating_sub(window.as_millis() as u64));
    if let Err(e) = store
        .writer()
        .release_incomplete(&link.name, older, now)
        .wait()
        .await
    {
        warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot release incomplete MO messages");
    }
    let day = Timestamp(
        now.as_millis()
            .saturating_sub(Duration::from_secs(86_400).as_millis() as u64),
    );
    if let Err(e) = store.writer().purge_seen(&link.name, day).wait().await {
        warn!(target: "smsgw::smpp", link = %link.name, cause = %e, "cannot forget old dedup marks");
    }
}

/// Forgets SMSC ids and parked receipts older than `keep`, counting the receipts, and counts
/// those still parked (for the gauge).
async fn forget_old_receipt_state(link: &Link, store: &Arc<Store>, keep: Duration, now: Timestamp) {
    let before = Timestamp(now.as_millis().saturating_sub(keep.as_millis() as u64));
    match store
        .writer()
        .purge_smpp_receipt_state(&link.name, before)
        .wait()
        .await
    {
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
    // Counting walks every parked key: off the runtime.
    let (name, reader) = (link.name.clone(), store.clone());
    if let Ok(parked) =
        tokio::task::spawn_blocking(move || reader.count_parked_smpp_receipts(&name)).await
    {
        link.stats
            .receipts_parked_now
            .store(parked, Ordering::Relaxed);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::submit::{SubmitRequest, SubmitRules};
    use crate::config::Config;
    use crate::model::Status;
    use crate::store::{Inserted, NewMessage, SmscIdRecord};

    /// A store with one message `sending` over link `op`, and the link.
    pub(crate) fn setup() -> (tempfile::TempDir, Arc<Store>, Arc<Link>, MessageId) {
        let config = Config::from_toml(
            "[messages]\ndefault_country = \"358\"\n[[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
             [[smpp]]\nroute = \"op\"\nhost = \"h\"\nsystem_id = \"a\"\npassword = \"b\"\n",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "+358401234567", "text": "hi"}))
                .unwrap();
        let message = SubmitRules::new(&config.messages)
            .validate(req, Timestamp::now(), |_| true)
            .unwrap();
        let Inserted::New(m) = store
            .insert_outbound(vec![NewMessage {
                message,
                idempotency_key: None,
            }])
            .unwrap()
            .remove(0)
        else {
            panic!("a new message");
        };
        // As the dispatcher leaves it while the route works on it.
        store
            .update(m.id, |m| {
                for p in &mut m.parts {
                    p.route = Some("op".into());
                }
                m.set_status(Status::Sending, Timestamp::now(), None);
                true
            })
            .unwrap();
        let link = Link::new("op", config.smpp[0].clone());
        (dir, store, link, m.id)
    }

    /// A `DELIVRD` receipt for `smsc_id`, received now.
    pub(crate) fn receipt(smsc_id: &str) -> SmscReceipt {
        SmscReceipt {
            smsc_id: smsc_id.into(),
            part_status: PartStatus::Delivered,
            stat: "DELIVRD".into(),
            err: None,
            done_date: None,
            raw: format!("id:{smsc_id} stat:DELIVRD"),
            received_at: Timestamp::now(),
        }
    }

    /// A receipt or MO part as a session queues it: in a deliver_sm's place, waited for.
    fn deliver(link: &Arc<Link>, store: &Arc<Store>, write: Write) -> Stored {
        Stored {
            link: link.clone(),
            store: store.clone(),
            write,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receipt_queued_right_behind_its_id_should_find_it_and_one_matching_nothing_be_parked()
     {
        let (_dir, store, link, id) = setup();
        let cancel = CancellationToken::new();
        tokio::spawn(store.group_commit().run(cancel.clone()));
        let w = store.writer();
        w.record_smsc_id(
            "op",
            SmscIdRecord {
                id,
                part: 1,
                at: Timestamp::now(),
                smsc_id: "7f".into(),
            },
        );
        let now = Timestamp::now();
        let known = deliver(
            &link,
            &store,
            Write::Receipt(w.apply_receipt("op", receipt("7F"), now)),
        );
        let unknown = deliver(
            &link,
            &store,
            Write::Receipt(w.apply_receipt("op", receipt("nothing"), now)),
        );
        let (known, unknown) = tokio::join!(known.wait(), unknown.wait());
        assert!(known && unknown, "both stored");
        let m = store.get(id).unwrap().unwrap();
        assert_eq!(m.parts[0].status, PartStatus::Delivered);
        assert_eq!(m.parts[0].receipt.as_deref(), Some("id:7F stat:DELIVRD"));
        assert_eq!(store.count_parked_smpp_receipts("op"), 1);
        assert_eq!(link.stats.receipts_parked_now.load(Ordering::Relaxed), 1);
        assert_eq!(link.stats.receipts_parked.load(Ordering::Relaxed), 1);

        // A reply from its recipient on this link answers it.
        let reply = InboundPart {
            modem: "op".into(),
            route: "op".into(),
            from: m.to.as_str().into(),
            from_type: crate::model::NumberType::Unknown,
            to: None,
            to_type: crate::model::NumberType::Unknown,
            sent_at: None,
            concat: None,
            text: "Yes".into(),
        };
        let mo = w.receive_part(vec![1, 2, 3], reply, Timestamp::now());
        assert!(deliver(&link, &store, Write::Mo(mo)).wait().await);
        let inbox = store.list_inbox(None, 10).unwrap();
        assert_eq!(inbox.items.len(), 1);
        assert_eq!(
            inbox.items[0].in_reply_to.as_ref().map(|r| r.id),
            Some(id),
            "{:?}",
            inbox.items[0]
        );
        assert_eq!(link.stats.mo.load(Ordering::Relaxed), 1);
        cancel.cancel();
    }

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

    #[tokio::test]
    async fn a_receipt_parked_behind_thousands_that_never_match_should_match_once_its_id_is_recorded()
     {
        let (_dir, store, link, id) = setup();
        let t0 = Timestamp::now();
        park_junk(&store, 2 * PARKED_BATCH as u64, t0);
        // Ours came just before its submit_sm_resp was recorded.
        store.park_smpp_receipt("op", &receipt("ours")).unwrap();
        store.record_smsc_id("op", "ours", id, 1, t0).unwrap();
        // The hourly recount sets the gauge; the match takes one off.
        forget_old_receipt_state(&link, &store, Duration::from_secs(86_400), t0).await;
        let parked_now = || link.stats.receipts_parked_now.load(Ordering::Relaxed);
        assert_eq!(parked_now(), 2 * PARKED_BATCH as u64 + 1);
        retry_pass(&link, &store, None, t0).await;
        assert_eq!(part_status_of(&store, id), PartStatus::Delivered);
        assert_eq!(
            store.count_parked_smpp_receipts("op"),
            2 * PARKED_BATCH as u64
        );
        assert_eq!(parked_now(), 2 * PARKED_BATCH as u64);
    }

    #[tokio::test]
    async fn every_parked_receipt_should_be_tried_again_in_turn_however_many_never_match() {
        let (_dir, store, link, id) = setup();
        let t0 = Timestamp::now();
        // Neither among the newest nor on the first page of the oldest.
        park_junk(&store, 2 * PARKED_BATCH as u64 + 500, t0);
        store.record_smsc_id("op", "junk1200", id, 1, t0).unwrap();
        let next = retry_pass(&link, &store, None, t0).await;
        assert_eq!(part_status_of(&store, id), PartStatus::Pending);
        assert!(next.is_some());
        let next = retry_pass(&link, &store, next, t0).await;
        assert_eq!(part_status_of(&store, id), PartStatus::Delivered);
        // The third page is short: the pass after it starts from the oldest again.
        let next = retry_pass(&link, &store, next, t0).await;
        assert!(retry_pass(&link, &store, next, t0).await.is_some());
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
