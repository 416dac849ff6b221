#![no_main]
//! Feeds arbitrary bytes to the journal's reader as recovery meets them on disk after a crash:
//! a segment header, then records walked in sequence until the end or the first invalid one
//! (whose offsets must stay inside the bytes); and checks that any record written reads back.

use libfuzzer_sys::fuzz_target;
use smsgw::store::journal::frame::{self, Frame, SEGMENT_HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let _ = frame::decode_header(data);
    let body = data.get(SEGMENT_HEADER_LEN..).unwrap_or_default();
    let mut at = 0;
    let mut lsn = 1;
    while let Frame::Record { len, .. } = frame::decode_record(&body[at..], lsn) {
        assert!(len >= frame::RECORD_HEAD_LEN && at + len <= body.len());
        at += len;
        lsn += 1;
    }
    // Round trip: the data as a payload, numbered by its first bytes.
    let n = data
        .iter()
        .take(8)
        .fold(0u64, |a, &b| a << 8 | u64::from(b));
    let mut out = Vec::new();
    frame::encode_record(n, data, &mut out);
    assert_eq!(
        frame::decode_record(&out, n),
        Frame::Record {
            payload: data,
            len: out.len()
        }
    );
    // Any cut of it is refused or read as the end, never as the record.
    for cut in [0, out.len() / 2, out.len().saturating_sub(1)] {
        assert!(!matches!(
            frame::decode_record(&out[..cut], n),
            Frame::Record { .. }
        ));
    }
});
