//! An outbound message as submit_sm bodies (SMPP 3.4 §4.4.1): segmentation and coding by
//! [`crate::gsm::segment`] (the same packing the API counted parts with), long messages marked
//! per link (UDH, SAR TLVs or one message_payload), addresses with TON/NPI read from their
//! shape, the message's remaining validity (§7.1), its priority (§5.2.14) and the receipt it
//! asks for (§5.2.17). Pure: the time comes in as an argument.

use bytes::Bytes;

use crate::config::{DefaultCoding, LongMessages, SmppLinkConfig, ValidityFormat};
use crate::gsm::{self, Encoding, SegmentOptions, UserData};
use crate::model::{OutboundMessage, Priority, Sender, Timestamp};
use crate::smpp::pdu::values::{data_coding, esm_class, npi, ton};
use crate::smpp::pdu::{Address, COctetString, OctetString, SubmitSm, Tlv, TlvTag, Tlvs};
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

/// The longest relative validity the format holds in days (`DD`); longer validities are sent
/// as this (no SMSC keeps a message that long anyway).
const MAX_RELATIVE_DAYS: u64 = 99;

/// The validity_period of a message valid until `expires`, sent at `now` (SMPP 3.4 §7.1):
/// empty for `none`, else at least one second (an expired message is not sent; one that
/// expires while its submit is written still gets the shortest validity, not the SMSC's
/// default).
pub fn validity_period(expires: Timestamp, now: Timestamp, format: ValidityFormat) -> COctetString {
    let left = now.until(expires).as_secs().max(1);
    let text = match format {
        ValidityFormat::None => return COctetString::EMPTY,
        // §7.1.2: YYMMDDhhmmss000R, a duration. Days rather than months and years, which
        // have no fixed length.
        ValidityFormat::Relative => {
            let left = left.min(MAX_RELATIVE_DAYS * 86_400 + 86_399);
            format!(
                "0000{:02}{:02}{:02}{:02}000R",
                left / 86_400,
                left / 3_600 % 24,
                left / 60 % 60,
                left % 60
            )
        }
        // §7.1.1: YYMMDDhhmmsstnnp with t tenths of a second, nn quarter hours from UTC
        // and p its sign: UTC is `00+`.
        ValidityFormat::Absolute => {
            let at = expires.max(now.plus(std::time::Duration::from_secs(1)));
            let t = time::OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(at.as_millis()) * 1_000_000,
            )
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            format!(
                "{:02}{:02}{:02}{:02}{:02}{:02}{}00+",
                t.year().rem_euclid(100),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond() / 100
            )
        }
    };
    // 16 ASCII characters: always a valid C-Octet String.
    COctetString::try_from(text).unwrap_or(COctetString::EMPTY)
}

/// priority_flag for `p` on this link.
pub fn priority_flag(p: Priority, cfg: &SmppLinkConfig) -> u8 {
    let [low, normal, high] = cfg.priority_flags;
    match p {
        Priority::Low => low,
        Priority::Normal => normal,
        Priority::High => high,
    }
}

