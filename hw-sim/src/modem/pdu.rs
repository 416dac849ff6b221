//! The simulator's only door to GSM TPDUs: everything it needs from `smsgw::gsm`, in the shapes
//! the engine uses. Encoding and decoding live in smsgw's codec; this file only adapts.

use smsgw::gsm::{
    self, Address, Body, Deliver, Direction, Encoding, SegmentOptions, StatusReport, TpStatus, Tpdu,
};

/// Why a PDU could not be decoded or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// The codec rejected the bytes or the input (its message, with the offset when it has one).
    #[error("GSM codec: {0}")]
    Codec(String),
    /// The codec in this build cannot do what was asked.
    #[error("GSM codec lacks {0}")]
    Unsupported(&'static str),
}

/// A concatenation element (TS 23.040 §9.2.3.24.1 / .8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Concat {
    /// Reference number (8- or 16-bit).
    pub reference: u16,
    /// Total number of parts.
    pub total: u8,
    /// This part's sequence number, from 1.
    pub seq: u8,
}

/// What the simulator needs to know about an SMS-SUBMIT a client sent (TS 23.040 §9.2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubmitInfo {
    /// TP-DA as text (`+` for international numbers, letters for alphanumeric).
    pub recipient: String,
    /// TP-SRR: a status report was requested.
    pub srr: bool,
    /// The user data as text (without the UDH), if it is text.
    pub text: Option<String>,
    /// `gsm7`, `ucs2` or `binary`.
    pub encoding: String,
    /// Concatenation, if the UDH has it.
    pub concat: Option<Concat>,
}

/// Decode an SMS-SUBMIT TPDU (without the SMSC address).
pub fn decode_submit(tpdu: &[u8]) -> Result<SubmitInfo, PduError> {
    let Tpdu::Submit(submit) = Tpdu::decode(tpdu, Direction::FromMobile).map_err(codec)? else {
        return Err(PduError::Codec("not an SMS-SUBMIT".into()));
    };
    let concat = submit
        .user_data
        .header
        .as_ref()
        .and_then(|h| h.concat())
        .map(|c| Concat {
            reference: c.reference,
            total: c.total,
            seq: c.sequence,
        });
    let (text, encoding) = match &submit.user_data.body {
        Body::Text(t) => (
            Some(t.clone()),
            match submit.dcs.encoding() {
                Encoding::Ucs2 => "ucs2",
                _ => "gsm7",
            },
        ),
        Body::Binary(_) | Body::Compressed(_) => (None, "binary"),
    };
    Ok(SubmitInfo {
        recipient: submit.destination.display(),
        srr: submit.status_report_request,
        text,
        encoding: encoding.to_string(),
        concat,
    })
}

/// How to encode an injected incoming message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliverOptions {
    /// Force UCS-2 even when the text fits the GSM 7-bit alphabet.
    pub ucs2: bool,
    /// Concatenation reference for multi-part messages.
    pub reference: u8,
}

/// Build the SMS-DELIVER TPDUs (without the SMSC address) of a text from `sender`, split
/// into concatenated parts when needed (TS 23.040 §9.2.2.1).
pub fn encode_deliver(
    sender: &str,
    text: &str,
    opts: &DeliverOptions,
    scts: time::OffsetDateTime,
) -> Result<Vec<Vec<u8>>, PduError> {
    let seg_opts = SegmentOptions {
        force_ucs2: opts.ucs2,
        ..SegmentOptions::default()
    };
    let segments = gsm::segment(text, &seg_opts, u16::from(opts.reference)).map_err(codec)?;
    let originator = Address::from_user(sender);
    let timestamp = sc_timestamp(scts);
    let count = segments.parts.len();
    segments
        .parts
        .into_iter()
        .enumerate()
        .map(|(i, user_data)| {
            Tpdu::Deliver(Deliver {
                more_messages: i + 1 < count,
                loop_prevention: false,
                status_report_indication: false,
                reply_path: false,
                originator: originator.clone(),
                protocol_id: 0,
                dcs: segments.dcs,
                timestamp,
                user_data,
            })
            .encode()
            .map_err(codec)
        })
        .collect()
}

/// Build an SMS-STATUS-REPORT TPDU (TS 23.040 §9.2.2.3) for the message with TP-MR `mr` sent
/// to `recipient`, submitted at `scts`, discharged at `discharge`, with TP-ST `status`.
pub fn encode_status_report(
    mr: u8,
    recipient: &str,
    scts: time::OffsetDateTime,
    discharge: time::OffsetDateTime,
    status: u8,
) -> Result<Vec<u8>, PduError> {
    StatusReport {
        more_messages: false,
        loop_prevention: false,
        qualifier_command: false,
        message_reference: mr,
        recipient: Address::from_user(recipient),
        timestamp: sc_timestamp(scts),
        discharge_time: sc_timestamp(discharge),
        status: TpStatus(status),
        protocol_id: None,
        dcs: None,
        user_data: None,
    }
    .encode()
    .map_err(codec)
}

