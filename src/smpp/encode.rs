//! An outbound message as submit_sm bodies (SMPP 3.4 §4.4.1): segmentation and coding by
//! [`crate::gsm::segment`] (the same packing the API counted parts with), long messages marked
//! per link (UDH, SAR TLVs or one message_payload), addresses with TON/NPI read from their
//! shape. Pure.

use bytes::Bytes;

use crate::config::{DefaultCoding, LongMessages, SmppLinkConfig};
use crate::gsm::{self, Encoding, SegmentOptions, UserData};
use crate::model::{OutboundMessage, Sender};
use crate::smpp::pdu::values::{data_coding, esm_class, npi, ton};
use crate::smpp::pdu::{Address, OctetString, SubmitSm, Tlv, TlvTag, Tlvs};
use crate::store::ALL_PARTS;

/// One submit_sm to send, and the part it carries ([`ALL_PARTS`] for a message_payload).
#[derive(Debug, Clone)]
pub struct SubmitPart {
    /// 1-based part index, or [`ALL_PARTS`].
    pub index: u8,
    /// The body.
    pub body: SubmitSm,
}

/// Why a message cannot be put into submit_sm (permanent: retrying will not help).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EncodeProblem {
    /// The text cannot be segmented (too many parts).
    #[error("cannot segment the text: {0}")]
    Segment(String),
    /// An address is too long or contains NUL.
    #[error("address {0:?} does not fit submit_sm (at most 20 characters)")]
    Address(String),
}

/// `(ton, npi, digits)` of a sender, from its shape: alphanumeric → 5/0, `+digits` → 1/1
/// without the `+`, other digits (short codes) → 3/0. The link's overrides win.
pub fn source_address(from: &str, alphanumeric: bool, cfg: &SmppLinkConfig) -> (u8, u8, String) {
    let (t, n, a) = if alphanumeric {
        (ton::ALPHANUMERIC, npi::UNKNOWN, from.to_string())
    } else if let Some(d) = from.strip_prefix('+') {
        (ton::INTERNATIONAL, npi::ISDN, d.to_string())
    } else {
        (ton::NETWORK_SPECIFIC, npi::UNKNOWN, from.to_string())
    };
    (cfg.source_ton.unwrap_or(t), cfg.source_npi.unwrap_or(n), a)
}

fn address(t: u8, n: u8, a: &str) -> Result<Address, EncodeProblem> {
    if a.len() > 20 {
        return Err(EncodeProblem::Address(a.to_string()));
    }
    Address::new(t, n, a).map_err(|_| EncodeProblem::Address(a.to_string()))
}

/// Text octets and data_coding for one part's text in `encoding`.
fn text_octets(text: &str, encoding: Encoding, coding: DefaultCoding) -> (u8, Vec<u8>) {
    match encoding {
        Encoding::Ucs2 | Encoding::Binary => (data_coding::UCS2, gsm::ucs2::encode(text)),
        Encoding::Gsm7 => match coding {
            DefaultCoding::Gsm7 => {
                let mut out = Vec::with_capacity(text.len());
                if gsm::Gsm7Charset::DEFAULT
                    .encode_into(text, &mut out)
                    .is_err()
                {
                    // segment() chose GSM 7-bit, so every character is in the tables.
                    out = text
                        .bytes()
                        .map(|b| if b < 0x80 { b } else { b'?' })
                        .collect();
                }
                (data_coding::SMSC_DEFAULT, out)
            }
            DefaultCoding::Latin1 => (
                data_coding::SMSC_DEFAULT,
                text.chars()
                    .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                    .collect(),
            ),
            DefaultCoding::Ascii => (
                data_coding::SMSC_DEFAULT,
                text.chars()
                    .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                    .collect(),
            ),
        },
    }
}

/// The submit_sm bodies for `parts` of `msg`. `reference` is the concatenation reference.
pub fn submits(
    msg: &OutboundMessage,
    parts: &[u8],
    cfg: &SmppLinkConfig,
    reference: u16,
) -> Result<Vec<SubmitPart>, EncodeProblem> {
    let from = msg
        .from
        .as_ref()
        .map(|s| (s.as_str().to_string(), matches!(s, Sender::Alphanumeric(_))))
        .or_else(|| {
            cfg.default_sender.as_ref().map(|s| {
                let alpha = s.chars().any(char::is_alphabetic);
                (s.clone(), alpha)
            })
        });
    let source = match &from {
        Some((f, alpha)) => {
            let (t, n, a) = source_address(f, *alpha, cfg);
            address(t, n, &a)?
        }
        None => Address::default(),
    };
    let to = msg.to.as_str();
    let dest = match to.strip_prefix('+') {
        Some(d) => address(ton::INTERNATIONAL, npi::ISDN, d)?,
        None => address(ton::UNKNOWN, npi::ISDN, to)?,
    };
    let template = SubmitSm {
        source,
        dest,
        registered_delivery: cfg.registered_delivery,
        ..SubmitSm::default()
    };
    let opts = SegmentOptions::default();
    if cfg.long_messages == LongMessages::Payload {
        let count = gsm::count_parts(&msg.text, &opts);
        let (dc, octets) = text_octets(&msg.text, count.encoding, cfg.default_coding);
        let mut body = template;
        body.data_coding = dc;
        if octets.len() <= 254 && count.parts == 1 {
            body.short_message = OctetString(Bytes::from(octets));
        } else {
            body.tlvs = Tlvs(vec![Tlv::message_payload(octets)]);
        }
        return Ok(vec![SubmitPart {
            index: ALL_PARTS,
            body,
        }]);
    }
    let segs = gsm::segment(&msg.text, &opts, reference)
        .map_err(|e| EncodeProblem::Segment(e.to_string()))?;
    let total = segs.parts.len();
    let mut out = Vec::with_capacity(parts.len());
    for &index in parts {
        let Some(ud) = segs.parts.get(usize::from(index).wrapping_sub(1)) else {
            continue;
        };
        out.push(SubmitPart {
            index,
            body: part_body(&template, ud, segs.encoding, cfg, reference, total, index),
        });
    }
    Ok(out)
}

