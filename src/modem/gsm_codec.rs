//! [`TpduCodec`] over [`crate::gsm`]: SMS-SUBMITs (TS 23.040 §9.2.2.2) built with the same
//! segmentation options the API counted parts with, and SMS-DELIVER / SMS-STATUS-REPORT
//! (§9.2.2.1, §9.2.2.3) decoded from the AT `<pdu>` (TS 27.005 §3.1).
//!
//! The part count and coding promised at submit time are a contract: if the codec would cut
//! the text differently (the text changed, or the options differ from the API's), encoding
//! fails rather than sending a different message than the one accepted.

use std::time::Duration;

use super::codec::{
    CodecError, Concat, Decoded, IncomingSms, OutgoingPart, StatusReportPdu, TpduCodec,
};
use crate::gsm::{self, Address, Body, OutgoingText, SegmentOptions, Tpdu, ValidityPeriod};
use crate::model::{OutboundMessage, Timestamp};

/// The GSM codec as the modem driver sees it. `segment` must be the options the API's
/// [`crate::api::submit::SubmitRules`] counts parts with, so the parts sent are the parts
/// promised.
#[derive(Debug, Clone, Default)]
pub struct GsmCodec {
    /// Alphabet and concatenation choices (shared with part counting).
    pub segment: SegmentOptions,
}

impl GsmCodec {
    /// A codec segmenting with `segment`.
    pub fn new(segment: SegmentOptions) -> Self {
        Self { segment }
    }

    /// Encodes at `now`: TP-VP is the time left until the message expires, rounded up to the
    /// next relative step (TS 23.040 §9.2.3.12.1) so the SC never drops it earlier than asked.
    pub fn encode_submit_at(
        &self,
        message: &OutboundMessage,
        parts: &[u8],
        reference: u16,
        now: Timestamp,
    ) -> Result<Vec<OutgoingPart>, CodecError> {
        let to = Address::from_user(message.to.as_str());
        let left = now.until(message.expires_at);
        if left.is_zero() {
            return Err(CodecError(format!(
                "the message expired at {}",
                message.expires_at
            )));
        }
        let text = OutgoingText {
            to: &to,
            text: &message.text,
            status_report: true,
            validity: Some(ValidityPeriod::relative_at_least(
                left.max(Duration::from_secs(1)),
            )),
            reference,
        };
        let count = gsm::count_parts(&message.text, &self.segment);
        let coding = crate::api::submit::encoding_name(count.encoding);
        if count.parts != message.parts.len() || coding != message.encoding {
            return Err(CodecError(format!(
                "the text now needs {} part(s) in {coding}, but {} part(s) in {} were accepted",
                count.parts,
                message.parts.len(),
                message.encoding
            )));
        }
        let pdus = gsm::build_text_pdus(&text, None, &self.segment)
            .map_err(|e| CodecError(e.to_string()))?;
        parts
            .iter()
            .map(|&i| {
                let pdu = usize::from(i)
                    .checked_sub(1)
                    .and_then(|k| pdus.get(k))
                    .ok_or_else(|| {
                        CodecError(format!("part {i} asked of a {}-part message", pdus.len()))
                    })?;
                Ok(OutgoingPart {
                    index: i,
                    pdu_hex: pdu.hex.clone(),
                    tpdu_len: pdu.tpdu_len,
                })
            })
            .collect()
    }
}

/// A GSM time stamp as a stored timestamp (`None` when the SC sent an impossible date).
fn timestamp(t: &gsm::Timestamp) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(&t.to_rfc3339())
}

impl TpduCodec for GsmCodec {
    fn encode_submit(
        &self,
        message: &OutboundMessage,
        parts: &[u8],
        reference: u16,
    ) -> Result<Vec<OutgoingPart>, CodecError> {
        self.encode_submit_at(message, parts, reference, Timestamp::now())
    }

