//! The modem side's one call: a text to a number → the SMS-SUBMITs, or the AT PDUs with
//! their `AT+CMGS` lengths (TS 27.005 §3.5.1), one per part.

use super::address::Address;
use super::at_pdu::{AtPdu, encode_pdu_hex};
use super::error::GsmError;
use super::segment::{SegmentOptions, segment};
use super::time::ValidityPeriod;
use super::tpdu::{Submit, Tpdu};

/// An outgoing text message.
#[derive(Debug, Clone)]
pub struct OutgoingText<'a> {
    /// Recipient (TP-DA).
    pub to: &'a Address,
    /// The text; coding and parts are chosen by [`super::segment`].
    pub text: &'a str,
    /// Ask for a status report (TP-SRR) on every part.
    pub status_report: bool,
    /// TP-VP; `None` leaves the SC's default.
    pub validity: Option<ValidityPeriod>,
    /// Concatenation reference, from [`super::ConcatReferences::allocate`].
    pub reference: u16,
}

/// One SMS-SUBMIT per part, TP-MR 0 (modems assign their own).
pub fn build_submits(
    msg: &OutgoingText<'_>,
    opts: &SegmentOptions,
) -> Result<Vec<Submit>, GsmError> {
    let segments = segment(msg.text, opts, msg.reference)?;
    Ok(segments
        .parts
        .into_iter()
        .map(|user_data| Submit {
            reject_duplicates: false,
            status_report_request: msg.status_report,
            reply_path: false,
            message_reference: 0,
            destination: msg.to.clone(),
            protocol_id: 0,
            dcs: segments.dcs,
            validity: msg.validity,
            user_data,
        })
        .collect())
}

/// The AT PDUs of every part, with the SMSC prefix (`00`: the SIM's SMSC, when `None`).
pub fn build_text_pdus(
    msg: &OutgoingText<'_>,
    smsc: Option<&Address>,
    opts: &SegmentOptions,
) -> Result<Vec<AtPdu>, GsmError> {
    build_submits(msg, opts)?
        .into_iter()
        .map(|s| encode_pdu_hex(smsc, &Tpdu::Submit(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::{Direction, decode_pdu_hex};

    #[test]
    fn long_text_should_become_pdus_that_decode_back() {
        let to = Address::international("358401234567");
        let text = "x".repeat(200);
        let msg = OutgoingText {
            to: &to,
            text: &text,
            status_report: true,
            validity: Some(ValidityPeriod::Relative(0xA7)),
            reference: 42,
        };
        let pdus = build_text_pdus(&msg, None, &SegmentOptions::default()).unwrap();
        assert_eq!(pdus.len(), 2);
        let mut joined = String::new();
        for p in &pdus {
            assert!(p.hex.starts_with("00"));
            assert_eq!(p.tpdu_len * 2 + 2, p.hex.len());
            let r = decode_pdu_hex(&p.hex, Some(Direction::FromMobile)).unwrap();
            let Tpdu::Submit(s) = r.tpdu else {
                panic!("not a submit")
            };
            assert!(s.status_report_request);
            assert_eq!(
                s.user_data
                    .header
                    .as_ref()
                    .unwrap()
                    .concat()
                    .unwrap()
                    .reference,
                42
            );
            joined.push_str(s.user_data.as_text().unwrap());
        }
        assert_eq!(joined, text);
    }
}
