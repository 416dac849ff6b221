//! Property tests: decode(encode(x)) == x for every PDU type; decoding never panics on any
//! bytes, and its error offsets stay inside the frame.

use proptest::prelude::*;
use smsgw::smpp::pdu::*;

use crate::strategies::{Profile, pdu};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_pdu_should_round_trip_through_encode_and_decode(p in pdu(Profile::Ours)) {
        let bytes = p.to_vec().unwrap();
        prop_assert_eq!(
            u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize,
            bytes.len(),
            "command_length must be derived"
        );
        prop_assert_eq!(Pdu::decode(&bytes).unwrap(), p);
    }

    #[test]
    fn arbitrary_bytes_should_decode_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = Pdu::decode(&bytes) {
            prop_assert!(e.offset <= bytes.len());
            let _ = Pdu::generic_nack_for(&e).to_vec().unwrap();
        }
    }

    #[test]
    fn arbitrary_body_behind_a_valid_header_should_never_panic(
        id in prop::sample::select(vec![1u32, 2, 3, 4, 5, 6, 7, 8, 9, 0xb, 0x15, 0x21, 0x102, 0x103,
            0x8000_0000, 0x8000_0001, 0x8000_0004, 0x8000_0021, 0x8000_0003]),
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut frame = Vec::with_capacity(16 + body.len());
        frame.extend_from_slice(&((16 + body.len()) as u32).to_be_bytes());
        frame.extend_from_slice(&id.to_be_bytes());
        frame.extend_from_slice(&0u32.to_be_bytes());
        frame.extend_from_slice(&7u32.to_be_bytes());
        frame.extend_from_slice(&body);
        match Pdu::decode(&frame) {
            Ok(p) => {
                // Whatever decodes must re-encode to something that decodes the same.
                if let Ok(again) = p.to_vec() {
                    prop_assert_eq!(Pdu::decode(&again).unwrap(), p);
                }
            }
            Err(e) => {
                prop_assert_eq!(e.sequence_number(), 7);
                prop_assert!(e.offset >= 16 && e.offset <= frame.len(), "offset {} in {}", e.offset, frame.len());
            }
        }
    }

    #[test]
    fn one_flipped_octet_in_a_valid_pdu_should_never_panic(p in pdu(Profile::Ours), at in any::<prop::sample::Index>(), x in 1u8..=255) {
        let mut bytes = p.to_vec().unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= x;
        let _ = Pdu::decode(&bytes);
    }
}

#[test]
fn over_long_c_octet_string_should_fail_with_field_and_offset() {
    // bind_transmitter with a 16-character system_id (max is 15 + NUL).
    let mut body = b"ABCDEFGHIJKLMNOP\0pw\0\0".to_vec();
    body.extend_from_slice(&[0x34, 0, 0, 0]);
    let mut frame = ((16 + body.len()) as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9]);
    frame.extend_from_slice(&body);
    let e = Pdu::decode(&frame).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::CStringTooLong {
            field: "system_id",
            max: 16
        }
    );
    assert_eq!(e.offset, 16);
    assert_eq!(e.sequence_number(), 9);
    assert_eq!(e.nack_status(), CommandStatus::InvalidCommandLength);
}

#[test]
fn unknown_command_id_should_be_nacked_with_rinvcmdid_and_its_sequence_number() {
    let frame = [0, 0, 0, 16, 0, 0, 0x01, 0x11, 0, 0, 0, 0, 0, 0, 0, 42];
    let e = Pdu::decode(&frame).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnknownCommandId(0x111));
    let nack = Pdu::generic_nack_for(&e);
    assert_eq!(nack.sequence_number, 42);
    assert_eq!(nack.command_status, CommandStatus::InvalidCommandId);
    assert_eq!(
        nack.to_vec().unwrap(),
        [0, 0, 0, 16, 0x80, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 42]
    );
}

#[test]
fn command_length_beyond_the_maximum_should_fail_before_copying() {
    let mut frame = vec![0u8; MAX_PDU_LEN + 1];
    frame[..4].copy_from_slice(&((MAX_PDU_LEN + 1) as u32).to_be_bytes());
    frame[7] = 0x15;
    let e = Pdu::decode(&frame).unwrap_err();
    assert!(matches!(
        e.kind,
        DecodeErrorKind::CommandLength {
            max: MAX_PDU_LEN,
            ..
        }
    ));
}

