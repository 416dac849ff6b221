//! Stream framing: byte-by-byte and arbitrary splits, malformed bodies between good frames,
//! length bounds, and a real `Framed` transport over `tokio::io::duplex`.

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use smsgw::smpp::codec::{FrameError, SmppCodec};
use smsgw::smpp::pdu::*;
use tokio_util::codec::{Decoder, Encoder, Framed};

use crate::strategies::{Profile, pdu};

fn drain(codec: &mut SmppCodec, buf: &mut BytesMut, out: &mut Vec<Result<Pdu, DecodeError>>) {
    while let Some(item) = codec.decode(buf).unwrap() {
        out.push(item);
    }
}

fn malformed_submit_sm(seq: u32) -> Vec<u8> {
    // submit_sm whose body is a single unterminated octet.
    let mut f = vec![0, 0, 0, 17, 0, 0, 0, 4, 0, 0, 0, 0];
    f.extend_from_slice(&seq.to_be_bytes());
    f.push(b'x');
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_split_of_a_pdu_stream_should_yield_the_same_pdus(
        pdus in proptest::collection::vec(pdu(Profile::Ours), 1..6),
        cuts in proptest::collection::vec(1usize..64, 1..200),
    ) {
        let mut wire = BytesMut::new();
        for p in &pdus {
            SmppCodec::new().encode(p, &mut wire).unwrap();
        }
        let wire = wire.to_vec();
        let mut codec = SmppCodec::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut at = 0;
        for c in cuts.iter().cycle() {
            if at >= wire.len() { break; }
            let end = (at + c).min(wire.len());
            buf.extend_from_slice(&wire[at..end]);
            at = end;
            drain(&mut codec, &mut buf, &mut out);
        }
        let got: Vec<Pdu> = out.into_iter().map(Result::unwrap).collect();
        prop_assert_eq!(got, pdus);
        prop_assert!(buf.is_empty());
    }
}

#[test]
fn byte_by_byte_feeding_should_yield_each_pdu_once_complete() {
    let a = Pdu::new(1, Body::EnquireLink);
    let b = Pdu::new(
        2,
        Body::SubmitSm(SubmitSm {
            dest: Address::new(1, 1, "358401234567").unwrap(),
            short_message: b"hi".to_vec().into(),
            ..SubmitSm::default()
        }),
    );
    let mut wire = a.to_vec().unwrap();
    wire.extend(b.to_vec().unwrap());
    let mut codec = SmppCodec::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for (i, byte) in wire.iter().enumerate() {
        buf.extend_from_slice(&[*byte]);
        drain(&mut codec, &mut buf, &mut out);
        let expected = if i + 1 < 16 {
            0
        } else if i + 1 < wire.len() {
            1
        } else {
            2
        };
        assert_eq!(out.len(), expected, "after {} octets", i + 1);
    }
    assert_eq!(out, vec![Ok(a), Ok(b)]);
}

#[test]
fn malformed_body_between_good_frames_should_be_reported_and_decoding_should_go_on() {
    let mut wire = Pdu::new(1, Body::EnquireLink).to_vec().unwrap();
    wire.extend(malformed_submit_sm(2));
    wire.extend(Pdu::new(3, Body::Unbind).to_vec().unwrap());
    let mut codec = SmppCodec::new();
    let mut buf = BytesMut::from(&wire[..]);
    let mut out = Vec::new();
    drain(&mut codec, &mut buf, &mut out);
    assert_eq!(out.len(), 3);
    let bad = out[1].as_ref().unwrap_err();
    assert_eq!(bad.sequence_number(), 2);
    assert_eq!(
        bad.kind,
        DecodeErrorKind::Truncated {
            field: "service_type"
        }
    );
    assert_eq!(out[2], Ok(Pdu::new(3, Body::Unbind)));
}

#[test]
fn command_length_below_16_should_be_fatal_with_the_numbers() {
    let mut buf = BytesMut::from(&[0u8, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9][..]);
    match SmppCodec::new().decode(&mut buf) {
        Err(FrameError::Length {
            command_length: 8,
            min: 16,
            max,
            sequence_number: Some(9),
        }) => {
            assert_eq!(max, MAX_PDU_LEN)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn huge_command_length_should_be_refused_before_reserving() {
    let mut buf = BytesMut::from(&[0xffu8, 0xff, 0xff, 0xff][..]);
    let cap = buf.capacity();
    let err = SmppCodec::with_max_len(4096).decode(&mut buf).unwrap_err();
    assert!(matches!(
        err,
        FrameError::Length {
            command_length: u32::MAX,
            max: 4096,
            sequence_number: None,
            ..
        }
    ));
    assert_eq!(buf.capacity(), cap);
}

#[test]
fn announced_length_should_be_reserved_while_waiting_for_the_body() {
    let mut buf = BytesMut::from(&[0u8, 0, 0x10, 0, 0, 0, 0, 4][..]);
    assert!(SmppCodec::new().decode(&mut buf).unwrap().is_none());
    assert!(buf.capacity() >= 0x1000);
}

#[test]
fn eof_inside_a_frame_should_be_an_error() {
    let mut buf = BytesMut::from(&[0u8, 0, 0, 16, 0, 0][..]);
    assert!(matches!(
        SmppCodec::new().decode_eof(&mut buf),
        Err(FrameError::Io(_))
    ));
}

#[tokio::test]
async fn framed_duplex_with_tiny_buffers_should_carry_pdus_both_ways() {
    for size in [1usize, 3, 16, 17, 64, 4096] {
        let (a, b) = tokio::io::duplex(size);
        let mut left = Framed::new(a, SmppCodec::new());
        let mut right = Framed::new(b, SmppCodec::new());
        let sent: Vec<Pdu> = (1..=20)
            .map(|i| {
                Pdu::new(
                    i,
                    Body::SubmitSm(SubmitSm {
                        dest: Address::new(1, 1, &format!("35840{i:07}")).unwrap(),
                        short_message: vec![b'x'; i as usize * 10].into(),
                        ..SubmitSm::default()
                    }),
                )
            })
            .collect();
        let to_send = sent.clone();
        let writer = tokio::spawn(async move {
            for p in &to_send {
                left.send(p).await.unwrap();
            }
            left
        });
        let mut got = Vec::new();
        while got.len() < sent.len() {
            got.push(right.next().await.unwrap().unwrap().unwrap());
        }
        writer.await.unwrap();
        assert_eq!(got, sent, "duplex size {size}");
    }
}
