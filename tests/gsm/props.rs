//! Property tests: text → parts → TPDUs → decode → reassemble gives the text back; parts
//! never exceed 140 octets; `count_parts` agrees with the splitter; decoding arbitrary bytes
//! never panics and whatever decodes re-encodes to the same value.

use proptest::prelude::*;
use smsgw::gsm::{
    self, Address, Content, Deliver, Direction, Fragment, NationalLanguage, OutgoingText,
    Reassembler, SegmentOptions, Timestamp, Tpdu, build_submits, count_parts,
};

/// Characters that exercise every path: GSM default, extension, national tables, BMP,
/// astral (surrogate pairs), controls.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::sample::select("aZ09 @£$¥èΔ_ÆÉ!?\n\r".chars().collect::<Vec<_>>()),
        2 => proptest::sample::select("€{}[]~|^\\\u{c}".chars().collect::<Vec<_>>()),
        2 => proptest::sample::select("ĞŞİğşıçÁÍÓÚáíóúêÔôÃÕãõâ".chars().collect::<Vec<_>>()),
        1 => proptest::sample::select("жЖ中ą€“”…😀👍🏽🇫🇮".chars().collect::<Vec<_>>()),
        1 => any::<char>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(interesting_char(), 0..400).prop_map(String::from_iter),
        proptest::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
        "[a-z ]{150,480}",
    ]
}

fn options() -> impl Strategy<Value = SegmentOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(c16, national, locking)| {
        SegmentOptions {
            concat_16bit: c16,
            national_languages: if national {
                NationalLanguage::ALL.to_vec()
            } else {
                Vec::new()
            },
            use_locking_shift: locking,
            ..SegmentOptions::default()
        }
    })
}

const TS: Timestamp = Timestamp {
    year: 25,
    month: 1,
    day: 2,
    hour: 3,
    minute: 4,
    second: 5,
    tz_quarters: -20,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_should_survive_segmentation_transport_and_reassembly(
        text in text(),
        opts in options(),
        reference in any::<u16>(),
    ) {
        let to = Address::international("358401234567");
        let msg = OutgoingText { to: &to, text: &text, status_report: false, validity: None, reference };
        let submits = build_submits(&msg, &opts).unwrap();
        prop_assert_eq!(submits.len(), count_parts(&text, &opts).parts);
        let mut reassembler = Reassembler::new(60_000);
        let mut out = Vec::new();
        for (i, s) in submits.into_iter().enumerate() {
            let bytes = Tpdu::Submit(s.clone()).encode().unwrap();
            // TP-UDL octets: everything after the header fields of this fixed-shape SUBMIT.
            let ud_octets = bytes.len() - (1 + 1 + 2 + 6 + 1 + 1 + 1);
            prop_assert!(ud_octets <= 140, "part {} has {} octets", i, ud_octets);
            let back = Tpdu::decode(&bytes, Direction::FromMobile).unwrap();
            prop_assert_eq!(&back, &Tpdu::Submit(s.clone()));
            // The SMSC delivers it: same user data in an SMS-DELIVER.
            let deliver = Deliver {
                more_messages: false,
                loop_prevention: false,
                status_report_indication: false,
                reply_path: false,
                originator: Address::alphanumeric("Sender"),
                protocol_id: 0,
                dcs: s.dcs,
                timestamp: TS,
                user_data: s.user_data,
            };
            let hex = gsm::encode_pdu_hex(None, &Tpdu::Deliver(deliver)).unwrap();
            let Tpdu::Deliver(d) = gsm::decode_pdu_hex(&hex.hex, None).unwrap().tpdu else {
                return Err(TestCaseError::fail("not a deliver"));
            };
            out.extend(reassembler.push(Fragment::from_deliver(&d), i as u64));
        }
        prop_assert_eq!(out.len(), 1);
        prop_assert!(out[0].missing.is_empty());
        prop_assert_eq!(&out[0].content, &Content::Text(text.clone()));
    }

    #[test]
    fn decoding_arbitrary_bytes_should_never_panic_and_round_trip_when_it_decodes(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Ok(tpdu) = Tpdu::decode_any(&bytes) {
            let again = Tpdu::decode_any(&tpdu.encode().unwrap()).unwrap();
            prop_assert_eq!(again, tpdu);
        }
        let _ = gsm::decode_pdu_hex(&hex::encode(&bytes), None);
    }

    #[test]
    fn mutated_valid_pdus_should_never_panic_and_round_trip_when_they_decode(
        flips in proptest::collection::vec((0usize..60, any::<u8>()), 1..4),
        which in 0usize..3,
        cut in 0usize..60,
    ) {
        // A UCS-2 DELIVER with a concat UDH, a 7-bit DELIVER from an alphanumeric sender, and
        // a status report with TP-PI (shapes of the hbjorgo/ATLib and aosp GsmSmsTest vectors, edited by us).
        let seeds = [
            "07914151551512f2440B916105551511f100086080615131728A0E05000301020100410042D83DDE00",
            "069174290021100409D0D4323B1D0600004221809125554005E8329BFD06",
            "07911326040000F006D60B911326880736F41110117195514011101171957140000700080400410042",
        ];
        let mut bytes = hex::decode(seeds[which]).unwrap();
        for (i, b) in flips {
            if let Some(x) = bytes.get_mut(i) { *x ^= b; }
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        if let Ok(r) = gsm::decode_pdu_hex(&hex::encode(&bytes), None) {
            let again = Tpdu::decode_any(&r.tpdu.encode().unwrap()).unwrap();
            prop_assert_eq!(again, r.tpdu);
        }
    }
}

#[test]
fn reassembly_of_shuffled_three_part_ucs2_should_restore_the_text() {
    let text = "Привет из Хельсинки! ".repeat(8);
    let to = Address::international("358401234567");
    let msg = OutgoingText {
        to: &to,
        text: &text,
        status_report: false,
        validity: None,
        reference: 0x1234,
    };
    let opts = SegmentOptions {
        concat_16bit: true,
        ..SegmentOptions::default()
    };
    let mut submits = build_submits(&msg, &opts).unwrap();
    assert_eq!(submits.len(), 3);
    submits.reverse();
    let mut r = Reassembler::new(1_000);
    let mut done = Vec::new();
    for s in submits.iter().chain(submits.first()) {
        let frag = Fragment {
            sender: "+358401234567".into(),
            concat: s
                .user_data
                .header
                .as_ref()
                .and_then(|h| h.concat())
                .map(Into::into),
            content: Content::Text(s.user_data.as_text().unwrap().to_string()),
        };
        done.extend(r.push(frag, 0));
    }
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].content, Content::Text(text));
}