/// The SMSC address field prefixed to PDUs in AT PDU mode (TS 27.005 §3.1 `<pdu>`, address
/// coded as TS 24.011 §8.2.5.1).
pub fn encode_smsc(number: &str) -> Result<Vec<u8>, PduError> {
    let mut out = Vec::with_capacity(12);
    Address::from_user(number)
        .encode_smsc_into(&mut out)
        .map_err(codec)?;
    Ok(out)
}

fn codec(e: gsm::GsmError) -> PduError {
    PduError::Codec(e.to_string())
}

/// A TP-SCTS for `t`, in its own offset (whole quarter hours, as the field allows).
fn sc_timestamp(t: time::OffsetDateTime) -> gsm::Timestamp {
    let quarters = t.offset().whole_minutes() / 15;
    gsm::Timestamp {
        year: (t.year().rem_euclid(100)) as u8,
        month: u8::from(t.month()),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        tz_quarters: quarters.clamp(-48, 56) as i8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsgw::gsm::Submit;

    fn now() -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }

    #[test]
    fn a_long_ucs2_deliver_should_split_and_decode_back_through_smsgw() {
        let text = "Привет! ".repeat(20);
        let opts = DeliverOptions {
            ucs2: false,
            reference: 7,
        };
        let parts = encode_deliver("+358401234567", &text, &opts, now()).unwrap();
        assert!(parts.len() > 1);
        let mut joined = String::new();
        for (i, p) in parts.iter().enumerate() {
            let Tpdu::Deliver(d) = Tpdu::decode(p, Direction::ToMobile).unwrap() else {
                panic!("not a deliver")
            };
            assert_eq!(d.originator.display(), "+358401234567");
            let c = d.user_data.header.as_ref().unwrap().concat().unwrap();
            assert_eq!((c.reference, usize::from(c.sequence)), (7, i + 1));
            joined.push_str(d.user_data.as_text().unwrap());
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn forced_ucs2_should_code_plain_text_as_ucs2() {
        let opts = DeliverOptions {
            ucs2: true,
            reference: 0,
        };
        let parts = encode_deliver("Clinic", "NO", &opts, now()).unwrap();
        let Tpdu::Deliver(d) = Tpdu::decode(&parts[0], Direction::ToMobile).unwrap() else {
            panic!("not a deliver")
        };
        assert_eq!(d.dcs.encoding(), Encoding::Ucs2);
        assert_eq!(d.originator.display(), "Clinic");
    }

    #[test]
    fn a_submit_built_by_smsgw_should_decode_with_its_concatenation() {
        let to = Address::international("358401234567");
        let text = "x".repeat(200);
        let msg = gsm::OutgoingText {
            to: &to,
            text: &text,
            status_report: true,
            validity: None,
            reference: 3,
        };
        let submits: Vec<Submit> = gsm::build_submits(&msg, &SegmentOptions::default()).unwrap();
        let bytes = Tpdu::Submit(submits[1].clone()).encode().unwrap();
        let info = decode_submit(&bytes).unwrap();
        assert_eq!(info.recipient, "+358401234567");
        assert!(info.srr);
        assert_eq!(info.encoding, "gsm7");
        assert_eq!(
            info.concat,
            Some(Concat {
                reference: 3,
                total: 2,
                seq: 2
            })
        );
    }

    #[test]
    fn a_status_report_should_decode_with_its_reference_and_status() {
        let bytes = encode_status_report(42, "+358401234567", now(), now(), 0x00).unwrap();
        let Tpdu::StatusReport(r) = Tpdu::decode(&bytes, Direction::ToMobile).unwrap() else {
            panic!("not a status report")
        };
        assert_eq!(r.message_reference, 42);
        assert_eq!(r.recipient.display(), "+358401234567");
        assert_eq!(r.status, TpStatus(0));
    }

    #[test]
    fn garbage_should_be_an_error_not_a_panic() {
        assert!(decode_submit(&[0x01, 0xFF]).is_err());
        assert!(decode_submit(&[]).is_err());
    }

    #[test]
    fn smsc_address_should_encode_as_length_type_and_digits() {
        assert_eq!(
            encode_smsc("+35840520200").unwrap(),
            vec![0x07, 0x91, 0x53, 0x48, 0x50, 0x02, 0x02, 0xF0]
        );
    }
}