fn part_body(
    template: &SubmitSm,
    ud: &UserData,
    encoding: Encoding,
    cfg: &SmppLinkConfig,
    reference: u16,
    total: usize,
    index: u8,
) -> SubmitSm {
    let text = ud.as_text().unwrap_or_default();
    let (dc, octets) = text_octets(text, encoding, cfg.default_coding);
    let mut body = template.clone();
    body.data_coding = dc;
    let mut sm = Vec::with_capacity(octets.len() + 8);
    match (&ud.header, cfg.long_messages) {
        (Some(h), LongMessages::Udh) => {
            h.encode_into(&mut sm);
            body.esm_class |= esm_class::UDHI;
        }
        (_, LongMessages::Sar) if total > 1 => {
            body.tlvs = Tlvs(vec![
                Tlv::u16(TlvTag::SarMsgRefNum, reference),
                Tlv::u8(TlvTag::SarTotalSegments, total as u8),
                Tlv::u8(TlvTag::SarSegmentSeqnum, index),
            ]);
        }
        _ => {}
    }
    sm.extend_from_slice(&octets);
    body.short_message = OctetString(Bytes::from(sm));
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{Msisdn, NumberPlan, Part, Status, Timestamp};

    fn link(extra: &str) -> SmppLinkConfig {
        let c = Config::from_toml(&format!(
            "[[routes]]\nname = \"op\"\ntype = \"smpp\"\n[[smpp]]\nroute = \"op\"\nhost = \"h\"\n\
             system_id = \"a\"\npassword = \"b\"\n{extra}\n"
        ))
        .unwrap();
        c.smpp[0].clone()
    }

    fn msg(text: &str, from: Option<Sender>) -> OutboundMessage {
        let now = Timestamp::now();
        let n = gsm::count_parts(text, &SegmentOptions::default()).parts as u8;
        OutboundMessage {
            id: crate::model::MessageId::new_at(now.as_millis()),
            to: Msisdn::parse("+358401234567", &NumberPlan::default()).unwrap(),
            to_original: None,
            from,
            text: text.into(),
            encoding: "gsm7".into(),
            send_at: None,
            expires_at: now,
            priority: Default::default(),
            reference: None,
            route: None,
            callback_url: None,
            dlr: None,
            expects_reply: false,
            urgent: false,
            transactional: false,
            status: Status::Sending,
            parts: (1..=n).map(Part::pending).collect(),
            history: vec![],
            attempts: Default::default(),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn senders_should_get_ton_npi_from_their_shape() {
        let c = link("");
        assert_eq!(source_address("ACME", true, &c), (5, 0, "ACME".into()));
        assert_eq!(source_address("+3584", false, &c), (1, 1, "3584".into()));
        assert_eq!(source_address("12345", false, &c), (3, 0, "12345".into()));
        let c = link("source_ton = 6\nsource_npi = 9");
        assert_eq!(source_address("12345", false, &c), (6, 9, "12345".into()));
    }

    #[test]
    fn a_long_ucs2_message_should_be_marked_per_link_mode() {
        let text = "Привет мир! ".repeat(10);
        let m = msg(&text, Some(Sender::Alphanumeric("ACME".into())));
        let n = m.parts.len() as u8;
        assert!(n > 1);
        let all: Vec<u8> = (1..=n).collect();
        let udh = submits(&m, &all, &link(""), 7).unwrap();
        assert_eq!(udh.len(), usize::from(n));
        assert_eq!(udh[0].body.data_coding, 8);
        assert_eq!(udh[0].body.esm_class & esm_class::UDHI, esm_class::UDHI);
        assert_eq!(&udh[0].body.short_message.0[..3], &[5, 0, 3]);
        let sar = submits(&m, &all, &link("long_messages = \"sar\""), 7).unwrap();
        assert_eq!(sar[1].body.tlvs.sar(), Some((7, n, 2)));
        assert_eq!(sar[1].body.esm_class, 0);
        let pay = submits(&m, &all, &link("long_messages = \"payload\""), 7).unwrap();
        assert_eq!(pay.len(), 1);
        assert_eq!(pay[0].index, ALL_PARTS);
        assert_eq!(pay[0].body.payload(), gsm::ucs2::encode(&text).as_slice());
    }

    #[test]
    fn gsm_text_should_go_unpacked_with_data_coding_zero() {
        let m = msg("Hello {world}", None);
        let s = submits(&m, &[1], &link(""), 1).unwrap();
        assert_eq!(s[0].body.data_coding, 0);
        assert_eq!(s[0].body.short_message.0.len(), 15); // braces are escaped: 2 septets each
        assert_eq!(s[0].body.source, Address::default());
        let l = submits(&m, &[1], &link("default_coding = \"latin1\""), 1).unwrap();
        assert_eq!(l[0].body.short_message.0.as_ref(), b"Hello {world}");
    }
}
