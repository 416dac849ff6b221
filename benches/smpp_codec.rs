//! submit_sm encode and decode per second: ours vs `rusmpp` and `smpp34`, in one criterion run,
//! on the same PDU (alphanumeric sender, international recipient, 160-character text,
//! receipt requested, no TLVs).
//!
//! Run: `cargo bench --bench smpp_codec -- --warm-up-time 1 --measurement-time 3`
//!
//! What each line includes, so the comparison is fair:
//! - decode: from `&[u8]` of one frame to a typed value. Ours and rusmpp copy the frame once
//!   (ours into `Bytes`, rusmpp into a `BytesMut`); smpp34 reads the slice and allocates a
//!   `String` per field. `ours/decode_bytes` is our zero-copy path from a framed `Bytes`
//!   (what the tokio codec uses).
//! - encode: into a reused buffer. smpp34's `encode(self)` consumes the PDU, so its line
//!   includes a clone.
use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use smsgw::smpp::pdu::{Address, Body, COctetString, Pdu, SubmitSm};
use tokio_util::codec::{Decoder, Encoder};

const TEXT: &[u8] = b"Your verification code is 482913. It expires in 10 minutes. Do not share this code with anyone. If you did not request it, ignore this message. Thank you, bye!!";

fn ours() -> Pdu {
    Pdu::new(
        0x1234,
        Body::SubmitSm(SubmitSm {
            source: Address::new(5, 0, "Shop").expect("static"),
            dest: Address::new(1, 1, "358401234567").expect("static"),
            registered_delivery: 1,
            short_message: TEXT.to_vec().into(),
            service_type: COctetString::EMPTY,
            ..SubmitSm::default()
        }),
    )
}

fn smpp34_pdu() -> smpp34::submit_sm {
    smpp34::submit_sm::new(
        0x1234,
        String::new(),
        5,
        0,
        "Shop".into(),
        1,
        1,
        "358401234567".into(),
        0,
        0,
        0,
        String::new(),
        String::new(),
        1,
        0,
        0,
        0,
        TEXT.to_vec(),
    )
}

fn bench(c: &mut Criterion) {
    let pdu = ours();
    let wire = pdu.to_vec().expect("encodes");
    assert_eq!(TEXT.len(), 160);
    // All three must agree on the octets, or the comparison means nothing.
    assert_eq!(smpp34_pdu().encode(), wire, "smpp34 encodes the same PDU");
    let mut rcodec = rusmpp::tokio_codec::CommandCodec::new();
    let rcmd = rcodec
        .decode(&mut BytesMut::from(&wire[..]))
        .expect("rusmpp decodes")
        .expect("whole frame");
    let mut rwire = BytesMut::new();
    rcodec.encode(&rcmd, &mut rwire).expect("rusmpp encodes");
    assert_eq!(&rwire[..], &wire[..], "rusmpp encodes the same PDU");

    let mut g = c.benchmark_group("submit_sm_decode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ours", |b| {
        b.iter(|| Pdu::decode(black_box(&wire)).expect("decodes"))
    });
    let shared = Bytes::from(wire.clone());
    g.bench_function("ours_decode_bytes", |b| {
        b.iter(|| Pdu::decode_bytes(black_box(shared.clone())).expect("decodes"))
    });
    g.bench_function("rusmpp", |b| {
        let mut codec = rusmpp::tokio_codec::CommandCodec::new();
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&wire[..]));
            codec.decode(&mut buf).expect("decodes").expect("whole")
        })
    });
    g.bench_function("smpp34", |b| {
        b.iter(|| {
            let w = black_box(&wire[..]);
            let h = smpp34::CommandHeader::decode(w).expect("header");
            smpp34::submit_sm::decode(h, w).expect("decodes")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("submit_sm_encode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ours", |b| {
        let mut buf = BytesMut::with_capacity(512);
        b.iter(|| {
            buf.clear();
            black_box(&pdu).encode(&mut buf).expect("encodes");
            black_box(buf.len())
        })
    });
    g.bench_function("rusmpp", |b| {
        let mut codec = rusmpp::tokio_codec::CommandCodec::new();
        let mut buf = BytesMut::with_capacity(512);
        b.iter(|| {
            buf.clear();
            codec.encode(black_box(&rcmd), &mut buf).expect("encodes");
            black_box(buf.len())
        })
    });
    let p34 = smpp34_pdu();
    g.bench_function("smpp34", |b| {
        b.iter(|| black_box(black_box(&p34).clone().encode()).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
