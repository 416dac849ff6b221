//! [`TpduCodec`] over [`crate::gsm`]: the driver's SMS-SUBMITs and decoded received PDUs.
//!
//! Segmentation uses the same [`SegmentOptions`] as the API's part count
//! (`SubmitRules::segment`), so a message goes out in exactly the parts it was counted in.

use super::codec::{
    CodecError, Concat, Decoded, IncomingSms, OutgoingPart, StatusReportPdu, TpduCodec,
};
use crate::gsm::{
    self, Address, Body, OutgoingText, SegmentOptions, Tpdu, ValidityPeriod, decode_pdu_hex,
};
use crate::model::{OutboundMessage, Timestamp};

/// The GSM codec as the modem driver sees it.
#[derive(Debug, Clone, Default)]
pub struct GsmCodec {
    /// Alphabet and concatenation choices; must equal the API's.
    pub segment: SegmentOptions,
}

impl TpduCodec for GsmCodec {
    fn encode_submit(
        &self,
        message: &OutboundMessage,
        parts: &[u8],
        reference: u16,
    ) -> Result<Vec<OutgoingPart>, CodecError> {
        let to = Address::from_user(message.to.as_str());
        // TP-VP: what is left of the message's validity, rounded up so the network never
        // drops it before we would.
        let left = Timestamp::now().until(message.expires_at);
        let text = OutgoingText {
            to: &to,
            text: &message.text,
            status_report: true,
            validity: Some(ValidityPeriod::relative_at_least(left)),
            reference,
        };
        let pdus = gsm::build_text_pdus(&text, None, &self.segment).map_err(err)?;
        Ok(pdus
            .into_iter()
            .zip(1u8..)
            .filter(|(_, index)| parts.contains(index))
            .map(|(pdu, index)| OutgoingPart {
                index,
                pdu_hex: pdu.hex,
                tpdu_len: pdu.tpdu_len,
            })
            .collect())
    }

    fn decode(&self, pdu_hex: &str) -> Result<Decoded, CodecError> {
        let received = decode_pdu_hex(pdu_hex, None).map_err(err)?;
        Ok(match received.tpdu {
            Tpdu::Deliver(d) => {
                let concat = d.user_data.header.as_ref().and_then(|h| h.concat());
                let text = match &d.user_data.body {
                    Body::Text(t) => t.clone(),
                    // 8-bit data has no text; show it as hex rather than dropping it.
                    Body::Binary(b) => hex::encode_upper(b),
                    Body::Compressed(_) => {
                        return Err(CodecError(
                            "compressed user data (TS 23.042) is not supported".into(),
                        ));
                    }
                };
                Decoded::Deliver(IncomingSms {
                    from: d.originator.display(),
                    sent_at: timestamp(&d.timestamp),
                    concat: concat.filter(|c| c.total > 1).map(|c| Concat {
                        reference: c.reference,
                        total: c.total,
                        seq: c.sequence,
                        sixteen_bit: c.sixteen_bit,
                    }),
                    text,
                })
            }
            Tpdu::StatusReport(r) => Decoded::StatusReport(StatusReportPdu {
                mr: r.message_reference,
                recipient: r.recipient.display(),
                sent_at: timestamp(&r.timestamp),
                discharged_at: timestamp(&r.discharge_time),
                status: r.status.0,
            }),
            Tpdu::Submit(_) => Decoded::Other("SMS-SUBMIT".into()),
        })
    }
}

fn err(e: gsm::GsmError) -> CodecError {
    CodecError(e.to_string())
}

/// A TP-SCTS as a point in time; `None` when the SC sent an impossible date.
fn timestamp(t: &gsm::Timestamp) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(&t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::submit::{SubmitRequest, SubmitRules};
    use crate::config::MessagesConfig;
    use crate::gsm::{Direction, decode_pdu_hex};

    fn message(text: &str) -> OutboundMessage {
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "+358401234567", "text": text}))
                .unwrap();
        SubmitRules::new(&MessagesConfig::default())
            .validate(req, Timestamp::now(), |_| true)
            .unwrap()
    }

    #[test]
    fn a_long_message_should_become_the_requested_parts_with_srr_and_validity() {
        let codec = GsmCodec::default();
        let m = message(&"Привет ".repeat(20));
        let all = codec.encode_submit(&m, &[1, 2, 3], 9).unwrap();
        assert_eq!(all.len(), 3);
        let only_second = codec.encode_submit(&m, &[2], 9).unwrap();
        assert_eq!(only_second, vec![all[1].clone()]);
        let p = decode_pdu_hex(&all[0].pdu_hex, Some(Direction::FromMobile)).unwrap();
        assert_eq!(p.tpdu_len, all[0].tpdu_len);
        let Tpdu::Submit(s) = p.tpdu else {
            panic!("not a submit")
        };
        assert!(s.status_report_request);
        assert_eq!(s.destination.display(), "+358401234567");
        assert!(matches!(s.validity, Some(ValidityPeriod::Relative(_))));
    }

    #[test]
    fn a_received_deliver_should_decode_with_sender_time_and_concatenation() {
        // A two-part 7-bit DELIVER with an 8-bit concatenation reference built by the codec,
        // SMSC prefix included.
        let codec = GsmCodec::default();
        let segments = gsm::segment(&"y".repeat(170), &SegmentOptions::default(), 77).unwrap();
        let deliver = gsm::Deliver {
            more_messages: true,
            loop_prevention: false,
            status_report_indication: false,
            reply_path: false,
            originator: Address::international("358409876543"),
            protocol_id: 0,
            dcs: segments.dcs,
            timestamp: gsm::Timestamp {
                year: 26,
                month: 11,
                day: 22,
                hour: 10,
                minute: 0,
                second: 0,
                tz_quarters: 8,
            },
            user_data: segments.parts[1].clone(),
        };
        let pdu = gsm::encode_pdu_hex(None, &Tpdu::Deliver(deliver)).unwrap();
        let Decoded::Deliver(sms) = codec.decode(&pdu.hex).unwrap() else {
            panic!("not a deliver")
        };
        assert_eq!(sms.from, "+358409876543");
        assert_eq!(
            sms.concat,
            Some(Concat {
                reference: 77,
                total: 2,
                seq: 2,
                sixteen_bit: false
            })
        );
        assert_eq!(
            sms.sent_at,
            Timestamp::parse_rfc3339("2026-11-22T08:00:00Z")
        );
        assert_eq!(sms.text, "y".repeat(170 - 153));
    }

    #[test]
    fn a_status_report_should_decode_with_reference_recipient_and_status() {
        // A STATUS-REPORT laid out by hand per TS 23.040 §9.2.2.3, as a modem prints it
        // after +CDS: SMSC 00, first octet 06, MR 0x0B, recipient (12 digits, international)
        // +355840123456, SCTS and DT 2026-11-22 00:00:00 UTC, TP-ST 0 (delivered).
        let codec = GsmCodec::default();
        let hex = "00060B0C91538504214365621122000000006211220000000000";
        let Decoded::StatusReport(r) = codec.decode(hex).unwrap() else {
            panic!("not a status report")
        };
        assert_eq!((r.mr, r.status), (0x0B, 0));
        assert_eq!(r.recipient, "+355840123456");
        assert_eq!(
            r.discharged_at,
            Timestamp::parse_rfc3339("2026-11-22T00:00:00Z")
        );
    }

    #[test]
    fn garbage_should_be_a_codec_error() {
        let codec = GsmCodec::default();
        assert!(codec.decode("ZZ").is_err());
        assert!(codec.decode("0004").is_err());
    }
}
