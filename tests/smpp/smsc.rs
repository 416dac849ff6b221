//! hw-sim's simulated SMSC, driven by `rusmpp` as a third-party ESME (so a bug shared by our
//! codec on both sides cannot hide), plus its HTTP control endpoint.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use hw_sim::smsc::{Faults, IdFormat, OutcomeMix, SmscConfig, SmscHandle, start};
use rusmpp::pdus::{BindTransceiver, BindTransmitter, SubmitSm as RSubmitSm};
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::types::{COctetString as C, OctetString as O};
use rusmpp::values::{DataCoding, InterfaceVersion, Npi, RegisteredDelivery, Ton};
use rusmpp::{Command, CommandId, CommandStatus as RStatus, Pdu as RPdu};
use smsgw::smpp::pdu::{Body, CommandStatus, MessageState, Pdu, values::esm_class};
use tokio::net::TcpStream;
use tokio_util::codec::{Encoder, Framed};

type Esme = Framed<TcpStream, CommandCodec>;

/// Every wait in these tests is bounded.
const LIMIT: Duration = Duration::from_secs(10);

async fn smsc(faults: Faults) -> Arc<SmscHandle> {
    start(SmscConfig {
        control: Some("127.0.0.1:0".parse().unwrap()),
        faults,
        ..SmscConfig::default()
    })
    .await
    .unwrap()
}

async fn connect(h: &SmscHandle) -> Esme {
    Framed::new(
        TcpStream::connect(h.smpp_addr).await.unwrap(),
        CommandCodec::new(),
    )
}

async fn next(e: &mut Esme) -> Command {
    tokio::time::timeout(LIMIT, e.next())
        .await
        .expect("in time")
        .expect("open")
        .expect("decodes")
}

/// Re-reads a rusmpp command with our decoder, for field checks.
fn ours(c: &Command) -> Pdu {
    let mut b = BytesMut::new();
    CommandCodec::new().encode(c, &mut b).unwrap();
    Pdu::decode(&b).unwrap()
}

async fn bind_trx(e: &mut Esme, sys: &str, pw: &str) -> Command {
    let bind = BindTransceiver::builder()
        .system_id(C::from_str(sys).unwrap())
        .password(C::from_str(pw).unwrap())
        .interface_version(InterfaceVersion::Smpp3_4)
        .build();
    e.send(Command::new(RStatus::EsmeRok, 1, bind))
        .await
        .unwrap();
    next(e).await
}

fn submit(to: &str, text: &str, seq: u32) -> Command {
    let sm = RSubmitSm::builder()
        .source_addr_ton(Ton::Alphanumeric)
        .source_addr(C::from_str("Shop").unwrap())
        .dest_addr_ton(Ton::International)
        .dest_addr_npi(Npi::Isdn)
        .destination_addr(C::from_str(to).unwrap())
        .registered_delivery(RegisteredDelivery::from(1u8))
        .data_coding(DataCoding::McSpecific)
        .short_message(O::from_str(text).unwrap())
        .build();
    Command::new(RStatus::EsmeRok, seq, sm)
}

async fn http(
    h: &SmscHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let url = format!("http://{}{path}", h.control_addr.unwrap());
    let mut rq = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        rq = rq.json(&b);
    }
    let r = rq.send().await.unwrap();
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn bind_with_configured_credentials_should_succeed_and_wrong_ones_should_be_refused() {
    let h = smsc(Faults::default()).await;
    let mut ok = connect(&h).await;
    let r = bind_trx(&mut ok, "smsgw", "secret").await;
    assert_eq!(
        (r.id(), r.status()),
        (CommandId::BindTransceiverResp, RStatus::EsmeRok)
    );
    let Body::BindTransceiverResp(b) = ours(&r).body else {
        panic!()
    };
    assert_eq!(
        b.tlvs.get_u8(smsgw::smpp::pdu::TlvTag::ScInterfaceVersion),
        Some(0x34)
    );

    let mut bad = connect(&h).await;
    assert_eq!(
        bind_trx(&mut bad, "smsgw", "wrong").await.status(),
        RStatus::EsmeRinvpaswd
    );
    let mut unknown = connect(&h).await;
    assert_eq!(
        bind_trx(&mut unknown, "nobody", "secret").await.status(),
        RStatus::EsmeRinvsysid
    );
    // A submit before binding is refused with the bind-status error.
    unknown.send(submit("358401234567", "hi", 2)).await.unwrap();
    assert_eq!(next(&mut unknown).await.status(), RStatus::EsmeRinvbndsts);
    assert_eq!(h.stats().binds_refused, 2);
    h.shutdown().await;
}