#[test]
fn trailing_octets_after_enquire_link_should_be_rejected() {
    let frame = [0, 0, 0, 17, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
    let e = Pdu::decode(&frame).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { len: 1 });
    assert_eq!(e.offset, 16);
}

#[test]
fn encode_should_refuse_fields_beyond_their_maximum_and_leave_the_buffer_unchanged() {
    let mut s = SubmitSm {
        dest: Address::new(1, 1, "1234567890123456789012").unwrap(),
        ..SubmitSm::default()
    };
    let mut buf = bytes::BytesMut::from(&b"keep"[..]);
    let e = Pdu::new(1, Body::SubmitSm(s.clone()))
        .encode(&mut buf)
        .unwrap_err();
    assert_eq!(
        e,
        EncodeError::FieldTooLong {
            field: "destination_addr",
            len: 22,
            max: 21
        }
    );
    assert_eq!(&buf[..], b"keep");

    s.dest = Address::new(1, 1, "123").unwrap();
    s.short_message = vec![0u8; 255].into();
    assert_eq!(
        Pdu::new(1, Body::SubmitSm(s.clone())).to_vec().unwrap_err(),
        EncodeError::ShortMessageTooLong { len: 255 }
    );
    s.short_message = OctetString::default();
    s.validity_period = COctetString::try_from("2501").unwrap();
    assert!(matches!(
        Pdu::new(1, Body::SubmitSm(s)).to_vec().unwrap_err(),
        EncodeError::FixedLength {
            field: "validity_period",
            len: 4
        }
    ));
    assert_eq!(
        COctetString::try_from("a\0b").unwrap_err(),
        EncodeError::EmbeddedNul
    );
}

#[test]
fn known_tlv_with_wrong_length_should_fail_and_unknown_tlv_should_be_kept_raw() {
    let sm = Pdu::new(3, Body::SubmitSm(SubmitSm::default()))
        .to_vec()
        .unwrap();
    let with = |tlv: &[u8]| {
        let mut f = sm.clone();
        f.extend_from_slice(tlv);
        let n = f.len() as u32;
        f[..4].copy_from_slice(&n.to_be_bytes());
        Pdu::decode(&f)
    };
    // message_state (0x0427) must be 1 octet.
    let e = with(&[0x04, 0x27, 0, 2, 1, 2]).unwrap_err();
    assert!(matches!(
        e.kind,
        DecodeErrorKind::TlvLength {
            tag: 0x0427,
            len: 2,
            ..
        }
    ));
    assert_eq!(e.nack_status(), CommandStatus::InvalidParameterLength);
    // TLV value running past the end.
    let e = with(&[0x14, 0x00, 0, 9, 1]).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TlvTruncated);
    // Vendor tag kept as is.
    let p = with(&[0x14, 0x01, 0, 3, 1, 2, 3]).unwrap();
    let Body::SubmitSm(s) = p.body else { panic!() };
    assert_eq!(s.tlvs.0, vec![Tlv::raw(0x1401, vec![1u8, 2, 3])]);
    assert_eq!(s.tlvs.0[0].tag, TlvTag::Other(0x1401));
}

#[test]
fn receipted_message_id_without_nul_should_still_be_read() {
    let sm = Pdu::new(3, Body::DeliverSm(SubmitSm::default()))
        .to_vec()
        .unwrap();
    let mut f = sm.clone();
    f.extend_from_slice(&[0x00, 0x1e, 0, 3, b'a', b'b', b'c']);
    let n = f.len() as u32;
    f[..4].copy_from_slice(&n.to_be_bytes());
    let Body::DeliverSm(d) = Pdu::decode(&f).unwrap().body else {
        panic!()
    };
    assert_eq!(d.receipted_message_id(), Some("abc"));
}

#[test]
fn error_response_should_omit_an_empty_body_as_the_spec_prescribes() {
    let p = Pdu::with_status(
        5,
        CommandStatus::Throttled,
        Body::SubmitSmResp(SmResp::default()),
    );
    assert_eq!(p.to_vec().unwrap().len(), 16);
    let ok = Pdu::with_status(5, CommandStatus::Ok, Body::SubmitSmResp(SmResp::default()));
    assert_eq!(ok.to_vec().unwrap().len(), 17);
}
