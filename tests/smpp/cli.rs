//! `smsgw smpp decode HEX`, run as the real binary.

use std::process::Command;

fn decode(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .arg("smpp")
        .arg("decode")
        .args(args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), json)
}

#[test]
fn decode_of_a_published_submit_sm_should_print_its_fields_as_json() {
    // The Wikipedia example (tests/vectors/smpp/wikipedia_submit_sm.hex), with spaces.
    let (code, v) = decode(&[
        "00 00 00 3C 00 00 00 04 00 00 00 00 00 00 00 05 00 02 08 35 35 35 00 01 01",
        "35 35 35 35 35 35 35 35 35 00 00 00 00 00 00 00 00 00 00 0F 48 65 6C 6C 6F",
        "20 77 69 6B 69 70 65 64 69 61",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["command_id"], "submit_sm");
    assert_eq!(v["command_status"], "ESME_ROK");
    assert_eq!(v["sequence_number"], 5);
    assert_eq!(v["body"]["submit_sm"]["dest"]["addr"], "555555555");
    assert_eq!(v["text"], "Hello wikipedia");
}

#[test]
fn decode_of_a_receipt_should_show_the_parsed_receipt() {
    use smsgw::smpp::pdu::*;
    let text = "id:1A2B sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:hi";
    let p = Pdu::new(
        9,
        Body::DeliverSm(SubmitSm {
            esm_class: values::esm_class::DELIVERY_RECEIPT,
            short_message: text.as_bytes().to_vec().into(),
            tlvs: Tlvs(vec![
                Tlv::receipted_message_id(COctetString::try_from("1A2B").unwrap()),
                Tlv::message_state(MessageState::Delivered),
            ]),
            ..SubmitSm::default()
        }),
    );
    let (code, v) = decode(&[&hex::encode(p.to_vec().unwrap())]);
    assert_eq!(code, 0);
    assert_eq!(v["receipt"]["id"], "1A2B");
    assert_eq!(v["receipt"]["state"], "DELIVERED");
    let tlvs = &v["body"]["deliver_sm"]["tlvs"];
    assert_eq!(tlvs[0]["tag"], "receipted_message_id");
    assert_eq!(tlvs[0]["value"], "1A2B");
    assert_eq!(tlvs[1]["tag"], "message_state");
}

#[test]
fn decode_of_a_truncated_pdu_should_exit_1_with_the_offset() {
    let (code, v) = decode(&["0000001100000004000000000000000778"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "invalid_pdu");
    assert_eq!(v["error"]["offset"], 16);
    assert_eq!(v["error"]["header"]["sequence_number"], 7);
}

#[test]
fn decode_of_non_hex_should_exit_2() {
    let (code, v) = decode(&["zz"]);
    assert_eq!(code, 2);
    assert_eq!(v["error"]["code"], "invalid_hex");
}

#[test]
fn decode_without_an_argument_should_read_the_hex_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .args(["smpp", "decode"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // An enquire_link, as `xxd -p` prints it (with a newline).
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"0000001000000015\n0000000000000007\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["command_id"], "enquire_link");
    assert_eq!(v["sequence_number"], 7);
}
