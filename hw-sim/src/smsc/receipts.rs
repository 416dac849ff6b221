//! Delivery receipts: built as deliver_sm with the receipt bit in esm_class, the
//! `receipted_message_id` and `message_state` TLVs and the Appendix B text (SMPP 3.4 §4.6.1,
//! §5.2.12, Appendix B), and sent after the configured delay to a receiving bind of the same
//! account, which need not be the bind that submitted (as real SMSCs do).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use smsgw::smpp::pdu::values::esm_class;
use smsgw::smpp::pdu::{
    Address, Body, COctetString, MessageState, OctetString, SubmitSm, Tlv, TlvTag, TlvValue, Tlvs,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::state::{OUTCOMES, Outbound, Shared};

/// A receipt waiting for its time.
#[derive(Debug)]
pub struct Pending {
    /// When to send it.
    pub due: Instant,
    /// Order of scheduling, to keep equal due times first-in first-out.
    pub seq: u64,
    /// The account whose receiving bind gets it.
    pub system_id: String,
    /// The deliver_sm body.
    pub body: Body,
    /// Sent before on a connection that closed without answering it.
    pub redelivery: bool,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
}

/// What the receipt is about.
#[derive(Debug)]
pub struct ReceiptFor<'a> {
    /// Id as given in submit_sm_resp (goes into the TLV).
    pub message_id: &'a str,
    /// Id as printed in the receipt text.
    pub text_id: &'a str,
    /// The original sender (becomes the receipt's destination).
    pub source: &'a Address,
    /// The original recipient (becomes the receipt's source).
    pub dest: &'a Address,
    /// Index into [`OUTCOMES`].
    pub outcome: usize,
    /// First characters of the message, for `text:`.
    pub text: &'a str,
    /// Omit the TLVs (text-only receipts).
    pub text_only: bool,
}

/// Builds the receipt deliver_sm.
pub fn build(r: &ReceiptFor<'_>) -> Body {
    let (stat, state, err) = OUTCOMES[r.outcome.min(OUTCOMES.len() - 1)];
    let now = yymmddhhmm(SystemTime::now());
    let snippet: String = r
        .text
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(20)
        .collect();
    let text = format!(
        "id:{} sub:001 dlvrd:{} submit date:{now} done date:{now} stat:{stat} err:{err:03} text:{snippet}",
        r.text_id,
        if state == 2 { "001" } else { "000" },
    );
    let mut tlvs = Tlvs::new();
    if !r.text_only {
        if let Ok(id) = COctetString::try_from(r.message_id) {
            tlvs.push(Tlv::receipted_message_id(id));
        }
        tlvs.push(Tlv::message_state(MessageState::from_u8(state)));
        if err != 0 {
            tlvs.push(Tlv {
                tag: TlvTag::NetworkErrorCode,
                value: TlvValue::NetworkErrorCode {
                    network_type: 3,
                    error_code: err,
                },
            });
        }
    }
    Body::DeliverSm(SubmitSm {
        source: r.dest.clone(),
        dest: r.source.clone(),
        esm_class: esm_class::DELIVERY_RECEIPT,
        short_message: OctetString::from(text.into_bytes()),
        tlvs,
        ..SubmitSm::default()
    })
}

/// `YYMMDDhhmm` in UTC (Appendix B), from the civil-from-days algorithm.
pub fn yymmddhhmm(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:02}{m:02}{d:02}{:02}{:02}",
        y.rem_euclid(100),
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Runs the scheduler: holds pending receipts (and deliver_sm to send again after a
/// connection closed without answering them) in due order and hands each to a receiving
/// bind of its account when due. With no such bind, it retries every 500 ms, so receipts are
/// never dropped while an ESME reconnects.
pub async fn run(
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    cancel: CancellationToken,
) {
    let mut heap: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut seq = u64::MAX / 2;
    loop {
        let next = heap.peek().map(|Reverse(p)| p.due);
        tokio::select! {
            _ = cancel.cancelled() => return,
            p = rx.recv() => match p {
                Some(p) => heap.push(Reverse(p)),
                None => return,
            },
            _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                let now = Instant::now();
                while heap.peek().is_some_and(|Reverse(p)| p.due <= now) {
                    let Some(Reverse(p)) = heap.pop() else { break };
                    let out = if p.redelivery {
                        Outbound::Redelivery(Box::new(p.body))
                    } else {
                        Outbound::Request(Box::new(p.body))
                    };
                    match shared.send_to_receiver(Some(&p.system_id), out) {
                        Ok(_) => {
                            if !p.redelivery {
                                shared.stats.receipts_sent.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(Outbound::Request(body) | Outbound::Redelivery(body)) => {
                            seq += 1;
                            heap.push(Reverse(Pending {
                                due: now + Duration::from_millis(500),
                                seq,
                                system_id: p.system_id,
                                body: *body,
                                redelivery: p.redelivery,
                            }));
                        }
                        Err(Outbound::Raw(_)) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_date_should_be_ten_utc_digits() {
        // 2021-03-04 05:06:07 UTC.
        let t = UNIX_EPOCH + Duration::from_secs(1_614_834_367);
        assert_eq!(yymmddhhmm(t), "2103040506");
    }
}
