//! Typed answer parsers, fed with answers in the shapes real modems produce
//! (sources cited per test; data only).

use smsgw::at::cms_error::CmsError;
use smsgw::at::registration::{RegKind, RegStatus};
use smsgw::at::response::{identity, network, sim, sms, storage};
use smsgw::at::{Command, Digester, ErrorClass, FinalResult, ParseError, Response, Vendor};

fn ok(lines: &[&str]) -> Response {
    Response {
        lines: lines.iter().map(|s| s.to_string()).collect(),
        result: FinalResult::Ok,
    }
}

/// Run a command's expectation over raw modem bytes and return its response.
fn answer(cmd: &Command, bytes: &[u8]) -> Response {
    let mut d = Digester::default();
    d.expect(cmd.expect());
    d.feed(bytes);
    std::iter::from_fn(|| d.next_event())
        .find_map(|e| match e {
            smsgw::at::Event::Response(r) => Some(r),
            _ => None,
        })
        .expect("a response")
}

#[test]
fn csq_should_convert_to_dbm_and_99_should_be_unknown() {
    let q = network::parse_csq(&ok(&["+CSQ: 21,0"])).expect("csq");
    assert_eq!(q.dbm(), Some(-71));
    assert_eq!(
        network::parse_csq(&ok(&["+CSQ: 99,99"]))
            .expect("csq")
            .dbm(),
        None
    );
    assert_eq!(
        network::parse_csq(&ok(&["+CSQ: 0,0"])).expect("csq").dbm(),
        Some(-113)
    );
}

#[test]
fn cmgl_list_with_index_zero_should_pair_headers_and_pdus() {
    // Telit UC864 manual p. 136 example entry plus an index-0 entry.
    let r = answer(
        &Command::list_all_messages(),
        b"AT+CMGL=4\r\r\n+CMGL: 0,1,,4\r\n0011AABBCC\r\n\r\n+CMTI: \"SM\",5\r\n+CMGL: 26,2,\"Bob\",17\r\n08812801009901025911640A8110567892820014A704C7D1B1DB\r\n\r\nOK\r\n",
    );
    let list = sms::parse_cmgl(&r).expect("cmgl");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].index, Some(0));
    assert_eq!(list[0].status, sms::MessageStatus::ReceivedRead);
    assert_eq!(list[1].alpha.as_deref(), Some("Bob"));
    assert_eq!(list[1].status, sms::MessageStatus::StoredUnsent);
    assert_eq!(list[1].length, 17);
}

#[test]
fn cmgr_should_parse_and_empty_slot_should_be_none() {
    let r = ok(&[
        "+CMGR: 0,,30",
        "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07",
    ]);
    let m = sms::parse_cmgr(&r).expect("cmgr").expect("message");
    assert_eq!(m.status, sms::MessageStatus::ReceivedUnread);
    assert_eq!(m.length, 30);
    assert_eq!(sms::parse_cmgr(&ok(&[])), Ok(None));
    assert_eq!(sms::parse_cmgr(&ok(&["+CMGR: 0,,0"])), Ok(None));
}