#[tokio::test]
async fn submits_should_get_unique_ids_and_receipts_on_the_transceiver() {
    let h = smsc(Faults {
        receipt_delay_ms: 20,
        ..Faults::default()
    })
    .await;
    let mut e = connect(&h).await;
    bind_trx(&mut e, "smsgw", "secret").await;
    let n = 50u32;
    for i in 0..n {
        e.send(submit(
            &format!("35840{i:07}"),
            &format!("message {i}"),
            10 + i,
        ))
        .await
        .unwrap();
    }
    let mut ids = std::collections::HashSet::new();
    let mut receipts = Vec::new();
    while ids.len() < n as usize || receipts.len() < n as usize {
        let c = next(&mut e).await;
        match c.id() {
            CommandId::SubmitSmResp => {
                assert_eq!(c.status(), RStatus::EsmeRok);
                let Body::SubmitSmResp(r) = ours(&c).body else {
                    panic!()
                };
                assert!(
                    ids.insert(r.message_id.to_string_lossy()),
                    "ids must be unique"
                );
            }
            CommandId::DeliverSm => {
                let Body::DeliverSm(d) = ours(&c).body else {
                    panic!()
                };
                assert_eq!(
                    d.esm_class & esm_class::TYPE_MASK,
                    esm_class::DELIVERY_RECEIPT
                );
                assert_eq!(d.message_state(), Some(MessageState::Delivered));
                let text = smsgw::smpp::receipt::parse_bytes(d.short_message.as_bytes()).unwrap();
                assert_eq!(Some(text.id.as_str()), d.receipted_message_id());
                assert_eq!(
                    d.dest.addr.as_str(),
                    Some("Shop"),
                    "receipts go back to the sender"
                );
                receipts.push(text.id);
                let resp = Command::new(
                    RStatus::EsmeRok,
                    c.sequence_number(),
                    RPdu::DeliverSmResp(Default::default()),
                );
                e.send(resp).await.unwrap();
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    for r in &receipts {
        assert!(ids.contains(r), "receipt {r} matches a submitted id");
    }
    // What the control endpoint shows, decoded.
    let (code, v) = http(&h, reqwest::Method::GET, "/submitted", None).await;
    assert_eq!(code, 200);
    let first = &v.as_array().unwrap()[0];
    assert_eq!(first["destination"], "358400000000");
    assert_eq!(first["source"], "Shop");
    assert_eq!(first["text"], "message 0");
    assert_eq!(first["data_coding"], 0);
    h.shutdown().await;
}

#[tokio::test]
async fn receipt_for_a_transmitter_should_come_back_on_a_receiver_bind_of_the_same_account() {
    let h = smsc(Faults {
        receipt_delay_ms: 10,
        ..Faults::default()
    })
    .await;
    let mut tx = connect(&h).await;
    let bind = BindTransmitter::builder()
        .system_id(C::from_str("smsgw").unwrap())
        .password(C::from_str("secret").unwrap())
        .build();
    tx.send(Command::new(RStatus::EsmeRok, 1, bind))
        .await
        .unwrap();
    assert_eq!(next(&mut tx).await.status(), RStatus::EsmeRok);
    let mut rx = connect(&h).await;
    let bind = rusmpp::pdus::BindReceiver::builder()
        .system_id(C::from_str("smsgw").unwrap())
        .password(C::from_str("secret").unwrap())
        .build();
    rx.send(Command::new(RStatus::EsmeRok, 1, bind))
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await.status(), RStatus::EsmeRok);
    tx.send(submit("358401234567", "hello", 2)).await.unwrap();
    let resp = next(&mut tx).await;
    let Body::SubmitSmResp(r) = ours(&resp).body else {
        panic!()
    };
    let d = next(&mut rx).await;
    assert_eq!(d.id(), CommandId::DeliverSm);
    let Body::DeliverSm(d) = ours(&d).body else {
        panic!()
    };
    assert_eq!(d.receipted_message_id(), r.message_id.as_str());
    h.shutdown().await;
}

#[tokio::test]
async fn throttle_fraction_and_outcome_mix_should_be_exact_and_repeatable() {
    let h = smsc(Faults {
        throttle_fraction: 0.25,
        receipt_delay_ms: 0,
        outcomes: OutcomeMix {
            delivered: 1,
            undeliverable: 1,
            expired: 0,
            rejected: 0,
        },
        ..Faults::default()
    })
    .await;
    let mut e = connect(&h).await;
    bind_trx(&mut e, "smsgw", "secret").await;
    for i in 0..40 {
        e.send(submit("358401234567", "x", 100 + i)).await.unwrap();
    }
    let (mut throttled, mut ok, mut states) = (0, 0, Vec::new());
    while throttled + ok < 40 || states.len() < ok {
        let c = next(&mut e).await;
        match (c.id(), c.status()) {
            (CommandId::SubmitSmResp, RStatus::EsmeRthrottled) => throttled += 1,
            (CommandId::SubmitSmResp, RStatus::EsmeRok) => ok += 1,
            (CommandId::DeliverSm, _) => {
                let Body::DeliverSm(d) = ours(&c).body else {
                    panic!()
                };
                states.push(d.message_state().unwrap());
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((throttled, ok), (10, 30));
    let delivered = states
        .iter()
        .filter(|s| **s == MessageState::Delivered)
        .count();
    assert_eq!((delivered, states.len() - delivered), (15, 15));
    assert_eq!(h.stats().throttled, 10);
    h.shutdown().await;
}

#[tokio::test]
async fn slow_answers_should_arrive_no_earlier_than_the_configured_delay() {
    let h = smsc(Faults {
        response_delay_ms: 150,
        receipt_delay_ms: 5_000,
        ..Faults::default()
    })
    .await;
    let mut e = connect(&h).await;
    bind_trx(&mut e, "smsgw", "secret").await;
    let t = Instant::now();
    e.send(submit("358401234567", "slow", 2)).await.unwrap();
    assert_eq!(next(&mut e).await.id(), CommandId::SubmitSmResp);
    assert!(t.elapsed() >= Duration::from_millis(150));
    h.shutdown().await;
}

#[tokio::test]
async fn drop_after_submits_should_close_the_link_leaving_that_submit_unanswered() {
    let h = smsc(Faults {
        drop_after_submits: Some(3),
        ..Faults::default()
    })
    .await;
    let mut e = connect(&h).await;
    bind_trx(&mut e, "smsgw", "secret").await;
    for i in 0..3 {
        e.send(submit("358401234567", "x", 10 + i)).await.unwrap();
    }
    let mut answered = Vec::new();
    while let Some(Ok(c)) = tokio::time::timeout(LIMIT, e.next())
        .await
        .expect("in time")
    {
        answered.push(c.sequence_number());
    }
    assert_eq!(answered, vec![10, 11]);
    assert_eq!(h.stats().dropped, 1);
    // The fault cleared: a new connection works.
    let mut again = connect(&h).await;
    assert_eq!(
        bind_trx(&mut again, "smsgw", "secret").await.status(),
        RStatus::EsmeRok
    );
    h.shutdown().await;
}

#[tokio::test]
async fn control_endpoint_should_inject_mo_faults_and_malformed_pdus() {
    let h = smsc(Faults::default()).await;
    let mut e = connect(&h).await;
    bind_trx(&mut e, "smsgw", "secret").await;

    let (code, _) = http(
        &h,
        reqwest::Method::POST,
        "/mo",
        Some(serde_json::json!({"from": "+358401111111", "to": "12345", "text": "STOP"})),
    )
    .await;
    assert_eq!(code, 202);
    let mo = next(&mut e).await;
    let Body::DeliverSm(d) = ours(&mo).body else {
        panic!()
    };
    assert!(!d.is_receipt());
    assert_eq!(
        (d.source.ton, d.source.addr.as_str()),
        (1, Some("358401111111"))
    );
    assert_eq!(d.short_message.as_bytes(), b"STOP");

    let (code, _) = http(
        &h,
        reqwest::Method::PUT,
        "/faults",
        Some(serde_json::json!({"throttle_fraction": 1.0})),
    )
    .await;
    assert_eq!(code, 204);
    e.send(submit("358401234567", "x", 5)).await.unwrap();
    assert_eq!(next(&mut e).await.status(), RStatus::EsmeRthrottled);
    let (_, f) = http(&h, reqwest::Method::GET, "/faults", None).await;
    assert_eq!(f["throttle_fraction"], 1.0);

    // A malformed deliver_sm: rusmpp reports it as a decode error on its stream.
    let (_, v) = http(&h, reqwest::Method::POST, "/malformed", None).await;
    assert_eq!(v["sent"], 1);
    let got = tokio::time::timeout(LIMIT, e.next())
        .await
        .expect("in time")
        .expect("open");
    assert!(
        got.is_err(),
        "rusmpp must reject the malformed frame: {got:?}"
    );

    let (_, s) = http(&h, reqwest::Method::GET, "/stats", None).await;
    assert_eq!(s["mo_sent"], 1);
    let (_, v) = http(&h, reqwest::Method::POST, "/drop", None).await;
    assert_eq!(v["dropped"], 1);
    h.shutdown().await;
}

#[tokio::test]
async fn malformed_pdu_from_an_esme_should_get_generic_nack_with_its_sequence_number() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = smsc(Faults::default()).await;
    let mut s = TcpStream::connect(h.smpp_addr).await.unwrap();
    // enquire_link with a stray octet, then a good enquire_link: the session goes on.
    s.write_all(&[0, 0, 0, 17, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 33, 0xff])
        .await
        .unwrap();
    s.write_all(&[0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 34])
        .await
        .unwrap();
    let mut buf = [0u8; 32];
    tokio::time::timeout(LIMIT, s.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let nack = Pdu::decode(&buf[..16]).unwrap();
    assert_eq!(
        (nack.body, nack.sequence_number, nack.command_status),
        (Body::GenericNack, 33, CommandStatus::InvalidCommandLength)
    );
    assert_eq!(
        Pdu::decode(&buf[16..]).unwrap(),
        Pdu::new(34, Body::EnquireLinkResp)
    );
    h.shutdown().await;
}

#[tokio::test]
async fn decimal_receipt_text_ids_should_still_correlate_with_hex_submit_ids() {
    let h = start(SmscConfig {
        id_format: IdFormat::Hex,
        receipt_text_id_format: Some(IdFormat::Decimal),
        faults: Faults {
            receipt_delay_ms: 0,
            receipt_text_only: true,
            ..Faults::default()
        },
        ..SmscConfig::default()
    })
    .await
    .unwrap();
    let mut e = connect(&h).await;
    bind_trx(&mut e, "smsgw", "secret").await;
    e.send(submit("358401234567", "x", 2)).await.unwrap();
    let (mut id, mut text_id) = (None, None);
    while id.is_none() || text_id.is_none() {
        let c = next(&mut e).await;
        match ours(&c).body {
            Body::SubmitSmResp(r) => id = Some(r.message_id.to_string_lossy()),
            Body::DeliverSm(d) => {
                assert_eq!(d.receipted_message_id(), None, "text-only receipt");
                text_id = Some(
                    smsgw::smpp::receipt::parse_bytes(d.short_message.as_bytes())
                        .unwrap()
                        .id,
                );
            }
            b => panic!("{b:?}"),
        }
    }
    let (id, text_id) = (id.unwrap(), text_id.unwrap());
    use smsgw::smpp::receipt::{alternate_ids, canonical_id};
    assert_ne!(canonical_id(&id), canonical_id(&text_id));
    assert!(alternate_ids(&text_id).contains(&canonical_id(&id)));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_pipelined_submits_should_all_be_answered_with_receipts() {
    let h = smsc(Faults {
        receipt_delay_ms: 0,
        ..Faults::default()
    })
    .await;
    let e = connect(&h).await;
    let (mut sink, mut stream) = e.split();
    let bind = BindTransceiver::builder()
        .system_id(C::from_str("smsgw").unwrap())
        .password(C::from_str("secret").unwrap())
        .build();
    sink.send(Command::new(RStatus::EsmeRok, 1, bind))
        .await
        .unwrap();
    let n: u32 = 10_000;
    let window = 64u32;
    let (credit_tx, mut credit_rx) = tokio::sync::mpsc::unbounded_channel::<Option<u32>>();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        let mut sent = 0u32;
        let mut inflight = 0u32;
        while sent < n {
            while inflight < window && sent < n {
                sink.feed(submit("358401234567", "load test message", 2 + sent))
                    .await
                    .unwrap();
                sent += 1;
                inflight += 1;
            }
            sink.flush().await.unwrap();
            match credit_rx.recv().await {
                Some(Some(seq)) => {
                    sink.feed(Command::new(
                        RStatus::EsmeRok,
                        seq,
                        RPdu::DeliverSmResp(Default::default()),
                    ))
                    .await
                    .unwrap();
                }
                Some(None) => inflight -= 1,
                None => break,
            }
            while let Ok(m) = credit_rx.try_recv() {
                match m {
                    Some(seq) => sink
                        .feed(Command::new(
                            RStatus::EsmeRok,
                            seq,
                            RPdu::DeliverSmResp(Default::default()),
                        ))
                        .await
                        .unwrap(),
                    None => inflight -= 1,
                }
            }
        }
        while let Some(Some(seq)) = credit_rx.recv().await {
            sink.send(Command::new(
                RStatus::EsmeRok,
                seq,
                RPdu::DeliverSmResp(Default::default()),
            ))
            .await
            .unwrap();
        }
    });
    let (mut resps, mut receipts) = (0u32, 0u32);
    while resps < n || receipts < n {
        let c = tokio::time::timeout(LIMIT, stream.next())
            .await
            .expect("in time")
            .unwrap()
            .unwrap();
        match c.id() {
            CommandId::SubmitSmResp => {
                assert_eq!(c.status(), RStatus::EsmeRok);
                resps += 1;
                let _ = credit_tx.send(None);
            }
            CommandId::DeliverSm => {
                receipts += 1;
                let _ = credit_tx.send(Some(c.sequence_number()));
            }
            CommandId::BindTransceiverResp => {}
            other => panic!("{other:?}"),
        }
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    eprintln!(
        "simulated SMSC: {n} submits + {n} receipts in {:?} ({rate:.0} submits/s, window {window}, debug build)",
        started.elapsed()
    );
    drop(credit_tx);
    writer.abort();
    assert_eq!(h.stats().accepted, u64::from(n));
    assert_eq!(h.stats().receipts_sent, u64::from(n));
    h.shutdown().await;
}

#[tokio::test]
async fn submit_with_reserved_registered_delivery_bits_should_be_refused_with_rinvregdlvflg() {
    use smsgw::smpp::codec::SmppCodec;
    use smsgw::smpp::pdu::{Address, Bind, SubmitSm};
    let h = smsc(Faults::default()).await;
    let mut e = Framed::new(
        TcpStream::connect(h.smpp_addr).await.unwrap(),
        SmppCodec::new(),
    );
    let bind = Bind {
        system_id: "smsgw".try_into().unwrap(),
        password: "secret".try_into().unwrap(),
        interface_version: 0x34,
        ..Bind::default()
    };
    e.send(Pdu::new(1, Body::BindTransceiver(bind)))
        .await
        .unwrap();
    let r = tokio::time::timeout(LIMIT, e.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(r.command_status, CommandStatus::Ok);
    let sm = SubmitSm {
        dest: Address::new(1, 1, "358401234567").unwrap(),
        registered_delivery: 0x81,
        ..SubmitSm::default()
    };
    e.send(Pdu::new(2, Body::SubmitSm(sm))).await.unwrap();
    let r = tokio::time::timeout(LIMIT, e.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.sequence_number, r.command_status),
        (2, CommandStatus::InvalidRegisteredDeliveryFlag)
    );
    assert!(h.submitted().is_empty());
    h.shutdown().await;
}
