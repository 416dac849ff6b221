//! Interop with `rusmpp` (an SMPP implementation nobody on this team wrote), for every PDU
//! type with property-generated fields:
//! 1. ours → bytes → rusmpp decodes it (it must accept every PDU we produce);
//! 2. rusmpp re-encodes what it decoded → ours decodes those octets back to the original PDU,
//!    and the octets are identical (both sides agree on every field's layout).
//!
//! Plus field-level checks on PDUs built with rusmpp's own API.

use bytes::BytesMut;
use proptest::prelude::*;
use rusmpp::tokio_codec::CommandCodec;
use smsgw::smpp::pdu::*;
use tokio_util::codec::{Decoder, Encoder};

use crate::strategies::{Profile, pdu};

/// Our octets → rusmpp's Command → rusmpp's octets.
fn through_rusmpp(ours: &[u8]) -> Result<(rusmpp::Command, Vec<u8>), String> {
    let mut codec = CommandCodec::new().with_max_length(MAX_PDU_LEN);
    let mut buf = BytesMut::from(ours);
    let cmd = codec
        .decode(&mut buf)
        .map_err(|e| format!("rusmpp rejected our PDU: {e:?}"))?
        .ok_or("rusmpp wanted more octets")?;
    let mut out = BytesMut::new();
    codec
        .encode(&cmd, &mut out)
        .map_err(|e| format!("rusmpp could not re-encode: {e:?}"))?;
    Ok((cmd, out.to_vec()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn every_pdu_we_encode_should_decode_in_rusmpp_and_come_back_identical(p in pdu(Profile::Interop)) {
        let ours = p.to_vec().unwrap();
        let (cmd, theirs) = through_rusmpp(&ours).map_err(TestCaseError::fail)?;
        prop_assert_eq!(u32::from(cmd.id()), p.command_id().as_u32());
        prop_assert_eq!(cmd.sequence_number(), p.sequence_number);
        prop_assert_eq!(u32::from(cmd.status()), p.command_status.as_u32());
        prop_assert_eq!(Pdu::decode(&theirs).unwrap(), p.clone());
        prop_assert_eq!(hex::encode(&theirs), hex::encode(&ours));
    }
}

#[test]
fn submit_sm_built_with_rusmpp_should_decode_to_the_same_fields_in_ours() {
    use rusmpp::pdus::SubmitSm as TheirSubmitSm;
    use rusmpp::types::{COctetString as C, OctetString as O};
    use rusmpp::values::{DataCoding, Npi, Ton};

    let theirs = TheirSubmitSm::builder()
        .source_addr_ton(Ton::Alphanumeric)
        .source_addr(C::from_static_slice(b"Shop\0").unwrap())
        .dest_addr_ton(Ton::International)
        .dest_addr_npi(Npi::Isdn)
        .destination_addr(C::from_static_slice(b"358401234567\0").unwrap())
        .data_coding(DataCoding::Ucs2)
        .short_message(O::from_static_slice(&[0x00, 0x48, 0x00, 0x69]).unwrap())
        .build();
    let cmd = rusmpp::Command::new(rusmpp::CommandStatus::EsmeRok, 77, theirs);
    let mut wire = BytesMut::new();
    CommandCodec::new().encode(&cmd, &mut wire).unwrap();

    let p = Pdu::decode(&wire).unwrap();
    assert_eq!(p.sequence_number, 77);
    let Body::SubmitSm(s) = p.body else {
        panic!("{p:?}")
    };
    assert_eq!((s.source.ton, s.source.addr.as_str()), (5, Some("Shop")));
    assert_eq!((s.dest.ton, s.dest.npi), (1, 1));
    assert_eq!(s.dest.addr.as_str(), Some("358401234567"));
    assert_eq!(s.data_coding, 8);
    assert_eq!(s.short_message.as_bytes(), &[0x00, 0x48, 0x00, 0x69]);
}
