//! GSM codec throughput (issue 3 targets: ≥ 2 M SMS-DELIVER decodes/s and ≥ 500 k 3-part
//! UCS-2 SMS-SUBMIT encodes/s on one core).
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgw::gsm::{Address, Direction, OutgoingText, SegmentOptions, Tpdu, build_submits};

fn bench(c: &mut Criterion) {
    // A typical SMS-DELIVER: international sender, GSM 7-bit text (hbjorgo/ATLib test vector).
    let deliver = hex::decode("040B911346610089F60000208062917314800CC8F71D14969741F977FD07")
        .expect("valid hex");
    let mut g = c.benchmark_group("gsm");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode_deliver", |b| {
        b.iter(|| Tpdu::decode(black_box(&deliver), Direction::ToMobile))
    });

    let to = Address::international("358401234567");
    let text = "Привет! Это длинное сообщение в кодировке UCS-2, ".repeat(4);
    let opts = SegmentOptions::default();
    let msg = OutgoingText {
        to: &to,
        text: &text,
        status_report: true,
        validity: None,
        reference: 7,
    };
    assert_eq!(build_submits(&msg, &opts).map(|s| s.len()).ok(), Some(3));
    let mut out = Vec::with_capacity(600);
    g.bench_function("encode_submit_3part_ucs2", |b| {
        b.iter(|| {
            out.clear();
            for s in build_submits(black_box(&msg), &opts).expect("encodable") {
                Tpdu::Submit(s).encode_into(&mut out).expect("encodable");
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