    fn decode(&self, pdu_hex: &str) -> Result<Decoded, CodecError> {
        // Messages read from storage have no direction on the wire: TP-MTI decides.
        let received = gsm::decode_pdu_hex(pdu_hex, None).map_err(|e| CodecError(e.to_string()))?;
        Ok(match received.tpdu {
            Tpdu::Deliver(d) => {
                let concat = d
                    .user_data
                    .header
                    .as_ref()
                    .and_then(|h| h.concat())
                    .map(|c| Concat {
                        reference: c.reference,
                        total: c.total,
                        seq: c.sequence,
                        sixteen_bit: c.sixteen_bit,
                    });
                let text = match d.user_data.body {
                    Body::Text(t) => t,
                    // 8-bit data has no text form: keep every octet, visibly.
                    Body::Binary(b) => format!("[binary {}]", hex::encode_upper(b)),
                    Body::Compressed(b) => format!("[compressed {}]", hex::encode_upper(b)),
                };
                Decoded::Deliver(IncomingSms {
                    from: d.originator.display(),
                    from_type: crate::model::NumberType::from_ton(d.originator.ton as u8),
                    sent_at: timestamp(&d.timestamp),
                    concat,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::submit::{SubmitRequest, SubmitRules};
    use crate::config::MessagesConfig;
    use crate::gsm::Direction;

    fn message(text: &str) -> OutboundMessage {
        let req: SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": "+358401234567", "text": text}))
                .unwrap();
        SubmitRules::new(&MessagesConfig::default())
            .validate(req, Timestamp::now(), |_| true)
            .unwrap()
    }

    fn submit_of(hex: &str) -> gsm::Submit {
        match gsm::decode_pdu_hex(hex, Some(Direction::FromMobile))
            .unwrap()
            .tpdu
        {
            Tpdu::Submit(s) => s,
            other => panic!("not a submit: {other:?}"),
        }
    }

    #[test]
    fn a_short_text_should_become_one_submit_with_srr_and_validity() {
        let m = message("Hello");
        let now = m.created_at;
        let parts = GsmCodec::default()
            .encode_submit_at(&m, &[1], 7, now)
            .unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].index, 1);
        assert_eq!(parts[0].tpdu_len * 2 + 2, parts[0].pdu_hex.len());
        let s = submit_of(&parts[0].pdu_hex);
        assert!(s.status_report_request);
        assert_eq!(s.destination.display(), "+358401234567");
        assert_eq!(s.user_data.as_text(), Some("Hello"));
        assert!(s.user_data.header.is_none());
        let Some(ValidityPeriod::Relative(v)) = s.validity else {
            panic!("no relative validity: {:?}", s.validity)
        };
        assert!(ValidityPeriod::relative_duration(v) >= now.until(m.expires_at));
    }

    /// hbjorgo/ATLib SmsSubmitEncoderTests.cs (MIT), three parts with reference 12: our
    /// submits differ in the first octet (TP-SRR, TP-VPF) and carry TP-VP, but TP-UDL and
    /// TP-UD (concatenation header and packed septets) must be the published octets.
    #[test]
    fn seven_bit_parts_should_carry_the_published_atlib_user_data() {
        let text = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";
        let published = [
            "0041000B915121551532F40000A00500030C0301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7E7",
            "0041000B915121551532F40000A00500030C030240EEF79C2EAF9341657C593E4ED3C3F4F4DB0DAAB3D9E1F6F80D6287C56F797A0E72A7E769509D0E0AB3D3F17A1A0E2AE341E53068FC6EB7DFE43768FC76CFCBF17A98EE22D6D37350B84E2F83D2F2BABC0C22BFD96F3928ED06C9CB7079195D7693CBF2341D947683EC6F761D4E0FD3CB207B999DA683CAF37919344EB3D9F53688FC66BFE5",
            "0041000B915121551532F40000900500030C0303CAA0721D64AE9FD3613AC85D67B3C32078589E0ED3EB7257113F2EC3E9E5BA1C344FBBE9A0F7781C2E8FC374D0B80E4F93C3F4301DE47EBB4170F93B4D2EBBE92CD0BCEEA683D26ED0B8CE868741F17A1AF4369BD3E37418442ECFCBF2BA9B0E6ABFD9EC341D1476A7DBA03419549ED341ECB0F82DAFB75D",
        ];
        let mut m = message(text);
        m.to = crate::model::Msisdn::from_normalised("+15125551234");
        assert_eq!(m.parts.len(), 3);
        let ours = GsmCodec::default()
            .encode_submit_at(&m, &[1, 2, 3], 12, m.created_at)
            .unwrap();
        for (p, want) in ours.iter().zip(published) {
            // Skip SMSC, first octet, TP-MR, TP-DA (8 octets), TP-PID, TP-DCS.
            let ud = &want[2 + 2 + 2 + 16 + 4..];
            assert!(p.pdu_hex.ends_with(ud), "{} vs {ud}", p.pdu_hex);
            assert!(
                p.pdu_hex.starts_with("0071000B915121551532F40000"),
                "{}",
                p.pdu_hex
            );
        }
    }

    #[test]
    fn a_long_ucs2_text_should_split_as_counted_and_keep_the_reference() {
        let text = "Привет, мир! ".repeat(12);
        let m = message(&text);
        assert_eq!(m.encoding, "ucs2");
        let n = m.parts.len() as u8;
        assert!(n >= 3);
        let all: Vec<u8> = (1..=n).collect();
        let parts = GsmCodec::default()
            .encode_submit_at(&m, &all, 0x1234, m.created_at)
            .unwrap();
        let mut joined = String::new();
        for (i, p) in parts.iter().enumerate() {
            let s = submit_of(&p.pdu_hex);
            let c = s.user_data.header.as_ref().unwrap().concat().unwrap();
            assert_eq!((c.reference, c.total, c.sequence), (0x34, n, i as u8 + 1));
            joined.push_str(s.user_data.as_text().unwrap());
        }
        assert_eq!(joined, text);
        // Only the parts asked for, in the order asked.
        let some = GsmCodec::default()
            .encode_submit_at(&m, &[n, 1], 0x1234, m.created_at)
            .unwrap();
        assert_eq!((some[0].index, some[1].index), (n, 1));
        assert_eq!(some[0].pdu_hex, parts[usize::from(n) - 1].pdu_hex);
    }

    #[test]
    fn sixteen_bit_references_should_follow_the_options() {
        let text = "x".repeat(200);
        let mut m = message(&text);
        let codec = GsmCodec::new(SegmentOptions {
            concat_16bit: true,
            ..SegmentOptions::default()
        });
        // 16-bit headers leave one septet less per part; 200 still needs two parts.
        m.parts.truncate(2);
        let parts = codec
            .encode_submit_at(&m, &[1, 2], 0xBEEF, m.created_at)
            .unwrap();
        let c = submit_of(&parts[1].pdu_hex)
            .user_data
            .header
            .unwrap()
            .concat()
            .unwrap();
        assert_eq!((c.reference, c.sixteen_bit), (0xBEEF, true));
    }

    #[test]
    fn a_part_count_other_than_the_accepted_one_should_be_refused() {
        let mut m = message("short");
        m.text = "y".repeat(400);
        let e = GsmCodec::default()
            .encode_submit_at(&m, &[1], 0, m.created_at)
            .unwrap_err();
        assert!(e.0.contains("were accepted"), "{e}");
        let m = message("short");
        assert!(
            GsmCodec::default()
                .encode_submit_at(&m, &[2], 0, m.created_at)
                .is_err()
        );
        assert!(
            GsmCodec::default()
                .encode_submit_at(&m, &[1], 0, m.expires_at)
                .is_err()
        );
    }

    /// AOSP platform_frameworks_base GsmSmsTest.java testUcs2 (Apache-2.0), as in
    /// tests/vectors/gsm/received.json.
    #[test]
    fn the_published_ucs2_deliver_should_decode_with_sender_time_and_text() {
        let pdu = "07912160130300F4040B914151245584F600087010807121352B10212200A900AE00680065006C006C006F";
        let Decoded::Deliver(d) = GsmCodec::default().decode(pdu).unwrap() else {
            panic!("not a deliver")
        };
        assert_eq!(d.text, "\u{2122}\u{a9}\u{ae}hello");
        assert_eq!(d.from, "+14154255486");
        assert_eq!(d.concat, None);
        assert_eq!(
            d.sent_at,
            Timestamp::parse_rfc3339("2007-01-08T17:12:53-08:00")
        );
    }

    #[test]
    fn a_status_report_should_decode_with_its_full_tp_st() {
        let report = gsm::StatusReport {
            more_messages: false,
            loop_prevention: false,
            qualifier_command: false,
            message_reference: 0x2A,
            recipient: Address::international("358401234567"),
            timestamp: gsm::Timestamp {
                year: 26,
                month: 11,
                day: 22,
                hour: 10,
                minute: 0,
                second: 0,
                tz_quarters: 8,
            },
            discharge_time: gsm::Timestamp {
                year: 26,
                month: 11,
                day: 22,
                hour: 10,
                minute: 0,
                second: 5,
                tz_quarters: 8,
            },
            status: gsm::TpStatus(0x41),
            protocol_id: None,
            dcs: None,
            user_data: None,
        };
        let hex = gsm::encode_pdu_hex(None, &Tpdu::StatusReport(report))
            .unwrap()
            .hex;
        let Decoded::StatusReport(sr) = GsmCodec::default().decode(&hex).unwrap() else {
            panic!("not a report")
        };
        assert_eq!((sr.mr, sr.status), (0x2A, 0x41));
        assert_eq!(sr.recipient, "+358401234567");
        assert_eq!(
            sr.discharged_at,
            Timestamp::parse_rfc3339("2026-11-22T10:00:05+02:00")
        );
    }

    #[test]
    fn a_concatenated_part_should_carry_its_reference_and_sequence() {
        let to = Address::international("358401234567");
        let text = "z".repeat(300);
        let out = gsm::build_submits(
            &OutgoingText {
                to: &to,
                text: &text,
                status_report: false,
                validity: None,
                reference: 99,
            },
            &SegmentOptions::default(),
        )
        .unwrap();
        // The same user data as an SMS-DELIVER, as a phone would receive it.
        let deliver = gsm::Deliver {
            more_messages: false,
            loop_prevention: false,
            status_report_indication: false,
            reply_path: false,
            originator: to.clone(),
            protocol_id: 0,
            dcs: out[1].dcs,
            timestamp: gsm::Timestamp {
                year: 26,
                month: 1,
                day: 2,
                hour: 3,
                minute: 4,
                second: 5,
                tz_quarters: 0,
            },
            user_data: out[1].user_data.clone(),
        };
        let hex = gsm::encode_pdu_hex(None, &Tpdu::Deliver(deliver))
            .unwrap()
            .hex;
        let Decoded::Deliver(d) = GsmCodec::default().decode(&hex).unwrap() else {
            panic!("not a deliver")
        };
        assert_eq!(
            d.concat,
            Some(Concat {
                reference: 99,
                total: 2,
                seq: 2,
                sixteen_bit: false
            })
        );
        assert_eq!(d.text, "z".repeat(300 - 153));
    }

    #[test]
    fn garbage_and_stored_submits_should_not_decode_as_messages() {
        assert!(GsmCodec::default().decode("ZZ").is_err());
        let m = message("hi");
        let p = GsmCodec::default()
            .encode_submit_at(&m, &[1], 0, m.created_at)
            .unwrap();
        assert_eq!(
            GsmCodec::default().decode(&p[0].pdu_hex).unwrap(),
            Decoded::Other("SMS-SUBMIT".into())
        );
    }
}