#[test]
fn cmgs_should_return_mr_and_errors_should_be_classified() {
    assert_eq!(sms::parse_cmgs(&ok(&["+CMGS: 190"])), Ok(190));
    let failed = Response {
        lines: vec![],
        result: FinalResult::Cms(CmsError::from_code(42)),
    };
    match sms::parse_cmgs(&failed) {
        Err(ParseError::Failed(FinalResult::Cms(e))) => {
            assert_eq!(e.class(Vendor::Generic), ErrorClass::Temporary)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn registration_read_should_parse_n_stat_lac_ci_act() {
    let r = ok(&[r#"+CREG: 2,5,"1A2B","00C3",7"#]);
    let reg = network::parse_registration(&r, RegKind::Creg).expect("creg");
    assert_eq!(reg.n, Some(2));
    assert_eq!(reg.stat, RegStatus::Roaming);
    assert!(reg.stat.is_registered());
    assert_eq!(reg.act, Some(7));
    let r = ok(&["+CEREG: 0,1"]);
    assert_eq!(
        network::parse_registration(&r, RegKind::Cereg)
            .expect("cereg")
            .stat,
        RegStatus::Home
    );
}

#[test]
fn cpin_without_ok_should_parse_when_abandoned() {
    // python-gsmmodem's Wavecom profile answers AT+CPIN? without OK.
    let r = Response {
        lines: vec!["+CPIN: SIM PIN".into()],
        result: FinalResult::Abandoned,
    };
    assert_eq!(sim::parse_cpin(&r), Ok(sim::PinState::SimPin));
    assert_eq!(
        sim::parse_cpin(&ok(&["+CPIN: READY"])),
        Ok(sim::PinState::Ready)
    );
    assert_eq!(
        sim::parse_cpin(&ok(&["+CPIN: PH-SIM PIN"])),
        Ok(sim::PinState::PhSimPin)
    );
}

#[test]
fn cpms_query_and_set_forms_should_parse() {
    let q = storage::parse_cpms(&ok(&[r#"+CPMS: "SM",3,50,"SM",3,50,"SM",3,50"#])).expect("cpms?");
    assert_eq!(q.len(), 3);
    assert_eq!(q[0].memory.as_deref(), Some("SM"));
    assert_eq!((q[0].used, q[0].total), (3, 50));
    // python-gsmmodem Wavecom: AT+CPMS="SM","SM" -> +CPMS: 14,50,14,50
    let s = storage::parse_cpms(&ok(&["+CPMS: 14,50,14,50"])).expect("cpms=");
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].used, 14);
}

#[test]
fn cnmi_test_ranges_should_allow_picking_a_combination() {
    // SIM800 manual style: +CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)
    let s = storage::parse_cnmi_test(&ok(&["+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)"])).expect("cnmi");
    assert_eq!(s.mt, vec![0, 1, 2, 3]);
    assert_eq!(
        s.pick([&[2, 1], &[1], &[0], &[2, 1], &[0]]),
        Some([2, 1, 0, 2, 0])
    );
    assert_eq!(s.pick([&[9], &[1], &[0], &[2], &[0]]), None);
}

#[test]
fn identity_answers_should_strip_prefixes_and_spaces() {
    // python-gsmmodem Wavecom profile: " WAVECOM MODEM".
    assert_eq!(
        identity::parse_text(&ok(&[" WAVECOM MODEM"])),
        Ok("WAVECOM MODEM".into())
    );
    assert_eq!(Vendor::from_manufacturer("SIMCOM_Ltd"), Vendor::Simcom);
    assert_eq!(
        identity::parse_imei(&ok(&["866758041234567"])),
        Ok("866758041234567".into())
    );
    assert_eq!(
        identity::parse_imei(&ok(&["+CGSN: 866758041234567"])),
        Ok("866758041234567".into())
    );
    assert_eq!(
        identity::parse_imsi(&ok(&["111111111111111"])),
        Ok("111111111111111".into())
    );
    for line in [
        "^ICCID: 98681031098310024233",
        "+QCCID: 89860318640220133897",
        "+ICCID: 8986031864022013389F",
        "89860318640220133897",
    ] {
        assert!(identity::parse_iccid(&ok(&[line])).is_ok(), "{line}");
    }
    let nums = identity::parse_cnum(&ok(&[r#"+CNUM: "","+8613912345678",145"#])).expect("cnum");
    assert_eq!(nums[0].number, "+8613912345678");
    assert_eq!(nums[0].kind, Some(145));
}

#[test]
fn cops_csca_cmgf_cmms_should_parse() {
    let o = network::parse_cops(&ok(&[r#"+COPS: 0,0,"CHINA MOBILE",7"#])).expect("cops");
    assert_eq!(o.name.as_deref(), Some("CHINA MOBILE"));
    assert_eq!(o.act, Some(7));
    assert_eq!(
        network::parse_cops(&ok(&["+COPS: 0"])).expect("cops").name,
        None
    );
    // gnokii-users capture: +CSCA: "+12063130004",145
    let c = network::parse_csca(&ok(&[r#"+CSCA: "+12063130004",145"#]))
        .expect("csca")
        .expect("set");
    assert_eq!(c.address, "+12063130004");
    assert_eq!(network::parse_csca(&ok(&[])), Ok(None));
    assert_eq!(sms::parse_cmgf(&ok(&["+CMGF: 0"])), Ok(true));
    assert_eq!(sms::parse_cmms(&ok(&["+CMMS: 2"])), Ok(2));
}

#[test]
fn missing_prefix_should_be_reported() {
    assert_eq!(
        network::parse_csq(&ok(&[])),
        Err(ParseError::Missing { prefix: "+CSQ:" })
    );
    assert!(matches!(
        network::parse_csq(&ok(&["+CSQ: x"])),
        Err(ParseError::Malformed { .. })
    ));
}
