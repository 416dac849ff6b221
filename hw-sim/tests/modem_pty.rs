//! The simulated modem driven over its real PTY, as a modem driver would drive it.
//!
//! PDU vectors: the SMS-SUBMIT and SMS-DELIVER examples of "SMS messages and the PDU format"
//! (Lars Pettersson, dreamfabric.com/sms), "hellohello" to/from +46708251358 / 27838890001.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use hw_sim::modem::profile::Profile;
use hw_sim::{Fault, ModemConfig, SimModem};
use support::Port;

/// SMS-SUBMIT "hellohello" to +46708251358, no SMSC (dreamfabric example); TPDU length 23.
const SUBMIT: &str = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
/// SMS-DELIVER "hellohello" from 27838890001, TPDU only (dreamfabric example, SMSC removed).
const DELIVER: &str = "040BC87238880900F10000993092516195800AE8329BFD4697D9EC37";

async fn start(profile: Profile) -> (SimModem, Port) {
    let mut cfg = ModemConfig::fast(profile);
    cfg.profile.capacity = [3, 5, 3];
    start_with(cfg).await
}

async fn start_with(cfg: ModemConfig) -> (SimModem, Port) {
    let modem = SimModem::start(cfg).await.unwrap();
    let port = Port::open(&modem.link());
    (modem, port)
}