/// registered_delivery for `msg` on this link: the link's, unless the link honours Kannel
/// `dlr-mask`s and the message came with one (bit 1, delivered: a receipt either way, 3.4
/// has no "success only"; bit 2 alone, not delivered: on failure only; neither: none).
pub fn registered_delivery(msg: &OutboundMessage, cfg: &SmppLinkConfig) -> u8 {
    match &msg.dlr {
        Some(d) if cfg.honour_dlr_mask => {
            if d.mask & 1 != 0 {
                1
            } else if d.mask & 2 != 0 {
                2
            } else {
                0
            }
        }
        _ => cfg.registered_delivery,
    }
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

/// The submit_sm bodies for `parts` of `msg`, sent at `now`. `reference` is the
/// concatenation reference.
pub fn submits(
    msg: &OutboundMessage,
    parts: &[u8],
    cfg: &SmppLinkConfig,
    reference: u16,
    now: Timestamp,
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
        priority_flag: priority_flag(msg.priority, cfg),
        validity_period: validity_period(msg.expires_at, now, cfg.validity_format),
        registered_delivery: registered_delivery(msg, cfg),
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
            modem: None,
            callback_url: None,
            callback_events: Vec::new(),
            dlr: None,
            expects_reply: false,
            reply_received: false,
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
        let udh = submits(&m, &all, &link(""), 7, m.created_at).unwrap();
        assert_eq!(udh.len(), usize::from(n));
        assert_eq!(udh[0].body.data_coding, 8);
        assert_eq!(udh[0].body.esm_class & esm_class::UDHI, esm_class::UDHI);
        assert_eq!(&udh[0].body.short_message.0[..3], &[5, 0, 3]);
        let sar = submits(&m, &all, &link("long_messages = \"sar\""), 7, m.created_at).unwrap();
        assert_eq!(sar[1].body.tlvs.sar(), Some((7, n, 2)));
        assert_eq!(sar[1].body.esm_class, 0);
        let pay = submits(
            &m,
            &all,
            &link("long_messages = \"payload\""),
            7,
            m.created_at,
        )
        .unwrap();
        assert_eq!(pay.len(), 1);
        assert_eq!(pay[0].index, ALL_PARTS);
        assert_eq!(pay[0].body.payload(), gsm::ucs2::encode(&text).as_slice());
    }

    #[test]
    fn gsm_text_should_go_unpacked_with_data_coding_zero() {
        let m = msg("Hello {world}", None);
        let s = submits(&m, &[1], &link(""), 1, m.created_at).unwrap();
        assert_eq!(s[0].body.data_coding, 0);
        assert_eq!(s[0].body.short_message.0.len(), 15); // braces are escaped: 2 septets each
        assert_eq!(s[0].body.source, Address::default());
        let l = submits(
            &m,
            &[1],
            &link("default_coding = \"latin1\""),
            1,
            m.created_at,
        )
        .unwrap();
        assert_eq!(l[0].body.short_message.0.as_ref(), b"Hello {world}");
    }

    #[test]
    fn the_remaining_validity_should_be_sent_in_the_links_format() {
        let now = Timestamp::parse_rfc3339("2026-12-03T13:41:08.250Z").unwrap();
        let v = |secs, f| {
            validity_period(now.plus(std::time::Duration::from_secs(secs)), now, f)
                .to_string_lossy()
        };
        assert_eq!(v(60, ValidityFormat::Relative), "000000000100000R");
        assert_eq!(
            v(2 * 86_400 + 3_723, ValidityFormat::Relative),
            "000002010203000R"
        );
        assert_eq!(
            v(400 * 86_400, ValidityFormat::Relative),
            "000099235959000R"
        );
        assert_eq!(v(60, ValidityFormat::Absolute), "261203134208200+");
        assert_eq!(
            validity_period(now, now, ValidityFormat::Absolute).to_string_lossy(),
            "261203134109200+"
        );
        assert_eq!(v(60, ValidityFormat::None), "");
        // Already (or just) expired: the shortest validity, not the SMSC's default.
        assert_eq!(
            validity_period(
                now,
                now.plus(std::time::Duration::from_secs(5)),
                ValidityFormat::Relative
            )
            .to_string_lossy(),
            "000000000001000R"
        );
    }

    #[test]
    fn validity_priority_and_receipts_should_reach_the_submit_sm() {
        let mut m = msg("Your code is 1234", None);
        m.expires_at = m.created_at.plus(std::time::Duration::from_secs(60));
        m.priority = Priority::High;
        let s = submits(&m, &[1], &link(""), 1, m.created_at).unwrap();
        assert_eq!(
            s[0].body.validity_period.to_string_lossy(),
            "000000000100000R"
        );
        assert_eq!(s[0].body.priority_flag, 1);
        assert_eq!(s[0].body.registered_delivery, 1);
        m.priority = Priority::Low;
        let c = link("priority_flags = [0, 1, 3]\nvalidity_format = \"none\"");
        let s = submits(&m, &[1], &c, 1, m.created_at).unwrap();
        assert_eq!(s[0].body.priority_flag, 0);
        assert!(s[0].body.validity_period.to_string_lossy().is_empty());
    }

    #[test]
    fn a_kannel_dlr_mask_should_decide_receipts_only_where_the_link_honours_it() {
        let mut m = msg("hi", None);
        let dlr = |mask| {
            Some(crate::model::DlrRequest {
                url: String::new(),
                mask,
                user: None,
            })
        };
        let honour = link("honour_dlr_mask = true");
        let plain = link("");
        for (mask, want) in [
            (0, 0),
            (1, 1),
            (3, 1),
            (31, 1),
            (2, 2),
            (18, 2),
            (8, 0),
            (24, 0),
        ] {
            m.dlr = dlr(mask);
            assert_eq!(registered_delivery(&m, &honour), want, "mask {mask}");
            assert_eq!(registered_delivery(&m, &plain), 1, "mask {mask}");
        }
        m.dlr = None;
        assert_eq!(registered_delivery(&m, &honour), 1);
        assert_eq!(registered_delivery(&m, &link("registered_delivery = 2")), 2);
    }
}
