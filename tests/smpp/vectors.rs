//! Published PDUs (tests/vectors/smpp/*.hex, each citing its source): decode them, check the
//! fields the source documents, and re-encode to the same octets.

use smsgw::smpp::pdu::*;

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/smpp/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let hex: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    hex::decode(hex).unwrap()
}

fn decode_and_reencode(name: &str) -> Pdu {
    let bytes = load(name);
    let pdu = Pdu::decode(&bytes).unwrap();
    assert_eq!(
        pdu.to_vec().unwrap(),
        bytes,
        "{name} must re-encode identically"
    );
    pdu
}

#[test]
fn wikipedia_submit_sm_should_decode_to_its_documented_fields() {
    let p = decode_and_reencode("wikipedia_submit_sm.hex");
    assert_eq!(p.sequence_number, 5);
    let Body::SubmitSm(s) = p.body else {
        panic!("{p:?}")
    };
    assert_eq!(
        (s.source.ton, s.source.npi, s.source.addr.as_str()),
        (2, 8, Some("555"))
    );
    assert_eq!(
        (s.dest.ton, s.dest.npi, s.dest.addr.as_str()),
        (1, 1, Some("555555555"))
    );
    assert_eq!(s.short_message.as_bytes(), b"Hello wikipedia");
}

#[test]
fn openmarket_submit_sm_should_decode_to_its_documented_fields() {
    let p = decode_and_reencode("openmarket_submit_sm.hex");
    assert_eq!(p.sequence_number, 0x0005_c4a3);
    let Body::SubmitSm(s) = p.body else { panic!() };
    assert_eq!(s.service_type.as_str(), Some("OMV4"));
    assert_eq!(s.source.addr.as_str(), Some("80362"));
    assert_eq!(s.dest.addr.as_str(), Some("812345001000"));
    assert_eq!(s.validity_period.as_str(), Some("180105120000004+"));
    assert_eq!(s.registered_delivery, 1);
    assert_eq!(
        s.short_message.as_bytes(),
        b"Reply Yes to opt in or No to opt out."
    );
}

#[test]
fn openmarket_mo_deliver_sm_should_carry_its_ticket_in_receipted_message_id() {
    let p = decode_and_reencode("openmarket_mo_deliver_sm.hex");
    let Body::DeliverSm(d) = p.body else { panic!() };
    assert!(!d.is_receipt());
    assert_eq!(d.source.addr.as_str(), Some("447700900765"));
    assert_eq!(d.short_message.as_bytes(), b"Help");
    assert_eq!(d.receipted_message_id(), Some("1618Z-0102G-2333M-25FJF"));
}

#[test]
fn bodiless_deliver_sm_resp_should_decode_with_an_empty_message_id() {
    let bytes = load("openmarket_deliver_sm_resp.hex");
    let p = Pdu::decode(&bytes).unwrap();
    assert_eq!(p.body, Body::DeliverSmResp(SmResp::default()));
    assert_eq!(p.sequence_number, 1);
}

#[test]
fn enquire_link_should_decode_and_reencode() {
    let p = decode_and_reencode("enquire_link.hex");
    assert_eq!(p, Pdu::new(1, Body::EnquireLink));
}