/// Wait until the modem reports registration.
async fn registered(port: &mut Port) {
    for _ in 0..100 {
        if port.cmd("AT+CREG?").await.contains("+CREG: 0,1") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("modem did not register");
}

#[tokio::test]
async fn echo_should_be_on_until_ate0() {
    let (_m, mut p) = start(Profile::sim800()).await;
    assert_eq!(p.cmd("AT").await, "AT\r\r\nOK\r\n");
    assert_eq!(p.cmd("ATE0").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(p.cmd("at").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn generic_profile_should_start_without_echo_and_speak_numeric_after_atv0() {
    let (_m, mut p) = start(Profile::generic()).await;
    assert_eq!(p.cmd("AT").await, "\r\nOK\r\n");
    p.write(b"ATV0\r").await;
    assert_eq!(p.until("\r").await, "0\r");
    p.write(b"AT+NOSUCH\r").await;
    assert_eq!(p.until("\r").await, "4\r");
}

#[tokio::test]
async fn concatenated_commands_should_run_in_order_and_stop_at_the_first_error() {
    let (_m, mut p) = start(Profile::generic()).await;
    let r = p.cmd("AT+CMEE=1;+CGMI;+CMGF=0;+CMGF?").await;
    assert_eq!(r, "\r\nhw-sim\r\n\r\n+CMGF: 0\r\n\r\nOK\r\n");
    assert_eq!(p.cmd("AT+CMGF=7;+CGMI").await, "\r\n+CMS ERROR: 302\r\n");
    assert_eq!(
        p.cmd("AT+CMEE=2;+CMGR=99").await,
        "\r\n+CMS ERROR: invalid memory index\r\n"
    );
    assert_eq!(p.cmd("AT+CMEE=0;+CMGR=99").await, "\r\nERROR\r\n");
}

#[tokio::test]
async fn identity_commands_should_answer_per_profile() {
    let mut cfg = ModemConfig::fast(Profile::ec25());
    cfg.imei = "356938035643809".into();
    cfg.imsi = "001010123456789".into();
    cfg.iccid = "89001012012345678901".into();
    let (_m, mut p) = start_with(cfg).await;
    p.cmd("ATE0").await;
    assert_eq!(p.cmd("AT+CGMM").await, "\r\nEC25\r\n\r\nOK\r\n");
    assert!(
        p.cmd("AT+QCCID")
            .await
            .contains("+QCCID: 89001012012345678901")
    );
    assert!(p.cmd("AT+CGSN").await.contains("356938035643809"));
    assert!(p.cmd("AT+CIMI").await.contains("001010123456789"));
    assert!(p.cmd("ATI").await.contains("Revision: EC25"));
    let (_m2, mut p2) = start(Profile::sim800()).await;
    p2.cmd("ATE0").await;
    assert_eq!(p2.cmd("AT+CEREG?").await, "\r\nERROR\r\n");
}

/// Two modems are two devices with two SIMs: IMEI, IMSI and ICCID all differ by default.
#[tokio::test]
async fn two_modems_should_have_distinct_identities_by_default() {
    let mut answers = Vec::new();
    for profile in [Profile::sim800(), Profile::sim800()] {
        let (_m, mut p) = start(profile).await;
        p.cmd("ATE0").await;
        answers.push([
            p.cmd("AT+CGSN").await,
            p.cmd("AT+CIMI").await,
            p.cmd("AT+CCID").await,
        ]);
    }
    for i in 0..3 {
        assert!(answers[0][i].ends_with("\r\nOK\r\n"), "{answers:?}");
        assert_ne!(answers[0][i], answers[1][i], "{answers:?}");
    }
}

/// What a real SIM800 answers and the simulation once did not: battery charge, caller id
/// and the phonebook storage; the Huawei port selection gammu sends.
#[tokio::test]
async fn sim800_should_answer_cbc_clip_and_cpbs_and_e3372_portsel() {
    let (_m, mut p) = start(Profile::sim800()).await;
    p.cmd("ATE0").await;
    registered(&mut p).await;
    assert_eq!(p.cmd("AT+CBC").await, "\r\n+CBC: 0,87,4093\r\n\r\nOK\r\n");
    assert_eq!(p.cmd("AT+CLIP=1").await, "\r\nOK\r\n");
    assert_eq!(p.cmd("AT+CLIP?").await, "\r\n+CLIP: 1,1\r\n\r\nOK\r\n");
    assert_eq!(p.cmd("AT+CPBS=\"SM\"").await, "\r\nOK\r\n");
    assert_eq!(
        p.cmd("AT+CPBS?").await,
        "\r\n+CPBS: \"SM\",0,250\r\n\r\nOK\r\n"
    );
    assert!(p.cmd("AT+CPBS=?").await.contains("+CPBS: (\"SM\""));
    assert_eq!(p.cmd("AT^PORTSEL=1").await, "\r\nERROR\r\n");
    let (_m2, mut p2) = start(Profile::e3372()).await;
    p2.cmd("ATE0;^CURC=0").await;
    assert_eq!(p2.cmd("AT^PORTSEL=1").await, "\r\nOK\r\n");
    assert_eq!(p2.cmd("AT^PORTSEL?").await, "\r\n^PORTSEL: 1\r\n\r\nOK\r\n");
    assert_eq!(p2.cmd("AT+CBC").await, "\r\nERROR\r\n");
}

#[tokio::test]
async fn cmgs_should_prompt_take_the_pdu_and_count_message_references() {
    let (m, mut p) = start(Profile::sim800()).await;
    p.cmd("ATE0").await;
    registered(&mut p).await;
    for expected_mr in 0..2 {
        assert_eq!(p.cmd("AT+CMGS=23").await, "\r\n> ");
        p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
        let r = p.final_result().await;
        assert_eq!(r, format!("\r\n+CMGS: {expected_mr}\r\n\r\nOK\r\n"));
    }
    let sent = m.sent_parts();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].mr, 1);
    assert_eq!(sent[0].tpdu, SUBMIT[2..]);
}

#[tokio::test]
async fn cmgs_should_echo_the_pdu_when_echo_is_on() {
    let (_m, mut p) = start(Profile::sim800()).await;
    registered(&mut p).await;
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    let r = p.final_result().await;
    assert!(r.starts_with(SUBMIT), "{r:?}");
    assert!(r.ends_with("+CMGS: 0\r\n\r\nOK\r\n"), "{r:?}");
}

#[tokio::test]
async fn escape_should_cancel_and_a_wrong_length_should_be_cms_304() {
    let (m, mut p) = start(Profile::ec25()).await;
    p.cmd("ATE0;+CMEE=1").await;
    registered(&mut p).await;
    p.cmd("AT+CMGS=23").await;
    p.write(b"0011\x1b").await;
    assert_eq!(p.final_result().await, "\r\nOK\r\n");
    p.cmd("AT+CMGS=22").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert_eq!(p.final_result().await, "\r\n+CMS ERROR: 304\r\n");
    assert!(m.sent_parts().is_empty());
}

#[tokio::test]
async fn sending_before_registration_should_fail_with_no_network_service() {
    let mut cfg = ModemConfig::fast(Profile::generic());
    cfg.registration_delay = Duration::from_secs(30);
    let (_m, mut p) = start_with(cfg).await;
    p.cmd("AT+CMEE=1").await;
    assert!(p.cmd("AT+CREG?").await.contains("+CREG: 0,2"));
    assert!(p.cmd("AT+CSQ").await.contains("+CSQ: 99,99"));
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert_eq!(p.final_result().await, "\r\n+CMS ERROR: 331\r\n");
}

#[tokio::test]
async fn incoming_message_should_be_announced_listed_read_and_deleted() {
    let (m, mut p) = start(Profile::ec25()).await;
    p.cmd("ATE0;+CMEE=1;+CNMI=2,1,0,0,0").await;
    registered(&mut p).await;
    m.inject_tpdu(hex::decode(DELIVER).unwrap()).await.unwrap();
    assert_eq!(
        p.until("\r\n+CMTI: \"SM\",1\r\n").await,
        "\r\n+CMTI: \"SM\",1\r\n"
    );
    let list = p.cmd("AT+CMGL=4").await;
    assert!(list.contains("+CMGL: 1,0,,28\r\n"), "{list:?}");
    assert!(list.contains(DELIVER), "{list:?}");
    let read = p.cmd("AT+CMGR=1").await;
    assert!(
        read.contains("+CMGR: 1,,28\r\n"),
        "listing marked it read: {read:?}"
    );
    assert_eq!(p.cmd("AT+CMGL=0").await, "\r\nOK\r\n");
    assert_eq!(p.cmd("AT+CMGD=1").await, "\r\nOK\r\n");
    assert_eq!(p.cmd("AT+CMGR=1").await, "\r\n+CMS ERROR: 321\r\n");
    assert!(p.cmd("AT+CPMS?").await.contains("+CPMS: \"SM\",0,3"));
}

#[tokio::test]
async fn full_storage_should_hold_messages_in_the_network_until_space_is_freed() {
    let (m, mut p) = start(Profile::sim800()).await;
    p.cmd("ATE0;+CNMI=2,1,0,0,0").await;
    registered(&mut p).await;
    for _ in 0..4 {
        m.inject_tpdu(hex::decode(DELIVER).unwrap()).await.unwrap();
    }
    p.until("+CMTI: \"SM\",3\r\n").await;
    assert_eq!(m.status().await.unwrap().network_queue, 1);
    assert!(p.cmd("AT+CPMS?").await.contains("\"SM\",3,3"));
    assert_eq!(p.cmd("AT+CMGD=2").await, "\r\nOK\r\n");
    p.until("+CMTI: \"SM\",2\r\n").await;
    assert_eq!(m.status().await.unwrap().network_queue, 0);
}

#[tokio::test]
async fn a_status_report_finding_its_storage_full_should_wait_in_the_network_for_room() {
    let (m, mut p) = start(Profile::sim800()).await;
    p.cmd("ATE0;+CMEE=1;+CNMI=2,1,0,2,0").await;
    registered(&mut p).await;
    for _ in 0..3 {
        m.inject_tpdu(hex::decode(DELIVER).unwrap()).await.unwrap();
    }
    p.until("+CMTI: \"SM\",3\r\n").await;
    // The same SUBMIT asking a status report (TP-SRR, 0x20 in its first octet).
    let submit = SUBMIT.replacen("0011", "0031", 1);
    assert!(p.cmd("AT+CMGS=23").await.ends_with("> "));
    p.write(format!("{submit}\x1a").as_bytes()).await;
    assert!(p.final_result().await.ends_with("OK\r\n"));
    let got = p.drain_for(Duration::from_millis(300)).await;
    assert!(!got.contains("+CDSI"), "no room for it: {got:?}");
    assert_eq!(m.status().await.unwrap().network_queue, 1);
    assert_eq!(p.cmd("AT+CMGD=2").await, "\r\nOK\r\n");
    p.until("+CDSI: \"SM\",2\r\n").await;
    assert_eq!(m.status().await.unwrap().network_queue, 0);
}

#[tokio::test]
async fn routed_message_should_need_cnma_in_phase_2_plus() {
    let (m, mut p) = start(Profile::ec25()).await;
    p.cmd("ATE0;+CMEE=1;+CSMS=1;+CNMI=2,2,0,0,0").await;
    registered(&mut p).await;
    assert_eq!(p.cmd("AT+CNMA").await, "\r\n+CMS ERROR: 340\r\n");
    m.inject_tpdu(hex::decode(DELIVER).unwrap()).await.unwrap();
    let urc = p.until(&format!("{DELIVER}\r\n")).await;
    assert!(urc.contains("+CMT: ,28\r\n"), "{urc:?}");
    assert_eq!(p.cmd("AT+CNMA").await, "\r\nOK\r\n");
    // Not acknowledged: the message ends up stored and announced.
    m.inject_tpdu(hex::decode(DELIVER).unwrap()).await.unwrap();
    p.until("+CMT: ,28").await;
    p.until("+CMTI: \"SM\",1\r\n").await;
}

#[tokio::test]
async fn pin_locked_sim_should_refuse_until_the_right_pin() {
    let mut cfg = ModemConfig::fast(Profile::ec25());
    cfg.pin = Some("1234".into());
    let (_m, mut p) = start_with(cfg).await;
    p.cmd("ATE0;+CMEE=1").await;
    assert!(p.cmd("AT+CPIN?").await.contains("+CPIN: SIM PIN"));
    assert_eq!(p.cmd("AT+CMGL=4").await, "\r\n+CMS ERROR: 311\r\n");
    assert_eq!(p.cmd("AT+CIMI").await, "\r\n+CME ERROR: 11\r\n");
    assert_eq!(p.cmd("AT+CPIN=\"0000\"").await, "\r\n+CME ERROR: 16\r\n");
    assert_eq!(p.cmd("AT+CPIN=\"1234\"").await, "\r\nOK\r\n");
    p.until("+QIND: SMS DONE\r\n").await;
    assert!(p.cmd("AT+CPIN?").await.contains("+CPIN: READY"));
    registered(&mut p).await;
}

#[tokio::test]
async fn three_wrong_pins_should_ask_for_the_puk() {
    let mut cfg = ModemConfig::fast(Profile::generic());
    cfg.pin = Some("1234".into());
    let (_m, mut p) = start_with(cfg).await;
    p.cmd("AT+CMEE=1").await;
    for _ in 0..3 {
        p.cmd("AT+CPIN=\"9999\"").await;
    }
    assert!(p.cmd("AT+CPIN?").await.contains("SIM PUK"));
    assert_eq!(p.cmd("AT+CPIN=\"12345678\",\"4321\"").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn e3372_should_refuse_routed_status_reports_but_take_the_fallback() {
    let (_m, mut p) = start(Profile::e3372()).await;
    p.cmd("ATE0;+CMEE=1;^CURC=0").await;
    assert_eq!(p.cmd("AT+CNMI=2,1,0,1,0").await, "\r\n+CMS ERROR: 303\r\n");
    assert_eq!(p.cmd("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");
    assert!(p.cmd("AT+CNMI?").await.contains("+CNMI: 2,1,0,2,0"));
}

#[tokio::test]
async fn e3372_should_make_vendor_noise_until_curc_is_off() {
    let (_m, mut p) = start(Profile::e3372()).await;
    p.until("^RSSI:").await;
    p.cmd("AT^CURC=0").await;
    p.buf.clear();
    let quiet = p.drain_for(Duration::from_millis(500)).await;
    assert!(!quiet.contains("^RSSI"), "{quiet:?}");
}

#[tokio::test]
async fn registration_urcs_should_follow_cfun() {
    let (_m, mut p) = start(Profile::ec25()).await;
    p.cmd("ATE0").await;
    registered(&mut p).await;
    p.cmd("AT+CREG=1").await;
    // The URC follows the final result; `cmd` returns at the OK, so the URC is read apart.
    assert_eq!(p.cmd("AT+CFUN=4").await, "\r\nOK\r\n");
    assert_eq!(p.until("+CREG: 0\r\n").await, "\r\n+CREG: 0\r\n");
    p.cmd("AT+CFUN=1").await;
    p.until("+CREG: 2\r\n").await;
    p.until("+CREG: 1\r\n").await;
    assert!(
        p.cmd("AT+COPS?")
            .await
            .contains("+COPS: 0,0,\"hw-sim net\",7")
    );
}

#[tokio::test]
async fn hang_fault_should_silence_the_modem_until_cleared() {
    let (m, mut p) = start(Profile::generic()).await;
    m.fault(Fault::Hang).await.unwrap();
    p.write(b"AT\r").await;
    let silent = p.drain_for(Duration::from_millis(300)).await;
    assert_eq!(silent, "");
    m.clear_faults().await.unwrap();
    assert_eq!(p.cmd("AT").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn hang_before_prompt_should_never_show_the_prompt() {
    let (m, mut p) = start(Profile::generic()).await;
    registered(&mut p).await;
    m.fault(Fault::HangBeforePrompt).await.unwrap();
    p.write(b"AT+CMGS=23\r").await;
    assert!(p.try_until(">", Duration::from_millis(300)).await.is_err());
    assert!(m.status().await.unwrap().hung);
}

#[tokio::test]
async fn hang_after_pdu_should_record_the_part_but_never_answer() {
    let (m, mut p) = start(Profile::generic()).await;
    registered(&mut p).await;
    m.fault(Fault::HangAfterPdu).await.unwrap();
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert!(p.try_until("OK", Duration::from_millis(300)).await.is_err());
    let sent = m.sent_parts();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].acknowledged);
    // Clearing the faults brings the modem back, as /status then claims.
    m.clear_faults().await.unwrap();
    assert!(!m.status().await.unwrap().hung);
    assert_eq!(p.cmd("AT").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn cms_error_fault_should_fail_the_given_number_of_sends() {
    let (m, mut p) = start(Profile::generic()).await;
    p.cmd("AT+CMEE=1").await;
    registered(&mut p).await;
    m.fault(Fault::CmsError {
        code: 500,
        probability: 1.0,
        count: Some(1),
    })
    .await
    .unwrap();
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert_eq!(p.final_result().await, "\r\n+CMS ERROR: 500\r\n");
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert_eq!(p.final_result().await, "\r\n+CMGS: 0\r\n\r\nOK\r\n");
}

#[tokio::test]
async fn operator_block_should_refuse_sends_after_the_daily_limit() {
    let (m, mut p) = start(Profile::generic()).await;
    p.cmd("AT+CMEE=1").await;
    registered(&mut p).await;
    m.fault(Fault::OperatorBlock {
        daily_limit: 1,
        code: 21,
    })
    .await
    .unwrap();
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert!(p.final_result().await.contains("+CMGS: 0"));
    p.cmd("AT+CMGS=23").await;
    p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
    assert_eq!(p.final_result().await, "\r\n+CMS ERROR: 21\r\n");
    assert_eq!(m.sent_parts().len(), 1);
}

#[tokio::test]
async fn garbage_fault_should_write_the_bytes() {
    let (m, mut p) = start(Profile::generic()).await;
    m.fault(Fault::Garbage {
        bytes: b"\xff\x00junk".to_vec(),
        len: 0,
    })
    .await
    .unwrap();
    p.until("junk").await;
    assert_eq!(p.cmd("AT").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn vanish_should_remove_the_port_and_bring_it_back_elsewhere() {
    let (m, mut p) = start(Profile::ec25()).await;
    let old = m.link();
    let new = old.with_file_name("ttySIM9");
    m.fault(Fault::Vanish {
        ms: 200,
        new_link: Some(new.clone()),
    })
    .await
    .unwrap();
    assert!(!old.exists(), "old link still there");
    // The open port is dead: reads fail or end.
    let gone = p.try_until("OK", Duration::from_millis(100)).await;
    assert!(gone.is_err());
    for _ in 0..100 {
        if new.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(m.link(), new);
    let mut p2 = Port::open(&new);
    p2.until("RDY").await;
    assert!(p2.cmd("AT").await.ends_with("\r\nOK\r\n"));
}

#[tokio::test]
async fn cfun_reset_should_reboot_with_boot_urcs_and_default_echo() {
    let (_m, mut p) = start(Profile::sim800()).await;
    p.cmd("ATE0").await;
    assert_eq!(p.cmd("AT+CFUN=1,1").await, "\r\nOK\r\n");
    p.until("SMS Ready\r\n").await;
    assert_eq!(p.cmd("AT").await, "AT\r\r\nOK\r\n");
}

#[tokio::test]
async fn dropping_the_modem_should_remove_its_link_and_directory() {
    let (m, _p) = start(Profile::generic()).await;
    let link = m.link();
    assert!(link.exists());
    m.shutdown().await;
    assert!(!link.exists());
    assert!(!link.parent().unwrap().exists());
}

#[tokio::test]
async fn storage_full_fault_should_refuse_stores_and_hold_messages_until_cleared() {
    for profile in [Profile::sim800(), Profile::ec25(), Profile::e3372()] {
        let name = profile.name;
        let notice = profile.storage_full_urc.map(|u| u.replace("{mem}", "SM"));
        let (m, mut p) = start(profile).await;
        p.cmd("ATE0;+CMEE=1;+CNMI=2,1,0,0,0").await;
        if name == "e3372" {
            p.cmd("AT^CURC=0").await;
        }
        registered(&mut p).await;
        m.fault(Fault::StorageFull {
            storage: "SM".into(),
        })
        .await
        .unwrap();
        if let Some(n) = &notice {
            p.until(&format!("{n}\r\n")).await;
        }
        assert!(
            p.cmd("AT+CPMS?").await.contains("+CPMS: \"SM\",3,3"),
            "{name}"
        );
        assert!(p.cmd("AT+CMGW=23").await.ends_with("> "), "{name}");
        p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
        assert_eq!(p.final_result().await, "\r\n+CMS ERROR: 322\r\n", "{name}");

        // An incoming message finds no room: no +CMTI, the network holds it.
        m.inject_tpdu(hex::decode(DELIVER).unwrap()).await.unwrap();
        let st = m.status().await.unwrap();
        assert_eq!(st.network_queue, 1, "{name}");
        assert!(
            st.storages.iter().any(|s| s.name == "SM" && s.full),
            "{name}: {st:?}"
        );
        let got = p.drain_for(Duration::from_millis(200)).await;
        assert!(!got.contains("+CMTI"), "{name}: {got:?}");
        if let Some(n) = &notice {
            assert!(got.contains(n.as_str()), "{name}: {got:?}");
        }

        // Room again: the held message arrives, and storing works.
        m.clear_faults().await.unwrap();
        p.until("+CMTI: \"SM\",1\r\n").await;
        assert_eq!(m.status().await.unwrap().network_queue, 0, "{name}");
        assert!(p.cmd("AT+CMGW=23").await.ends_with("> "), "{name}");
        p.write(format!("{SUBMIT}\x1a").as_bytes()).await;
        assert_eq!(
            p.final_result().await,
            "\r\n+CMGW: 2\r\n\r\nOK\r\n",
            "{name}"
        );
        assert!(
            p.cmd("AT+CMGL=4").await.contains("+CMGL: 2,2,,23"),
            "{name}"
        );
    }
}
