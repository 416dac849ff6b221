//! `smsgw pdu encode` / `smsgw pdu decode` through the real binary.

use std::process::Command;

fn smsgw(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn encode_then_decode_should_give_back_the_text_of_every_part() {
    let text = "Zażółć gęślą jaźń — ".repeat(5);
    let (ok, stdout, stderr) = smsgw(&[
        "pdu",
        "encode",
        "--to",
        "+358401234567",
        "--text",
        &text,
        "--status-report",
        "--validity",
        "2d",
    ]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    let mut joined = String::new();
    for line in lines {
        let (len, hex) = line.split_once(' ').unwrap();
        assert_eq!(hex, hex.to_uppercase());
        assert_eq!(len.parse::<usize>().unwrap() * 2 + 2, hex.len(), "{line}");
        let (ok, json, stderr) = smsgw(&["pdu", "decode", hex]);
        assert!(ok, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["type"], "submit");
        assert_eq!(v["encoding"], "ucs2");
        assert_eq!(v["recipient"]["address"], "+358401234567");
        assert_eq!(v["status_report_request"], true);
        assert_eq!(v["validity"]["seconds"], 2 * 86_400);
        assert_eq!(v["concatenation"]["total"], 2);
        joined.push_str(v["text"].as_str().unwrap());
    }
    assert_eq!(joined, text);
}

#[test]
fn decode_of_a_status_report_should_print_its_status() {
    // hbjorgo/ATLib SmsStatusReportDecoderTests.cs (MIT).
    let (ok, json, _) = smsgw(&[
        "pdu",
        "decode",
        "07911326040000F006D60B911326880736F4111011719551401110117195714000",
    ]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["type"], "status_report");
    assert_eq!(v["smsc"], "+31624000000");
    assert_eq!(v["status"]["state"], "delivered");
    assert_eq!(v["message_reference"], 214);
}

#[test]
fn decode_of_garbage_should_fail_with_an_offset() {
    let (ok, _, stderr) = smsgw(&["pdu", "decode", "0791"]);
    assert!(!ok);
    assert!(stderr.contains("byte"), "{stderr}");
}

#[test]
fn encode_from_a_sender_should_build_deliver_pdus() {
    let (ok, stdout, stderr) = smsgw(&[
        "pdu", "encode", "--to", "+1555", "--from", "Shop", "--text", "hi",
    ]);
    assert!(ok, "{stderr}");
    let hex = stdout.trim().split_once(' ').unwrap().1;
    let (_, json, _) = smsgw(&["pdu", "decode", hex]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["type"], "deliver");
    assert_eq!(v["sender"]["address"], "Shop");
    assert_eq!(v["text"], "hi");
}
