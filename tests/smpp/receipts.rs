//! Receipt texts as real SMSCs send them (tests/vectors/smpp/receipts.txt, sources cited
//! there) and the message-id forms used to correlate them.

use smsgw::smpp::pdu::MessageState;
use smsgw::smpp::receipt::{alternate_ids, canonical_id, parse};

fn receipts() -> Vec<String> {
    let path = format!(
        "{}/tests/vectors/smpp/receipts.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_published_receipt_should_parse_with_id_and_state() {
    let all = receipts();
    assert_eq!(all.len(), 5);
    let parsed: Vec<_> = all.iter().map(|r| parse(r).unwrap()).collect();

    assert_eq!(parsed[0].id, "0123456789");
    assert_eq!(
        parsed[0].text.as_deref(),
        Some("Hello"),
        "Text: is capitalised in Appendix B"
    );
    assert_eq!(parsed[0].state, Some(MessageState::Delivered));

    assert_eq!(parsed[1].id, "40072910491427628");
    assert_eq!(parsed[1].text, None);
    assert_eq!(parsed[1].done_date.unwrap().year, 2010);

    assert_eq!(canonical_id(&parsed[2].id), "12345678");
    assert_eq!(parsed[2].done_date.unwrap().minute, 1);

    let om = &parsed[3];
    assert_eq!(om.id, "0118Z-0122I-2309U-57DGB");
    assert_eq!(om.state, Some(MessageState::Rejected));
    assert_eq!(om.err_code(), Some(375));
    let sd = om.submit_date.unwrap();
    assert_eq!(
        (sd.year, sd.month, sd.day, sd.hour, sd.minute, sd.second),
        (2018, 1, 22, 23, 9, Some(57))
    );
    assert_eq!(om.done_date, None, "all-zero done date means none");

    assert_eq!(parsed[4].state, Some(MessageState::Undeliverable));
    assert_eq!(parsed[4].err.as_deref(), Some("075"));
    assert_eq!(parsed[4].text.as_deref(), Some("-PROFILE"));
}

#[test]
fn receipt_in_decimal_should_match_a_hex_submit_id_through_alternates() {
    // submit_sm_resp said "00A1B2C3", the receipt says 10597059 (same number in decimal).
    let indexed = canonical_id("00A1B2C3");
    let receipt = parse("id:10597059 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000").unwrap();
    assert_ne!(canonical_id(&receipt.id), indexed);
    assert!(alternate_ids(&receipt.id).contains(&indexed));
}
