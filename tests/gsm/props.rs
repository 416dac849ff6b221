//! Property tests: text → parts → TPDUs → decode → reassemble gives the text back; parts
//! never exceed 140 octets; `count_parts` agrees with the splitter; decoding arbitrary bytes
//! never panics and whatever decodes re-encodes to the same value.
//!
//! Reassembly is the production path's: the modem's codec decodes each PDU, the receiver
//! makes the part of it, the store reassembles (`Store::receive_part`).

use proptest::prelude::*;
use smsgw::gsm::{
    self, Address, Deliver, Direction, NationalLanguage, OutgoingText, SegmentOptions, Submit,
    Timestamp, Tpdu, build_submits, count_parts,
};
use smsgw::model::InboundMessage;
use smsgw::modem::codec::{Decoded, TpduCodec};
use smsgw::modem::gsm_codec::GsmCodec;
use smsgw::modem::receive::inbound_part;
use smsgw::store::{Received, Store};

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

/// The SMS-DELIVER the SMSC makes of `s` (same user data), as a modem reads it: hex, SMSC
/// address octets first.
fn delivered(s: &Submit) -> String {
    let deliver = Deliver {
        more_messages: false,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originator: Address::international("358401234567"),
        protocol_id: 0,
        dcs: s.dcs,
        timestamp: TS,
        user_data: s.user_data.clone(),
    };
    gsm::encode_pdu_hex(None, &Tpdu::Deliver(deliver))
        .unwrap()
        .hex
}

/// Receives `pdus` on one modem in the given order, as the daemon does; the messages stored.
fn receive_all(store: &Store, pdus: &[String]) -> Vec<InboundMessage> {
    let codec = GsmCodec::default();
    let mut stored = Vec::new();
    for (i, hex) in pdus.iter().enumerate() {
        let Ok(Decoded::Deliver(sms)) = codec.decode(hex) else {
            panic!("not a deliver: {hex}");
        };
        let part = inbound_part(sms, "m1", "sims", None);
        let at = smsgw::model::Timestamp(1_000 + i as u64);
        let raw = hex::decode(hex).unwrap();
        if let Received::Stored(m) = store.receive_part(&raw, part, at).unwrap() {
            stored.push(m);
        }
    }
    stored
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_should_survive_segmentation_and_transport(
        text in text(),
        opts in options(),
        reference in any::<u16>(),
    ) {
        let to = Address::international("358401234567");
        let msg = OutgoingText { to: &to, text: &text, status_report: false, validity: None, reference };
        let submits = build_submits(&msg, &opts).unwrap();
        prop_assert_eq!(submits.len(), count_parts(&text, &opts).parts);
        for (i, s) in submits.into_iter().enumerate() {
            let bytes = Tpdu::Submit(s.clone()).encode().unwrap();
            // TP-UDL octets: everything after the header fields of this fixed-shape SUBMIT.
            let ud_octets = bytes.len() - (1 + 1 + 2 + 6 + 1 + 1 + 1);
            prop_assert!(ud_octets <= 140, "part {} has {} octets", i, ud_octets);
            let back = Tpdu::decode(&bytes, Direction::FromMobile).unwrap();
            prop_assert_eq!(&back, &Tpdu::Submit(s));
        }
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

proptest! {
    // A store per case: fewer cases than the pure properties above.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_text_should_come_back_whole_from_the_daemons_reassembly_in_any_order(
        text in text(),
        opts in options(),
        reference in any::<u16>(),
        order in any::<proptest::sample::Index>(),
        again in any::<proptest::sample::Index>(),
    ) {
        let to = Address::international("358401234567");
        let msg = OutgoingText { to: &to, text: &text, status_report: false, validity: None, reference };
        let mut pdus: Vec<String> = build_submits(&msg, &opts).unwrap().iter().map(delivered).collect();
        let parts = pdus.len();
        // One rotation of the parts, and one of them read twice (a SIM read again after a
        // crash between store and delete).
        pdus.rotate_left(order.index(parts));
        pdus.insert(0, pdus[again.index(parts)].clone());
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let stored = receive_all(&store, &pdus);
        prop_assert_eq!(stored.len(), 1);
        prop_assert!(!stored[0].incomplete);
        prop_assert_eq!(stored[0].parts as usize, parts);
        prop_assert_eq!(&stored[0].text, &text);
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
    // The last part first, then the rest, then the last again.
    let mut pdus: Vec<String> = submits.iter().map(delivered).collect();
    pdus.push(pdus[0].clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let stored = receive_all(&store, &pdus);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].text, text);
    assert_eq!(stored[0].from, "+358401234567");
}
