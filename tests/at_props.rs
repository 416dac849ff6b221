//! Property tests for the digester: no panics, bounded buffering, progress,
//! and independence from how the byte stream is split into reads.

use proptest::prelude::*;
use smsgw::at::{Digester, Event, Expect};

fn expects() -> Vec<Expect> {
    vec![
        Expect::new("AT+CSQ").prefix("+CSQ:"),
        Expect::new("AT+CMGL=4").prefix("+CMGL:").pdu_follows(),
        Expect::new("AT+CMGS=23").prefix("+CMGS:").prompt("0011"),
        Expect::new("AT+CREG?").prefix("+CREG:"),
        Expect::new("AT+CGSN"),
    ]
}

/// Feed `chunks` in order, draining after each, and return all events.
fn digest(expect: Option<&Expect>, max_line: usize, chunks: &[&[u8]]) -> (Vec<Event>, Digester) {
    let mut d = Digester::new(max_line);
    if let Some(e) = expect {
        d.expect(e);
    }
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c);
        while let Some(e) = d.next_event() {
            out.push(e);
        }
    }
    (out, d)
}

/// Lines a modem really sends, used to build well-formed streams.
const VOCAB: &[&[u8]] = &[
    b"AT+CMGL=4\r",
    b"\r\n+CMGL: 0,1,,30\r\n07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\r\n",
    b"\r\n+CMTI: \"SM\",3\r\n",
    b"\r\n+CMT: ,4\r\n0011AABB\r\n",
    b"\r\n+CDS: 25\r\n07914477790706520006C80C\r\n",
    b"\r\n^RSSI:17\r\n",
    b"\r\n+CSQ: 21,0\r\n",
    b"\r\n+CREG: 1,\"1A2B\",\"00C3\"\r\n",
    b"\r\nRING\r\n",
    b"\r\n> ",
    b"\r\nOK\r\n",
    b"\r\n+CMS ERROR: 304\r\n",
    b"\r\n+CME ERROR: SIM busy\r\n",
    b"\r\n866758041234567\r\n",
    b"\x00\xff",
    b"\r\n",
];

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0..VOCAB.len(), 0..40)
        .prop_map(|idx| idx.iter().flat_map(|&i| VOCAB[i].to_vec()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_should_never_panic_and_always_progress(
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        cuts in prop::collection::vec(1usize..64, 1..64),
        which in 0usize..6,
    ) {
        let exp = expects();
        let max_line = 256;
        let mut chunks = Vec::new();
        let mut rest = &bytes[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
            i += 1;
        }
        let (events, d) = digest(exp.get(which), max_line, &chunks);
        // Every event consumes at least one byte (or one line already consumed).
        prop_assert!(events.len() <= bytes.len() + 1);
        // Unconsumed input never exceeds one maximum line.
        prop_assert!(d.buffered() <= max_line, "buffered {}", d.buffered());
    }

    #[test]
    fn well_formed_stream_split_anywhere_should_yield_same_events(
        s in stream(),
        split in any::<prop::sample::Index>(),
        which in 0usize..6,
    ) {
        let exp = expects();
        let (whole, _) = digest(exp.get(which), 4096, &[&s]);
        let at = if s.is_empty() { 0 } else { split.index(s.len() + 1) };
        let (parts, _) = digest(exp.get(which), 4096, &[&s[..at], &s[at..]]);
        prop_assert_eq!(whole, parts);
    }

    #[test]
    fn well_formed_stream_in_random_chunks_should_yield_same_events(
        s in stream(),
        cuts in prop::collection::vec(1usize..17, 1..32),
        which in 0usize..6,
    ) {
        let exp = expects();
        let (whole, _) = digest(exp.get(which), 4096, &[&s]);
        let mut chunks = Vec::new();
        let mut rest = &s[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
            i += 1;
        }
        let (parts, _) = digest(exp.get(which), 4096, &chunks);
        prop_assert_eq!(whole, parts);
    }
}

#[test]
fn crlf_split_at_every_position_should_yield_same_events() {
    let s: &[u8] = b"AT+CMGL=4\r\r\n+CMGL: 0,1,,4\r\n0011AABB\r\n\r\n+CMTI: \"SM\",3\r\n+CMGL: 1,1,,4\r\n0011AABB\r\n\r\nOK\r\n\r\n+CMT: ,4\r\n0011AABB\r\n";
    let e = Expect::new("AT+CMGL=4").prefix("+CMGL:").pdu_follows();
    let (whole, _) = digest(Some(&e), 4096, &[s]);
    assert_eq!(whole.len(), 3, "{whole:?}");
    for at in 0..=s.len() {
        let (parts, _) = digest(Some(&e), 4096, &[&s[..at], &s[at..]]);
        assert_eq!(whole, parts, "split at {at}");
    }
}
